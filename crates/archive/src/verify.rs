//! `evident verify`: everything the archive claims, checked from the bytes
//! on disk. Each problem names the item, file or tile it concerns; nothing
//! is repaired.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use evident_core::{AUDIT_BATCH, ITEM_FORGET, LogEntry, RECORD_VERSION};
use evident_store::RecordVersionRow;
use evident_tlog::{
    Checkpoint, Hash, NoteVerifier, TILE_WIDTH, decode_entry_bundle, decode_tile, entry_bundles_for_size, leaf_hash,
    open_checkpoint, tiles_for_size,
};
use serde::Serialize;

use crate::audit::batch_digest;
use crate::records::version_digest;
use crate::{Archive, Result};

/// One thing that does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// what it concerns: an item id, a path under the archive, a tile
    pub what: String,
    pub detail: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    pub items: u64,
    pub records: u64,
    pub record_versions: u64,
    pub objects: u64,
    pub log_size: u64,
    /// audit events noted, and how many of them a log entry commits to
    pub audit_events: u64,
    pub audit_committed: u64,
    /// sealed items, and how many of them could not be opened (no key-
    /// encryption key): their ciphertext, inventories and log entries are
    /// checked, but not their content against their commitments
    pub sealed: u64,
    pub sealed_unopened: u64,
    /// why sealed items could not be opened, if they could not
    pub sealed_locked: Option<String>,
    /// sealed items whose keys were destroyed (`evident forget`): their
    /// ciphertext, inventories and entries are checked, and their
    /// `item.forget` entries against the database; their content cannot
    /// be checked any more (its key is gone)
    pub forgotten: u64,
    /// the forgotten items' ids
    pub forgotten_ids: Vec<String>,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

struct Collector<'o> {
    problems: Vec<Problem>,
    observer: &'o mut dyn FnMut(&Problem),
}

impl Collector<'_> {
    fn problem(&mut self, what: impl Into<String>, detail: impl Into<String>) {
        let problem = Problem { what: what.into(), detail: detail.into() };
        (self.observer)(&problem);
        self.problems.push(problem);
    }
}

/// A sealed item: its entry must be a sealed one with one commitment, and
/// it must have its keys. With the KEK, its content is decrypted and
/// checked against the commitment; without, it is counted as unopened (its
/// ciphertext is still checked against the inventory like any file).
fn check_sealed(
    archive: &Archive,
    item: &evident_store::ItemRecord,
    entry: &LogEntry,
    has_keys: bool,
    report: &mut VerifyReport,
    found: &mut Collector<'_>,
) -> Result<()> {
    report.sealed += 1;
    if !entry.is_sealed() {
        found.problem(&item.id, "the item has sealed keys but its log entry is not a sealed one");
        return Ok(());
    }
    if !has_keys {
        found.problem(&item.id, "its log entry is sealed but the item has no sealed keys (lost or forgotten)");
        return Ok(());
    }
    let Some(commitment) = entry.commitments().iter().find(|c| c.name == item.file_name) else {
        found.problem(&item.id, format!("log entry {} has no commitment to {}", item.log_index, item.file_name));
        return Ok(());
    };
    if let Err(error) = archive.keyring() {
        report.sealed_unopened += 1;
        report.sealed_locked.get_or_insert_with(|| error.to_string());
        return Ok(());
    }
    if let Some(reason) = archive.check_sealed_commitment(&item.id, &commitment.commitment)? {
        found.problem(&item.id, reason);
    }
    Ok(())
}

