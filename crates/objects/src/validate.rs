//! Full fixity and structure check of one object.
//!
//! The checks, each reported as an [`ObjectProblem`] naming the file concerned:
//!
//! 1. the object root holds the `0=ocfl_object_1.1` declaration with the right content,
//!    the inventory and its sidecar, version directories, and nothing else (`extensions/`
//!    and `logs/` are allowed);
//! 2. the root inventory matches its sidecar, parses, and is structurally sound
//!    (required fields, head, version sequence, digests as 64 lowercase hex, paths), and
//!    its id is the one whose layout path the object sits at;
//! 3. every version has a directory with an inventory that matches its own sidecar, is
//!    structurally sound with that version as head, and agrees with the root inventory
//!    on every version block; the head version's inventory is byte-identical to the root
//!    inventory; a version directory holds nothing but its inventory, sidecar and content
//!    directory; no version directory exists beyond the head;
//! 4. every content file is re-hashed against the manifest; every manifest path exists;
//!    no file, symbolic link or empty directory exists that the manifest does not list.
//!
//! If the root inventory cannot be used, the newest version inventory that parses stands
//! in for it, so that content checks still run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ObjectProblem;
use crate::draft::CHUNK_SIZE;
use crate::inventory::{
    INVENTORY_FILE, Inventory, OBJECT_DECLARATION_CONTENT, OBJECT_DECLARATION_FILE, SIDECAR_FILE, parse_sidecar,
    sha256_hex, structure_problems, validate_logical_path, version_number,
};

/// Validates the object at `object` (relative to `storage_root`), which should be object `id`.
pub(crate) fn validate_object(storage_root: &Path, object: &Path, id: &str) -> Vec<ObjectProblem> {
    let mut check = Checker { object_root: storage_root.join(object), object: object.to_owned(), problems: Vec::new() };
    check.run(id);
    check.problems
}

struct Checker {
    /// Absolute (or as given) path of the object root, for file access.
    object_root: PathBuf,
    /// The object root relative to the storage root, for reports.
    object: PathBuf,
    problems: Vec<ObjectProblem>,
}

/// An inventory file read from disk, with whatever could be made of it.
struct InventoryFile {
    bytes: Option<Vec<u8>>,
    parsed: Option<Inventory>,
}

impl Checker {
    fn report(&mut self, path_in_object: &str, detail: impl Into<String>) {
        let path = if path_in_object.is_empty() { self.object.clone() } else { self.object.join(path_in_object) };
        self.problems.push(ObjectProblem { path, detail: detail.into() });
    }

    fn run(&mut self, id: &str) {
        let Some(version_dirs) = self.check_object_root_entries() else {
            return;
        };
        let root = self.read_inventory_file("", id, None);
        let reference = match root.parsed.clone() {
            Some(inventory) => inventory,
            None => match self.newest_parseable_version_inventory(&version_dirs) {
                Some(inventory) => inventory,
                None => return,
            },
        };
        self.check_versions(id, &reference, &root, &version_dirs);
        self.check_content(&reference);
    }

