//! Where things live in an archive directory, its settings file, its lock,
//! and `evident init`.

use std::fs;
use std::path::{Path, PathBuf};

use evident_objects::{StorageRoot, write_file_durably};
use evident_store::Store;
use evident_tlog::{Checkpoint, NoteSigner, sign_checkpoint};
use serde::{Deserialize, Serialize};

use crate::{ArchiveError, InitConfig, InitReport, Result};

/// The settings file's format tag.
pub const SETTINGS_FORMAT: &str = "evident-archive/1";

/// `evident.json`: written once at init, the marker that a directory is an archive.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ArchiveSettings {
    pub format: String,
    pub origin: String,
    pub verifier_key: String,
    /// absolute path of the signing key when it lives outside the archive
    pub key_file: Option<PathBuf>,
}

pub(crate) struct Layout {
    dir: PathBuf,
}

impl Layout {
    pub(crate) fn new(dir: &Path) -> Layout {
        Layout { dir: dir.to_owned() }
    }
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
    pub(crate) fn settings_file(&self) -> PathBuf {
        self.dir.join("evident.json")
    }
    pub(crate) fn database(&self) -> PathBuf {
        self.dir.join("evident.db")
    }
    pub(crate) fn ocfl(&self) -> PathBuf {
        self.dir.join("ocfl")
    }
    pub(crate) fn log(&self) -> PathBuf {
        self.dir.join("log")
    }
    /// The search index: derived, rebuilt by `evident reindex`.
    pub(crate) fn index(&self) -> PathBuf {
        self.dir.join("index")
    }
    pub(crate) fn tmp(&self) -> PathBuf {
        self.dir.join("tmp")
    }
    fn default_key_file(&self) -> PathBuf {
        self.dir.join("keys").join("log.key")
    }
    pub(crate) fn key_file(&self, settings: &ArchiveSettings) -> PathBuf {
        settings.key_file.clone().unwrap_or_else(|| self.default_key_file())
    }

    pub(crate) fn read_settings(&self) -> Result<ArchiveSettings> {
        let path = self.settings_file();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ArchiveError::NotAnArchive(self.dir.clone()));
            }
            Err(e) => return Err(ArchiveError::Io { action: "read", path, source: e }),
        };
        let settings: ArchiveSettings = serde_json::from_slice(&bytes)
            .map_err(|e| ArchiveError::Corrupted { what: path.display().to_string(), detail: e.to_string() })?;
        if settings.format != SETTINGS_FORMAT {
            return Err(ArchiveError::Corrupted {
                what: path.display().to_string(),
                detail: format!("format {:?}; this evident reads {SETTINGS_FORMAT}", settings.format),
            });
        }
        Ok(settings)
    }

    /// Takes the archive's exclusive lock without waiting.
    pub(crate) fn lock(&self) -> Result<fs::File> {
        let path = self.dir.join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(ArchiveError::io("open the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(fs::TryLockError::WouldBlock) => Err(ArchiveError::Locked(self.dir.clone())),
            Err(fs::TryLockError::Error(e)) => Err(ArchiveError::Io { action: "lock", path, source: e }),
        }
    }
}

fn check_origin(origin: &str) -> Result<()> {
    let bad = origin.is_empty()
        || origin.chars().any(|c| c.is_whitespace() || c.is_control() || c == '+')
        || origin.contains("://");
    if bad {
        return Err(ArchiveError::Invalid(format!(
            "origin {origin:?} is not usable: it is the log's name, like `archive.example.org/evident`, with no scheme, spaces or '+'"
        )));
    }
    Ok(())
}

pub(crate) fn init(dir: &Path, config: &InitConfig) -> Result<InitReport> {
    check_origin(&config.origin)?;
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ArchiveError::AlreadyExists(dir.to_owned()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(ArchiveError::io("create", dir))?;
        }
        Err(e) => return Err(ArchiveError::Io { action: "read", path: dir.to_owned(), source: e }),
    }
    let layout = Layout::new(dir);
    let _lock = layout.lock()?;

    let key_file = match &config.key_file {
        Some(path) => {
            if path.exists() {
                return Err(ArchiveError::AlreadyExists(path.clone()));
            }
            std::path::absolute(path).map_err(ArchiveError::io("resolve", path))?
        }
        None => layout.default_key_file(),
    };
    let signer = NoteSigner::generate(&config.origin)?;
    if let Some(parent) = key_file.parent() {
        fs::create_dir_all(parent).map_err(ArchiveError::io("create", parent))?;
    }
    write_secret(&key_file, signer.to_private_key_string().as_bytes())?;

    fs::create_dir_all(layout.tmp()).map_err(ArchiveError::io("create", &layout.tmp()))?;
    StorageRoot::create(&layout.ocfl())?;
    let mut store = Store::create(&layout.database())?;

    let log_dir = layout.log();
    fs::create_dir_all(&log_dir).map_err(ArchiveError::io("create", &log_dir))?;
    let empty =
        Checkpoint { origin: config.origin.clone(), size: 0, root: evident_tlog::empty_root(), extensions: vec![] };
    let checkpoint = sign_checkpoint(&empty, &signer)?;
    write_file_durably(&log_dir.join("checkpoint"), checkpoint.as_bytes())?;
    store.record_checkpoint(0, &checkpoint)?;

    let verifier_key = signer.verifier().to_string();
    let settings = ArchiveSettings {
        format: SETTINGS_FORMAT.to_owned(),
        origin: config.origin.clone(),
        verifier_key: verifier_key.clone(),
        key_file: config.key_file.as_ref().map(|_| key_file.clone()),
    };
    let mut json = serde_json::to_vec_pretty(&settings).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
    json.push(b'\n');
    // Written last: a directory without it is not an archive, so a failed
    // init never leaves something that later commands would trust.
    write_file_durably(&layout.settings_file(), &json)?;
    Ok(InitReport { verifier_key, key_file, checkpoint })
}

/// Writes a key file readable only by its owner, durably.
fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(ArchiveError::io("create the key file", path))?;
    file.write_all(bytes).map_err(ArchiveError::io("write", path))?;
    file.write_all(b"\n").map_err(ArchiveError::io("write", path))?;
    file.sync_all().map_err(ArchiveError::io("sync", path))?;
    if let Some(parent) = path.parent() {
        fs::File::open(parent).and_then(|d| d.sync_all()).map_err(ArchiveError::io("sync", parent))?;
    }
    Ok(())
}