pub(crate) fn verify(
    archive: &Archive,
    verifier: &NoteVerifier,
    observer: &mut dyn FnMut(&Problem),
) -> Result<VerifyReport> {
    let mut found = Collector { problems: Vec::new(), observer };
    let mut report = VerifyReport::default();
    let log = archive.log();

    // The checkpoint: signed by the log key, naming this archive's origin.
    let checkpoint = match log.read_checkpoint().map(|note| open_checkpoint(&note, verifier)) {
        Ok(Ok(checkpoint)) => Some(checkpoint),
        Ok(Err(e)) => {
            found.problem("log/checkpoint", format!("not a valid checkpoint signed by {}: {e}", verifier.name()));
            None
        }
        Err(e) => {
            found.problem("log/checkpoint", e.to_string());
            None
        }
    };
    if let Some(checkpoint) = &checkpoint
        && checkpoint.origin != archive.settings.origin
    {
        found.problem(
            "log/checkpoint",
            format!("origin {:?} is not this archive's {:?}", checkpoint.origin, archive.settings.origin),
        );
    }

    let store_size = archive.store.log_size()?;
    let size = checkpoint.as_ref().map(|c| c.size).unwrap_or(store_size);
    report.log_size = size;
    if store_size != size {
        found.problem(
            "log/checkpoint",
            format!("covers {size} entries but the database holds {store_size}; open the archive with a command that writes to repair"),
        );
    }
    let entries = check_log(archive, checkpoint.as_ref(), size.min(store_size), &mut found)?;

    // Items against their log entries and objects.
    let items = archive.store.items()?;
    report.items = items.len() as u64;
    let forgotten_rows: BTreeMap<String, evident_store::ForgottenItemRow> =
        archive.store.forgotten_items()?.into_iter().map(|row| (row.item_id.clone(), row)).collect();
    let mut item_ids = BTreeSet::new();
    for item in &items {
        item_ids.insert(item.id.clone());
        match entries.get(item.log_index as usize).map(|e| LogEntry::decode(e)) {
            None => found.problem(&item.id, format!("its log entry {} is not in the log", item.log_index)),
            Some(Err(e)) => found.problem(&item.id, format!("log entry {}: {e}", item.log_index)),
            Some(Ok(entry)) => {
                if entry.id != item.id {
                    found.problem(&item.id, format!("log entry {} is for {}, not this item", item.log_index, entry.id));
                }
                if entry.inventory.as_deref() != Some(item.inventory_digest.as_str()) {
                    found.problem(
                        &item.id,
                        format!("log entry {} commits to another inventory than the database records", item.log_index),
                    );
                }
                let sealed_keys = archive.store.sealed_item(&item.id)?.is_some();
                let forgotten = forgotten_rows.contains_key(&item.id);
                if forgotten {
                    report.forgotten += 1;
                    report.forgotten_ids.push(item.id.clone());
                    if !entry.is_sealed() {
                        found.problem(
                            &item.id,
                            "the item is recorded as forgotten but its log entry is not a sealed one",
                        );
                    }
                    if sealed_keys {
                        found.problem(
                            &item.id,
                            "the item is recorded as forgotten but its sealed keys are still stored",
                        );
                    }
                } else if entry.is_sealed() || sealed_keys {
                    check_sealed(archive, item, &entry, sealed_keys, &mut report, &mut found)?;
                } else if !entry.files().iter().any(|f| f.sha256 == item.sha256 && f.size == item.size) {
                    found.problem(
                        &item.id,
                        format!("log entry {} does not carry the item's sha256 and size", item.log_index),
                    );
                }
            }
        }
        match archive.objects.validate_object(&item.id) {
            Ok(problems) => {
                for problem in problems {
                    found.problem(format!("{} (ocfl/{})", item.id, problem.path.display()), problem.detail);
                }
            }
            Err(e) => found.problem(&item.id, format!("object: {e}")),
        }
        match archive.objects.inventory_digest(&item.id) {
            Ok(digest) if digest == item.inventory_digest => {}
            Ok(_) => {
                found.problem(&item.id, "the object's inventory is not the one the database and the log commit to")
            }
            Err(e) => found.problem(&item.id, format!("inventory: {e}")),
        }
        match archive.objects.read_inventory(&item.id) {
            Ok(inventory) => {
                let listed = inventory.manifest.contains_key(&item.sha256);
                if !listed {
                    found.problem(&item.id, "the object does not hold the item's bytes (sha256 not in its manifest)");
                }
            }
            Err(e) => found.problem(&item.id, format!("inventory: {e}")),
        }
    }

    // Log entries without an item, objects without an item.
    // Record versions: each stored version must hash to its digest, and its
    // log entry must commit to that digest; the current record must be the
    // latest version.
    let mut versions = Vec::new();
    archive.store.for_each_record_version(&mut |row| {
        versions.push(row);
        Ok(())
    })?;
    report.record_versions = versions.len() as u64;
    let mut version_entries = BTreeSet::new();
    let mut latest: BTreeMap<String, RecordVersionRow> = BTreeMap::new();
    for row in versions {
        let what = format!("{} v{}", row.id, row.version);
        match version_digest(&row) {
            Ok(digest) if digest == row.digest => {}
            Ok(_) => {
                found.problem(&what, "the stored version does not hash to its digest (it was changed after the fact)")
            }
            Err(e) => found.problem(&what, e.to_string()),
        }
        version_entries.insert(row.log_index);
        match entries.get(row.log_index as usize).map(|e| LogEntry::decode(e)) {
            None => found.problem(&what, format!("its log entry {} is not in the log", row.log_index)),
            Some(Err(e)) => found.problem(&what, format!("log entry {}: {e}", row.log_index)),
            Some(Ok(entry)) => {
                if entry.kind != RECORD_VERSION || entry.id != row.id || entry.version != format!("v{}", row.version) {
                    found.problem(&what, format!("log entry {} is not this version", row.log_index));
                } else if entry.digest.as_deref() != Some(row.digest.as_str()) {
                    found.problem(&what, format!("log entry {} commits to another digest", row.log_index));
                }
            }
        }
        latest.insert(row.id.clone(), row);
    }
    report.records = latest.len() as u64;
    for (id, row) in &latest {
        match archive.store.record(id)? {
            Some(current)
                if current.version == row.version
                    && current.fields == row.fields
                    && current.retracted == row.retracted => {}
            Some(_) => found.problem(id, "the current record is not its latest version"),
            None => found.problem(id, "the record has versions but no current state"),
        }
    }

    let batch_entries = check_audit(archive, &entries, &mut report, &mut found)?;
    let forget_entries = check_forgotten(&items, &forgotten_rows, &entries, &mut found)?;
    let derive_entries =
        crate::redact::check_derivations(archive, &entries, &mut |what, detail| found.problem(what, detail))?;
    for (index, entry) in entries.iter().enumerate() {
        let Ok(entry) = LogEntry::decode(entry) else { continue };
        if entry.kind == evident_core::ITEM_ADD && !item_ids.contains(&entry.id) {
            found.problem(
                format!("log entry {index}"),
                format!("adds item {} which the database does not hold", entry.id),
            );
        }
        if entry.kind == ITEM_FORGET && !forget_entries.contains(&(index as u64)) {
            found.problem(
                format!("log entry {index}"),
                format!("records forgetting {} which the database does not hold", entry.id),
            );
        }
        if entry.kind == evident_core::ITEM_DERIVE && !derive_entries.contains(&(index as u64)) {
            found.problem(
                format!("log entry {index}"),
                format!("records {} as derived from {:?}, which the database does not hold", entry.id, entry.source),
            );
        }
        if entry.kind == AUDIT_BATCH && !batch_entries.contains(&(index as u64)) {
            found.problem(
                format!("log entry {index}"),
                format!("commits audit batch {} which the database does not hold", entry.version),
            );
        }
        if entry.kind == RECORD_VERSION && !version_entries.contains(&(index as u64)) {
            found.problem(
                format!("log entry {index}"),
                format!("records {} {} which the database does not hold", entry.id, entry.version),
            );
        }
    }
    let roots = archive.objects.list_object_roots()?;
    report.objects = roots.len() as u64;
    let expected: BTreeSet<_> =
        item_ids.iter().map(|id| evident_objects::StorageRoot::object_relative_path(id)).collect();
    for root in roots {
        let relative = root.strip_prefix(archive.objects.path()).map(|p| p.to_owned()).unwrap_or(root.clone());
        if !expected.contains(&relative) {
            found
                .problem(format!("ocfl/{}", relative.display()), "an object that no item in the database accounts for");
        }
    }

    report.problems = found.problems;
    Ok(report)
}

