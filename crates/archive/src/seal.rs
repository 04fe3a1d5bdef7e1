//! Sealed items (witness protection, issue 6): the archive's side of
//! `evident-seal` (`docs/sealing.md`).
//!
//! A sealed item's file is encrypted with a fresh data key before it reaches
//! its OCFL object (the content file is a sealed stream); the data key is
//! stored only wrapped under the archive's key-encryption key (KEK), which
//! lives outside the archive directory; the item's descriptive metadata
//! (original name, path, media type, plaintext size and digest) is a sealed
//! box; and its log entry carries a salted commitment instead of the file's
//! digest. Without the KEK nothing sealed can be read, but everything can
//! still be checked for integrity (the OCFL inventory lists the digest of
//! the ciphertext).
//!
//! The KEK is found, in order: [`Archive::set_kek`] (the CLI's `--kek-file`,
//! `EVIDENT_KEK_FILE` or `--passphrase`), else the default key file
//! `DIR.keys/kek` beside the archive. An archive without `seal.json` (made
//! before sealing existed) keeps working; sealing in it is refused until
//! [`Archive::init_sealing`] (`evident seal init`) gives it a KEK.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use evident_seal::{
    CommitmentOpening, DataKey, KekSetup, Keyring, ObjectId, PassphraseParams, StreamEncryptor, Unlock, WrappedKey,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Archive, ArchiveError, AuditEvent, Result};

/// The media type recorded (in the store and the search index) for a
/// sealed item; the real one is sealed.
pub const SEALED_MEDIA_TYPE: &str = "application/x-evident-sealed";

/// The logical path of a sealed item's file in its OCFL object: a sealed
/// stream, whatever the original's extension (which is sealed too).
pub const SEALED_FILE_NAME: &str = "file.evseal";

/// What the store shows as a sealed item's original name and path.
pub const SEALED_PLACEHOLDER: &str = "[sealed]";

/// The field name of a sealed item's metadata box.
const METADATA_FIELD: &str = "item.metadata";

/// How sensitive a new item is (`evident add --sensitivity`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    /// anyone may see it: its item record is published (`sensitivity: public`)
    Public,
    /// investigators and reviewers (the default)
    #[default]
    Restricted,
    /// encrypted at rest; readable only with the archive's KEK
    Sealed,
}

impl Sensitivity {
    /// Parses `public`, `restricted` or `sealed`.
    pub fn parse(text: &str) -> Result<Sensitivity, String> {
        match text {
            "public" => Ok(Sensitivity::Public),
            "restricted" => Ok(Sensitivity::Restricted),
            "sealed" => Ok(Sensitivity::Sealed),
            other => Err(format!("unknown sensitivity {other:?}: use public, restricted or sealed")),
        }
    }

    /// The name as written on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            Sensitivity::Public => "public",
            Sensitivity::Restricted => "restricted",
            Sensitivity::Sealed => "sealed",
        }
    }
}

/// How this command unlocks the archive's KEK.
#[derive(Clone)]
pub enum KekUnlock {
    /// a key file (`--kek-file`, `EVIDENT_KEK_FILE`)
    KeyFile(PathBuf),
    /// a passphrase (`--passphrase`)
    Passphrase(Zeroizing<String>),
}

impl std::fmt::Debug for KekUnlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KekUnlock::KeyFile(path) => f.debug_tuple("KeyFile").field(path).finish(),
            KekUnlock::Passphrase(_) => f.write_str("Passphrase(..)"),
        }
    }
}

/// How [`Archive::init_sealing`] makes the KEK.
#[derive(Clone)]
pub enum KekInit {
    /// a new random key in a key file; `None` is the default `DIR.keys/kek`
    KeyFile(Option<PathBuf>),
    /// derived from a passphrase (at least 12 characters) with Argon2id
    Passphrase(Zeroizing<String>),
}

/// What [`Archive::init_sealing`] made.
#[derive(Clone, Debug)]
pub struct SealInitReport {
    /// the key file, if the KEK is one (back it up, apart from the archive)
    pub key_file: Option<PathBuf>,
    /// the KEK's key id (16 hex digits), as `seal.json` records it
    pub key_id: String,
}

