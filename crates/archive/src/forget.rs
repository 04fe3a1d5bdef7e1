//! Forgetting a sealed item (witness protection, issue 6; `docs/sealing.md`,
//! "Forgetting"): `evident forget ITEM --reason TEXT`.
//!
//! The item's data key exists on disk only wrapped, in the store's
//! `sealed_item` row (with its sealed salt and metadata); deleting that row
//! (overwritten in place, the WAL truncated) makes the content, the original
//! name and the commitment's salt unreadable for ever. Nothing else changes:
//! the ciphertext stays in its OCFL object and still matches its inventory,
//! the item's `item.add` entry still verifies, and an `item.forget` entry
//! (the item's next version) records the forgetting. The log carries a
//! salted digest of the forgetting, not the reason: a reason is short,
//! free text and easy to guess ("the witness asked", a place, a name), and
//! an unsalted digest would let anyone test such guesses; the salt stays in
//! the archive beside the reason, so `verify` recomputes the digest.
//!
//! Order: store commit (keys removed, forgetting recorded, entry appended, in
//! one transaction), then the checkpoint is published, then the item's
//! document leaves the search index (a crash in between leaves the index
//! behind, and its next update removes it).

use evident_core::{ItemId, LogEntry, Sha256Hex};
use evident_store::ForgottenItemRow;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Archive, ArchiveError, Result, now_rfc3339};

/// What [`Archive::forget_item`] did.
#[derive(Clone, Debug, Serialize)]
pub struct ForgetReport {
    pub id: String,
    /// the index of the `item.forget` entry
    pub log_index: u64,
    /// its version of the item (`v2` after `item.add`'s `v1`)
    pub version: String,
    pub forgotten_at: String,
    /// the log size after publishing
    pub log_size: u64,
}

/// The salted digest an `item.forget` entry commits to: SHA-256 of the JSON
/// object `{"actor","id","reason","salt","time","version"}` (keys in that
/// sorted order, no whitespace, UTF-8; `version` the entry's, e.g. `"v2"`).
pub(crate) fn forget_digest(row: &ForgottenItemRow, version: &str) -> Result<Sha256Hex> {
    let text = |value: &str| serde_json::to_string(value).map_err(|e| ArchiveError::Invalid(e.to_string()));
    let document = format!(
        "{{\"actor\":{},\"id\":{},\"reason\":{},\"salt\":{},\"time\":{},\"version\":{}}}",
        text(&row.actor)?,
        text(&row.item_id)?,
        text(&row.reason)?,
        text(&row.salt)?,
        text(&row.forgotten_at)?,
        text(version)?
    );
    Ok(Sha256Hex::from_bytes(Sha256::digest(document.as_bytes()).into()))
}

/// The version after an item's current one (`v1` → `v2`).
pub(crate) fn next_version(id: &str, version: &str) -> Result<u32> {
    version.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()).and_then(|n| n.checked_add(1)).ok_or_else(|| {
        ArchiveError::Corrupted {
            what: format!("item {id}"),
            detail: format!("its version {version:?} is not v1, v2, ..."),
        }
    })
}

/// The error for reading a forgotten item's sealed parts.
pub(crate) fn forgotten_error(row: &ForgottenItemRow) -> ArchiveError {
    ArchiveError::Invalid(format!(
        "{} was forgotten on {} by {}: its key was destroyed, so its content, name and metadata can never be read \
         again (its receipt still proves the original entry)",
        row.item_id, row.forgotten_at, row.actor
    ))
}

