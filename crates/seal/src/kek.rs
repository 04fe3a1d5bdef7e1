//! The key-encryption key (KEK): where it lives, how it is bound to its archive, and how
//! it is replaced.
//!
//! The archive holds a public header, `seal.json`, that names the KEK by a check value
//! (and, for a passphrase, the Argon2id parameters and salt). The KEK itself is a key file
//! outside the archive directory or is derived from the passphrase; it never touches the
//! archive. Formats: `docs/sealing.md`.
//!
//! A rotation is crash-safe in three steps: [`Keyring::begin_rotation`] makes the new KEK
//! (for a key file, first as `<key file>.next`) and records it in the header as `next`;
//! the caller re-wraps every data key with [`Keyring::rewrap`] and stores the results
//! (while both KEKs are loaded any mix of old and new wrappings is readable);
//! [`Keyring::finish_rotation`] checks that nothing is left under the old KEK, makes the
//! new one current in the header, and destroys the old one. [`open_keyring`] completes or
//! cleans up whatever an interrupted rotation left behind.

use std::fmt;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::durable::{fsync_dir, parent_dir, rename_durably, replace_file_durably, shred_file, write_new_private_file};
use crate::fill_random;
use crate::ids::{ObjectId, push_with_length};
use crate::wrap::{DataKey, WrappedKey, unwrap_key, wrap_key};

/// The `format` of the seal header.
pub const SEAL_FORMAT: &str = "evident-seal/1";

/// The first line of a key file.
pub const KEK_FILE_FORMAT: &str = "evident-kek/1";

/// The seal header's file name inside the archive directory.
pub const HEADER_FILE_NAME: &str = "seal.json";

/// A key file is about 120 bytes; anything past this is not one.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// The header is a few hundred bytes; anything past this is not one.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// Domain separation for the KEK check value.
const KEK_CHECK_LABEL: &[u8] = b"evident-seal/1 kek-check\0";

/// The shortest passphrase accepted, in characters.
const MIN_PASSPHRASE_CHARS: usize = 12;

/// The archive's key-encryption key: 32 bytes that wrap every data key. Wiped from memory
/// when dropped; never printed.
pub struct Kek(Zeroizing<[u8; 32]>);

impl Kek {
    fn generate() -> Result<Self, KeyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        fill_random(key.as_mut(), "a key-encryption key").map_err(KeyError::Randomness)?;
        Ok(Kek(key))
    }

    /// The value that binds this KEK to the archive named `archive`:
    /// `SHA-256("evident-seal/1 kek-check" || 0x00 || len16(archive) || archive || kek)`.
    /// It reveals nothing about the key (the key is 256 random bits, or the output of
    /// Argon2id) and lets a wrong key be refused before anything is decrypted.
    pub fn check(&self, archive: &str) -> KekCheck {
        let mut input = Zeroizing::new(Vec::with_capacity(KEK_CHECK_LABEL.len() + 2 + archive.len() + 32));
        input.extend_from_slice(KEK_CHECK_LABEL);
        push_with_length(&mut input, archive.as_bytes());
        input.extend_from_slice(self.0.as_ref());
        KekCheck(Sha256::digest(input.as_slice()).into())
    }

    pub(crate) fn aead(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.0).into())
    }

    #[cfg(test)]
    pub(crate) fn from_bytes_for_tests(bytes: [u8; 32]) -> Self {
        Kek(Zeroizing::new(bytes))
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(..)")
    }
}

/// The short name of a KEK: the first 8 bytes of its [`KekCheck`], 16 hex digits. Every
/// wrapped key records the id of the KEK that wrapped it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 8]);

impl KeyId {
    pub(crate) fn from_bytes(bytes: [u8; 8]) -> Self {
        KeyId(bytes)
    }

    /// The 8 bytes.
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The check value of a KEK for one archive (see [`Kek::check`]); public, stored in the
/// seal header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KekCheck([u8; 32]);

impl KekCheck {
    /// The KEK's id: the first 8 bytes.
    pub fn key_id(&self) -> KeyId {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[..8]);
        KeyId(id)
    }

    fn parse_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        (text.bytes().all(|b| !b.is_ascii_uppercase())).then_some(KekCheck(bytes))
    }
}

impl fmt::Display for KekCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KekCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KekCheck({self})")
    }
}

/// Argon2id cost parameters for a passphrase-derived KEK. The default (64 MiB, 3 passes,
/// 1 lane; RFC 9106's second recommendation with one lane for small machines) takes about
/// a quarter of a second here, once per command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassphraseParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over the memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl Default for PassphraseParams {
    fn default() -> Self {
        PassphraseParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 }
    }
}

impl PassphraseParams {
    /// The largest values accepted from a header: a damaged or hostile header must not
    /// make opening the archive allocate without bound.
    const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    const MAX_ITERATIONS: u32 = 1000;
    const MAX_PARALLELISM: u32 = 64;

