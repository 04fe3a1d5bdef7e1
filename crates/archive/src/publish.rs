//! Publishing to the public portal: nothing is public until an investigator
//! or admin publishes it.
//!
//! Publishing sets `sensitivity: public` on a record (for an item, on the
//! item's descriptive record, created by this first change if the item has
//! none yet) as a new record version, change `edit`, reason `published: …`.
//! So every publication is a `record.version` entry of the log, with who,
//! when and why inside its digest, and `evident verify` checks it like any
//! other change. Unpublishing is the same with `sensitivity: restricted` and
//! reason `unpublished: …`.
//!
//! Publishing one record publishes nothing else: a finding's claims, a
//! claim's supporting items, an event's participants each stay as they are
//! until they are published themselves. A sealed record is refused: what a
//! witness gave in confidence is unsealed only by an explicit edit of its
//! sensitivity, never as a side effect of publishing.

use evident_core::{RecordId, RecordKind};
use serde_json::{Map, Value};

use crate::records::{Change, RecordChange, parse_fields, prepare_version};
use crate::{Access, Archive, ArchiveError, Result};

/// The reason prefix of a publishing change.
pub const PUBLISHED_PREFIX: &str = "published";
/// The reason prefix of an unpublishing change.
pub const UNPUBLISHED_PREFIX: &str = "unpublished";

/// When and by whom a record was last published, and the log entry that
/// says so.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Publication {
    pub version: u32,
    pub time: String,
    pub actor: String,
    pub reason: String,
    pub log_index: u64,
}

impl Archive {
    /// Publishes a record or an item (`itm_…`: its descriptive record): a
    /// new version with `sensitivity: public`, change `edit`, reason
    /// `published` or `published: REASON`. Refused for a retracted record,
    /// a sealed one, and one that is already public.
    pub fn publish_record(&mut self, id: &str, actor: &str, reason: &str) -> Result<RecordChange> {
        let reason = with_prefix(PUBLISHED_PREFIX, reason);
        self.set_sensitivity(id, Access::Public, actor, &reason)
    }

    /// Takes a record or item off the portal: a new version with
    /// `sensitivity: restricted`, reason `unpublished: REASON` (a reason is
    /// required). Refused unless the record is public now.
    pub fn unpublish_record(&mut self, id: &str, actor: &str, reason: &str) -> Result<RecordChange> {
        if reason.trim().is_empty() {
            return Err(ArchiveError::Invalid(format!(
                "unpublishing {id} needs a reason (--reason TEXT): the history says why it was taken down"
            )));
        }
        let reason = with_prefix(UNPUBLISHED_PREFIX, reason);
        self.set_sensitivity(id, Access::Restricted, actor, &reason)
    }

    /// The version that last published `id`, if it is public now and a
    /// publishing change made it so (a record created public has none).
    pub fn publication(&self, id: &str) -> Result<Option<Publication>> {
        let Some(row) = self.store.record(id)? else { return Ok(None) };
        if row.retracted || crate::search::access_of(&parse_fields(&row)?) != Access::Public {
            return Ok(None);
        }
        Ok(self
            .store
            .record_history(id)?
            .iter()
            .rev()
            .take_while(|row| !is_prefixed(UNPUBLISHED_PREFIX, &row.reason))
            .find(|row| is_prefixed(PUBLISHED_PREFIX, &row.reason))
            .map(|row| Publication {
                version: row.version,
                time: row.time.clone(),
                actor: row.actor.clone(),
                reason: row.reason.clone(),
                log_index: row.log_index,
            }))
    }

    fn set_sensitivity(&mut self, id: &str, level: Access, actor: &str, reason: &str) -> Result<RecordChange> {
        let parsed = RecordId::parse(id).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let (mut fields, version): (Map<String, Value>, u32) = match self.store.record(id)? {
            Some(row) if row.retracted => {
                return Err(ArchiveError::Invalid(format!(
                    "{id} is retracted; a retracted record cannot be published or unpublished"
                )));
            }
            Some(row) => (parse_fields(&row)?, row.version),
            None if parsed.kind() == RecordKind::Item && self.store.item(id)?.is_some() => (Map::new(), 0),
            None => return Err(ArchiveError::NotFound(format!("no item or record {id} in this archive"))),
        };
        let current = crate::search::access_of(&fields);
        match (current, level) {
            (Access::Sealed, _) => {
                return Err(ArchiveError::Invalid(format!(
                    "{id} is sealed; it is never published as a side effect. If the witness agreed, change its \
                     sensitivity with `evident edit {id} --set sensitivity=restricted --reason ...` first"
                )));
            }
            (Access::Public, Access::Public) => {
                return Err(ArchiveError::Invalid(format!("{id} is already public; nothing to publish")));
            }
            (Access::Restricted, Access::Restricted) => {
                return Err(ArchiveError::Invalid(format!("{id} is not public; nothing to unpublish")));
            }
            _ => {}
        }
        fields.insert("sensitivity".to_owned(), Value::String(level.name().to_owned()));
        let prepared =
            prepare_version(&parsed, version + 1, fields, &Change { change: "edit", retracted: false, actor, reason })?;
        let mut changes = self.commit_versions(vec![prepared])?;
        changes.pop().ok_or_else(|| ArchiveError::Invalid(format!("{id}: the change produced no version")))
    }
}

/// `prefix` alone, or `prefix: reason`.
fn with_prefix(prefix: &str, reason: &str) -> String {
    let reason = reason.trim();
    if reason.is_empty() { prefix.to_owned() } else { format!("{prefix}: {reason}") }
}

/// Whether `reason` is `prefix` or starts with `prefix: `.
fn is_prefixed(prefix: &str, reason: &str) -> bool {
    reason == prefix || reason.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(": "))
}

#[cfg(test)]
mod tests {
    use super::{is_prefixed, with_prefix};

    #[test]
    fn reasons_carry_their_prefix() {
        assert_eq!(with_prefix("published", "  "), "published");
        assert_eq!(with_prefix("published", " tribunal ruling "), "published: tribunal ruling");
        assert!(is_prefixed("published", "published"));
        assert!(is_prefixed("published", "published: x"));
        assert!(!is_prefixed("published", "publishedx"));
        assert!(!is_prefixed("published", "unpublished: x"));
    }
}
