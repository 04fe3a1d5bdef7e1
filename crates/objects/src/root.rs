//! The storage root: creating and opening it, installing, reading, updating and removing
//! objects.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::ObjectsError;
use crate::draft::{DRAFT_VERSION, ObjectDraft, StagedObject, VersionInfo, write_inventory_files};
use crate::durable::{
    fsync_dir, prune_empty_dirs, rename_no_replace, sync_filesystem, write_file_durably, write_temp_file,
};
use crate::inventory::{
    DEFAULT_CONTENT_DIRECTORY, INVENTORY_FILE, Inventory, OBJECT_DECLARATION_FILE, SIDECAR_FILE, find_path_conflict,
    parse_sidecar, sha256_hex, sidecar_content, state_of_files, structure_problems, validate_logical_path,
    version_name, version_number,
};
use crate::layout::{self, LAYOUT_EXTENSION_NAME};
use crate::{ObjectProblem, validate};

pub(crate) const ROOT_DECLARATION_FILE: &str = "0=ocfl_1.1";
const ROOT_DECLARATION_CONTENT: &str = "ocfl_1.1\n";
pub(crate) const LAYOUT_FILE: &str = "ocfl_layout.json";
pub(crate) const EXTENSIONS_DIR: &str = "extensions";

/// An OCFL 1.1 storage root on the local file system using layout extension 0003
/// (hashed n-tuple directories, then the percent-encoded object id).
#[derive(Debug, Clone)]
pub struct StorageRoot {
    path: PathBuf,
}