    fn argon2(&self) -> Result<Argon2<'static>, KeyError> {
        if self.memory_kib > Self::MAX_MEMORY_KIB
            || self.iterations > Self::MAX_ITERATIONS
            || self.parallelism > Self::MAX_PARALLELISM
        {
            return Err(KeyError::Argon2(format!(
                "m={} t={} p={} exceed the limits m<={} t<={} p<={}",
                self.memory_kib,
                self.iterations,
                self.parallelism,
                Self::MAX_MEMORY_KIB,
                Self::MAX_ITERATIONS,
                Self::MAX_PARALLELISM
            )));
        }
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32)).map_err(|e| {
            KeyError::Argon2(format!("m={} t={} p={}: {e}", self.memory_kib, self.iterations, self.parallelism))
        })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    fn derive(&self, passphrase: &str, salt: &[u8; 32]) -> Result<Kek, KeyError> {
        let argon2 = self.argon2()?;
        let mut key = Zeroizing::new([0u8; 32]);
        argon2
            .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
            .map_err(|e| KeyError::Argon2(format!("deriving the key-encryption key: {e}")))?;
        Ok(Kek(key))
    }
}

/// Where a KEK comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KekSource {
    /// A key file outside the archive.
    KeyFile,
    /// Argon2id of a passphrase with these parameters and this 32-byte salt.
    Passphrase {
        /// The cost parameters.
        params: PassphraseParams,
        /// The salt, random per KEK.
        salt: [u8; 32],
    },
}

impl KekSource {
    fn describe(&self) -> &'static str {
        match self {
            KekSource::KeyFile => "key file",
            KekSource::Passphrase { .. } => "passphrase",
        }
    }
}

/// One KEK as the header names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KekDescriptor {
    /// Its check value for this archive.
    pub check: KekCheck,
    /// Where it comes from.
    pub source: KekSource,
}

/// The public seal header (`seal.json` in the archive directory): which KEK the archive's
/// data keys are wrapped under, and during a rotation which KEK they are moving to. It
/// holds no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealHeader {
    /// The archive's name (its log origin), bound into every KEK check value.
    pub archive: String,
    /// The current KEK.
    pub kek: KekDescriptor,
    /// The KEK a rotation in progress is moving to.
    pub next: Option<KekDescriptor>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderWire {
    format: String,
    archive: String,
    kek: DescriptorWire,
    next: Option<DescriptorWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DescriptorWire {
    source: String,
    key_id: String,
    check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    argon2id: Option<Argon2Wire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Argon2Wire {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

impl KekDescriptor {
    fn to_wire(&self) -> DescriptorWire {
        let (source, argon2id) = match &self.source {
            KekSource::KeyFile => ("file", None),
            KekSource::Passphrase { params, salt } => (
                "passphrase",
                Some(Argon2Wire {
                    memory_kib: params.memory_kib,
                    iterations: params.iterations,
                    parallelism: params.parallelism,
                    salt: hex::encode(salt),
                }),
            ),
        };
        DescriptorWire {
            source: source.to_owned(),
            key_id: self.check.key_id().to_string(),
            check: self.check.to_string(),
            argon2id,
        }
    }

    fn from_wire(wire: DescriptorWire) -> Result<Self, String> {
        let check = KekCheck::parse_hex(&wire.check).ok_or("`check` is not 64 lowercase hex digits")?;
        if wire.key_id != check.key_id().to_string() {
            return Err("`key_id` is not the first 16 hex digits of `check`".to_owned());
        }
        let source = match (wire.source.as_str(), wire.argon2id) {
            ("file", None) => KekSource::KeyFile,
            ("passphrase", Some(argon2)) => {
                let mut salt = [0u8; 32];
                hex::decode_to_slice(&argon2.salt, &mut salt)
                    .map_err(|_| "`argon2id.salt` is not 64 hex digits".to_owned())?;
                let params = PassphraseParams {
                    memory_kib: argon2.memory_kib,
                    iterations: argon2.iterations,
                    parallelism: argon2.parallelism,
                };
                KekSource::Passphrase { params, salt }
            }
            ("file", Some(_)) => return Err("a key file source has no `argon2id`".to_owned()),
            ("passphrase", None) => return Err("a passphrase source needs `argon2id`".to_owned()),
            (other, _) => return Err(format!("unknown key source {other:?} (known: file, passphrase)")),
        };
        Ok(KekDescriptor { check, source })
    }
}

impl SealHeader {
    /// The header as stored: pretty-printed JSON and a final newline.
    pub fn encode(&self) -> Vec<u8> {
        let wire = HeaderWire {
            format: SEAL_FORMAT.to_owned(),
            archive: self.archive.clone(),
            kek: self.kek.to_wire(),
            next: self.next.as_ref().map(KekDescriptor::to_wire),
        };
        // Serialising these plain structs cannot fail; an empty header would be refused
        // when read back, never silently accepted.
        let mut bytes = serde_json::to_vec_pretty(&wire).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses a stored header.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyError> {
        let corrupted =
            |detail: String| KeyError::Corrupted { what: format!("seal header ({HEADER_FILE_NAME})"), detail };
        let wire: HeaderWire = serde_json::from_slice(bytes).map_err(|e| corrupted(e.to_string()))?;
        if wire.format != SEAL_FORMAT {
            return Err(corrupted(format!("format {:?} is not known (this build reads {SEAL_FORMAT})", wire.format)));
        }
        check_archive_name(&wire.archive).map_err(corrupted)?;
        let kek = KekDescriptor::from_wire(wire.kek).map_err(|e| corrupted(format!("kek: {e}")))?;
        let next = match wire.next {
            None => None,
            Some(next) => Some(KekDescriptor::from_wire(next).map_err(|e| corrupted(format!("next: {e}")))?),
        };
        Ok(SealHeader { archive: wire.archive, kek, next })
    }

    /// Reads the header of the archive at `archive_dir`.
    pub fn load(archive_dir: &Path) -> Result<Self, KeyError> {
        let path = archive_dir.join(HEADER_FILE_NAME);
        let file = match fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(KeyError::HeaderMissing { path }),
            Err(source) => return Err(KeyError::Io { action: "open the seal header", path, source }),
        };
        let mut bytes = Vec::new();
        file.take(MAX_HEADER_BYTES + 1).read_to_end(&mut bytes).map_err(|source| KeyError::Io {
            action: "read the seal header",
            path: path.clone(),
            source,
        })?;
        if bytes.len() as u64 > MAX_HEADER_BYTES {
            return Err(KeyError::Corrupted {
                what: format!("seal header ({HEADER_FILE_NAME})"),
                detail: format!("larger than {MAX_HEADER_BYTES} bytes"),
            });
        }
        SealHeader::parse(&bytes)
    }

    fn save(&self, archive_dir: &Path) -> Result<(), KeyError> {
        let path = archive_dir.join(HEADER_FILE_NAME);
        replace_file_durably(&path, &self.encode()).map_err(|source| KeyError::Io {
            action: "write the seal header",
            path,
            source,
        })
    }
}

/// How a new archive's KEK is made ([`create_keyring`]).
#[derive(Clone, Copy)]
pub enum KekSetup<'a> {
    /// A new random KEK in a new key file at `path` (outside the archive directory; see
    /// [`default_key_file`]). The file must not exist yet.
    KeyFile {
        /// Where to create the key file.
        path: &'a Path,
    },
    /// A KEK derived from a passphrase (at least 12 characters) with Argon2id.
    Passphrase {
        /// The passphrase, as UTF-8 bytes exactly as given (not normalised).
        passphrase: &'a str,
        /// The cost parameters, stored in the header.
        params: PassphraseParams,
    },
}

impl fmt::Debug for KekSetup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KekSetup::KeyFile { path } => f.debug_struct("KeyFile").field("path", path).finish(),
            KekSetup::Passphrase { params, .. } => f.debug_struct("Passphrase").field("params", params).finish(),
        }
    }
}

