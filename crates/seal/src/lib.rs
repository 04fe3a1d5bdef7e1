//! Sealing for witness protection: the key hierarchy, encryption at rest of sealed
//! content and fields, crypto-shredding, and salted commitments for the public log.
//!
//! The formats are specified byte for byte in `docs/sealing.md` (version 1); the code
//! here is their only implementation, so a change to one is a change to the other.
//!
//! # Keys
//!
//! - The archive's **key-encryption key** (KEK, 32 bytes) lives *outside* the archive
//!   directory: in a key file (`DIR.keys/kek` by default, mode 0600) or derived from a
//!   passphrase with Argon2id. A small public [`SealHeader`] inside the archive
//!   (`seal.json`) binds the archive to its KEK with a check value, so a wrong key is
//!   refused with a clear message instead of producing garbage. [`create_keyring`] makes
//!   one, [`open_keyring`] loads it, and [`Keyring::begin_rotation`],
//!   [`Keyring::rewrap`] and [`Keyring::finish_rotation`] replace it by re-wrapping the
//!   data keys only: no content is re-encrypted and the log is not touched.
//! - Every sealed object (an item, a record) has its own random [`DataKey`], stored only
//!   as a [`WrappedKey`]: encrypted under the KEK with the object's id as associated
//!   data, so a wrapped key cannot be moved to another object. Destroying every copy of
//!   the wrapped key (and then rotating the KEK, so that stale copies in backups are
//!   wrapped under a key that no longer exists) makes the object unreadable for ever:
//!   crypto-shredding (`docs/sealing.md`, "Forgetting").
//!
//! # Content
//!
//! - Files of any size: [`StreamEncryptor`] / [`StreamDecryptor`] (and the helpers
//!   [`encrypt_stream`] / [`decrypt_stream`]), a chunked XChaCha20-Poly1305 STREAM
//!   format with 64 KiB chunks. Memory use is one chunk whatever the file's size. A
//!   reader reports truncation, reordering, appended or changed bytes, and a wrong key or
//!   object id, each as its own [`StreamError`].
//! - Small values (sealed record fields): [`seal_field`] / [`open_field`], one AEAD box
//!   with the record id and field name as associated data.
//!
//! # Commitments
//!
//! A sealed item's log entry cannot carry the plain SHA-256 of its file: anyone holding a
//! guess (a photo, a list of names) could test it. [`commit`] computes a salted
//! commitment instead, with a random 32-byte [`CommitmentSalt`] that is kept sealed under
//! the object's data key ([`seal_salt`]). Revealing the salt to a verifier later
//! ([`CommitmentOpening`]) proves the content was logged unchanged.
//!
//! # Example
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use evident_seal::*;
//! use sha2::{Digest, Sha256};
//! # let dir = std::path::Path::new("/srv/evidence");
//! # let (file, staged, sealed_file) = (std::io::empty(), std::io::sink(), std::io::empty());
//! # let content = b"";
//! let key_file = default_key_file(dir)?; // `/srv/evidence.keys/kek`
//! let keyring = create_keyring(dir, "archive.example.org/evident", &KekSetup::KeyFile { path: &key_file })?;
//! let keyring = open_keyring(dir, &Unlock::KeyFile { path: &key_file })?; // every later command
//!
//! let item = ObjectId::parse("itm_01jdx4m6q8c1v7yb2k9e3r5t0a")?;
//! let (data_key, wrapped) = keyring.new_data_key(&item)?; // store wrapped.as_bytes(), deletably
//! encrypt_stream(&data_key, &item, file, staged)?;
//! let sha256: [u8; 32] = Sha256::digest(content).into(); // hashed beside the encryption, never stored
//! let salt = CommitmentSalt::generate()?;
//! let commitment = commit(&item, "file.pdf", &salt, &sha256, content.len() as u64)?; // for the log entry
//! let sealed_salt = seal_salt(&data_key, &item, "file.pdf", &salt)?; // stored with the item
//!
//! let data_key = keyring.unwrap_data_key(&item, &WrappedKey::parse(wrapped.as_bytes())?)?;
//! decrypt_stream(&data_key, &item, sealed_file, std::io::sink())?;
//! # let _ = (commitment, sealed_salt);
//! # Ok(())
//! # }
//! ```
//!
//! # What this crate never does
//!
//! It never writes plaintext, a data key or a salt to disk, and its error messages never
//! include sealed bytes. Secrets in memory ([`Kek`], [`DataKey`], [`CommitmentSalt`],
//! decrypted buffers) are wiped when dropped (`zeroize`).

mod bench;
mod commitment;
mod durable;
mod field;
mod ids;
mod kek;
mod stream;
mod wrap;

pub use bench::{SealBenchConfig, SealBenchReport, bench_seal};
pub use commitment::{Commitment, CommitmentError, CommitmentOpening, CommitmentSalt, commit};
pub use durable::shred_file;
pub use field::{FieldError, SEALED_FIELD_OVERHEAD, open_field, open_salt, seal_field, seal_salt};
pub use ids::{MAX_NAME_BYTES, MAX_OBJECT_ID_BYTES, ObjectId, ObjectIdError};
pub use kek::{
    HEADER_FILE_NAME, KEK_FILE_FORMAT, Kek, KekCheck, KekDescriptor, KekSetup, KekSource, KeyError, KeyId, Keyring,
    PassphraseParams, RotateTo, SEAL_FORMAT, SealHeader, Unlock, create_keyring, default_key_file, open_keyring,
};
pub use stream::{
    CHUNK_SIZE, STREAM_HEADER_LEN, StreamDecryptor, StreamEncryptor, StreamError, TAG_LEN, decrypt_stream,
    encrypt_stream, sealed_stream_len,
};
pub use wrap::{DataKey, WRAPPED_KEY_LEN, WrappedKey};

/// The first six bytes of every binary sealed format (wrapped keys, streams, boxes):
/// ASCII `evseal`. The seventh byte names the kind, the eighth the format version.
pub const MAGIC: &[u8; 6] = b"evseal";

/// Format version 1, the eighth byte of every binary sealed format.
pub const FORMAT_VERSION: u8 = 1;

/// Fills `buffer` from the operating system's random source (in place, so that a secret
/// is never copied through an unwiped temporary), or says what it was for.
fn fill_random(buffer: &mut [u8], what: &str) -> Result<(), String> {
    getrandom::fill(buffer).map_err(|e| format!("no randomness for {what}: {e}"))
}
