//! Per-object data keys and their wrapped (KEK-encrypted) form.
//!
//! Wrapped key, version 1 (88 bytes; `docs/sealing.md`):
//!
//! ```text
//! 0   8   magic "evseal" 'W' 0x01
//! 8   8   key id of the KEK that wrapped it
//! 16  24  random XChaCha20-Poly1305 nonce
//! 40  32  the data key, encrypted
//! 72  16  Poly1305 tag
//! ```
//!
//! Associated data: bytes 0..16, then the object id with its 16-bit length.

use std::fmt;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, Tag, XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, Zeroizing};

use crate::ids::{ObjectId, push_with_length};
use crate::kek::{Kek, KeyError, KeyId};
use crate::{FORMAT_VERSION, MAGIC, fill_random};

/// The length of a [`WrappedKey`] in bytes.
pub const WRAPPED_KEY_LEN: usize = 88;

/// The kind byte of a wrapped key.
const KIND_WRAPPED_KEY: u8 = b'W';

/// A sealed object's data key: 32 random bytes that encrypt its content, its sealed
/// fields and its commitment salts. Wiped from memory when dropped; never printed.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random data key.
    pub fn generate() -> Result<Self, KeyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        fill_random(key.as_mut(), "a data key").map_err(KeyError::Randomness)?;
        Ok(DataKey(key))
    }

    /// A data key from known bytes: for test vectors and for a key handed over by a
    /// verifier's tool; the archive itself only uses [`DataKey::generate`].
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DataKey(Zeroizing::new(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn aead(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.0).into())
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// A data key encrypted under the archive's KEK and bound to one object: the only form in
/// which a data key is ever stored. Not secret on its own (it is useless without the KEK),
/// but it is what crypto-shredding destroys.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey([u8; WRAPPED_KEY_LEN]);

impl WrappedKey {
    /// Parses the stored bytes of a wrapped key (checks the length, magic and version; the
    /// rest is checked when it is unwrapped).
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyError> {
        let malformed = |detail: String| KeyError::Corrupted { what: "wrapped data key".to_owned(), detail };
        let array: [u8; WRAPPED_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| malformed(format!("{} bytes where a wrapped key has {WRAPPED_KEY_LEN}", bytes.len())))?;
        if &array[..6] != MAGIC || array[6] != KIND_WRAPPED_KEY {
            return Err(malformed("it does not start with the wrapped-key magic \"evsealW\"".to_owned()));
        }
        if array[7] != FORMAT_VERSION {
            return Err(malformed(format!("format version {} is not known (this build reads 1)", array[7])));
        }
        Ok(WrappedKey(array))
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8; WRAPPED_KEY_LEN] {
        &self.0
    }

    /// The id of the KEK this key is wrapped under.
    pub fn key_id(&self) -> KeyId {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[8..16]);
        KeyId::from_bytes(id)
    }

    /// Consumes the wrapped key and wipes it from memory. The caller must also destroy
    /// every stored copy: see "Forgetting" in `docs/sealing.md`.
    pub fn shred(mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedKey(kek {})", self.key_id())
    }
}

fn associated_data(prefix: &[u8], object: &ObjectId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + 2 + object.as_str().len());
    aad.extend_from_slice(prefix);
    push_with_length(&mut aad, object.as_str().as_bytes());
    aad
}

/// Wraps `key` for `object` under `kek` (whose id is `kek_id`) with a fresh random nonce.
pub(crate) fn wrap_key(kek: &Kek, kek_id: KeyId, object: &ObjectId, key: &DataKey) -> Result<WrappedKey, KeyError> {
    let mut nonce = [0u8; 24];
    fill_random(&mut nonce, "a key-wrapping nonce").map_err(KeyError::Randomness)?;
    wrap_key_with_nonce(kek, kek_id, object, key, nonce)
}