/// A sealed item's metadata, as sealed in its metadata box.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedItemView {
    pub id: String,
    pub original_name: String,
    pub original_path: String,
    pub modified: Option<String>,
    pub media_type: String,
    /// of the plaintext
    pub size: u64,
    /// SHA-256 of the plaintext, lowercase hex (never stored in the clear)
    pub sha256: String,
    /// where the file came from (container, member path), JSON
    pub provenance: Option<String>,
}

/// The sealed parts of a new sealed item, made while its file is staged.
pub(crate) struct SealedParts {
    pub(crate) wrapped_key: Vec<u8>,
    pub(crate) sealed_salt: Vec<u8>,
    pub(crate) sealed_metadata: Vec<u8>,
    pub(crate) commitment: String,
}

pub(crate) fn seal_error(error: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Sealed(error.to_string())
}

pub(crate) fn object_id(id: &str) -> Result<ObjectId> {
    ObjectId::parse(id).map_err(|e| ArchiveError::Invalid(format!("{id} cannot be a sealed object: {e}")))
}

impl Archive {
    /// Whether this archive has a KEK (`seal.json`).
    pub fn sealing_set_up(&self) -> bool {
        self.layout.dir().join(evident_seal::HEADER_FILE_NAME).exists()
    }

    /// Gives this archive a key-encryption key (a new archive's `evident init`
    /// does this; for an older archive, `evident seal init`). The key file
    /// is created outside the archive directory and never overwritten.
    pub fn init_sealing(&mut self, init: &KekInit) -> Result<SealInitReport> {
        let dir = self.layout.dir().to_owned();
        let origin = self.settings.origin.clone();
        let (keyring, unlock) = match init {
            KekInit::KeyFile(path) => {
                let path = match path {
                    Some(path) => path.clone(),
                    None => evident_seal::default_key_file(&dir).map_err(seal_error)?,
                };
                let keyring = evident_seal::create_keyring(&dir, &origin, &KekSetup::KeyFile { path: &path })
                    .map_err(seal_error)?;
                (keyring, KekUnlock::KeyFile(path))
            }
            KekInit::Passphrase(passphrase) => {
                let setup = KekSetup::Passphrase { passphrase, params: PassphraseParams::default() };
                let keyring = evident_seal::create_keyring(&dir, &origin, &setup).map_err(seal_error)?;
                (keyring, KekUnlock::Passphrase(passphrase.clone()))
            }
        };
        let report =
            SealInitReport { key_file: keyring.key_file().map(|p| p.to_owned()), key_id: keyring.key_id().to_string() };
        self.kek_unlock = Some(unlock);
        self.keyring = std::cell::OnceCell::new();
        let _ = self.keyring.set(keyring);
        Ok(report)
    }

    /// Says how this command unlocks the KEK (else the default key file
    /// `DIR.keys/kek` is tried when sealed data is first needed).
    pub fn set_kek(&mut self, unlock: KekUnlock) {
        self.kek_unlock = Some(unlock);
        self.keyring = std::cell::OnceCell::new();
    }

    /// The unlocked KEK, opened on first use. A clear error if the archive
    /// has none, or the key cannot be found or is not this archive's.
    pub(crate) fn keyring(&self) -> Result<&Keyring> {
        if let Some(keyring) = self.keyring.get() {
            return Ok(keyring);
        }
        if !self.sealing_set_up() {
            return Err(ArchiveError::Sealed(format!(
                "{} has no key-encryption key (no seal.json), so nothing can be sealed in it; \
                 give it one with `evident seal init` (a key file beside the archive, or --passphrase)",
                self.layout.dir().display()
            )));
        }
        let dir = self.layout.dir();
        let keyring = match &self.kek_unlock {
            Some(KekUnlock::KeyFile(path)) => evident_seal::open_keyring(dir, &Unlock::KeyFile { path }),
            Some(KekUnlock::Passphrase(passphrase)) => {
                evident_seal::open_keyring(dir, &Unlock::Passphrase { passphrase, next_passphrase: None })
            }
            None => {
                let path = evident_seal::default_key_file(dir).map_err(seal_error)?;
                evident_seal::open_keyring(dir, &Unlock::KeyFile { path: &path })
            }
        }
        .map_err(|e| {
            ArchiveError::Sealed(format!(
                "cannot unlock the archive's key-encryption key: {e}; sealed items cannot be read or added without it \
                 (pass --kek-file or --passphrase, or set EVIDENT_KEK_FILE)"
            ))
        })?;
        Ok(self.keyring.get_or_init(|| keyring))
    }

