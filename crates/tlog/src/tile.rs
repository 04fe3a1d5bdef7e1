//! Tiles and entry bundles (c2sp.org/tlog-tiles), and the right edge of a
//! tiled tree that an appender keeps.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::merkle::{Hash, empty_root, node_hash, root_of_leaf_hashes};
use crate::{TlogError, malformed, parse_canonical_decimal};

/// Number of hashes in a full tile (and entries in a full entry bundle).
pub const TILE_WIDTH: u64 = 256;

/// Highest tile level the specification allows in a path.
const MAX_LEVEL: u8 = 63;

/// Number of tile levels a `u64`-sized tree can populate (level 7 hashes are
/// roots of 2^56 leaves).
const LEVELS_IN_U64_TREE: u8 = 8;

/// Identifies one tile: a hash tile at `level`, or (for entry bundles, which
/// correspond to level-0 tiles) an entry bundle.
///
/// `width` is the number of hashes (or entries), `1..=256`; 256 is a full
/// tile, anything less a partial tile. The fields are public for
/// construction by the caller; [`TileId::parse`] and the `*_for_size`
/// functions only ever produce valid ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Tile level: 0 holds leaf hashes, level L holds roots of full level L−1 tiles.
    pub level: u8,
    /// Index of the tile within its level.
    pub index: u64,
    /// Number of hashes in the tile, `1..=256`.
    pub width: u16,
}

impl TileId {
    /// The hash tile path, `tile/<L>/<N>[.p/<W>]`, e.g. `tile/0/x001/x234/067`
    /// or `tile/0/273.p/112`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, self.index_and_width_path())
    }

    /// The entry bundle path, `tile/entries/<N>[.p/<W>]`. The level is
    /// ignored: entry bundles correspond to level-0 tiles.
    pub fn entries_path(&self) -> String {
        format!("tile/entries/{}", self.index_and_width_path())
    }

    /// Whether the tile holds all 256 hashes.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// `<N>[.p/<W>]`: the index in zero-padded groups of three digits, all
    /// but the last prefixed with `x`.
    fn index_and_width_path(&self) -> String {
        let digits = self.index.to_string();
        let padded_len = digits.len().div_ceil(3) * 3;
        let padded = format!("{digits:0>padded_len$}");
        let groups: Vec<&str> = (0..padded_len / 3).map(|group| &padded[group * 3..group * 3 + 3]).collect();
        let mut path = String::new();
        for (position, group) in groups.iter().enumerate() {
            if position + 1 < groups.len() {
                let _ = write!(path, "x{group}/");
            } else {
                path.push_str(group);
            }
        }
        if !self.is_full() {
            let _ = write!(path, ".p/{}", self.width);
        }
        path
    }

    /// Parses a hash tile path (the inverse of [`TileId::path`]). Only the
    /// canonical form is accepted: no extra leading zero groups, no `.p/256`,
    /// no leading zeroes in the level or width.
    pub fn parse(path: &str) -> Result<TileId, TlogError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| malformed("tile path", format!("{path:?} does not start with tile/")))?;
        let (level_text, rest) =
            rest.split_once('/').ok_or_else(|| malformed("tile path", format!("{path:?} has no tile index")))?;
        let level = parse_canonical_decimal(level_text)
            .filter(|level| *level <= u64::from(MAX_LEVEL))
            .ok_or_else(|| malformed("tile path", format!("{path:?} has an invalid level")))?;
        let id = parse_index_and_width(rest, level as u8, path)?;
        if id.path() != path {
            return Err(malformed("tile path", format!("{path:?} is not canonical")));
        }
        Ok(id)
    }

    /// Parses an entry bundle path (the inverse of [`TileId::entries_path`]);
    /// the returned id has level 0. Only the canonical form is accepted.
    pub fn parse_entries(path: &str) -> Result<TileId, TlogError> {
        let rest = path
            .strip_prefix("tile/entries/")
            .ok_or_else(|| malformed("entry bundle path", format!("{path:?} does not start with tile/entries/")))?;
        let id = parse_index_and_width(rest, 0, path)?;
        if id.entries_path() != path {
            return Err(malformed("entry bundle path", format!("{path:?} is not canonical")));
        }
        Ok(id)
    }
}