/// How an archive's KEK is loaded ([`open_keyring`]).
#[derive(Clone, Copy)]
pub enum Unlock<'a> {
    /// From the key file at `path`.
    KeyFile {
        /// The key file (`DIR.keys/kek` by default).
        path: &'a Path,
    },
    /// From the passphrase; during a rotation the new passphrase is needed too.
    Passphrase {
        /// The current passphrase.
        passphrase: &'a str,
        /// The passphrase a rotation in progress is moving to.
        next_passphrase: Option<&'a str>,
    },
}

impl fmt::Debug for Unlock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unlock::KeyFile { path } => f.debug_struct("KeyFile").field("path", path).finish(),
            Unlock::Passphrase { .. } => f.write_str("Passphrase(..)"),
        }
    }
}

impl Unlock<'_> {
    fn describe(&self) -> &'static str {
        match self {
            Unlock::KeyFile { .. } => "key file",
            Unlock::Passphrase { .. } => "passphrase",
        }
    }
}

/// What a rotation moves to ([`Keyring::begin_rotation`]). A rotation keeps the kind of
/// source: a key file is replaced by a key file, a passphrase by a passphrase.
#[derive(Clone, Copy)]
pub enum RotateTo<'a> {
    /// A new random KEK, written first to `<key file>.next` and moved into place when the
    /// rotation finishes.
    KeyFile,
    /// A new passphrase (at least 12 characters; a new salt is drawn).
    Passphrase {
        /// The new passphrase.
        passphrase: &'a str,
        /// The cost parameters.
        params: PassphraseParams,
    },
}

impl fmt::Debug for RotateTo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RotateTo::KeyFile => f.write_str("KeyFile"),
            RotateTo::Passphrase { params, .. } => f.debug_struct("Passphrase").field("params", params).finish(),
        }
    }
}

/// The unlocked keys of one archive: its current KEK and, during a rotation, the next one.
/// Wraps and unwraps data keys; the archive keeps one while it works on sealed objects.
pub struct Keyring {
    archive_dir: PathBuf,
    header: SealHeader,
    current: Kek,
    next: Option<Kek>,
    key_file: Option<PathBuf>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("archive", &self.header.archive)
            .field("kek", &self.header.kek.check.key_id())
            .field("next", &self.header.next.as_ref().map(|next| next.check.key_id()))
            .field("key_file", &self.key_file)
            .finish()
    }
}

