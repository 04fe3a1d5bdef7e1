//! The one contract suite every [`MetadataStore`] passes.
//!
//! Each case is a plain function over a [`Harness`]; the macro at the bottom
//! runs every case against every backend (SQLite in memory, SQLite on disk,
//! the in-memory store), so a new backend is one more line there. Cases call
//! [`Harness::reopen`] wherever a write must be durable: for the on-disk
//! backend that closes the database and opens it again, for the others it
//! does nothing.

use std::collections::BTreeSet;
use std::path::PathBuf;

use evident_store::{
    AuditBatchRow, AuditRow, CandidateReview, ClaimCandidate, CredentialRow, ImportOutcome, ItemRecord, ItemText,
    MemoryStore, MetadataStore, NewRecordVersion, RecordRow, RecordVersionRow, SealedItemRow, Store, StoreError,
    UserRow,
};

struct Harness {
    store: Box<dyn MetadataStore>,
    /// for the on-disk backend: the directory (kept alive) and the file
    disk: Option<(tempfile::TempDir, PathBuf)>,
}

impl Harness {
    fn sqlite_in_memory() -> Harness {
        Harness { store: Box::new(Store::open_in_memory().unwrap()), disk: None }
    }

    fn sqlite_on_disk() -> Harness {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("evident.db");
        let store = Store::create(&path).unwrap();
        Harness { store: Box::new(store), disk: Some((directory, path)) }
    }

    fn memory() -> Harness {
        Harness { store: Box::new(MemoryStore::new()), disk: None }
    }

    fn store(&mut self) -> &mut dyn MetadataStore {
        self.store.as_mut()
    }

    /// Closes and reopens an on-disk store, so that what follows reads only
    /// what was made durable.
    fn reopen(&mut self) {
        if let Some((_, path)) = &self.disk {
            // Close the database before opening it again: assigning the
            // reopened store directly would open it while the old
            // connection is still live.
            self.store = Box::new(MemoryStore::new());
            self.store = Box::new(Store::open(path).unwrap());
        }
    }
}

// ----- building blocks -----

