//! Salted commitments: how a sealed item's log entry commits to its content without
//! letting anyone test guesses against it.
//!
//! ```text
//! commitment = SHA-256( "evident-seal/1 commitment" 0x00
//!                       || salt (32 bytes)
//!                       || len16(object id) || object id
//!                       || len16(part) || part
//!                       || size (8 bytes, big-endian)
//!                       || SHA-256(content) (32 bytes) )
//! ```
//!
//! `part` names what is committed: a file's logical path in the object (`file.pdf`) or a
//! record field's name. The salt is 32 random bytes per commitment, stored only sealed
//! under the object's data key ([`crate::seal_salt`]): without it the commitment is a
//! hash of 256 unknown bits plus the content, so a list of guessed names or files tests
//! nothing. Revealing the salt, the digest and the size (a [`CommitmentOpening`]) lets a
//! verifier who holds the content check it against the public log. Once the data key is
//! shredded the salt is gone with it, and the commitment can never be opened.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::fill_random;
use crate::ids::{ObjectId, check_name, push_with_length};

const COMMITMENT_LABEL: &[u8] = b"evident-seal/1 commitment\0";

/// The `format` of an opening's JSON form.
const OPENING_FORMAT: &str = "evident-opening/1";

/// The random salt of one commitment. Secret while the item is sealed; wiped from memory
/// when dropped; never printed.
pub struct CommitmentSalt(Zeroizing<[u8; 32]>);

impl CommitmentSalt {
    /// A fresh random salt.
    pub fn generate() -> Result<Self, CommitmentError> {
        let mut salt = Zeroizing::new([0u8; 32]);
        fill_random(salt.as_mut(), "a commitment salt").map_err(CommitmentError::Randomness)?;
        Ok(CommitmentSalt(salt))
    }

    /// A salt from known bytes (a revealed opening, test vectors).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        CommitmentSalt(Zeroizing::new(bytes))
    }

    pub(crate) fn from_zeroizing(bytes: Zeroizing<[u8; 32]>) -> Self {
        CommitmentSalt(bytes)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for CommitmentSalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CommitmentSalt(..)")
    }
}

/// A salted commitment: 32 bytes, written as 64 lowercase hex digits in log entries.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commitment([u8; 32]);

impl Commitment {
    /// Parses 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Self, CommitmentError> {
        parse_hex32(text)
            .map(Commitment)
            .ok_or_else(|| CommitmentError::Malformed("a commitment is 64 lowercase hex digits".to_owned()))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Commitment({self})")
    }
}

/// Why a commitment could not be made, parsed or opened.
#[derive(Debug, thiserror::Error)]
pub enum CommitmentError {
    /// The part name is empty, too long, or has control characters.
    #[error("{0}")]
    InvalidName(String),
    /// A commitment or an opening is not in its format.
    #[error("malformed commitment data: {0}")]
    Malformed(String),
    /// The operating system gave no randomness.
    #[error("{0}")]
    Randomness(String),
}

/// The commitment to `size` bytes of content whose SHA-256 is `content_sha256`, as part
/// `part` of `object`, under `salt`.
pub fn commit(
    object: &ObjectId,
    part: &str,
    salt: &CommitmentSalt,
    content_sha256: &[u8; 32],
    size: u64,
) -> Result<Commitment, CommitmentError> {
    check_name(part).map_err(CommitmentError::InvalidName)?;
    let mut input =
        Zeroizing::new(Vec::with_capacity(COMMITMENT_LABEL.len() + 32 + 4 + object.as_str().len() + part.len() + 40));
    input.extend_from_slice(COMMITMENT_LABEL);
    input.extend_from_slice(salt.as_bytes());
    push_with_length(&mut input, object.as_str().as_bytes());
    push_with_length(&mut input, part.as_bytes());
    input.extend_from_slice(&size.to_be_bytes());
    input.extend_from_slice(content_sha256);
    Ok(Commitment(Sha256::digest(input.as_slice()).into()))
}

/// What a verifier needs, beside the content, to check a commitment: revealed only when
/// the witness agrees (a tribunal, a court). Its JSON form is
/// `{"format":"evident-opening/1","id","part","size","sha256","salt"}`.
#[derive(Debug)]
pub struct CommitmentOpening {
    /// The object.
    pub object: ObjectId,
    /// The part committed to.
    pub part: String,
    /// The content's length.
    pub size: u64,
    /// The content's SHA-256.
    pub sha256: [u8; 32],
    /// The salt.
    pub salt: CommitmentSalt,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpeningWire {
    format: String,
    id: String,
    part: String,
    size: u64,
    sha256: String,
    salt: String,
}

impl CommitmentOpening {
    /// The commitment these values make.
    pub fn commitment(&self) -> Result<Commitment, CommitmentError> {
        commit(&self.object, &self.part, &self.salt, &self.sha256, self.size)
    }

    /// Whether these values make `commitment` (and the content, if the verifier has it,
    /// has this size and SHA-256: the caller checks that).
    pub fn opens(&self, commitment: &Commitment) -> bool {
        self.commitment().is_ok_and(|made| made == *commitment)
    }

    /// The JSON form, one line.
    pub fn to_json(&self) -> Zeroizing<String> {
        let wire = OpeningWire {
            format: OPENING_FORMAT.to_owned(),
            id: self.object.to_string(),
            part: self.part.clone(),
            size: self.size,
            sha256: hex::encode(self.sha256),
            salt: hex::encode(self.salt.as_bytes()),
        };
        Zeroizing::new(serde_json::to_string(&wire).unwrap_or_default())
    }

    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<Self, CommitmentError> {
        let malformed = |detail: &str| CommitmentError::Malformed(detail.to_owned());
        let wire: OpeningWire = serde_json::from_str(text).map_err(|e| CommitmentError::Malformed(e.to_string()))?;
        if wire.format != OPENING_FORMAT {
            return Err(malformed("not an evident-opening/1"));
        }
        let object = ObjectId::parse(&wire.id).map_err(|e| CommitmentError::Malformed(e.to_string()))?;
        check_name(&wire.part).map_err(CommitmentError::InvalidName)?;
        let sha256 = parse_hex32(&wire.sha256).ok_or_else(|| malformed("`sha256` is not 64 lowercase hex digits"))?;
        let salt = parse_hex32(&wire.salt).ok_or_else(|| malformed("`salt` is not 64 lowercase hex digits"))?;
        Ok(CommitmentOpening {
            object,
            part: wire.part,
            size: wire.size,
            sha256,
            salt: CommitmentSalt::from_bytes(salt),
        })
    }
}

fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}
