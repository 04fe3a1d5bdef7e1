//! The transparency log on disk: C2SP tiles, entry bundles and the signed
//! checkpoint under `log/`, laid out so that a static file server can
//! publish the directory as it is.
//!
//! Publishing writes new tiles and bundles first (new paths only: a partial
//! tile of another width is another file), makes them durable with one
//! file-system sync, and only then replaces the checkpoint, the one mutable
//! file, durably. Before extending the tree it recomputes the current root
//! from the right-edge tiles and compares it with the signed checkpoint, so
//! a damaged tile is reported instead of being built upon and signed.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::PathBuf;

use evident_objects::{sync_filesystem, write_file_durably};
use evident_store::MetadataStore;
use evident_tlog::{
    Checkpoint, Hash, HashReader, NoteSigner, NoteVerifier, TILE_WIDTH, TileEdge, TileId, TlogError, TlogProof,
    decode_tile, encode_entry_bundle, entry_bundles_for_size, inclusion_proof, leaf_hash, open_checkpoint,
    sign_checkpoint, tile_containing_hash, tiles_for_size, verify_inclusion,
};

use crate::{ArchiveError, Result};

pub(crate) struct LogFiles {
    dir: PathBuf,
}

impl LogFiles {
    pub(crate) fn new(dir: PathBuf) -> LogFiles {
        LogFiles { dir }
    }

    pub(crate) fn checkpoint_path(&self) -> PathBuf {
        self.dir.join("checkpoint")
    }

    pub(crate) fn path_of(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    pub(crate) fn read_checkpoint(&self) -> Result<String> {
        let path = self.checkpoint_path();
        let bytes = fs::read(&path).map_err(ArchiveError::io("read the checkpoint", &path))?;
        String::from_utf8(bytes).map_err(|_| ArchiveError::Corrupted {
            what: "log/checkpoint".to_owned(),
            detail: "not UTF-8 text".to_owned(),
        })
    }

    /// The current checkpoint, its signature checked against `verifier`.
    pub(crate) fn open_checkpoint(&self, verifier: &NoteVerifier) -> Result<Checkpoint> {
        let note = self.read_checkpoint()?;
        open_checkpoint(&note, verifier)
            .map_err(|e| ArchiveError::Corrupted { what: "log/checkpoint".to_owned(), detail: e.to_string() })
    }

    pub(crate) fn read(&self, relative: &str) -> std::io::Result<Vec<u8>> {
        fs::read(self.dir.join(relative))
    }

    /// Writes a tile or bundle with temp file and rename, without fsync:
    /// the caller syncs the file system once for the whole batch.
    fn write_unsynced(&self, relative: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(relative);
        let parent = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(parent).map_err(ArchiveError::io("create", parent))?;
        let temp = parent.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("tile")));
        fs::write(&temp, bytes).map_err(ArchiveError::io("write", &temp))?;
        fs::rename(&temp, &path).map_err(ArchiveError::io("rename", &path))?;
        Ok(())
    }
}

/// Reads tile-level hashes from the tile files of a tree of `size`,
/// caching each tile it reads.
pub(crate) struct TileFileReader<'a> {
    files: &'a LogFiles,
    size: u64,
    cache: RefCell<HashMap<TileId, Vec<Hash>>>,
}

impl<'a> TileFileReader<'a> {
    pub(crate) fn new(files: &'a LogFiles, size: u64) -> TileFileReader<'a> {
        TileFileReader { files, size, cache: RefCell::new(HashMap::new()) }
    }
}

impl HashReader for TileFileReader<'_> {
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, TlogError> {
        let tile = tile_containing_hash(self.size, level, index).ok_or_else(|| {
            TlogError::Read(format!("hash {index} at level {level} is beyond a tree of {}", self.size))
        })?;
        let mut cache = self.cache.borrow_mut();
        if let std::collections::hash_map::Entry::Vacant(e) = cache.entry(tile) {
            let bytes =
                self.files.read(&tile.path()).map_err(|e| TlogError::Read(format!("log/{}: {e}", tile.path())))?;
            e.insert(decode_tile(tile, &bytes)?);
        }
        Ok(cache[&tile][(index % TILE_WIDTH) as usize])
    }
}

/// The right edge of the current tree, checked against the signed root:
/// the tiles a new append builds on.
pub(crate) fn load_edge(log: &LogFiles, current: &Checkpoint) -> Result<TileEdge> {
    let edge = TileEdge::load(current.size, |tile| {
        log.read(&tile.path()).map_err(|e| TlogError::Read(format!("log/{}: {e}", tile.path())))
    })
    .map_err(|e| ArchiveError::Corrupted { what: "log tiles".to_owned(), detail: e.to_string() })?;
    if edge.root() != current.root {
        return Err(ArchiveError::Corrupted {
            what: "log tiles".to_owned(),
            detail: "the right-edge tiles do not hash to the signed checkpoint's root; run `evident verify`".to_owned(),
        });
    }
    Ok(edge)
}