/// Everything that can go wrong with keys: making, loading and rotating the KEK, and
/// wrapping and unwrapping data keys. No message includes key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file system operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The key file is not there.
    #[error(
        "no key-encryption key file at {}: restore it from your key backup, or give its path (EVIDENT_KEK_FILE); \
         without it no sealed content can be read",
        path.display()
    )]
    KeyFileMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Creating a key file where one exists.
    #[error(
        "a key file already exists at {}: refusing to overwrite a key-encryption key (move it away only if no archive uses it)",
        path.display()
    )]
    KeyFileExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The key file is readable or writable by others than its owner.
    #[error("key file {} is open to other users (mode {mode:03o}): make it private with `chmod 600 {}`", path.display(), path.display())]
    KeyFilePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key in the key file is not 32 bytes.
    #[error("key file {} holds a {found}-byte key; a key-encryption key is 32 bytes", path.display())]
    KeyFileWrongSize {
        /// The key file.
        path: PathBuf,
        /// The length found.
        found: usize,
    },
    /// The key file is not in the key file format.
    #[error("{} is not an evident key file ({KEK_FILE_FORMAT}): {detail}", path.display())]
    KeyFileMalformed {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the key).
        detail: String,
    },
    /// The key file would be, or is, inside the archive directory.
    #[error(
        "the key file must live outside the archive directory, so that a copy of the archive does not carry its key: \
         {} is inside {}",
        path.display(),
        archive_dir.display()
    )]
    KeyFileInsideArchive {
        /// The key file.
        path: PathBuf,
        /// The archive directory.
        archive_dir: PathBuf,
    },
    /// The key file names another archive.
    #[error("key file {} belongs to the archive {file_archive:?}, not to this one ({archive:?})", path.display())]
    NotForThisArchive {
        /// The key file.
        path: PathBuf,
        /// The archive the file names.
        file_archive: String,
        /// This archive.
        archive: String,
    },
    /// The key file's KEK does not match the header's check value.
    #[error(
        "key file {} holds the key-encryption key {found}, but this archive's key is {expected}: \
         use the key file made for this archive (after a rotation, the newer one)",
        path.display()
    )]
    WrongKey {
        /// The key file.
        path: PathBuf,
        /// The key id the header names.
        expected: KeyId,
        /// The key id of the file's key.
        found: KeyId,
    },
    /// The passphrase does not give the header's KEK.
    #[error("wrong passphrase for this archive's {which} key-encryption key")]
    WrongPassphrase {
        /// `current` or `new`.
        which: &'static str,
    },
    /// The passphrase is too short to protect sealed content.
    #[error("a passphrase must have at least {MIN_PASSPHRASE_CHARS} characters (this one has {chars})")]
    WeakPassphrase {
        /// Its length in characters.
        chars: usize,
    },
    /// A key file was given for a passphrase archive, or the other way round.
    #[error("this archive's key-encryption key comes from a {archive_uses}, but a {given} was given")]
    WrongUnlock {
        /// What the header names.
        archive_uses: &'static str,
        /// What the caller gave.
        given: &'static str,
    },
    /// The archive has no seal header.
    #[error("no seal header at {}: this archive has not been set up for sealed content", path.display())]
    HeaderMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Creating a KEK for an archive that has one.
    #[error("this archive already has a key-encryption key ({}): rotate it instead of creating another", path.display())]
    AlreadyCreated {
        /// The existing header.
        path: PathBuf,
    },
    /// Beginning a rotation while one is in progress.
    #[error("a key rotation is already in progress: re-wrap the remaining data keys and finish it first")]
    RotationInProgress,
    /// Re-wrapping or finishing without a rotation in progress.
    #[error("no key rotation is in progress")]
    NoRotation,
    /// A passphrase archive in the middle of a rotation was opened with one passphrase.
    #[error("a key rotation is in progress: give the new passphrase as well as the current one")]
    NextPassphraseNeeded,
    /// A rotation from a key file to a passphrase or the other way round.
    #[error("a rotation replaces a {from} by a {from}; it cannot switch to a {to}")]
    RotationChangesSource {
        /// The current kind of source.
        from: &'static str,
        /// The kind asked for.
        to: &'static str,
    },
    /// Finishing a rotation while some data keys are still wrapped under the old KEK.
    #[error(
        "{remaining} data keys are still wrapped under the old key-encryption key {old}: \
         re-wrap and store them all before finishing the rotation (finishing now would shred them)"
    )]
    RotationIncomplete {
        /// How many.
        remaining: usize,
        /// The old KEK's id.
        old: KeyId,
    },
    /// A wrapped key names a KEK that is not loaded.
    #[error(
        "the data key of {object} is wrapped under the key-encryption key {wrapped}, which is not this archive's ({current}): \
         it was made for another archive, or under a key since rotated away"
    )]
    UnknownWrappingKey {
        /// The object.
        object: ObjectId,
        /// The KEK id in the wrapped key.
        wrapped: KeyId,
        /// The archive's current KEK id.
        current: KeyId,
    },
    /// A wrapped key does not authenticate for this object under its KEK.
    #[error("the wrapped data key of {object} does not authenticate: it belongs to another object, or it was changed")]
    UnwrapFailed {
        /// The object it was unwrapped for.
        object: ObjectId,
    },
    /// Bad Argon2id parameters.
    #[error("invalid Argon2id parameters: {0}")]
    Argon2(String),
    /// The archive name cannot be bound into a key file.
    #[error("invalid archive name: {0}")]
    ArchiveName(String),
    /// The operating system gave no randomness.
    #[error("{0}")]
    Randomness(String),
    /// Encryption failed (it cannot for the sizes used here).
    #[error("could not encrypt {0}")]
    Encrypt(String),
    /// Stored key data (header, wrapped key) is damaged.
    #[error("{what} is corrupted: {detail}")]
    Corrupted {
        /// What was read.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
}

fn io_error<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> KeyError + 'p {
    move |source| KeyError::Io { action, path: path.to_path_buf(), source }
}