/// Parses `<N>[.p/<W>]`. Canonicity is checked by the caller by formatting
/// the result again.
fn parse_index_and_width(text: &str, level: u8, path: &str) -> Result<TileId, TlogError> {
    let bad = |detail: &str| malformed("tile path", format!("{path:?} {detail}"));
    let mut components: Vec<&str> = text.split('/').collect();
    let mut width = TILE_WIDTH as u16;
    if components.len() >= 2 {
        let before_last = components[components.len() - 2];
        if let Some(group) = before_last.strip_suffix(".p") {
            let width_text = components[components.len() - 1];
            width = parse_canonical_decimal(width_text)
                .filter(|width| (1..TILE_WIDTH).contains(width))
                .ok_or_else(|| bad("has an invalid partial width"))? as u16;
            components.pop();
            let last = components.len() - 1;
            components[last] = group;
        }
    }
    // A u64 has at most 20 decimal digits: 7 groups of three.
    if components.is_empty() || components.len() > 7 {
        return Err(bad("has an invalid tile index"));
    }
    let mut index: u64 = 0;
    for (position, component) in components.iter().enumerate() {
        let digits = if position + 1 < components.len() { component.strip_prefix('x') } else { Some(*component) }
            .filter(|digits| digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("has an invalid tile index"))?;
        let group: u64 = digits.parse().map_err(|_| bad("has an invalid tile index"))?;
        index = index
            .checked_mul(1000)
            .and_then(|index| index.checked_add(group))
            .ok_or_else(|| bad("has a tile index that does not fit 64 bits"))?;
    }
    Ok(TileId { level, index, width })
}

/// Number of tile-level hashes at `level` in a tree of `size` leaves.
fn hashes_at_level(size: u64, level: u8) -> u64 {
    if level >= LEVELS_IN_U64_TREE { 0 } else { size >> (8 * u32::from(level)) }
}

/// Every hash tile a tree of `size` leaves has: all full tiles and the last
/// partial tile at each level, ordered by level then index.
///
/// The list grows linearly with the size (one id per 256 leaves); callers
/// that only need the right edge use [`partial_tiles_for_size`].
pub fn tiles_for_size(size: u64) -> Vec<TileId> {
    let mut tiles = Vec::new();
    for level in 0..LEVELS_IN_U64_TREE {
        let count = hashes_at_level(size, level);
        if count == 0 {
            break;
        }
        tiles.extend((0..count / TILE_WIDTH).map(|index| TileId { level, index, width: TILE_WIDTH as u16 }));
        if !count.is_multiple_of(TILE_WIDTH) {
            tiles.push(TileId { level, index: count / TILE_WIDTH, width: (count % TILE_WIDTH) as u16 });
        }
    }
    tiles
}

/// The partial (right-edge) tile at each level of a tree of `size` leaves,
/// ordered by level: those an appender must read to continue the tree.
pub fn partial_tiles_for_size(size: u64) -> Vec<TileId> {
    (0..LEVELS_IN_U64_TREE)
        .map(|level| (level, hashes_at_level(size, level)))
        .take_while(|(_, count)| *count > 0)
        .filter(|(_, count)| count % TILE_WIDTH != 0)
        .map(|(level, count)| TileId { level, index: count / TILE_WIDTH, width: (count % TILE_WIDTH) as u16 })
        .collect()
}