pub(crate) fn publish(
    log: &LogFiles,
    store: &mut dyn MetadataStore,
    signer: &NoteSigner,
    verifier: &NoteVerifier,
    target: u64,
) -> Result<Checkpoint> {
    let current = log.open_checkpoint(verifier)?;
    if target < current.size {
        return Err(ArchiveError::Corrupted {
            what: "log/checkpoint".to_owned(),
            detail: format!("it covers {} entries but the database holds only {target}", current.size),
        });
    }
    let mut edge = load_edge(log, &current)?;

    // Entries from the start of the first bundle that changes, so that the
    // bundle can be rewritten whole; the ones already covered must agree
    // with the level-0 tile the checkpoint vouches for.
    let bundle_start = current.size / TILE_WIDTH * TILE_WIDTH;
    let entries = store.entries(bundle_start, target)?;
    let covered = (current.size - bundle_start) as usize;
    if covered > 0 {
        let tile = TileId { level: 0, index: current.size / TILE_WIDTH, width: covered as u16 };
        let bytes = log.read(&tile.path()).map_err(ArchiveError::io("read", &log.path_of(&tile.path())))?;
        let hashes = decode_tile(tile, &bytes)?;
        for (offset, (entry, hash)) in entries.iter().zip(&hashes).enumerate() {
            if leaf_hash(entry) != *hash {
                return Err(ArchiveError::Corrupted {
                    what: format!("log entry {}", bundle_start + offset as u64),
                    detail: "the database's entry does not match the published tile".to_owned(),
                });
            }
        }
    }
    let leaf_hashes: Vec<Hash> = entries[covered..].iter().map(|e| leaf_hash(e)).collect();
    for (tile, bytes) in edge.append(&leaf_hashes) {
        log.write_unsynced(&tile.path(), &bytes)?;
    }
    let mut bundle = current.size / TILE_WIDTH;
    while bundle * TILE_WIDTH < target {
        let start = (bundle * TILE_WIDTH - bundle_start) as usize;
        let end = (((bundle + 1) * TILE_WIDTH).min(target) - bundle_start) as usize;
        let slice: Vec<&[u8]> = entries[start..end].iter().map(|e| e.as_slice()).collect();
        let tile = TileId { level: 0, index: bundle, width: slice.len() as u16 };
        log.write_unsynced(&tile.entries_path(), &encode_entry_bundle(&slice)?)?;
        bundle += 1;
    }
    sync_filesystem(&log.dir)?;

    let next = Checkpoint { origin: current.origin.clone(), size: target, root: edge.root(), extensions: vec![] };
    let note = sign_checkpoint(&next, signer)?;
    write_file_durably(&log.checkpoint_path(), note.as_bytes())?;
    store.record_checkpoint(target, &note)?;
    remove_superseded_partials(log, current.size, target);
    Ok(next)
}

/// Partial tiles of the old size that the new size replaced. Removing them
/// is tidiness, not correctness: failures are logged and ignored.
fn remove_superseded_partials(log: &LogFiles, old: u64, new: u64) {
    let keep: BTreeSet<String> = tiles_for_size(new)
        .iter()
        .map(|t| t.path())
        .chain(entry_bundles_for_size(new).iter().map(|t| t.entries_path()))
        .collect();
    let old_paths = tiles_for_size(old)
        .into_iter()
        .filter(|t| !t.is_full())
        .map(|t| t.path())
        .chain(entry_bundles_for_size(old).into_iter().filter(|t| !t.is_full()).map(|t| t.entries_path()));
    for path in old_paths {
        if !keep.contains(&path)
            && let Err(e) = fs::remove_file(log.path_of(&path))
        {
            tracing::warn!(tile = %path, error = %e, "could not remove a superseded partial tile");
        }
    }
}

pub(crate) fn receipt(
    log: &LogFiles,
    store: &dyn MetadataStore,
    verifier: &NoteVerifier,
    index: u64,
) -> Result<String> {
    let note = log.read_checkpoint()?;
    let checkpoint = open_checkpoint(&note, verifier)
        .map_err(|e| ArchiveError::Corrupted { what: "log/checkpoint".to_owned(), detail: e.to_string() })?;
    if index >= checkpoint.size {
        return Err(ArchiveError::NotFound(format!(
            "log entry {index} is not yet covered by a checkpoint (size {})",
            checkpoint.size
        )));
    }
    let entry = store.entries(index, index + 1)?.remove(0);
    let reader = TileFileReader::new(log, checkpoint.size);
    let proof = inclusion_proof(index, checkpoint.size, &reader)
        .map_err(|e| ArchiveError::Corrupted { what: "log tiles".to_owned(), detail: e.to_string() })?;
    // Every tile the proof came from is checked here against the signed root.
    verify_inclusion(&leaf_hash(&entry), index, checkpoint.size, &proof, &checkpoint.root).map_err(|e| {
        ArchiveError::Corrupted {
            what: "log tiles".to_owned(),
            detail: format!(
                "the inclusion proof for entry {index} does not lead to the signed root ({e}); run `evident verify`"
            ),
        }
    })?;
    Ok(TlogProof { extra: Some(entry), index, proof, checkpoint: note }.to_text())
}
