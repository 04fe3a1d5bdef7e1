//! The contract every metadata store keeps, as a trait.
//!
//! The archive's commit order (install objects, then commit their items
//! and log entries, then publish a checkpoint) is only correct if the store
//! behaves exactly as written here, so every backend is held to it by one
//! shared test suite (`crates/store/tests/contract.rs`). The SQLite
//! [`Store`](crate::Store) is the production backend; the
//! [`MemoryStore`](crate::MemoryStore) is for unit tests of code above the
//! store; a PostgreSQL backend will implement the same trait.

use crate::{
    AuditBatchRow, AuditRow, CandidateReview, ClaimCandidate, CredentialRow, ImportOutcome, ItemRecord, ItemText,
    NewRecordVersion, RecordRow, RecordVersionRow, SealedItemRow, StoreError, UserRow,
};

use crate::{IntakeCaseRow, IntakeItemRow, SealedGrantRow};

/// Items, log entries, records and the bookkeeping of the commit protocol.
///
/// # Durability
///
/// Every method that takes `&mut self` returns `Ok` only after its change is
/// durable: a crash or power loss after the return cannot lose it, and the
/// next process that opens the same store sees it. A write that returns
/// `Err` changed nothing (see atomicity), except that a backend error at
/// the commit itself may leave the write saved (see errors). Readers see
/// every write that returned `Ok` before them. (The in-memory backend is durable for the
/// lifetime of the value, which is all its users need.)
///
/// # Atomicity
///
/// Each write is one transaction: [`commit_items`](Self::commit_items),
/// [`append_log_entries`](Self::append_log_entries),
/// [`commit_record_versions`](Self::commit_record_versions),
/// [`import_record_versions`](Self::import_record_versions) and
/// [`add_pending`](Self::add_pending) apply their whole batch or nothing of
/// it; [`clear_pending`](Self::clear_pending) and
/// [`record_checkpoint`](Self::record_checkpoint) change one row. When a
/// batch fails, no log entry, item, record version, record, reference or
/// pending marker of it remains, the log size is what it was, and the next
/// write assigns the indexes the failed one would have. The caller's slices
/// are left as they were: `log_index` fields are set only on success.
///
/// # The log
///
/// Log entry indexes are assigned by the store, never by the caller. They
/// are dense: they start at 0, and each write's entries take the next
/// indexes in the order the caller listed them, with no gaps, whichever of
/// the three writers (`commit_items`, `append_log_entries`,
/// `commit_record_versions`/`import_record_versions`) made them. So
/// [`log_size`](Self::log_size) is both the number of entries and the next
/// index, and [`entries`](Self::entries) over `0..log_size()` always
/// succeeds. An empty batch assigns nothing and succeeds.
///
/// # Immutability
///
/// Log entries, items and record versions are written once and are never
/// updated or deleted. The only rows that change are:
/// - the current-record row ([`record`](Self::record)): it follows the
///   latest version of its record (version, fields, retracted, updated_at;
///   its kind is fixed by the first version), and with it the set of
///   references from that record, which is always that of the latest
///   version;
/// - pending markers, which are bookkeeping: added and removed, never
///   edited;
/// - checkpoint copies, keyed by tree size: recording a checkpoint for a
///   size already recorded replaces the note (a re-signed checkpoint of the
///   same tree);
/// - accounts (see below): a user's role, password hash and disabled flag,
///   and a credential's revoked flag and last use.
///
/// # Items
///
/// Item ids and item SHA-256 digests are both unique across the store. A
/// batch that repeats either, among itself or against an item already
/// stored, fails with [`StoreError::Duplicate`] and leaves nothing.
///
/// # Record versions: compare-and-swap
///
/// A record version is accepted only if its `version` is the record's
/// current version plus one, where a record that does not exist is at
/// version 0 (so a new record starts at 1). Versions in one batch are
/// applied in order, so a batch may create a record and edit it. Any other
/// version fails the whole batch with [`StoreError::Conflict`] naming the
/// record, the version the caller expected to replace (`version - 1`) and
/// the current one. This is what makes concurrent edits safe: two editors
/// who read version n cannot both write n + 1.
///
/// # References
///
/// Each record version lists the ids it refers to; they replace the
/// record's previous references. Every referenced id must be an item or a
/// record (of any kind, retracted or not) once the whole batch is applied:
/// references are checked at the end of the batch, so records in one batch
/// may refer to each other in any order (a relation before the people it
/// names). A reference that resolves to nothing fails the whole batch with
/// [`StoreError::NotFound`], whose message names the referring record, the
/// field and the missing id.
///
/// # Accounts
///
/// Users and their credentials (sessions and API tokens) are bookkeeping,
/// not evidence: writing them never adds a log entry. User names are unique
/// ([`StoreError::Duplicate`] for a second one), and so are credentials'
/// token hashes; every credential belongs to a user who exists
/// ([`StoreError::NotFound`] otherwise). Neither is ever deleted: a user is
/// disabled and a credential revoked, and revoking is one-way. The store
/// keeps what it is given and checks no roles, kinds, hashes or times; that
/// is the archive's job.
///
/// # Streaming
///
/// [`import_record_versions`](Self::import_record_versions) pulls versions
/// from its iterator one at a time inside one transaction, so an import of
/// any size needs no more memory than the backend's transaction; it stops
/// pulling at the first failure. [`for_each_record`](Self::for_each_record)
/// and [`for_each_record_version`](Self::for_each_record_version) hand rows
/// to the visitor one at a time, never collecting them first; an `Err`
/// from the visitor stops the walk and is returned as is.
///
/// # Errors
///
/// - [`StoreError::Conflict`]: a record version failed compare-and-swap.
/// - [`StoreError::NotFound`]: a record version refers to an id that is
///   neither an item nor a record; an account write names a user or
///   credential that does not exist.
/// - [`StoreError::Duplicate`]: an item id or SHA-256, a user name or a
///   credential's token hash is already taken.
/// - [`StoreError::Aborted`]: the import's iterator yielded an `Err`; the
///   message is the iterator's, unchanged.
/// - [`StoreError::Corrupted`]: the stored data breaks an invariant above
///   (for instance an entry inside `0..log_size()` is missing, or a range
///   reaches past the end of the log). Reported, never repaired.
/// - Backend errors ([`StoreError::Sqlite`] for the SQLite store): the
///   backend failed (I/O, locking, full disk). A write that fails this way
///   at its commit may or may not have been saved ("failed but saved" after
///   an fsync error), so callers treat it as fatal for the operation and
///   rely on recovery at the next start, never on a retry.
///
/// Reads of things that are absent are not errors: they return `None` or
/// an empty list.
pub trait MetadataStore: Send {
    /// The number of log entries, which is also the next index to assign.
    fn log_size(&self) -> Result<u64, StoreError>;

