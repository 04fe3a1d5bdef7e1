//! An OCFL 1.1 storage root on the local file system, the preservation store of the
//! tamper-evident evidence archive.
//!
//! Every item the archive accepts becomes one OCFL object: its files are streamed into a
//! draft in a staging directory (hashed with SHA-256 as the bytes pass), the draft is
//! finished into a complete object (inventory, sidecar, declaration), and the finished
//! object is moved into the storage root with one directory rename. Later changes add
//! versions (`v2`, `v3`, ...) without copying unchanged files.
//!
//! The on-disk format is plain OCFL 1.1 so that any OCFL tool can read, validate and
//! migrate the archive without this code:
//!
//! - storage root: `0=ocfl_1.1`, `ocfl_layout.json`, and the layout extension
//!   `0003-hash-and-id-n-tuple-storage-layout` (sha256 of the object id, one tuple of
//!   three hex characters, then the object id percent-encoded as the object directory, so
//!   that `itm_01J...` lives at `abc/itm_01J.../`; an encoded id over 100
//!   characters is cut to 100 and followed by `-` and the full digest);
//! - objects: `0=ocfl_object_1.1`, `inventory.json` + `inventory.json.sha256` at the object
//!   root and in every version directory, content under `vN/content/<logical path>`
//!   (the logical path is the content path), identical content stored once per object.
//!
//! # Durability contract
//!
//! - [`StorageRoot::create`] and [`write_file_durably`] are durable on return.
//! - [`ObjectDraft`] writes and [`StorageRoot::install`] are *not* fsynced: the caller
//!   batches many objects and makes them durable with one [`sync_filesystem`] call before
//!   it acknowledges them. An object that was installed but never acknowledged is removed
//!   in recovery with [`StorageRoot::remove_object`].
//! - [`StorageRoot::add_version`] is durable on return: the new version directory is
//!   synced before the root inventory is replaced (temp file, fsync, rename, fsync
//!   directory), so a crash leaves either the previous head or the new head in place.
//!
//! # Corruption
//!
//! Stored data that does not match what it must match (a sidecar digest, a content digest,
//! the layout configuration) is reported as [`ObjectsError::Corrupted`] or, by
//! [`StorageRoot::validate_object`], as a list of [`ObjectProblem`]s. Nothing is repaired
//! automatically. No input read from disk can make this crate panic.

mod draft;
mod durable;
mod inventory;
mod layout;
mod root;
mod validate;

use std::path::PathBuf;

pub use draft::{FileDigest, ObjectDraft, StagedObject, VersionInfo};
pub use durable::{sync_filesystem, write_file_durably};
pub use inventory::{INVENTORY_TYPE, Inventory, User, Version, validate_logical_path};
pub use layout::{LAYOUT_DESCRIPTION, LAYOUT_EXTENSION_NAME};
pub use root::StorageRoot;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ObjectsError {
    /// A file system operation failed; `action` says what was being done.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Stored data that does not match what it must match (reported, never auto-repaired).
    #[error("corrupted {what}: {detail}")]
    Corrupted { what: String, detail: String },
    /// A bad argument, e.g. a logical path that OCFL does not allow.
    #[error("{0}")]
    Invalid(String),
    #[error("object {0} already exists")]
    AlreadyExists(String),
    #[error("object {0} not found")]
    NotFound(String),
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    /// The reader passed to [`ObjectDraft::add_file`] failed; the message is the reader's.
    #[error("{0}")]
    Source(String),
}

impl ObjectsError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ObjectsError::Io { action, path: path.into(), source }
    }

    pub(crate) fn corrupted(what: impl Into<String>, detail: impl Into<String>) -> Self {
        ObjectsError::Corrupted { what: what.into(), detail: detail.into() }
    }
}

/// One problem that [`StorageRoot::validate_object`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectProblem {
    /// The file or directory concerned, relative to the storage root.
    pub path: PathBuf,
    /// What is wrong with it, in a sentence.
    pub detail: String,
}

impl std::fmt::Display for ObjectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.detail)
    }
}
