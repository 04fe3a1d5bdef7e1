// End-to-end browser test of the Evident web app (issue 5, "Must hold"):
// in headless Debian Chromium driven by playwright-core, an investigator logs
// in, uploads a testimony, finds it by a Chinese word, opens it, downloads its
// receipt, checks the receipt and the file on the public /verify page (and
// that a file with one byte changed fails), and logs out. Also: the login
// page in Chinese, a phone-sized search page, and no console error, page
// error or CSP violation anywhere. One screenshot per step.
//
// Run by crates/cli/tests/it/e2e.rs against a real `evident serve`; by hand:
//   EVIDENT_E2E_URL=http://127.0.0.1:8080 EVIDENT_E2E_USER=NAME EVIDENT_E2E_PASSWORD=... \
//   EVIDENT_E2E_ARTIFACTS=/tmp/e2e node tests/e2e/flow.mjs
// Environment: EVIDENT_E2E_URL, EVIDENT_E2E_USER and EVIDENT_E2E_PASSWORD
// (an investigator or admin: the flow uploads), EVIDENT_E2E_ARTIFACTS
// (screenshots, the uploaded and the tampered file, the receipt, and
// flow-result.json: the item's id and SHA-256),
// EVIDENT_CHROMIUM (default /usr/bin/chromium). Exit status 0 when every
// step passed, 1 when one failed, 2 when the environment is incomplete.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = required('EVIDENT_E2E_URL').replace(/\/$/, '');
const user = required('EVIDENT_E2E_USER');
const password = required('EVIDENT_E2E_PASSWORD');
const artifacts = required('EVIDENT_E2E_ARTIFACTS');
const executablePath = process.env.EVIDENT_CHROMIUM || '/usr/bin/chromium';

