//! Forgotten items (crypto-shredding) and re-wrapping data keys when the
//! key-encryption key rotates (witness protection, `docs/sealing.md`): the
//! SQLite side of [`MetadataStore::forget_item`](crate::MetadataStore::forget_item),
//! [`MetadataStore::wrapped_keys`](crate::MetadataStore::wrapped_keys) and
//! [`MetadataStore::replace_wrapped_keys`](crate::MetadataStore::replace_wrapped_keys).

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::{Store, StoreError};

/// A sealed item whose data key was destroyed: who forgot it, when, why,
/// and the log entry (`item.forget`) that records it. The reason stays in
/// the archive; the log carries only a salted digest of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForgottenItemRow {
    pub item_id: String,
    /// the index of the `item.forget` entry (ignored when forgetting: the
    /// store assigns it)
    pub log_index: u64,
    /// RFC 3339 UTC, whole seconds
    pub forgotten_at: String,
    pub actor: String,
    pub reason: String,
    /// the random salt of the entry's digest, 64 lowercase hex digits
    pub salt: String,
}

/// Which table a wrapped data key lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WrappedKeyOwner {
    /// a sealed item (`sealed_item`)
    Item,
    /// a record with sealed fields (`sealed_record_key`)
    Record,
}

/// One stored wrapped data key (88 bytes, kind `W`), as a rotation reads
/// and replaces it.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKeyRow {
    pub owner: WrappedKeyOwner,
    /// the item or record id
    pub id: String,
    pub wrapped_key: Vec<u8>,
}

impl std::fmt::Debug for WrappedKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WrappedKeyRow")
            .field("owner", &self.owner)
            .field("id", &self.id)
            .field("wrapped_key", &format_args!("[{} bytes]", self.wrapped_key.len()))
            .finish()
    }
}

const FORGOTTEN_COLUMNS: &str = "item_id, log_index, forgotten_at, actor, reason, salt";

fn forgotten_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ForgottenItemRow> {
    Ok(ForgottenItemRow {
        item_id: row.get(0)?,
        log_index: row.get::<_, i64>(1)? as u64,
        forgotten_at: row.get(2)?,
        actor: row.get(3)?,
        reason: row.get(4)?,
        salt: row.get(5)?,
    })
}

impl Store {
    /// Forgets a sealed item in one durable transaction: its keys are
    /// deleted (overwritten in place, `secure_delete`), the forgetting is
    /// recorded, and its log entry appended; then the WAL is checkpointed
    /// and truncated so that no copy of the wrapped key stays in the
    /// database's files. Returns the entry's log index.
    pub fn forget_item(&mut self, row: &ForgottenItemRow, entry: &[u8]) -> Result<u64, StoreError> {
        self.connection.pragma_update(None, "secure_delete", "ON")?;
        let outcome = self.forget_item_transaction(row, entry);
        self.connection.pragma_update(None, "secure_delete", "OFF")?;
        let index = outcome?;
        self.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(index)
    }

    fn forget_item_transaction(&mut self, row: &ForgottenItemRow, entry: &[u8]) -> Result<u64, StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let forgotten: Option<String> = transaction
            .query_row("SELECT forgotten_at FROM forgotten_item WHERE item_id = ?1", [&row.item_id], |r| r.get(0))
            .optional()?;
        if let Some(when) = forgotten {
            return Err(StoreError::Duplicate(format!("item {} was already forgotten on {when}", row.item_id)));
        }
        let item: Option<String> =
            transaction.query_row("SELECT id FROM item WHERE id = ?1", [&row.item_id], |r| r.get(0)).optional()?;
        if item.is_none() {
            return Err(StoreError::NotFound(format!("no item {} to forget", row.item_id)));
        }
        let removed = transaction.execute("DELETE FROM sealed_item WHERE item_id = ?1", [&row.item_id])?;
        if removed == 0 {
            return Err(StoreError::NotFound(format!("item {} has no sealed keys to destroy", row.item_id)));
        }
        let index: i64 = transaction.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |r| r.get(0))?;
        transaction.execute(
            "INSERT INTO log_entry (idx, entry, object_id) VALUES (?1, ?2, ?3)",
            params![index, entry, row.item_id],
        )?;
        transaction.execute(
            &format!("INSERT INTO forgotten_item ({FORGOTTEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            params![row.item_id, index, row.forgotten_at, row.actor, row.reason, row.salt],
        )?;
        transaction.commit()?;
        Ok(index as u64)
    }

    /// The forgetting of an item, if it was forgotten.
    pub fn forgotten_item(&self, id: &str) -> Result<Option<ForgottenItemRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT {FORGOTTEN_COLUMNS} FROM forgotten_item WHERE item_id = ?1"))?;
        Ok(statement.query_row([id], forgotten_from_row).optional()?)
    }

    /// Every forgotten item, in log order.
    pub fn forgotten_items(&self) -> Result<Vec<ForgottenItemRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT {FORGOTTEN_COLUMNS} FROM forgotten_item ORDER BY log_index"))?;
        let rows = statement.query_map([], forgotten_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every stored wrapped data key: sealed items' then sealed records',
    /// each in id order.
    pub fn wrapped_keys(&self) -> Result<Vec<WrappedKeyRow>, StoreError> {
        let mut rows = Vec::new();
        for (owner, query) in [
            (WrappedKeyOwner::Item, "SELECT item_id, wrapped_key FROM sealed_item ORDER BY item_id"),
            (WrappedKeyOwner::Record, "SELECT record_id, wrapped_key FROM sealed_record_key ORDER BY record_id"),
        ] {
            let mut statement = self.connection.prepare_cached(query)?;
            let found = statement
                .query_map([], |row| Ok(WrappedKeyRow { owner, id: row.get(0)?, wrapped_key: row.get(1)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            rows.extend(found);
        }
        Ok(rows)
    }

    /// Replaces stored wrapped keys (a rotation's re-wrapped ones) in one
    /// durable transaction, overwriting the old bytes in place. A row that
    /// names no stored key fails the whole batch with `NotFound`.
    pub fn replace_wrapped_keys(&mut self, rows: &[WrappedKeyRow]) -> Result<(), StoreError> {
        self.connection.pragma_update(None, "secure_delete", "ON")?;
        let outcome = (|| {
            let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for row in rows {
                let (query, what) = match row.owner {
                    WrappedKeyOwner::Item => ("UPDATE sealed_item SET wrapped_key = ?2 WHERE item_id = ?1", "item"),
                    WrappedKeyOwner::Record => {
                        ("UPDATE sealed_record_key SET wrapped_key = ?2 WHERE record_id = ?1", "record")
                    }
                };
                if transaction.execute(query, params![row.id, row.wrapped_key])? == 0 {
                    return Err(StoreError::NotFound(format!("no sealed {what} {} to re-wrap the key of", row.id)));
                }
            }
            transaction.commit()?;
            Ok(())
        })();
        self.connection.pragma_update(None, "secure_delete", "OFF")?;
        outcome
    }
}
