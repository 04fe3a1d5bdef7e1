//! Durable writes for key files and the seal header (temp file, fsync, rename, fsync
//! directory), and shredding a file.
//!
//! An fsync error is fatal for the operation that asked for it and is returned, never
//! retried: after a failed fsync the kernel may have dropped the dirty pages.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::fill_random;

/// Creates `path` with `bytes`, readable and writable by its owner only (mode 0600), and
/// makes it durable. Fails with `AlreadyExists` rather than replace an existing file: a
/// key file is never overwritten.
pub(crate) fn write_new_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = write_temp_file(path, bytes, 0o600)?;
    match rename_no_replace(&temp, path) {
        Ok(true) => fsync_dir(parent_dir(path)),
        Ok(false) => {
            let _ = shred_file(&temp);
            Err(io::Error::new(io::ErrorKind::AlreadyExists, "the file already exists"))
        }
        Err(e) => {
            let _ = shred_file(&temp);
            Err(e)
        }
    }
}

/// Replaces `path` with `bytes` (mode 0644): readers see the old or the new content,
/// never a mix, and the new content is durable on return.
pub(crate) fn replace_file_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = write_temp_file(path, bytes, 0o644)?;
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    fsync_dir(parent_dir(path))
}

/// Renames `from` to `to` (replacing it) and makes the rename durable.
pub(crate) fn rename_durably(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    fsync_dir(parent_dir(to))
}

/// Overwrites a file's bytes with zeros, fsyncs it, removes it and fsyncs its directory.
///
/// This destroys the file's content on a plain file system on a magnetic disk. It cannot
/// promise as much on a copy-on-write or log-structured file system (btrfs, ZFS, APFS),
/// on an SSD (which remaps blocks), in snapshots or in backups: there the old blocks may
/// survive. That is why forgetting an object also rotates the key-encryption key, so that
/// any surviving copy of a wrapped key is wrapped under a key that no longer exists
/// (`docs/sealing.md`, "Forgetting").
pub fn shred_file(path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(path)?;
    let length = file.metadata()?.len();
    let zeros = [0u8; 64 * 1024];
    let mut left = length;
    while left > 0 {
        let step = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        file.write_all(&zeros[..step])?;
        left -= step as u64;
    }
    file.sync_all()?;
    drop(file);
    fs::remove_file(path)?;
    fsync_dir(parent_dir(path))
}

/// fsync a directory so that entries created, renamed or removed in it are durable.
pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The directory that holds `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn write_temp_file(path: &Path, bytes: &[u8], mode: u32) -> io::Result<PathBuf> {
    let mut random = [0u8; 8];
    fill_random(&mut random, "a temporary file name").map_err(io::Error::other)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = parent_dir(path).join(format!(".{file_name}.tmp-{}", hex::encode(random)));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = shred_file(&temp);
            Err(e)
        }
    }
}

/// Renames `from` to `to` unless `to` exists (`renameat2(RENAME_NOREPLACE)`); `Ok(false)`
/// when it exists. Falls back to check-then-rename where the flag is not supported.
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::EXIST) => Ok(false),
        Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOSYS) => {
            if fs::symlink_metadata(to).is_ok() {
                return Ok(false);
            }
            fs::rename(from, to)?;
            Ok(true)
        }
        Err(errno) => Err(io::Error::from(errno)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_new_private_file_has_mode_0600_and_is_never_overwritten() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("kek");
        write_new_private_file(&path, b"first")?;
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        let second = write_new_private_file(&path, b"second");
        assert_eq!(second.map_err(|e| e.kind()), Err(io::ErrorKind::AlreadyExists));
        assert_eq!(fs::read(&path)?, b"first");
        assert_eq!(fs::read_dir(dir.path())?.count(), 1, "no temp file is left behind");
        Ok(())
    }

    #[test]
    fn shredding_removes_the_file() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("wrapped");
        fs::write(&path, vec![7u8; 100_000])?;
        shred_file(&path)?;
        assert!(!path.exists());
        Ok(())
    }

    #[test]
    fn replacing_keeps_one_file() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("seal.json");
        replace_file_durably(&path, b"one")?;
        replace_file_durably(&path, b"two")?;
        assert_eq!(fs::read(&path)?, b"two");
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }
}
