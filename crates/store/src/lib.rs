//! Evident's metadata store: items, log entries and the bookkeeping of the
//! commit protocol, in SQLite (bundled, WAL, `synchronous=FULL`).
//!
//! Contract, which the archive's commit order relies on:
//! - every method that writes returns only after its transaction is durable;
//! - [`Store::commit_items`] is atomic: the items, their log entries and the
//!   removal of their pending markers land together or not at all;
//! - log entry indexes are dense and assigned here, in commit order.
//!
//! PostgreSQL arrives behind the same methods when the scale-out work does;
//! until then the SQLite store is the one implementation and tests use it
//! in memory (`Store::open_in_memory`) as well as on disk.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The schema version this code writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupted {what}: {detail}")]
    Corrupted { what: String, detail: String },
    #[error("the database has schema version {found}; this evident reads version {SCHEMA_VERSION}")]
    SchemaVersion { found: i64 },
}

/// An item as the store records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRecord {
    pub id: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    /// the file name as given (lossy UTF-8 if the name was not UTF-8)
    pub original_name: String,
    /// the path as given on the command line or inside a container
    pub original_path: String,
    /// the logical path of the evidence file inside the OCFL object
    pub file_name: String,
    /// modification time of the source file, RFC 3339, if known
    pub modified: Option<String>,
    pub added_by: String,
    pub added_at: String,
    /// JSON: where the file came from (container, member path)
    pub provenance: Option<String>,
    /// SHA-256 of the OCFL object's root inventory.json
    pub inventory_digest: String,
    /// OCFL head version
    pub version: String,
    /// index of the entry that added the item (assigned by `commit_items`)
    pub log_index: u64,
}

