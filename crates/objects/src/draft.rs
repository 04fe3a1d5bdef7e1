//! Drafts: objects (or new versions) being written in a staging directory, and staged
//! objects that are complete and wait to be installed in the storage root.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ObjectsError;
use crate::durable::{ensure_dir, prune_empty_dirs, unique_name};
use crate::inventory::{
    DEFAULT_CONTENT_DIRECTORY, DIGEST_ALGORITHM, INVENTORY_FILE, INVENTORY_TYPE, Inventory, OBJECT_DECLARATION_CONTENT,
    OBJECT_DECLARATION_FILE, SIDECAR_FILE, User, Version, check_created, check_uri, find_path_conflict, sha256_hex,
    sidecar_content, state_of_files, validate_logical_path,
};

/// Streaming copies read and hash this much at a time, so memory stays bounded.
pub(crate) const CHUNK_SIZE: usize = 1024 * 1024;

/// The version directory name inside a draft; renamed to the real version on install.
pub(crate) const DRAFT_VERSION: &str = "v1";

/// Who made a version, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// RFC 3339, UTC, e.g. `2026-11-30T03:45:00Z`.
    pub created: String,
    pub message: String,
    pub user_name: String,
    /// Must be a URI, e.g. `mailto:` or `urn:`.
    pub user_address: Option<String>,
}

impl VersionInfo {
    /// The version block for `state`, or `Invalid` if `created` or the address is malformed.
    pub(crate) fn to_version(&self, state: BTreeMap<String, Vec<String>>) -> Result<Version, ObjectsError> {
        check_created(&self.created).map_err(ObjectsError::Invalid)?;
        if let Some(address) = &self.user_address {
            check_uri(address).map_err(ObjectsError::Invalid)?;
        }
        Ok(Version {
            created: self.created.clone(),
            state,
            message: Some(self.message.clone()),
            user: Some(User { name: self.user_name.clone(), address: self.user_address.clone() }),
        })
    }
}

/// The SHA-256 digest (lowercase hex) and size of one content file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub sha256: String,
    pub size: u64,
}

/// A directory in the staging area that is removed when dropped, unless kept.
#[derive(Debug)]
pub(crate) struct StagingDir {
    path: PathBuf,
    remove_on_drop: bool,
}