fn item(id: &str, sha256: char) -> ItemRecord {
    ItemRecord {
        id: id.to_owned(),
        sha256: sha256.to_string().repeat(64),
        size: 3,
        media_type: "text/plain".to_owned(),
        original_name: format!("{id}.txt"),
        original_path: format!("dir/{id}.txt"),
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

fn item_entry(id: &str) -> Vec<u8> {
    format!("item entry {id}").into_bytes()
}

fn commit_items(store: &mut dyn MetadataStore, items: &mut [ItemRecord]) -> Result<Vec<u64>, StoreError> {
    let entries: Vec<Vec<u8>> = items.iter().map(|item| item_entry(&item.id)).collect();
    store.commit_items(items, &entries)
}

/// A version of a record whose kind is named by its id's prefix
/// (`per_…` a person, `pla_…` a place, `rel_…` a relation).
fn version(id: &str, version: u32, references: &[&str]) -> NewRecordVersion {
    let kind = match &id[..3] {
        "per" => "person",
        "pla" => "place",
        _ => "relation",
    };
    NewRecordVersion {
        row: RecordVersionRow {
            id: id.to_owned(),
            version,
            kind: kind.to_owned(),
            change: if version == 1 { "create" } else { "edit" }.to_owned(),
            fields: format!("{{\"v\":{version}}}"),
            actor: "tester".to_owned(),
            time: format!("2026-11-30T00:00:{version:02}Z"),
            reason: format!("test {version}"),
            digest: format!("{version}").repeat(64),
            log_index: 0,
            retracted: false,
        },
        entry: version_entry(id, version),
        references: references.iter().map(|to| ("to".to_owned(), (*to).to_owned())).collect(),
    }
}

fn version_entry(id: &str, version: u32) -> Vec<u8> {
    format!("record entry {id} {version}").into_bytes()
}

fn commit(store: &mut dyn MetadataStore, versions: &[NewRecordVersion]) -> Result<Vec<u64>, StoreError> {
    store.commit_record_versions(&mut versions.to_vec())
}

fn record_ids(store: &dyn MetadataStore, kind: Option<&str>) -> Vec<String> {
    let mut ids = Vec::new();
    store
        .for_each_record(kind, &mut |row| {
            ids.push(row.id);
            Ok(true)
        })
        .unwrap();
    ids
}

/// Everything a store holds that the trait can read back, for comparing a
/// store before and after a failed write or a reopen.
#[derive(Debug, PartialEq)]
struct Snapshot {
    entries: Vec<Vec<u8>>,
    items: Vec<ItemRecord>,
    pending: Vec<String>,
    records: Vec<RecordRow>,
    versions: Vec<RecordVersionRow>,
    references: Vec<(String, Vec<(String, String)>)>,
    checkpoints: Vec<(u64, Option<String>)>,
    users: Vec<UserRow>,
}

fn snapshot(store: &dyn MetadataStore) -> Snapshot {
    let size = store.log_size().unwrap();
    let items = store.items().unwrap();
    assert_eq!(store.item_count().unwrap(), items.len() as u64);
    let mut records = Vec::new();
    store
        .for_each_record(None, &mut |row| {
            records.push(row);
            Ok(true)
        })
        .unwrap();
    let mut versions = Vec::new();
    store
        .for_each_record_version(&mut |row| {
            versions.push(row);
            Ok(())
        })
        .unwrap();
    // Every id a reference could point at, including ones the tests use
    // as missing targets.
    let mut ids: BTreeSet<String> = records.iter().map(|r| r.id.clone()).collect();
    ids.extend(items.iter().map(|i| i.id.clone()));
    ids.extend(["per_nobody", "per_later", "per_b"].map(str::to_owned));
    Snapshot {
        entries: store.entries(0, size).unwrap(),
        items,
        pending: store.pending().unwrap(),
        records,
        versions,
        references: ids.into_iter().map(|id| (id.clone(), store.references_to(&id).unwrap())).collect(),
        checkpoints: (0..=size + 1).map(|size| (size, store.checkpoint(size).unwrap())).collect(),
        users: store.users().unwrap(),
    }
}

// ----- the cases -----

fn a_new_store_is_empty(h: &mut Harness) {
    let store = h.store();
    assert_eq!(store.log_size().unwrap(), 0);
    assert_eq!(store.entries(0, 0).unwrap(), Vec::<Vec<u8>>::new());
    assert_eq!(store.item_count().unwrap(), 0);
    assert!(store.items().unwrap().is_empty());
    assert!(store.item("a").unwrap().is_none());
    assert!(store.item_by_sha256(&"a".repeat(64)).unwrap().is_none());
    assert!(store.pending().unwrap().is_empty());
    assert!(store.record("per_a").unwrap().is_none());
    assert!(store.record_history("per_a").unwrap().is_empty());
    assert!(store.references_to("per_a").unwrap().is_empty());
    assert!(record_ids(store, None).is_empty());
    assert!(store.checkpoint(0).unwrap().is_none());
    assert!(store.users().unwrap().is_empty());
    assert!(store.user("alice").unwrap().is_none());
    assert!(store.credential(&"a".repeat(64)).unwrap().is_none());
}

fn indexes_are_dense_across_every_writer(h: &mut Harness) {
    let store = h.store();
    let mut items = vec![item("itm_b", 'b'), item("itm_a", 'a')];
    assert_eq!(commit_items(store, &mut items).unwrap(), vec![0, 1]);
    assert_eq!((items[0].log_index, items[1].log_index), (0, 1));
    let appended = vec![("evt_1".to_owned(), b"event 1".to_vec()), ("evt_2".to_owned(), b"event 2".to_vec())];
    assert_eq!(store.append_log_entries(&appended).unwrap(), vec![2, 3]);
    let mut versions = vec![version("per_a", 1, &[]), version("per_a", 2, &[]), version("pla_x", 1, &["itm_a"])];
    versions[2].row.log_index = 99; // ignored: the store assigns indexes
    assert_eq!(store.commit_record_versions(&mut versions).unwrap(), vec![4, 5, 6]);
    assert_eq!(versions.iter().map(|v| v.row.log_index).collect::<Vec<_>>(), vec![4, 5, 6]);
    let outcome = store.import_record_versions(&mut [Ok(version("per_b", 1, &[]))].into_iter()).unwrap();
    assert_eq!(outcome, ImportOutcome { first_index: 7, count: 1 });

    // empty batches assign nothing
    assert!(store.commit_items(&mut [], &[]).unwrap().is_empty());
    assert!(store.append_log_entries(&[]).unwrap().is_empty());
    assert!(store.commit_record_versions(&mut []).unwrap().is_empty());
    let empty = store.import_record_versions(&mut std::iter::empty()).unwrap();
    assert_eq!(empty, ImportOutcome { first_index: 8, count: 0 });

    h.reopen();
    let store = h.store();
    assert_eq!(store.log_size().unwrap(), 8);
    let expected: Vec<Vec<u8>> = vec![
        item_entry("itm_b"),
        item_entry("itm_a"),
        b"event 1".to_vec(),
        b"event 2".to_vec(),
        version_entry("per_a", 1),
        version_entry("per_a", 2),
        version_entry("pla_x", 1),
        version_entry("per_b", 1),
    ];
    assert_eq!(store.entries(0, 8).unwrap(), expected);
    assert_eq!(store.entries(3, 6).unwrap(), expected[3..6].to_vec());
    assert_eq!(store.item("itm_b").unwrap().unwrap().log_index, 0);
    assert_eq!(store.item("itm_a").unwrap().unwrap().log_index, 1);
    let history = store.record_history("per_a").unwrap();
    assert_eq!(history.iter().map(|v| v.log_index).collect::<Vec<_>>(), vec![4, 5]);
    assert_eq!(store.record_history("pla_x").unwrap()[0].log_index, 6);
    assert_eq!(store.record_history("per_b").unwrap()[0].log_index, 7);

    // the next write continues after a reopen
    assert_eq!(store.append_log_entries(&[("evt_3".to_owned(), b"event 3".to_vec())]).unwrap(), vec![8]);
}

fn items_are_found_by_id_and_digest_and_listed_in_id_order(h: &mut Harness) {
    let store = h.store();
    let mut full = item("itm_c", 'c');
    full.modified = Some("2020-01-02T03:04:05Z".to_owned());
    full.provenance = Some("{\"container\":\"itm_z\",\"member\":\"a/b.txt\"}".to_owned());
    full.size = u64::from(u32::MAX) + 7;
    let mut batch = vec![full.clone(), item("itm_a", 'a')];
    commit_items(store, &mut batch).unwrap();
    commit_items(store, &mut [item("itm_b", 'b')]).unwrap();
    h.reopen();
    let store = h.store();
    full.log_index = 0;
    assert_eq!(store.item("itm_c").unwrap(), Some(full.clone()));
    assert_eq!(store.item_by_sha256(&"c".repeat(64)).unwrap(), Some(full));
    assert_eq!(store.item_by_sha256(&"b".repeat(64)).unwrap().unwrap().id, "itm_b");
    assert!(store.item_by_sha256(&"d".repeat(64)).unwrap().is_none());
    assert!(store.item("itm_d").unwrap().is_none());
    let ids: Vec<String> = store.items().unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, vec!["itm_a", "itm_b", "itm_c"]);
    assert_eq!(store.item_count().unwrap(), 3);
}

fn a_repeated_digest_or_id_fails_the_whole_item_batch(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    store.add_pending(&["itm_c".to_owned(), "itm_d".to_owned()]).unwrap();
    let before = snapshot(store);

    // the second item repeats the first one's digest, within the batch
    let mut batch = vec![item("itm_c", 'c'), item("itm_d", 'c')];
    let result = commit_items(store, &mut batch);
    assert!(matches!(&result, Err(StoreError::Duplicate(m)) if m.contains(&"c".repeat(64))), "{result:?}");
    assert_eq!((batch[0].log_index, batch[1].log_index), (0, 0), "a failed batch sets no log_index");

    // the second item repeats a stored item's digest
    let result = commit_items(store, &mut [item("itm_c", 'c'), item("itm_d", 'a')]);
    assert!(matches!(&result, Err(StoreError::Duplicate(m)) if m.contains(&"a".repeat(64))), "{result:?}");

    // the second item repeats a stored item's id
    let result = commit_items(store, &mut [item("itm_c", 'c'), item("itm_a", 'e')]);
    assert!(matches!(&result, Err(StoreError::Duplicate(m)) if m.contains("itm_a")), "{result:?}");

    h.reopen();
    let store = h.store();
    assert_eq!(snapshot(store), before, "failed batches left something behind");
    assert_eq!(store.pending().unwrap(), vec!["itm_c", "itm_d"], "a failed batch keeps its pending markers");
    // and the indexes the failed batches would have had are still free
    assert_eq!(commit_items(store, &mut [item("itm_c", 'c')]).unwrap(), vec![1]);
}

fn pending_markers_are_a_set_cleared_by_their_commit(h: &mut Harness) {
    let store = h.store();
    store.add_pending(&["itm_c".to_owned(), "itm_a".to_owned(), "itm_b".to_owned()]).unwrap();
    store.add_pending(&["itm_a".to_owned()]).unwrap();
    store.add_pending(&[]).unwrap();
    h.reopen();
    let store = h.store();
    assert_eq!(store.pending().unwrap(), vec!["itm_a", "itm_b", "itm_c"]);
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    assert_eq!(store.pending().unwrap(), vec!["itm_b", "itm_c"]);
    store.clear_pending("itm_c").unwrap();
    store.clear_pending("itm_nothing").unwrap();
    h.reopen();
    let store = h.store();
    assert_eq!(store.pending().unwrap(), vec!["itm_b"]);
    // a marker is independent of log entries
    assert_eq!(store.log_size().unwrap(), 1);
}

fn record_versions_are_compare_and_swap(h: &mut Harness) {
    let store = h.store();
    commit(store, &[version("per_a", 1, &[])]).unwrap();
    commit(store, &[version("per_a", 2, &[])]).unwrap();

    // an edit made against version 1 is stale
    let stale = commit(store, &[version("per_a", 2, &[])]);
    assert!(matches!(&stale, Err(StoreError::Conflict { id, expected: 1, current: 2 }) if id == "per_a"), "{stale:?}");
    // skipping a version is refused too
    let ahead = commit(store, &[version("per_a", 4, &[])]);
    assert!(matches!(ahead, Err(StoreError::Conflict { expected: 3, current: 2, .. })), "{ahead:?}");
    // a record that does not exist is at version 0
    let missing = commit(store, &[version("per_b", 2, &[])]);
    assert!(matches!(missing, Err(StoreError::Conflict { expected: 1, current: 0, .. })), "{missing:?}");
    let zero = commit(store, &[version("per_b", 0, &[])]);
    assert!(matches!(zero, Err(StoreError::Conflict { expected: 0, current: 0, .. })), "{zero:?}");
    // versions in one batch apply in order: create and edit at once
    commit(store, &[version("per_b", 1, &[]), version("per_b", 2, &[]), version("per_a", 3, &[])]).unwrap();
    // but not out of order
    let reversed = commit(store, &[version("per_c", 2, &[]), version("per_c", 1, &[])]);
    assert!(matches!(reversed, Err(StoreError::Conflict { current: 0, .. })), "{reversed:?}");

    h.reopen();
    let store = h.store();
    assert_eq!(store.log_size().unwrap(), 5);
    let a = store.record("per_a").unwrap().unwrap();
    assert_eq!((a.version, a.fields.as_str(), a.updated_at.as_str()), (3, "{\"v\":3}", "2026-11-30T00:00:03Z"));
    assert_eq!(store.record("per_b").unwrap().unwrap().version, 2);
    assert!(store.record("per_c").unwrap().is_none());
}

fn a_conflict_anywhere_in_a_batch_leaves_nothing(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    commit(store, &[version("per_a", 1, &[])]).unwrap();
    let before = snapshot(store);
    // valid rows first, the stale one last
    let mut batch = vec![
        version("per_b", 1, &["itm_a"]),
        version("per_a", 2, &["per_b"]),
        version("rel_x", 1, &[]),
        version("per_a", 2, &[]),
    ];
    let result = store.commit_record_versions(&mut batch);
    assert!(matches!(result, Err(StoreError::Conflict { expected: 1, current: 2, .. })), "{result:?}");
    assert!(batch.iter().all(|v| v.row.log_index == 0), "a failed batch sets no log_index");
    h.reopen();
    let store = h.store();
    assert_eq!(snapshot(store), before);
    assert_eq!(store.record("per_a").unwrap().unwrap().version, 1);
    assert!(store.references_to("itm_a").unwrap().is_empty());
}

fn references_are_checked_at_the_end_of_the_batch(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    let before = snapshot(store);
    let missing = commit(store, &[version("per_a", 1, &[]), version("rel_x", 1, &["per_a", "per_nobody"])]);
    assert!(
        matches!(&missing, Err(StoreError::NotFound(m)) if m.contains("rel_x") && m.contains("per_nobody")),
        "{missing:?}"
    );
    assert_eq!(snapshot(store), before, "a dangling reference left something behind");

    // a relation before the person it names, a reference to an item, and
    // one to itself, all in one batch
    commit(store, &[version("rel_x", 1, &["per_later", "itm_a"]), version("per_later", 1, &["per_later"])]).unwrap();
    h.reopen();
    let store = h.store();
    assert_eq!(store.references_to("per_later").unwrap(), pairs(&[("per_later", "to"), ("rel_x", "to")]));
    assert_eq!(store.references_to("itm_a").unwrap(), pairs(&[("rel_x", "to")]));

    // a retracted record can still be referred to
    let mut retract = version("per_later", 2, &[]);
    retract.row.change = "retract".to_owned();
    retract.row.retracted = true;
    commit(store, &[retract]).unwrap();
    commit(store, &[version("rel_y", 1, &["per_later"])]).unwrap();

    // an edit is checked like a creation: its references must resolve too
    let edit = commit(store, &[version("rel_x", 2, &["per_nobody"])]);
    assert!(matches!(&edit, Err(StoreError::NotFound(m)) if m.contains("per_nobody")), "{edit:?}");
    assert_eq!(store.record("rel_x").unwrap().unwrap().version, 1);
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

fn references_follow_the_latest_version(h: &mut Harness) {
    let store = h.store();
    commit(store, &[version("per_a", 1, &[]), version("per_b", 1, &[])]).unwrap();
    let mut relation = version("rel_x", 1, &[]);
    relation.references = pairs(&[("to", "per_b"), ("from", "per_a"), ("witness", "per_a"), ("from", "per_a")]);
    commit(store, &[relation, version("rel_w", 1, &["per_a"])]).unwrap();
    assert_eq!(
        store.references_to("per_a").unwrap(),
        pairs(&[("rel_w", "to"), ("rel_x", "from"), ("rel_x", "from"), ("rel_x", "witness")])
    );
    // the next version drops per_a and keeps per_b
    commit(store, &[version("rel_x", 2, &["per_b"])]).unwrap();
    h.reopen();
    let store = h.store();
    assert_eq!(store.references_to("per_a").unwrap(), pairs(&[("rel_w", "to")]));
    assert_eq!(store.references_to("per_b").unwrap(), pairs(&[("rel_x", "to")]));
    assert!(store.references_to("rel_x").unwrap().is_empty());
}

fn an_aborted_import_leaves_nothing_and_stops_reading(h: &mut Harness) {
    let store = h.store();
    commit(store, &[version("per_z", 1, &[])]).unwrap();
    let before = snapshot(store);
    let mut rows =
        vec![Ok(version("per_a", 1, &[])), Err("line 2: bad row".to_owned()), Ok(version("per_b", 1, &[]))].into_iter();
    let result = store.import_record_versions(&mut rows);
    assert!(matches!(&result, Err(StoreError::Aborted(m)) if m == "line 2: bad row"), "{result:?}");
    assert_eq!(rows.next().unwrap().unwrap().row.id, "per_b", "the import read past its failure");

    // a conflict stops the import the same way
    let mut rows =
        vec![Ok(version("per_a", 1, &[])), Ok(version("per_z", 1, &[])), Ok(version("per_c", 1, &[]))].into_iter();
    let result = store.import_record_versions(&mut rows);
    assert!(matches!(result, Err(StoreError::Conflict { current: 1, .. })), "{result:?}");
    assert_eq!(rows.next().unwrap().unwrap().row.id, "per_c", "the import read past its failure");

    h.reopen();
    let store = h.store();
    assert_eq!(snapshot(store), before);
    assert!(store.record("per_a").unwrap().is_none());
}

fn a_large_import_commits_once_with_forward_references(h: &mut Harness) {
    let store = h.store();
    store.append_log_entries(&[("evt_0".to_owned(), b"event".to_vec())]).unwrap();
    let mut pulled = 0;
    let mut rows = (0..1000).map(|i| {
        pulled += 1;
        Ok(version(&format!("per_{i:04}"), 1, &["per_0999"]))
    });
    let outcome = store.import_record_versions(&mut rows).unwrap();
    drop(rows);
    assert_eq!(pulled, 1000);
    assert_eq!(outcome, ImportOutcome { first_index: 1, count: 1000 });
    h.reopen();
    let store = h.store();
    assert_eq!(store.log_size().unwrap(), 1001);
    assert_eq!(store.references_to("per_0999").unwrap().len(), 1000);
    assert_eq!(store.record_history("per_0500").unwrap()[0].log_index, 501);
    assert_eq!(record_ids(store, Some("person")).len(), 1000);
}

fn entries_refuse_missing_ranges(h: &mut Harness) {
    let store = h.store();
    let entries: Vec<(String, Vec<u8>)> = (0..3).map(|i| (format!("evt_{i}"), vec![i])).collect();
    store.append_log_entries(&entries).unwrap();
    assert_eq!(store.entries(0, 3).unwrap(), vec![vec![0], vec![1], vec![2]]);
    assert_eq!(store.entries(1, 2).unwrap(), vec![vec![1]]);
    assert!(store.entries(3, 3).unwrap().is_empty());
    assert!(store.entries(2, 1).unwrap().is_empty(), "an inverted range gives nothing");
    for (start, end) in [(0, 4), (2, 4), (3, 4), (5, 7), (0, u64::MAX)] {
        let result = store.entries(start, end);
        assert!(matches!(result, Err(StoreError::Corrupted { .. })), "{start}..{end}: {result:?}");
    }
}

fn for_each_record_filters_by_kind_in_id_order_and_stops_early(h: &mut Harness) {
    let store = h.store();
    commit(
        store,
        &[version("per_c", 1, &[]), version("pla_b", 1, &[]), version("per_a", 1, &[]), version("per_b", 1, &[])],
    )
    .unwrap();
    commit(store, &[version("pla_a", 1, &[]), version("per_a", 2, &[])]).unwrap();
    h.reopen();
    let store = h.store();
    assert_eq!(record_ids(store, None), vec!["per_a", "per_b", "per_c", "pla_a", "pla_b"]);
    assert_eq!(record_ids(store, Some("place")), vec!["pla_a", "pla_b"]);
    assert!(record_ids(store, Some("event")).is_empty());

    // rows are current rows
    let mut first = None;
    store
        .for_each_record(Some("person"), &mut |row| {
            first.get_or_insert(row);
            Ok(true)
        })
        .unwrap();
    let first = first.unwrap();
    assert_eq!((first.id.as_str(), first.version, first.kind.as_str()), ("per_a", 2, "person"));

    // the visitor stops the walk: it is not called again
    let mut seen = Vec::new();
    store
        .for_each_record(Some("person"), &mut |row| {
            seen.push(row.id);
            Ok(seen.len() < 2)
        })
        .unwrap();
    assert_eq!(seen, vec!["per_a", "per_b"]);

    // an error from the visitor is returned as is
    let mut calls = 0;
    let result = store.for_each_record(None, &mut |_| {
        calls += 1;
        Err(StoreError::Aborted("stop here".to_owned()))
    });
    assert!(matches!(&result, Err(StoreError::Aborted(m)) if m == "stop here"), "{result:?}");
    assert_eq!(calls, 1);
}

fn record_history_is_oldest_first_and_never_rewritten(h: &mut Harness) {
    let store = h.store();
    let mut first = vec![version("per_a", 1, &[])];
    store.commit_record_versions(&mut first).unwrap();
    commit(store, &[version("per_b", 1, &[])]).unwrap();
    let mut second = vec![version("per_a", 2, &[])];
    // a later version may name another kind; the record keeps its first
    second[0].row.kind = "place".to_owned();
    store.commit_record_versions(&mut second).unwrap();
    assert_eq!(store.record("per_a").unwrap().unwrap().kind, "person");
    let mut retract = version("per_a", 3, &[]);
    retract.row.change = "retract".to_owned();
    retract.row.retracted = true;
    retract.row.kind = "place".to_owned();
    let mut third = vec![retract];
    store.commit_record_versions(&mut third).unwrap();
    h.reopen();
    let store = h.store();
    let history = store.record_history("per_a").unwrap();
    assert_eq!(history, vec![first[0].row.clone(), second[0].row.clone(), third[0].row.clone()]);
    assert_eq!(history.iter().map(|v| v.log_index).collect::<Vec<_>>(), vec![0, 2, 3]);
    let current = store.record("per_a").unwrap().unwrap();
    assert_eq!(
        current,
        RecordRow {
            id: "per_a".to_owned(),
            kind: "person".to_owned(),
            version: 3,
            fields: "{\"v\":3}".to_owned(),
            retracted: true,
            updated_at: "2026-11-30T00:00:03Z".to_owned(),
        }
    );
    assert!(store.record_history("per_nobody").unwrap().is_empty());
}

fn for_each_record_version_walks_the_log_in_order(h: &mut Harness) {
    let store = h.store();
    commit(store, &[version("per_b", 1, &[]), version("per_a", 1, &[])]).unwrap();
    store.append_log_entries(&[("evt_1".to_owned(), b"event".to_vec())]).unwrap();
    commit(store, &[version("per_b", 2, &[]), version("per_a", 2, &[]), version("per_b", 3, &[])]).unwrap();
    h.reopen();
    let store = h.store();
    let mut seen = Vec::new();
    store
        .for_each_record_version(&mut |row| {
            seen.push((row.log_index, row.id, row.version));
            Ok(())
        })
        .unwrap();
    let expected = [(0, "per_b", 1), (1, "per_a", 1), (3, "per_b", 2), (4, "per_a", 2), (5, "per_b", 3)];
    assert_eq!(seen, expected.map(|(i, id, v)| (i, id.to_owned(), v)).to_vec());

    let mut calls = 0;
    let result = store.for_each_record_version(&mut |_| {
        calls += 1;
        if calls == 2 { Err(StoreError::Aborted("second".to_owned())) } else { Ok(()) }
    });
    assert!(matches!(&result, Err(StoreError::Aborted(m)) if m == "second"), "{result:?}");
    assert_eq!(calls, 2);
}

fn checkpoints_are_kept_by_size(h: &mut Harness) {
    let store = h.store();
    store.record_checkpoint(0, "checkpoint 0\n").unwrap();
    store.record_checkpoint(5, "checkpoint 5\n").unwrap();
    store.record_checkpoint(5, "checkpoint 5, signed again\n").unwrap();
    h.reopen();
    let store = h.store();
    assert_eq!(store.checkpoint(0).unwrap().as_deref(), Some("checkpoint 0\n"));
    assert_eq!(store.checkpoint(5).unwrap().as_deref(), Some("checkpoint 5, signed again\n"));
    assert!(store.checkpoint(3).unwrap().is_none());
    // a checkpoint copy is not a log entry
    assert_eq!(store.log_size().unwrap(), 0);
}

/// Entry objects name what changed in a range, each once, in order.
fn entry_objects_list_each_changed_object_once(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    commit(store, &[version("per_a", 1, &[])]).unwrap();
    commit(store, &[version("per_a", 2, &[])]).unwrap();
    commit(store, &[version("itm_a", 1, &[])]).unwrap();
    assert_eq!(store.entry_objects(0, 4).unwrap(), ["itm_a", "per_a"]);
    assert_eq!(store.entry_objects(1, 4).unwrap(), ["per_a", "itm_a"]);
    assert_eq!(store.entry_objects(2, 3).unwrap(), ["per_a"]);
    assert!(store.entry_objects(4, 10).unwrap().is_empty());
    assert!(store.entry_objects(3, 1).unwrap().is_empty());
}

fn item_text(id: &str, status: &str) -> ItemText {
    ItemText {
        item_id: id.to_owned(),
        status: status.to_owned(),
        format: "pdf".to_owned(),
        lang: Some("zh".to_owned()),
        chars: 12,
        detail: None,
        extracted_at: "2026-11-30T00:00:00Z".to_owned(),
    }
}

/// Extraction results replace earlier ones, survive a reopen, and are
/// refused (all of the batch) for an item that does not exist.
fn item_texts_replace_and_refuse_unknown_items(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a'), item("itm_b", 'b')]).unwrap();
    store.set_item_texts(&[item_text("itm_a", "failed")]).unwrap();
    store.set_item_texts(&[item_text("itm_a", "extracted")]).unwrap();
    let refused = store.set_item_texts(&[item_text("itm_b", "extracted"), item_text("itm_zzz", "extracted")]);
    assert!(matches!(refused, Err(StoreError::NotFound(_))), "{refused:?}");
    h.reopen();
    let store = h.store();
    assert_eq!(store.item_text("itm_a").unwrap(), Some(item_text("itm_a", "extracted")));
    assert_eq!(store.item_text("itm_b").unwrap(), None, "a refused batch writes nothing");
    // extraction results are not log entries
    assert_eq!(store.log_size().unwrap(), 2);
}

fn candidate(item: &str, start: u64) -> ClaimCandidate {
    ClaimCandidate {
        id: 0,
        item_id: item.to_owned(),
        kind: "price".to_owned(),
        text: "16万元".to_owned(),
        char_start: start,
        char_end: start + 4,
        value: 160_000.0,
        value_high: None,
        unit: "CNY".to_owned(),
        period: Some("2006".to_owned()),
        sentence: "肾移植费用16万元。".to_owned(),
        status: "ignored by the store".to_owned(),
        claim_id: None,
        reviewed_by: None,
        reviewed_at: None,
        note: None,
        found_at: "2026-11-30T00:00:00Z".to_owned(),
    }
}

fn review(id: i64, status: &str) -> CandidateReview {
    CandidateReview {
        id,
        status: status.to_owned(),
        claim_id: (status == "accepted").then(|| "clm_x".to_owned()),
        reviewed_by: "investigator".to_owned(),
        reviewed_at: "2026-11-30T01:00:00Z".to_owned(),
        note: Some("read the page".to_owned()),
    }
}

/// Candidates are stored once per item, kind and span, start pending, and
/// keep their review: finding them again changes nothing, and a review is
/// never replaced.
fn claim_candidates_are_found_once_and_reviewed_once(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    let stored = store.add_claim_candidates(&[candidate("itm_a", 5), candidate("itm_a", 20)]).unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|c| c.status == "pending" && c.id > 0));
    assert_ne!(stored[0].id, stored[1].id);
    store.review_claim_candidate(&review(stored[0].id, "accepted")).unwrap();
    store.review_claim_candidate(&review(stored[1].id, "rejected")).unwrap();
    let again = store.review_claim_candidate(&review(stored[0].id, "rejected"));
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
    assert!(matches!(store.review_claim_candidate(&review(999, "accepted")), Err(StoreError::NotFound(_))));
    // Found again: the stored rows come back, reviews intact, nothing added.
    let found_again = store.add_claim_candidates(&[candidate("itm_a", 5)]).unwrap();
    assert_eq!(found_again[0].status, "accepted");
    assert_eq!(found_again[0].claim_id.as_deref(), Some("clm_x"));
    let unknown = store.add_claim_candidates(&[candidate("itm_a", 40), candidate("itm_zzz", 1)]);
    assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");
    h.reopen();
    let store = h.store();
    assert_eq!(store.claim_candidates(None, None).unwrap().len(), 2, "a refused batch adds nothing");
    let accepted = store.claim_candidates(Some("itm_a"), Some("accepted")).unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].value, 160_000.0);
    assert_eq!(accepted[0].reviewed_by.as_deref(), Some("investigator"));
    assert_eq!(store.claim_candidates(None, Some("pending")).unwrap(), []);
    assert_eq!(store.claim_candidates(Some("itm_b"), None).unwrap(), []);
}

