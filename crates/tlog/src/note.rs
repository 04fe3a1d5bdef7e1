//! Signed notes (c2sp.org/signed-note) with Ed25519 keys, and Ed25519
//! witness cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`).

use std::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::checkpoint::Checkpoint;
use crate::{TlogError, decode_base64_canonical, encode_base64, malformed};

/// Signature type byte of plain Ed25519 note signatures.
pub const KEY_TYPE_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 cosignatures (`cosignature/v1`).
pub const KEY_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Prefix of every signature line: em dash (U+2014) and a space.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";

/// Upper bound on signatures per note. The spec requires accepting at least
/// 16; the bound keeps a hostile note from costing unbounded work.
const MAX_SIGNATURES: usize = 100;

/// Prefix of a private key string, as written by Go's `note.GenerateKey`.
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Largest cosignature timestamp the spec allows (2^63 − 1).
const MAX_COSIGNATURE_TIME: u64 = i64::MAX as u64;

/// Whether `name` is a valid key name: non-empty, no Unicode white space, no
/// `+`. Control characters are refused too, since a note may not hold them.
fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

fn check_key_name(name: &str) -> Result<(), TlogError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(malformed(
            "key name",
            format!("{name:?} must be non-empty and contain no spaces, '+' or control characters"),
        ))
    }
}

/// `SHA-256(name || 0x0A || type || public key)[:4]`.
fn key_id(name: &str, key_type: u8, public_key: &[u8]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n']);
    hasher.update([key_type]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Checks the character rules every note text obeys: ends in a newline, and
/// no ASCII control characters other than newline.
fn check_note_text(what: &'static str, text: &str) -> Result<(), TlogError> {
    if !text.ends_with('\n') {
        return Err(malformed(what, "text must end with a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(malformed(what, "text contains a control character other than newline"));
    }
    Ok(())
}

/// The message an Ed25519 `cosignature/v1` signs.
fn cosigned_message(timestamp: u64, checkpoint_text: &str) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}").into_bytes()
}

/// An Ed25519 signing key with its name: signs notes (key type 0x01) and
/// cosigns checkpoints (key type 0x04).
///
/// `Debug` shows the name and key id only; the seed never leaves this type
/// except through [`NoteSigner::to_private_key_string`].
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    signing_key: SigningKey,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id()))
            .field("seed", &"<redacted>")
            .finish()
    }
}

