//! Sealed uploads and the safe testimony intake (witness protection,
//! issue 6; `docs/api.md`, `docs/sealing.md`).
//!
//! A front end that receives a sealed file over the network must not write
//! its plaintext anywhere, not even while the rest of the request is still
//! arriving. It encrypts each part as it arrives under a [`StagingKey`]: a
//! random key that lives only in memory, for one staged file. Once the whole
//! request is in, [`Archive::add_sealed_uploads`] decrypts the staged files
//! chunk by chunk straight into the normal sealed add (which encrypts again
//! under each item's own data key), all or nothing. A crash between the two
//! leaves only ciphertext under `tmp/`, whose key died with the process;
//! the next open removes it.
//!
//! Intake groups a witness's sealed items in a case, found again by a
//! follow-up code that only the witness holds: 160 random bits written as
//! eight groups of four base32 letters, stored only as its SHA-256.

use std::fs;
use std::io::{self, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use evident_seal::{DataKey, ObjectId, StreamDecryptor, StreamEncryptor};
use evident_store::{IntakeCaseRow, IntakeItemRow};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::add::ReaderSource;
use crate::seal::seal_error;
use crate::{Archive, ArchiveError, AuditEvent, Result, now_rfc3339};

/// The actor of intake's log entries: never the witness or their address.
pub const INTAKE_ACTOR: &str = "intake";

/// The object id a staging key's stream is bound to.
const STAGING_OBJECT: &str = "evident-upload-staging";

/// A random key, held only in memory, that encrypts one uploaded file while
/// it is staged. Wiped when dropped.
pub struct StagingKey {
    key: DataKey,
    object: ObjectId,
}

impl std::fmt::Debug for StagingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StagingKey(..)")
    }
}

impl StagingKey {
    /// A fresh random staging key.
    pub fn generate() -> Result<StagingKey> {
        let key = DataKey::generate().map_err(seal_error)?;
        let object = crate::seal::object_id(STAGING_OBJECT)?;
        Ok(StagingKey { key, object })
    }

    /// Starts encrypting one file under this key.
    pub fn encryptor(&self) -> Result<StagingEncryptor> {
        let output = SharedBytes::default();
        let inner = StreamEncryptor::new(&self.key, &self.object, output.clone()).map_err(seal_error)?;
        Ok(StagingEncryptor { inner, output })
    }
}

/// Encrypts a file piece by piece as it arrives; the caller writes what
/// each call returns to the staging file.
pub struct StagingEncryptor {
    inner: StreamEncryptor<SharedBytes>,
    output: SharedBytes,
}

impl std::fmt::Debug for StagingEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StagingEncryptor(..)")
    }
}

impl StagingEncryptor {
    /// Encrypts the next piece; returns the ciphertext ready to be written
    /// (often empty: a chunk goes out when it is full).
    pub fn update(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.inner.write_all(plaintext).map_err(seal_error)?;
        Ok(self.output.take())
    }

    /// Ends the stream; returns the last ciphertext to write.
    pub fn finish(self) -> Result<Vec<u8>> {
        let output = self.output.clone();
        self.inner.finish().map_err(seal_error)?;
        Ok(output.take())
    }
}

/// The ciphertext a [`StagingEncryptor`] has produced and not yet handed out.
#[derive(Clone, Default)]
struct SharedBytes(Arc<Mutex<Vec<u8>>>);