fn user(name: &str, role: &str) -> UserRow {
    UserRow {
        name: name.to_owned(),
        role: role.to_owned(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${name}"),
        created_at: "2026-11-30T00:00:00Z".to_owned(),
        disabled: false,
        totp_secret: None,
    }
}

/// A credential whose token hash is `hash` repeated.
fn credential(hash: char, user: &str, kind: &str) -> CredentialRow {
    CredentialRow {
        token_hash: hash.to_string().repeat(64),
        user_name: user.to_owned(),
        kind: kind.to_owned(),
        label: (kind == "api").then(|| format!("{user}'s script")),
        created_at: "2026-11-30T00:00:00Z".to_owned(),
        expires_at: (kind == "session").then(|| "2026-11-30T12:00:00Z".to_owned()),
        revoked: false,
        last_used_at: None,
    }
}

fn hash(c: char) -> String {
    c.to_string().repeat(64)
}

/// Users are unique by name, listed in name order, found by their exact
/// name, and changed in place (role, password hash, disabled) but never
/// re-dated; none of it is a log entry.
fn users_are_unique_by_name_and_change_in_place(h: &mut Harness) {
    let store = h.store();
    store.add_user(&user("bob", "intake")).unwrap();
    store.add_user(&user("alice", "admin")).unwrap();
    store.add_user(&user("Zed", "reviewer")).unwrap();
    let again = store.add_user(&user("bob", "admin"));
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(store.user("bob").unwrap(), Some(user("bob", "intake")), "a refused user changes nothing");
    let changed = UserRow {
        role: "investigator".to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$new".to_owned(),
        created_at: "2030-01-01T00:00:00Z".to_owned(),
        disabled: true,
        totp_secret: Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned()),
        ..user("bob", "intake")
    };
    store.set_user(&changed).unwrap();
    let unknown = store.set_user(&user("carol", "admin"));
    assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");
    h.reopen();
    let store = h.store();
    let names: Vec<String> = store.users().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["Zed", "alice", "bob"], "byte order of the names");
    assert_eq!(
        store.user("bob").unwrap(),
        Some(UserRow { created_at: "2026-11-30T00:00:00Z".to_owned(), ..changed }),
        "role, hash, disabled and the TOTP secret change; created_at is kept"
    );
    assert_eq!(store.user("carol").unwrap(), None, "set_user never creates");
    assert_eq!(store.user("Bob").unwrap(), None, "names compare exactly");
    assert_eq!(store.log_size().unwrap(), 0, "accounts are not log entries");
}

