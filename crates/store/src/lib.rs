//! Evident's metadata store: items, log entries, records, the bookkeeping of
//! the commit protocol, and the accounts of the people who sign in, in
//! SQLite (bundled, WAL, `synchronous=FULL`).
//!
//! The contract the archive's commit order relies on (durable on return,
//! all-or-nothing batches, dense log indexes, compare-and-swap of record
//! versions, references checked at the end of a batch, nothing but the
//! current-record row updated in place) is written down once, on the
//! [`MetadataStore`] trait. Every backend implements it and passes the one
//! contract suite in `tests/contract.rs`:
//! - [`Store`], SQLite, the production backend (also in memory with
//!   [`Store::open_in_memory`]);
//! - [`MemoryStore`], plain maps, for unit tests of code above the store.
//!
//! PostgreSQL arrives as another implementation of the trait when the
//! scale-out work does.

mod contract;
mod forget;
mod grants;
mod memory;
mod record_keys;

use std::path::Path;

pub use contract::MetadataStore;
pub use forget::{ForgottenItemRow, WrappedKeyOwner, WrappedKeyRow};
pub use grants::{IntakeCaseRow, IntakeItemRow, SealedGrantRow};
pub use memory::MemoryStore;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The schema version this code writes and reads; older databases are
/// migrated on open (see [`MIGRATIONS`]).
pub const SCHEMA_VERSION: i64 = 8;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupted {what}: {detail}")]
    Corrupted { what: String, detail: String },
    #[error("the database has schema version {found}; this evident reads versions up to {SCHEMA_VERSION}")]
    SchemaVersion { found: i64 },
    /// a record changed since the caller read it (compare-and-swap failed)
    #[error("record {id} is at version {current}, not {expected}: it changed meanwhile; read it again")]
    Conflict { id: String, expected: u32, current: u32 },
    /// a record version refers to an id that is neither an item nor a record
    #[error("{0}")]
    NotFound(String),
    /// an item's id or SHA-256 is already taken (by a stored item or an
    /// earlier one in the same batch)
    #[error("{0}")]
    Duplicate(String),
    /// the caller stopped an import; nothing of it was committed
    #[error("{0}")]
    Aborted(String),
    /// an audit batch names events that are missing or already committed
    #[error("{0}")]
    AuditConflict(String),
}

/// What an import committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOutcome {
    pub first_index: u64,
    pub count: u64,
}

/// A record as it stands now (its latest version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    pub id: String,
    pub kind: String,
    pub version: u32,
    /// JSON object
    pub fields: String,
    pub retracted: bool,
    pub updated_at: String,
}

/// One version of a record: what it held, who made it, when and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordVersionRow {
    pub id: String,
    pub version: u32,
    pub kind: String,
    /// `create`, `edit` or `retract`
    pub change: String,
    /// JSON object: the whole record at this version
    pub fields: String,
    pub actor: String,
    pub time: String,
    pub reason: String,
    /// SHA-256 of the version document, as the log entry commits to it
    pub digest: String,
    /// set by `commit_record_versions`
    pub log_index: u64,
    pub retracted: bool,
}

/// A new record version to commit, with its log entry and the ids it refers to.
#[derive(Clone, Debug)]
pub struct NewRecordVersion {
    pub row: RecordVersionRow,
    pub entry: Vec<u8>,
    /// (field path, referenced id)
    pub references: Vec<(String, String)>,
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

/// What text extraction made of an item's file (derived: `evident reindex`
/// extracts again and replaces it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemText {
    pub item_id: String,
    /// `extracted`, `no_text` (a format without text: images, audio, ...),
    /// `failed` (a format with text that could not be read), `too_large`
    pub status: String,
    /// the format extraction recognised (`pdf`, `html`, `text`, `png`, ...)
    pub format: String,
    /// the dominant language of the text, if detected
    pub lang: Option<String>,
    /// characters of text extracted
    pub chars: u64,
    /// why extraction failed, or a note (encoding, truncation)
    pub detail: Option<String>,
    pub extracted_at: String,
}

/// A candidate claim found in an item's text, waiting for (or past) an
/// investigator's review. Candidates are derived suggestions; only an
/// accepted one becomes evidence, as a claim record.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimCandidate {
    /// assigned by the store; 0 in a candidate not yet stored
    pub id: i64,
    pub item_id: String,
    /// `waiting_time`, `price`, `volume`, `beds`, `utilisation`
    pub kind: String,
    /// the exact text matched
    pub text: String,
    /// the span in the item's extracted text, in characters
    pub char_start: u64,
    pub char_end: u64,
    pub value: f64,
    pub value_high: Option<f64>,
    pub unit: String,
    pub period: Option<String>,
    pub sentence: String,
    /// `pending`, `accepted` or `rejected`
    pub status: String,
    /// the claim record an accepted candidate became
    pub claim_id: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    /// the reviewer's reason
    pub note: Option<String>,
    pub found_at: String,
}

/// An investigator's decision on a pending candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateReview {
    pub id: i64,
    /// `accepted` or `rejected`
    pub status: String,
    pub claim_id: Option<String>,
    pub reviewed_by: String,
    pub reviewed_at: String,
    pub note: Option<String>,
}

/// A person who may sign in to the archive. Accounts are bookkeeping, not
/// evidence: they are never log entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    /// 1–64 ASCII letters, digits, `.`, `_` or `-` (checked by the archive)
    pub name: String,
    /// `admin`, `investigator`, `reviewer` or `intake` (checked by the archive)
    pub role: String,
    /// Argon2id, as a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`)
    pub password_hash: String,
    pub created_at: String,
    /// a disabled user cannot sign in and none of their credentials work
    pub disabled: bool,
    /// the TOTP second factor's secret (base32), if the user has one
    pub totp_secret: Option<String>,
}

/// A session or an API token of a user. Only the SHA-256 of the token is
/// stored, so the table does not let anyone sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRow {
    /// lower-case hex SHA-256 of the whole token
    pub token_hash: String,
    pub user_name: String,
    /// `session` (from a sign-in, expires) or `api` (made for a program)
    pub kind: String,
    /// what the user called an API token, if anything
    pub label: Option<String>,
    pub created_at: String,
    /// RFC 3339; `None` for a credential that does not expire
    pub expires_at: Option<String>,
    pub revoked: bool,
    /// RFC 3339; when the credential was last accepted, if ever
    pub last_used_at: Option<String>,
}

/// One audited act (a read of restricted material, an export): bookkeeping
/// that the log commits to in batches ([`AuditBatchRow`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// assigned by the store, from 1, in the order events arrive
    pub seq: u64,
    pub time: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub client: String,
    /// the batch that committed it to the log; `None` until then
    pub batch: Option<u64>,
}

/// A batch of audit events committed to the log by one `audit.batch` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditBatchRow {
    /// 1, 2, ... in log order
    pub batch: u64,
    pub first: u64,
    pub last: u64,
    /// SHA-256 (hex) of the events' canonical lines
    pub digest: String,
    pub log_index: u64,
}