    /// Checks that sealed data can be added and read here: the archive has
    /// a KEK and this process can unlock it (a clear `Sealed` error if not).
    pub fn check_sealing(&self) -> Result<()> {
        self.keyring().map(|_| ())
    }

    /// Whether an item is sealed (a forgotten item was, and stays so).
    /// `NotFound` for an unknown id.
    pub fn is_sealed(&self, id: &str) -> Result<bool> {
        self.item(id)?;
        Ok(self.store.sealed_item(id)?.is_some() || self.store.forgotten_item(id)?.is_some())
    }

    /// The data key of a sealed item, unwrapped with the KEK.
    fn sealed_data_key(&self, id: &str) -> Result<(ObjectId, evident_store::SealedItemRow, DataKey)> {
        self.item(id)?;
        if let Some(forgotten) = self.store.forgotten_item(id)? {
            return Err(crate::forget::forgotten_error(&forgotten));
        }
        let row = self.store.sealed_item(id)?.ok_or_else(|| ArchiveError::Invalid(format!("{id} is not sealed")))?;
        let object = object_id(id)?;
        let wrapped = WrappedKey::parse(&row.wrapped_key)
            .map_err(|e| ArchiveError::Corrupted { what: format!("the wrapped key of {id}"), detail: e.to_string() })?;
        let key = self
            .keyring()?
            .unwrap_data_key(&object, &wrapped)
            .map_err(|e| ArchiveError::Corrupted { what: format!("the wrapped key of {id}"), detail: e.to_string() })?;
        Ok((object, row, key))
    }

    /// A sealed item's metadata, opened with the KEK.
    pub fn sealed_item(&self, id: &str) -> Result<SealedItemView> {
        let (object, row, key) = self.sealed_data_key(id)?;
        open_metadata(id, &object, &row, &key)
    }

    /// Decrypts a sealed item's file into `output` and checks its size.
    /// Returns the number of bytes written. On an error `output` holds an
    /// authenticated prefix at most, which the caller must discard.
    ///
    /// Every chunk is authenticated (XChaCha20-Poly1305 under the item's own
    /// key, bound to the object id, its position and whether it ends the
    /// stream), so what comes out is exactly what was sealed into this
    /// object: the same assurance a plain read gets from re-hashing the
    /// file. Tying that plaintext to the log's commitment (its SHA-256 in the
    /// opening) is `verify`'s job ([`Archive::read_sealed_checked`]).
    pub fn read_sealed(&self, id: &str, output: &mut dyn Write) -> Result<u64> {
        let (object, row, key) = self.sealed_data_key(id)?;
        let view = open_metadata(id, &object, &row, &key)?;
        let size = self.decrypt_sealed(id, &object, &key, output)?;
        if size != view.size {
            return Err(ArchiveError::Corrupted {
                what: format!("the sealed content of {id}"),
                detail: format!("it decrypts, but to {size} bytes, not the {} sealed with it", view.size),
            });
        }
        Ok(size)
    }