pub struct Store {
    connection: Connection,
}

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE log_entry (
    idx INTEGER PRIMARY KEY,
    entry BLOB NOT NULL,
    object_id TEXT NOT NULL
) STRICT;
CREATE INDEX log_entry_object ON log_entry (object_id);
CREATE TABLE item (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    original_name TEXT NOT NULL,
    original_path TEXT NOT NULL,
    file_name TEXT NOT NULL,
    modified TEXT,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    provenance TEXT,
    inventory_digest TEXT NOT NULL,
    version TEXT NOT NULL,
    log_index INTEGER NOT NULL REFERENCES log_entry (idx)
) STRICT;
CREATE TABLE pending_object (id TEXT PRIMARY KEY) STRICT;
CREATE TABLE checkpoint (size INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT;
";

impl Store {
    /// Creates a new database file; fails if one exists.
    pub fn create(path: &Path) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::Corrupted {
                what: path.display().to_string(),
                detail: "a database already exists here".to_owned(),
            });
        }
        let connection = Connection::open(path)?;
        Store::initialise(connection)
    }

    /// Opens an existing database and checks its schema version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Store::configure(&connection)?;
        let found: Option<String> = connection
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |row| row.get(0))
            .optional()
            .map_err(|e| StoreError::Corrupted { what: path.display().to_string(), detail: e.to_string() })?;
        let found = found.and_then(|v| v.parse::<i64>().ok()).ok_or_else(|| StoreError::Corrupted {
            what: path.display().to_string(),
            detail: "no schema version".to_owned(),
        })?;
        if found != SCHEMA_VERSION {
            return Err(StoreError::SchemaVersion { found });
        }
        Ok(Store { connection })
    }

    /// A fresh in-memory store, for unit tests of code above the store.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::initialise(Connection::open_in_memory()?)
    }

    fn configure(connection: &Connection) -> Result<(), StoreError> {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(())
    }

    fn initialise(mut connection: Connection) -> Result<Store, StoreError> {
        Store::configure(&connection)?;
        let transaction = connection.transaction()?;
        transaction.execute_batch(SCHEMA)?;
        transaction
            .execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?1)", [SCHEMA_VERSION.to_string()])?;
        transaction.commit()?;
        Ok(Store { connection })
    }

    /// The number of log entries (the next index to assign).
    pub fn log_size(&self) -> Result<u64, StoreError> {
        let size: i64 =
            self.connection.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |row| row.get(0))?;
        Ok(size as u64)
    }

    /// Entries with indexes in `start..end`, in order. Fails as corrupted if
    /// any index in the range is missing.
    pub fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT idx, entry FROM log_entry WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?;
        let rows = statement.query_map(params![start as i64, end as i64], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?;
        let mut entries = Vec::with_capacity(end.saturating_sub(start) as usize);
        for (expected, row) in (start..end).zip(rows) {
            let (idx, entry) = row?;
            if idx as u64 != expected {
                return Err(StoreError::Corrupted {
                    what: "log_entry table".to_owned(),
                    detail: format!("entry {expected} is missing"),
                });
            }
            entries.push(entry);
        }
        if (entries.len() as u64) != end.saturating_sub(start) {
            return Err(StoreError::Corrupted {
                what: "log_entry table".to_owned(),
                detail: format!("entries {start}..{end} requested, {} found", entries.len()),
            });
        }
        Ok(entries)
    }

    pub fn item(&self, id: &str) -> Result<Option<ItemRecord>, StoreError> {
        let mut statement =
            self.connection.prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM item WHERE id = ?1"))?;
        Ok(statement.query_row([id], item_from_row).optional()?)
    }

    pub fn item_by_sha256(&self, sha256: &str) -> Result<Option<ItemRecord>, StoreError> {
        let mut statement =
            self.connection.prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM item WHERE sha256 = ?1"))?;
        Ok(statement.query_row([sha256], item_from_row).optional()?)
    }

    /// Every item, in id order (ids sort by creation time).
    pub fn items(&self) -> Result<Vec<ItemRecord>, StoreError> {
        let mut statement = self.connection.prepare(&format!("SELECT {ITEM_COLUMNS} FROM item ORDER BY id"))?;
        let rows = statement.query_map([], item_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn item_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.connection.query_row("SELECT COUNT(*) FROM item", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    /// Marks objects as about to be installed in the storage root before
    /// their items are committed, so that recovery can remove them if the
    /// commit never happens. Durable on return.
    pub fn add_pending(&mut self, ids: &[String]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = transaction.prepare_cached("INSERT OR IGNORE INTO pending_object (id) VALUES (?1)")?;
            for id in ids {
                insert.execute([id])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    pub fn pending(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare("SELECT id FROM pending_object ORDER BY id")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn clear_pending(&mut self, id: &str) -> Result<(), StoreError> {
        self.connection.execute("DELETE FROM pending_object WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Commits items with their log entries in one durable transaction:
    /// each item's entry gets the next index, `log_index` is set from it,
    /// and the items' pending markers are removed. `items[i]` pairs with
    /// `entries[i]`. Returns the assigned indexes.
    pub fn commit_items(&mut self, items: &mut [ItemRecord], entries: &[Vec<u8>]) -> Result<Vec<u64>, StoreError> {
        assert_eq!(items.len(), entries.len(), "commit_items: one entry per item");
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut next: i64 =
            transaction.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |row| row.get(0))?;
        let mut indexes = Vec::with_capacity(items.len());
        {
            let mut insert_entry =
                transaction.prepare_cached("INSERT INTO log_entry (idx, entry, object_id) VALUES (?1, ?2, ?3)")?;
            let mut insert_item = transaction.prepare_cached(
                "INSERT INTO item (id, sha256, size, media_type, original_name, original_path, file_name, modified, added_by, added_at, provenance, inventory_digest, version, log_index)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut delete_pending = transaction.prepare_cached("DELETE FROM pending_object WHERE id = ?1")?;
            for (item, entry) in items.iter_mut().zip(entries) {
                insert_entry.execute(params![next, entry, item.id])?;
                item.log_index = next as u64;
                insert_item.execute(params![
                    item.id,
                    item.sha256,
                    item.size as i64,
                    item.media_type,
                    item.original_name,
                    item.original_path,
                    item.file_name,
                    item.modified,
                    item.added_by,
                    item.added_at,
                    item.provenance,
                    item.inventory_digest,
                    item.version,
                    next
                ])?;
                delete_pending.execute([&item.id])?;
                indexes.push(next as u64);
                next += 1;
            }
        }
        transaction.commit()?;
        Ok(indexes)
    }

    /// Appends log entries that record events other than new items (and
    /// synthetic entries in benchmarks), in one durable transaction.
    /// Returns the assigned indexes.
    pub fn append_log_entries(&mut self, entries: &[(String, Vec<u8>)]) -> Result<Vec<u64>, StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut next: i64 =
            transaction.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |row| row.get(0))?;
        let mut indexes = Vec::with_capacity(entries.len());
        {
            let mut insert =
                transaction.prepare_cached("INSERT INTO log_entry (idx, entry, object_id) VALUES (?1, ?2, ?3)")?;
            for (object_id, entry) in entries {
                insert.execute(params![next, entry, object_id])?;
                indexes.push(next as u64);
                next += 1;
            }
        }
        transaction.commit()?;
        Ok(indexes)
    }

    /// Keeps a copy of every signed checkpoint (for consistency proofs and
    /// witnesses later). The checkpoint file in the log is authoritative.
    pub fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        self.connection
            .execute("INSERT OR REPLACE INTO checkpoint (size, note) VALUES (?1, ?2)", params![size as i64, note])?;
        Ok(())
    }
}

const ITEM_COLUMNS: &str = "id, sha256, size, media_type, original_name, original_path, file_name, modified, added_by, added_at, provenance, inventory_digest, version, log_index";

fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRecord> {
    Ok(ItemRecord {
        id: row.get(0)?,
        sha256: row.get(1)?,
        size: row.get::<_, i64>(2)? as u64,
        media_type: row.get(3)?,
        original_name: row.get(4)?,
        original_path: row.get(5)?,
        file_name: row.get(6)?,
        modified: row.get(7)?,
        added_by: row.get(8)?,
        added_at: row.get(9)?,
        provenance: row.get(10)?,
        inventory_digest: row.get(11)?,
        version: row.get(12)?,
        log_index: row.get::<_, i64>(13)? as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, sha: char) -> ItemRecord {
        ItemRecord {
            id: id.to_owned(),
            sha256: sha.to_string().repeat(64),
            size: 3,
            media_type: "text/plain".to_owned(),
            original_name: "a.txt".to_owned(),
            original_path: "dir/a.txt".to_owned(),
            file_name: "file.txt".to_owned(),
            modified: None,
            added_by: "tester".to_owned(),
            added_at: "2026-11-30T00:00:00Z".to_owned(),
            provenance: None,
            inventory_digest: "0".repeat(64),
            version: "v1".to_owned(),
            log_index: 0,
        }
    }

    #[test]
    fn commit_assigns_dense_indexes_and_clears_pending() {
        let mut store = Store::open_in_memory().unwrap();
        store.add_pending(&["a".to_owned(), "b".to_owned()]).unwrap();
        assert_eq!(store.pending().unwrap(), vec!["a", "b"]);
        let mut items = vec![item("a", 'a'), item("b", 'b')];
        let indexes = store.commit_items(&mut items, &[b"ea".to_vec(), b"eb".to_vec()]).unwrap();
        assert_eq!(indexes, vec![0, 1]);
        assert!(store.pending().unwrap().is_empty());
        assert_eq!(store.log_size().unwrap(), 2);
        assert_eq!(store.entries(0, 2).unwrap(), vec![b"ea".to_vec(), b"eb".to_vec()]);
        assert_eq!(store.item_by_sha256(&"b".repeat(64)).unwrap().unwrap().log_index, 1);
        assert!(store.entries(0, 3).is_err());
    }

    #[test]
    fn appended_entries_continue_the_sequence() {
        let mut store = Store::open_in_memory().unwrap();
        store.commit_items(&mut [item("a", 'a')], &[b"ea".to_vec()]).unwrap();
        let indexes =
            store.append_log_entries(&[("x".to_owned(), b"e1".to_vec()), ("y".to_owned(), b"e2".to_vec())]).unwrap();
        assert_eq!(indexes, vec![1, 2]);
        assert_eq!(store.entries(1, 3).unwrap(), vec![b"e1".to_vec(), b"e2".to_vec()]);
    }

    #[test]
    fn a_failed_commit_leaves_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        store.commit_items(&mut [item("a", 'a')], &[b"ea".to_vec()]).unwrap();
        // the second item repeats the first one's digest: the whole batch must fail
        let mut batch = vec![item("c", 'c'), item("d", 'a')];
        assert!(store.commit_items(&mut batch, &[b"ec".to_vec(), b"ed".to_vec()]).is_err());
        assert_eq!(store.log_size().unwrap(), 1);
        assert!(store.item("c").unwrap().is_none());
    }

    #[test]
    fn reopens_from_disk_and_checks_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evident.db");
        {
            let mut store = Store::create(&path).unwrap();
            store.commit_items(&mut [item("a", 'a')], &[b"ea".to_vec()]).unwrap();
        }
        assert!(Store::create(&path).is_err());
        let store = Store::open(&path).unwrap();
        assert_eq!(store.item("a").unwrap().unwrap().original_path, "dir/a.txt");
        let not_a_db = dir.path().join("junk.db");
        std::fs::write(&not_a_db, b"this is not sqlite").unwrap();
        assert!(Store::open(&not_a_db).is_err());
    }
}