/// The default key file of the archive at `archive_dir`: `DIR.keys/kek` beside it (for
/// `/srv/evidence` that is `/srv/evidence.keys/kek`). The archive directory must exist.
pub fn default_key_file(archive_dir: &Path) -> Result<PathBuf, KeyError> {
    let archive = archive_dir.canonicalize().map_err(io_error("find the archive directory", archive_dir))?;
    let (Some(parent), Some(name)) = (archive.parent(), archive.file_name()) else {
        return Err(KeyError::KeyFileInsideArchive { path: archive.clone(), archive_dir: archive });
    };
    let mut keys = name.to_os_string();
    keys.push(".keys");
    Ok(parent.join(keys).join("kek"))
}

/// Makes the KEK of a new archive and writes its seal header (`seal.json`) into
/// `archive_dir`, which must exist. `archive` is the archive's name (its log origin),
/// bound into the KEK's check value and written into the key file.
///
/// With a key file, the file is created first (mode 0600, in a directory made with mode
/// 0700 if needed) and must not exist; then the header. Refuses a key file path inside
/// the archive directory.
pub fn create_keyring(archive_dir: &Path, archive: &str, setup: &KekSetup<'_>) -> Result<Keyring, KeyError> {
    check_archive_name(archive).map_err(KeyError::ArchiveName)?;
    let archive_dir = archive_dir.canonicalize().map_err(io_error("find the archive directory", archive_dir))?;
    let header_path = archive_dir.join(HEADER_FILE_NAME);
    if fs::symlink_metadata(&header_path).is_ok() {
        return Err(KeyError::AlreadyCreated { path: header_path });
    }
    let (kek, source, key_file) = match setup {
        KekSetup::KeyFile { path } => {
            let path = resolve_outside_archive(&archive_dir, path)?;
            create_private_dir(parent_dir(&path))?;
            let kek = Kek::generate()?;
            write_key_file(&path, archive, &kek)?;
            (kek, KekSource::KeyFile, Some(path))
        }
        KekSetup::Passphrase { passphrase, params } => {
            check_passphrase(passphrase)?;
            let mut salt = [0u8; 32];
            fill_random(&mut salt, "a passphrase salt").map_err(KeyError::Randomness)?;
            (params.derive(passphrase, &salt)?, KekSource::Passphrase { params: *params, salt }, None)
        }
    };
    let header = SealHeader {
        archive: archive.to_owned(),
        kek: KekDescriptor { check: kek.check(archive), source },
        next: None,
    };
    header.save(&archive_dir)?;
    Ok(Keyring { archive_dir, header, current: kek, next: None, key_file })
}

/// Loads the KEK of the archive at `archive_dir` and checks it against the seal header.
///
/// With a key file this also completes an interrupted rotation: if the header already
/// names the new KEK but it still waits in `<key file>.next`, it is moved into place; a
/// `.next` file that a rotation wrote but never recorded in the header is shredded.
pub fn open_keyring(archive_dir: &Path, unlock: &Unlock<'_>) -> Result<Keyring, KeyError> {
    let archive_dir = archive_dir.canonicalize().map_err(io_error("find the archive directory", archive_dir))?;
    let header = SealHeader::load(&archive_dir)?;
    match (&header.kek.source, unlock) {
        (KekSource::KeyFile, Unlock::KeyFile { path }) => {
            let path = resolve_outside_archive(&archive_dir, path)?;
            open_key_files(archive_dir, header, path)
        }
        (KekSource::Passphrase { params, salt }, Unlock::Passphrase { passphrase, next_passphrase }) => {
            let current = params.derive(passphrase, salt)?;
            if current.check(&header.archive) != header.kek.check {
                return Err(KeyError::WrongPassphrase { which: "current" });
            }
            let next = match &header.next {
                None => None,
                Some(KekDescriptor { check, source: KekSource::Passphrase { params, salt } }) => {
                    let next_passphrase = next_passphrase.ok_or(KeyError::NextPassphraseNeeded)?;
                    let next = params.derive(next_passphrase, salt)?;
                    if next.check(&header.archive) != *check {
                        return Err(KeyError::WrongPassphrase { which: "new" });
                    }
                    Some(next)
                }
                Some(KekDescriptor { source: KekSource::KeyFile, .. }) => {
                    return Err(KeyError::Corrupted {
                        what: format!("seal header ({HEADER_FILE_NAME})"),
                        detail: "a passphrase key is rotating to a key file, which no rotation does".to_owned(),
                    });
                }
            };
            Ok(Keyring { archive_dir, header, current, next, key_file: None })
        }
        (source, unlock) => Err(KeyError::WrongUnlock { archive_uses: source.describe(), given: unlock.describe() }),
    }
}

