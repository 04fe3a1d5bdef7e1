//! The archive: the one pipeline every front end uses.
//!
//! Bytes are hashed as they stream into an OCFL object in a staging area,
//! made durable, installed in the storage root, recorded in the store with
//! their log entries, and then sequenced into the tiled transparency log
//! under a signed checkpoint. [`Archive::open`] repairs whatever a crash
//! left between those steps before anything else happens (see
//! ARCHITECTURE.md, "Commit order").
//!
//! An archive directory holds:
//!
//! ```text
//! evident.json   archive settings (format, origin, verifier key, key file)
//! evident.db     the SQLite store
//! ocfl/          the OCFL 1.1 storage root
//! log/           checkpoint, tile/..., tile/entries/... (C2SP tlog-tiles)
//! index/         the search index (tantivy; derived, rebuilt by `evident reindex`)
//! keys/log.key   the log's signing key, unless placed elsewhere
//! state/         last-verify.json: the last verification's summary
//! tmp/           staging, on the same file system as ocfl/
//! lock           held by the one command that works on the archive
//! ```

mod accounts;
mod add;
mod audit;
pub mod bench;
mod claims;
mod files;
mod findings;
mod forget;
mod grants;
mod import;
mod intake;
mod last_verify;
mod layout;
mod log;
mod publish;
mod receipt;
mod records;
mod redact;
mod rotate;
mod seal;
mod seal_pipeline;
mod sealed_records;
mod search;
mod verify;
mod visible_export;

use std::fs;
use std::path::{Path, PathBuf};

use evident_objects::{ObjectsError, StorageRoot};
use evident_store::{MetadataStore, Store, StoreError};
use evident_tlog::{NoteSigner, NoteVerifier, TlogError};

pub use accounts::{Principal, Role, TotpSetup, UserView};
pub use add::{AddConfig, AddObserver, AddOutcome, AddStatus, AddSummary};
pub use audit::{AUDIT_BATCH_EVENTS, AuditEvent, AuditRecord};
pub use claims::ClaimSearch;
pub use evident_core::RecordKind;
pub use evident_formats::Format;
pub use evident_search::{Access, Hit, SearchHandle, SearchRequest, SearchResults, Snippet, Sort};
pub use evident_store::ForgottenItemRow;
pub use evident_store::{IntakeCaseRow, IntakeItemRow, SealedGrantRow};
pub use files::ItemTextContent;
pub use findings::{ClaimSummary, FindingRow, display_text};
pub use forget::ForgetReport;
pub use import::{ImportConfig, ImportReport, RowProblem, import_format};
pub use intake::{
    INTAKE_ACTOR, IntakeCaseView, IntakeSubmission, SealedUpload, StagingEncryptor, StagingKey, intake_code_hash,
};
pub use last_verify::{MAX_SAVED_PROBLEMS, VERIFY_SUMMARY_FORMAT, VerifyProblem, VerifySummary};
pub use layout::ArchiveSettings;
pub use publish::{PUBLISHED_PREFIX, Publication, UNPUBLISHED_PREFIX};
pub use receipt::{ReceiptVerdict, check_receipt, check_sealed_receipt};
pub use records::{FieldChange, RecordChange, RecordView};
pub use redact::{Derivation, MAX_REDACT_BYTES, REDACTION_MARKER, RedactConfig, RedactReport, Region, parse_span};
pub use rotate::{KekRotation, RotateReport};
pub use seal::{
    KekInit, KekUnlock, SEALED_FILE_NAME, SEALED_MEDIA_TYPE, SEALED_PLACEHOLDER, SealInitReport, SealedItemView,
    Sensitivity,
};
pub use sealed_records::{SEALED_FIELD_TEXT, SEALED_KEY_FIELD, mask_sealed_fields};
pub use search::{ReindexObserver, ReindexReport};
pub use verify::{Problem, VerifyReport};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0} is not an evident archive (no evident.json); create one with `evident init`")]
    NotAnArchive(PathBuf),
    #[error("{0} already exists and is not empty; evident init never overwrites")]
    AlreadyExists(PathBuf),
    #[error("another evident command is working on {0}; wait for it to finish and try again")]
    Locked(PathBuf),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("log key: {0}")]
    Key(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// sealing is not set up, or the key-encryption key is missing or wrong
    #[error("{0}")]
    Sealed(String),
    /// the password was right, but the account has a second factor and no
    /// one-time code came with it
    #[error("this account needs a one-time code from its authenticator app as well")]
    TotpRequired,
    /// stored data that disagrees with itself; reported, never repaired silently
    #[error("corrupted {what}: {detail}")]
    Corrupted { what: String, detail: String },
    #[error(transparent)]
    Objects(#[from] ObjectsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tlog(#[from] TlogError),
}

impl ArchiveError {
    fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> ArchiveError + 'p {
        move |source| ArchiveError::Io { action, path: path.to_owned(), source }
    }
}

pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// Settings for `evident init`.
#[derive(Clone, Debug)]
pub struct InitConfig {
    /// the log's origin line and key name, e.g. `archive.example.org/evident`
    pub origin: String,
    /// where to write the signing key; `None` puts it at `DIR/keys/log.key`
    pub key_file: Option<PathBuf>,
}

/// What `evident init` created.
#[derive(Clone, Debug)]
pub struct InitReport {
    pub verifier_key: String,
    pub key_file: PathBuf,
    pub checkpoint: String,
}

/// An open archive. Holding one holds the archive's lock.
pub struct Archive {
    layout: layout::Layout,
    settings: ArchiveSettings,
    verifier: NoteVerifier,
    key_file: PathBuf,
    store: Box<dyn MetadataStore>,
    objects: StorageRoot,
    /// opened on first use (`search.rs`)
    search_index: Option<evident_search::SearchIndex>,
    /// the last TOTP step each user signed in with, so a code is good once
    totp_used: std::collections::HashMap<String, u64>,
    /// how to unlock the key-encryption key, if the command said (`seal.rs`)
    kek_unlock: Option<seal::KekUnlock>,
    /// the key-encryption key, unlocked on first use
    keyring: std::cell::OnceCell<evident_seal::Keyring>,
    _lock: fs::File,
}

impl Archive {
    /// Creates a new archive at `dir` (which must not exist or be empty).
    pub fn init(dir: &Path, config: &InitConfig) -> Result<InitReport> {
        layout::init(dir, config)
    }

    /// Opens an archive, takes its lock, and repairs what an interrupted
    /// command left behind (see ARCHITECTURE.md, "Recovery").
    /// `key_file` overrides the key location recorded at init.
    pub fn open(dir: &Path, key_file: Option<&Path>) -> Result<Archive> {
        let layout = layout::Layout::new(dir);
        let settings = layout.read_settings()?;
        let lock = layout.lock()?;
        let verifier = NoteVerifier::parse(&settings.verifier_key).map_err(|e| ArchiveError::Corrupted {
            what: layout.settings_file().display().to_string(),
            detail: e.to_string(),
        })?;
        let key_file = match key_file {
            Some(path) => path.to_owned(),
            None => layout.key_file(&settings),
        };
        let store: Box<dyn MetadataStore> = Box::new(Store::open(&layout.database())?);
        let objects = StorageRoot::open(&layout.ocfl())?;
        let mut archive = Archive {
            layout,
            settings,
            verifier,
            key_file,
            store,
            objects,
            search_index: None,
            totp_used: std::collections::HashMap::new(),
            kek_unlock: None,
            keyring: std::cell::OnceCell::new(),
            _lock: lock,
        };
        archive.recover()?;
        Ok(archive)
    }

    pub fn dir(&self) -> &Path {
        self.layout.dir()
    }

    pub fn settings(&self) -> &ArchiveSettings {
        &self.settings
    }

    /// The log's verifier key, `name+hex(keyid)+base64(0x01||pubkey)`.
    pub fn verifier_key(&self) -> String {
        self.verifier.to_string()
    }

    /// The latest signed checkpoint note, as published at `log/checkpoint`.
    pub fn checkpoint(&self) -> Result<String> {
        self.log().read_checkpoint()
    }

    pub fn item(&self, id: &str) -> Result<evident_store::ItemRecord> {
        self.store.item(id)?.ok_or_else(|| ArchiveError::NotFound(format!("no item {id} in this archive")))
    }

    pub fn item_count(&self) -> Result<u64> {
        Ok(self.store.item_count()?)
    }