impl SharedBytes {
    fn take(&self) -> Vec<u8> {
        match self.0.lock() {
            Ok(mut bytes) => std::mem::take(&mut *bytes),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

impl Write for SharedBytes {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = self.0.lock().map_err(|_| io::Error::other("staging buffer poisoned"))?;
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One uploaded file, staged encrypted under its [`StagingKey`].
#[derive(Debug)]
pub struct SealedUpload {
    /// the file's name as the client sent it (sanitised); sealed with the item
    pub name: String,
    /// the staged ciphertext
    pub path: PathBuf,
    pub key: StagingKey,
}

/// What one intake submission stored.
#[derive(Debug)]
pub struct IntakeSubmission {
    pub case_id: String,
    /// the new sealed items, in the order submitted
    pub items: Vec<String>,
    /// the follow-up code, for a new case only (shown once, stored only hashed)
    pub code: Option<Zeroizing<String>>,
}

/// An intake case and its items, for the intake role's pages.
#[derive(Clone, Debug)]
pub struct IntakeCaseView {
    pub case: IntakeCaseRow,
    pub items: Vec<IntakeItemRow>,
}

/// The follow-up code's SHA-256 (lowercase hex) after normalising it:
/// letters in upper case, everything but letters and digits dropped (so
/// spaces, dashes and line breaks from copying do not matter).
pub fn intake_code_hash(code: &str) -> String {
    let normalised: Zeroizing<String> =
        Zeroizing::new(code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect());
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// A new follow-up code: 20 random bytes (160 bits) in base32 (RFC 4648
/// alphabet), as eight groups of four separated by `-`.
fn new_intake_code() -> Result<Zeroizing<String>> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut random = Zeroizing::new([0u8; 20]);
    getrandom::fill(random.as_mut())
        .map_err(|e| ArchiveError::Invalid(format!("no randomness for a follow-up code: {e}")))?;
    let mut code = Zeroizing::new(String::with_capacity(39));
    // 160 bits = 32 groups of 5 bits.
    for index in 0..32 {
        let bit = index * 5;
        let byte = bit / 8;
        let pair = (u16::from(random[byte]) << 8) | u16::from(*random.get(byte + 1).unwrap_or(&0));
        let value = (pair >> (11 - bit % 8)) & 0x1f;
        if index > 0 && index % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(value)]));
    }
    Ok(code)
}

fn new_case_id() -> Result<String> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| ArchiveError::Invalid(format!("no randomness for a case id: {e}")))?;
    Ok(format!("case_{}", hex::encode(random)))
}

impl Archive {
    /// Adds staged sealed uploads as sealed items, all or nothing (see the
    /// module docs), with `actor` in their log entries. The new ids in order.
    pub fn add_sealed_uploads(&mut self, uploads: &[SealedUpload], actor: &str) -> Result<Vec<String>> {
        let mut readers = Vec::with_capacity(uploads.len());
        for (position, upload) in uploads.iter().enumerate() {
            let file = fs::File::open(&upload.path).map_err(ArchiveError::io("open a staged upload", &upload.path))?;
            let decryptor = StreamDecryptor::new(&upload.key.key, &upload.key.object, BufReader::new(file))
                .map_err(|e| ArchiveError::Invalid(format!("staged upload {} cannot be read: {e}", position + 1)))?;
            readers.push(decryptor);
        }
        let sources: Vec<ReaderSource<'_>> = uploads
            .iter()
            .zip(readers.iter_mut())
            .map(|(upload, reader)| ReaderSource { name: upload.name.clone(), reader: reader as &mut dyn Read })
            .collect();
        self.add_sealed_readers(sources, actor)
    }

    /// A new intake case holding the staged uploads as sealed items (actor
    /// `intake` in the log), all or nothing. Returns the case, its items
    /// and the follow-up code. Audited as `intake.submit` by `intake`,
    /// with no client address.
    pub fn intake_submit(&mut self, uploads: &[SealedUpload]) -> Result<IntakeSubmission> {
        let code = new_intake_code()?;
        let case = IntakeCaseRow {
            case_id: new_case_id()?,
            code_hash: intake_code_hash(&code),
            created_at: now_rfc3339(),
            items: 0,
        };
        let items = self.intake_store(&case.case_id, uploads, Some(&case))?;
        Ok(IntakeSubmission { case_id: case.case_id, items, code: Some(code) })
    }

    /// Adds staged uploads to the case of a follow-up code. `Ok(None)` if
    /// no case has that code (nothing stored).
    pub fn intake_follow_up(&mut self, code: &str, uploads: &[SealedUpload]) -> Result<Option<IntakeSubmission>> {
        let Some(case) = self.store.intake_case_by_code_hash(&intake_code_hash(code))? else {
            return Ok(None);
        };
        let items = self.intake_store(&case.case_id, uploads, None)?;
        Ok(Some(IntakeSubmission { case_id: case.case_id, items, code: None }))
    }