/// Credentials belong to users who exist and are unique by token hash;
/// revoking is one way and counts only what it newly revoked; a user's
/// revocation never reaches another user's credentials.
fn credentials_belong_to_users_and_are_revoked_once(h: &mut Harness) {
    let store = h.store();
    store.add_user(&user("alice", "admin")).unwrap();
    store.add_user(&user("bob", "intake")).unwrap();
    store.add_credential(&credential('a', "alice", "session")).unwrap();
    store.add_credential(&credential('b', "alice", "api")).unwrap();
    store.add_credential(&credential('c', "bob", "api")).unwrap();
    let unknown = store.add_credential(&credential('d', "carol", "api"));
    assert!(matches!(unknown, Err(StoreError::NotFound(_))), "{unknown:?}");
    assert_eq!(store.credential(&hash('d')).unwrap(), None, "a refused credential is not stored");
    let repeated = store.add_credential(&credential('a', "bob", "api"));
    assert!(matches!(repeated, Err(StoreError::Duplicate(_))), "{repeated:?}");
    assert_eq!(store.credential(&hash('a')).unwrap(), Some(credential('a', "alice", "session")));
    store.touch_credential(&hash('a'), "2026-11-30T01:00:00Z").unwrap();
    assert!(matches!(store.touch_credential(&hash('d'), "2026-11-30T01:00:00Z"), Err(StoreError::NotFound(_))));

    assert_eq!(store.revoke_credentials("alice", Some(&hash('c'))).unwrap(), 0, "bob's token is not alice's");
    assert_eq!(store.revoke_credentials("alice", Some(&hash('a'))).unwrap(), 1);
    assert_eq!(store.revoke_credentials("alice", Some(&hash('a'))).unwrap(), 0, "already revoked");
    assert_eq!(store.revoke_credentials("alice", None).unwrap(), 1, "only b was left");
    assert_eq!(store.revoke_credentials("alice", None).unwrap(), 0);
    let nobody = store.revoke_credentials("carol", None);
    assert!(matches!(nobody, Err(StoreError::NotFound(_))), "{nobody:?}");
    // A revoked credential may still be touched (a late request racing the revocation).
    store.touch_credential(&hash('b'), "2026-11-30T02:00:00Z").unwrap();
    h.reopen();
    let store = h.store();
    assert_eq!(
        store.credential(&hash('a')).unwrap(),
        Some(CredentialRow {
            revoked: true,
            last_used_at: Some("2026-11-30T01:00:00Z".to_owned()),
            ..credential('a', "alice", "session")
        })
    );
    let b = store.credential(&hash('b')).unwrap().unwrap();
    assert!(b.revoked);
    assert_eq!(b.label.as_deref(), Some("alice's script"));
    assert_eq!(b.expires_at, None);
    assert_eq!(b.last_used_at.as_deref(), Some("2026-11-30T02:00:00Z"));
    assert_eq!(store.credential(&hash('c')).unwrap(), Some(credential('c', "bob", "api")), "bob's is untouched");
    assert_eq!(store.revoke_credentials("bob", None).unwrap(), 1);
    assert_eq!(store.log_size().unwrap(), 0, "credentials are not log entries");
}