/// The keys of a sealed item (witness protection, `docs/sealing.md`): its
/// data key wrapped under the archive's key-encryption key, and what that
/// data key seals. Nothing here is readable without the KEK, and deleting
/// the row destroys the item's content for ever (crypto-shredding).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedItemRow {
    pub item_id: String,
    /// the wrapped data key (88 bytes, kind `W`)
    pub wrapped_key: Vec<u8>,
    /// the commitment salt of the item's file, a sealed box of kind `C`
    pub sealed_salt: Vec<u8>,
    /// the item's descriptive metadata (original name, path, media type,
    /// plaintext size and digest), a sealed box of kind `F`
    pub sealed_metadata: Vec<u8>,
}

impl std::fmt::Debug for SealedItemRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedItemRow").field("item_id", &self.item_id).finish_non_exhaustive()
    }
}

/// A derivative item (a redacted copy) and the item it was made from, with
/// the log index of its `item.derive` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemDerivationRow {
    /// the derivative
    pub item_id: String,
    /// the item it was made from
    pub source_id: String,
    /// the `item.derive` entry's log index (ignored when committing)
    pub log_index: u64,
}

/// The SQLite metadata store. Its inherent methods are those of
/// [`MetadataStore`], which it implements by delegation, so callers need not
/// import the trait.
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