    /// Entries with indexes in `start..end`, in index order. An empty or
    /// inverted range gives no entries. Fails with
    /// [`StoreError::Corrupted`] if any index in the range is missing,
    /// including indexes at or past [`log_size`](Self::log_size): it never
    /// returns fewer entries than asked for.
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError>;

    /// The item with this id, if any.
    fn item(&self, id: &str) -> Result<Option<ItemRecord>, StoreError>;

    /// The item with this SHA-256 (lower-case hex), if any; at most one
    /// exists.
    fn item_by_sha256(&self, sha256: &str) -> Result<Option<ItemRecord>, StoreError>;

    /// Every item, in id order (ids sort by creation time).
    fn items(&self) -> Result<Vec<ItemRecord>, StoreError>;

    /// The number of items.
    fn item_count(&self) -> Result<u64, StoreError>;

    /// Marks objects as about to be installed in the storage root before
    /// their items are committed, so that recovery can remove them if the
    /// commit never happens. Marking an id that is already marked is not an
    /// error. Atomic and durable on return.
    fn add_pending(&mut self, ids: &[String]) -> Result<(), StoreError>;

    /// The ids marked pending, in id order, each once.
    fn pending(&self) -> Result<Vec<String>, StoreError>;

    /// Removes one pending marker (after recovery dealt with the object).
    /// Removing a marker that is not there is not an error. Durable on
    /// return.
    fn clear_pending(&mut self, id: &str) -> Result<(), StoreError>;

    /// Commits items with their log entries in one durable transaction:
    /// `items[i]` pairs with `entries[i]`, each entry gets the next index
    /// (recorded with the item's id as its object), the item's `log_index`
    /// is set from it, and the items' pending markers are removed. Returns
    /// the assigned indexes. A repeated id or SHA-256 fails the batch with
    /// [`StoreError::Duplicate`].
    ///
    /// # Panics
    ///
    /// If `items` and `entries` differ in length: that is a bug in the
    /// caller, not a property of the input.
    fn commit_items(&mut self, items: &mut [ItemRecord], entries: &[Vec<u8>]) -> Result<Vec<u64>, StoreError>;

