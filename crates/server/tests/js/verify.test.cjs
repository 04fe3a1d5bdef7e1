// Tests of static/verify.js under Node's test runner (`node --test`), run by
// the Rust test `crates/cli/tests/publish.rs`, which sets:
//
//   EVIDENT_VECTORS    the shared test vectors (merkle/, checkpoint-cosigned.txt)
//   EVIDENT_FIXTURES   receipts made by `evident receipt`, with their files, the
//                      archive's key and log, and `cases.json`: tampered and
//                      malformed receipts with what `evident check-receipt`
//                      said of each
//
// Without them the tests fail: they never pass by checking nothing.

'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const verify = require('../../static/verify.js');

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run this through cargo (crates/cli/tests/publish.rs)`);
  return value;
}

const vectors = () => required('EVIDENT_VECTORS');
const fixtures = () => required('EVIDENT_FIXTURES');

const b64 = (text) => new Uint8Array(Buffer.from(text || '', 'base64'));
const read = (...parts) => fs.readFileSync(path.join(...parts));
const readText = (...parts) => fs.readFileSync(path.join(...parts), 'utf8');

function jsonFiles(dir) {
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) out.push(...jsonFiles(full));
    else if (name.endsWith('.json')) out.push(full);
  }
  return out;
}

/** JSON with the big integers of the vectors kept exact (as strings). */
function parseVector(file) {
  const text = fs.readFileSync(file, 'utf8').replace(/"(leafIdx|treeSize|size1|size2)":\s*(\d+)/g, '"$1": "$2"');
  return JSON.parse(text);
}

async function outcome(promise) {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof verify.VerifyError, `not a VerifyError: ${error && error.stack}`);
    return 'error';
  }
}

/** MTH over leaf entries, the RFC 6962 definition, for the reference roots. */
async function merkleRoot(entries) {
  if (entries.length === 0) return verify.sha256(new Uint8Array());
  if (entries.length === 1) return verify.leafHash(entries[0]);
  let k = 1;
  while (k * 2 < entries.length) k *= 2;
  return verify.nodeHash(await merkleRoot(entries.slice(0, k)), await merkleRoot(entries.slice(k)));
}

test('the 196 transparency-dev/merkle inclusion and consistency vectors', async () => {
  const files = jsonFiles(path.join(vectors(), 'merkle'));
  assert.equal(files.length, 196);
  const failures = [];
  let inclusion = 0;
  let consistency = 0;
  for (const file of files) {
    const c = parseVector(file);
    const proof = (c.proof || []).map(b64);
    let got;
    if (c.leafIdx !== undefined) {
      inclusion++;
      got = await outcome(verify.verifyInclusion(b64(c.leafHash), BigInt(c.leafIdx), BigInt(c.treeSize), proof, b64(c.root)));
    } else {
      consistency++;
      got = await outcome(verify.verifyConsistency(BigInt(c.size1), BigInt(c.size2), proof, b64(c.root1), b64(c.root2)));
    }
    if ((got === 'error') !== c.wantErr) failures.push(`${file}: wantErr ${c.wantErr}, got ${got}`);
  }
  assert.ok(inclusion > 0 && consistency > 0);
  assert.deepEqual(failures, []);
});

test('the reference roots of specs/transparency.md', async () => {
  const hex = async (entries) => verify.hex(await merkleRoot(entries.map((e) => Buffer.from(e, 'hex'))));
  assert.equal(await hex([]), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(await hex(['']), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  assert.equal(await hex([Buffer.from('hello').toString('hex')]), '8a2a5c9b768827de5a9552c38a044c66959c68f6d2f21b5260af54d2f87db827');
  assert.equal(await hex(['', '00']), 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125');
  const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
  assert.equal(await hex(leaves), '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  assert.equal(await hex(leaves.slice(0, 3)), 'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77');
});

test('consistency proofs computed from a tile reader verify, and tampered ones do not', async () => {
  // An in-memory tree of 600 leaves laid out as C2SP tiles (levels 0 and 1).
  const leaves = [];
  for (let i = 0; i < 600; i++) leaves.push(await verify.leafHash(Buffer.from(`leaf ${i}`)));
  const rootOf = async (hashes) => {
    if (hashes.length === 1) return hashes[0];
    let k = 1;
    while (k * 2 < hashes.length) k *= 2;
    return verify.nodeHash(await rootOf(hashes.slice(0, k)), await rootOf(hashes.slice(k)));
  };
  const tilesFor = async (size) => {
    const tiles = new Map();
    const level1 = [];
    for (let n = 0; n * 256 < size; n++) {
      const chunk = leaves.slice(n * 256, Math.min(size, (n + 1) * 256));
      const name = `0/${verify.tileIndexPath(n)}` + (chunk.length < 256 ? `.p/${chunk.length}` : '');
      tiles.set(name, Buffer.concat(chunk));
      if (chunk.length === 256) level1.push(await rootOf(chunk));
    }
    if (level1.length > 0) tiles.set(`1/000.p/${level1.length}`, Buffer.concat(level1));
    return tiles;
  };
  for (const [size1, size2] of [[1, 2], [3, 7], [4, 600], [255, 256], [256, 600], [300, 513], [599, 600], [7, 8]]) {
    const tiles = await tilesFor(size2);
    const reader = verify.tileHashReader(size2, async (p) => {
      assert.ok(tiles.has(p), `no tile ${p}`);
      return tiles.get(p);
    });
    const proof = await verify.consistencyProof(size1, size2, reader);
    const root1 = await rootOf(leaves.slice(0, size1));
    const root2 = await rootOf(leaves.slice(0, size2));
    assert.equal(await outcome(verify.verifyConsistency(size1, size2, proof, root1, root2)), 'ok', `${size1} -> ${size2}`);
    if (proof.length > 0) {
      const bad = proof.map((h) => h.slice());
      bad[bad.length - 1][0] ^= 1;
      assert.equal(await outcome(verify.verifyConsistency(size1, size2, bad, root1, root2)), 'error');
    }
    assert.equal(await outcome(verify.verifyConsistency(size1, size2, proof, root2, root1)), 'error');
  }
  assert.equal(verify.tileIndexPath(1234067), 'x001/x234/067');
  assert.equal(verify.tileIndexPath(0), '000');
});

test('the cosigned checkpoint vector: the log key verifies, wrong keys and tampering do not', async () => {
  const signed = readText(vectors(), 'checkpoint-cosigned.txt');
  const logKey = await verify.parseVerifierKey('archive.example/log1+db40e027+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c');
  const checkpoint = await verify.openCheckpoint(signed, logKey);
  assert.equal(checkpoint.origin, 'archive.example/log1');
  assert.equal(checkpoint.size, 1n);
  assert.equal(verify.hex(checkpoint.root), verify.hex(await verify.leafHash(Buffer.from('hello'))));

  // The witness's key is a cosignature key (type 0x04): not a log key.
  await assert.rejects(
    verify.parseVerifierKey('witness.example/w1+df1c0a35+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU'),
    verify.VerifyError,
  );
  // A key id that does not match its key.
  await assert.rejects(
    verify.parseVerifierKey('archive.example/log1+db40e028+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c'),
    /key id does not match/,
  );
  // Another Ed25519 key under the same name: its key id differs, so the note has no signature by it.
  const otherPublic = Buffer.alloc(32, 7);
  const otherKey = Buffer.concat([Buffer.from([1]), otherPublic]);
  const otherId = (await verify.sha256(Buffer.concat([Buffer.from('archive.example/log1\n'), otherKey]))).slice(0, 4);
  const other = await verify.parseVerifierKey(`archive.example/log1+${verify.hex(otherId)}+${otherKey.toString('base64')}`);
  await assert.rejects(verify.openCheckpoint(signed, other), /no signature by/);
  // The text changed by one character.
  await assert.rejects(verify.openCheckpoint(signed.replace('\n1\n', '\n2\n'), logKey), /does not verify/);
  // The signature changed by one bit (same key id): a known key whose signature fails rejects the note.
  const lines = signed.split('\n');
  const sigLine = lines.findIndex((line) => line.startsWith('\u2014 archive.example/log1 '));
  const sig = Buffer.from(lines[sigLine].split(' ')[2], 'base64');
  sig[10] ^= 0x01;
  lines[sigLine] = `\u2014 archive.example/log1 ${sig.toString('base64')}`;
  await assert.rejects(verify.openCheckpoint(lines.join('\n'), logKey), /does not verify/);
  // Malformed notes.
  for (const bad of [signed.replace('\n\n', '\n'), signed.slice(0, -1), signed.replace('\u2014', '-'), signed.replace('1\n', '01\n')]) {
    await assert.rejects(verify.openCheckpoint(bad, logKey), verify.VerifyError);
  }
});

test('receipts made by `evident receipt` verify in full, with the current checkpoint and the tiles', async () => {
  const dir = fixtures();
  const key = readText(dir, 'key.txt').trim();
  const logDir = path.join(dir, 'log');
  const fetchCheckpoint = async () => readText(logDir, 'checkpoint');
  const fetchTile = async (p) => read(logDir, 'tile', p);

  // The latest receipt: the current checkpoint is its own.
  const latest = await verify.verifyReceipt({
    receipt: readText(dir, 'latest', 'receipt.txt'),
    file: read(dir, 'latest', 'file.bin'),
    key,
    fetchCheckpoint,
    fetchTile,
  });
  assert.equal(latest.ok, true, JSON.stringify(latest.checks, null, 1));
  const statuses = Object.fromEntries(latest.checks.map((c) => [c.id, c.status]));
  assert.deepEqual(statuses, {
    receipt: 'pass', key: 'pass', signature: 'pass', entry: 'pass', file: 'pass', inclusion: 'pass', current: 'pass',
  });
  assert.equal(latest.checks.find((c) => c.id === 'current').message, 'current.same');

  // The first receipt, made before hundreds more entries: older, and the log
  // still contains it (a consistency proof across level-0 and level-1 tiles).
  const first = await verify.verifyReceipt({
    receipt: readText(dir, 'first', 'receipt.txt'),
    file: read(dir, 'first', 'file.bin'),
    key,
    fetchCheckpoint,
    fetchTile,
  });
  assert.equal(first.ok, true, JSON.stringify(first.checks, null, 1));
  assert.equal(first.checks.find((c) => c.id === 'current').message, 'current.older');
  assert.equal(first.checks.find((c) => c.id === 'consistency').status, 'pass');
  const english = verify.message({}, 'consistency.pass', first.checks.find((c) => c.id === 'consistency').params);
  assert.match(english, /from \d+ to \d+ entries/);

  // A tile changed on the server: the consistency check fails.
  const tampered = await verify.verifyReceipt({
    receipt: readText(dir, 'first', 'receipt.txt'),
    key,
    fetchCheckpoint,
    fetchTile: async (p) => {
      const bytes = Buffer.from(await fetchTile(p));
      bytes[0] ^= 0x80;
      return bytes;
    },
  });
  assert.equal(tampered.checks.find((c) => c.id === 'consistency').status, 'fail');
  assert.equal(tampered.ok, false);

  // The server shows a checkpoint older than the receipt's: the log went backwards.
  const behind = await verify.verifyReceipt({
    receipt: readText(dir, 'latest', 'receipt.txt'),
    key,
    fetchCheckpoint: async () => readText(dir, 'first', 'checkpoint'),
  });
  assert.equal(behind.checks.find((c) => c.id === 'current').message, 'current.behind');
  assert.equal(behind.ok, false);

  // Only a receipt: genuine, the file not checked.
  const alone = await verify.verifyReceipt({ receipt: readText(dir, 'latest', 'receipt.txt'), key });
  assert.equal(alone.ok, true);
  assert.equal(alone.checks.find((c) => c.id === 'file').status, 'skip');

  // The current checkpoint unavailable: said so, and the receipt fails no other check.
  const offline = await verify.verifyReceipt({
    receipt: readText(dir, 'latest', 'receipt.txt'),
    key,
    fetchCheckpoint: async () => {
      throw new Error('network down');
    },
  });
  assert.equal(offline.checks.find((c) => c.id === 'current').message, 'current.unavailable');
});

test('tampered, malformed and wrongly keyed receipts fail exactly when `evident check-receipt` says invalid', async () => {
  const dir = fixtures();
  const cases = JSON.parse(readText(dir, 'cases.json'));
  assert.ok(cases.length >= 10, `only ${cases.length} cases`);
  const seen = new Set();
  for (const c of cases) {
    const result = await verify.verifyReceipt({
      receipt: readText(dir, 'cases', c.name, 'receipt.txt'),
      file: read(dir, 'cases', c.name, 'file.bin'),
      key: readText(dir, 'cases', c.name, 'key.txt').trim(),
    });
    const statuses = Object.fromEntries(result.checks.map((check) => [check.id, check.status]));
    const valid = result.ok && statuses.file === 'pass';
    assert.equal(valid, c.valid, `${c.name}: evident check-receipt says ${c.verdict}; verify.js: ${JSON.stringify(result.checks)}`);
    if (c.failing) {
      assert.equal(statuses[c.failing], 'fail', `${c.name}: expected the ${c.failing} check to fail: ${JSON.stringify(result.checks)}`);
    }
    seen.add(c.valid);
  }
  assert.deepEqual([...seen].sort(), [false, true]);
});

test('the Chinese catalogue fills the same parameters, and unknown keys fall back to English', () => {
  const zh = { 'file.pass': '您的文件（SHA-256 {sha256}，{size} 字节）正是日志记录的文件。' };
  assert.equal(verify.message(zh, 'file.pass', { sha256: 'ab', size: '3' }), '您的文件（SHA-256 ab，3 字节）正是日志记录的文件。');
  assert.equal(verify.message(zh, 'file.none'), verify.MESSAGES['file.none']);
  for (const [key, text] of Object.entries(verify.MESSAGES)) {
    assert.ok(text.length > 0, key);
  }
});