/// Checks entry bundles, the database's entries and every hash tile
/// against each other and the checkpoint root. Returns the entries as the
/// database holds them.
fn check_log(
    archive: &Archive,
    checkpoint: Option<&Checkpoint>,
    size: u64,
    found: &mut Collector<'_>,
) -> Result<Vec<Vec<u8>>> {
    let log = archive.log();
    let entries = archive.store.entries(0, size)?;
    let mut leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();

    // Entry bundles must hold exactly the database's entries.
    let mut bundle_hashes: HashMap<u64, Hash> = HashMap::new();
    for bundle in entry_bundles_for_size(size) {
        let path = bundle.entries_path();
        let bytes = match log.read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                found.problem(format!("log/{path}"), format!("cannot read: {e}"));
                continue;
            }
        };
        match decode_entry_bundle(&bytes) {
            Ok(bundle_entries) if bundle_entries.len() == usize::from(bundle.width) => {
                for (offset, entry) in bundle_entries.iter().enumerate() {
                    let index = bundle.index * TILE_WIDTH + offset as u64;
                    if *entry != entries[index as usize] {
                        bundle_hashes.insert(index, leaf_hash(entry));
                        found
                            .problem(format!("log/{path}"), format!("entry {index} differs from the database's entry"));
                    }
                }
            }
            Ok(bundle_entries) => found.problem(
                format!("log/{path}"),
                format!("holds {} entries, expected {}", bundle_entries.len(), bundle.width),
            ),
            Err(e) => found.problem(format!("log/{path}"), e.to_string()),
        }
    }

    // Every hash tile, level by level, against hashes computed from the
    // entries; a level's full tiles give the next level's hashes.
    let tiles = tiles_for_size(size);
    let mut level_hashes = std::mem::take(&mut leaves);
    let mut level = 0u8;
    loop {
        for tile in tiles.iter().filter(|t| t.level == level) {
            let path = tile.path();
            let start = (tile.index * TILE_WIDTH) as usize;
            let expected = &level_hashes[start..start + usize::from(tile.width)];
            match log
                .read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| decode_tile(*tile, &b).map_err(|e| e.to_string()))
            {
                Ok(stored) if stored == expected => {}
                Ok(stored) => {
                    let first = stored.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(0);
                    let index = tile.index * TILE_WIDTH + first as u64;
                    // a bundle entry that differs from the database but matches
                    // the tile means the database changed, not the tile
                    if level == 0 && bundle_hashes.get(&index) == Some(&stored[first]) {
                        found.problem(
                            format!("log entry {index}"),
                            "the database's entry differs from the published entry and tile",
                        );
                    } else {
                        found.problem(format!("log/{path}"), format!("hash {first} does not match the log entries"));
                    }
                }
                Err(e) => found.problem(format!("log/{path}"), e),
            }
        }
        let next: Vec<Hash> =
            level_hashes.chunks_exact(TILE_WIDTH as usize).map(evident_tlog::root_of_leaf_hashes).collect();
        if next.is_empty() {
            break;
        }
        level_hashes = next;
        level += 1;
    }

    if let Some(checkpoint) = checkpoint {
        let root = evident_tlog::root_of_leaf_hashes(&entries.iter().map(|e| leaf_hash(e)).collect::<Vec<_>>());
        if checkpoint.size == size && root != checkpoint.root {
            found.problem("log/checkpoint", "its root hash does not match the log entries");
        }
    }
    Ok(entries)
}