fn open_key_files(archive_dir: PathBuf, header: SealHeader, path: PathBuf) -> Result<Keyring, KeyError> {
    let next_path = next_key_file(&path);
    let archive = header.archive.clone();
    match &header.next {
        Some(next_descriptor) => {
            if next_descriptor.source != KekSource::KeyFile {
                return Err(KeyError::Corrupted {
                    what: format!("seal header ({HEADER_FILE_NAME})"),
                    detail: "a key file is rotating to a passphrase, which no rotation does".to_owned(),
                });
            }
            let current = read_matching_key_file(&path, &archive, &header.kek)?;
            let next = read_matching_key_file(&next_path, &archive, next_descriptor)?;
            Ok(Keyring { archive_dir, header, current, next: Some(next), key_file: Some(path) })
        }
        None => match read_matching_key_file(&path, &archive, &header.kek) {
            Ok(current) => {
                if fs::symlink_metadata(&next_path).is_ok() {
                    // A rotation wrote its new key but stopped before the header named it:
                    // no data key is wrapped under that key, so it is destroyed.
                    shred_file(&next_path).map_err(io_error("shred the unused key file", &next_path))?;
                }
                Ok(Keyring { archive_dir, header, current, next: None, key_file: Some(path) })
            }
            Err(error) => {
                // A rotation that stopped after the header named the new key but before the
                // new key file replaced the old one: finish moving it into place.
                match read_matching_key_file(&next_path, &archive, &header.kek) {
                    Ok(current) => {
                        rename_durably(&next_path, &path)
                            .map_err(io_error("move the new key file into place", &path))?;
                        Ok(Keyring { archive_dir, header, current, next: None, key_file: Some(path) })
                    }
                    Err(_) => Err(error),
                }
            }
        },
    }
}

impl Keyring {
    /// The seal header as it stands.
    pub fn header(&self) -> &SealHeader {
        &self.header
    }

    /// The archive directory (canonical).
    pub fn archive_dir(&self) -> &Path {
        &self.archive_dir
    }

    /// The key file in use, if the KEK comes from one.
    pub fn key_file(&self) -> Option<&Path> {
        self.key_file.as_deref()
    }

    /// The id of the KEK that new wrappings use: the next KEK during a rotation, else the
    /// current one.
    pub fn key_id(&self) -> KeyId {
        self.header.next.as_ref().unwrap_or(&self.header.kek).check.key_id()
    }

    /// Whether a rotation is in progress.
    pub fn rotation_in_progress(&self) -> bool {
        self.next.is_some()
    }

    fn newest(&self) -> (&Kek, KeyId) {
        match &self.next {
            Some(next) => (next, self.key_id()),
            None => (&self.current, self.key_id()),
        }
    }

    /// Wraps `key` for `object` under the newest KEK.
    pub fn wrap_data_key(&self, object: &ObjectId, key: &DataKey) -> Result<WrappedKey, KeyError> {
        let (kek, id) = self.newest();
        wrap_key(kek, id, object, key)
    }

    /// A fresh data key for a new sealed object, and its wrapped form to store.
    pub fn new_data_key(&self, object: &ObjectId) -> Result<(DataKey, WrappedKey), KeyError> {
        let key = DataKey::generate()?;
        let wrapped = self.wrap_data_key(object, &key)?;
        Ok((key, wrapped))
    }

    /// Unwraps the data key of `object`. Fails if it is wrapped under a KEK that is not
    /// loaded, or if it was wrapped for another object or changed.
    pub fn unwrap_data_key(&self, object: &ObjectId, wrapped: &WrappedKey) -> Result<DataKey, KeyError> {
        let id = wrapped.key_id();
        if id == self.header.kek.check.key_id() {
            return unwrap_key(&self.current, object, wrapped);
        }
        if let (Some(next), Some(descriptor)) = (&self.next, &self.header.next)
            && id == descriptor.check.key_id()
        {
            return unwrap_key(next, object, wrapped);
        }
        Err(KeyError::UnknownWrappingKey { object: object.clone(), wrapped: id, current: self.key_id() })
    }

    /// Starts replacing the KEK: makes the new KEK (for a key file, as
    /// `<key file>.next`, mode 0600) and records it in the header as `next`. From here
    /// on new wrappings use the new KEK and both unwrap. Then re-wrap every stored data
    /// key with [`Keyring::rewrap`] and call [`Keyring::finish_rotation`].
    pub fn begin_rotation(&mut self, to: &RotateTo<'_>) -> Result<(), KeyError> {
        if self.next.is_some() {
            return Err(KeyError::RotationInProgress);
        }
        let archive = self.header.archive.clone();
        let (next, source) = match (to, &self.key_file) {
            (RotateTo::KeyFile, Some(path)) => {
                let next_path = next_key_file(path);
                if fs::symlink_metadata(&next_path).is_ok() {
                    shred_file(&next_path).map_err(io_error("shred the unused key file", &next_path))?;
                }
                let next = Kek::generate()?;
                write_key_file(&next_path, &archive, &next)?;
                (next, KekSource::KeyFile)
            }
            (RotateTo::Passphrase { passphrase, params }, None) => {
                check_passphrase(passphrase)?;
                let mut salt = [0u8; 32];
                fill_random(&mut salt, "a passphrase salt").map_err(KeyError::Randomness)?;
                (params.derive(passphrase, &salt)?, KekSource::Passphrase { params: *params, salt })
            }
            (RotateTo::KeyFile, None) => {
                return Err(KeyError::RotationChangesSource { from: "passphrase", to: "key file" });
            }
            (RotateTo::Passphrase { .. }, Some(_)) => {
                return Err(KeyError::RotationChangesSource { from: "key file", to: "passphrase" });
            }
        };
        let mut header = self.header.clone();
        header.next = Some(KekDescriptor { check: next.check(&archive), source });
        header.save(&self.archive_dir)?;
        self.header = header;
        self.next = Some(next);
        Ok(())
    }