/// On-disk only: a store full of every kind of row reads back the same
/// after a reopen, and keeps its rules (a reopened store still refuses a
/// stale version and a repeated digest).
fn everything_survives_reopening(h: &mut Harness) {
    let store = h.store();
    store.add_pending(&["itm_a".to_owned(), "itm_b".to_owned()]).unwrap();
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    store.append_log_entries(&[("evt_1".to_owned(), b"event".to_vec())]).unwrap();
    commit(store, &[version("rel_x", 1, &["per_a", "itm_a"]), version("per_a", 1, &[])]).unwrap();
    commit(store, &[version("per_a", 2, &[])]).unwrap();
    store.record_checkpoint(5, "checkpoint 5\n").unwrap();
    store.add_user(&user("alice", "admin")).unwrap();
    store.add_credential(&credential('a', "alice", "session")).unwrap();
    let before = snapshot(store);
    assert_eq!(before.entries.len(), 5);
    h.reopen();
    let store = h.store();
    assert_eq!(snapshot(store), before);
    assert_eq!(store.credential(&hash('a')).unwrap(), Some(credential('a', "alice", "session")));
    assert!(matches!(store.add_user(&user("alice", "intake")), Err(StoreError::Duplicate(_))));
    assert!(matches!(commit(store, &[version("per_a", 2, &[])]), Err(StoreError::Conflict { current: 2, .. })));
    assert!(matches!(commit_items(store, &mut [item("itm_b", 'a')]), Err(StoreError::Duplicate(_))));
}

