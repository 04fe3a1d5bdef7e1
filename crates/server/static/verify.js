/*
 * Evident: checking a receipt in the browser, with nothing uploaded.
 *
 * A receipt is a c2sp.org/tlog-proof file: the item's log entry (the `extra`
 * line), its index in the log, an RFC 6962 inclusion proof and the signed
 * checkpoint it leads to. Given the receipt, the file (optional) and the
 * log's published verifier key, this script checks, with WebCrypto only
 * (SHA-256 and Ed25519, no library):
 *
 *   receipt      the receipt is well formed (strictly, as `evident check-receipt` parses it)
 *   key          the verifier key is well formed and its key id matches
 *   signature    the checkpoint is signed by that key (c2sp.org/signed-note)
 *   entry        the log entry is a canonical version-1 entry (docs/log-entry.md)
 *   file         the file's SHA-256 and size are among the entry's files
 *   inclusion    SHA-256(0x00 || entry) is included at `index` under the checkpoint's root
 *   current      the log's current checkpoint (fetched from /checkpoint) is signed by the
 *                same key and agrees with the receipt's: the same one, or a later one that
 *   consistency  contains it unchanged (a consistency proof computed from the published tiles)
 *
 * The same file runs in Node (>= 20) for the tests: it exports its functions
 * with `module.exports` there, and in a browser it attaches itself to the
 * verification page (the form `#verify-form`).
 */
