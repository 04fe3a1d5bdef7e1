//! Rotating the key-encryption key (`evident seal rotate`,
//! `docs/sealing.md`, "Rotating the KEK"): every stored wrapped data key
//! (sealed items' and sealed records') is re-wrapped under a new KEK and
//! the old KEK destroyed. No content is re-encrypted, no object changes, and
//! the log is not touched: entries, tiles and checkpoint stay byte for byte.
//!
//! Crash-safe in `evident-seal`'s three steps: begin (the new KEK recorded
//! as `next` in `seal.json`), re-wrap in durable batches (a key already
//! under the new KEK is skipped, so an interrupted pass is simply run
//! again), finish (refused while any stored key is still under the old
//! KEK). Running the command again after a crash resumes where it stopped.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use evident_seal::{Keyring, PassphraseParams, RotateTo, Unlock, WrappedKey};
use evident_store::WrappedKeyRow;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::seal::{KekUnlock, object_id, seal_error};
use crate::{Archive, ArchiveError, Result};

/// Keys re-wrapped per store transaction.
const REWRAP_BATCH: usize = 256;

/// What a KEK rotation moves to.
#[derive(Clone)]
pub enum KekRotation {
    /// a new random key file; `Some(path)` puts it there (outside the
    /// archive, not existing yet), `None` where the current one is
    KeyFile(Option<PathBuf>),
    /// a new passphrase (12 characters or more)
    Passphrase(Zeroizing<String>),
}

/// What [`Archive::rotate_kek`] did.
#[derive(Clone, Debug, Serialize)]
pub struct RotateReport {
    /// the KEK's key id before and after (16 hex digits each)
    pub old_key_id: String,
    pub new_key_id: String,
    /// wrapped keys re-wrapped by this run (sealed items, sealed records)
    pub items: u64,
    pub records: u64,
    /// whether this run finished a rotation an earlier run had begun
    pub resumed: bool,
    /// where the new key file is, if the KEK is one
    pub key_file: Option<PathBuf>,
}