/// Forgotten items against their `item.forget` entries: each entry is the
/// item's next version and commits to the salted digest of the recorded
/// forgetting. Returns the log indexes of those entries.
fn check_forgotten(
    items: &[evident_store::ItemRecord],
    rows: &BTreeMap<String, evident_store::ForgottenItemRow>,
    entries: &[Vec<u8>],
    found: &mut Collector<'_>,
) -> Result<BTreeSet<u64>> {
    let versions: HashMap<&str, &str> = items.iter().map(|item| (item.id.as_str(), item.version.as_str())).collect();
    let mut indexes = BTreeSet::new();
    for (id, row) in rows {
        indexes.insert(row.log_index);
        let what = format!("{id} (forgotten)");
        let Some(version) = versions.get(id.as_str()) else {
            found.problem(&what, "is recorded as forgotten but the database holds no such item");
            continue;
        };
        let version = format!("v{}", crate::forget::next_version(id, version)?);
        let digest = crate::forget::forget_digest(row, &version)?;
        match entries.get(row.log_index as usize).map(|e| LogEntry::decode(e)) {
            None => found.problem(&what, format!("its log entry {} is not in the log", row.log_index)),
            Some(Err(e)) => found.problem(&what, format!("log entry {}: {e}", row.log_index)),
            Some(Ok(entry)) => {
                if entry.kind != ITEM_FORGET || entry.id != *id || entry.version != version {
                    found.problem(&what, format!("log entry {} is not its forgetting", row.log_index));
                } else if entry.digest.as_deref() != Some(digest.as_str())
                    || entry.time != row.forgotten_at
                    || entry.actor != row.actor
                {
                    found.problem(
                        &what,
                        format!(
                            "log entry {} commits to another forgetting than the database records (changed afterwards)",
                            row.log_index
                        ),
                    );
                }
            }
        }
    }
    Ok(indexes)
}