// Every wait is explicit and bounded; the whole run must stay well under a minute.
const STEP_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = 90_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`flow: environment variable ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const watchdog = setTimeout(() => {
  console.error(`flow: gave up after ${WATCHDOG_MS / 1000} s`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

mkdirSync(artifacts, { recursive: true });

// A fictional testimony with a Chinese word to search for and a token no other
// document has, which the item page must show (so it shows this upload's text).
const token = `测试令牌${randomBytes(4).toString('hex').toUpperCase()}`;
const testimony = [
  '虚构证词（测试用，非真实证言）',
  '',
  `编号：${token}`,
  '我在医院住院期间，医生反复抽血化验，却从不告诉我原因。',
  '后来同病房的人说，这些检查是为了器官移植配型。',
  'Fictional testimony for an automated browser test; not a real account.',
  '',
].join('\n');
const testimonyBytes = Buffer.from(testimony, 'utf8');
const testimonyName = `testimony-${token.slice(4)}.txt`;
const testimonyPath = join(artifacts, testimonyName);
writeFileSync(testimonyPath, testimonyBytes);
const testimonySha256 = createHash('sha256').update(testimonyBytes).digest('hex');
// The same file with one byte changed: the verification page must reject it.
const tamperedBytes = Buffer.from(testimonyBytes);
tamperedBytes[tamperedBytes.length - 2] ^= 0x01;
const tamperedPath = join(artifacts, `tampered-${testimonyName}`);
writeFileSync(tamperedPath, tamperedBytes);

const problems = []; // console errors, page errors, CSP violations, server errors: any one fails the run
let screenshotNumber = 0;

/** Collects everything on a page that must not happen. */
function watch(page, label) {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${label}: console error: ${message.text()} (${page.url()})`);
  });
  page.on('pageerror', (error) => problems.push(`${label}: page error: ${error.message} (${page.url()})`));
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${label}: ${response.status()} from ${response.url()}`);
  });
  page.on('crash', () => problems.push(`${label}: the page crashed (${page.url()})`));
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return page;
}

async function newContext(browser, options = {}) {
  const context = await browser.newContext({
    acceptDownloads: true,
    locale: 'en-US',
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  // Chromium reports CSP violations on the console too; the event makes it certain.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  return context;
}

async function screenshot(page, name) {
  screenshotNumber += 1;
  const file = join(artifacts, `${String(screenshotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs one step: its assertions, then a screenshot, then no new problems. */
async function step(name, page, body) {
  const started = Date.now();
  try {
    await body();
  } catch (error) {
    await page.screenshot({ path: join(artifacts, `failed-${name}.png`), fullPage: true }).catch(() => {});
    const seen = problems.length > 0 ? `\nalso seen:\n${problems.join('\n')}` : '';
    throw new Error(`step "${name}" failed at ${page.url()}: ${error.stack || error}${seen}`);
  }
  await screenshot(page, name);
  if (problems.length > 0) throw new Error(`step "${name}": ${problems.join('\n')}`);
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

/** The checks the verification page shows: { id: status }. */
async function verifyChecks(page) {
  const verdict = page.locator('#verify-verdict[data-ok="true"], #verify-verdict[data-ok="false"]');
  await verdict.waitFor();
  const ok = await verdict.getAttribute('data-ok');
  const checks = await page
    .locator('#verify-results li[data-check]')
    .evaluateAll((items) => items.map((item) => [item.dataset.check, item.dataset.status]));
  return { ok: ok === 'true', checks: Object.fromEntries(checks) };
}

/** Gives the public /verify page a receipt and a file, runs it, and answers its checks. */
async function verifyOnPublicPage(page, receiptPath, filePath) {
  await page.goto(`${base}/verify`);
  await page.locator('#verify-form[data-key]').waitFor();
  await page.setInputFiles('#verify-receipt', receiptPath);
  await page.setInputFiles('#verify-file', filePath);
  await page.click('#verify-run');
  return verifyChecks(page);
}

async function main() {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    await run(browser);
  } finally {
    await browser.close();
  }
}

async function run(browser) {
  // The login page in Chinese for someone not logged in whose browser asks for English:
  // ?lang=zh decides (own context, since ?lang also sets a cookie).
  {
    const context = await newContext(browser);
    const page = watch(await context.newPage(), 'login (zh)');
    await step('login-zh', page, async () => {
      await page.goto(`${base}/login?lang=zh`);
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-Hans');
      assert.equal((await page.textContent('label[for=username]')).trim(), '用户名');
      assert.equal((await page.textContent('label[for=password]')).trim(), '密码');
      assert.equal((await page.textContent('#login-submit')).trim(), '登录');
      assert.match(await page.title(), /登录/);
    });
    await context.close();
  }

  const context = await newContext(browser);
  const page = watch(await context.newPage(), 'investigator');

  await step('login', page, async () => {
    await page.goto(`${base}/login`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.fill('#username', user);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${base}/`), page.click('#login-submit')]);
    await page.locator('#logout').waitFor();
    assert.equal(await page.locator('#login-error').count(), 0, 'no login error');
    assert.match(await page.textContent('.site-header .who'), new RegExp(user));
    const cookies = await context.cookies(base);
    const session = cookies.find((cookie) => cookie.name === 'evident_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true, 'the session cookie is HttpOnly');
    assert.equal(session.sameSite, 'Strict', 'the session cookie is SameSite=Strict');
  });

  let itemId;
  await step('upload', page, async () => {
    await page.goto(`${base}/upload`);
    await page.setInputFiles('#file-input', testimonyPath);
    const outcome = page.locator('li[data-test=upload-outcome]').first();
    // Wait for the outcome, whatever it is, so that a failure shows its message at once.
    const settled = ':is([data-status=added], [data-status=duplicate], [data-status=failed])';
    await page.locator(`li[data-test=upload-outcome]${settled}`).waitFor();
    const status = await outcome.getAttribute('data-status');
    assert.equal(status, 'added', `upload outcome: ${await outcome.textContent()}`);
    itemId = await page.locator('li[data-test=upload-outcome][data-status=added]').getAttribute('data-item-id');
    assert.match(itemId, /^itm_[A-Za-z0-9_-]+$/);
    assert.equal(await outcome.locator('.name').textContent(), testimonyName);
    assert.equal(await outcome.locator('[data-test=upload-item-link]').getAttribute('href'), `/items/${itemId}`);
  });

  await step('search', page, async () => {
    await page.goto(`${base}/search`);
    await page.fill('#search-box', '器官移植');
    await Promise.all([page.waitForURL(/\/search\?/), page.press('#search-box', 'Enter')]);
    const link = page.locator(`li.hit[data-id="${itemId}"] a[data-test=result-link]`);
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), `/items/${itemId}`);
    const snippet = await page.locator(`li.hit[data-id="${itemId}"] [data-test=snippet]`).innerHTML();
    assert.match(snippet, /<mark>[^<]*(器官|移植)[^<]*<\/mark>/, `the snippet highlights the word: ${snippet}`);
  });

  {
    // The same search on a phone: the layout must fit the screen without scrolling sideways.
    const phone = watch(await context.newPage(), 'phone');
    await phone.setViewportSize({ width: 390, height: 844 });
    await step('search-phone', phone, async () => {
      await phone.goto(`${base}/search?q=${encodeURIComponent('器官移植')}`);
      await phone.locator(`li.hit[data-id="${itemId}"] a[data-test=result-link]`).waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the search page is ${width} px wide on a 390 px screen`);
    });
    await phone.close();
  }

  await step('item', page, async () => {
    const link = `li.hit[data-id="${itemId}"] a[data-test=result-link]`;
    await Promise.all([page.waitForURL(`${base}/items/${itemId}`), page.click(link)]);
    const text = page.locator('#item-text[data-loaded=true]');
    await text.waitFor();
    const shown = await text.textContent();
    assert.ok(shown.includes(token), `the item page shows the token ${token}: ${shown}`);
    assert.ok(shown.includes('器官移植'), 'the item page shows the Chinese word');
    assert.equal((await page.textContent('[data-test=item-sha256]')).trim(), testimonySha256);
  });

  const receiptPath = join(artifacts, `${itemId}.tlog-proof`);
  await step('receipt', page, async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#receipt-link')]);
    assert.equal(download.suggestedFilename(), `${itemId}.tlog-proof`);
    assert.equal(await download.failure(), null, 'the receipt download completed');
    await download.saveAs(receiptPath);
    const receipt = readFileSync(receiptPath, 'utf8');
    assert.ok(receipt.startsWith('c2sp.org/tlog-proof@v1\n'), `a tlog-proof receipt: ${receipt.slice(0, 80)}`);
  });

  // The verification page as the public sees it: a fresh context, no session.
  const publicContext = await newContext(browser);
  const verifyPage = watch(await publicContext.newPage(), 'verify (public)');
  await step('verify', verifyPage, async () => {
    const { ok, checks } = await verifyOnPublicPage(verifyPage, receiptPath, testimonyPath);
    console.log(`     checks: ${JSON.stringify(checks)}`);
    assert.equal(ok, true, `verdict for the receipt and the file: ${JSON.stringify(checks)}`);
    for (const id of ['receipt', 'key', 'signature', 'entry', 'file', 'inclusion']) {
      assert.equal(checks[id], 'pass', `check ${id}: ${JSON.stringify(checks)}`);
    }
    // The log may have grown since the receipt (audit batches are logged every few
    // seconds): then the receipt is older and the consistency proof must pass.
    if (checks.current === 'info') {
      assert.equal(checks.consistency, 'pass', `an older receipt: ${JSON.stringify(checks)}`);
    } else {
      assert.equal(checks.current, 'pass', `check current: ${JSON.stringify(checks)}`);
    }
    for (const [id, status] of Object.entries(checks)) {
      assert.ok(status === 'pass' || (id === 'current' && status === 'info'), `check ${id} is ${status}`);
    }
  });

  await step('verify-tampered', verifyPage, async () => {
    const { ok, checks } = await verifyOnPublicPage(verifyPage, receiptPath, tamperedPath);
    assert.equal(ok, false, `a changed file must not verify: ${JSON.stringify(checks)}`);
    assert.equal(checks.file, 'fail', `check file: ${JSON.stringify(checks)}`);
    for (const id of ['receipt', 'key', 'signature', 'entry', 'inclusion']) {
      assert.equal(checks[id], 'pass', `check ${id} does not depend on the file: ${JSON.stringify(checks)}`);
    }
    const verdict = await verifyPage.textContent('#verify-verdict');
    assert.ok(verdict.trim().length > 0, 'the verdict says something');
  });
  await publicContext.close();

  await step('logout', page, async () => {
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/items/')), page.click('#logout')]);
    await page.locator('#login-link').waitFor();
    assert.equal(await page.locator('#logout').count(), 0, 'no logout button once logged out');
    const cookies = await context.cookies(base);
    assert.equal(cookies.find((cookie) => cookie.name === 'evident_session'), undefined, 'the session cookie is gone');
    // A restricted page now sends the reader to the login form.
    await page.goto(`${base}/items/${itemId}`);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/login', `after logout ${page.url()}`);
    assert.equal(url.searchParams.get('next'), `/items/${itemId}`);
    await page.locator('#login-form').waitFor();
    assert.equal(await page.locator('#item-text').count(), 0, 'the item is not shown');
  });

  // What the Rust side checks afterwards in the archive itself (audit trail, verify).
  const result = { item: itemId, sha256: testimonySha256, token, screenshots: screenshotNumber };
  writeFileSync(join(artifacts, 'flow-result.json'), `${JSON.stringify(result)}\n`);
  console.log(`flow: every step passed (item ${itemId}, ${screenshotNumber} screenshots in ${artifacts})`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`not ok ${error.message}`);
    process.exit(1);
  },
);