impl NoteSigner {
    /// A new key with a random seed from the operating system.
    pub fn generate(name: &str) -> Result<NoteSigner, TlogError> {
        check_key_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|error| TlogError::Signature(format!("cannot get randomness for a new key: {error}")))?;
        NoteSigner::from_seed(name, seed)
    }

    /// The key derived from a 32-byte Ed25519 seed (RFC 8032).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<NoteSigner, TlogError> {
        check_key_name(name)?;
        Ok(NoteSigner { name: name.to_owned(), signing_key: SigningKey::from_bytes(&seed) })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id of the Ed25519 (type 0x01) key.
    pub fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, KEY_TYPE_ED25519, self.signing_key.verifying_key().as_bytes())
    }

    /// The verifier for notes signed by [`NoteSigner::sign`].
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier::new(&self.name, KEY_TYPE_ED25519, self.signing_key.verifying_key())
    }

    /// The verifier for cosignatures made by [`NoteSigner::cosign`] (key type
    /// 0x04, so a different key id from [`NoteSigner::verifier`]).
    pub fn cosignature_verifier(&self) -> NoteVerifier {
        NoteVerifier::new(&self.name, KEY_TYPE_COSIGNATURE_V1, self.signing_key.verifying_key())
    }

    /// The private key in the text form of Go's `note.GenerateKey`:
    /// `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`. This is a
    /// secret.
    pub fn to_private_key_string(&self) -> String {
        let mut key = Vec::with_capacity(33);
        key.push(KEY_TYPE_ED25519);
        key.extend_from_slice(self.signing_key.as_bytes());
        format!("{PRIVATE_KEY_PREFIX}{}+{}+{}", self.name, hex::encode(self.key_id()), encode_base64(&key))
    }

    /// Parses a private key string written by
    /// [`NoteSigner::to_private_key_string`] or Go's `note.GenerateKey`. A
    /// trailing newline is ignored. Error messages never include the key.
    pub fn parse_private_key(text: &str) -> Result<NoteSigner, TlogError> {
        const WHAT: &str = "private key";
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        let rest =
            text.strip_prefix(PRIVATE_KEY_PREFIX).ok_or_else(|| malformed(WHAT, "does not start with PRIVATE+KEY+"))?;
        let parts: Vec<&str> = rest.splitn(3, '+').collect();
        let [name, id_hex, key_base64] = parts[..] else {
            return Err(malformed(WHAT, "expected PRIVATE+KEY+<name>+<key id>+<key>"));
        };
        check_key_name(name)?;
        let id = parse_key_id_hex(WHAT, id_hex)?;
        let key = decode_base64_canonical(key_base64).ok_or_else(|| malformed(WHAT, "key is not valid base64"))?;
        let Some((&KEY_TYPE_ED25519, seed)) = key.split_first() else {
            return Err(malformed(WHAT, "not an Ed25519 key (type 0x01)"));
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| malformed(WHAT, "Ed25519 seed must be 32 bytes"))?;
        let signer = NoteSigner::from_seed(name, seed)?;
        if signer.key_id() != id {
            return Err(malformed(WHAT, "key id does not match the key"));
        }
        Ok(signer)
    }

    /// Signs a note text (which must end in a newline and hold no control
    /// characters other than newline). Returns the whole signed note: the
    /// text, a blank line and this key's signature line.
    pub fn sign(&self, text: &str) -> Result<String, TlogError> {
        check_note_text("note", text)?;
        let signature = self.signing_key.sign(text.as_bytes());
        let mut bytes = Vec::with_capacity(68);
        bytes.extend_from_slice(&self.key_id());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!("{text}\n{SIGNATURE_LINE_PREFIX}{} {}\n", self.name, encode_base64(&bytes)))
    }

    /// A `cosignature/v1` signature line (key type 0x04) over a checkpoint
    /// note text, made at `timestamp` (POSIX seconds). Returns the line
    /// `— <name> <base64>\n`, to be appended to the signed checkpoint.
    pub fn cosign(&self, checkpoint_text: &str, timestamp: u64) -> Result<String, TlogError> {
        Checkpoint::parse(checkpoint_text)?;
        if timestamp > MAX_COSIGNATURE_TIME {
            return Err(TlogError::Signature(format!("cosignature timestamp {timestamp} exceeds 2^63-1")));
        }
        let signature = self.signing_key.sign(&cosigned_message(timestamp, checkpoint_text));
        let mut bytes = Vec::with_capacity(76);
        bytes.extend_from_slice(&self.cosignature_verifier().key_id);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!("{SIGNATURE_LINE_PREFIX}{} {}\n", self.name, encode_base64(&bytes)))
    }
}

fn parse_key_id_hex(what: &'static str, text: &str) -> Result<[u8; 4], TlogError> {
    if text.len() != 8 {
        return Err(malformed(what, "key id must be 8 hex digits"));
    }
    let bytes = hex::decode(text).map_err(|_| malformed(what, "key id must be 8 hex digits"))?;
    bytes.try_into().map_err(|_| malformed(what, "key id must be 8 hex digits"))
}

/// A public key that verifies note signatures: a name, a key id, a key type
/// (Ed25519 [`KEY_TYPE_ED25519`] or cosignature [`KEY_TYPE_COSIGNATURE_V1`])
/// and an Ed25519 public key.
///
/// Its text form (`Display`, [`NoteVerifier::parse`]) is the vkey
/// `name+hex(key id)+base64(type || public key)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: [u8; 4],
    key_type: u8,
    public_key: VerifyingKey,
}