/// The audit trail against its `audit.batch` entries: each batch's events
/// hash to the digest its entry commits to, and every event up to the last
/// batch belongs to one. Returns the log indexes of the batches.
fn check_audit(
    archive: &Archive,
    entries: &[Vec<u8>],
    report: &mut VerifyReport,
    found: &mut Collector<'_>,
) -> Result<BTreeSet<u64>> {
    let events = archive.store.audit_events(1, usize::MAX)?;
    report.audit_events = events.len() as u64;
    let mut indexes = BTreeSet::new();
    let mut expected_first = 1;
    for batch in archive.store.audit_batches()? {
        let what = format!("audit batch {}", batch.batch);
        indexes.insert(batch.log_index);
        if batch.first != expected_first {
            found.problem(&what, format!("starts at event {} but event {expected_first} is next", batch.first));
        }
        expected_first = batch.last + 1;
        let rows: Vec<_> = events.iter().filter(|row| (batch.first..=batch.last).contains(&row.seq)).cloned().collect();
        if rows.len() as u64 != batch.last - batch.first + 1 {
            found.problem(
                &what,
                format!("events {}..={} are not all there (events were removed afterwards)", batch.first, batch.last),
            );
        } else if rows.iter().any(|row| row.batch != Some(batch.batch)) {
            found.problem(&what, "its events are marked as belonging to another batch");
        }
        report.audit_committed += rows.len() as u64;
        let digest = batch_digest(&rows);
        if digest.as_str() != batch.digest {
            found.problem(&what, "its events do not hash to its digest (an event was changed afterwards)");
        }
        match entries.get(batch.log_index as usize).map(|e| LogEntry::decode(e)) {
            None => found.problem(&what, format!("its log entry {} is not in the log", batch.log_index)),
            Some(Err(e)) => found.problem(&what, format!("log entry {}: {e}", batch.log_index)),
            Some(Ok(entry)) => {
                if entry.kind != AUDIT_BATCH
                    || entry.version != format!("v{}", batch.batch)
                    || entry.first != Some(batch.first)
                    || entry.last != Some(batch.last)
                {
                    found.problem(&what, format!("log entry {} is not this batch", batch.log_index));
                } else if entry.digest.as_deref() != Some(digest.as_str()) {
                    found.problem(
                        &what,
                        format!("log entry {} commits to other events than the database holds", batch.log_index),
                    );
                }
            }
        }
    }
    if let Some(row) = events.iter().find(|row| row.seq < expected_first && row.batch.is_none()) {
        found.problem(format!("audit event {}", row.seq), "lies inside committed batches but belongs to none");
    }
    Ok(indexes)
}
