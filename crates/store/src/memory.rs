//! An in-memory [`MetadataStore`], for unit tests of code above the store.
//!
//! It keeps the whole contract except surviving the process: the same
//! indexes, orders, errors and all-or-nothing batches as the SQLite store,
//! which the shared contract suite checks. Each write works on a copy of the
//! state and swaps it in only when the whole batch holds, which is the
//! simplest way to be obviously atomic; it costs a copy of the store per
//! write, which is fine at test sizes and the reason this is not a cache.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    AuditBatchRow, AuditRow, CandidateReview, ClaimCandidate, CredentialRow, ImportOutcome, ItemRecord, ItemText,
    MetadataStore, NewRecordVersion, RecordRow, RecordVersionRow, SealedItemRow, StoreError, UserRow,
};

use crate::{IntakeCaseRow, IntakeItemRow, SealedGrantRow};

/// A metadata store held in plain maps; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    state: State,
}

#[derive(Clone, Debug, Default)]
struct State {
    /// (object id, entry), indexed by log index
    log: Vec<(String, Vec<u8>)>,
    items: BTreeMap<String, ItemRecord>,
    /// SHA-256 → item id
    item_ids_by_sha256: BTreeMap<String, String>,
    pending: BTreeSet<String>,
    records: BTreeMap<String, RecordRow>,
    /// every record version, in log order
    versions: Vec<RecordVersionRow>,
    /// referring record id → its current references as (field, referenced id)
    references: BTreeMap<String, Vec<(String, String)>>,
    checkpoints: BTreeMap<u64, String>,
    item_texts: BTreeMap<String, ItemText>,
    candidates: Vec<ClaimCandidate>,
    users: BTreeMap<String, UserRow>,
    /// token hash → credential
    credentials: BTreeMap<String, CredentialRow>,
    /// audit events by sequence number (from 1)
    audit: Vec<AuditRow>,
    audit_batches: Vec<AuditBatchRow>,
    sealed: BTreeMap<String, SealedItemRow>,
    /// forgotten items by id
    forgotten: BTreeMap<String, crate::ForgottenItemRow>,
    /// (target, user) → grant
    grants: BTreeMap<(String, String), SealedGrantRow>,
    intake_cases: BTreeMap<String, IntakeCaseRow>,
    /// (case, item) → row
    intake_items: BTreeMap<(String, String), IntakeItemRow>,
    /// derivative id → its derivation
    derivations: BTreeMap<String, crate::ItemDerivationRow>,
    /// record id → its wrapped data key (`sealed_record_key`)
    record_keys: BTreeMap<String, Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Runs one write on a copy of the state and keeps the copy only if the
    /// write succeeded, so a failed batch leaves nothing.
    fn transaction<T>(&mut self, write: impl FnOnce(&mut State) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut staged = self.state.clone();
        let outcome = write(&mut staged)?;
        self.state = staged;
        Ok(outcome)
    }
}

impl State {
    /// An intake case with its item count.
    fn counted_case(&self, case: &IntakeCaseRow) -> IntakeCaseRow {
        let items = self.intake_items.values().filter(|item| item.case_id == case.case_id).count() as u64;
        IntakeCaseRow { items, ..case.clone() }
    }

    fn next_index(&self) -> u64 {
        self.log.len() as u64
    }

    /// Applies one record version under compare-and-swap; references are
    /// checked by the caller once the batch is in.
    fn apply_record_version(&mut self, version: NewRecordVersion) -> Result<u64, StoreError> {
        let NewRecordVersion { mut row, entry, references } = version;
        let current = self.records.get(&row.id).map_or(0, |record| record.version);
        if row.version != current + 1 {
            return Err(StoreError::Conflict { id: row.id, expected: row.version.saturating_sub(1), current });
        }
        let index = self.next_index();
        self.log.push((row.id.clone(), entry));
        row.log_index = index;
        let kind = match self.records.get(&row.id) {
            // The kind is fixed by a record's first version.
            Some(record) => record.kind.clone(),
            None => row.kind.clone(),
        };
        self.records.insert(
            row.id.clone(),
            RecordRow {
                id: row.id.clone(),
                kind,
                version: row.version,
                fields: row.fields.clone(),
                retracted: row.retracted,
                updated_at: row.time.clone(),
            },
        );
        self.references.insert(row.id.clone(), references);
        self.versions.push(row);
        Ok(index)
    }