/// Schema changes after version 1, in order: `MIGRATIONS[n]` takes a
/// database from version n + 1 to n + 2. Each runs in one transaction with
/// the version bump.
pub const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE record (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    fields TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX record_kind ON record (kind, id);
CREATE TABLE record_version (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    change TEXT NOT NULL,
    fields TEXT NOT NULL,
    actor TEXT NOT NULL,
    time TEXT NOT NULL,
    reason TEXT NOT NULL,
    digest TEXT NOT NULL,
    retracted INTEGER NOT NULL,
    log_index INTEGER NOT NULL REFERENCES log_entry (idx),
    PRIMARY KEY (id, version)
) STRICT;
CREATE TABLE record_ref (
    from_id TEXT NOT NULL,
    field TEXT NOT NULL,
    to_id TEXT NOT NULL
) STRICT;
CREATE INDEX record_ref_from ON record_ref (from_id);
CREATE INDEX record_ref_to ON record_ref (to_id);
",
    "
CREATE TABLE item_text (
    item_id TEXT PRIMARY KEY REFERENCES item (id),
    status TEXT NOT NULL,
    format TEXT NOT NULL,
    lang TEXT,
    chars INTEGER NOT NULL,
    detail TEXT,
    extracted_at TEXT NOT NULL
) STRICT;
",
    "
CREATE TABLE claim_candidate (
    id INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES item (id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    value REAL NOT NULL,
    value_high REAL,
    unit TEXT NOT NULL,
    period TEXT,
    sentence TEXT NOT NULL,
    status TEXT NOT NULL,
    claim_id TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT,
    note TEXT,
    found_at TEXT NOT NULL,
    UNIQUE (item_id, kind, char_start, char_end)
) STRICT;
CREATE INDEX claim_candidate_status ON claim_candidate (status, id);
",
    "
CREATE TABLE user (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE credential (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES user (name),
    kind TEXT NOT NULL,
    label TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0,
    last_used_at TEXT
) STRICT;
CREATE INDEX credential_user ON credential (user_name);
",
    "
CREATE TABLE audit_event (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    client TEXT NOT NULL,
    batch INTEGER
) STRICT;
CREATE INDEX audit_event_uncommitted ON audit_event (batch, seq);
ALTER TABLE user ADD COLUMN totp_secret TEXT;
CREATE TABLE audit_batch (
    batch INTEGER PRIMARY KEY,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    digest TEXT NOT NULL,
    log_index INTEGER NOT NULL REFERENCES log_entry (idx)
) STRICT;
",
    // 6 -> 7: sealed items' wrapped keys, salts and metadata. No foreign key
    // to item: the row is written before its item commits (recovery removes
    // the rows of items that never did).
    "
CREATE TABLE sealed_item (
    item_id TEXT PRIMARY KEY,
    wrapped_key BLOB NOT NULL,
    sealed_salt BLOB NOT NULL,
    sealed_metadata BLOB NOT NULL
) STRICT;
",
    // 7 -> 8: witness protection, second part: forgotten items (their keys
    // shredded), per-person access to sealed things, testimony intake cases
    // (the follow-up code stored only as SHA-256), record keys for sealed
    // record fields, and redacted derivatives.
    "
CREATE TABLE forgotten_item (
    item_id TEXT PRIMARY KEY,
    log_index INTEGER NOT NULL REFERENCES log_entry (idx),
    forgotten_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    salt TEXT NOT NULL
) STRICT;
CREATE TABLE sealed_grant (
    target_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (target_id, user_name)
) STRICT;
CREATE INDEX sealed_grant_user ON sealed_grant (user_name);
CREATE TABLE intake_case (
    case_id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;
CREATE TABLE intake_item (
    case_id TEXT NOT NULL REFERENCES intake_case (case_id),
    item_id TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (case_id, item_id)
) STRICT;
CREATE INDEX intake_item_item ON intake_item (item_id);
CREATE TABLE sealed_record_key (
    record_id TEXT PRIMARY KEY,
    wrapped_key BLOB NOT NULL
) STRICT;
CREATE TABLE item_derivation (
    item_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    log_index INTEGER NOT NULL REFERENCES log_entry (idx)
) STRICT;
CREATE INDEX item_derivation_source ON item_derivation (source_id);
",
];

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
        if !(1..=SCHEMA_VERSION).contains(&found) {
            return Err(StoreError::SchemaVersion { found });
        }
        let mut store = Store { connection };
        store.migrate(found)?;
        Ok(store)
    }

    /// A fresh in-memory store, for unit tests of code above the store.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::initialise(Connection::open_in_memory()?)
    }

    fn configure(connection: &Connection) -> Result<(), StoreError> {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of page cache: imports of hundreds of thousands of records
        // touch indexes far larger than the default 2 MiB.
        connection.pragma_update(None, "cache_size", -65_536)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(())
    }

    fn initialise(mut connection: Connection) -> Result<Store, StoreError> {
        Store::configure(&connection)?;
        let transaction = connection.transaction()?;
        transaction.execute_batch(SCHEMA)?;
        transaction.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')", [])?;
        transaction.commit()?;
        let mut store = Store { connection };
        store.migrate(1)?;
        Ok(store)
    }

    /// Brings a database from schema version `from` to [`SCHEMA_VERSION`],
    /// one migration per transaction.
    fn migrate(&mut self, from: i64) -> Result<(), StoreError> {
        for version in from..SCHEMA_VERSION {
            let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            transaction.execute_batch(MIGRATIONS[(version - 1) as usize])?;
            transaction
                .execute("UPDATE meta SET value = ?1 WHERE key = 'schema_version'", [(version + 1).to_string()])?;
            transaction.commit()?;
        }
        Ok(())
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
        // Capped: the range comes from callers and may reach far past the log.
        let mut entries = Vec::with_capacity(end.saturating_sub(start).min(1 << 16) as usize);
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
            for (item, entry) in items.iter().zip(entries) {
                insert_entry.execute(params![next, entry, item.id])?;
                insert_item
                    .execute(params![
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
                    ])
                    .map_err(|e| duplicate_item(e, item))?;
                delete_pending.execute([&item.id])?;
                indexes.push(next as u64);
                next += 1;
            }
        }
        transaction.commit()?;
        // Only now, so that a failed batch leaves the caller's items as they were.
        for (item, index) in items.iter_mut().zip(&indexes) {
            item.log_index = *index;
        }
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

    /// Commits record versions with their log entries in one durable
    /// transaction. Compare-and-swap: each version must be the record's
    /// current version plus one (1 for a new record), else nothing is
    /// committed and `Conflict` names the record. Every referenced id must
    /// exist as an item or a record (or be created in the same batch), else
    /// `NotFound`. Returns the assigned log indexes and sets each row's
    /// `log_index`.
    pub fn commit_record_versions(&mut self, versions: &mut [NewRecordVersion]) -> Result<Vec<u64>, StoreError> {
        let mut rows = versions.iter().cloned().map(Ok);
        let first = self.import_record_versions(&mut rows)?.first_index;
        for (offset, version) in versions.iter_mut().enumerate() {
            version.row.log_index = first + offset as u64;
        }
        Ok((first..first + versions.len() as u64).collect())
    }

    /// The streaming form of [`Store::commit_record_versions`], for imports
    /// of any size: versions are written as the iterator yields them inside
    /// one transaction, references are checked once all are in, and the
    /// transaction commits only if everything holds. An `Err` from the
    /// iterator aborts the whole import (`Aborted`), leaving nothing.
    pub fn import_record_versions(
        &mut self,
        versions: &mut dyn Iterator<Item = Result<NewRecordVersion, String>>,
    ) -> Result<ImportOutcome, StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let first: i64 =
            transaction.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |row| row.get(0))?;
        let mut next = first;
        {
            let mut current = transaction.prepare_cached("SELECT version FROM record WHERE id = ?1")?;
            let mut insert_entry =
                transaction.prepare_cached("INSERT INTO log_entry (idx, entry, object_id) VALUES (?1, ?2, ?3)")?;
            let mut insert_version = transaction.prepare_cached(
                "INSERT INTO record_version (id, version, kind, change, fields, actor, time, reason, digest, retracted, log_index)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO record (id, kind, version, fields, retracted, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, fields = excluded.fields,
                 retracted = excluded.retracted, updated_at = excluded.updated_at",
            )?;
            let mut delete_refs = transaction.prepare_cached("DELETE FROM record_ref WHERE from_id = ?1")?;
            let mut insert_ref =
                transaction.prepare_cached("INSERT INTO record_ref (from_id, field, to_id) VALUES (?1, ?2, ?3)")?;
            for version in versions {
                let version = version.map_err(StoreError::Aborted)?;
                let row = &version.row;
                // A first version needs no look-up: if the record exists, the
                // (id, 1) version exists too and the insert below fails.
                if row.version != 1 {
                    let found: Option<i64> = current.query_row([&row.id], |r| r.get(0)).optional()?;
                    let current_version = found.unwrap_or(0) as u32;
                    if row.version != current_version + 1 {
                        return Err(StoreError::Conflict {
                            id: row.id.clone(),
                            expected: row.version.saturating_sub(1),
                            current: current_version,
                        });
                    }
                }
                insert_entry.execute(params![next, version.entry, row.id])?;
                let inserted = insert_version.execute(params![
                    row.id,
                    row.version,
                    row.kind,
                    row.change,
                    row.fields,
                    row.actor,
                    row.time,
                    row.reason,
                    row.digest,
                    row.retracted,
                    next
                ]);
                if let Err(rusqlite::Error::SqliteFailure(e, _)) = &inserted
                    && e.code == rusqlite::ErrorCode::ConstraintViolation
                {
                    let found: Option<i64> = current.query_row([&row.id], |r| r.get(0)).optional()?;
                    return Err(StoreError::Conflict {
                        id: row.id.clone(),
                        expected: row.version.saturating_sub(1),
                        current: found.unwrap_or(0) as u32,
                    });
                }
                inserted?;
                upsert.execute(params![row.id, row.kind, row.version, row.fields, row.retracted, row.time])?;
                if row.version != 1 {
                    delete_refs.execute([&row.id])?;
                }
                for (field, to) in &version.references {
                    insert_ref.execute(params![row.id, field, to])?;
                }
                next += 1;
            }
            // References are checked once the whole batch is in, so records
            // in one import may refer to each other in any order.
            let dangling: Option<(String, String, String)> = transaction
                .query_row(
                    "SELECT r.from_id, r.field, r.to_id FROM record_ref r
                     JOIN record_version v ON v.id = r.from_id AND v.log_index >= ?1
                     WHERE NOT EXISTS (SELECT 1 FROM record WHERE id = r.to_id)
                       AND NOT EXISTS (SELECT 1 FROM item WHERE id = r.to_id)
                     LIMIT 1",
                    [first],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            if let Some((from, field, to)) = dangling {
                return Err(StoreError::NotFound(format!(
                    "{from} field {field} refers to {to}, which is not in the archive"
                )));
            }
        }
        transaction.commit()?;
        Ok(ImportOutcome { first_index: first as u64, count: (next - first) as u64 })
    }

    pub fn record(&self, id: &str) -> Result<Option<RecordRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT id, kind, version, fields, retracted, updated_at FROM record WHERE id = ?1")?;
        Ok(statement.query_row([id], record_from_row).optional()?)
    }

    /// Every version of a record, oldest first.
    pub fn record_history(&self, id: &str) -> Result<Vec<RecordVersionRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT {VERSION_COLUMNS} FROM record_version WHERE id = ?1 ORDER BY version"))?;
        let rows = statement.query_map([id], version_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Calls `visit` with every record of a kind (or of all kinds), in id
    /// order, one row at a time, so that exports stream. `visit` returns
    /// false to stop.
    pub fn for_each_record(
        &self,
        kind: Option<&str>,
        visit: &mut dyn FnMut(RecordRow) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self.connection.prepare(
            "SELECT id, kind, version, fields, retracted, updated_at FROM record WHERE (?1 IS NULL OR kind = ?1) ORDER BY id",
        )?;
        let mut rows = statement.query([kind])?;
        while let Some(row) = rows.next()? {
            if !visit(record_from_row(row)?)? {
                break;
            }
        }
        Ok(())
    }

    /// Every record version, in log order (for `verify`).
    pub fn for_each_record_version(
        &self,
        visit: &mut dyn FnMut(RecordVersionRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement =
            self.connection.prepare(&format!("SELECT {VERSION_COLUMNS} FROM record_version ORDER BY log_index"))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            visit(version_from_row(row)?)?;
        }
        Ok(())
    }

    /// Records that refer to `id` now: (from id, field).
    pub fn references_to(&self, id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT from_id, field FROM record_ref WHERE to_id = ?1 ORDER BY from_id, field")?;
        let rows = statement.query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The distinct object ids of the entries in `start..end`, in order of
    /// first appearance.
    pub fn entry_objects(&self, start: u64, end: u64) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT object_id FROM log_entry WHERE idx >= ?1 AND idx < ?2 GROUP BY object_id ORDER BY MIN(idx)",
        )?;
        let rows = statement.query_map(params![start as i64, end as i64], |row| row.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records extraction results, replacing earlier ones for the same items,
    /// in one transaction.
    pub fn set_item_texts(&mut self, texts: &[ItemText]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT OR REPLACE INTO item_text (item_id, status, format, lang, chars, detail, extracted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut exists = transaction.prepare_cached("SELECT 1 FROM item WHERE id = ?1")?;
            for text in texts {
                if exists.query_row([&text.item_id], |_| Ok(())).optional()?.is_none() {
                    return Err(StoreError::NotFound(format!("no item {} to record extracted text for", text.item_id)));
                }
                insert.execute(params![
                    text.item_id,
                    text.status,
                    text.format,
                    text.lang,
                    text.chars as i64,
                    text.detail,
                    text.extracted_at
                ])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// The extraction result of an item, if extraction ran.
    pub fn item_text(&self, id: &str) -> Result<Option<ItemText>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT item_id, status, format, lang, chars, detail, extracted_at FROM item_text WHERE item_id = ?1",
        )?;
        Ok(statement
            .query_row([id], |row| {
                Ok(ItemText {
                    item_id: row.get(0)?,
                    status: row.get(1)?,
                    format: row.get(2)?,
                    lang: row.get(3)?,
                    chars: row.get::<_, i64>(4)? as u64,
                    detail: row.get(5)?,
                    extracted_at: row.get(6)?,
                })
            })
            .optional()?)
    }

    /// Stores sealed items' keys (before their items commit), in one
    /// durable transaction; an id already stored fails the whole batch.
    pub fn put_sealed_items(&mut self, rows: &[SealedItemRow]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO sealed_item (item_id, wrapped_key, sealed_salt, sealed_metadata) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for row in rows {
                match insert.execute(params![row.item_id, row.wrapped_key, row.sealed_salt, row.sealed_metadata]) {
                    Ok(_) => {}
                    Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                        return Err(StoreError::Duplicate(format!("sealed item {} already has keys", row.item_id)));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// The keys of a sealed item, if it is one.
    pub fn sealed_item(&self, id: &str) -> Result<Option<SealedItemRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT item_id, wrapped_key, sealed_salt, sealed_metadata FROM sealed_item WHERE item_id = ?1",
        )?;
        Ok(statement
            .query_row([id], |row| {
                Ok(SealedItemRow {
                    item_id: row.get(0)?,
                    wrapped_key: row.get(1)?,
                    sealed_salt: row.get(2)?,
                    sealed_metadata: row.get(3)?,
                })
            })
            .optional()?)
    }

    /// The ids of every item that has sealed keys, in id order.
    pub fn sealed_item_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare_cached("SELECT item_id FROM sealed_item ORDER BY item_id")?;
        let ids = statement.query_map([], |row| row.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// Removes a sealed item's keys, durably, overwriting the freed bytes
    /// (`secure_delete`) and truncating the WAL so that no copy of the
    /// wrapped key stays in the database files. Returns whether there were
    /// any.
    pub fn remove_sealed_item(&mut self, id: &str) -> Result<bool, StoreError> {
        self.connection.pragma_update(None, "secure_delete", "ON")?;
        let removed = self.connection.execute("DELETE FROM sealed_item WHERE item_id = ?1", [id])?;
        self.connection.pragma_update(None, "secure_delete", "OFF")?;
        if removed > 0 {
            self.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(removed > 0)
    }

    /// Records that `row.item_id` was derived from `row.source_id`, with its
    /// `item.derive` entry, in one durable transaction; returns the entry's
    /// log index. Both items must exist ([`StoreError::NotFound`]); an item
    /// already recorded as a derivative fails with [`StoreError::Duplicate`].
    pub fn commit_item_derivation(&mut self, row: &ItemDerivationRow, entry: &[u8]) -> Result<u64, StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for id in [&row.item_id, &row.source_id] {
            let found: i64 = transaction.query_row("SELECT COUNT(*) FROM item WHERE id = ?1", [id], |r| r.get(0))?;
            if found == 0 {
                return Err(StoreError::NotFound(format!("no item {id} for a derivation")));
            }
        }
        let existing: i64 =
            transaction
                .query_row("SELECT COUNT(*) FROM item_derivation WHERE item_id = ?1", [&row.item_id], |r| r.get(0))?;
        if existing > 0 {
            return Err(StoreError::Duplicate(format!("{} is already recorded as a derivative", row.item_id)));
        }
        let index: i64 = transaction.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |r| r.get(0))?;
        transaction.execute(
            "INSERT INTO log_entry (idx, entry, object_id) VALUES (?1, ?2, ?3)",
            params![index, entry, row.item_id],
        )?;
        transaction.execute(
            "INSERT INTO item_derivation (item_id, source_id, log_index) VALUES (?1, ?2, ?3)",
            params![row.item_id, row.source_id, index],
        )?;
        transaction.commit()?;
        Ok(index as u64)
    }

    /// What an item was derived from, if it is a derivative.
    pub fn item_derivation(&self, id: &str) -> Result<Option<ItemDerivationRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT item_id, source_id, log_index FROM item_derivation WHERE item_id = ?1")?;
        Ok(statement.query_row([id], derivation_from_row).optional()?)
    }

    /// The derivatives of an item (`source` given) or every derivation, in
    /// log order.
    pub fn item_derivations(&self, source: Option<&str>) -> Result<Vec<ItemDerivationRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT item_id, source_id, log_index FROM item_derivation WHERE ?1 IS NULL OR source_id = ?1 \
             ORDER BY log_index",
        )?;
        let rows = statement.query_map([source], derivation_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Stores candidates; one already stored (same item, kind and span) is
    /// kept as it is, with its review. Returns every candidate given, as
    /// stored, in the order given.
    pub fn add_claim_candidates(&mut self, candidates: &[ClaimCandidate]) -> Result<Vec<ClaimCandidate>, StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut stored = Vec::with_capacity(candidates.len());
        {
            let mut exists = transaction.prepare_cached("SELECT 1 FROM item WHERE id = ?1")?;
            let mut insert = transaction.prepare_cached(
                "INSERT OR IGNORE INTO claim_candidate (item_id, kind, text, char_start, char_end, value, value_high,
                 unit, period, sentence, status, found_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11)",
            )?;
            let mut select = transaction.prepare_cached(&format!(
                "SELECT {CANDIDATE_COLUMNS} FROM claim_candidate WHERE item_id = ?1 AND kind = ?2 AND char_start = ?3 AND char_end = ?4"
            ))?;
            for candidate in candidates {
                if exists.query_row([&candidate.item_id], |_| Ok(())).optional()?.is_none() {
                    return Err(StoreError::NotFound(format!("no item {} for a claim candidate", candidate.item_id)));
                }
                insert.execute(params![
                    candidate.item_id,
                    candidate.kind,
                    candidate.text,
                    candidate.char_start as i64,
                    candidate.char_end as i64,
                    candidate.value,
                    candidate.value_high,
                    candidate.unit,
                    candidate.period,
                    candidate.sentence,
                    candidate.found_at
                ])?;
                stored.push(select.query_row(
                    params![candidate.item_id, candidate.kind, candidate.char_start as i64, candidate.char_end as i64],
                    candidate_from_row,
                )?);
            }
        }
        transaction.commit()?;
        Ok(stored)
    }

    /// Candidates, oldest first, optionally only of one item and/or status.
    pub fn claim_candidates(
        &self,
        item: Option<&str>,
        status: Option<&str>,
    ) -> Result<Vec<ClaimCandidate>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {CANDIDATE_COLUMNS} FROM claim_candidate
             WHERE (?1 IS NULL OR item_id = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY id"
        ))?;
        let rows = statement.query_map(params![item, status], candidate_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records a review of a pending candidate; a candidate already reviewed
    /// (or missing) is refused and nothing changes.
    pub fn review_claim_candidate(&mut self, review: &CandidateReview) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let status: Option<String> = transaction
            .query_row("SELECT status FROM claim_candidate WHERE id = ?1", [review.id], |row| row.get(0))
            .optional()?;
        match status.as_deref() {
            None => return Err(StoreError::NotFound(format!("no claim candidate #{}", review.id))),
            Some("pending") => {}
            Some(other) => {
                return Err(StoreError::NotFound(format!(
                    "claim candidate #{} is already {other}; reviews are kept, not changed",
                    review.id
                )));
            }
        }
        transaction.execute(
            "UPDATE claim_candidate SET status = ?2, claim_id = ?3, reviewed_by = ?4, reviewed_at = ?5, note = ?6
             WHERE id = ?1",
            params![review.id, review.status, review.claim_id, review.reviewed_by, review.reviewed_at, review.note],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// Keeps a copy of every signed checkpoint (for consistency proofs and
    /// witnesses later). The checkpoint file in the log is authoritative.
    pub fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        self.connection
            .execute("INSERT OR REPLACE INTO checkpoint (size, note) VALUES (?1, ?2)", params![size as i64, note])?;
        Ok(())
    }

    /// The checkpoint copy kept for a tree size, if any.
    pub fn checkpoint(&self, size: u64) -> Result<Option<String>, StoreError> {
        let mut statement = self.connection.prepare_cached("SELECT note FROM checkpoint WHERE size = ?1")?;
        Ok(statement.query_row([size as i64], |row| row.get(0)).optional()?)
    }

    /// Adds a user; a name already taken fails with
    /// [`StoreError::Duplicate`]. Durable on return.
    pub fn add_user(&mut self, user: &UserRow) -> Result<(), StoreError> {
        self.connection
            .execute(
                "INSERT INTO user (name, role, password_hash, created_at, disabled, totp_secret)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![user.name, user.role, user.password_hash, user.created_at, user.disabled, user.totp_secret],
            )
            .map_err(|error| duplicate_key(error, || duplicate_user_message(&user.name)))?;
        Ok(())
    }

    /// The user with this name, if any.
    pub fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let mut statement =
            self.connection.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM user WHERE name = ?1"))?;
        Ok(statement.query_row([name], user_from_row).optional()?)
    }

    /// Every user, in name order.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let mut statement =
            self.connection.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM user ORDER BY name"))?;
        let rows = statement.query_map([], user_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Replaces the role, password hash, disabled flag and TOTP secret of
    /// an existing user (named by `user.name`; `created_at` is kept as
    /// stored).
    pub fn set_user(&mut self, user: &UserRow) -> Result<(), StoreError> {
        let changed = self.connection.execute(
            "UPDATE user SET role = ?2, password_hash = ?3, disabled = ?4, totp_secret = ?5 WHERE name = ?1",
            params![user.name, user.role, user.password_hash, user.disabled, user.totp_secret],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound(no_user_message(&user.name)));
        }
        Ok(())
    }

    /// Adds a credential of an existing user.
    pub fn add_credential(&mut self, row: &CredentialRow) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if transaction
            .query_row("SELECT 1 FROM user WHERE name = ?1", [&row.user_name], |_| Ok(()))
            .optional()?
            .is_none()
        {
            return Err(StoreError::NotFound(no_user_message(&row.user_name)));
        }
        transaction
            .execute(
                "INSERT INTO credential (token_hash, user_name, kind, label, created_at, expires_at, revoked, last_used_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    row.token_hash,
                    row.user_name,
                    row.kind,
                    row.label,
                    row.created_at,
                    row.expires_at,
                    row.revoked,
                    row.last_used_at
                ],
            )
            .map_err(|error| duplicate_key(error, || DUPLICATE_CREDENTIAL_MESSAGE.to_owned()))?;
        transaction.commit()?;
        Ok(())
    }

    /// The credential whose token has this SHA-256, if any.
    pub fn credential(&self, token_hash: &str) -> Result<Option<CredentialRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(&format!("SELECT {CREDENTIAL_COLUMNS} FROM credential WHERE token_hash = ?1"))?;
        Ok(statement.query_row([token_hash], credential_from_row).optional()?)
    }

    /// Revokes every credential of a user, or only the one with
    /// `token_hash` if that is one of theirs. Returns how many were newly
    /// revoked.
    pub fn revoke_credentials(&mut self, user_name: &str, token_hash: Option<&str>) -> Result<u64, StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if transaction.query_row("SELECT 1 FROM user WHERE name = ?1", [user_name], |_| Ok(())).optional()?.is_none() {
            return Err(StoreError::NotFound(no_user_message(user_name)));
        }
        let revoked = transaction.execute(
            "UPDATE credential SET revoked = 1
             WHERE user_name = ?1 AND revoked = 0 AND (?2 IS NULL OR token_hash = ?2)",
            params![user_name, token_hash],
        )?;
        transaction.commit()?;
        Ok(revoked as u64)
    }

    /// Records when a credential was last accepted.
    pub fn touch_credential(&mut self, token_hash: &str, when: &str) -> Result<(), StoreError> {
        let changed = self
            .connection
            .execute("UPDATE credential SET last_used_at = ?2 WHERE token_hash = ?1", params![token_hash, when])?;
        if changed == 0 {
            return Err(StoreError::NotFound(NO_CREDENTIAL_MESSAGE.to_owned()));
        }
        Ok(())
    }

    /// Adds an audit event, durably; returns its sequence number.
    pub fn add_audit_event(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        self.connection.execute(
            "INSERT INTO audit_event (time, actor, role, action, target, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![row.time, row.actor, row.role, row.action, row.target, row.client],
        )?;
        Ok(self.connection.last_insert_rowid() as u64)
    }

    /// Audit events with `seq >= from`, oldest first, at most `limit`.
    pub fn audit_events(&self, from: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT seq, time, actor, role, action, target, client, batch FROM audit_event
             WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement.query_map(params![from as i64, limit], audit_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Audit events no batch has committed yet, oldest first.
    pub fn uncommitted_audit_events(&self) -> Result<Vec<AuditRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT seq, time, actor, role, action, target, client, batch FROM audit_event
             WHERE batch IS NULL ORDER BY seq",
        )?;
        let rows = statement.query_map([], audit_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Commits events `batch.first..=batch.last` with their log entry in one
    /// durable transaction; returns the entry's log index. Fails with
    /// [`StoreError::Conflict`] if any of those events is missing or
    /// already in a batch, and nothing is written.
    pub fn commit_audit_batch(&mut self, batch: &AuditBatchRow, entry: &[u8]) -> Result<u64, StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let open: i64 = transaction.query_row(
            "SELECT COUNT(*) FROM audit_event WHERE seq BETWEEN ?1 AND ?2 AND batch IS NULL",
            params![batch.first as i64, batch.last as i64],
            |row| row.get(0),
        )?;
        if open as u64 != batch.last - batch.first + 1 {
            return Err(StoreError::AuditConflict(format!(
                "audit events {}..={} are not all waiting for a batch",
                batch.first, batch.last
            )));
        }
        let index: i64 =
            transaction.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entry", [], |row| row.get(0))?;
        transaction.execute(
            "INSERT INTO log_entry (idx, entry, object_id) VALUES (?1, ?2, ?3)",
            params![index, entry, evident_core::AUDIT_ID],
        )?;
        transaction.execute(
            "INSERT INTO audit_batch (batch, first, last, digest, log_index) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![batch.batch as i64, batch.first as i64, batch.last as i64, batch.digest, index],
        )?;
        transaction.execute(
            "UPDATE audit_event SET batch = ?1 WHERE seq BETWEEN ?2 AND ?3",
            params![batch.batch as i64, batch.first as i64, batch.last as i64],
        )?;
        transaction.commit()?;
        Ok(index as u64)
    }

    /// Every audit batch, in order.
    pub fn audit_batches(&self) -> Result<Vec<AuditBatchRow>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT batch, first, last, digest, log_index FROM audit_batch ORDER BY batch")?;
        let rows = statement.query_map([], |row| {
            Ok(AuditBatchRow {
                batch: row.get::<_, i64>(0)? as u64,
                first: row.get::<_, i64>(1)? as u64,
                last: row.get::<_, i64>(2)? as u64,
                digest: row.get(3)?,
                log_index: row.get::<_, i64>(4)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

fn audit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: row.get::<_, i64>(0)? as u64,
        time: row.get(1)?,
        actor: row.get(2)?,
        role: row.get(3)?,
        action: row.get(4)?,
        target: row.get(5)?,
        client: row.get(6)?,
        batch: row.get::<_, Option<i64>>(7)?.map(|batch| batch as u64),
    })
}

/// Turns SQLite's primary-key and unique-constraint failures into
/// [`StoreError::Duplicate`] with the given message.
fn duplicate_key(error: rusqlite::Error, message: impl FnOnce() -> String) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, _) = &error
        && (failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
    {
        return StoreError::Duplicate(message());
    }
    StoreError::Sqlite(error)
}

fn duplicate_user_message(name: &str) -> String {
    format!("there is already a user named {name}; choose another name")
}

fn no_user_message(name: &str) -> String {
    format!("no user named {name}; `evident user list` shows who there is")
}

const DUPLICATE_CREDENTIAL_MESSAGE: &str = "a credential with this token hash already exists; make a fresh token";

const NO_CREDENTIAL_MESSAGE: &str = "no credential with this token hash";

/// Turns SQLite's unique-constraint failures on `item` into
/// [`StoreError::Duplicate`], the error every backend gives.
fn duplicate_item(error: rusqlite::Error, item: &ItemRecord) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &error
        && failure.code == rusqlite::ErrorCode::ConstraintViolation
    {
        if message.contains("item.sha256") {
            return StoreError::Duplicate(duplicate_sha256_message(item));
        }
        if message.contains("item.id") {
            return StoreError::Duplicate(duplicate_id_message(item));
        }
    }
    StoreError::Sqlite(error)
}