impl Archive {
    /// Replaces the archive's KEK: re-wraps every stored data key under a
    /// new one and destroys the old one (its key file overwritten and
    /// removed). The current KEK is unlocked as for any command (for a
    /// passphrase rotation, the current passphrase and the new one).
    pub fn rotate_kek(&mut self, to: &KekRotation) -> Result<RotateReport> {
        if !self.sealing_set_up() {
            // the same clear error as any sealed command
            self.keyring()?;
        }
        if let KekRotation::KeyFile(Some(path)) = to
            && fs::symlink_metadata(path).is_ok()
        {
            return Err(ArchiveError::Invalid(format!(
                "{} already exists; the new key file must not (nothing was changed)",
                path.display()
            )));
        }
        let mut keyring = self.keyring_for_rotation(to)?;
        let old_key_id = keyring.header().kek.check.key_id().to_string();
        let resumed = keyring.rotation_in_progress();
        if !resumed {
            let rotate_to = match to {
                KekRotation::KeyFile(_) => RotateTo::KeyFile,
                KekRotation::Passphrase(passphrase) => {
                    RotateTo::Passphrase { passphrase, params: PassphraseParams::default() }
                }
            };
            keyring.begin_rotation(&rotate_to).map_err(seal_error)?;
        }
        // The cached keyring knows nothing of the new KEK.
        self.keyring = std::cell::OnceCell::new();

        let mut report =
            RotateReport { old_key_id, new_key_id: String::new(), items: 0, records: 0, resumed, key_file: None };
        let stored = self.store.wrapped_keys()?;
        let mut batch = Vec::with_capacity(REWRAP_BATCH);
        for row in &stored {
            let object = object_id(&row.id)?;
            let wrapped = parse_wrapped(row)?;
            let Some(new) = keyring.rewrap(&object, &wrapped).map_err(|e| ArchiveError::Corrupted {
                what: format!("the wrapped key of {}", row.id),
                detail: e.to_string(),
            })?
            else {
                continue;
            };
            match row.owner {
                evident_store::WrappedKeyOwner::Item => report.items += 1,
                evident_store::WrappedKeyOwner::Record => report.records += 1,
            }
            batch.push(WrappedKeyRow { owner: row.owner, id: row.id.clone(), wrapped_key: new.as_bytes().to_vec() });
            if batch.len() == REWRAP_BATCH {
                self.store.replace_wrapped_keys(&batch)?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.store.replace_wrapped_keys(&batch)?;
        }
        // Read back: finishing checks that nothing is left under the old KEK.
        let now = self.store.wrapped_keys()?.iter().map(parse_wrapped).collect::<Result<Vec<_>>>()?;
        keyring.finish_rotation(now.iter()).map_err(seal_error)?;
        report.new_key_id = keyring.key_id().to_string();

        let unlock = match to {
            KekRotation::Passphrase(passphrase) => KekUnlock::Passphrase(passphrase.clone()),
            KekRotation::KeyFile(target) => {
                let current = keyring
                    .key_file()
                    .map(Path::to_owned)
                    .ok_or_else(|| ArchiveError::Sealed("the rotated key-encryption key has no key file".to_owned()))?;
                let path = match target {
                    Some(target) if *target != current => {
                        move_key_file(&current, target, self.layout.dir())?;
                        target.clone()
                    }
                    _ => current,
                };
                report.key_file = Some(path.clone());
                KekUnlock::KeyFile(path)
            }
        };
        self.kek_unlock = Some(unlock);
        Ok(report)
    }

    /// The keyring as a rotation needs it: fresh from disk (so that an
    /// interrupted rotation is picked up), with the new passphrase too.
    fn keyring_for_rotation(&self, to: &KekRotation) -> Result<Keyring> {
        let dir = self.layout.dir();
        let opened = match (&self.kek_unlock, to) {
            (Some(KekUnlock::Passphrase(current)), KekRotation::Passphrase(new)) => evident_seal::open_keyring(
                dir,
                &Unlock::Passphrase { passphrase: current, next_passphrase: Some(new.as_str()) },
            ),
            (Some(KekUnlock::Passphrase(_)), KekRotation::KeyFile(_)) => {
                return Err(ArchiveError::Invalid(
                    "this archive's key-encryption key is a passphrase: rotate it with --new-passphrase".to_owned(),
                ));
            }
            (_, KekRotation::Passphrase(_)) => {
                return Err(ArchiveError::Invalid(
                    "a passphrase rotation needs the current passphrase (--passphrase) and the new one \
                     (--new-passphrase); a key file is rotated to a new key file"
                        .to_owned(),
                ));
            }
            (Some(KekUnlock::KeyFile(path)), KekRotation::KeyFile(_)) => {
                evident_seal::open_keyring(dir, &Unlock::KeyFile { path })
            }
            (None, KekRotation::KeyFile(_)) => {
                let path = evident_seal::default_key_file(dir).map_err(seal_error)?;
                evident_seal::open_keyring(dir, &Unlock::KeyFile { path: &path })
            }
        };
        opened.map_err(|e| {
            ArchiveError::Sealed(format!("cannot unlock the archive's key-encryption key to rotate it: {e}"))
        })
    }
}

fn parse_wrapped(row: &WrappedKeyRow) -> Result<WrappedKey> {
    WrappedKey::parse(&row.wrapped_key)
        .map_err(|e| ArchiveError::Corrupted { what: format!("the wrapped key of {}", row.id), detail: e.to_string() })
}

/// Moves a key file to `target` (outside the archive, not existing): a new
/// file (mode 0600, synced, its directory synced), then the old one shredded.
fn move_key_file(current: &Path, target: &Path, archive_dir: &Path) -> Result<()> {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let parent = parent.canonicalize().map_err(ArchiveError::io("find the directory of the new key file", parent))?;
    let archive = archive_dir.canonicalize().map_err(ArchiveError::io("find the archive directory", archive_dir))?;
    if parent.starts_with(&archive) {
        return Err(ArchiveError::Invalid(format!(
            "the new key file {} would be inside the archive; keep it outside (the rotation itself finished: the \
             key is at {})",
            target.display(),
            current.display()
        )));
    }
    let bytes = Zeroizing::new(fs::read(current).map_err(ArchiveError::io("read the new key file", current))?);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(target)
        .map_err(ArchiveError::io("create the new key file", target))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(ArchiveError::io("write the new key file", target))?;
    fs::File::open(&parent).and_then(|d| d.sync_all()).map_err(ArchiveError::io("sync", &parent))?;
    evident_seal::shred_file(current).map_err(ArchiveError::io("shred the key file after moving it", current))?;
    Ok(())
}