(function (root, factory) {
  'use strict';
  const api = factory(root);
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else {
    root.EvidentVerify = api;
  }
  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', () => api.attach(document));
    } else {
      api.attach(document);
    }
  }
})(globalThis, function (root) {
  'use strict';

  const subtle = root.crypto && root.crypto.subtle;
  const encoder = new TextEncoder();
  const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
  const KEY_TYPE_ED25519 = 0x01;
  const MAX_SIGNATURES = 100;
  const MAX_ENTRY_BYTES = 65535;
  const U64_MAX = (1n << 64n) - 1n;

  /** A check that failed, with a message for people and a detail for experts. */
  class VerifyError extends Error {
    constructor(detail) {
      super(detail);
      this.name = 'VerifyError';
      this.detail = detail;
    }
  }

  function fail(detail) {
    throw new VerifyError(detail);
  }

  // ---- bytes, base64, hex -------------------------------------------------

  function toBytes(value) {
    if (value instanceof Uint8Array) return value;
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (typeof value === 'string') return encoder.encode(value);
    fail('expected bytes');
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function encodeBase64(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return root.btoa(binary);
  }

  /** Standard padded base64 that re-encodes to the same text, else null. */
  function decodeBase64Canonical(text) {
    if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
    let binary;
    try {
      binary = root.atob(text);
    } catch (_) {
      return null;
    }
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return encodeBase64(bytes) === text ? bytes : null;
  }

  /** A decimal without sign or leading zeroes that fits in 64 bits, else null. */
  function parseCanonicalDecimal(text) {
    if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) return null;
    const value = BigInt(text);
    return value <= U64_MAX ? value : null;
  }

  function hasControl(text) {
    for (const c of text) {
      if (c < ' ' && c !== '\n') return true;
    }
    return false;
  }

  // ---- hashing (RFC 6962) -------------------------------------------------

  async function sha256(bytes) {
    if (!subtle) fail('this browser has no WebCrypto (it needs a secure context: https or localhost)');
    return new Uint8Array(await subtle.digest('SHA-256', toBytes(bytes)));
  }

  /** SHA-256(0x00 || entry). */
  function leafHash(entry) {
    return sha256(concat(Uint8Array.of(0), toBytes(entry)));
  }

  /** SHA-256(0x01 || left || right). */
  function nodeHash(left, right) {
    return sha256(concat(Uint8Array.of(1), left, right));
  }

  function checkHash(hash, what) {
    if (!(hash instanceof Uint8Array) || hash.length !== 32) {
      fail(`${what} is not a 32-byte SHA-256 hash`);
    }
  }

  /**
   * RFC 9162 §2.1.3.2: `leaf` is the leaf at `index` of the tree of `size`
   * leaves whose root is `rootHash`. Sizes and indexes are BigInt (or
   * numbers); throws VerifyError.
   */
  async function verifyInclusion(leaf, index, size, proof, rootHash) {
    index = BigInt(index);
    size = BigInt(size);
    checkHash(leaf, 'the leaf hash');
    proof.forEach((hash, i) => checkHash(hash, `proof hash ${i + 1}`));
    if (index < 0n || index >= size) fail(`leaf index ${index} is not below tree size ${size}`);
    let node = index;
    let last = size - 1n;
    let computed = leaf;
    for (const sibling of proof) {
      if (last === 0n) fail('the inclusion proof has too many hashes');
      if ((node & 1n) === 1n || node === last) {
        computed = await nodeHash(sibling, computed);
        if ((node & 1n) === 0n) {
          while ((node & 1n) === 0n && node !== 0n) {
            node >>= 1n;
            last >>= 1n;
          }
        }
      } else {
        computed = await nodeHash(computed, sibling);
      }
      node >>= 1n;
      last >>= 1n;
    }
    if (last !== 0n) fail('the inclusion proof has too few hashes');
    if (!equalBytes(computed, rootHash)) fail('the inclusion proof does not lead to the tree root');
  }

  /**
   * RFC 9162 §2.1.4.2: the tree of `size2` leaves (root `root2`) extends the
   * tree of `size1` leaves (root `root1`). A proof from the empty tree proves
   * nothing and is refused, as the Rust implementation refuses it.
   */
  async function verifyConsistency(size1, size2, proof, root1, root2) {
    size1 = BigInt(size1);
    size2 = BigInt(size2);
    if (size1 > size2) fail(`old size ${size1} is greater than new size ${size2}`);
    if (size1 === 0n) fail('a consistency proof from the empty tree proves nothing');
    if (size1 === size2) {
      if (proof.length !== 0) fail('a consistency proof between equal sizes must be empty');
      if (!equalBytes(root1, root2)) fail('the roots differ for equal tree sizes');
      return;
    }
    if (proof.length === 0) fail('the consistency proof is empty');
    proof.forEach((hash, i) => checkHash(hash, `proof hash ${i + 1}`));
    const path = (size1 & (size1 - 1n)) === 0n ? [root1, ...proof] : proof.slice();
    let node = size1 - 1n;
    let last = size2 - 1n;
    while ((node & 1n) === 1n) {
      node >>= 1n;
      last >>= 1n;
    }
    let oldComputed = path[0];
    let newComputed = path[0];
    for (const hash of path.slice(1)) {
      if (last === 0n) fail('the consistency proof has too many hashes');
      if ((node & 1n) === 1n || node === last) {
        oldComputed = await nodeHash(hash, oldComputed);
        newComputed = await nodeHash(hash, newComputed);
        if ((node & 1n) === 0n) {
          while ((node & 1n) === 0n && node !== 0n) {
            node >>= 1n;
            last >>= 1n;
          }
        }
      } else {
        newComputed = await nodeHash(newComputed, hash);
      }
      node >>= 1n;
      last >>= 1n;
    }
    if (last !== 0n) fail('the consistency proof has too few hashes');
    if (!equalBytes(oldComputed, root1)) fail('the consistency proof does not lead to the old root');
    if (!equalBytes(newComputed, root2)) fail('the consistency proof does not lead to the new root');
  }

  // ---- tiles (c2sp.org/tlog-tiles) ----------------------------------------

  /** `N` in groups of three digits, all but the last prefixed by `x`. */
  function tileIndexPath(n) {
    let digits = BigInt(n).toString();
    while (digits.length % 3 !== 0) digits = '0' + digits;
    const groups = digits.match(/.{3}/g);
    return groups.map((group, i) => (i < groups.length - 1 ? 'x' + group : group)).join('/');
  }

  /**
   * Reads hashes of complete subtrees of the tree of `size` leaves from its
   * hash tiles. `fetchTile(path)` returns the bytes at `tile/<path>`. Nothing
   * read here is trusted on its own: callers only use these hashes in a
   * proof that is then checked against signed roots.
   */
  function tileHashReader(size, fetchTile) {
    size = BigInt(size);
    const tiles = new Map();

    async function tile(level, n, needed) {
      const count = size >> BigInt(8 * level);
      const available = count - n * 256n;
      const width = available >= 256n ? 256 : Number(available);
      if (width < needed) fail(`tile ${level}/${n} has ${width} hashes, ${needed} are needed`);
      const path = `${level}/${tileIndexPath(n)}` + (width < 256 ? `.p/${width}` : '');
      if (!tiles.has(path)) {
        tiles.set(
          path,
          (async () => {
            const bytes = toBytes(await fetchTile(path));
            if (bytes.length !== width * 32) fail(`tile ${path} holds ${bytes.length} bytes, not ${width * 32}`);
            return bytes;
          })(),
        );
      }
      return tiles.get(path);
    }

    /** The hash of the complete subtree at `level` (leaves = level 0) and `index`. */
    async function subtree(level, index) {
      const tileLevel = Math.floor(level / 8);
      const within = level % 8;
      const first = BigInt(index) << BigInt(within);
      const n = first / 256n;
      const offset = Number(first % 256n);
      const count = 1 << within;
      const bytes = await tile(tileLevel, n, offset + count);
      let hashes = [];
      for (let i = 0; i < count; i++) hashes.push(bytes.slice((offset + i) * 32, (offset + i + 1) * 32));
      while (hashes.length > 1) {
        const next = [];
        for (let i = 0; i < hashes.length; i += 2) next.push(await nodeHash(hashes[i], hashes[i + 1]));
        hashes = next;
      }
      return hashes[0];
    }

    /** MTH(D[lo:hi]) for a range that starts on a boundary the proofs use. */
    async function range(lo, hi) {
      const n = hi - lo;
      if ((n & (n - 1n)) === 0n && lo % n === 0n) {
        return subtree(n.toString(2).length - 1, lo / n);
      }
      const k = largestPowerOfTwoBelow(n);
      return nodeHash(await range(lo, lo + k), await range(lo + k, hi));
    }

    return { subtree, range };
  }

  function largestPowerOfTwoBelow(n) {
    let k = 1n;
    while (k << 1n < n) k <<= 1n;
    return k;
  }

  /** The RFC 6962 consistency proof from `size1` to the reader's tree of `size2`. */
  async function consistencyProof(size1, size2, reader) {
    size1 = BigInt(size1);
    size2 = BigInt(size2);
    async function subproof(m, lo, hi, whole) {
      const n = hi - lo;
      if (m === n) return whole ? [] : [await reader.range(lo, hi)];
      const k = largestPowerOfTwoBelow(n);
      if (m <= k) return [...(await subproof(m, lo, lo + k, whole)), await reader.range(lo + k, hi)];
      return [...(await subproof(m - k, lo + k, hi, false)), await reader.range(lo, lo + k)];
    }
    if (size1 === 0n || size1 >= size2) return [];
    return subproof(size1, 0n, size2, true);
  }

  // ---- signed notes, keys, checkpoints ------------------------------------

  function isValidKeyName(name) {
    return name.length > 0 && !/[\s+]/u.test(name) && !hasControl(name) && !/\p{Cc}/u.test(name);
  }

  /** A verifier key `name+hex(key id)+base64(0x01 || Ed25519 public key)`. */
  async function parseVerifierKey(text) {
    if (typeof text !== 'string') fail('the verifier key is missing');
    text = text.trim();
    const first = text.indexOf('+');
    const second = first < 0 ? -1 : text.indexOf('+', first + 1);
    if (first < 0 || second < 0) fail('the verifier key is not <name>+<key id>+<key>');
    const name = text.slice(0, first);
    const idHex = text.slice(first + 1, second);
    const keyBase64 = text.slice(second + 1);
    if (!isValidKeyName(name)) fail('the verifier key has no valid name');
    if (!/^[0-9a-f]{8}$/.test(idHex)) fail('the verifier key id is not 8 lowercase hex digits');
    const key = decodeBase64Canonical(keyBase64);
    if (!key || key.length === 0) fail('the verifier key is not valid base64');
    if (key[0] !== KEY_TYPE_ED25519) fail(`the verifier key has type 0x${key[0].toString(16)}, not Ed25519 (0x01)`);
    if (key.length !== 33) fail('the Ed25519 public key is not 32 bytes');
    const id = (await sha256(concat(encoder.encode(name + '\n'), key))).slice(0, 4);
    if (hex(id) !== idHex) fail('the verifier key id does not match the key');
    return { name, keyId: id, publicKey: key.slice(1), text };
  }

  /** A signed note: text ending in a newline, a blank line, signature lines. */
  function parseNote(signed) {
    if (hasControl(signed)) fail('the signed note contains a control character other than newline');
    const split = signed.lastIndexOf('\n\n');
    if (split < 0) fail('the signed note has no blank line before its signatures');
    const text = signed.slice(0, split + 1);
    let block = signed.slice(split + 2);
    if (block.length === 0) fail('the signed note has no signature lines');
    if (!block.endsWith('\n')) fail('the last signature line does not end in a newline');
    block = block.slice(0, -1);
    const signatures = [];
    for (const line of block.split('\n')) {
      if (signatures.length === MAX_SIGNATURES) fail(`the note has more than ${MAX_SIGNATURES} signatures`);
      if (!line.startsWith('\u2014 ')) fail('a signature line does not start with an em dash and a space');
      const rest = line.slice(2);
      const space = rest.indexOf(' ');
      if (space < 0) fail('a signature line has no key name and signature');
      const name = rest.slice(0, space);
      if (!isValidKeyName(name)) fail('a signature line has an invalid key name');
      const bytes = decodeBase64Canonical(rest.slice(space + 1));
      if (!bytes) fail('a signature is not valid base64');
      if (bytes.length < 5) fail('a signature is too short');
      signatures.push({ name, keyId: bytes.slice(0, 4), signature: bytes.slice(4) });
    }
    return { text, signatures };
  }

  /** A checkpoint's note text: origin, size, base64 root, extension lines. */
  function parseCheckpoint(text) {
    if (hasControl(text)) fail('the checkpoint contains a control character other than newline');
    if (!text.endsWith('\n')) fail('the checkpoint text does not end with a newline');
    const lines = text.slice(0, -1).split('\n');
    if (lines.length < 3) fail('the checkpoint needs an origin, a size and a root hash');
    if (lines.some((line) => line.length === 0)) fail('the checkpoint has an empty line');
    const size = parseCanonicalDecimal(lines[1]);
    if (size === null) fail(`the tree size ${JSON.stringify(lines[1])} is not a decimal without leading zeroes`);
    const rootHash = decodeBase64Canonical(lines[2]);
    if (!rootHash || rootHash.length !== 32) fail('the root hash is not 32 bytes of base64');
    return { origin: lines[0], size, root: rootHash, extensions: lines.slice(3) };
  }

  /**
   * Checks a signed note against a verifier key: every signature by the key
   * (same name and key id) must verify, and there must be at least one.
   * Other signatures (witnesses) are ignored.
   */
  async function verifyNote(note, key) {
    let verified = false;
    for (const signature of note.signatures) {
      if (signature.name !== key.name || !equalBytes(signature.keyId, key.keyId)) continue;
      if (signature.signature.length !== 64 || !(await ed25519Verify(key.publicKey, signature.signature, note.text))) {
        fail(`the signature by ${key.name} (${hex(key.keyId)}) does not verify`);
      }
      verified = true;
    }
    if (!verified) fail(`the note carries no signature by ${key.name} (${hex(key.keyId)})`);
  }

  async function ed25519Verify(publicKey, signature, text) {
    if (!subtle) fail('this browser has no WebCrypto (it needs a secure context: https or localhost)');
    let imported;
    try {
      imported = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    } catch (error) {
      if (error && error.name === 'NotSupportedError') {
        fail('this browser cannot check Ed25519 signatures (Chromium 137 or later, Firefox 129, Safari 17 can)');
      }
      fail('the verifier key is not a valid Ed25519 public key');
    }
    return subtle.verify({ name: 'Ed25519' }, imported, signature, encoder.encode(text));
  }

  /** Opens a signed checkpoint: signed by `key`, whose name is its origin. */
  async function openCheckpoint(signed, key) {
    const note = parseNote(signed);
    const checkpoint = parseCheckpoint(note.text);
    if (checkpoint.origin !== key.name) {
      fail(`the checkpoint's origin ${checkpoint.origin} is not the key's log ${key.name}`);
    }
    await verifyNote(note, key);
    return checkpoint;
  }

  // ---- receipts and entries -----------------------------------------------

  /** A c2sp.org/tlog-proof, parsed as strictly as `evident check-receipt` does. */
  function parseReceipt(text) {
    if (typeof text !== 'string') fail('the receipt is not text');
    if (!text.startsWith(TLOG_PROOF_HEADER + '\n')) fail(`the first line is not ${TLOG_PROOF_HEADER}`);
    let rest = text.slice(TLOG_PROOF_HEADER.length + 1);
    const nextLine = (what) => {
      const end = rest.indexOf('\n');
      if (end < 0) fail(`the receipt ends before the ${what}`);
      const line = rest.slice(0, end);
      rest = rest.slice(end + 1);
      return line;
    };
    let line = nextLine('index line');
    let extra = null;
    if (line.startsWith('extra ')) {
      extra = decodeBase64Canonical(line.slice(6));
      if (!extra) fail('the extra data is not valid base64');
      line = nextLine('index line');
    }
    const index = line.startsWith('index ') ? parseCanonicalDecimal(line.slice(6)) : null;
    if (index === null) fail('expected a line `index <N>` with a decimal index');
    const proof = [];
    for (;;) {
      const hashLine = nextLine('blank line before the checkpoint');
      if (hashLine === '') break;
      const hash = decodeBase64Canonical(hashLine);
      if (!hash || hash.length !== 32) fail(`proof line ${proof.length + 1} is not a base64 SHA-256 hash`);
      proof.push(hash);
    }
    const checkpointText = rest;
    const note = parseNote(checkpointText);
    const checkpoint = parseCheckpoint(note.text);
    return { extra, index, proof, checkpointText, note, checkpoint };
  }

  const ENTRY_KEYS = ['v', 'type', 'id', 'version', 'time', 'actor', 'record', 'inventory', 'digest', 'files', 'first', 'last'];

  /** The canonical bytes of an entry, as serde_json writes Evident's LogEntry. */
  function encodeEntry(entry) {
    const ordered = {};
    for (const key of ENTRY_KEYS) {
      if (entry[key] === undefined) continue;
      ordered[key] =
        key === 'files' && Array.isArray(entry.files)
          ? entry.files.map((file) => ({ name: file.name, sha256: file.sha256, size: file.size }))
          : entry[key];
    }
    return encoder.encode(JSON.stringify(ordered));
  }

  /**
   * Decodes a version-1 log entry (docs/log-entry.md) and requires its
   * canonical form: bytes that do not re-encode to themselves (unknown or
   * repeated keys, other spacing or key order) are refused, so an entry
   * means one thing only.
   */
  function decodeEntry(bytes) {
    if (bytes.length > MAX_ENTRY_BYTES) fail(`the entry is ${bytes.length} bytes, more than ${MAX_ENTRY_BYTES}`);
    let entry;
    try {
      entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (_) {
      fail('the entry is not UTF-8 JSON');
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail('the entry is not a JSON object');
    if (entry.v !== 1) fail(`the entry has format version ${JSON.stringify(entry.v)}; this page reads version 1`);
    for (const key of ['type', 'id', 'version', 'time', 'actor']) {
      if (typeof entry[key] !== 'string') fail(`the entry's ${key} is missing`);
    }
    if (entry.type === 'item.add') {
      if (!Array.isArray(entry.files) || entry.files.length === 0) fail('the item entry lists no files');
      for (const file of entry.files) {
        if (
          typeof file !== 'object' ||
          file === null ||
          typeof file.name !== 'string' ||
          typeof file.sha256 !== 'string' ||
          !/^[0-9a-f]{64}$/.test(file.sha256) ||
          !Number.isSafeInteger(file.size) ||
          file.size < 0
        ) {
          fail('a file in the entry is not {name, sha256, size}');
        }
      }
    }
    if (!equalBytes(encodeEntry(entry), bytes)) fail('the entry is not in canonical form');
    return entry;
  }

  // ---- the whole check ----------------------------------------------------

  /**
   * Checks a receipt. `options`:
   *   receipt     the receipt text (required)
   *   key         the verifier key text (required)
   *   file        the file's bytes (optional: without it only the receipt is checked)
   *   fetchCheckpoint()  the log's current signed checkpoint text (optional)
   *   fetchTile(path)    the bytes at tile/<path> (optional; for the consistency check)
   * Returns `{ ok, checks, receipt, entry, checkpoint }`, where each check is
   * `{ id, status: 'pass'|'fail'|'skip'|'info', message: key, params, detail }`.
   * `ok` is true when no check failed and the signature and inclusion passed.
   */
  async function verifyReceipt(options) {
    const checks = [];
    const add = (id, status, message, params = {}, detail) => {
      checks.push({ id, status, message, params, detail: detail || '' });
    };
    const result = { ok: false, checks, receipt: null, entry: null, checkpoint: null, sha256: null };

    let receipt = null;
    try {
      receipt = parseReceipt(options.receipt);
      result.receipt = receipt;
      add('receipt', 'pass', 'receipt.pass', { index: receipt.index.toString(), size: receipt.checkpoint.size.toString() });
    } catch (error) {
      add('receipt', 'fail', 'receipt.fail', {}, detailOf(error));
    }

    let key = null;
    try {
      key = await parseVerifierKey(options.key);
      add('key', 'pass', 'key.pass', { key: key.text });
    } catch (error) {
      add('key', 'fail', 'key.fail', {}, detailOf(error));
    }

    let signed = false;
    if (receipt && key) {
      try {
        if (receipt.checkpoint.origin !== key.name) {
          fail(`the checkpoint's origin ${receipt.checkpoint.origin} is not the key's log ${key.name}`);
        }
        await verifyNote(receipt.note, key);
        signed = true;
        result.checkpoint = receipt.checkpoint;
        add('signature', 'pass', 'signature.pass', {
          origin: receipt.checkpoint.origin,
          size: receipt.checkpoint.size.toString(),
        });
      } catch (error) {
        add('signature', 'fail', 'signature.fail', {}, detailOf(error));
      }
    } else {
      add('signature', 'skip', 'signature.skip');
    }

    let entry = null;
    if (receipt && receipt.extra) {
      try {
        entry = decodeEntry(receipt.extra);
        result.entry = entry;
        add('entry', 'pass', 'entry.pass', {
          id: entry.id,
          type: entry.type,
          time: entry.time,
          actor: entry.actor,
          files: (entry.files || []).map((f) => `${f.name} (${f.size})`).join(', '),
        });
      } catch (error) {
        add('entry', 'fail', 'entry.fail', {}, detailOf(error));
      }
    } else if (receipt) {
      add('entry', 'fail', 'entry.missing');
    } else {
      add('entry', 'skip', 'entry.skip');
    }

    if (options.file === undefined || options.file === null) {
      add('file', 'skip', 'file.none');
    } else {
      const bytes = toBytes(options.file);
      const digest = hex(await sha256(bytes));
      result.sha256 = digest;
      const params = { sha256: digest, size: String(bytes.length) };
      if (!entry) {
        add('file', 'skip', 'file.no_entry', params);
      } else if (entry.type !== 'item.add') {
        add('file', 'fail', 'file.not_item', params);
      } else if (entry.files.some((f) => f.sha256 === digest && f.size === bytes.length)) {
        add('file', 'pass', 'file.pass', params);
      } else {
        add('file', 'fail', 'file.fail', {
          ...params,
          expected: entry.files.map((f) => f.sha256).join(', '),
        });
      }
    }

    let included = false;
    if (receipt && receipt.extra) {
      try {
        await verifyInclusion(await leafHash(receipt.extra), receipt.index, receipt.checkpoint.size, receipt.proof, receipt.checkpoint.root);
        included = true;
        add('inclusion', 'pass', 'inclusion.pass', {
          index: receipt.index.toString(),
          size: receipt.checkpoint.size.toString(),
        });
      } catch (error) {
        add('inclusion', 'fail', 'inclusion.fail', {}, detailOf(error));
      }
    } else {
      add('inclusion', 'skip', 'inclusion.skip');
    }

    if (signed && included && options.fetchCheckpoint) {
      await checkCurrent(options, receipt, key, add);
    } else if (options.fetchCheckpoint) {
      add('current', 'skip', 'current.skip');
    }

    result.ok = signed && included && !checks.some((check) => check.status === 'fail');
    return result;
  }

  /** Compares the receipt's checkpoint with the log's current one. */
  async function checkCurrent(options, receipt, key, add) {
    let current;
    try {
      current = await openCheckpoint(await options.fetchCheckpoint(), key);
    } catch (error) {
      add('current', 'fail', 'current.unavailable', {}, detailOf(error));
      return;
    }
    const mine = receipt.checkpoint;
    const params = { size: mine.size.toString(), current: current.size.toString() };
    if (current.size === mine.size) {
      if (equalBytes(current.root, mine.root)) {
        add('current', 'pass', 'current.same', params);
      } else {
        add('current', 'fail', 'current.fork', params, 'same tree size, different root hash');
      }
      return;
    }
    if (current.size < mine.size) {
      add('current', 'fail', 'current.behind', params);
      return;
    }
    add('current', 'info', 'current.older', params);
    if (!options.fetchTile) return;
    try {
      const reader = tileHashReader(current.size, options.fetchTile);
      const proof = await consistencyProof(mine.size, current.size, reader);
      await verifyConsistency(mine.size, current.size, proof, mine.root, current.root);
      add('consistency', 'pass', 'consistency.pass', params);
    } catch (error) {
      add('consistency', 'fail', 'consistency.fail', params, detailOf(error));
    }
  }

  function detailOf(error) {
    if (error instanceof VerifyError) return error.detail;
    return error && error.message ? error.message : String(error);
  }

  // ---- messages -----------------------------------------------------------

  /** English messages; the page supplies the catalogue of its language. */
  const MESSAGES = {
    'receipt.pass': 'The receipt is a well-formed c2sp.org/tlog-proof for entry {index} of a log of {size} entries.',
    'receipt.fail': 'This is not a usable receipt. A receipt is the text file an item page offers as "receipt".',
    'key.pass': 'The log\'s published verifier key is well formed: {key}.',
    'key.fail': 'The verifier key is not usable, so no signature can be checked.',
    'signature.pass': 'The checkpoint (log {origin}, {size} entries) is signed by the archive\'s published key.',
    'signature.fail': 'The checkpoint is not signed by the archive\'s published key: the receipt was altered, or it comes from another log.',
    'signature.skip': 'The signature was not checked, because the receipt or the key is unusable.',
    'entry.pass': 'The log entry records {type} {id} at {time} by {actor}; files: {files}.',
    'entry.fail': 'The log entry inside the receipt is damaged or not in Evident\'s format.',
    'entry.missing': 'The receipt carries no log entry (no extra line), so it cannot say which file it is for.',
    'entry.skip': 'The log entry was not read, because the receipt is unusable.',
    'file.none': 'No file was given: only the receipt was checked. Add the file to check that it is the one recorded.',
    'file.no_entry': 'Your file\'s SHA-256 is {sha256} ({size} bytes); it could not be compared, because the receipt\'s entry is unusable.',
    'file.not_item': 'This receipt is for a log entry that records no file, so your file cannot match it.',
    'file.pass': 'Your file (SHA-256 {sha256}, {size} bytes) is exactly the file the log recorded.',
    'file.fail': 'Your file (SHA-256 {sha256}, {size} bytes) is not the file this receipt is for (recorded: {expected}). Even one changed byte changes the hash.',
    'inclusion.pass': 'The inclusion proof leads from the entry to the signed root: it is entry {index} of the log of {size} entries.',
    'inclusion.fail': 'The inclusion proof does not lead from the entry to the signed root: the entry, the index or the proof was altered.',
    'inclusion.skip': 'The inclusion proof was not checked, because the receipt is unusable.',
    'current.same': 'The receipt\'s checkpoint is the log\'s current checkpoint.',
    'current.older': 'The log has grown since this receipt was made ({size} entries then, {current} now). An older checkpoint stays valid.',
    'current.fork': 'The log\'s current checkpoint has the same size as the receipt\'s but a different root: the log was rewritten. Keep this receipt and report it.',
    'current.behind': 'The log\'s current checkpoint ({current} entries) is older than the receipt\'s ({size}): the server is showing a log that went backwards.',
    'current.unavailable': 'The log\'s current checkpoint could not be fetched or is not signed by the published key.',
    'current.skip': 'The current checkpoint was not compared, because the receipt did not verify.',
    'consistency.pass': 'The current log contains the receipt\'s log unchanged: a consistency proof from {size} to {current} entries, computed from the published tiles, verifies against both signed roots.',
    'consistency.fail': 'The current log does not contain the receipt\'s log unchanged, or its tiles could not be read: the log may have been rewritten.',
    'verdict.pass': 'Verified: every check passed.',
    'verdict.pass_receipt': 'The receipt is genuine. Add the file to check that it is the one recorded.',
    'verdict.fail': 'Not verified: at least one check failed (see below).',
    'status.pass': 'passed',
    'status.fail': 'failed',
    'status.skip': 'not checked',
    'status.info': 'note',
    'check.receipt': 'Receipt',
    'check.key': 'Verifier key',
    'check.signature': 'Signature',
    'check.entry': 'Log entry',
    'check.file': 'File',
    'check.inclusion': 'Inclusion proof',
    'check.current': 'Current checkpoint',
    'check.consistency': 'Log history',
    'input.need_receipt': 'Add a receipt (the .txt file an item page offers), and optionally the file it is for.',
    'input.file_only': 'Your file\'s SHA-256 is {sha256}. Add its receipt to check it.',
    'input.working': 'Checking…',
  };

  function format(template, params) {
    return template.replace(/\{(\w+)\}/g, (whole, name) => (params && params[name] !== undefined ? String(params[name]) : whole));
  }

  /** The text of a message key in a catalogue (falling back to English). */
  function message(catalogue, key, params) {
    const template = (catalogue && catalogue[key]) || MESSAGES[key] || key;
    return format(template, params);
  }

  // ---- the page -----------------------------------------------------------

  const RECEIPT_PREFIX = encoder.encode(TLOG_PROOF_HEADER + '\n');

  function looksLikeReceipt(bytes) {
    return bytes.length >= RECEIPT_PREFIX.length && equalBytes(bytes.slice(0, RECEIPT_PREFIX.length), RECEIPT_PREFIX);
  }

  /**
   * Wires up the verification page: `#verify-form` (with `data-key`,
   * `data-checkpoint`, `data-tiles`), the inputs `#verify-receipt`,
   * `#verify-file`, the drop zone `#verify-drop`, the results list
   * `#verify-results` and the verdict `#verify-verdict`. Messages come from
   * the JSON in `#verify-messages` (the page's language). Nothing is sent
   * anywhere: the only requests are for the public checkpoint and tiles.
   */
  function attach(doc) {
    const form = doc.getElementById('verify-form');
    if (!form) return;
    let catalogue = {};
    const messages = doc.getElementById('verify-messages');
    if (messages) {
      try {
        catalogue = JSON.parse(messages.textContent);
      } catch (_) {
        catalogue = {};
      }
    }
    const receiptInput = doc.getElementById('verify-receipt');
    const fileInput = doc.getElementById('verify-file');
    const drop = doc.getElementById('verify-drop');
    const results = doc.getElementById('verify-results');
    const verdict = doc.getElementById('verify-verdict');
    const dropped = { receipt: null, file: null };
    const inputs = { receipt: receiptInput, file: fileInput };

    // A dropped file goes into its input too, so the page shows what will be checked.
    const show = (slot, file, fromInput) => {
      dropped[slot] = file;
      const input = inputs[slot];
      if (!input || fromInput) return;
      try {
        const transfer = new DataTransfer();
        if (file) transfer.items.add(file);
        input.files = transfer.files;
      } catch (_) {
        // An older browser cannot set an input's files; the check still uses the dropped file.
      }
    };

    const sortFiles = async (files) => {
      for (const file of files) {
        const head = new Uint8Array(await file.slice(0, RECEIPT_PREFIX.length).arrayBuffer());
        show(looksLikeReceipt(head) ? 'receipt' : 'file', file, false);
      }
    };

    if (receiptInput) receiptInput.addEventListener('change', () => show('receipt', receiptInput.files[0] || null, true));
    if (fileInput) fileInput.addEventListener('change', () => show('file', fileInput.files[0] || null, true));
    if (drop) {
      drop.addEventListener('dragover', (event) => {
        event.preventDefault();
        drop.classList.add('over');
      });
      drop.addEventListener('dragleave', () => drop.classList.remove('over'));
      drop.addEventListener('drop', (event) => {
        event.preventDefault();
        drop.classList.remove('over');
        sortFiles(Array.from(event.dataTransfer.files)).then(run);
      });
    }

    const render = (outcome) => {
      results.replaceChildren();
      for (const check of outcome.checks) {
        const item = doc.createElement('li');
        item.className = `check check-${check.status}`;
        item.dataset.check = check.id;
        item.dataset.status = check.status;
        const head = doc.createElement('strong');
        head.textContent = `${message(catalogue, 'check.' + check.id)}: ${message(catalogue, 'status.' + check.status)}`;
        const text = doc.createElement('p');
        text.textContent = message(catalogue, check.message, check.params);
        item.append(head, text);
        if (check.detail) {
          const detail = doc.createElement('code');
          detail.textContent = check.detail;
          item.append(detail);
        }
        results.append(item);
      }
      const hasFile = outcome.checks.some((check) => check.id === 'file' && check.status === 'pass');
      const key = outcome.ok ? (hasFile ? 'verdict.pass' : 'verdict.pass_receipt') : 'verdict.fail';
      verdict.textContent = message(catalogue, key);
      verdict.dataset.ok = String(outcome.ok);
    };

    const run = async () => {
      results.replaceChildren();
      verdict.dataset.ok = '';
      if (!dropped.receipt) {
        if (dropped.file) {
          const digest = hex(await sha256(new Uint8Array(await dropped.file.arrayBuffer())));
          verdict.textContent = message(catalogue, 'input.file_only', { sha256: digest });
        } else {
          verdict.textContent = message(catalogue, 'input.need_receipt');
        }
        return;
      }
      verdict.textContent = message(catalogue, 'input.working');
      const base = form.dataset.tiles || '/tile/';
      try {
        const outcome = await verifyReceipt({
          receipt: await dropped.receipt.text(),
          key: form.dataset.key,
          file: dropped.file ? new Uint8Array(await dropped.file.arrayBuffer()) : null,
          fetchCheckpoint: async () => {
            const response = await root.fetch(form.dataset.checkpoint || '/checkpoint', { cache: 'no-store' });
            if (!response.ok) throw new VerifyError(`GET /checkpoint answered ${response.status}`);
            return response.text();
          },
          fetchTile: async (path) => {
            const response = await root.fetch(base + path);
            if (!response.ok) throw new VerifyError(`GET ${base}${path} answered ${response.status}`);
            return new Uint8Array(await response.arrayBuffer());
          },
        });
        render(outcome);
      } catch (error) {
        verdict.textContent = `${message(catalogue, 'verdict.fail')} ${detailOf(error)}`;
        verdict.dataset.ok = 'false';
      }
    };

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run();
    });
    form.addEventListener('reset', () => {
      dropped.receipt = null;
      dropped.file = null;
      results.replaceChildren();
      verdict.textContent = '';
    });
  }

  return {
    MESSAGES,
    VerifyError,
    attach,
    consistencyProof,
    decodeBase64Canonical,
    decodeEntry,
    encodeBase64,
    hex,
    leafHash,
    message,
    nodeHash,
    openCheckpoint,
    parseCheckpoint,
    parseNote,
    parseReceipt,
    parseVerifierKey,
    sha256,
    tileHashReader,
    tileIndexPath,
    verifyConsistency,
    verifyInclusion,
    verifyNote,
    verifyReceipt,
  };
});