fn duplicate_sha256_message(item: &ItemRecord) -> String {
    format!(
        "item {} has SHA-256 {}, which another item in the archive already has; refer to that item instead",
        item.id, item.sha256
    )
}

fn duplicate_id_message(item: &ItemRecord) -> String {
    format!("item id {} is already in the archive; give the new item a fresh id", item.id)
}

impl MetadataStore for Store {
    fn put_sealed_items(&mut self, rows: &[SealedItemRow]) -> Result<(), StoreError> {
        Store::put_sealed_items(self, rows)
    }

    fn sealed_item(&self, id: &str) -> Result<Option<SealedItemRow>, StoreError> {
        Store::sealed_item(self, id)
    }

    fn sealed_item_ids(&self) -> Result<Vec<String>, StoreError> {
        Store::sealed_item_ids(self)
    }

    fn remove_sealed_item(&mut self, id: &str) -> Result<bool, StoreError> {
        Store::remove_sealed_item(self, id)
    }

    fn put_sealed_grant(&mut self, grant: &SealedGrantRow) -> Result<bool, StoreError> {
        Store::put_sealed_grant(self, grant)
    }

    fn remove_sealed_grant(&mut self, target_id: &str, user_name: &str) -> Result<bool, StoreError> {
        Store::remove_sealed_grant(self, target_id, user_name)
    }

