//! Durable writes: temp file, fsync, rename, fsync directory; and `syncfs` for batches.
//!
//! An fsync error is fatal for the operation that asked for it and is returned, never
//! retried: after a failed fsync the kernel may have dropped the dirty pages, so a retry
//! that succeeds proves nothing.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ObjectsError;

/// `syncfs(2)` on the file system holding `path`: one call makes every earlier write on
/// that file system durable. An error is fatal for the operation that needed durability.
pub fn sync_filesystem(path: &Path) -> Result<(), ObjectsError> {
    let file = File::open(path).map_err(|e| ObjectsError::io("open for syncfs", path, e))?;
    rustix::fs::syncfs(&file).map_err(|errno| ObjectsError::io("syncfs", path, std::io::Error::from(errno)))
}

/// Durable small-file write: a temp file in the same directory, write, fsync, rename over
/// `path`, fsync the directory. Readers see either the old or the new content, never a mix.
pub fn write_file_durably(path: &Path, bytes: &[u8]) -> Result<(), ObjectsError> {
    let temp = write_temp_file(path, bytes)?;
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(ObjectsError::io("rename into place", path, e));
    }
    fsync_dir(parent_dir(path))
}

/// Writes `bytes` to a fresh temp file beside `path` and fsyncs it; returns the temp path.
/// The caller renames it into place (and fsyncs the directory).
pub(crate) fn write_temp_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, ObjectsError> {
    let temp = temp_path_beside(path);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| ObjectsError::io("create temp file", &temp, e))?;
        file.write_all(bytes).map_err(|e| ObjectsError::io("write temp file", &temp, e))?;
        file.sync_all().map_err(|e| ObjectsError::io("fsync", &temp, e))
    })();
    match result {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// fsync a directory so that entries created, renamed or removed in it are durable.
pub(crate) fn fsync_dir(dir: &Path) -> Result<(), ObjectsError> {
    let handle = File::open(dir).map_err(|e| ObjectsError::io("open directory for fsync", dir, e))?;
    handle.sync_all().map_err(|e| ObjectsError::io("fsync directory", dir, e))
}

/// The directory that holds `path` (`.` for a bare file name).
/// `create_dir_all`, but first a cheap `stat`: on file systems where a
/// failing `mkdir` costs as much as a file creation, most directories
/// already exist and asking is far cheaper than trying.
/// Missing directories are made top-down, so no `mkdir` fails on the way.
pub(crate) fn ensure_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let missing: Vec<&Path> = dir.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.is_dir()).collect();
    for ancestor in missing.into_iter().rev() {
        match fs::create_dir(ancestor) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && ancestor.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A name that no other writer in this or another process uses at the same time:
/// process id, a per-process counter and the clock.
pub(crate) fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{count}-{nanos:09}", std::process::id())
}

fn temp_path_beside(path: &Path) -> PathBuf {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(path).join(format!(".{}", unique_name(&format!("{file_name}.tmp"))))
}

/// Renames `from` to `to` unless `to` exists (`renameat2(RENAME_NOREPLACE)`). Returns
/// `Ok(false)` when `to` exists. Falls back to check-then-rename on file systems that do
/// not support the flag; the archive has one writer per storage root, so the window of
/// the fallback is not reachable by a second writer.
pub(crate) fn rename_no_replace(from: &Path, to: &Path) -> Result<bool, ObjectsError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::EXIST) | Err(rustix::io::Errno::NOTEMPTY) => Ok(false),
        Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOSYS) => {
            if fs::symlink_metadata(to).is_ok() {
                return Ok(false);
            }
            fs::rename(from, to).map_err(|e| ObjectsError::io("rename", from, e))?;
            Ok(true)
        }
        Err(errno) => Err(ObjectsError::io("rename", from, std::io::Error::from(errno))),
    }
}

/// Removes empty directories from `dir` upwards, stopping at (and keeping) `stop`.
pub(crate) fn prune_empty_dirs(mut dir: &Path, stop: &Path) {
    while dir != stop && dir.starts_with(stop) {
        if fs::remove_dir(dir).is_err() {
            return;
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_file_durably_replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("note.txt");
        write_file_durably(&path, b"first").unwrap();
        write_file_durably(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("note.txt")]);
    }

    #[test]
    fn rename_no_replace_refuses_an_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        assert!(!rename_no_replace(&a, &b).unwrap(), "an empty target directory must not be replaced");
        assert!(a.exists());
        fs::remove_dir(&b).unwrap();
        assert!(rename_no_replace(&a, &b).unwrap());
        assert!(!a.exists() && b.exists());
    }

    #[test]
    fn sync_filesystem_works_on_a_directory_and_fails_on_a_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        sync_filesystem(dir.path()).unwrap();
        let err = sync_filesystem(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(err, ObjectsError::Io { .. }), "{err}");
    }

    #[test]
    fn prune_empty_dirs_stops_at_the_stop_directory_and_at_non_empty_ones() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        fs::create_dir_all(&deep).unwrap();
        fs::write(dir.path().join("a/keep"), b"x").unwrap();
        prune_empty_dirs(&deep, dir.path());
        assert!(!dir.path().join("a/b").exists());
        assert!(dir.path().join("a").exists());
    }
}