fn grant(target: &str, user: &str) -> evident_store::SealedGrantRow {
    evident_store::SealedGrantRow {
        target_id: target.to_owned(),
        user_name: user.to_owned(),
        granted_by: "admin".to_owned(),
        granted_at: "2026-11-30T10:00:00Z".to_owned(),
    }
}

fn sealed_grants_name_one_person_per_target_and_are_revoked_once(h: &mut Harness) {
    let store = h.store();
    assert!(!store.has_sealed_grant("itm_a", "alice").unwrap());
    assert!(store.put_sealed_grant(&grant("itm_a", "bob")).unwrap());
    assert!(store.put_sealed_grant(&grant("itm_a", "alice")).unwrap());
    assert!(store.put_sealed_grant(&grant("per_b", "alice")).unwrap());
    let mut again = grant("itm_a", "alice");
    again.granted_by = "someone else".to_owned();
    assert!(!store.put_sealed_grant(&again).unwrap(), "a second grant changes nothing");
    let users: Vec<(String, String)> =
        store.sealed_grants("itm_a").unwrap().into_iter().map(|g| (g.user_name, g.granted_by)).collect();
    assert_eq!(users, vec![("alice".to_owned(), "admin".to_owned()), ("bob".to_owned(), "admin".to_owned())]);
    assert!(store.has_sealed_grant("itm_a", "alice").unwrap());
    assert!(!store.has_sealed_grant("itm_a", "carol").unwrap());
    assert!(store.remove_sealed_grant("itm_a", "alice").unwrap());
    assert!(!store.remove_sealed_grant("itm_a", "alice").unwrap());
    h.reopen();
    let store = h.store();
    assert!(!store.has_sealed_grant("itm_a", "alice").unwrap());
    assert!(store.has_sealed_grant("per_b", "alice").unwrap());
    assert_eq!(store.sealed_grants("itm_a").unwrap(), vec![grant("itm_a", "bob")]);
    assert!(store.sealed_grants("itm_zzz").unwrap().is_empty());
}

fn intake_case(id: &str, hash: char, at: &str) -> evident_store::IntakeCaseRow {
    evident_store::IntakeCaseRow {
        case_id: id.to_owned(),
        code_hash: hash.to_string().repeat(64),
        created_at: at.to_owned(),
        items: 0,
    }
}

fn intake_item(case: &str, item: &str, at: &str) -> evident_store::IntakeItemRow {
    evident_store::IntakeItemRow { case_id: case.to_owned(), item_id: item.to_owned(), added_at: at.to_owned() }
}

fn intake_cases_are_found_by_code_hash_and_stored_all_or_nothing(h: &mut Harness) {
    let store = h.store();
    assert!(store.intake_cases().unwrap().is_empty());
    let old = intake_case("case_1", 'a', "2026-11-30T10:00:00Z");
    let new = intake_case("case_2", 'b', "2026-11-30T11:00:00Z");
    store
        .put_intake(
            Some(&old),
            &[
                intake_item("case_1", "itm_b", "2026-11-30T10:00:00Z"),
                intake_item("case_1", "itm_a", "2026-11-30T10:00:00Z"),
            ],
        )
        .unwrap();
    store.put_intake(Some(&new), &[intake_item("case_2", "itm_c", "2026-11-30T11:00:00Z")]).unwrap();
    // A follow-up adds to an existing case.
    store.put_intake(None, &[intake_item("case_1", "itm_d", "2026-11-30T12:00:00Z")]).unwrap();
    // A taken code hash or id, or an unknown case, stores nothing.
    let clash = intake_case("case_3", 'a', "2026-11-30T13:00:00Z");
    assert!(matches!(
        store.put_intake(Some(&clash), &[intake_item("case_3", "itm_e", "2026-11-30T13:00:00Z")]),
        Err(StoreError::Duplicate(_))
    ));
    assert!(matches!(
        store.put_intake(None, &[intake_item("case_1", "itm_f", "x"), intake_item("case_9", "itm_g", "x")]),
        Err(StoreError::NotFound(_))
    ));
    h.reopen();
    let store = h.store();
    let listed: Vec<(String, u64)> = store.intake_cases().unwrap().into_iter().map(|c| (c.case_id, c.items)).collect();
    assert_eq!(listed, vec![("case_2".to_owned(), 1), ("case_1".to_owned(), 3)]);
    let found = store.intake_case_by_code_hash(&"a".repeat(64)).unwrap().unwrap();
    assert_eq!((found.case_id.as_str(), found.items), ("case_1", 3));
    assert_eq!(store.intake_case_by_code_hash(&"c".repeat(64)).unwrap(), None);
    assert_eq!(store.intake_case("case_2").unwrap().unwrap().code_hash, "b".repeat(64));
    assert_eq!(store.intake_case("case_3").unwrap(), None);
    let items: Vec<String> = store.intake_items("case_1").unwrap().into_iter().map(|i| i.item_id).collect();
    assert_eq!(items, vec!["itm_a", "itm_b", "itm_d"]);
    assert_eq!(store.intake_case_of_item("itm_c").unwrap().as_deref(), Some("case_2"));
    assert_eq!(store.intake_case_of_item("itm_f").unwrap(), None);
    assert_eq!(store.intake_case_of_item("itm_e").unwrap(), None);
}