    /// The first reference from one of `referrers` that resolves to nothing.
    fn check_references<'a>(&self, referrers: impl IntoIterator<Item = &'a String>) -> Result<(), StoreError> {
        for from in referrers {
            for (field, to) in self.references.get(from).into_iter().flatten() {
                if !self.records.contains_key(to) && !self.items.contains_key(to) {
                    return Err(StoreError::NotFound(format!(
                        "{from} field {field} refers to {to}, which is not in the archive"
                    )));
                }
            }
        }
        Ok(())
    }
}

impl MetadataStore for MemoryStore {
    fn log_size(&self) -> Result<u64, StoreError> {
        Ok(self.state.next_index())
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        if start >= end {
            return Ok(Vec::new());
        }
        let size = self.state.next_index();
        if end > size {
            return Err(StoreError::Corrupted {
                what: "log".to_owned(),
                detail: format!("entries {start}..{end} requested, the log has {size}"),
            });
        }
        Ok(self.state.log[start as usize..end as usize].iter().map(|(_, entry)| entry.clone()).collect())
    }

    fn item(&self, id: &str) -> Result<Option<ItemRecord>, StoreError> {
        Ok(self.state.items.get(id).cloned())
    }

    fn item_by_sha256(&self, sha256: &str) -> Result<Option<ItemRecord>, StoreError> {
        Ok(self.state.item_ids_by_sha256.get(sha256).and_then(|id| self.state.items.get(id)).cloned())
    }

    fn items(&self) -> Result<Vec<ItemRecord>, StoreError> {
        Ok(self.state.items.values().cloned().collect())
    }

    fn item_count(&self) -> Result<u64, StoreError> {
        Ok(self.state.items.len() as u64)
    }

    fn add_pending(&mut self, ids: &[String]) -> Result<(), StoreError> {
        self.state.pending.extend(ids.iter().cloned());
        Ok(())
    }