/// The entry bundles (as level-0 tile ids) a tree of `size` leaves has: every
/// full bundle and the partial one, if any.
pub fn entry_bundles_for_size(size: u64) -> Vec<TileId> {
    let mut bundles: Vec<TileId> =
        (0..size / TILE_WIDTH).map(|index| TileId { level: 0, index, width: TILE_WIDTH as u16 }).collect();
    if !size.is_multiple_of(TILE_WIDTH) {
        bundles.push(TileId { level: 0, index: size / TILE_WIDTH, width: (size % TILE_WIDTH) as u16 });
    }
    bundles
}

/// The tile that stores hash `index` at `level` in a tree of `size` leaves
/// (the full tile if it exists, else the partial one), or `None` if the tree
/// has no such hash. Useful to implement a [`crate::HashReader`] over stored
/// tiles: read the tile, [`decode_tile`] it, take hash `index % 256`.
pub fn tile_containing_hash(size: u64, level: u8, index: u64) -> Option<TileId> {
    let count = hashes_at_level(size, level);
    if index >= count {
        return None;
    }
    let tile_index = index / TILE_WIDTH;
    let width = (count - tile_index * TILE_WIDTH).min(TILE_WIDTH);
    Some(TileId { level, index: tile_index, width: width as u16 })
}

/// Encodes an entry bundle: each entry prefixed with its length as a
/// big-endian `u16`. Fails if an entry is longer than 65,535 bytes.
pub fn encode_entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, TlogError> {
    let mut bundle = Vec::with_capacity(entries.iter().map(|entry| entry.len() + 2).sum());
    for (position, entry) in entries.iter().enumerate() {
        let length = u16::try_from(entry.len()).map_err(|_| {
            malformed(
                "entry",
                format!("entry {position} is {} bytes; log entries are at most 65535 bytes", entry.len()),
            )
        })?;
        bundle.extend_from_slice(&length.to_be_bytes());
        bundle.extend_from_slice(entry);
    }
    Ok(bundle)
}

/// Decodes an entry bundle into its entries.
pub fn decode_entry_bundle(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TlogError> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (length, tail) =
            rest.split_first_chunk::<2>().ok_or_else(|| malformed("entry bundle", "truncated entry length"))?;
        let length = usize::from(u16::from_be_bytes(*length));
        if tail.len() < length {
            return Err(malformed(
                "entry bundle",
                format!("entry {} claims {length} bytes but only {} remain", entries.len(), tail.len()),
            ));
        }
        entries.push(tail[..length].to_vec());
        rest = &tail[length..];
    }
    Ok(entries)
}

/// The hashes in a tile's bytes. The length must be exactly `width * 32`.
pub fn decode_tile(id: TileId, bytes: &[u8]) -> Result<Vec<Hash>, TlogError> {
    if id.width == 0 || u64::from(id.width) > TILE_WIDTH {
        return Err(malformed("tile id", format!("width {} is not between 1 and 256", id.width)));
    }
    let expected = usize::from(id.width) * 32;
    if bytes.len() != expected {
        return Err(TlogError::Corrupted {
            what: id.path(),
            detail: format!("tile is {} bytes, expected {expected} for width {}", bytes.len(), id.width),
        });
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|chunk| {
            let mut hash = [0u8; 32];
            hash.copy_from_slice(chunk);
            hash
        })
        .collect())
}

fn encode_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

/// The right edge of a tiled tree: the hashes of the last, incomplete tile at
/// each level. This is all an appender needs to compute the root and to
/// produce the tiles that new leaves change.
///
/// Invariant: `levels[L]` holds `(size >> 8L) % 256` hashes, the contents of
/// the partial tile at level `L`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileEdge {
    size: u64,
    levels: Vec<Vec<Hash>>,
}

impl TileEdge {
    /// The edge of the empty tree.
    pub fn empty() -> TileEdge {
        TileEdge { size: 0, levels: Vec::new() }
    }