    fn sealed_grants(&self, target_id: &str) -> Result<Vec<SealedGrantRow>, StoreError> {
        Store::sealed_grants(self, target_id)
    }

    fn has_sealed_grant(&self, target_id: &str, user_name: &str) -> Result<bool, StoreError> {
        Store::has_sealed_grant(self, target_id, user_name)
    }

    fn put_intake(&mut self, new_case: Option<&IntakeCaseRow>, items: &[IntakeItemRow]) -> Result<(), StoreError> {
        Store::put_intake(self, new_case, items)
    }

    fn intake_case_by_code_hash(&self, code_hash: &str) -> Result<Option<IntakeCaseRow>, StoreError> {
        Store::intake_case_by_code_hash(self, code_hash)
    }

    fn intake_case(&self, case_id: &str) -> Result<Option<IntakeCaseRow>, StoreError> {
        Store::intake_case(self, case_id)
    }

    fn intake_cases(&self) -> Result<Vec<IntakeCaseRow>, StoreError> {
        Store::intake_cases(self)
    }

    fn intake_items(&self, case_id: &str) -> Result<Vec<IntakeItemRow>, StoreError> {
        Store::intake_items(self, case_id)
    }

    fn intake_case_of_item(&self, item_id: &str) -> Result<Option<String>, StoreError> {
        Store::intake_case_of_item(self, item_id)
    }

