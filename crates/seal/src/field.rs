//! Sealed boxes: one small value (a sealed record field, a commitment salt) in one
//! XChaCha20-Poly1305 box.
//!
//! Version 1 (`docs/sealing.md`):
//!
//! ```text
//! 0     8   magic "evseal" kind 0x01    (kind 'F' for a record field, 'C' for a commitment salt)
//! 8     24  random nonce
//! 32    n   ciphertext
//! 32+n  16  tag
//! ```
//!
//! Associated data: bytes 0..8 || len16(object id) || object id || len16(name) || name,
//! where the name is the field's name (or, for a salt, the part the commitment covers).
//! A box moved to another record, another field, or from a field to a salt fails.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{Tag, XNonce};
use zeroize::Zeroizing;

use crate::commitment::CommitmentSalt;
use crate::ids::{ObjectId, check_name, push_with_length};
use crate::wrap::DataKey;
use crate::{FORMAT_VERSION, MAGIC, fill_random};

/// Bytes a sealed box adds to its value: 8 of header, 24 of nonce, 16 of tag.
pub const SEALED_FIELD_OVERHEAD: usize = 48;

/// The largest value a box holds (16 MiB): fields are small; files are streams.
const MAX_FIELD_BYTES: usize = 16 * 1024 * 1024;

const KIND_FIELD: u8 = b'F';
const KIND_SALT: u8 = b'C';

/// Why a sealed box could not be made or opened. The messages never include the value.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    /// The name is empty, too long, or has control characters.
    #[error("{0}")]
    InvalidName(String),
    /// The value is larger than a box holds.
    #[error("a sealed value holds at most {MAX_FIELD_BYTES} bytes (this one has {0}); seal files as streams")]
    TooLarge(usize),
    /// The stored bytes are not a sealed box of the expected kind and version.
    #[error("not a sealed {expected}: {detail}")]
    Malformed {
        /// `field` or `commitment salt`.
        expected: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The box does not authenticate.
    #[error(
        "the sealed {what} does not open for {object}: wrong data key, a box of another record or field, or changed bytes"
    )]
    OpenFailed {
        /// `field` or `commitment salt`.
        what: &'static str,
        /// The object it was opened for.
        object: ObjectId,
    },
    /// The operating system gave no randomness.
    #[error("{0}")]
    Randomness(String),
}

fn associated_data(header: &[u8], object: &ObjectId, name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(8 + 4 + object.as_str().len() + name.len());
    aad.extend_from_slice(header);
    push_with_length(&mut aad, object.as_str().as_bytes());
    push_with_length(&mut aad, name.as_bytes());
    aad
}

fn describe(kind: u8) -> &'static str {
    if kind == KIND_SALT { "commitment salt" } else { "field" }
}