fn sealed(id: &str, byte: u8) -> SealedItemRow {
    SealedItemRow {
        item_id: id.to_owned(),
        wrapped_key: vec![byte; 88],
        sealed_salt: vec![byte ^ 1; 80],
        sealed_metadata: vec![byte ^ 2; 120],
    }
}

fn sealed_keys_are_stored_once_before_their_item_and_removed_for_good(h: &mut Harness) {
    let store = h.store();
    assert_eq!(store.sealed_item("itm_b").unwrap(), None);
    // keys go in before their items exist (the commit order needs that)
    store.put_sealed_items(&[sealed("itm_b", 7), sealed("itm_a", 9)]).unwrap();
    assert_eq!(store.sealed_item("itm_b").unwrap(), Some(sealed("itm_b", 7)));
    assert_eq!(store.sealed_item_ids().unwrap(), vec!["itm_a".to_owned(), "itm_b".to_owned()]);
    // a second set of keys for an item fails the whole batch
    let again = store.put_sealed_items(&[sealed("itm_c", 1), sealed("itm_a", 3)]);
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(store.sealed_item("itm_c").unwrap(), None);
    assert_eq!(store.sealed_item("itm_a").unwrap(), Some(sealed("itm_a", 9)));
    assert!(store.remove_sealed_item("itm_a").unwrap());
    assert!(!store.remove_sealed_item("itm_a").unwrap());
    assert_eq!(store.sealed_item("itm_a").unwrap(), None);
    assert_eq!(store.sealed_item_ids().unwrap(), vec!["itm_b".to_owned()]);
    h.reopen();
    assert_eq!(h.store().sealed_item("itm_b").unwrap(), Some(sealed("itm_b", 7)));
    assert_eq!(h.store().sealed_item("itm_a").unwrap(), None);
}

/// Forgetting a sealed item removes its keys and appends its entry in one
/// transaction; forgetting twice, an unknown item or one without keys
/// changes nothing. Rotation re-wraps stored keys in place.
fn forgetting_destroys_keys_with_its_entry_and_rewrapping_replaces_them(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a'), item("itm_b", 'b'), item("itm_c", 'c')]).unwrap();
    store.put_sealed_items(&[sealed("itm_a", 7), sealed("itm_b", 9)]).unwrap();
    let row = |id: &str| evident_store::ForgottenItemRow {
        item_id: id.to_owned(),
        log_index: 99,
        forgotten_at: "2026-11-30T12:00:00Z".to_owned(),
        actor: "alice".to_owned(),
        reason: "witness asked".to_owned(),
        salt: "5".repeat(64),
    };
    assert_eq!(store.forgotten_item("itm_a").unwrap(), None);
    assert!(matches!(store.forget_item(&row("itm_x"), b"f x"), Err(StoreError::NotFound(_))));
    assert!(matches!(store.forget_item(&row("itm_c"), b"f c"), Err(StoreError::NotFound(_))));
    assert_eq!(store.log_size().unwrap(), 3);
    assert_eq!(store.forget_item(&row("itm_a"), b"forget a").unwrap(), 3);
    let again = store.forget_item(&row("itm_a"), b"forget a");
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(store.log_size().unwrap(), 4);
    assert_eq!(store.entries(3, 4).unwrap(), vec![b"forget a".to_vec()]);
    assert_eq!(store.sealed_item("itm_a").unwrap(), None);
    assert_eq!(store.sealed_item("itm_b").unwrap(), Some(sealed("itm_b", 9)));

    let keys = store.wrapped_keys().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].owner, keys[0].id.as_str()), (evident_store::WrappedKeyOwner::Item, "itm_b"));
    let mut rewrapped = keys[0].clone();
    rewrapped.wrapped_key = vec![42; 88];
    let mut missing = rewrapped.clone();
    missing.id = "itm_a".to_owned();
    let failed = store.replace_wrapped_keys(&[rewrapped.clone(), missing]);
    assert!(matches!(failed, Err(StoreError::NotFound(_))), "{failed:?}");
    assert_eq!(store.sealed_item("itm_b").unwrap(), Some(sealed("itm_b", 9)));
    store.replace_wrapped_keys(&[rewrapped]).unwrap();
    h.reopen();
    let store = h.store();
    let forgotten = store.forgotten_item("itm_a").unwrap().unwrap();
    assert_eq!(forgotten, evident_store::ForgottenItemRow { log_index: 3, ..row("itm_a") });
    assert_eq!(store.forgotten_items().unwrap(), vec![forgotten]);
    let b = store.sealed_item("itm_b").unwrap().unwrap();
    assert_eq!(b.wrapped_key, vec![42; 88]);
    assert_eq!(b.sealed_metadata, sealed("itm_b", 9).sealed_metadata);
}

fn audit_event(actor: &str, target: &str) -> AuditRow {
    AuditRow {
        seq: 0,
        time: "2026-11-30T10:00:00Z".to_owned(),
        actor: actor.to_owned(),
        role: "investigator".to_owned(),
        action: "read".to_owned(),
        target: target.to_owned(),
        client: "127.0.0.1".to_owned(),
        batch: Some(99),
    }
}

fn audit_batch(batch: u64, first: u64, last: u64) -> AuditBatchRow {
    AuditBatchRow { batch, first, last, digest: "ab".repeat(32), log_index: 0 }
}