    fn commit_item_derivation(&mut self, row: &ItemDerivationRow, entry: &[u8]) -> Result<u64, StoreError> {
        Store::commit_item_derivation(self, row, entry)
    }

    fn item_derivation(&self, id: &str) -> Result<Option<ItemDerivationRow>, StoreError> {
        Store::item_derivation(self, id)
    }

    fn item_derivations(&self, source: Option<&str>) -> Result<Vec<ItemDerivationRow>, StoreError> {
        Store::item_derivations(self, source)
    }

    fn log_size(&self) -> Result<u64, StoreError> {
        Store::log_size(self)
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        Store::entries(self, start, end)
    }

    fn item(&self, id: &str) -> Result<Option<ItemRecord>, StoreError> {
        Store::item(self, id)
    }

    fn item_by_sha256(&self, sha256: &str) -> Result<Option<ItemRecord>, StoreError> {
        Store::item_by_sha256(self, sha256)
    }

    fn items(&self) -> Result<Vec<ItemRecord>, StoreError> {
        Store::items(self)
    }

    fn item_count(&self) -> Result<u64, StoreError> {
        Store::item_count(self)
    }

    fn add_pending(&mut self, ids: &[String]) -> Result<(), StoreError> {
        Store::add_pending(self, ids)
    }

    fn pending(&self) -> Result<Vec<String>, StoreError> {
        Store::pending(self)
    }