    /// Appends log entries that record events other than new items (and
    /// synthetic entries in benchmarks), each as (object id, entry), in one
    /// durable transaction. Returns the assigned indexes.
    fn append_log_entries(&mut self, entries: &[(String, Vec<u8>)]) -> Result<Vec<u64>, StoreError>;

    /// Commits record versions with their log entries in one durable
    /// transaction, under compare-and-swap and with references checked at
    /// the end of the batch (see the trait's docs). Returns the assigned log
    /// indexes and sets each row's `log_index`. The `log_index` the caller
    /// put in a row is ignored.
    fn commit_record_versions(&mut self, versions: &mut [NewRecordVersion]) -> Result<Vec<u64>, StoreError>;

    /// The streaming form of
    /// [`commit_record_versions`](Self::commit_record_versions), for imports
    /// of any size: one transaction, versions applied as the iterator yields
    /// them, references checked once all are in. An `Err` from the iterator
    /// aborts the whole import with [`StoreError::Aborted`] carrying its
    /// message; the iterator is not pulled past the first failure of any
    /// kind. Returns where the import's entries start and how many there
    /// are (for an empty import, `first_index` is the log size).
    fn import_record_versions(
        &mut self,
        versions: &mut dyn Iterator<Item = Result<NewRecordVersion, String>>,
    ) -> Result<ImportOutcome, StoreError>;

    /// The current row of a record (its latest version), if it exists.
    fn record(&self, id: &str) -> Result<Option<RecordRow>, StoreError>;

    /// Every version of a record, oldest first, each with the log index it
    /// was committed at. Empty for an unknown id.
    fn record_history(&self, id: &str) -> Result<Vec<RecordVersionRow>, StoreError>;

