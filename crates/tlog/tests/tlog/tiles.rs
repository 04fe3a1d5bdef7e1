//! Tiles: paths, the tile set of a tree, and the appender's edge.

use std::collections::HashMap;

use evident_tlog::{
    Hash, HashReader, LeafHashes, TileEdge, TileId, TlogError, consistency_proof, decode_tile, inclusion_proof,
    leaf_hash, partial_tiles_for_size, root_of_leaf_hashes, tile_containing_hash, tiles_for_size, tree_root,
};

/// Stored tiles, as an archive would keep them: one file per tile id.
#[derive(Default)]
pub struct TileStore {
    pub tiles: HashMap<TileId, Vec<u8>>,
}

impl TileStore {
    pub fn store(&mut self, written: Vec<(TileId, Vec<u8>)>) {
        for (id, bytes) in written {
            self.tiles.insert(id, bytes);
        }
    }

    /// A reader over the tiles of the tree of `size` leaves.
    pub fn reader(&self, size: u64) -> TileReader<'_> {
        TileReader { store: self, size }
    }

    pub fn read(&self, id: TileId) -> Result<Vec<u8>, TlogError> {
        self.tiles.get(&id).cloned().ok_or_else(|| TlogError::Read(format!("{} not stored", id.path())))
    }
}

/// A [`HashReader`] over stored tiles: each hash comes from the tile that a
/// tree of `size` has at its position.
pub struct TileReader<'a> {
    store: &'a TileStore,
    size: u64,
}

impl HashReader for TileReader<'_> {
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, TlogError> {
        let id = tile_containing_hash(self.size, level, index)
            .ok_or_else(|| TlogError::Read(format!("no hash {level}/{index}")))?;
        let hashes = decode_tile(id, &self.store.read(id)?)?;
        Ok(hashes[(index % 256) as usize])
    }

    /// One tile read per call; generation promises runs within one tile.
    fn read_hashes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TlogError> {
        let last = start + count - 1;
        if count == 0 || count > 128 || start / 256 != last / 256 {
            return Err(TlogError::Read(format!("run {start}..={last} at level {level} is not within one tile")));
        }
        let id = tile_containing_hash(self.size, level, last)
            .ok_or_else(|| TlogError::Read(format!("no hash {level}/{last}")))?;
        let hashes = decode_tile(id, &self.store.read(id)?)?;
        Ok(hashes[(start % 256) as usize..=(last % 256) as usize].to_vec())
    }
}

pub fn test_leaves(count: u64, salt: u8) -> Vec<Hash> {
    (0..count)
        .map(|i| {
            let mut entry = i.to_be_bytes().to_vec();
            entry.push(salt);
            leaf_hash(&entry)
        })
        .collect()
}

#[test]
fn tile_paths_from_the_spec() {
    let tile = TileId { level: 0, index: 1_234_067, width: 256 };
    assert_eq!(tile.path(), "tile/0/x001/x234/067");
    assert_eq!(tile.entries_path(), "tile/entries/x001/x234/067");
    assert!(tile.is_full());
    assert_eq!(TileId::parse("tile/0/x001/x234/067").unwrap(), tile);
    assert_eq!(TileId::parse_entries("tile/entries/x001/x234/067").unwrap(), tile);

    let paths: Vec<String> = tiles_for_size(70_000).iter().map(TileId::path).collect();
    assert_eq!(paths.len(), 273 + 1 + 1 + 1 + 1);
    assert_eq!(paths[0], "tile/0/000");
    assert_eq!(paths[272], "tile/0/272");
    assert_eq!(&paths[273..], ["tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]);
    for path in &paths {
        assert_eq!(&TileId::parse(path).unwrap().path(), path);
    }
    assert!(TileId::parse("tile/0/273.p/112").is_ok_and(|id| !id.is_full() && id.width == 112));
}

#[test]
fn non_canonical_tile_paths_are_rejected() {
    for bad in [
        "tile/0/x000/273",
        "tile/0/0273",
        "tile/0/273.p/0112",
        "tile/0/273.p/256",
        "tile/00/273",
        "tile/0/273/",
        "tile/0/x273",
        "tile/entries/273",
        "tiles/0/273",
        "tile/0/273.P/12",
    ] {
        assert!(matches!(TileId::parse(bad), Err(TlogError::Malformed { .. })), "{bad:?} was accepted");
    }
    assert!(TileId::parse_entries("tile/entries/x000/273").is_err());
    assert!(TileId::parse_entries("tile/0/273").is_err());
}

#[test]
fn seventy_thousand_leaves_through_the_edge() {
    let leaves = test_leaves(70_000, 0);
    let mut edge = TileEdge::empty();
    let mut store = TileStore::default();
    for chunk in leaves.chunks(999) {
        store.store(edge.append(chunk));
    }
    assert_eq!(edge.size(), 70_000);
    let want = root_of_leaf_hashes(&leaves);
    assert_eq!(edge.root(), want);
    assert_eq!(tree_root(70_000, &store.reader(70_000)).unwrap(), want);
    for id in tiles_for_size(70_000) {
        assert!(store.tiles.contains_key(&id), "{} was never written", id.path());
    }
    let reader = LeafHashes(leaves.clone());
    for index in [0, 255, 256, 65_535, 65_536, 69_999] {
        assert_eq!(
            inclusion_proof(index, 70_000, &store.reader(70_000)).unwrap(),
            inclusion_proof(index, 70_000, &reader).unwrap()
        );
    }
    assert_eq!(
        consistency_proof(65_537, 70_000, &store.reader(70_000)).unwrap(),
        consistency_proof(65_537, 70_000, &reader).unwrap()
    );

    // Reloading from the partial tiles gives an edge that continues the same
    // tree.
    let mut reloaded = TileEdge::load(70_000, |id| store.read(id)).unwrap();
    assert_eq!(reloaded.root(), want);
    let more = test_leaves(600, 1);
    let from_fresh = edge.append(&more);
    let from_reloaded = reloaded.append(&more);
    assert_eq!(from_fresh, from_reloaded);
    assert_eq!(reloaded.root(), edge.root());
}

#[test]
fn edge_load_reads_exactly_the_partial_tiles() {
    let leaves = test_leaves(70_000, 2);
    let mut edge = TileEdge::empty();
    let mut store = TileStore::default();
    store.store(edge.append(&leaves));
    let mut requested = Vec::new();
    TileEdge::load(70_000, |id| {
        requested.push(id);
        store.read(id)
    })
    .unwrap();
    assert_eq!(requested, partial_tiles_for_size(70_000));

    // A stored partial tile of the wrong width is corruption.
    let result = TileEdge::load(70_000, |id| {
        let mut bytes = store.read(id)?;
        if id.level == 1 {
            bytes.truncate(bytes.len() - 32);
        }
        Ok(bytes)
    });
    assert!(matches!(result, Err(TlogError::Corrupted { .. })));
}