    fn pending(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.state.pending.iter().cloned().collect())
    }

    fn clear_pending(&mut self, id: &str) -> Result<(), StoreError> {
        self.state.pending.remove(id);
        Ok(())
    }

    fn commit_items(&mut self, items: &mut [ItemRecord], entries: &[Vec<u8>]) -> Result<Vec<u64>, StoreError> {
        assert_eq!(items.len(), entries.len(), "commit_items: one entry per item");
        let indexes = self.transaction(|state| {
            let mut indexes = Vec::with_capacity(items.len());
            for (item, entry) in items.iter().zip(entries) {
                if state.items.contains_key(&item.id) {
                    return Err(StoreError::Duplicate(crate::duplicate_id_message(item)));
                }
                if state.item_ids_by_sha256.contains_key(&item.sha256) {
                    return Err(StoreError::Duplicate(crate::duplicate_sha256_message(item)));
                }
                let index = state.next_index();
                state.log.push((item.id.clone(), entry.clone()));
                state.item_ids_by_sha256.insert(item.sha256.clone(), item.id.clone());
                state.items.insert(item.id.clone(), ItemRecord { log_index: index, ..item.clone() });
                state.pending.remove(&item.id);
                indexes.push(index);
            }
            Ok(indexes)
        })?;
        for (item, index) in items.iter_mut().zip(&indexes) {
            item.log_index = *index;
        }
        Ok(indexes)
    }

    fn append_log_entries(&mut self, entries: &[(String, Vec<u8>)]) -> Result<Vec<u64>, StoreError> {
        let first = self.state.next_index();
        self.state.log.extend(entries.iter().cloned());
        Ok((first..self.state.next_index()).collect())
    }

    fn commit_record_versions(&mut self, versions: &mut [NewRecordVersion]) -> Result<Vec<u64>, StoreError> {
        let mut rows = versions.iter().cloned().map(Ok);
        let first = self.import_record_versions(&mut rows)?.first_index;
        for (offset, version) in versions.iter_mut().enumerate() {
            version.row.log_index = first + offset as u64;
        }
        Ok((first..first + versions.len() as u64).collect())
    }

    fn import_record_versions(
        &mut self,
        versions: &mut dyn Iterator<Item = Result<NewRecordVersion, String>>,
    ) -> Result<ImportOutcome, StoreError> {
        self.transaction(|state| {
            let first = state.next_index();
            let mut touched = BTreeSet::new();
            for version in versions {
                let version = version.map_err(StoreError::Aborted)?;
                touched.insert(version.row.id.clone());
                state.apply_record_version(version)?;
            }
            // References are checked once the whole batch is in, so records
            // in one import may refer to each other in any order.
            state.check_references(&touched)?;
            Ok(ImportOutcome { first_index: first, count: state.next_index() - first })
        })
    }

    fn record(&self, id: &str) -> Result<Option<RecordRow>, StoreError> {
        Ok(self.state.records.get(id).cloned())
    }

    fn record_history(&self, id: &str) -> Result<Vec<RecordVersionRow>, StoreError> {
        // Versions of one record are committed in version order, so log
        // order is version order.
        Ok(self.state.versions.iter().filter(|row| row.id == id).cloned().collect())
    }

    fn for_each_record(
        &self,
        kind: Option<&str>,
        visit: &mut dyn FnMut(RecordRow) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        for record in self.state.records.values() {
            if kind.is_some_and(|kind| record.kind != kind) {
                continue;
            }
            if !visit(record.clone())? {
                break;
            }
        }
        Ok(())
    }

    fn for_each_record_version(
        &self,
        visit: &mut dyn FnMut(RecordVersionRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for row in &self.state.versions {
            visit(row.clone())?;
        }
        Ok(())
    }

    fn references_to(&self, id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut referrers: Vec<(String, String)> = self
            .state
            .references
            .iter()
            .flat_map(|(from, references)| {
                references.iter().filter(|(_, to)| to == id).map(move |(field, _)| (from.clone(), field.clone()))
            })
            .collect();
        referrers.sort();
        Ok(referrers)
    }

    fn record_checkpoint(&mut self, size: u64, note: &str) -> Result<(), StoreError> {
        self.state.checkpoints.insert(size, note.to_owned());
        Ok(())
    }

    fn checkpoint(&self, size: u64) -> Result<Option<String>, StoreError> {
        Ok(self.state.checkpoints.get(&size).cloned())
    }

    fn entry_objects(&self, start: u64, end: u64) -> Result<Vec<String>, StoreError> {
        let end = end.min(self.state.log.len() as u64);
        let mut objects: Vec<String> = Vec::new();
        for index in start..end {
            let object = &self.state.log[index as usize].0;
            if !objects.contains(object) {
                objects.push(object.clone());
            }
        }
        Ok(objects)
    }

    fn set_item_texts(&mut self, texts: &[ItemText]) -> Result<(), StoreError> {
        self.transaction(|state| {
            for text in texts {
                if !state.items.contains_key(&text.item_id) {
                    return Err(StoreError::NotFound(format!("no item {} to record extracted text for", text.item_id)));
                }
                state.item_texts.insert(text.item_id.clone(), text.clone());
            }
            Ok(())
        })
    }

    fn item_text(&self, id: &str) -> Result<Option<ItemText>, StoreError> {
        Ok(self.state.item_texts.get(id).cloned())
    }

    fn put_sealed_items(&mut self, rows: &[SealedItemRow]) -> Result<(), StoreError> {
        self.transaction(|state| {
            for row in rows {
                if state.sealed.contains_key(&row.item_id) {
                    return Err(StoreError::Duplicate(format!("sealed item {} already has keys", row.item_id)));
                }
                state.sealed.insert(row.item_id.clone(), row.clone());
            }
            Ok(())
        })
    }

    fn sealed_item(&self, id: &str) -> Result<Option<SealedItemRow>, StoreError> {
        Ok(self.state.sealed.get(id).cloned())
    }

    fn sealed_item_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.state.sealed.keys().cloned().collect())
    }

    fn remove_sealed_item(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self.state.sealed.remove(id).is_some())
    }

    fn forget_item(&mut self, row: &crate::ForgottenItemRow, entry: &[u8]) -> Result<u64, StoreError> {
        self.transaction(|state| {
            if let Some(done) = state.forgotten.get(&row.item_id) {
                return Err(StoreError::Duplicate(format!(
                    "item {} was already forgotten on {}",
                    row.item_id, done.forgotten_at
                )));
            }
            if !state.items.contains_key(&row.item_id) {
                return Err(StoreError::NotFound(format!("no item {} to forget", row.item_id)));
            }
            if state.sealed.remove(&row.item_id).is_none() {
                return Err(StoreError::NotFound(format!("item {} has no sealed keys to destroy", row.item_id)));
            }
            let index = state.next_index();
            state.log.push((row.item_id.clone(), entry.to_vec()));
            state.forgotten.insert(row.item_id.clone(), crate::ForgottenItemRow { log_index: index, ..row.clone() });
            Ok(index)
        })
    }

    fn forgotten_item(&self, id: &str) -> Result<Option<crate::ForgottenItemRow>, StoreError> {
        Ok(self.state.forgotten.get(id).cloned())
    }

    fn forgotten_items(&self) -> Result<Vec<crate::ForgottenItemRow>, StoreError> {
        let mut rows: Vec<_> = self.state.forgotten.values().cloned().collect();
        rows.sort_by_key(|row| row.log_index);
        Ok(rows)
    }

    /// Sealed items' keys only: this store does not keep sealed records' keys yet.
    fn wrapped_keys(&self) -> Result<Vec<crate::WrappedKeyRow>, StoreError> {
        Ok(self
            .state
            .sealed
            .values()
            .map(|row| crate::WrappedKeyRow {
                owner: crate::WrappedKeyOwner::Item,
                id: row.item_id.clone(),
                wrapped_key: row.wrapped_key.clone(),
            })
            .chain(self.state.record_keys.iter().map(|(id, wrapped_key)| crate::WrappedKeyRow {
                owner: crate::WrappedKeyOwner::Record,
                id: id.clone(),
                wrapped_key: wrapped_key.clone(),
            }))
            .collect())
    }

    fn put_sealed_record_keys(&mut self, rows: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.transaction(|state| {
            for (id, wrapped_key) in rows {
                state.record_keys.insert(id.clone(), wrapped_key.clone());
            }
            Ok(())
        })
    }

    fn sealed_record_key(&self, record_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.state.record_keys.get(record_id).cloned())
    }

    fn replace_wrapped_keys(&mut self, rows: &[crate::WrappedKeyRow]) -> Result<(), StoreError> {
        self.transaction(|state| {
            for row in rows {
                let stored = match row.owner {
                    crate::WrappedKeyOwner::Item => state.sealed.get_mut(&row.id),
                    crate::WrappedKeyOwner::Record => {
                        let Some(stored) = state.record_keys.get_mut(&row.id) else {
                            return Err(StoreError::NotFound(format!(
                                "no sealed record {} to re-wrap the key of",
                                row.id
                            )));
                        };
                        *stored = row.wrapped_key.clone();
                        continue;
                    }
                };
                let Some(stored) = stored else {
                    return Err(StoreError::NotFound(format!("no sealed object {} to re-wrap the key of", row.id)));
                };
                stored.wrapped_key = row.wrapped_key.clone();
            }
            Ok(())
        })
    }

    fn put_sealed_grant(&mut self, grant: &SealedGrantRow) -> Result<bool, StoreError> {
        let key = (grant.target_id.clone(), grant.user_name.clone());
        if self.state.grants.contains_key(&key) {
            return Ok(false);
        }
        self.state.grants.insert(key, grant.clone());
        Ok(true)
    }

    fn remove_sealed_grant(&mut self, target_id: &str, user_name: &str) -> Result<bool, StoreError> {
        Ok(self.state.grants.remove(&(target_id.to_owned(), user_name.to_owned())).is_some())
    }

    fn sealed_grants(&self, target_id: &str) -> Result<Vec<SealedGrantRow>, StoreError> {
        Ok(self.state.grants.values().filter(|grant| grant.target_id == target_id).cloned().collect())
    }

    fn has_sealed_grant(&self, target_id: &str, user_name: &str) -> Result<bool, StoreError> {
        Ok(self.state.grants.contains_key(&(target_id.to_owned(), user_name.to_owned())))
    }

    fn put_intake(&mut self, new_case: Option<&IntakeCaseRow>, items: &[IntakeItemRow]) -> Result<(), StoreError> {
        self.transaction(|state| {
            if let Some(case) = new_case {
                if state.intake_cases.contains_key(&case.case_id)
                    || state.intake_cases.values().any(|c| c.code_hash == case.code_hash)
                {
                    return Err(StoreError::Duplicate(format!(
                        "intake case {} or its code already exists",
                        case.case_id
                    )));
                }
                state.intake_cases.insert(case.case_id.clone(), IntakeCaseRow { items: 0, ..case.clone() });
            }
            for item in items {
                if !state.intake_cases.contains_key(&item.case_id) {
                    return Err(StoreError::NotFound(format!("no intake case {}", item.case_id)));
                }
                state.intake_items.entry((item.case_id.clone(), item.item_id.clone())).or_insert_with(|| item.clone());
            }
            Ok(())
        })
    }

    fn intake_case_by_code_hash(&self, code_hash: &str) -> Result<Option<IntakeCaseRow>, StoreError> {
        let found = self.state.intake_cases.values().find(|case| case.code_hash == code_hash);
        Ok(found.map(|case| self.state.counted_case(case)))
    }

    fn intake_case(&self, case_id: &str) -> Result<Option<IntakeCaseRow>, StoreError> {
        Ok(self.state.intake_cases.get(case_id).map(|case| self.state.counted_case(case)))
    }

    fn intake_cases(&self) -> Result<Vec<IntakeCaseRow>, StoreError> {
        let mut cases: Vec<IntakeCaseRow> =
            self.state.intake_cases.values().map(|case| self.state.counted_case(case)).collect();
        cases.sort_by(|a, b| (&b.created_at, &b.case_id).cmp(&(&a.created_at, &a.case_id)));
        Ok(cases)
    }

    fn intake_items(&self, case_id: &str) -> Result<Vec<IntakeItemRow>, StoreError> {
        let mut items: Vec<IntakeItemRow> =
            self.state.intake_items.values().filter(|item| item.case_id == case_id).cloned().collect();
        items.sort_by(|a, b| (&a.added_at, &a.item_id).cmp(&(&b.added_at, &b.item_id)));
        Ok(items)
    }

    fn intake_case_of_item(&self, item_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.state.intake_items.values().find(|item| item.item_id == item_id).map(|item| item.case_id.clone()))
    }

    fn commit_item_derivation(&mut self, row: &crate::ItemDerivationRow, entry: &[u8]) -> Result<u64, StoreError> {
        self.transaction(|state| {
            for id in [&row.item_id, &row.source_id] {
                if !state.items.contains_key(id) {
                    return Err(StoreError::NotFound(format!("no item {id} for a derivation")));
                }
            }
            if state.derivations.contains_key(&row.item_id) {
                return Err(StoreError::Duplicate(format!("{} is already recorded as a derivative", row.item_id)));
            }
            let index = state.next_index();
            state.log.push((row.item_id.clone(), entry.to_vec()));
            state.derivations.insert(row.item_id.clone(), crate::ItemDerivationRow { log_index: index, ..row.clone() });
            Ok(index)
        })
    }

    fn item_derivation(&self, id: &str) -> Result<Option<crate::ItemDerivationRow>, StoreError> {
        Ok(self.state.derivations.get(id).cloned())
    }

    fn item_derivations(&self, source: Option<&str>) -> Result<Vec<crate::ItemDerivationRow>, StoreError> {
        let mut rows: Vec<_> = self
            .state
            .derivations
            .values()
            .filter(|row| source.is_none_or(|source| row.source_id == source))
            .cloned()
            .collect();
        rows.sort_by_key(|row| row.log_index);
        Ok(rows)
    }

    fn add_claim_candidates(&mut self, candidates: &[ClaimCandidate]) -> Result<Vec<ClaimCandidate>, StoreError> {
        self.transaction(|state| {
            let mut stored = Vec::with_capacity(candidates.len());
            for candidate in candidates {
                if !state.items.contains_key(&candidate.item_id) {
                    return Err(StoreError::NotFound(format!("no item {} for a claim candidate", candidate.item_id)));
                }
                let same = |c: &&ClaimCandidate| {
                    c.item_id == candidate.item_id
                        && c.kind == candidate.kind
                        && c.char_start == candidate.char_start
                        && c.char_end == candidate.char_end
                };
                if let Some(existing) = state.candidates.iter().find(same) {
                    stored.push(existing.clone());
                    continue;
                }
                let fresh = ClaimCandidate {
                    id: state.candidates.len() as i64 + 1,
                    status: "pending".to_owned(),
                    claim_id: None,
                    reviewed_by: None,
                    reviewed_at: None,
                    note: None,
                    ..candidate.clone()
                };
                state.candidates.push(fresh.clone());
                stored.push(fresh);
            }
            Ok(stored)
        })
    }

    fn claim_candidates(&self, item: Option<&str>, status: Option<&str>) -> Result<Vec<ClaimCandidate>, StoreError> {
        Ok(self
            .state
            .candidates
            .iter()
            .filter(|c| item.is_none_or(|item| c.item_id == item) && status.is_none_or(|status| c.status == status))
            .cloned()
            .collect())
    }

    fn review_claim_candidate(&mut self, review: &CandidateReview) -> Result<(), StoreError> {
        self.transaction(|state| {
            let Some(candidate) = state.candidates.iter_mut().find(|c| c.id == review.id) else {
                return Err(StoreError::NotFound(format!("no claim candidate #{}", review.id)));
            };
            if candidate.status != "pending" {
                return Err(StoreError::NotFound(format!(
                    "claim candidate #{} is already {}; reviews are kept, not changed",
                    review.id, candidate.status
                )));
            }
            candidate.status = review.status.clone();
            candidate.claim_id = review.claim_id.clone();
            candidate.reviewed_by = Some(review.reviewed_by.clone());
            candidate.reviewed_at = Some(review.reviewed_at.clone());
            candidate.note = review.note.clone();
            Ok(())
        })
    }

    fn add_user(&mut self, user: &UserRow) -> Result<(), StoreError> {
        if self.state.users.contains_key(&user.name) {
            return Err(StoreError::Duplicate(crate::duplicate_user_message(&user.name)));
        }
        self.state.users.insert(user.name.clone(), user.clone());
        Ok(())
    }

    fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self.state.users.get(name).cloned())
    }

    fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        Ok(self.state.users.values().cloned().collect())
    }

    fn set_user(&mut self, user: &UserRow) -> Result<(), StoreError> {
        let Some(stored) = self.state.users.get_mut(&user.name) else {
            return Err(StoreError::NotFound(crate::no_user_message(&user.name)));
        };
        stored.role = user.role.clone();
        stored.password_hash = user.password_hash.clone();
        stored.disabled = user.disabled;
        stored.totp_secret = user.totp_secret.clone();
        Ok(())
    }

    fn add_credential(&mut self, row: &CredentialRow) -> Result<(), StoreError> {
        if !self.state.users.contains_key(&row.user_name) {
            return Err(StoreError::NotFound(crate::no_user_message(&row.user_name)));
        }
        if self.state.credentials.contains_key(&row.token_hash) {
            return Err(StoreError::Duplicate(crate::DUPLICATE_CREDENTIAL_MESSAGE.to_owned()));
        }
        self.state.credentials.insert(row.token_hash.clone(), row.clone());
        Ok(())
    }

    fn credential(&self, token_hash: &str) -> Result<Option<CredentialRow>, StoreError> {
        Ok(self.state.credentials.get(token_hash).cloned())
    }

    fn revoke_credentials(&mut self, user_name: &str, token_hash: Option<&str>) -> Result<u64, StoreError> {
        if !self.state.users.contains_key(user_name) {
            return Err(StoreError::NotFound(crate::no_user_message(user_name)));
        }
        let mut revoked = 0;
        for credential in self.state.credentials.values_mut() {
            if credential.user_name == user_name
                && !credential.revoked
                && token_hash.is_none_or(|hash| credential.token_hash == hash)
            {
                credential.revoked = true;
                revoked += 1;
            }
        }
        Ok(revoked)
    }

    fn touch_credential(&mut self, token_hash: &str, when: &str) -> Result<(), StoreError> {
        let Some(credential) = self.state.credentials.get_mut(token_hash) else {
            return Err(StoreError::NotFound(crate::NO_CREDENTIAL_MESSAGE.to_owned()));
        };
        credential.last_used_at = Some(when.to_owned());
        Ok(())
    }

    fn add_audit_event(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        let seq = self.state.audit.len() as u64 + 1;
        self.state.audit.push(AuditRow { seq, batch: None, ..row.clone() });
        Ok(seq)
    }

    fn audit_events(&self, from: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        Ok(self.state.audit.iter().filter(|row| row.seq >= from).take(limit).cloned().collect())
    }

    fn uncommitted_audit_events(&self) -> Result<Vec<AuditRow>, StoreError> {
        Ok(self.state.audit.iter().filter(|row| row.batch.is_none()).cloned().collect())
    }

    fn commit_audit_batch(&mut self, batch: &AuditBatchRow, entry: &[u8]) -> Result<u64, StoreError> {
        self.transaction(|state| {
            let waiting = state
                .audit
                .iter()
                .filter(|row| (batch.first..=batch.last).contains(&row.seq) && row.batch.is_none())
                .count() as u64;
            if batch.first == 0 || batch.last < batch.first || waiting != batch.last - batch.first + 1 {
                return Err(StoreError::AuditConflict(format!(
                    "audit events {}..={} are not all waiting for a batch",
                    batch.first, batch.last
                )));
            }
            let index = state.next_index();
            state.log.push((evident_core::AUDIT_ID.to_owned(), entry.to_vec()));
            state.audit_batches.push(AuditBatchRow { log_index: index, ..batch.clone() });
            for row in &mut state.audit {
                if (batch.first..=batch.last).contains(&row.seq) {
                    row.batch = Some(batch.batch);
                }
            }
            Ok(index)
        })
    }

    fn audit_batches(&self) -> Result<Vec<AuditBatchRow>, StoreError> {
        Ok(self.state.audit_batches.clone())
    }
}