impl NoteVerifier {
    fn new(name: &str, key_type: u8, public_key: VerifyingKey) -> NoteVerifier {
        NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, key_type, public_key.as_bytes()),
            key_type,
            public_key,
        }
    }

    /// Parses a verifier key `name+hex(key id)+base64(type || public key)`;
    /// the key id must match the name and key. Types 0x01 and 0x04 are
    /// supported.
    pub fn parse(vkey: &str) -> Result<NoteVerifier, TlogError> {
        const WHAT: &str = "verifier key";
        let parts: Vec<&str> = vkey.splitn(3, '+').collect();
        let [name, id_hex, key_base64] = parts[..] else {
            return Err(malformed(WHAT, "expected <name>+<key id>+<key>"));
        };
        check_key_name(name)?;
        let id = parse_key_id_hex(WHAT, id_hex)?;
        let key = decode_base64_canonical(key_base64).ok_or_else(|| malformed(WHAT, "key is not valid base64"))?;
        let Some((&key_type, public_key)) = key.split_first() else {
            return Err(malformed(WHAT, "key is empty"));
        };
        if key_type != KEY_TYPE_ED25519 && key_type != KEY_TYPE_COSIGNATURE_V1 {
            return Err(malformed(WHAT, format!("unsupported key type 0x{key_type:02x}")));
        }
        let public_key: [u8; 32] =
            public_key.try_into().map_err(|_| malformed(WHAT, "Ed25519 public key must be 32 bytes"))?;
        let public_key =
            VerifyingKey::from_bytes(&public_key).map_err(|_| malformed(WHAT, "not a valid Ed25519 public key"))?;
        let verifier = NoteVerifier::new(name, key_type, public_key);
        if verifier.key_id != id {
            return Err(malformed(WHAT, "key id does not match the key"));
        }
        Ok(verifier)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id: `SHA-256(name || 0x0A || type || public key)[:4]`.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The signature type byte: [`KEY_TYPE_ED25519`] or
    /// [`KEY_TYPE_COSIGNATURE_V1`].
    pub fn key_type(&self) -> u8 {
        self.key_type
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key.to_bytes()
    }

    /// Checks `signature` (the bytes after the key id) over `text`.
    fn verify(&self, text: &str, signature: &[u8]) -> bool {
        match self.key_type {
            KEY_TYPE_ED25519 => {
                let Ok(signature) = Signature::from_slice(signature) else {
                    return false;
                };
                self.public_key.verify_strict(text.as_bytes(), &signature).is_ok()
            }
            KEY_TYPE_COSIGNATURE_V1 => {
                let Some((timestamp, signature)) = signature.split_first_chunk::<8>() else {
                    return false;
                };
                let timestamp = u64::from_be_bytes(*timestamp);
                if timestamp > MAX_COSIGNATURE_TIME {
                    return false;
                }
                let Ok(signature) = Signature::from_slice(signature) else {
                    return false;
                };
                self.public_key.verify_strict(&cosigned_message(timestamp, text), &signature).is_ok()
            }
            _ => false,
        }
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut key = Vec::with_capacity(33);
        key.push(self.key_type);
        key.extend_from_slice(self.public_key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex::encode(self.key_id), encode_base64(&key))
    }
}

/// One signature line of a signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id (first four bytes of the decoded signature).
    pub key_id: [u8; 4],
    /// The signature bytes after the key id. For a cosignature this is the
    /// big-endian timestamp followed by the Ed25519 signature.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// For a cosignature (`cosignature/v1`) line, the timestamp it carries.
    /// Only meaningful once the signature has been verified with a
    /// cosignature verifier.
    pub fn cosignature_timestamp(&self) -> Option<u64> {
        let (timestamp, rest) = self.signature.split_first_chunk::<8>()?;
        (rest.len() == 64).then(|| u64::from_be_bytes(*timestamp))
    }

    fn to_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(&self.signature);
        format!("{SIGNATURE_LINE_PREFIX}{} {}\n", self.name, encode_base64(&bytes))
    }
}