pub(crate) fn seal_box_with_nonce(
    kind: u8,
    key: &DataKey,
    object: &ObjectId,
    name: &str,
    value: &[u8],
    nonce: [u8; 24],
) -> Result<Vec<u8>, FieldError> {
    check_name(name).map_err(FieldError::InvalidName)?;
    if value.len() > MAX_FIELD_BYTES {
        return Err(FieldError::TooLarge(value.len()));
    }
    let mut sealed = Vec::with_capacity(SEALED_FIELD_OVERHEAD + value.len());
    sealed.extend_from_slice(MAGIC);
    sealed.push(kind);
    sealed.push(FORMAT_VERSION);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(value);
    let aad = associated_data(&sealed[..8], object, name);
    let tag = key
        .aead()
        .encrypt_inout_detached(&XNonce::from(nonce), &aad, sealed[32..].as_mut().into())
        .map_err(|_| FieldError::TooLarge(value.len()))?;
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

fn seal_box(kind: u8, key: &DataKey, object: &ObjectId, name: &str, value: &[u8]) -> Result<Vec<u8>, FieldError> {
    let mut nonce = [0u8; 24];
    fill_random(&mut nonce, "a sealed value's nonce").map_err(FieldError::Randomness)?;
    seal_box_with_nonce(kind, key, object, name, value, nonce)
}

fn open_box(
    kind: u8,
    key: &DataKey,
    object: &ObjectId,
    name: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, FieldError> {
    check_name(name).map_err(FieldError::InvalidName)?;
    let expected = describe(kind);
    let malformed = |detail: String| FieldError::Malformed { expected, detail };
    if sealed.len() < SEALED_FIELD_OVERHEAD {
        return Err(malformed(format!(
            "{} bytes, fewer than the {SEALED_FIELD_OVERHEAD} of an empty box",
            sealed.len()
        )));
    }
    if &sealed[..6] != MAGIC || sealed[6] != kind {
        return Err(malformed(format!("it does not start with \"evseal{}\"", char::from(kind))));
    }
    if sealed[7] != FORMAT_VERSION {
        return Err(malformed(format!("format version {} is not known (this build reads 1)", sealed[7])));
    }
    let aad = associated_data(&sealed[..8], object, name);
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&sealed[8..32]);
    let tag_start = sealed.len() - 16;
    let tag = Tag::try_from(&sealed[tag_start..]).map_err(|_| malformed("no tag".to_owned()))?;
    let mut value = Zeroizing::new(sealed[32..tag_start].to_vec());
    key.aead()
        .decrypt_inout_detached(&XNonce::from(nonce), &aad, value.as_mut_slice().into(), &tag)
        .map_err(|_| FieldError::OpenFailed { what: expected, object: object.clone() })?;
    Ok(value)
}

/// Seals the value of the field `field` of the record `record` under the record's data
/// key: the bytes to store instead of the value.
pub fn seal_field(key: &DataKey, record: &ObjectId, field: &str, value: &[u8]) -> Result<Vec<u8>, FieldError> {
    seal_box(KIND_FIELD, key, record, field, value)
}

/// Opens a sealed field value; fails unless it was sealed for this record and field under
/// this key and is unchanged. The value is wiped from memory when dropped.
pub fn open_field(
    key: &DataKey,
    record: &ObjectId,
    field: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, FieldError> {
    open_box(KIND_FIELD, key, record, field, sealed)
}

/// Seals a commitment salt under the object's data key, bound to the object and to the
/// part the commitment covers (a file's logical path or a field's name).
pub fn seal_salt(key: &DataKey, object: &ObjectId, part: &str, salt: &CommitmentSalt) -> Result<Vec<u8>, FieldError> {
    seal_box(KIND_SALT, key, object, part, salt.as_bytes())
}

/// Opens a sealed commitment salt.
pub fn open_salt(key: &DataKey, object: &ObjectId, part: &str, sealed: &[u8]) -> Result<CommitmentSalt, FieldError> {
    let bytes = open_box(KIND_SALT, key, object, part, sealed)?;
    if bytes.len() != 32 {
        return Err(FieldError::Malformed {
            expected: "commitment salt",
            detail: format!("{} bytes where a salt has 32", bytes.len()),
        });
    }
    let mut salt = Zeroizing::new([0u8; 32]);
    salt.copy_from_slice(&bytes);
    Ok(CommitmentSalt::from_zeroizing(salt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting<const N: usize>(start: u8) -> [u8; N] {
        std::array::from_fn(|i| start + i as u8)
    }

    /// The vectors in docs/sealing.md, computed independently from the spec.
    #[test]
    fn boxes_match_the_documented_vectors() {
        let key = DataKey::from_bytes(counting(0x20));
        let record = ObjectId::parse("per_01m8nc7ppa0ab4phx04gx7dp93").unwrap();
        let value = "Canary 金丝雀 كانارىيە".as_bytes();
        let sealed = seal_box_with_nonce(KIND_FIELD, &key, &record, "name", value, counting(0x60)).unwrap();
        assert_eq!(
            hex::encode(&sealed),
            "65767365616c4601606162636465666768696a6b6c6d6e6f7071727374757677ab462e47f708bb282d9071b78f48b4\
             1957352fcdce3c5fbec7fa8823b34c085cb64343d40087ab551048e5bb097a218121"
        );
        assert_eq!(open_field(&key, &record, "name", &sealed).unwrap().as_slice(), value);

        let item = ObjectId::parse("itm_01jdx4m6q8c1v7yb2k9e3r5t0a").unwrap();
        let salt: [u8; 32] = counting(0xa0);
        let sealed = seal_box_with_nonce(KIND_SALT, &key, &item, "file.txt", &salt, counting(0x78)).unwrap();
        assert_eq!(
            hex::encode(&sealed),
            "65767365616c430178797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f224c32b5e99b65981fd9b56c9937e26c\
             232adf00847a1c40bdc2bbb5301df2a1b3285c71fe8093efc45f9c86eceb9e4e"
        );
        assert_eq!(open_salt(&key, &item, "file.txt", &sealed).unwrap().as_bytes(), &salt);
    }
}