impl StagingDir {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the removal on drop (the directory was moved into the storage root).
    pub(crate) fn keep(mut self) {
        self.remove_on_drop = false;
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// An object (or new version) being written in a staging directory on the same file
/// system as the storage root. Dropping a draft removes its staging directory.
#[derive(Debug)]
pub struct ObjectDraft {
    id: String,
    staging: StagingDir,
    /// Logical path to digest and size.
    files: BTreeMap<String, FileDigest>,
    /// Digest to the logical path whose content file holds it (one copy per digest).
    stored: BTreeMap<String, String>,
}

impl ObjectDraft {
    /// Starts a draft for object `id` in a fresh unique subdirectory of `staging_dir`
    /// (created if missing). `staging_dir` must be on the same file system as the storage
    /// root (installing is a rename) and outside it (OCFL tools would see a stray
    /// directory).
    pub fn new(staging_dir: &Path, id: &str) -> Result<ObjectDraft, ObjectsError> {
        if id.is_empty() {
            return Err(ObjectsError::Invalid("object id must not be empty".to_owned()));
        }
        ensure_dir(staging_dir).map_err(|e| ObjectsError::io("create staging directory", staging_dir, e))?;
        loop {
            let path = staging_dir.join(unique_name("draft"));
            match fs::create_dir(&path) {
                Ok(()) => {
                    return Ok(ObjectDraft {
                        id: id.to_owned(),
                        staging: StagingDir { path, remove_on_drop: true },
                        files: BTreeMap::new(),
                        stored: BTreeMap::new(),
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(ObjectsError::io("create draft directory", &path, e)),
            }
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The files added so far: logical path to digest and size.
    pub fn files(&self) -> &BTreeMap<String, FileDigest> {
        &self.files
    }

    /// Streams `reader` into content file `logical_path`, hashing (SHA-256) as the bytes
    /// pass, 1 MiB at a time. Fails with `TooLarge` if more than `limit` bytes arrive,
    /// with `Source` if the reader fails, with `Invalid` for a logical path that OCFL does
    /// not allow or that this draft already has (as a file, or as a directory of another
    /// file). On failure nothing of the file is left in the draft.
    pub fn add_file(&mut self, logical_path: &str, reader: impl Read, limit: u64) -> Result<FileDigest, ObjectsError> {
        validate_logical_path(logical_path).map_err(ObjectsError::Invalid)?;
        if self.files.contains_key(logical_path) {
            return Err(ObjectsError::Invalid(format!(
                "logical path {logical_path:?} was already added to this draft"
            )));
        }
        let paths = self.files.keys().map(String::as_str).chain([logical_path]);
        if let Some((file, longer)) = find_path_conflict(paths) {
            return Err(ObjectsError::Invalid(format!(
                "logical path {file:?} would be both a file and the directory of {longer:?}"
            )));
        }
        let target = self.content_root().join(logical_path);
        let result = write_content_file(&target, logical_path, reader, limit);
        let digest = match result {
            Ok(digest) => digest,
            Err(e) => {
                let _ = fs::remove_file(&target);
                self.prune_parents_of(&target);
                return Err(e);
            }
        };
        if self.stored.contains_key(&digest.sha256) {
            // Identical content is stored once per object.
            fs::remove_file(&target).map_err(|e| ObjectsError::io("remove duplicate content file", &target, e))?;
            self.prune_parents_of(&target);
        } else {
            self.stored.insert(digest.sha256.clone(), logical_path.to_owned());
        }
        self.files.insert(logical_path.to_owned(), digest.clone());
        Ok(digest)
    }

    /// [`add_file`](Self::add_file) for bytes already in memory.
    pub fn add_bytes(&mut self, logical_path: &str, bytes: &[u8]) -> Result<FileDigest, ObjectsError> {
        self.add_file(logical_path, bytes, bytes.len() as u64)
    }

    /// Completes a new object as version `v1`: `inventory.json` and its sidecar at the
    /// object root and in `v1/`, and the `0=ocfl_object_1.1` declaration. Nothing is
    /// fsynced; see the crate's durability contract.
    pub fn finish(self, info: VersionInfo) -> Result<StagedObject, ObjectsError> {
        let state =
            state_of_files(&self.files.iter().map(|(path, digest)| (path.clone(), digest.sha256.clone())).collect());
        let version = info.to_version(state)?;
        let manifest = self
            .stored
            .iter()
            .map(|(digest, path)| (digest.clone(), vec![format!("{DRAFT_VERSION}/{DEFAULT_CONTENT_DIRECTORY}/{path}")]))
            .collect();
        let inventory = Inventory {
            id: self.id.clone(),
            inventory_type: INVENTORY_TYPE.to_owned(),
            digest_algorithm: DIGEST_ALGORITHM.to_owned(),
            head: DRAFT_VERSION.to_owned(),
            content_directory: None,
            manifest,
            versions: BTreeMap::from([(DRAFT_VERSION.to_owned(), version)]),
            fixity: None,
        };
        let root = self.staging.path();
        // The root inventory and v1's are the same bytes: v1's are hard links,
        // which costs one metadata operation each instead of a file creation.
        // Later versions replace the root files by rename, which leaves v1's
        // links with the bytes they had.
        let inventory_digest = write_inventory_files(root, &inventory)?;
        let version_dir = root.join(DRAFT_VERSION);
        ensure_dir(&version_dir).map_err(|e| ObjectsError::io("create directory", &version_dir, e))?;
        for name in [INVENTORY_FILE, SIDECAR_FILE] {
            let link = version_dir.join(name);
            fs::hard_link(root.join(name), &link).map_err(|e| ObjectsError::io("link version inventory", &link, e))?;
        }
        let declaration = root.join(OBJECT_DECLARATION_FILE);
        fs::write(&declaration, OBJECT_DECLARATION_CONTENT)
            .map_err(|e| ObjectsError::io("write object declaration", &declaration, e))?;
        Ok(StagedObject { id: self.id, inventory_digest, staging: self.staging })
    }

    /// Discards the draft and its staging directory.
    pub fn abandon(self) {
        drop(self);
    }

    /// The parts that [`StorageRoot::add_version`](crate::StorageRoot::add_version) needs.
    pub(crate) fn into_parts(self) -> DraftParts {
        DraftParts { id: self.id, staging: self.staging, files: self.files, stored: self.stored }
    }

    fn content_root(&self) -> PathBuf {
        self.staging.path().join(DRAFT_VERSION).join(DEFAULT_CONTENT_DIRECTORY)
    }

    fn prune_parents_of(&self, file: &Path) {
        if let Some(parent) = file.parent() {
            prune_empty_dirs(parent, self.staging.path());
        }
    }
}

pub(crate) struct DraftParts {
    pub(crate) id: String,
    pub(crate) staging: StagingDir,
    pub(crate) files: BTreeMap<String, FileDigest>,
    pub(crate) stored: BTreeMap<String, String>,
}

/// A complete object in the staging directory, ready for
/// [`StorageRoot::install`](crate::StorageRoot::install). Dropping it removes it.
#[derive(Debug)]
pub struct StagedObject {
    id: String,
    inventory_digest: String,
    staging: StagingDir,
}

impl StagedObject {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// SHA-256 hex of the root `inventory.json` bytes, as in its sidecar.
    pub fn inventory_digest(&self) -> &str {
        &self.inventory_digest
    }

    /// The object's root directory while it is staged.
    pub fn staging_path(&self) -> &Path {
        self.staging.path()
    }

    /// Discards the staged object.
    pub fn abandon(self) {
        drop(self);
    }

    pub(crate) fn into_staging(self) -> StagingDir {
        self.staging
    }
}

/// Writes `inventory.json` and its sidecar into `dir` (created if missing) and returns
/// the inventory digest. Not fsynced.
pub(crate) fn write_inventory_files(dir: &Path, inventory: &Inventory) -> Result<String, ObjectsError> {
    ensure_dir(dir).map_err(|e| ObjectsError::io("create directory", dir, e))?;
    let bytes = inventory.to_json_bytes();
    let digest = sha256_hex(&bytes);
    let inventory_path = dir.join(INVENTORY_FILE);
    fs::write(&inventory_path, &bytes).map_err(|e| ObjectsError::io("write inventory", &inventory_path, e))?;
    let sidecar_path = dir.join(SIDECAR_FILE);
    fs::write(&sidecar_path, sidecar_content(&digest))
        .map_err(|e| ObjectsError::io("write inventory sidecar", &sidecar_path, e))?;
    Ok(digest)
}

/// Copies `reader` into a new file at `target`, hashing as it goes.
fn write_content_file(
    target: &Path,
    logical_path: &str,
    mut reader: impl Read,
    limit: u64,
) -> Result<FileDigest, ObjectsError> {
    if let Some(parent) = target.parent() {
        ensure_dir(parent).map_err(|e| ObjectsError::io("create content directory", parent, e))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .map_err(|e| ObjectsError::io("create content file", target, e))?;
    // The first chunk decides: a file that fits in it is hashed inline; a
    // longer one is hashed on a second thread while this one reads and
    // writes, so that ingest runs at the slower of hashing and writing
    // rather than their sum. At most four chunks are in memory.
    let mut first = vec![0u8; CHUNK_SIZE];
    let first_len = read_chunk(&mut reader, &mut first)?;
    check_limit(first_len as u64, limit, logical_path)?;
    first.truncate(first_len);
    file.write_all(&first).map_err(|e| ObjectsError::io("write content file", target, e))?;
    if first_len < CHUNK_SIZE {
        return Ok(FileDigest { sha256: hex::encode(Sha256::digest(&first)), size: first_len as u64 });
    }
    std::thread::scope(|scope| {
        let (to_hasher, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let (return_buffer, returned) = std::sync::mpsc::channel::<Vec<u8>>();
        let hasher = scope.spawn(move || {
            let mut hasher = Sha256::new();
            for chunk in chunks {
                hasher.update(&chunk);
                let _ = return_buffer.send(chunk);
            }
            hasher.finalize()
        });
        let mut size = first_len as u64;
        let mut pending = Some(first);
        let outcome = loop {
            if let Some(chunk) = pending.take()
                && to_hasher.send(chunk).is_err()
            {
                break Err(ObjectsError::Source("the hashing thread stopped".to_owned()));
            }
            let mut buffer = returned.try_recv().unwrap_or_default();
            buffer.resize(CHUNK_SIZE, 0);
            let count = match read_chunk(&mut reader, &mut buffer) {
                Ok(count) => count,
                Err(e) => break Err(e),
            };
            if count == 0 {
                break Ok(());
            }
            size += count as u64;
            if let Err(e) = check_limit(size, limit, logical_path) {
                break Err(e);
            }
            buffer.truncate(count);
            if let Err(e) = file.write_all(&buffer) {
                break Err(ObjectsError::io("write content file", target, e));
            }
            pending = Some(buffer);
        };
        drop(to_hasher);
        let digest = hasher.join().map_err(|_| ObjectsError::Source("the hashing thread panicked".to_owned()))?;
        outcome.map(|()| FileDigest { sha256: hex::encode(digest), size })
    })
}

/// Fills `buffer` as far as the reader goes (a short read is not the end).
fn read_chunk(reader: &mut impl Read, buffer: &mut [u8]) -> Result<usize, ObjectsError> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) if count <= buffer.len() - filled => filled += count,
            Ok(_) => {
                return Err(ObjectsError::Source(
                    "the reader reported more bytes than it was given room for".to_owned(),
                ));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(ObjectsError::Source(e.to_string())),
        }
    }
    Ok(filled)
}

fn check_limit(size: u64, limit: u64, logical_path: &str) -> Result<(), ObjectsError> {
    if size > limit {
        return Err(ObjectsError::TooLarge { what: format!("file {logical_path:?}"), limit });
    }
    Ok(())
}