    /// [`Archive::read_sealed`], and the plaintext's SHA-256 checked against
    /// the digest sealed with it (which the log's commitment covers).
    pub fn read_sealed_checked(&self, id: &str, output: &mut dyn Write) -> Result<u64> {
        let (object, row, key) = self.sealed_data_key(id)?;
        let view = open_metadata(id, &object, &row, &key)?;
        let mut hashing = HashingWriter { inner: output, hasher: Sha256::new(), size: 0 };
        self.decrypt_sealed(id, &object, &key, &mut hashing)?;
        let sha256 = hex::encode(hashing.hasher.finalize());
        if hashing.size != view.size || sha256 != view.sha256 {
            return Err(ArchiveError::Corrupted {
                what: format!("the sealed content of {id}"),
                detail: "it decrypts, but not to the size and digest sealed with it".to_owned(),
            });
        }
        Ok(hashing.size)
    }

    fn decrypt_sealed(&self, id: &str, object: &ObjectId, key: &DataKey, output: &mut dyn Write) -> Result<u64> {
        let item = self.item(id)?;
        let file = self.objects.open_file(id, &item.file_name)?;
        evident_seal::decrypt_stream(key, object, io::BufReader::new(file), output)
            .map_err(|e| ArchiveError::Corrupted { what: format!("the sealed content of {id}"), detail: e.to_string() })
    }

    /// The opening of a sealed item's commitment (`evident-opening/1`: its
    /// salt, size and digest): what a named person needs, beside the file,
    /// to check the file against the item's receipt. Noted in the audit
    /// trail as a `reveal` by `actor`.
    pub fn reveal_opening(&mut self, id: &str, actor: &str) -> Result<Zeroizing<String>> {
        let opening = self.opening(id)?;
        self.audit(&AuditEvent {
            actor: actor.to_owned(),
            role: "cli".to_owned(),
            action: "reveal".to_owned(),
            target: id.to_owned(),
            client: "cli".to_owned(),
        })?;
        Ok(opening.to_json())
    }

    /// Checks a sealed item's content against its log commitment (with the
    /// KEK): decrypts, hashes, recomputes the commitment. `Err` only if the
    /// archive could not be read; a mismatch is `Ok(Some(reason))`.
    pub(crate) fn check_sealed_commitment(&self, id: &str, commitment: &str) -> Result<Option<String>> {
        let opening = match self.store.sealed_item(id)? {
            None => return Ok(Some("its log entry is sealed but the item has no sealed keys".to_owned())),
            Some(_) => self.opening(id),
        };
        let opening = match opening {
            Ok(opening) => opening,
            Err(e) => return Ok(Some(e.to_string())),
        };
        if let Err(e) = self.read_sealed_checked(id, &mut io::sink()) {
            return Ok(Some(e.to_string()));
        }
        let parsed = evident_seal::Commitment::parse(commitment)
            .map_err(|e| ArchiveError::Corrupted { what: format!("the log entry of {id}"), detail: e.to_string() })?;
        Ok(if opening.opens(&parsed) {
            None
        } else {
            Some("the sealed content does not open the commitment in its log entry".to_owned())
        })
    }

    fn opening(&self, id: &str) -> Result<CommitmentOpening> {
        let view = self.sealed_item(id)?;
        let (object, row, key) = self.sealed_data_key(id)?;
        let item = self.item(id)?;
        let salt = evident_seal::open_salt(&key, &object, &item.file_name, &row.sealed_salt)
            .map_err(|e| ArchiveError::Corrupted { what: format!("the sealed salt of {id}"), detail: e.to_string() })?;
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(&view.sha256, &mut sha256).map_err(|e| ArchiveError::Corrupted {
            what: format!("the sealed metadata of {id}"),
            detail: e.to_string(),
        })?;
        Ok(CommitmentOpening { object, part: item.file_name, size: view.size, sha256, salt })
    }
}

/// A sealed item's metadata box, opened with its data key.
fn open_metadata(
    id: &str,
    object: &ObjectId,
    row: &evident_store::SealedItemRow,
    key: &DataKey,
) -> Result<SealedItemView> {
    let bytes = evident_seal::open_field(key, object, METADATA_FIELD, &row.sealed_metadata)
        .map_err(|e| ArchiveError::Corrupted { what: format!("the sealed metadata of {id}"), detail: e.to_string() })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ArchiveError::Corrupted { what: format!("the sealed metadata of {id}"), detail: e.to_string() })
}