    /// Calls `visit` with the current row of every record of a kind (or of
    /// all kinds when `kind` is `None`), in id order, one row at a time, so
    /// that exports stream. `visit` returns `Ok(false)` to stop; it is then
    /// not called again.
    fn for_each_record(
        &self,
        kind: Option<&str>,
        visit: &mut dyn FnMut(RecordRow) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError>;

    /// Calls `visit` with every record version, in log order (for `verify`).
    fn for_each_record_version(
        &self,
        visit: &mut dyn FnMut(RecordVersionRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Records that refer to `id` now (through their latest version), as
    /// (referring id, field path), ordered by referring id then field. A
    /// version that lists the same reference twice gives it twice.
    fn references_to(&self, id: &str) -> Result<Vec<(String, String)>, StoreError>;

    /// Keeps a copy of a signed checkpoint, keyed by tree size (for
    /// consistency proofs and witnesses later); a copy already kept for the
    /// same size is replaced. The checkpoint file in the log is
    /// authoritative. Durable on return.
    fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError>;

    /// The checkpoint copy kept for a tree size, if any.
    fn checkpoint(&self, size: u64) -> Result<Option<String>, StoreError>;

    /// The distinct object ids (item or record ids) of the entries in
    /// `start..end`, in order of their first entry in the range. Indexes
    /// past the end of the log are ignored. This is how derived state (the
    /// search index) learns what changed since it was last brought up to
    /// date.
    fn entry_objects(&self, start: u64, end: u64) -> Result<Vec<String>, StoreError>;

    /// Records extraction results in one durable transaction, each replacing
    /// any earlier result for its item. Fails with [`StoreError::NotFound`]
    /// (nothing written) if an item does not exist.
    fn set_item_texts(&mut self, texts: &[ItemText]) -> Result<(), StoreError>;

    /// The latest extraction result of an item, if extraction ran.
    fn item_text(&self, id: &str) -> Result<Option<ItemText>, StoreError>;

    /// Stores claim candidates in one durable transaction, each `pending`
    /// with the next id; a candidate already stored for the same item, kind
    /// and span is left as it is (its review included). Returns each
    /// candidate given as it stands in the store, in the order given. Fails
    /// with [`StoreError::NotFound`] (nothing written) for an unknown item.
    fn add_claim_candidates(&mut self, candidates: &[ClaimCandidate]) -> Result<Vec<ClaimCandidate>, StoreError>;

    /// Candidates in id order, of one item and/or one status if given.
    fn claim_candidates(&self, item: Option<&str>, status: Option<&str>) -> Result<Vec<ClaimCandidate>, StoreError>;

    /// Records the review of a `pending` candidate, durably. A candidate that
    /// does not exist or was already reviewed is refused with
    /// [`StoreError::NotFound`] and nothing changes: reviews are kept.
    fn review_claim_candidate(&mut self, review: &CandidateReview) -> Result<(), StoreError>;

    /// Adds a user, durably. A name already taken fails with
    /// [`StoreError::Duplicate`] and leaves the existing user as it was.
    fn add_user(&mut self, user: &UserRow) -> Result<(), StoreError>;

    /// The user with this name (compared exactly), if any.
    fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError>;

    /// Every user, in name order (byte order of the UTF-8 names).
    fn users(&self) -> Result<Vec<UserRow>, StoreError>;

    /// Replaces the role, password hash, disabled flag and TOTP secret of the user named
    /// `user.name`, durably; the stored `created_at` is kept whatever
    /// `user` holds. An unknown name fails with [`StoreError::NotFound`].
    fn set_user(&mut self, user: &UserRow) -> Result<(), StoreError>;

    /// Adds a credential, durably. Fails with [`StoreError::NotFound`] if
    /// its user does not exist and with [`StoreError::Duplicate`] if its
    /// token hash is already stored (for any user); either way nothing is
    /// written.
    fn add_credential(&mut self, row: &CredentialRow) -> Result<(), StoreError>;

    /// The credential with this token hash, if any (revoked and expired ones
    /// included: deciding whether it is still good is the caller's job).
    fn credential(&self, token_hash: &str) -> Result<Option<CredentialRow>, StoreError>;

    /// Revokes, durably, every credential of a user (`token_hash` `None`)
    /// or the one with `token_hash` if it is that user's (one of someone
    /// else's is left alone). Returns how many were newly revoked, so
    /// revoking again returns 0. An unknown user fails with
    /// [`StoreError::NotFound`].
    fn revoke_credentials(&mut self, user_name: &str, token_hash: Option<&str>) -> Result<u64, StoreError>;

    /// Sets when a credential was last used (RFC 3339), durably, whether or
    /// not it is revoked. An unknown hash fails with
    /// [`StoreError::NotFound`].
    fn touch_credential(&mut self, token_hash: &str, when: &str) -> Result<(), StoreError>;

    /// Adds an audit event (its `seq` and `batch` are ignored), durably;
    /// returns the sequence number it was given (1, 2, ... in order).
    fn add_audit_event(&mut self, row: &AuditRow) -> Result<u64, StoreError>;

    /// Audit events with `seq >= from`, oldest first, at most `limit`.
    fn audit_events(&self, from: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError>;

    /// Audit events that no batch has committed yet, oldest first.
    fn uncommitted_audit_events(&self) -> Result<Vec<AuditRow>, StoreError>;

    /// Commits the events `batch.first..=batch.last` (all must exist and be
    /// uncommitted, else [`StoreError::AuditConflict`] and nothing changes) with
    /// their `audit.batch` log entry, in one durable transaction. Returns
    /// the entry's log index (`batch.log_index` is ignored).
    fn commit_audit_batch(&mut self, batch: &AuditBatchRow, entry: &[u8]) -> Result<u64, StoreError>;

    /// Every committed audit batch, in order.
    fn audit_batches(&self) -> Result<Vec<AuditBatchRow>, StoreError>;

    /// Stores sealed items' keys in one durable transaction. They are
    /// written *before* their items commit (beside the pending markers), so
    /// a committed sealed item always has its keys; the keys of an item that
    /// never committed are removed by recovery. An item id that already has
    /// keys fails the whole batch with [`StoreError::Duplicate`].
    fn put_sealed_items(&mut self, rows: &[SealedItemRow]) -> Result<(), StoreError>;

    /// The keys of a sealed item; `None` for an item that is not sealed (or
    /// whose keys were destroyed).
    fn sealed_item(&self, id: &str) -> Result<Option<SealedItemRow>, StoreError>;

    /// The ids of every item with sealed keys, in id order.
    fn sealed_item_ids(&self) -> Result<Vec<String>, StoreError>;

    /// Removes an item's sealed keys durably, leaving no copy of them in the
    /// store's own files (crypto-shredding). Returns whether there were any.
    fn remove_sealed_item(&mut self, id: &str) -> Result<bool, StoreError>;

    /// Forgets a sealed item in one durable transaction: removes its sealed
    /// keys as [`remove_sealed_item`](Self::remove_sealed_item) does, records
    /// `row` (its `log_index` is ignored) and appends `entry` (the
    /// `item.forget` entry) at the next log index, which it returns. An item
    /// already forgotten fails with [`StoreError::Duplicate`]; an unknown item
    /// or one without sealed keys with [`StoreError::NotFound`]; either
    /// changes nothing.
    fn forget_item(&mut self, row: &crate::ForgottenItemRow, entry: &[u8]) -> Result<u64, StoreError>;

    /// The forgetting of an item, if it was forgotten.
    fn forgotten_item(&self, id: &str) -> Result<Option<crate::ForgottenItemRow>, StoreError>;

    /// Every forgotten item, in log order.
    fn forgotten_items(&self) -> Result<Vec<crate::ForgottenItemRow>, StoreError>;

    /// Every stored wrapped data key (sealed items', then sealed records'
    /// from `sealed_record_key`, each in id order), for a KEK rotation.
    fn wrapped_keys(&self) -> Result<Vec<crate::WrappedKeyRow>, StoreError>;

    /// Replaces stored wrapped keys in one durable transaction (a rotation's
    /// re-wrapped keys); a row that names no stored key fails the whole
    /// batch with [`StoreError::NotFound`].
    fn replace_wrapped_keys(&mut self, rows: &[crate::WrappedKeyRow]) -> Result<(), StoreError>;

    /// Stores records' wrapped data keys (record id, 88-byte wrapped key) in
    /// one durable transaction, each replacing the record's stored key if it
    /// has one. A record's key is written *before* the version that first
    /// seals one of its fields commits, so a committed sealed field always
    /// has its key; a key left by a change that never committed belongs to
    /// no version and is used again by the record's next change. The
    /// archive replaces a key only in that case (a record with sealed
    /// versions keeps its key; rotation goes through
    /// [`replace_wrapped_keys`](Self::replace_wrapped_keys)).
    fn put_sealed_record_keys(&mut self, rows: &[(String, Vec<u8>)]) -> Result<(), StoreError>;

    /// A record's wrapped data key; `None` for a record with no sealed field.
    fn sealed_record_key(&self, record_id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Records that `row.item_id` (a redacted copy) was derived from
    /// `row.source_id`, with its `item.derive` log entry (object id: the
    /// derivative), in one durable transaction; returns the entry's index
    /// (`row.log_index` is ignored). Both items must exist, else
    /// [`StoreError::NotFound`]; an item already recorded as a derivative
    /// fails with [`StoreError::Duplicate`]; either way nothing is written.
    fn commit_item_derivation(&mut self, row: &crate::ItemDerivationRow, entry: &[u8]) -> Result<u64, StoreError>;

    /// What an item was derived from, if it is a derivative.
    fn item_derivation(&self, id: &str) -> Result<Option<crate::ItemDerivationRow>, StoreError>;

    /// The derivatives of `source`, or every derivation when `None`, in log
    /// order.
    fn item_derivations(&self, source: Option<&str>) -> Result<Vec<crate::ItemDerivationRow>, StoreError>;

    /// Grants one person access to one sealed item or record, durably on
    /// return. Returns `false` (and changes nothing) if they had it already.
    fn put_sealed_grant(&mut self, grant: &SealedGrantRow) -> Result<bool, StoreError>;

    /// Removes one person's access to a target; returns whether there was any.
    fn remove_sealed_grant(&mut self, target_id: &str, user_name: &str) -> Result<bool, StoreError>;

    /// The grants on a target, by user name.
    fn sealed_grants(&self, target_id: &str) -> Result<Vec<SealedGrantRow>, StoreError>;

    /// Whether `user_name` holds a grant on `target_id`.
    fn has_sealed_grant(&self, target_id: &str, user_name: &str) -> Result<bool, StoreError>;

    /// Stores intake items in one durable transaction, creating `new_case`
    /// first if given. A new case whose id or code hash is taken is
    /// [`StoreError::Duplicate`]; an item of a case that does not exist is
    /// [`StoreError::NotFound`]; either way nothing is stored. An item
    /// already in its case is kept as it was.
    fn put_intake(&mut self, new_case: Option<&IntakeCaseRow>, items: &[IntakeItemRow]) -> Result<(), StoreError>;

    /// The case whose follow-up code has this SHA-256 (lowercase hex).
    fn intake_case_by_code_hash(&self, code_hash: &str) -> Result<Option<IntakeCaseRow>, StoreError>;

    /// One case, with its item count.
    fn intake_case(&self, case_id: &str) -> Result<Option<IntakeCaseRow>, StoreError>;

    /// Every case with its item count, newest first (then by id, descending).
    fn intake_cases(&self) -> Result<Vec<IntakeCaseRow>, StoreError>;

    /// A case's items, oldest first (then by item id).
    fn intake_items(&self, case_id: &str) -> Result<Vec<IntakeItemRow>, StoreError>;

    /// The case an item belongs to, if it came in through intake.
    fn intake_case_of_item(&self, item_id: &str) -> Result<Option<String>, StoreError>;
}
