//! The audit trail: every read of restricted material and every export,
//! with who, what, when and from where (the server and the CLI note them).
//!
//! Events are stored at once (durably, one row each) and committed to the
//! transparency log in batches: an `audit.batch` entry holds the SHA-256 of
//! the batch's events in canonical form (docs/log-entry.md), so an event
//! cannot be removed or changed afterwards without `evident verify`
//! noticing. A batch is committed when [`AUDIT_BATCH_EVENTS`] events wait,
//! when the server's timer fires (every few seconds while it serves), when
//! the server stops, and when any command next opens the archive; until
//! then the waiting events are reported as not yet committed.

use std::collections::BTreeMap;

use evident_core::{LogEntry, Sha256Hex};
use evident_store::{AuditBatchRow, AuditRow};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{Archive, ArchiveError, Result, now_rfc3339};

/// Waiting events that make the next [`Archive::audit`] commit a batch.
pub const AUDIT_BATCH_EVENTS: usize = 64;

/// The actor of `audit.batch` entries: the archive itself.
const AUDIT_ACTOR: &str = "evident";

/// One audited act, as it is noted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// the account (or `(public)`, or the local user for the CLI)
    pub actor: String,
    /// the account's role when it acted (`cli` for the command line)
    pub role: String,
    /// `read`, `download`, `receipt`, `export`, ...
    pub action: String,
    /// the item or record id, or what was exported
    pub target: String,
    /// the client's address (`cli` for the command line)
    pub client: String,
}

/// An event of the trail as it is browsed: the event, when it was noted,
/// and the log entry that committed it (none yet: still waiting).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub time: String,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub batch: Option<u64>,
    pub log_index: Option<u64>,
}

/// The canonical line of one event, as the batch digest hashes it: a JSON
/// object with keys in sorted order, no whitespace, then a newline.
pub(crate) fn event_line(row: &AuditRow) -> String {
    // serde_json's map keeps keys sorted (no preserve_order feature).
    let value = json!({
        "action": row.action, "actor": row.actor, "client": row.client, "role": row.role,
        "seq": row.seq, "target": row.target, "time": row.time,
    });
    format!("{value}\n")
}

/// The SHA-256 of a batch's events' canonical lines, in order.
pub(crate) fn batch_digest(rows: &[AuditRow]) -> Sha256Hex {
    let mut hasher = Sha256::new();
    for row in rows {
        hasher.update(event_line(row).as_bytes());
    }
    Sha256Hex::from_bytes(hasher.finalize().into())
}

impl Archive {
    /// Notes an audited act, durably; commits a batch to the log when
    /// enough are waiting.
    pub fn audit(&mut self, event: &AuditEvent) -> Result<()> {
        for (name, value) in [("actor", &event.actor), ("action", &event.action), ("target", &event.target)] {
            if value.is_empty() || value.len() > 512 || value.chars().any(char::is_control) {
                return Err(ArchiveError::Invalid(format!("audit event: {name} must be 1-512 printable characters")));
            }
        }
        let row = AuditRow {
            seq: 0,
            time: now_rfc3339(),
            actor: event.actor.clone(),
            role: event.role.clone(),
            action: event.action.clone(),
            target: event.target.clone(),
            client: event.client.clone(),
            batch: None,
        };
        self.store.add_audit_event(&row)?;
        if self.store.uncommitted_audit_events()?.len() >= AUDIT_BATCH_EVENTS {
            self.commit_audit()?;
        }
        Ok(())
    }

    /// Commits every waiting audit event to the log as one `audit.batch`
    /// entry and publishes a checkpoint over it. Returns the entry's log
    /// index, or `None` when nothing was waiting.
    pub fn commit_audit(&mut self) -> Result<Option<u64>> {
        let Some(index) = self.commit_audit_entry()? else { return Ok(None) };
        self.publish()?;
        Ok(Some(index))
    }

    /// The store half of [`Archive::commit_audit`]: the entry is committed;
    /// publishing it is the caller's (recovery publishes what is pending).
    pub(crate) fn commit_audit_entry(&mut self) -> Result<Option<u64>> {
        let waiting = self.store.uncommitted_audit_events()?;
        let (Some(first), Some(last)) = (waiting.first(), waiting.last()) else { return Ok(None) };
        let batch = self.store.audit_batches()?.last().map_or(1, |batch| batch.batch + 1);
        let digest = batch_digest(&waiting);
        let entry = LogEntry::audit_batch(batch, now_rfc3339(), AUDIT_ACTOR.to_owned(), &digest, first.seq, last.seq)
            .encode()
            .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let row =
            AuditBatchRow { batch, first: first.seq, last: last.seq, digest: digest.as_str().to_owned(), log_index: 0 };
        Ok(Some(self.store.commit_audit_batch(&row, &entry)?))
    }

    /// The audit trail from event `from` on (1 is the first), oldest
    /// first, at most `limit` events.
    pub fn audit_trail(&self, from: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        let batches: BTreeMap<u64, u64> =
            self.store.audit_batches()?.into_iter().map(|batch| (batch.batch, batch.log_index)).collect();
        Ok(self
            .store
            .audit_events(from.max(1), limit)?
            .into_iter()
            .map(|row| AuditRecord {
                seq: row.seq,
                time: row.time,
                batch: row.batch,
                log_index: row.batch.and_then(|batch| batches.get(&batch).copied()),
                event: AuditEvent {
                    actor: row.actor,
                    role: row.role,
                    action: row.action,
                    target: row.target,
                    client: row.client,
                },
            })
            .collect())
    }
}