pub(crate) fn wrap_key_with_nonce(
    kek: &Kek,
    kek_id: KeyId,
    object: &ObjectId,
    key: &DataKey,
    nonce: [u8; 24],
) -> Result<WrappedKey, KeyError> {
    let mut out = [0u8; WRAPPED_KEY_LEN];
    out[..6].copy_from_slice(MAGIC);
    out[6] = KIND_WRAPPED_KEY;
    out[7] = FORMAT_VERSION;
    out[8..16].copy_from_slice(kek_id.as_bytes());
    out[16..40].copy_from_slice(&nonce);
    out[40..72].copy_from_slice(key.bytes());
    let aad = associated_data(&out[..16], object);
    let (body, tag_out) = out[40..].split_at_mut(32);
    match kek.aead().encrypt_inout_detached(&XNonce::from(nonce), &aad, body.into()) {
        Ok(tag) => {
            tag_out.copy_from_slice(&tag);
            Ok(WrappedKey(out))
        }
        Err(_) => {
            out.zeroize();
            Err(KeyError::Encrypt("a data key".to_owned()))
        }
    }
}

/// Unwraps `wrapped` for `object` with `kek`. The caller has checked the key id.
pub(crate) fn unwrap_key(kek: &Kek, object: &ObjectId, wrapped: &WrappedKey) -> Result<DataKey, KeyError> {
    let bytes = &wrapped.0;
    let aad = associated_data(&bytes[..16], object);
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&bytes[16..40]);
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&bytes[40..72]);
    let tag = Tag::try_from(&bytes[72..88]).map_err(|_| KeyError::UnwrapFailed { object: object.clone() })?;
    kek.aead()
        .decrypt_inout_detached(&XNonce::from(nonce), &aad, key.as_mut_slice().into(), &tag)
        .map_err(|_| KeyError::UnwrapFailed { object: object.clone() })?;
    Ok(DataKey(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(start: u8) -> [u8; 32] {
        std::array::from_fn(|i| start + i as u8)
    }

    /// The vector in docs/sealing.md, computed independently from the spec.
    #[test]
    fn wrapping_matches_the_documented_vector() {
        let kek = Kek::from_bytes_for_tests(counting(0));
        let id = kek.check("archive.example.org/evident").key_id();
        let object = ObjectId::parse("itm_01jdx4m6q8c1v7yb2k9e3r5t0a").unwrap();
        let nonce: [u8; 24] = std::array::from_fn(|i| 0x40 + i as u8);
        let wrapped = wrap_key_with_nonce(&kek, id, &object, &DataKey::from_bytes(counting(0x20)), nonce).unwrap();
        assert_eq!(
            hex::encode(wrapped.as_bytes()),
            "65767365616c570144fc471a6c3217bd404142434445464748494a4b4c4d4e4f5051525354555657\
             f4182753f4c55f31a7ddad9583b14bbda28b9ff7276c65ad5208c77e35391dafed277d28d139a98b732d1c6db8b50fd7"
        );
        let unwrapped = unwrap_key(&kek, &object, &wrapped).unwrap();
        assert_eq!(unwrapped.bytes(), &counting(0x20));
    }

    #[test]
    fn parse_checks_length_magic_and_version() {
        let kek = Kek::from_bytes_for_tests(counting(0));
        let object = ObjectId::parse("itm_a").unwrap();
        let wrapped = wrap_key(&kek, kek.check("x").key_id(), &object, &DataKey::from_bytes([9; 32])).unwrap();
        assert_eq!(WrappedKey::parse(wrapped.as_bytes()).unwrap(), wrapped);
        assert!(WrappedKey::parse(&wrapped.as_bytes()[..87]).is_err());
        let mut bytes = *wrapped.as_bytes();
        bytes[6] = b'S';
        assert!(WrappedKey::parse(&bytes).unwrap_err().to_string().contains("magic"));
        bytes[6] = b'W';
        bytes[7] = 2;
        assert!(WrappedKey::parse(&bytes).unwrap_err().to_string().contains("version 2"));
    }
}