    /// Re-wraps one data key under the next KEK: `Some(new wrapped key)` to store in place
    /// of the old one, or `None` if it is already under the next KEK. The content it
    /// encrypts is not touched.
    pub fn rewrap(&self, object: &ObjectId, wrapped: &WrappedKey) -> Result<Option<WrappedKey>, KeyError> {
        let Some(next) = &self.next else {
            return Err(KeyError::NoRotation);
        };
        if wrapped.key_id() == self.key_id() {
            return Ok(None);
        }
        let key = self.unwrap_data_key(object, wrapped)?;
        Ok(Some(wrap_key(next, self.key_id(), object, &key)?))
    }

    /// Finishes a rotation. `stored` must be every wrapped key the archive holds, read
    /// back after re-wrapping: if any is still under the old KEK nothing changes and
    /// [`KeyError::RotationIncomplete`] says how many. Otherwise the header names the new
    /// KEK as current, and the old KEK is destroyed (its key file overwritten and removed,
    /// the new one moved into its place).
    pub fn finish_rotation<'k>(&mut self, stored: impl IntoIterator<Item = &'k WrappedKey>) -> Result<(), KeyError> {
        let (Some(next_descriptor), Some(_)) = (self.header.next.clone(), &self.next) else {
            return Err(KeyError::NoRotation);
        };
        let new_id = next_descriptor.check.key_id();
        let remaining = stored.into_iter().filter(|wrapped| wrapped.key_id() != new_id).count();
        if remaining > 0 {
            return Err(KeyError::RotationIncomplete { remaining, old: self.header.kek.check.key_id() });
        }
        let header = SealHeader { archive: self.header.archive.clone(), kek: next_descriptor, next: None };
        header.save(&self.archive_dir)?;
        self.header = header;
        if let Some(next) = self.next.take() {
            self.current = next;
        }
        if let Some(path) = &self.key_file {
            let next_path = next_key_file(path);
            shred_file(path).map_err(io_error("shred the old key file", path))?;
            rename_durably(&next_path, path).map_err(io_error("move the new key file into place", path))?;
        }
        Ok(())
    }
}

/// `<key file>.next`: where a rotation keeps the new key until it finishes.
fn next_key_file(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".next");
    path.with_file_name(name)
}

fn check_passphrase(passphrase: &str) -> Result<(), KeyError> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(KeyError::WeakPassphrase { chars });
    }
    Ok(())
}

fn check_archive_name(archive: &str) -> Result<(), String> {
    if archive.is_empty() || archive.len() > 1024 {
        return Err(format!("an archive name must be 1 to 1024 bytes (this one has {})", archive.len()));
    }
    if archive.chars().any(char::is_control) {
        return Err("an archive name must not contain control characters".to_owned());
    }
    Ok(())
}

/// The absolute, symlink-free form of `path` (resolving the part that exists), refused if
/// it lies inside the archive directory.
fn resolve_outside_archive(archive_dir: &Path, path: &Path) -> Result<PathBuf, KeyError> {
    let absolute = std::path::absolute(path).map_err(io_error("find the key file", path))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let resolved = loop {
        match existing.canonicalize() {
            Ok(canonical) => break canonical,
            Err(_) => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(KeyError::Io {
                        action: "find the key file",
                        path: path.to_path_buf(),
                        source: io::Error::new(io::ErrorKind::NotFound, "no existing ancestor"),
                    });
                };
                rest.push(name.to_os_string());
                existing = parent;
            }
        }
    };
    let mut resolved = resolved;
    for name in rest.into_iter().rev() {
        if Path::new(&name).components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(KeyError::KeyFileMalformed {
                path: path.to_path_buf(),
                detail: "the path has `..` below a directory that does not exist".to_owned(),
            });
        }
        resolved.push(name);
    }
    if resolved.starts_with(archive_dir) {
        return Err(KeyError::KeyFileInsideArchive { path: resolved, archive_dir: archive_dir.to_path_buf() });
    }
    Ok(resolved)
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io_error("create the key directory", dir))?;
    fsync_dir(parent_dir(dir)).map_err(io_error("fsync the directory of", dir))
}

/// The key file's text:
///
/// ```text
/// evident-kek/1
/// archive: <archive name>
/// key-id: <16 hex digits>
/// kek: <base64 of the 32 bytes>
/// ```
fn write_key_file(path: &Path, archive: &str, kek: &Kek) -> Result<(), KeyError> {
    let mut text = Zeroizing::new(String::with_capacity(160 + archive.len()));
    text.push_str(KEK_FILE_FORMAT);
    text.push_str("\narchive: ");
    text.push_str(archive);
    text.push_str("\nkey-id: ");
    text.push_str(&kek.check(archive).key_id().to_string());
    text.push_str("\nkek: ");
    BASE64.encode_string(kek.0.as_ref(), &mut text);
    text.push('\n');
    write_new_private_file(path, text.as_bytes()).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            KeyError::KeyFileExists { path: path.to_path_buf() }
        } else {
            KeyError::Io { action: "write the key file", path: path.to_path_buf(), source }
        }
    })
}

/// A key file's content.
struct KeyFile {
    archive: String,
    kek: Kek,
}