/// Counts and hashes what passes through to a writer.
struct HashingWriter<'w> {
    inner: &'w mut dyn Write,
    hasher: Sha256,
    size: u64,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A shared byte buffer the stream encryptor writes into and the
/// [`EncryptingReader`] drains.
#[derive(Clone, Default)]
struct SharedBuffer(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads plaintext from a source and yields the sealed stream of it, so
/// that the object draft writes (and hashes) only ciphertext: the plaintext
/// exists only in this reader's buffers, which are wiped. It hashes and
/// counts the plaintext on the way (for the commitment and the sealed
/// metadata) and refuses more than `limit` plaintext bytes.
pub(crate) struct EncryptingReader<'r> {
    source: &'r mut dyn Read,
    encryptor: Option<StreamEncryptor<SharedBuffer>>,
    output: SharedBuffer,
    position: usize,
    chunk: Zeroizing<Vec<u8>>,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl<'r> EncryptingReader<'r> {
    pub(crate) fn new(key: &DataKey, object: &ObjectId, source: &'r mut dyn Read, limit: u64) -> Result<Self> {
        let output = SharedBuffer::default();
        let encryptor = StreamEncryptor::new(key, object, output.clone()).map_err(seal_error)?;
        Ok(EncryptingReader {
            source,
            encryptor: Some(encryptor),
            output,
            position: 0,
            chunk: Zeroizing::new(vec![0u8; evident_seal::CHUNK_SIZE]),
            hasher: Sha256::new(),
            size: 0,
            limit,
        })
    }

    /// The plaintext's SHA-256 and size, once the reader reached its end.
    pub(crate) fn plaintext_digest(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.size)
    }
}

impl Read for EncryptingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            {
                let mut output = self.output.0.borrow_mut();
                if self.position < output.len() {
                    let n = buf.len().min(output.len() - self.position);
                    buf[..n].copy_from_slice(&output[self.position..self.position + n]);
                    self.position += n;
                    return Ok(n);
                }
                output.clear();
                self.position = 0;
            }
            let Some(encryptor) = self.encryptor.as_mut() else { return Ok(0) };
            let n = self.source.read(&mut self.chunk)?;
            if n == 0 {
                if let Some(encryptor) = self.encryptor.take() {
                    encryptor.finish().map_err(|e| io::Error::other(e.to_string()))?;
                }
                continue;
            }
            self.size += n as u64;
            if self.size > self.limit {
                return Err(io::Error::other(format!(
                    "yields more than its declared {} bytes; refused (corrupt archive or decompression bomb)",
                    self.limit
                )));
            }
            self.hasher.update(&self.chunk[..n]);
            encryptor.write_all(&self.chunk[..n])?;
        }
    }
}

/// Seals a new item's metadata and commitment salt under its data key and
/// computes the commitment for its log entry.
pub(crate) fn seal_parts(
    key: &DataKey,
    wrapped: &WrappedKey,
    object: &ObjectId,
    view: &SealedItemView,
    sha256: &[u8; 32],
) -> Result<SealedParts> {
    let salt = evident_seal::CommitmentSalt::generate().map_err(seal_error)?;
    let commitment = evident_seal::commit(object, SEALED_FILE_NAME, &salt, sha256, view.size).map_err(seal_error)?;
    let sealed_salt = evident_seal::seal_salt(key, object, SEALED_FILE_NAME, &salt).map_err(seal_error)?;
    let metadata = Zeroizing::new(serde_json::to_vec(view).map_err(|e| ArchiveError::Invalid(e.to_string()))?);
    let sealed_metadata = evident_seal::seal_field(key, object, METADATA_FIELD, &metadata).map_err(seal_error)?;
    Ok(SealedParts {
        wrapped_key: wrapped.as_bytes().to_vec(),
        sealed_salt,
        sealed_metadata,
        commitment: commitment.to_string(),
    })
}