impl StorageRoot {
    /// Creates a new storage root at `path`, which must not exist or be an empty
    /// directory: the `0=ocfl_1.1` declaration, `ocfl_layout.json` and the layout
    /// extension's `config.json`. Durable on return.
    pub fn create(path: &Path) -> Result<StorageRoot, ObjectsError> {
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut entries = fs::read_dir(path).map_err(|e| ObjectsError::io("read directory", path, e))?;
                if entries.next().is_some() {
                    return Err(ObjectsError::Invalid(format!(
                        "cannot create a storage root at {}: the directory is not empty",
                        path.display()
                    )));
                }
            }
            Ok(_) => {
                return Err(ObjectsError::Invalid(format!(
                    "cannot create a storage root at {}: it exists and is not a directory",
                    path.display()
                )));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                fs::create_dir_all(path).map_err(|e| ObjectsError::io("create storage root", path, e))?;
                fsync_dir(crate::durable::parent_dir(path))?;
            }
            Err(e) => return Err(ObjectsError::io("inspect storage root path", path, e)),
        }
        write_file_durably(&path.join(ROOT_DECLARATION_FILE), ROOT_DECLARATION_CONTENT.as_bytes())?;
        write_file_durably(&path.join(LAYOUT_FILE), &pretty_json(&layout::layout_declaration()))?;
        let extensions = path.join(EXTENSIONS_DIR);
        let extension = extensions.join(LAYOUT_EXTENSION_NAME);
        fs::create_dir_all(&extension).map_err(|e| ObjectsError::io("create directory", &extension, e))?;
        write_file_durably(&extension.join("config.json"), &pretty_json(&layout::layout_config()))?;
        fsync_dir(&extensions)?;
        fsync_dir(path)?;
        Ok(StorageRoot { path: path.to_owned() })
    }

    /// Opens an existing storage root, checking its declaration and layout configuration.
    /// `Invalid` if `path` is not a storage root at all, `Corrupted` if it is one whose
    /// declaration or layout is not what this crate writes.
    pub fn open(path: &Path) -> Result<StorageRoot, ObjectsError> {
        let meta = fs::metadata(path).map_err(|e| ObjectsError::io("open storage root", path, e))?;
        if !meta.is_dir() {
            return Err(ObjectsError::Invalid(format!(
                "{} is not an OCFL storage root: it is not a directory",
                path.display()
            )));
        }
        let declaration = path.join(ROOT_DECLARATION_FILE);
        let what = |file: &str| format!("storage root {}", path.join(file).display());
        match fs::read(&declaration) {
            Ok(content) if content == ROOT_DECLARATION_CONTENT.as_bytes() => {}
            Ok(_) => {
                return Err(ObjectsError::corrupted(
                    what(ROOT_DECLARATION_FILE),
                    format!("content must be exactly {ROOT_DECLARATION_CONTENT:?}"),
                ));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(ObjectsError::Invalid(format!(
                    "{} is not an OCFL storage root: it has no {ROOT_DECLARATION_FILE} file (create a new root in an empty directory instead)",
                    path.display()
                )));
            }
            Err(e) => {
                return Err(ObjectsError::io("read storage root declaration", declaration, e));
            }
        }
        for entry in fs::read_dir(path).map_err(|e| ObjectsError::io("read directory", path, e))? {
            let name = entry.map_err(|e| ObjectsError::io("read directory", path, e))?.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("0=") && name != ROOT_DECLARATION_FILE {
                return Err(ObjectsError::corrupted(
                    what(&name),
                    format!("a second declaration besides {ROOT_DECLARATION_FILE}"),
                ));
            }
        }
        let layout_declaration =
            read_json(&path.join(LAYOUT_FILE)).map_err(|detail| ObjectsError::corrupted(what(LAYOUT_FILE), detail))?;
        if layout_declaration.get("extension").and_then(|v| v.as_str()) != Some(LAYOUT_EXTENSION_NAME) {
            return Err(ObjectsError::corrupted(
                what(LAYOUT_FILE),
                format!(
                    "extension must be {LAYOUT_EXTENSION_NAME:?}, found {}",
                    layout_declaration.get("extension").map(|v| v.to_string()).unwrap_or_else(|| "none".to_owned())
                ),
            ));
        }
        let config_file = format!("{EXTENSIONS_DIR}/{LAYOUT_EXTENSION_NAME}/config.json");
        let config = read_json(&path.join(&config_file))
            .map_err(|detail| ObjectsError::corrupted(what(&config_file), detail))?;
        layout::check_layout_config(&config).map_err(|detail| ObjectsError::corrupted(what(&config_file), detail))?;
        Ok(StorageRoot { path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The object root directory relative to the storage root, per extension 0003: sha256
    /// of the id, one tuple of three hex characters, then the id percent-encoded (all but
    /// `A-Z a-z 0-9 - _`; if longer than 100 characters, its first 100, `-` and the digest).
    /// The empty id, which no object can have, maps to a tuple directory.
    pub fn object_relative_path(id: &str) -> PathBuf {
        layout::object_relative_path(id)
    }

    /// Whether the object's root directory exists (complete or not).
    pub fn object_exists(&self, id: &str) -> bool {
        !id.is_empty() && fs::symlink_metadata(self.object_root(id)).is_ok()
    }

    /// Moves a finished staged object into place (creates the parent directories, renames
    /// the staged directory). Does not fsync: the caller batches durability with
    /// [`sync_filesystem`]. `AlreadyExists` if the object root exists. On any error the
    /// staged object is discarded.
    pub fn install(&self, staged: StagedObject) -> Result<PathBuf, ObjectsError> {
        let id = staged.id().to_owned();
        let destination = self.object_root(&id);
        if fs::symlink_metadata(&destination).is_ok() {
            return Err(ObjectsError::AlreadyExists(id));
        }
        let parent = crate::durable::parent_dir(&destination).to_owned();
        let staging = staged.into_staging();
        let moved = crate::durable::ensure_dir(&parent)
            .map_err(|e| ObjectsError::io("create object parent directory", &parent, e))
            .and_then(|()| rename_no_replace(staging.path(), &destination));
        match moved {
            Ok(true) => {
                staging.keep();
                Ok(destination)
            }
            Ok(false) => Err(ObjectsError::AlreadyExists(id)),
            Err(e) => {
                // Empty tuple directories would make the storage root invalid (E073).
                prune_empty_dirs(&parent, &self.path);
                Err(e)
            }
        }
    }

    /// Removes an object root entirely, and the tuple directories it leaves empty. For
    /// recovery of objects that were never acknowledged. Durable on return.
    pub fn remove_object(&self, id: &str) -> Result<(), ObjectsError> {
        let object_root = self.object_root(id);
        // The empty id's path is a tuple directory, which may hold other objects.
        if id.is_empty() || fs::symlink_metadata(&object_root).is_err() {
            return Err(ObjectsError::NotFound(id.to_owned()));
        }
        fs::remove_dir_all(&object_root).map_err(|e| ObjectsError::io("remove object", &object_root, e))?;
        let parent = crate::durable::parent_dir(&object_root);
        prune_empty_dirs(parent, &self.path);
        let surviving = parent.ancestors().find(|dir| dir.is_dir()).unwrap_or(&self.path);
        fsync_dir(surviving)
    }

    /// The object's root inventory, after checking it against its sidecar, its structure,
    /// and that its id is `id`.
    pub fn read_inventory(&self, id: &str) -> Result<Inventory, ObjectsError> {
        Ok(self.read_verified_inventory(&self.object_root(id), Some(id))?.0)
    }

    /// The root inventory of the object at `object_root` (absolute, as from
    /// [`list_object_roots`](Self::list_object_roots), or relative to the storage root),
    /// checked like [`read_inventory`](Self::read_inventory), including that the object
    /// sits where the layout puts its id. For recovery, when only the path is known.
    pub fn read_inventory_at(&self, object_root: &Path) -> Result<Inventory, ObjectsError> {
        Ok(self.read_verified_inventory(&self.path.join(object_root), None)?.0)
    }

    /// SHA-256 hex of the object's root `inventory.json` bytes, as in its sidecar
    /// (`Corrupted` if the two disagree).
    pub fn inventory_digest(&self, id: &str) -> Result<String, ObjectsError> {
        Ok(self.read_verified_inventory(&self.object_root(id), Some(id))?.1)
    }

    /// Opens a content file of the head version by logical path. `Invalid` if the head
    /// version has no such file; `Corrupted` if the manifest lists a file that is missing.
    pub fn open_file(&self, id: &str, logical_path: &str) -> Result<File, ObjectsError> {
        validate_logical_path(logical_path).map_err(ObjectsError::Invalid)?;
        let inventory = self.read_inventory(id)?;
        let Some(content_path) = inventory.content_path_of(logical_path) else {
            return Err(ObjectsError::Invalid(format!(
                "object {id} has no file {logical_path:?} in its head version {}",
                inventory.head
            )));
        };
        let path = self.object_root(id).join(content_path);
        let what = || format!("object {id}");
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                return Err(ObjectsError::corrupted(
                    what(),
                    format!("content path {content_path} is not a regular file"),
                ));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(ObjectsError::corrupted(
                    what(),
                    format!("content file {content_path} is in the manifest but missing"),
                ));
            }
            Err(e) => return Err(ObjectsError::io("inspect content file", path, e)),
        }
        File::open(&path).map_err(|e| ObjectsError::io("open content file", path, e))
    }

    /// Every object root under the storage root (directories holding a
    /// `0=ocfl_object_1.1` file), as full paths, sorted. Does not descend into objects or
    /// into `extensions/`, and does not follow symbolic links.
    pub fn list_object_roots(&self) -> Result<Vec<PathBuf>, ObjectsError> {
        let mut found = Vec::new();
        let mut pending = vec![self.path.clone()];
        while let Some(dir) = pending.pop() {
            let mut subdirectories = Vec::new();
            let mut is_object = false;
            for entry in fs::read_dir(&dir).map_err(|e| ObjectsError::io("read directory", &dir, e))? {
                let entry = entry.map_err(|e| ObjectsError::io("read directory", &dir, e))?;
                let file_type = entry.file_type().map_err(|e| ObjectsError::io("inspect", entry.path(), e))?;
                if file_type.is_file() && entry.file_name() == OBJECT_DECLARATION_FILE {
                    is_object = true;
                } else if file_type.is_dir() && !(dir == self.path && entry.file_name() == EXTENSIONS_DIR) {
                    subdirectories.push(entry.path());
                }
            }
            if is_object {
                found.push(dir);
            } else {
                pending.extend(subdirectories);
            }
        }
        found.sort();
        Ok(found)
    }

    /// Full fixity and structure check of one object; returns every problem found (empty
    /// means valid), each naming the file concerned. `NotFound` if there is no object root.
    ///
    /// 1. The object root holds the `0=ocfl_object_1.1` declaration with the right content,
    ///    the inventory and its sidecar, version directories, and nothing else
    ///    (`extensions/` and `logs/` are allowed).
    /// 2. The root inventory matches its sidecar, parses, and is structurally sound
    ///    (required fields, head, version sequence, digests as 64 lowercase hex, paths),
    ///    and its id is the one whose layout path the object sits at.
    /// 3. Every version has a directory with an inventory that matches its own sidecar, is
    ///    sound with that version as head, and agrees with the root inventory on every
    ///    version block; the head's inventory is byte-identical to the root inventory; a
    ///    version directory holds only its inventory, sidecar and content directory; no
    ///    version directory exists beyond the head.
    /// 4. Every content file is re-hashed against the manifest; every manifest path exists;
    ///    no file, symbolic link or empty directory exists that the manifest does not list.
    ///
    /// If the root inventory cannot be used, the newest version inventory that parses
    /// stands in for it, so that the content checks still run.
    pub fn validate_object(&self, id: &str) -> Result<Vec<ObjectProblem>, ObjectsError> {
        let relative = Self::object_relative_path(id);
        if id.is_empty() || !self.path.join(&relative).is_dir() {
            return Err(ObjectsError::NotFound(id.to_owned()));
        }
        Ok(validate::validate_object(&self.path, &relative, id))
    }

    /// Adds version N+1 to an existing object. `draft` holds only new or changed files;
    /// `removed` logical paths drop from the state; other files carry over without being
    /// copied. Content already in the object is not stored again. Writes `vN+1` (with its
    /// inventory), syncs the file system, then replaces the root inventory and its sidecar
    /// (temp files, fsync, rename, fsync directory). Returns the new version name.
    ///
    /// A crash before the root inventory is replaced leaves the previous head valid and an
    /// unreferenced `vN+1` directory, which [`validate_object`](Self::validate_object)
    /// reports and [`discard_unreferenced_versions`](Self::discard_unreferenced_versions)
    /// removes. A crash between the two renames leaves the new inventory with the old
    /// sidecar, which is reported as a sidecar mismatch.
    pub fn add_version(
        &self,
        id: &str,
        draft: ObjectDraft,
        removed: &[String],
        info: VersionInfo,
    ) -> Result<String, ObjectsError> {
        let parts = draft.into_parts();
        if parts.id != id {
            return Err(ObjectsError::Invalid(format!(
                "the draft is for object {} but the new version is for {id}",
                parts.id
            )));
        }
        let object_root = self.object_root(id);
        let (inventory, _) = self.read_verified_inventory(&object_root, Some(id))?;
        let head_number = version_number(&inventory.head)
            .ok_or_else(|| ObjectsError::corrupted(format!("object {id}"), "head is not a version name"))?;
        let first = inventory.versions.keys().find(|name| version_number(name) == Some(1)).cloned().unwrap_or_default();
        let next = version_name(head_number + 1, &first).ok_or_else(|| {
            ObjectsError::Invalid(format!(
                "object {id} uses zero-padded version names and has no room for another version"
            ))
        })?;

        // The new state: the head's files, minus removals, plus the draft's files.
        let mut files = inventory.head_files();
        for path in removed {
            if parts.files.contains_key(path) {
                return Err(ObjectsError::Invalid(format!("logical path {path:?} is both removed and added")));
            }
            if files.remove(path).is_none() {
                return Err(ObjectsError::Invalid(format!(
                    "cannot remove {path:?}: object {id} has no such file in {}",
                    inventory.head
                )));
            }
        }
        for (path, digest) in &parts.files {
            files.insert(path.clone(), digest.sha256.clone());
        }
        if let Some((file, longer)) = find_path_conflict(files.keys().map(String::as_str)) {
            return Err(ObjectsError::Invalid(format!(
                "logical path {file:?} would be both a file and the directory of {longer:?} in {next}"
            )));
        }
        let version = info.to_version(state_of_files(&files))?;

        // Content: keep only what the object does not have yet.
        let staged_version = parts.staging.path().join(DRAFT_VERSION);
        let staged_content = staged_version.join(DEFAULT_CONTENT_DIRECTORY);
        let content_directory = inventory.content_directory().to_owned();
        let mut manifest = inventory.manifest.clone();
        for (digest, path) in &parts.stored {
            if manifest.contains_key(digest) {
                let file = staged_content.join(path);
                fs::remove_file(&file).map_err(|e| ObjectsError::io("remove duplicate content file", &file, e))?;
                prune_empty_dirs(crate::durable::parent_dir(&file), &staged_version);
            } else {
                manifest.insert(digest.clone(), vec![format!("{next}/{content_directory}/{path}")]);
            }
        }
        if content_directory != DEFAULT_CONTENT_DIRECTORY && staged_content.exists() {
            let renamed = staged_version.join(&content_directory);
            fs::rename(&staged_content, &renamed)
                .map_err(|e| ObjectsError::io("rename content directory", &staged_content, e))?;
        }
        let previous_head = inventory.head.clone();
        let mut versions = inventory.versions.clone();
        versions.insert(next.clone(), version);
        let new_inventory = Inventory { head: next.clone(), manifest, versions, ..inventory };
        let digest = write_inventory_files(&staged_version, &new_inventory)?;

        let version_dir = object_root.join(&next);
        if !rename_no_replace(&staged_version, &version_dir)? {
            return Err(ObjectsError::corrupted(
                format!("object {id}"),
                format!(
                    "{next} exists but the root inventory's head is {previous_head}: an earlier update was \
                     interrupted; check it and remove it with discard_unreferenced_versions"
                ),
            ));
        }

        // Until the root inventory is renamed, a failure rolls the new version back.
        let inventory_path = object_root.join(INVENTORY_FILE);
        let sidecar_path = object_root.join(SIDECAR_FILE);
        let prepared = sync_filesystem(&object_root).and_then(|()| {
            let temp_inventory = write_temp_file(&inventory_path, &new_inventory.to_json_bytes())?;
            match write_temp_file(&sidecar_path, sidecar_content(&digest).as_bytes()) {
                Ok(temp_sidecar) => Ok((temp_inventory, temp_sidecar)),
                Err(e) => {
                    let _ = fs::remove_file(&temp_inventory);
                    Err(e)
                }
            }
        });
        let (temp_inventory, temp_sidecar) = match prepared {
            Ok(temps) => temps,
            Err(e) => {
                let _ = fs::remove_dir_all(&version_dir);
                return Err(e);
            }
        };
        if let Err(e) = fs::rename(&temp_inventory, &inventory_path) {
            let _ = fs::remove_file(&temp_inventory);
            let _ = fs::remove_file(&temp_sidecar);
            let _ = fs::remove_dir_all(&version_dir);
            return Err(ObjectsError::io("replace root inventory", inventory_path, e));
        }
        fs::rename(&temp_sidecar, &sidecar_path)
            .map_err(|e| ObjectsError::io("replace root inventory sidecar", &sidecar_path, e))?;
        fsync_dir(&object_root)?;
        Ok(next)
    }

    /// Removes version directories beyond the root inventory's head, which an interrupted
    /// [`add_version`](Self::add_version) leaves behind, and returns their names. Only
    /// when the root inventory itself verifies. Durable on return.
    pub fn discard_unreferenced_versions(&self, id: &str) -> Result<Vec<String>, ObjectsError> {
        let object_root = self.object_root(id);
        let (inventory, _) = self.read_verified_inventory(&object_root, Some(id))?;
        let head_number = version_number(&inventory.head).unwrap_or(u32::MAX);
        let mut discarded = Vec::new();
        for entry in fs::read_dir(&object_root).map_err(|e| ObjectsError::io("read directory", &object_root, e))? {
            let entry = entry.map_err(|e| ObjectsError::io("read directory", &object_root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if version_number(&name).is_some_and(|number| number > head_number) {
                fs::remove_dir_all(entry.path())
                    .map_err(|e| ObjectsError::io("remove unreferenced version", entry.path(), e))?;
                discarded.push(name);
            }
        }
        if !discarded.is_empty() {
            fsync_dir(&object_root)?;
        }
        discarded.sort_by_key(|name| version_number(name));
        Ok(discarded)
    }

    fn object_root(&self, id: &str) -> PathBuf {
        self.path.join(Self::object_relative_path(id))
    }

    fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.path).unwrap_or(path)
    }

    /// Reads the root inventory at `object_root` and checks its sidecar, structure and id
    /// (against `expected_id`, or else against the layout path). Returns it with its digest.
    fn read_verified_inventory(
        &self,
        object_root: &Path,
        expected_id: Option<&str>,
    ) -> Result<(Inventory, String), ObjectsError> {
        let name =
            || expected_id.map(str::to_owned).unwrap_or_else(|| self.relative(object_root).display().to_string());
        if expected_id == Some("") || !object_root.is_dir() {
            return Err(ObjectsError::NotFound(name()));
        }
        let inventory_path = object_root.join(INVENTORY_FILE);
        let sidecar_path = object_root.join(SIDECAR_FILE);
        let what = |path: &Path| format!("inventory {}", self.relative(path).display());
        let read = |path: &Path| match fs::read(path) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(ObjectsError::corrupted(what(path), "file is missing")),
            Err(e) => Err(ObjectsError::io("read", path, e)),
        };
        let bytes = read(&inventory_path)?;
        let recorded = parse_sidecar(&read(&sidecar_path)?)
            .map_err(|detail| ObjectsError::corrupted(what(&sidecar_path), detail))?;
        let actual = sha256_hex(&bytes);
        if actual != recorded {
            return Err(ObjectsError::corrupted(
                what(&inventory_path),
                format!("sha256 is {actual} but {SIDECAR_FILE} records {recorded}"),
            ));
        }
        let inventory: Inventory = serde_json::from_slice(&bytes)
            .map_err(|e| ObjectsError::corrupted(what(&inventory_path), format!("not an OCFL inventory: {e}")))?;
        let problems = structure_problems(&inventory, expected_id, None);
        if !problems.is_empty() {
            return Err(ObjectsError::corrupted(what(&inventory_path), problems.join("; ")));
        }
        if expected_id.is_none() && self.path.join(Self::object_relative_path(&inventory.id)) != object_root {
            return Err(ObjectsError::corrupted(
                what(&inventory_path),
                format!("id {:?} belongs at {}", inventory.id, Self::object_relative_path(&inventory.id).display()),
            ));
        }
        Ok((inventory, actual))
    }
}

fn pretty_json(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON: {e}"))
}