/// A parsed signed note: its text (ending in a newline) and its signatures.
/// Parsing checks the format only; [`Note::verify`] checks signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note strictly per c2sp.org/signed-note: a text ending
    /// in a newline, a blank line, then one or more signature lines
    /// `— <name> <base64(key id || signature)>`, each ending in a newline;
    /// no control characters other than newline anywhere.
    pub fn parse(signed: &str) -> Result<Note, TlogError> {
        const WHAT: &str = "signed note";
        if signed.chars().any(|c| c < ' ' && c != '\n') {
            return Err(malformed(WHAT, "contains a control character other than newline"));
        }
        // The text is separated from the signatures by the last blank line.
        let split = signed.rfind("\n\n").ok_or_else(|| malformed(WHAT, "no blank line before the signatures"))?;
        let text = &signed[..split + 1];
        let signature_block = &signed[split + 2..];
        if signature_block.is_empty() {
            return Err(malformed(WHAT, "no signature lines"));
        }
        let Some(signature_block) = signature_block.strip_suffix('\n') else {
            return Err(malformed(WHAT, "last signature line does not end in a newline"));
        };
        let mut signatures = Vec::new();
        for line in signature_block.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(malformed(WHAT, format!("more than {MAX_SIGNATURES} signatures")));
            }
            signatures.push(parse_signature_line(line)?);
        }
        Ok(Note { text: text.to_owned(), signatures })
    }

    /// The signed note in its text form: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.text);
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
        }
        out
    }

    /// Verifies the signatures made by the given keys.
    ///
    /// A signature is by a known key when both its name and key id match a
    /// verifier; other signatures are ignored. Every signature by a known key
    /// must verify, else [`TlogError::Signature`]; at least one must be
    /// present, else `Signature("no signature by a known key")`. Returns the
    /// names of the keys that verified, in signature order, without
    /// duplicates.
    pub fn verify(&self, verifiers: &[NoteVerifier]) -> Result<Vec<String>, TlogError> {
        let mut verified: Vec<String> = Vec::new();
        for signature in &self.signatures {
            let Some(verifier) = verifiers.iter().find(|v| v.name == signature.name && v.key_id == signature.key_id)
            else {
                continue;
            };
            if !verifier.verify(&self.text, &signature.signature) {
                return Err(TlogError::Signature(format!(
                    "signature by {} ({}) does not verify",
                    verifier.name,
                    hex::encode(verifier.key_id)
                )));
            }
            if !verified.contains(&verifier.name) {
                verified.push(verifier.name.clone());
            }
        }
        if verified.is_empty() {
            return Err(TlogError::Signature("no signature by a known key".into()));
        }
        Ok(verified)
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, TlogError> {
    const WHAT: &str = "signature line";
    let rest = line
        .strip_prefix(SIGNATURE_LINE_PREFIX)
        .ok_or_else(|| malformed(WHAT, "does not start with an em dash and a space"))?;
    let (name, signature_base64) =
        rest.split_once(' ').ok_or_else(|| malformed(WHAT, "expected a key name and a signature"))?;
    check_key_name(name)?;
    let bytes =
        decode_base64_canonical(signature_base64).ok_or_else(|| malformed(WHAT, "signature is not valid base64"))?;
    if bytes.len() < 5 {
        return Err(malformed(WHAT, "signature is too short"));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: [bytes[0], bytes[1], bytes[2], bytes[3]],
        signature: bytes[4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::from_seed("example.com/key", [9; 32]).unwrap()
    }

    #[test]
    fn key_names_are_validated() {
        for bad in ["", "a b", "a+b", "a\tb", "a\u{a0}b", "a\u{2003}b", "a\nb"] {
            assert!(NoteSigner::from_seed(bad, [0; 32]).is_err(), "{bad:?}");
            assert!(NoteSigner::generate(bad).is_err(), "{bad:?}");
        }
        assert!(NoteSigner::from_seed("é.example/ok", [0; 32]).is_ok());
    }

    #[test]
    fn generated_keys_differ_and_round_trip() {
        let a = NoteSigner::generate("a.example").unwrap();
        let b = NoteSigner::generate("a.example").unwrap();
        assert_ne!(a.verifier(), b.verifier());
        let parsed = NoteSigner::parse_private_key(&a.to_private_key_string()).unwrap();
        assert_eq!(parsed.verifier(), a.verifier());
    }

    #[test]
    fn debug_output_hides_the_seed() {
        let signer = signer();
        let debug = format!("{signer:?}");
        assert!(debug.contains("redacted"));
        let private = signer.to_private_key_string();
        let secret = private.rsplit('+').next().unwrap();
        assert!(!debug.contains(secret));
        assert!(!debug.contains(&hex::encode([9u8; 32])));
    }

    #[test]
    fn private_keys_parse_strictly() {
        let text = signer().to_private_key_string();
        assert!(NoteSigner::parse_private_key(&format!("{text}\n")).is_ok());
        let good_id = hex::encode(signer().key_id());
        let wrong_id = text.replace(&good_id, "00000000");
        assert!(NoteSigner::parse_private_key(&wrong_id).is_err());
        assert!(NoteSigner::parse_private_key(&text.replacen("PRIVATE", "PUBLIC", 1)).is_err());
        assert!(NoteSigner::parse_private_key(&format!("{text}+")).is_err());
        assert!(NoteSigner::parse_private_key(&text[..text.len() - 4]).is_err());
        let verifier_text = signer().verifier().to_string();
        assert!(NoteSigner::parse_private_key(&verifier_text).is_err());
    }

    #[test]
    fn verifier_keys_round_trip_and_are_checked() {
        let verifier = signer().verifier();
        let text = verifier.to_string();
        assert_eq!(NoteVerifier::parse(&text).unwrap(), verifier);
        let cosigner = signer().cosignature_verifier();
        assert_eq!(cosigner.key_type(), KEY_TYPE_COSIGNATURE_V1);
        assert_ne!(cosigner.key_id(), verifier.key_id());
        assert_eq!(NoteVerifier::parse(&cosigner.to_string()).unwrap(), cosigner);
        let renamed = text.replacen("example.com/key", "example.com/other", 1);
        assert!(matches!(NoteVerifier::parse(&renamed), Err(TlogError::Malformed { .. })));
        for bad in ["", "a+b", "a+00000000+", "a+0000000+AQ==", "a b+00000000+AQ==", &format!("{text}+x")] {
            assert!(NoteVerifier::parse(bad).is_err(), "{bad:?}");
        }
        // Unknown key type 0x02 with a correct key id is still refused.
        let mut key = vec![0x02];
        key.extend_from_slice(&verifier.public_key());
        let id = key_id("a.example", 0x02, &verifier.public_key());
        let text = format!("a.example+{}+{}", hex::encode(id), encode_base64(&key));
        assert!(NoteVerifier::parse(&text).is_err());
    }

    #[test]
    fn sign_requires_a_clean_text() {
        let signer = signer();
        assert!(signer.sign("no newline").is_err());
        assert!(signer.sign("tab\there\n").is_err());
        assert!(signer.sign("line\r\n").is_err());
        let signed = signer.sign("hello\n\nworld\n").unwrap();
        let note = Note::parse(&signed).unwrap();
        assert_eq!(note.text, "hello\n\nworld\n");
        assert_eq!(note.to_text(), signed);
        assert_eq!(note.verify(&[signer.verifier()]).unwrap(), ["example.com/key"]);
    }

    #[test]
    fn cosignature_timestamp_is_exposed() {
        let signer = signer();
        let text = "a.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
        let line = signer.cosign(text, 1234).unwrap();
        let note = Note::parse(&format!("{text}\n{line}")).unwrap();
        assert_eq!(note.signatures[0].cosignature_timestamp(), Some(1234));
        assert_eq!(note.verify(&[signer.cosignature_verifier()]).unwrap(), ["example.com/key"]);
        // A cosignature does not verify as a plain note signature, and the
        // key ids differ, so the plain verifier does not even consider it.
        assert!(note.verify(&[signer.verifier()]).is_err());
        assert!(signer.cosign("not a checkpoint\n", 1).is_err());
        assert!(signer.cosign(text, u64::MAX).is_err());
    }
}

#[cfg(test)]
mod plus_in_base64_tests {
    use super::*;

    /// Regression: base64 keys may contain '+', which also separates the
    /// fields of key strings; only the first separators count.
    #[test]
    fn keys_whose_base64_holds_a_plus_round_trip() {
        let mut found = 0;
        for seed in 0u8..=255 {
            let signer = NoteSigner::from_seed("example.org/log", [seed; 32]).unwrap();
            let private = signer.to_private_key_string();
            let public = signer.verifier().to_string();
            if private.matches('+').count() > 4 || public.matches('+').count() > 2 {
                found += 1;
                let parsed = NoteSigner::parse_private_key(&private).unwrap();
                assert_eq!(parsed.verifier(), signer.verifier());
                assert_eq!(NoteVerifier::parse(&public).unwrap(), signer.verifier());
            }
        }
        assert!(found > 0, "no seed produced a '+' in base64; the test checked nothing");
    }
}