    fn intake_store(
        &mut self,
        case_id: &str,
        uploads: &[SealedUpload],
        new_case: Option<&IntakeCaseRow>,
    ) -> Result<Vec<String>> {
        if uploads.is_empty() {
            return Err(ArchiveError::Invalid("an intake submission needs a testimony or a file".to_owned()));
        }
        let items = self.add_sealed_uploads(uploads, INTAKE_ACTOR)?;
        let added_at = now_rfc3339();
        let rows: Vec<IntakeItemRow> = items
            .iter()
            .map(|item| IntakeItemRow {
                case_id: case_id.to_owned(),
                item_id: item.clone(),
                added_at: added_at.clone(),
            })
            .collect();
        self.store.put_intake(new_case, &rows)?;
        self.audit(&AuditEvent {
            actor: INTAKE_ACTOR.to_owned(),
            role: "public".to_owned(),
            action: if new_case.is_some() { "intake.submit" } else { "intake.follow-up" }.to_owned(),
            target: case_id.to_owned(),
            client: "withheld".to_owned(),
        })?;
        Ok(items)
    }

    /// The case of a follow-up code, if any.
    pub fn intake_case_for_code(&self, code: &str) -> Result<Option<IntakeCaseView>> {
        match self.store.intake_case_by_code_hash(&intake_code_hash(code))? {
            Some(case) => self.intake_case(&case.case_id),
            None => Ok(None),
        }
    }

    /// Every intake case with its item count, newest first.
    pub fn intake_cases(&self) -> Result<Vec<IntakeCaseRow>> {
        Ok(self.store.intake_cases()?)
    }

    /// One intake case with its items, oldest first.
    pub fn intake_case(&self, case_id: &str) -> Result<Option<IntakeCaseView>> {
        let Some(case) = self.store.intake_case(case_id)? else { return Ok(None) };
        let items = self.store.intake_items(case_id)?;
        Ok(Some(IntakeCaseView { case, items }))
    }

    /// The intake case an item belongs to, if any.
    pub fn intake_case_of_item(&self, item_id: &str) -> Result<Option<String>> {
        Ok(self.store.intake_case_of_item(item_id)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_codes_are_160_bits_of_base32_in_groups() {
        let code = new_intake_code().unwrap();
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 8, "{}", code.as_str());
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)))
        );
        assert_ne!(code.as_str(), new_intake_code().unwrap().as_str());
        // Copying may change case, spacing and dashes, never the hash.
        let copied = code.to_lowercase().replace('-', " ");
        assert_eq!(intake_code_hash(&copied), intake_code_hash(&code));
        assert_ne!(intake_code_hash("AAAA-BBBB"), intake_code_hash("AAAA-BBBC"));
    }

    #[test]
    fn staged_ciphertext_decrypts_to_what_was_staged_and_holds_no_plaintext() {
        let key = StagingKey::generate().unwrap();
        let mut encryptor = key.encryptor().unwrap();
        let plaintext: Vec<u8> = b"Canary \xe9\x87\x91\xe4\xb8\x9d\xe9\x9b\x80 ".repeat(20_000);
        let mut sealed = Vec::new();
        for piece in plaintext.chunks(7_777) {
            sealed.extend(encryptor.update(piece).unwrap());
        }
        sealed.extend(encryptor.finish().unwrap());
        assert!(!sealed.windows(6).any(|w| w == b"Canary"));
        let mut decrypted = Vec::new();
        StreamDecryptor::new(&key.key, &key.object, sealed.as_slice()).unwrap().read_to_end(&mut decrypted).unwrap();
        assert_eq!(decrypted, plaintext);
        let other = StagingKey::generate().unwrap();
        assert!(StreamDecryptor::new(&other.key, &other.object, sealed.as_slice()).is_err());
    }
}