    fn clear_pending(&mut self, id: &str) -> Result<(), StoreError> {
        Store::clear_pending(self, id)
    }

    fn commit_items(&mut self, items: &mut [ItemRecord], entries: &[Vec<u8>]) -> Result<Vec<u64>, StoreError> {
        Store::commit_items(self, items, entries)
    }

    fn append_log_entries(&mut self, entries: &[(String, Vec<u8>)]) -> Result<Vec<u64>, StoreError> {
        Store::append_log_entries(self, entries)
    }

    fn commit_record_versions(&mut self, versions: &mut [NewRecordVersion]) -> Result<Vec<u64>, StoreError> {
        Store::commit_record_versions(self, versions)
    }

    fn import_record_versions(
        &mut self,
        versions: &mut dyn Iterator<Item = Result<NewRecordVersion, String>>,
    ) -> Result<ImportOutcome, StoreError> {
        Store::import_record_versions(self, versions)
    }

    fn record(&self, id: &str) -> Result<Option<RecordRow>, StoreError> {
        Store::record(self, id)
    }

    fn record_history(&self, id: &str) -> Result<Vec<RecordVersionRow>, StoreError> {
        Store::record_history(self, id)
    }

    fn for_each_record(
        &self,
        kind: Option<&str>,
        visit: &mut dyn FnMut(RecordRow) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        Store::for_each_record(self, kind, visit)
    }

    fn for_each_record_version(
        &self,
        visit: &mut dyn FnMut(RecordVersionRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Store::for_each_record_version(self, visit)
    }

    fn references_to(&self, id: &str) -> Result<Vec<(String, String)>, StoreError> {
        Store::references_to(self, id)
    }

    fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        Store::record_checkpoint(self, size, note)
    }

    fn checkpoint(&self, size: u64) -> Result<Option<String>, StoreError> {
        Store::checkpoint(self, size)
    }

    fn entry_objects(&self, start: u64, end: u64) -> Result<Vec<String>, StoreError> {
        Store::entry_objects(self, start, end)
    }

    fn set_item_texts(&mut self, texts: &[ItemText]) -> Result<(), StoreError> {
        Store::set_item_texts(self, texts)
    }

    fn item_text(&self, id: &str) -> Result<Option<ItemText>, StoreError> {
        Store::item_text(self, id)
    }

    fn add_claim_candidates(&mut self, candidates: &[ClaimCandidate]) -> Result<Vec<ClaimCandidate>, StoreError> {
        Store::add_claim_candidates(self, candidates)
    }

    fn claim_candidates(&self, item: Option<&str>, status: Option<&str>) -> Result<Vec<ClaimCandidate>, StoreError> {
        Store::claim_candidates(self, item, status)
    }

    fn review_claim_candidate(&mut self, review: &CandidateReview) -> Result<(), StoreError> {
        Store::review_claim_candidate(self, review)
    }

    fn add_user(&mut self, user: &UserRow) -> Result<(), StoreError> {
        Store::add_user(self, user)
    }

    fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        Store::user(self, name)
    }

    fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        Store::users(self)
    }

    fn set_user(&mut self, user: &UserRow) -> Result<(), StoreError> {
        Store::set_user(self, user)
    }

    fn add_credential(&mut self, row: &CredentialRow) -> Result<(), StoreError> {
        Store::add_credential(self, row)
    }

    fn credential(&self, token_hash: &str) -> Result<Option<CredentialRow>, StoreError> {
        Store::credential(self, token_hash)
    }

    fn revoke_credentials(&mut self, user_name: &str, token_hash: Option<&str>) -> Result<u64, StoreError> {
        Store::revoke_credentials(self, user_name, token_hash)
    }

    fn touch_credential(&mut self, token_hash: &str, when: &str) -> Result<(), StoreError> {
        Store::touch_credential(self, token_hash, when)
    }

    fn add_audit_event(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        Store::add_audit_event(self, row)
    }

    fn audit_events(&self, from: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        Store::audit_events(self, from, limit)
    }

    fn uncommitted_audit_events(&self) -> Result<Vec<AuditRow>, StoreError> {
        Store::uncommitted_audit_events(self)
    }

    fn commit_audit_batch(&mut self, batch: &AuditBatchRow, entry: &[u8]) -> Result<u64, StoreError> {
        Store::commit_audit_batch(self, batch, entry)
    }

    fn audit_batches(&self) -> Result<Vec<AuditBatchRow>, StoreError> {
        Store::audit_batches(self)
    }

    fn forget_item(&mut self, row: &ForgottenItemRow, entry: &[u8]) -> Result<u64, StoreError> {
        Store::forget_item(self, row, entry)
    }

    fn forgotten_item(&self, id: &str) -> Result<Option<ForgottenItemRow>, StoreError> {
        Store::forgotten_item(self, id)
    }

    fn forgotten_items(&self) -> Result<Vec<ForgottenItemRow>, StoreError> {
        Store::forgotten_items(self)
    }

    fn wrapped_keys(&self) -> Result<Vec<WrappedKeyRow>, StoreError> {
        Store::wrapped_keys(self)
    }

    fn replace_wrapped_keys(&mut self, rows: &[WrappedKeyRow]) -> Result<(), StoreError> {
        Store::replace_wrapped_keys(self, rows)
    }

    fn put_sealed_record_keys(&mut self, rows: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        Store::put_sealed_record_keys(self, rows)
    }

    fn sealed_record_key(&self, record_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Store::sealed_record_key(self, record_id)
    }
}