    /// Finishes what an interrupted command left: staging files are
    /// removed, objects installed but never committed are removed, and
    /// committed entries beyond the checkpoint are published.
    fn recover(&mut self) -> Result<()> {
        let tmp = self.layout.tmp();
        if tmp.exists() {
            for entry in fs::read_dir(&tmp).map_err(ArchiveError::io("read", &tmp))? {
                let entry = entry.map_err(ArchiveError::io("read", &tmp))?;
                let path = entry.path();
                let removed = if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(ArchiveError::io("remove staging leftover", &path))?;
            }
        } else {
            fs::create_dir_all(&tmp).map_err(ArchiveError::io("create", &tmp))?;
        }
        for id in self.store.pending()? {
            if self.store.item(&id)?.is_none() && self.objects.object_exists(&id) {
                tracing::warn!(object = %id, "removing an object that an interrupted add installed but never committed");
                self.objects.remove_object(&id)?;
                evident_objects::sync_filesystem(self.objects.path())?;
            }
            // The keys of a sealed item that never committed (they are
            // stored before the item).
            if self.store.item(&id)?.is_none() {
                self.store.remove_sealed_item(&id)?;
            }
            self.store.clear_pending(&id)?;
        }
        // Audit events noted by a server that stopped before its batch.
        self.commit_audit_entry()?;
        match self.publish() {
            // Reading needs no signing key: a command run without it still
            // works, and the unpublished entries wait for one that has it.
            Err(ArchiveError::Key(reason)) => {
                tracing::warn!(%reason, "committed entries await a checkpoint, but the log key is not available");
                Ok(())
            }
            // A damaged log must not stop `verify` from reporting it; commands
            // that write publish first and so refuse to build on it.
            Err(ArchiveError::Corrupted { what, detail }) => {
                tracing::warn!(%what, %detail, "the log cannot be extended until this is resolved; run `evident verify`");
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    pub(crate) fn signer(&self) -> Result<NoteSigner> {
        let text = fs::read_to_string(&self.key_file).map_err(|e| {
            ArchiveError::Key(format!(
                "cannot read the log key at {}: {e}; pass --key-file or set EVIDENT_KEY_FILE if it lives elsewhere",
                self.key_file.display()
            ))
        })?;
        let signer = NoteSigner::parse_private_key(text.trim_end())
            .map_err(|e| ArchiveError::Key(format!("{} is not a log key: {e}", self.key_file.display())))?;
        if signer.verifier() != self.verifier {
            return Err(ArchiveError::Key(format!(
                "the key in {} is not this archive's log key ({})",
                self.key_file.display(),
                self.verifier
            )));
        }
        Ok(signer)
    }

    fn log(&self) -> log::LogFiles {
        log::LogFiles::new(self.layout.log())
    }

    /// Publishes committed entries that no checkpoint covers yet: tiles,
    /// entry bundles, then a new signed checkpoint. Returns the new size.
    pub fn publish(&mut self) -> Result<u64> {
        let target = self.store.log_size()?;
        let log = self.log();
        let current = log.open_checkpoint(&self.verifier)?;
        if current.size == target {
            return Ok(target);
        }
        let signer = self.signer()?;
        log::publish(&log, self.store.as_mut(), &signer, &self.verifier, target)?;
        Ok(target)
    }

    /// A c2sp.org/tlog-proof receipt for an item: its log entry in the
    /// `extra` line, its index, the inclusion proof and the checkpoint.
    pub fn receipt(&self, id: &str) -> Result<String> {
        let item = self.item(id)?;
        log::receipt(&self.log(), self.store.as_ref(), &self.verifier, item.log_index)
    }

    /// Checks everything: objects, inventories, log entries against the
    /// store and the objects, tiles against the checkpoint, the checkpoint's
    /// signature (against `pinned_key` if given, else the archive's own).
    pub fn verify(
        &self,
        pinned_key: Option<&NoteVerifier>,
        observer: &mut dyn FnMut(&Problem),
    ) -> Result<VerifyReport> {
        verify::verify(self, pinned_key.unwrap_or(&self.verifier), observer)
    }
}

/// RFC 3339 UTC time with whole seconds, the form log entries use.
pub(crate) fn now_rfc3339() -> String {
    format_rfc3339(time::OffsetDateTime::now_utc())
}

pub(crate) fn format_rfc3339(time: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}