fn read_key_file(path: &Path) -> Result<KeyFile, KeyError> {
    let malformed = |detail: &str| KeyError::KeyFileMalformed { path: path.to_path_buf(), detail: detail.to_owned() };
    let file = match OpenOptions::new().read(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(KeyError::KeyFileMissing { path: path.to_path_buf() });
        }
        Err(source) => return Err(KeyError::Io { action: "open the key file", path: path.to_path_buf(), source }),
    };
    let metadata = file.metadata().map_err(io_error("read the metadata of the key file", path))?;
    if !metadata.is_file() {
        return Err(malformed("it is not a regular file"));
    }
    let mode = metadata.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::KeyFilePermissions { path: path.to_path_buf(), mode });
    }
    if metadata.len() > MAX_KEY_FILE_BYTES {
        return Err(malformed(&format!("it has {} bytes; a key file has about 120", metadata.len())));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_BYTES).read_to_end(&mut bytes).map_err(io_error("read the key file", path))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed("it is not UTF-8 text"))?;
    let lines: Vec<&str> = text.lines().collect();
    let [format, archive, key_id, kek] = lines.as_slice() else {
        return Err(malformed(&format!("it has {} lines where a key file has 4", lines.len())));
    };
    if *format != KEK_FILE_FORMAT {
        return Err(malformed(&format!("the first line is not {KEK_FILE_FORMAT}")));
    }
    let archive = archive.strip_prefix("archive: ").ok_or_else(|| malformed("line 2 is not `archive: ...`"))?;
    let key_id = key_id.strip_prefix("key-id: ").ok_or_else(|| malformed("line 3 is not `key-id: ...`"))?;
    let encoded = kek.strip_prefix("kek: ").ok_or_else(|| malformed("line 4 is not `kek: ...`"))?;
    let decoded = Zeroizing::new(BASE64.decode(encoded.trim_end()).map_err(|_| malformed("the key is not base64"))?);
    if decoded.len() != 32 {
        return Err(KeyError::KeyFileWrongSize { path: path.to_path_buf(), found: decoded.len() });
    }
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&decoded);
    let kek = Kek(key);
    if kek.check(archive).key_id().to_string() != key_id {
        return Err(malformed("its key id does not match its key (the file is damaged)"));
    }
    Ok(KeyFile { archive: archive.to_owned(), kek })
}

fn read_matching_key_file(path: &Path, archive: &str, descriptor: &KekDescriptor) -> Result<Kek, KeyError> {
    let file = read_key_file(path)?;
    if file.archive != archive {
        return Err(KeyError::NotForThisArchive {
            path: path.to_path_buf(),
            file_archive: file.archive,
            archive: archive.to_owned(),
        });
    }
    let found = file.kek.check(archive);
    if found != descriptor.check {
        return Err(KeyError::WrongKey {
            path: path.to_path_buf(),
            expected: descriptor.check.key_id(),
            found: found.key_id(),
        });
    }
    Ok(file.kek)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_kek() -> Kek {
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = i as u8;
        }
        Kek(Zeroizing::new(bytes))
    }

    /// The vector in docs/sealing.md, computed independently from the spec.
    #[test]
    fn kek_check_matches_the_documented_vector() {
        let check = test_kek().check("archive.example.org/evident");
        assert_eq!(check.to_string(), "44fc471a6c3217bd624c392d4783fa72ee8db700db350b26e740dad8c9248848");
        assert_eq!(check.key_id().to_string(), "44fc471a6c3217bd");
        assert_ne!(test_kek().check("archive.example.org/other"), check, "the archive name is bound in");
    }

    #[test]
    fn header_round_trips_and_refuses_unknown_fields_and_formats() {
        let header = SealHeader {
            archive: "a.example/evident".to_owned(),
            kek: KekDescriptor { check: test_kek().check("a"), source: KekSource::KeyFile },
            next: Some(KekDescriptor {
                check: test_kek().check("b"),
                source: KekSource::Passphrase { params: PassphraseParams::default(), salt: [7; 32] },
            }),
        };
        let encoded = header.encode();
        assert_eq!(SealHeader::parse(&encoded).unwrap(), header);
        let text = String::from_utf8(encoded).unwrap();
        let unknown = text.replacen("\"archive\"", "\"extra\": 1,\n  \"archive\"", 1);
        assert!(matches!(SealHeader::parse(unknown.as_bytes()), Err(KeyError::Corrupted { .. })));
        let version = text.replace("evident-seal/1", "evident-seal/2");
        let error = SealHeader::parse(version.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("evident-seal/2") && error.contains("not known"), "{error}");
        let id = text.replacen(&test_kek().check("a").key_id().to_string(), "0000000000000000", 1);
        assert!(SealHeader::parse(id.as_bytes()).unwrap_err().to_string().contains("key_id"));
    }

    #[test]
    fn passphrase_parameters_are_bounded() {
        let huge = PassphraseParams { memory_kib: u32::MAX, iterations: 1, parallelism: 1 };
        assert!(matches!(huge.derive("long enough passphrase", &[0; 32]), Err(KeyError::Argon2(_))));
        let tiny = PassphraseParams { memory_kib: 1, iterations: 1, parallelism: 1 };
        assert!(matches!(tiny.derive("long enough passphrase", &[0; 32]), Err(KeyError::Argon2(_))));
    }

    #[test]
    fn next_key_file_is_beside_the_key_file() {
        assert_eq!(next_key_file(Path::new("/k/arch.keys/kek")), Path::new("/k/arch.keys/kek.next"));
    }
}