fn derivation_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemDerivationRow> {
    Ok(ItemDerivationRow { item_id: row.get(0)?, source_id: row.get(1)?, log_index: row.get::<_, i64>(2)? as u64 })
}

const CANDIDATE_COLUMNS: &str = "id, item_id, kind, text, char_start, char_end, value, value_high, unit, period, sentence, status, claim_id, reviewed_by, reviewed_at, note, found_at";

fn candidate_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimCandidate> {
    Ok(ClaimCandidate {
        id: row.get(0)?,
        item_id: row.get(1)?,
        kind: row.get(2)?,
        text: row.get(3)?,
        char_start: row.get::<_, i64>(4)? as u64,
        char_end: row.get::<_, i64>(5)? as u64,
        value: row.get(6)?,
        value_high: row.get(7)?,
        unit: row.get(8)?,
        period: row.get(9)?,
        sentence: row.get(10)?,
        status: row.get(11)?,
        claim_id: row.get(12)?,
        reviewed_by: row.get(13)?,
        reviewed_at: row.get(14)?,
        note: row.get(15)?,
        found_at: row.get(16)?,
    })
}

const USER_COLUMNS: &str = "name, role, password_hash, created_at, disabled, totp_secret";

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        name: row.get(0)?,
        role: row.get(1)?,
        password_hash: row.get(2)?,
        created_at: row.get(3)?,
        disabled: row.get(4)?,
        totp_secret: row.get(5)?,
    })
}

const CREDENTIAL_COLUMNS: &str = "token_hash, user_name, kind, label, created_at, expires_at, revoked, last_used_at";

fn credential_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CredentialRow> {
    Ok(CredentialRow {
        token_hash: row.get(0)?,
        user_name: row.get(1)?,
        kind: row.get(2)?,
        label: row.get(3)?,
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
        revoked: row.get(6)?,
        last_used_at: row.get(7)?,
    })
}

const ITEM_COLUMNS: &str = "id, sha256, size, media_type, original_name, original_path, file_name, modified, added_by, added_at, provenance, inventory_digest, version, log_index";

const VERSION_COLUMNS: &str = "id, version, kind, change, fields, actor, time, reason, digest, log_index, retracted";

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: row.get(0)?,
        kind: row.get(1)?,
        version: row.get(2)?,
        fields: row.get(3)?,
        retracted: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

fn version_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RecordVersionRow> {
    Ok(RecordVersionRow {
        id: row.get(0)?,
        version: row.get(1)?,
        kind: row.get(2)?,
        change: row.get(3)?,
        fields: row.get(4)?,
        actor: row.get(5)?,
        time: row.get(6)?,
        reason: row.get(7)?,
        digest: row.get(8)?,
        log_index: row.get::<_, i64>(9)? as u64,
        retracted: row.get(10)?,
    })
}

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

    fn version(id: &str, version: u32, refs: &[&str]) -> NewRecordVersion {
        NewRecordVersion {
            row: RecordVersionRow {
                id: id.to_owned(),
                version,
                kind: "person".to_owned(),
                change: if version == 1 { "create" } else { "edit" }.to_owned(),
                fields: format!("{{\"v\":{version}}}"),
                actor: "tester".to_owned(),
                time: "2026-11-30T00:00:00Z".to_owned(),
                reason: "test".to_owned(),
                digest: "0".repeat(64),
                log_index: 0,
                retracted: false,
            },
            entry: format!("entry {id} {version}").into_bytes(),
            references: refs.iter().map(|to| ("to".to_owned(), (*to).to_owned())).collect(),
        }
    }

    #[test]
    fn a_version_1_database_is_migrated_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let connection = Connection::open(&path).unwrap();
            connection.execute_batch(SCHEMA).unwrap();
            connection.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')", []).unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        store.commit_record_versions(&mut [version("per_a", 1, &[])]).unwrap();
        // the tables of the latest migration (5, accounts) are there
        let user = UserRow {
            name: "alice".to_owned(),
            role: "admin".to_owned(),
            password_hash: "$argon2id$".to_owned(),
            created_at: "2026-11-30T00:00:00Z".to_owned(),
            disabled: false,
            totp_secret: None,
        };
        store.add_user(&user).unwrap();
        assert_eq!(store.users().unwrap(), [user]);
        drop(store);
        let connection = Connection::open(&path).unwrap();
        let found: String =
            connection.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).unwrap();
        assert_eq!(found, SCHEMA_VERSION.to_string());
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", []).unwrap();
        drop(connection);
        assert!(matches!(Store::open(&path), Err(StoreError::SchemaVersion { found: 99 })));
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

/// The peer for the import benchmark: the same rows inserted with plain
/// rusqlite, no validation, history or log.
pub mod bench {
    use std::io::BufRead;
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// Reads JSON Lines records (`id`, `kind` and fields) from `jsonl` and
    /// inserts them into a new database at `path` in one transaction.
    /// Returns the time taken, reading included.
    pub fn plain_insert(path: &Path, jsonl: &Path) -> Result<Duration, super::StoreError> {
        let started = Instant::now();
        let mut connection = rusqlite::Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(
            "CREATE TABLE record (id TEXT PRIMARY KEY, kind TEXT NOT NULL, fields TEXT NOT NULL) STRICT",
        )?;
        let transaction = connection.transaction()?;
        {
            let mut insert = transaction.prepare("INSERT INTO record (id, kind, fields) VALUES (?1, ?2, ?3)")?;
            let file = std::fs::File::open(jsonl).map_err(|e| super::StoreError::Aborted(e.to_string()))?;
            for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
                let line = line.map_err(|e| super::StoreError::Aborted(e.to_string()))?;
                let (id, kind) = (
                    line_field(&line, "\"id\":\"").unwrap_or_else(|| format!("row{n}")),
                    line_field(&line, "\"kind\":\"").unwrap_or_default(),
                );
                insert.execute(rusqlite::params![id, kind, line])?;
            }
        }
        transaction.commit()?;
        Ok(started.elapsed())
    }

    fn line_field(line: &str, key: &str) -> Option<String> {
        let start = line.find(key)? + key.len();
        let end = line[start..].find('"')? + start;
        Some(line[start..end].to_owned())
    }
}