    /// Loads the edge of a tree of `size` leaves from its partial tiles (see
    /// [`partial_tiles_for_size`]); `read` returns a tile's bytes. A tile
    /// whose length does not match its width is reported as
    /// [`TlogError::Corrupted`].
    ///
    /// The hashes are taken as stored: checking them against a signed root
    /// (e.g. `edge.root()` against the last checkpoint) is the caller's job.
    pub fn load(size: u64, mut read: impl FnMut(TileId) -> Result<Vec<u8>, TlogError>) -> Result<TileEdge, TlogError> {
        let mut edge = TileEdge { size, levels: Vec::new() };
        for id in partial_tiles_for_size(size) {
            let bytes = read(id)?;
            let hashes = decode_tile(id, &bytes)?;
            let level = usize::from(id.level);
            if edge.levels.len() <= level {
                edge.levels.resize(level + 1, Vec::new());
            }
            edge.levels[level] = hashes;
        }
        Ok(edge)
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash of the tree, computed from the edge alone.
    pub fn root(&self) -> Hash {
        // Higher levels cover lower leaf indexes, so walk from the top level
        // down, splitting each partial tile into its perfect subtrees.
        let mut parts: Vec<Hash> = Vec::new();
        for hashes in self.levels.iter().rev() {
            let mut start = 0;
            while start < hashes.len() {
                let remaining = hashes.len() - start;
                let chunk = 1usize << (usize::BITS - 1 - remaining.leading_zeros());
                parts.push(root_of_leaf_hashes(&hashes[start..start + chunk]));
                start += chunk;
            }
        }
        let Some(mut root) = parts.pop() else {
            return empty_root();
        };
        while let Some(left) = parts.pop() {
            root = node_hash(&left, &root);
        }
        root
    }

    /// Appends leaf hashes. Returns every tile whose contents changed, with
    /// its bytes, at its final state after the append: the tiles that became
    /// full during this call and the final partial tile at each level that
    /// changed. Sorted by (level, index).
    ///
    /// # Panics
    ///
    /// If the tree would exceed `u64::MAX` leaves, which no real log reaches.
    pub fn append(&mut self, leaf_hashes: &[Hash]) -> Vec<(TileId, Vec<u8>)> {
        let mut tiles = Vec::new();
        let mut changed_levels = BTreeSet::new();
        for leaf in leaf_hashes {
            self.size = self.size.checked_add(1).expect("a tree cannot hold more than u64::MAX leaves");
            let mut hash = *leaf;
            let mut level: u8 = 0;
            loop {
                let slot = usize::from(level);
                if self.levels.len() <= slot {
                    self.levels.push(Vec::new());
                }
                self.levels[slot].push(hash);
                changed_levels.insert(level);
                if self.levels[slot].len() as u64 != TILE_WIDTH {
                    break;
                }
                // The tile at this level just became full: emit it and carry
                // its root up one level.
                let full = std::mem::take(&mut self.levels[slot]);
                let count = hashes_at_level(self.size, level);
                let id = TileId { level, index: (count - 1) / TILE_WIDTH, width: TILE_WIDTH as u16 };
                hash = root_of_leaf_hashes(&full);
                tiles.push((id, encode_tile(&full)));
                level += 1;
            }
        }
        for level in changed_levels {
            let hashes = &self.levels[usize::from(level)];
            if hashes.is_empty() {
                continue;
            }
            let count = hashes_at_level(self.size, level);
            let id = TileId { level, index: count / TILE_WIDTH, width: hashes.len() as u16 };
            tiles.push((id, encode_tile(hashes)));
        }
        tiles.sort_by_key(|(id, _)| *id);
        tiles
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaf_hash;

    fn id(level: u8, index: u64, width: u16) -> TileId {
        TileId { level, index, width }
    }

    #[test]
    fn paths_follow_the_spec_examples() {
        assert_eq!(id(0, 1_234_067, 256).path(), "tile/0/x001/x234/067");
        assert_eq!(id(0, 273, 112).path(), "tile/0/273.p/112");
        assert_eq!(id(1, 1, 17).path(), "tile/1/001.p/17");
        assert_eq!(id(2, 0, 1).path(), "tile/2/000.p/1");
        assert_eq!(id(0, 1000, 256).path(), "tile/0/x001/000");
        assert_eq!(id(5, 1_234_067, 3).entries_path(), "tile/entries/x001/x234/067.p/3");
        assert_eq!(id(0, u64::MAX, 256).path(), "tile/0/x018/x446/x744/x073/x709/x551/615");
    }

    #[test]
    fn parse_inverts_path() {
        for tile in [id(0, 0, 256), id(0, 0, 1), id(63, 7, 255), id(3, 999, 256), id(1, 1000, 2), id(0, u64::MAX, 256)]
        {
            assert_eq!(TileId::parse(&tile.path()).unwrap(), tile);
            let entries = id(0, tile.index, tile.width);
            assert_eq!(TileId::parse_entries(&tile.entries_path()).unwrap(), entries);
        }
    }

    #[test]
    fn parse_rejects_non_canonical_paths() {
        for bad in [
            "",
            "tile/0",
            "tile/0/",
            "tile//000",
            "tile/00/000",
            "tile/01/000",
            "tile/64/000",
            "tile/-1/000",
            "tile/0/0",
            "tile/0/00",
            "tile/0/0000",
            "tile/0/x000/001",
            "tile/0/x001",
            "tile/0/001/002",
            "tile/0/x1/002",
            "tile/0/xabc/002",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/0/000.p/",
            "tile/0/000.p",
            "tile/0/000/",
            "tile/0/000.p/1/",
            "/tile/0/000",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tile/0/x001/x018/x446/x744/x073/x709/x551/615",
            "tile/entries/000",
            "tile/0/+01",
        ] {
            assert!(matches!(TileId::parse(bad), Err(TlogError::Malformed { .. })), "{bad:?} was accepted");
        }
        for bad in ["tile/entries/", "tile/entries/0", "tile/0/000", "tile/entries/000.p/256"] {
            assert!(TileId::parse_entries(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn seventy_thousand_entries_match_the_spec_example() {
        let tiles = tiles_for_size(70_000);
        let level0: Vec<_> = tiles.iter().filter(|tile| tile.level == 0).collect();
        assert_eq!(level0.len(), 274);
        assert_eq!(level0.iter().filter(|tile| tile.is_full()).count(), 273);
        assert_eq!(level0.last().unwrap().path(), "tile/0/273.p/112");
        let level1: Vec<String> = tiles.iter().filter(|tile| tile.level == 1).map(TileId::path).collect();
        assert_eq!(level1, ["tile/1/000", "tile/1/001.p/17"]);
        let level2: Vec<String> = tiles.iter().filter(|tile| tile.level == 2).map(TileId::path).collect();
        assert_eq!(level2, ["tile/2/000.p/1"]);
        assert_eq!(tiles.len(), 274 + 2 + 1);
        let partial: Vec<String> = partial_tiles_for_size(70_000).iter().map(TileId::path).collect();
        assert_eq!(partial, ["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"]);
        let bundles = entry_bundles_for_size(70_000);
        assert_eq!(bundles.len(), 274);
        assert_eq!(bundles[273].entries_path(), "tile/entries/273.p/112");
    }

    #[test]
    fn size_256_has_a_full_tile_and_a_level_one_partial() {
        let paths: Vec<String> = tiles_for_size(256).iter().map(TileId::path).collect();
        assert_eq!(paths, ["tile/0/000", "tile/1/000.p/1"]);
        assert!(tiles_for_size(0).is_empty());
        assert!(partial_tiles_for_size(0).is_empty());
        assert!(entry_bundles_for_size(0).is_empty());
        assert_eq!(partial_tiles_for_size(u64::MAX).len(), 8);
    }

    #[test]
    fn tile_containing_hash_picks_full_or_partial() {
        assert_eq!(tile_containing_hash(70_000, 0, 0), Some(id(0, 0, 256)));
        assert_eq!(tile_containing_hash(70_000, 0, 69_999), Some(id(0, 273, 112)));
        assert_eq!(tile_containing_hash(70_000, 0, 70_000), None);
        assert_eq!(tile_containing_hash(70_000, 1, 272), Some(id(1, 1, 17)));
        assert_eq!(tile_containing_hash(70_000, 2, 0), Some(id(2, 0, 1)));
        assert_eq!(tile_containing_hash(70_000, 2, 1), None);
        assert_eq!(tile_containing_hash(70_000, 9, 0), None);
    }

    #[test]
    fn entry_bundles_round_trip_and_reject_truncation() {
        let long = vec![7u8; 65_535];
        let entries: Vec<&[u8]> = vec![b"", b"a", &long, b"\x00\x01"];
        let bundle = encode_entry_bundle(&entries).unwrap();
        assert_eq!(&bundle[..5], &[0, 0, 0, 1, b'a']);
        let decoded = decode_entry_bundle(&bundle).unwrap();
        assert_eq!(decoded, entries.iter().map(|e| e.to_vec()).collect::<Vec<_>>());
        assert!(matches!(decode_entry_bundle(&bundle[..bundle.len() - 1]), Err(TlogError::Malformed { .. })));
        assert!(decode_entry_bundle(&[0]).is_err());
        assert!(decode_entry_bundle(&[]).unwrap().is_empty());
        let too_long = vec![0u8; 65_536];
        assert!(encode_entry_bundle(&[&too_long]).is_err());
    }

    #[test]
    fn decode_tile_checks_length_against_width() {
        let bytes = vec![1u8; 64];
        assert_eq!(decode_tile(id(0, 0, 2), &bytes).unwrap(), vec![[1u8; 32]; 2]);
        assert!(matches!(decode_tile(id(0, 0, 3), &bytes), Err(TlogError::Corrupted { .. })));
        assert!(decode_tile(id(0, 0, 2), &bytes[..63]).is_err());
        assert!(decode_tile(id(0, 0, 0), &[]).is_err());
        assert!(decode_tile(id(0, 0, 257), &vec![0; 257 * 32]).is_err());
    }

    #[test]
    fn edge_reports_tiles_that_became_full_and_final_partials() {
        let leaves: Vec<Hash> = (0u32..600).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut edge = TileEdge::empty();
        assert_eq!(edge.root(), empty_root());
        let tiles = edge.append(&leaves[..300]);
        let ids: Vec<String> = tiles.iter().map(|(id, _)| id.path()).collect();
        assert_eq!(ids, ["tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"]);
        assert_eq!(tiles[0].1, leaves[..256].concat());
        assert_eq!(edge.root(), root_of_leaf_hashes(&leaves[..300]));
        let tiles = edge.append(&leaves[300..301]);
        let ids: Vec<String> = tiles.iter().map(|(id, _)| id.path()).collect();
        assert_eq!(ids, ["tile/0/001.p/45"]);
        assert!(edge.append(&[]).is_empty());
        let tiles = edge.append(&leaves[301..512]);
        let ids: Vec<String> = tiles.iter().map(|(id, _)| id.path()).collect();
        assert_eq!(ids, ["tile/0/001", "tile/1/000.p/2"]);
        assert_eq!(edge.size(), 512);
        assert_eq!(edge.root(), root_of_leaf_hashes(&leaves[..512]));
    }

    #[test]
    fn edge_load_rejects_tiles_of_the_wrong_length() {
        let result = TileEdge::load(300, |id| Ok(vec![0u8; usize::from(id.width) * 32 + 1]));
        assert!(matches!(result, Err(TlogError::Corrupted { .. })));
        let result = TileEdge::load(300, |_| Err(TlogError::Read("disk on fire".into())));
        assert!(matches!(result, Err(TlogError::Read(_))));
        let empty = TileEdge::load(0, |_| unreachable!()).unwrap();
        assert_eq!(empty, TileEdge::empty());
    }
}