/// Audit events are numbered from 1 in arrival order and wait until a
/// batch commits exactly them with its log entry; a batch over missing or
/// already-committed events changes nothing.
fn audit_events_are_numbered_and_committed_once_in_batches(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a')]).unwrap();
    let seqs: Vec<u64> =
        ["per_a", "per_b", "itm_a"].iter().map(|t| store.add_audit_event(&audit_event("alice", t)).unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let waiting = store.uncommitted_audit_events().unwrap();
    assert_eq!(waiting.iter().map(|row| (row.seq, row.batch)).collect::<Vec<_>>(), [(1, None), (2, None), (3, None)]);
    assert_eq!(waiting[1].target, "per_b");

    let index = store.commit_audit_batch(&audit_batch(1, 1, 2), b"audit entry one").unwrap();
    assert_eq!(index, 1);
    assert_eq!(store.log_size().unwrap(), 2);
    assert_eq!(store.entries(1, 2).unwrap(), [b"audit entry one".to_vec()]);
    assert_eq!(store.uncommitted_audit_events().unwrap().iter().map(|row| row.seq).collect::<Vec<_>>(), [3]);

    let before = snapshot(store);
    for bad in [audit_batch(2, 2, 3), audit_batch(2, 3, 4), audit_batch(2, 4, 4)] {
        assert!(
            matches!(store.commit_audit_batch(&bad, b"bad"), Err(StoreError::AuditConflict(_))),
            "{bad:?} must be refused"
        );
    }
    assert_eq!(snapshot(store), before);
    assert_eq!(store.audit_batches().unwrap(), [AuditBatchRow { log_index: 1, ..audit_batch(1, 1, 2) }]);

    store.commit_audit_batch(&audit_batch(2, 3, 3), b"audit entry two").unwrap();
    let all = store.audit_events(1, 10).unwrap();
    assert_eq!(all.iter().map(|row| row.batch).collect::<Vec<_>>(), [Some(1), Some(1), Some(2)]);
    assert_eq!(store.audit_events(2, 1).unwrap().iter().map(|row| row.seq).collect::<Vec<_>>(), [2]);
    assert!(store.uncommitted_audit_events().unwrap().is_empty());
    h.reopen();
    assert_eq!(h.store().audit_events(1, 10).unwrap(), all);
    assert_eq!(h.store().audit_batches().unwrap().len(), 2);
}

/// The trait is object-safe and its implementations can move between threads.
fn backends_are_send(h: &mut Harness) {
    fn assert_send<T: Send + ?Sized>(_: &T) {}
    assert_send(h.store());
    let store = std::mem::replace(&mut h.store, Box::new(MemoryStore::new()));
    let size = std::thread::spawn(move || store.log_size().unwrap()).join().unwrap();
    assert_eq!(size, 0);
}

/// One test per case, each on a fresh store from `Harness::$backend`, in a
/// module named after the backend (`cargo test memory::` runs one backend).
fn record_keys_are_stored_replaced_and_listed_for_rotation(h: &mut Harness) {
    let store = h.store();
    assert_eq!(store.sealed_record_key("per_a").unwrap(), None);
    store.put_sealed_record_keys(&[("per_a".to_owned(), vec![1; 88]), ("per_b".to_owned(), vec![2; 88])]).unwrap();
    assert_eq!(store.sealed_record_key("per_a").unwrap(), Some(vec![1; 88]));
    store.put_sealed_record_keys(&[("per_a".to_owned(), vec![3; 88])]).unwrap();
    assert_eq!(store.sealed_record_key("per_a").unwrap(), Some(vec![3; 88]), "a key left over is replaced");
    let listed: Vec<(evident_store::WrappedKeyOwner, String)> =
        store.wrapped_keys().unwrap().into_iter().map(|row| (row.owner, row.id)).collect();
    assert_eq!(
        listed,
        [
            (evident_store::WrappedKeyOwner::Record, "per_a".to_owned()),
            (evident_store::WrappedKeyOwner::Record, "per_b".to_owned())
        ]
    );
    let rewrapped = evident_store::WrappedKeyRow {
        owner: evident_store::WrappedKeyOwner::Record,
        id: "per_b".to_owned(),
        wrapped_key: vec![4; 88],
    };
    store.replace_wrapped_keys(&[rewrapped]).unwrap();
    assert_eq!(store.sealed_record_key("per_b").unwrap(), Some(vec![4; 88]));
}

macro_rules! contract_suite {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            $(
                #[test]
                fn $case() {
                    crate::$case(&mut crate::Harness::$backend());
                }
            )*
        }
    };
}

fn derivations_link_existing_items_once_with_their_entry(h: &mut Harness) {
    let store = h.store();
    commit_items(store, &mut [item("itm_a", 'a'), item("itm_b", 'b'), item("itm_c", 'c')]).unwrap();
    let row = |item: &str, source: &str| evident_store::ItemDerivationRow {
        item_id: item.to_owned(),
        source_id: source.to_owned(),
        log_index: 99,
    };
    assert_eq!(store.item_derivation("itm_b").unwrap(), None);
    // Unknown items: nothing written, the log unchanged.
    assert!(matches!(store.commit_item_derivation(&row("itm_x", "itm_a"), b"d"), Err(StoreError::NotFound(_))));
    assert!(matches!(store.commit_item_derivation(&row("itm_b", "itm_x"), b"d"), Err(StoreError::NotFound(_))));
    assert_eq!(store.log_size().unwrap(), 3);
    assert_eq!(store.commit_item_derivation(&row("itm_b", "itm_a"), b"derive b").unwrap(), 3);
    assert_eq!(store.commit_item_derivation(&row("itm_c", "itm_a"), b"derive c").unwrap(), 4);
    assert!(matches!(store.commit_item_derivation(&row("itm_b", "itm_c"), b"d"), Err(StoreError::Duplicate(_))));
    assert_eq!(store.log_size().unwrap(), 5);
    h.reopen();
    let store = h.store();
    assert_eq!(store.entries(3, 4).unwrap(), vec![b"derive b".to_vec()]);
    assert_eq!(store.entry_objects(3, 5).unwrap(), vec!["itm_b".to_owned(), "itm_c".to_owned()]);
    let b = evident_store::ItemDerivationRow { log_index: 3, ..row("itm_b", "itm_a") };
    let c = evident_store::ItemDerivationRow { log_index: 4, ..row("itm_c", "itm_a") };
    assert_eq!(store.item_derivation("itm_b").unwrap(), Some(b.clone()));
    assert_eq!(store.item_derivations(Some("itm_a")).unwrap(), vec![b.clone(), c.clone()]);
    assert_eq!(store.item_derivations(Some("itm_b")).unwrap(), vec![]);
    assert_eq!(store.item_derivations(None).unwrap(), vec![b, c]);
}

macro_rules! every_backend {
    ($($case:ident),* $(,)?) => {
        contract_suite!(sqlite_in_memory: $($case),*);
        contract_suite!(sqlite_on_disk: $($case),*);
        contract_suite!(memory: $($case),*);
        // Durability across a reopen only means something on disk.
        mod durability {
            contract_suite!(sqlite_on_disk: everything_survives_reopening);
        }
    };
}

every_backend!(
    a_new_store_is_empty,
    indexes_are_dense_across_every_writer,
    items_are_found_by_id_and_digest_and_listed_in_id_order,
    a_repeated_digest_or_id_fails_the_whole_item_batch,
    pending_markers_are_a_set_cleared_by_their_commit,
    record_versions_are_compare_and_swap,
    a_conflict_anywhere_in_a_batch_leaves_nothing,
    references_are_checked_at_the_end_of_the_batch,
    references_follow_the_latest_version,
    an_aborted_import_leaves_nothing_and_stops_reading,
    a_large_import_commits_once_with_forward_references,
    entries_refuse_missing_ranges,
    for_each_record_filters_by_kind_in_id_order_and_stops_early,
    record_history_is_oldest_first_and_never_rewritten,
    for_each_record_version_walks_the_log_in_order,
    checkpoints_are_kept_by_size,
    entry_objects_list_each_changed_object_once,
    item_texts_replace_and_refuse_unknown_items,
    claim_candidates_are_found_once_and_reviewed_once,
    users_are_unique_by_name_and_change_in_place,
    credentials_belong_to_users_and_are_revoked_once,
    audit_events_are_numbered_and_committed_once_in_batches,
    sealed_keys_are_stored_once_before_their_item_and_removed_for_good,
    forgetting_destroys_keys_with_its_entry_and_rewrapping_replaces_them,
    sealed_grants_name_one_person_per_target_and_are_revoked_once,
    intake_cases_are_found_by_code_hash_and_stored_all_or_nothing,
    derivations_link_existing_items_once_with_their_entry,
    record_keys_are_stored_replaced_and_listed_for_rotation,
    backends_are_send,
);