impl Archive {
    /// Forgets a sealed item: destroys its wrapped data key (and its sealed
    /// metadata and salt), records the forgetting with `reason`, appends an
    /// `item.forget` entry and publishes it, and removes the item from the
    /// search index. Only sealed items have a key to destroy: any other item,
    /// an unknown id or an item already forgotten is a clear error, and
    /// nothing is changed.
    pub fn forget_item(&mut self, id: &str, actor: &str, reason: &str) -> Result<ForgetReport> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ArchiveError::Invalid("forgetting needs a reason (--reason TEXT)".to_owned()));
        }
        if actor.trim().is_empty() {
            return Err(ArchiveError::Invalid("forgetting needs an actor".to_owned()));
        }
        let item = self.item(id)?;
        if let Some(row) = self.store.forgotten_item(id)? {
            return Err(ArchiveError::Invalid(format!(
                "{id} was already forgotten on {} by {}; there is nothing left to destroy",
                row.forgotten_at, row.actor
            )));
        }
        if self.store.sealed_item(id)?.is_none() {
            return Err(ArchiveError::Invalid(format!(
                "{id} is not sealed: only a sealed item has a key to destroy; a restricted or public item's file is \
                 stored in the clear and cannot be forgotten this way"
            )));
        }
        let item_id = ItemId::parse(id).map_err(|e| ArchiveError::Invalid(format!("{id}: {e}")))?;
        let version = next_version(id, &item.version)?;
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt)
            .map_err(|e| ArchiveError::Invalid(format!("no randomness for the salt of {id}'s forgetting: {e}")))?;
        let row = ForgottenItemRow {
            item_id: id.to_owned(),
            log_index: 0,
            forgotten_at: now_rfc3339(),
            actor: actor.to_owned(),
            reason: reason.to_owned(),
            salt: hex::encode(salt),
        };
        let digest = forget_digest(&row, &format!("v{version}"))?;
        let entry = LogEntry::item_forget(&item_id, version, row.forgotten_at.clone(), actor.to_owned(), &digest)
            .encode()
            .map_err(|e| ArchiveError::Invalid(format!("the forgetting of {id}: {e}")))?;
        let log_index = self.store.forget_item(&row, &entry)?;
        // The unlocked keyring holds no copy of the data key (keys are
        // unwrapped per read and wiped on drop), so nothing is left in memory.
        let log_size = self.publish()?;
        self.update_index_quietly();
        Ok(ForgetReport {
            id: id.to_owned(),
            log_index,
            version: format!("v{version}"),
            forgotten_at: row.forgotten_at,
            log_size,
        })
    }

    /// When, by whom and why an item was forgotten; `None` if it was not.
    pub fn forgotten(&self, id: &str) -> Result<Option<ForgottenItemRow>> {
        Ok(self.store.forgotten_item(id)?)
    }

    /// Every forgotten item, in the order they were forgotten.
    pub fn forgotten_items(&self) -> Result<Vec<ForgottenItemRow>> {
        Ok(self.store.forgotten_items()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ForgottenItemRow {
        ForgottenItemRow {
            item_id: "itm_01jdx4m6q8c1v7yb2k9e3r5t0a".to_owned(),
            log_index: 7,
            forgotten_at: "2026-11-30T12:00:00Z".to_owned(),
            actor: "alice".to_owned(),
            reason: "the witness asked".to_owned(),
            salt: "00".repeat(32),
        }
    }

    #[test]
    fn the_digest_covers_every_field_and_the_salt() {
        let base = forget_digest(&row(), "v2").unwrap();
        // the documented form, recomputed by hand
        let document = "{\"actor\":\"alice\",\"id\":\"itm_01jdx4m6q8c1v7yb2k9e3r5t0a\",\"reason\":\"the witness asked\",\
                        \"salt\":\"0000000000000000000000000000000000000000000000000000000000000000\",\
                        \"time\":\"2026-11-30T12:00:00Z\",\"version\":\"v2\"}";
        assert_eq!(base.as_str(), hex::encode(Sha256::digest(document.as_bytes())));
        assert_ne!(forget_digest(&row(), "v3").unwrap(), base);
        for change in [
            |r: &mut ForgottenItemRow| r.reason.push('!'),
            |r: &mut ForgottenItemRow| r.salt = "11".repeat(32),
            |r: &mut ForgottenItemRow| r.actor.push('x'),
            |r: &mut ForgottenItemRow| r.forgotten_at = "2026-11-30T12:00:01Z".to_owned(),
        ] {
            let mut changed = row();
            change(&mut changed);
            assert_ne!(forget_digest(&changed, "v2").unwrap(), base);
        }
        // the log index is not part of it (the store assigns it)
        assert_eq!(forget_digest(&ForgottenItemRow { log_index: 99, ..row() }, "v2").unwrap(), base);
    }

    #[test]
    fn versions_count_up_and_nonsense_is_corruption() {
        assert_eq!(next_version("itm_x", "v1").unwrap(), 2);
        assert!(matches!(next_version("itm_x", "1"), Err(ArchiveError::Corrupted { .. })));
    }
}