    /// Checks the entries of the object root; returns the version directories present.
    fn check_object_root_entries(&mut self) -> Option<BTreeSet<String>> {
        let entries = match fs::read_dir(&self.object_root) {
            Ok(entries) => entries,
            Err(e) => {
                self.report("", format!("cannot read the object directory: {e}"));
                return None;
            }
        };
        let mut version_dirs = BTreeSet::new();
        let mut has_declaration = false;
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    self.report("", format!("cannot read the object directory: {e}"));
                    return None;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            match name.as_str() {
                OBJECT_DECLARATION_FILE if is_file => {
                    has_declaration = true;
                    match fs::read(entry.path()) {
                        Ok(content) if content == OBJECT_DECLARATION_CONTENT.as_bytes() => {}
                        Ok(_) => self.report(&name, format!("content must be exactly {OBJECT_DECLARATION_CONTENT:?}")),
                        Err(e) => self.report(&name, format!("cannot read: {e}")),
                    }
                }
                INVENTORY_FILE | SIDECAR_FILE if is_file => {}
                "extensions" | "logs" if is_dir => {}
                _ if is_dir && version_number(&name).is_some() => {
                    version_dirs.insert(name);
                }
                _ => self.report(&name, "unexpected entry in the object root"),
            }
        }
        if !has_declaration {
            self.report(OBJECT_DECLARATION_FILE, "the object declaration is missing");
        }
        Some(version_dirs)
    }

    /// Reads `inventory.json` in `dir` ("" for the object root), checks its sidecar,
    /// parses it and checks its structure.
    fn read_inventory_file(&mut self, dir: &str, id: &str, expected_head: Option<&str>) -> InventoryFile {
        let inventory_name = join(dir, INVENTORY_FILE);
        let sidecar_name = join(dir, SIDECAR_FILE);
        let bytes = match fs::read(self.object_root.join(&inventory_name)) {
            Ok(bytes) => bytes,
            Err(e) => {
                let detail = if e.kind() == ErrorKind::NotFound {
                    "the inventory is missing".to_owned()
                } else {
                    format!("cannot read: {e}")
                };
                self.report(&inventory_name, detail);
                return InventoryFile { bytes: None, parsed: None };
            }
        };
        match fs::read(self.object_root.join(&sidecar_name)) {
            Ok(content) => match parse_sidecar(&content) {
                Ok(recorded) => {
                    let actual = sha256_hex(&bytes);
                    if actual != recorded {
                        self.report(
                            &inventory_name,
                            format!("sha256 is {actual} but {SIDECAR_FILE} records {recorded}"),
                        );
                    }
                }
                Err(detail) => self.report(&sidecar_name, detail),
            },
            Err(e) if e.kind() == ErrorKind::NotFound => self.report(&sidecar_name, "the inventory sidecar is missing"),
            Err(e) => self.report(&sidecar_name, format!("cannot read: {e}")),
        }
        let parsed = match serde_json::from_slice::<Inventory>(&bytes) {
            Ok(inventory) => {
                for problem in structure_problems(&inventory, Some(id), expected_head) {
                    self.report(&inventory_name, problem);
                }
                Some(inventory)
            }
            Err(e) => {
                self.report(&inventory_name, format!("not an OCFL inventory: {e}"));
                None
            }
        };
        InventoryFile { bytes: Some(bytes), parsed }
    }

    fn newest_parseable_version_inventory(&self, version_dirs: &BTreeSet<String>) -> Option<Inventory> {
        let mut names: Vec<&String> = version_dirs.iter().collect();
        names.sort_by_key(|name| std::cmp::Reverse(version_number(name)));
        names.into_iter().find_map(|name| {
            let bytes = fs::read(self.object_root.join(name).join(INVENTORY_FILE)).ok()?;
            serde_json::from_slice(&bytes).ok()
        })
    }

    fn check_versions(
        &mut self,
        id: &str,
        reference: &Inventory,
        root: &InventoryFile,
        version_dirs: &BTreeSet<String>,
    ) {
        let content_directory = reference.content_directory().to_owned();
        let mut names: Vec<&String> = reference.versions.keys().collect();
        names.sort_by_key(|name| version_number(name));
        for name in names {
            if version_number(name).is_none() {
                continue; // Reported with the inventory structure; not a safe path.
            }
            if !version_dirs.contains(name) {
                self.report(name, "the version directory is missing");
                continue;
            }
            let version_inventory = self.read_inventory_file(name, id, Some(name));
            let inventory_name = join(name, INVENTORY_FILE);
            if *name == reference.head
                && let (Some(root_bytes), Some(version_bytes)) = (&root.bytes, &version_inventory.bytes)
                && root_bytes != version_bytes
            {
                self.report(&inventory_name, format!("differs from the root inventory although {name} is the head"));
            }
            if let Some(parsed) = &version_inventory.parsed {
                for (block_name, block) in &parsed.versions {
                    if reference.versions.get(block_name) != Some(block) {
                        self.report(
                            &inventory_name,
                            format!("version block {block_name} differs from the root inventory's"),
                        );
                    }
                }
            }
            self.check_version_dir_entries(name, &content_directory);
        }
        for name in version_dirs {
            if !reference.versions.contains_key(name) {
                self.report(
                    name,
                    format!("version directory beyond the head {} (an interrupted update?)", reference.head),
                );
            }
        }
    }

    fn check_version_dir_entries(&mut self, version: &str, content_directory: &str) {
        let dir = self.object_root.join(version);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.report(version, format!("cannot read: {e}"));
                return;
            }
        };
        for entry in entries {
            let Ok(entry) = entry else {
                self.report(version, "cannot read the directory");
                return;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            let expected =
                (is_file && (name == INVENTORY_FILE || name == SIDECAR_FILE)) || (is_dir && name == content_directory);
            if !expected {
                self.report(&join(version, &name), "unexpected entry in a version directory");
            }
        }
    }

    fn check_content(&mut self, reference: &Inventory) {
        let content_directory = reference.content_directory().to_owned();
        let mut on_disk = BTreeSet::new();
        for name in reference.versions.keys() {
            if version_number(name).is_none() {
                continue;
            }
            let relative = join(name, &content_directory);
            if self.object_root.join(&relative).is_dir() {
                self.walk_content(&relative, &mut on_disk);
            }
        }
        let mut expected: BTreeMap<&str, &str> = BTreeMap::new();
        for (digest, paths) in &reference.manifest {
            for path in paths {
                expected.insert(path, digest);
            }
        }
        for path in &on_disk {
            if !expected.contains_key(path.as_str()) {
                self.report(path, "content file is not listed in the manifest");
            }
        }
        for (path, digest) in expected {
            if validate_logical_path(path).is_err() {
                continue; // Reported with the inventory structure; not a safe path.
            }
            if !on_disk.contains(path) {
                self.report(path, "listed in the manifest but missing");
                continue;
            }
            match hash_file(&self.object_root.join(path)) {
                Ok(actual) if actual == digest => {}
                Ok(actual) => self.report(path, format!("sha256 is {actual} but the manifest records {digest}")),
                Err(e) => self.report(path, format!("cannot read: {e}")),
            }
        }
    }

    /// Collects the regular files under `relative` (object-relative, `/`-separated);
    /// reports anything else.
    fn walk_content(&mut self, relative: &str, files: &mut BTreeSet<String>) {
        let entries = match fs::read_dir(self.object_root.join(relative)) {
            Ok(entries) => entries,
            Err(e) => {
                self.report(relative, format!("cannot read: {e}"));
                return;
            }
        };
        let mut empty = true;
        for entry in entries {
            empty = false;
            let Ok(entry) = entry else {
                self.report(relative, "cannot read the directory");
                return;
            };
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                self.report(
                    &join(relative, &entry.file_name().to_string_lossy()),
                    "file name is not UTF-8, so no manifest can list it",
                );
                continue;
            };
            let path = join(relative, &name);
            match entry.file_type() {
                Ok(t) if t.is_dir() => self.walk_content(&path, files),
                Ok(t) if t.is_file() => {
                    files.insert(path);
                }
                Ok(_) => self.report(&path, "not a regular file or directory"),
                Err(e) => self.report(&path, format!("cannot inspect: {e}")),
            }
        }
        if empty {
            self.report(relative, "empty directory in the content");
        }
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}

/// SHA-256 hex of a file, read 1 MiB at a time.
pub(crate) fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK_SIZE];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => hasher.update(&buffer[..count]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}
