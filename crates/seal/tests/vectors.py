# Independent reference implementation of docs/sealing.md (written from the document, not
# from the Rust code): prints the test vectors that vectors.rs and the unit tests check.
# Needs Python 3 and the `cryptography` package (ChaCha20-Poly1305; HChaCha20 is below).
# Run: python3 crates/seal/tests/vectors.py
import hashlib, struct, base64
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))
def qr(s, a, b, c, d):
    s[a]=(s[a]+s[b])&0xffffffff; s[d]^=s[a]; s[d]=rotl(s[d],16)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]^=s[c]; s[b]=rotl(s[b],12)
    s[a]=(s[a]+s[b])&0xffffffff; s[d]^=s[a]; s[d]=rotl(s[d],8)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]^=s[c]; s[b]=rotl(s[b],7)
def hchacha20(key, nonce16):
    s = list(struct.unpack('<4I', b'expand 32-byte k')) + list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', nonce16))
    for _ in range(10):
        qr(s,0,4,8,12); qr(s,1,5,9,13); qr(s,2,6,10,14); qr(s,3,7,11,15)
        qr(s,0,5,10,15); qr(s,1,6,11,12); qr(s,2,7,8,13); qr(s,3,4,9,14)
    return struct.pack('<8I', *(s[0:4] + s[12:16]))
def xseal(key, nonce24, aad, pt):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b'\0\0\0\0' + nonce24[16:], pt, aad)
def l16(b): return struct.pack('>H', len(b)) + b

rng = lambda a, n: bytes(range(a, a + n))
KEK = rng(0x00, 32); DK = rng(0x20, 32)
ARCHIVE = b'archive.example.org/evident'
ITEM = b'itm_01jdx4m6q8c1v7yb2k9e3r5t0a'
REC = b'per_01m8nc7ppa0ab4phx04gx7dp93'

check = hashlib.sha256(b'evident-seal/1 kek-check\0' + l16(ARCHIVE) + KEK).digest()
print('kek check', check.hex()); print('key id', check[:8].hex())
print('kek file b64', base64.b64encode(KEK).decode())

head = b'evsealW\x01' + check[:8]; nonce = rng(0x40, 24)
ct = xseal(KEK, nonce, head + l16(ITEM), DK)
wrapped = head + nonce + ct
print('wrapped', len(wrapped), wrapped.hex())

value = 'Canary 金丝雀 كانارىيە'.encode()
head = b'evsealF\x01'; nonce = rng(0x60, 24)
box = head + nonce + xseal(DK, nonce, head + l16(REC) + l16(b'name'), value)
print('field box', len(box), box.hex())

SALT = rng(0xa0, 32)
head = b'evsealC\x01'; nonce = rng(0x78, 24)
sbox = head + nonce + xseal(DK, nonce, head + l16(ITEM) + l16(b'file.txt'), SALT)
print('salt box', len(sbox), sbox.hex())

def stream(key, obj, prefix, pt):
    h = b'evsealS\x01' + prefix
    h += hashlib.sha256(b'evident-seal/1 stream-key\0' + key + h + l16(obj)).digest()
    aad = h + l16(obj); out = bytearray(h)
    C = 65536
    chunks = [pt[i:i+C] for i in range(0, len(pt), C)] or [b'']
    for i, c in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        n = prefix + i.to_bytes(7, 'big') + bytes([last])
        out += xseal(key, n, aad, c)
    return bytes(out)
s = stream(DK, ITEM, rng(0x80, 16), b'hello, witness')
print('stream short', len(s), s.hex())
s2 = stream(DK, ITEM, rng(0x80, 16), b'a' * 65537)
print('stream 65537 a', len(s2), hashlib.sha256(s2).hexdigest())
s3 = stream(DK, ITEM, rng(0x80, 16), b'')
print('stream empty', len(s3), s3.hex())

def commit(salt, obj, part, content):
    return hashlib.sha256(b'evident-seal/1 commitment\0' + salt + l16(obj) + l16(part) + struct.pack('>Q', len(content)) + hashlib.sha256(content).digest()).hexdigest()
print('commit file', commit(SALT, ITEM, b'file.txt', b'hello, witness'))
print('commit field', commit(SALT, REC, b'name', value))
print('commit empty', commit(bytes(32), ITEM, b'file', b''))
print('sha256 hello', hashlib.sha256(b'hello, witness').hexdigest())
