//! RFC 6962 Merkle tree hashing, proof generation over tile-level hashes, and
//! RFC 9162 proof verification.

use sha2::{Digest, Sha256};

use crate::TlogError;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Number of tile levels a `u64`-sized tree can have (level 7 holds subtrees
/// of 2^56 leaves; level 8 would need 2^64).
const MAX_LEVELS: u8 = 8;

/// The RFC 6962 leaf hash: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(entry);
    hasher.finalize().into()
}

/// The RFC 6962 interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The Merkle Tree Hash (RFC 6962 §2.1) of a list of leaf hashes, of any
/// length; the empty list gives [`empty_root`].
///
/// The same function computes the root of any subtree from the hashes of its
/// children when they are the roots of equal, perfect subtrees.
pub fn root_of_leaf_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = largest_power_of_two_below(n as u64) as usize;
            node_hash(&root_of_leaf_hashes(&leaves[..k]), &root_of_leaf_hashes(&leaves[k..]))
        }
    }
}

/// The largest power of two strictly less than `n`; `n` must be at least 2.
fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Source of the hashes a tiled log stores ("tile-level" hashes).
///
/// `read_hash(level, index)` returns the root of the perfect subtree of height
/// `8 * level` at position `index`: level 0 holds the leaf hashes, level 1 the
/// roots of full 256-leaf level-0 tiles, and so on. Proof generation asks only
/// for hashes that exist in the tree it works on, i.e. with
/// `(index + 1) * 256^level <= size`.
///
/// Implementations over tiles must not assume the hashes they return are
/// correct: whatever is built from them must be verified against a signed
/// root.
pub trait HashReader {
    /// Reads one tile-level hash. Errors from the caller's storage should be
    /// returned as [`TlogError::Read`] or [`TlogError::Corrupted`].
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, TlogError>;

    /// Reads the `count` consecutive hashes at `level` starting at `start`.
    /// Proof generation only asks for aligned runs of at most 128 hashes that
    /// lie within one tile, so an implementation over tiles can serve a call
    /// from a single tile read. The default calls [`HashReader::read_hash`]
    /// for each hash.
    fn read_hashes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TlogError> {
        (start..start + count).map(|index| self.read_hash(level, index)).collect()
    }
}

impl<T: HashReader + ?Sized> HashReader for &T {
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, TlogError> {
        (**self).read_hash(level, index)
    }

    fn read_hashes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TlogError> {
        (**self).read_hashes(level, start, count)
    }
}

/// An in-memory [`HashReader`] over all leaf hashes of a tree; higher levels
/// are computed on demand. For tests and small trees.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeafHashes(pub Vec<Hash>);

impl HashReader for LeafHashes {
    fn read_hash(&self, level: u8, index: u64) -> Result<Hash, TlogError> {
        let out_of_range =
            || TlogError::Read(format!("no hash at level {level} index {index} in a tree of {} leaves", self.0.len()));
        if level >= MAX_LEVELS {
            return Err(out_of_range());
        }
        let span = 1u64 << (8 * u32::from(level));
        let start = index.checked_mul(span).ok_or_else(out_of_range)?;
        let end = start.checked_add(span).ok_or_else(out_of_range)?;
        if end > self.0.len() as u64 {
            return Err(out_of_range());
        }
        Ok(root_of_leaf_hashes(&self.0[start as usize..end as usize]))
    }
}

/// Root of the perfect subtree of height `height` at position `position`,
/// computed from the tile-level hashes below it: with `height = 8L + r`, the
/// `2^r` level-`L` hashes `[position * 2^r, (position + 1) * 2^r)`.
fn perfect_subtree_hash(height: u32, position: u64, reader: &impl HashReader) -> Result<Hash, TlogError> {
    let level = (height / 8) as u8;
    let rest = height % 8;
    let count = 1u64 << rest;
    let mut hashes = reader.read_hashes(level, position << rest, count)?;
    if hashes.len() as u64 != count {
        return Err(TlogError::Read(format!(
            "hash reader returned {} hashes at level {level}, expected {count}",
            hashes.len()
        )));
    }
    // The hashes are the leaves of a perfect tree: fold pairs level by level.
    while hashes.len() > 1 {
        hashes = hashes.chunks_exact(2).map(|pair| node_hash(&pair[0], &pair[1])).collect();
    }
    Ok(hashes[0])
}

/// The Merkle Tree Hash of the leaves `[start, end)`, where the range is a
/// subtree of the RFC 6962 tree (or a prefix of the tree). The range is split
/// into maximal aligned perfect subtrees, left to right, which are then joined
/// right to left exactly as MTH does.
fn range_hash(start: u64, end: u64, reader: &impl HashReader) -> Result<Hash, TlogError> {
    if start >= end {
        return Ok(empty_root());
    }
    let mut parts = Vec::new();
    let mut position = start;
    while position < end {
        let remaining = end - position;
        let max_height = 63 - remaining.leading_zeros();
        let height = if position == 0 { max_height } else { position.trailing_zeros().min(max_height) };
        parts.push(perfect_subtree_hash(height, position >> height, reader)?);
        position += 1 << height;
    }
    let mut root = parts.pop().unwrap_or_else(empty_root);
    while let Some(left) = parts.pop() {
        root = node_hash(&left, &root);
    }
    Ok(root)
}

/// The root hash of the tree of the first `size` leaves.
pub fn tree_root(size: u64, reader: &impl HashReader) -> Result<Hash, TlogError> {
    range_hash(0, size, reader)
}

/// The RFC 6962 inclusion proof (`PATH`) for leaf `index` in the tree of
/// `size` leaves: sibling hashes from the leaf's sibling up to the root's
/// child.
pub fn inclusion_proof(index: u64, size: u64, reader: &impl HashReader) -> Result<Vec<Hash>, TlogError> {
    if index >= size {
        return Err(TlogError::InvalidProof(format!("leaf index {index} is not below tree size {size}")));
    }
    let mut proof = Vec::new();
    inclusion_path(index, 0, size, reader, &mut proof)?;
    Ok(proof)
}

/// `PATH(index, D[start:end])`, appended to `proof`.
fn inclusion_path(
    index: u64,
    start: u64,
    end: u64,
    reader: &impl HashReader,
    proof: &mut Vec<Hash>,
) -> Result<(), TlogError> {
    if end - start <= 1 {
        return Ok(());
    }
    let split = start + largest_power_of_two_below(end - start);
    if index < split {
        inclusion_path(index, start, split, reader, proof)?;
        proof.push(range_hash(split, end, reader)?);
    } else {
        inclusion_path(index, split, end, reader, proof)?;
        proof.push(range_hash(start, split, reader)?);
    }
    Ok(())
}

/// The RFC 6962 consistency proof (`PROOF`) between the trees of `old_size`
/// and `new_size` leaves.
///
/// The proof is empty when the sizes are equal or when `old_size` is zero
/// (every tree extends the empty tree; see [`verify_consistency`] for how such
/// a proof is checked).
pub fn consistency_proof(old_size: u64, new_size: u64, reader: &impl HashReader) -> Result<Vec<Hash>, TlogError> {
    if old_size > new_size {
        return Err(TlogError::InvalidProof(format!("old size {old_size} is greater than new size {new_size}")));
    }
    let mut proof = Vec::new();
    if old_size == 0 || old_size == new_size {
        return Ok(proof);
    }
    consistency_subproof(old_size, 0, new_size, true, reader, &mut proof)?;
    Ok(proof)
}

/// `SUBPROOF(old_size, D[start:end], complete)`, appended to `proof`.
fn consistency_subproof(
    old_size: u64,
    start: u64,
    end: u64,
    complete: bool,
    reader: &impl HashReader,
    proof: &mut Vec<Hash>,
) -> Result<(), TlogError> {
    if old_size == end {
        if !complete {
            proof.push(range_hash(start, end, reader)?);
        }
        return Ok(());
    }
    let split = start + largest_power_of_two_below(end - start);
    if old_size <= split {
        consistency_subproof(old_size, start, split, complete, reader, proof)?;
        proof.push(range_hash(split, end, reader)?);
    } else {
        consistency_subproof(old_size, split, end, false, reader, proof)?;
        proof.push(range_hash(start, split, reader)?);
    }
    Ok(())
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): `leaf_hash` is the leaf at
/// `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(leaf_hash: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> Result<(), TlogError> {
    if index >= size {
        return Err(TlogError::InvalidProof(format!("leaf index {index} is not below tree size {size}")));
    }
    let mut node = index;
    let mut last = size - 1;
    let mut computed = *leaf_hash;
    for sibling in proof {
        if last == 0 {
            return Err(TlogError::InvalidProof("inclusion proof has too many hashes".into()));
        }
        if node & 1 == 1 || node == last {
            computed = node_hash(sibling, &computed);
            if node & 1 == 0 {
                // A right-edge node with no sibling at this level: climb until
                // it becomes a right child (or the root of the left part).
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            computed = node_hash(&computed, sibling);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(TlogError::InvalidProof("inclusion proof has too few hashes".into()));
    }
    if computed != *root {
        return Err(TlogError::InvalidProof("inclusion proof does not lead to the tree root".into()));
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): the tree of `new_size`
/// leaves with root `new_root` extends the tree of `old_size` leaves with root
/// `old_root`.
///
/// Equal sizes need an empty proof and equal roots. An `old_size` of zero is
/// rejected: a proof from the empty tree proves nothing (RFC 9162 defines
/// consistency proofs for `0 < old_size`), so a caller that sees a first
/// checkpoint must treat it as such rather than "verify" it.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), TlogError> {
    if old_size > new_size {
        return Err(TlogError::InvalidProof(format!("old size {old_size} is greater than new size {new_size}")));
    }
    if old_size == 0 {
        return Err(TlogError::InvalidProof("a consistency proof from the empty tree proves nothing".into()));
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(TlogError::InvalidProof("consistency proof between equal sizes must be empty".into()));
        }
        if old_root != new_root {
            return Err(TlogError::InvalidProof("roots differ for equal tree sizes".into()));
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(TlogError::InvalidProof("consistency proof is empty".into()));
    }
    // When the old tree is a perfect subtree of the new one, its root is the
    // first element of the path and the proof omits it.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);

    let mut node = old_size - 1;
    let mut last = new_size - 1;
    while node & 1 == 1 {
        node >>= 1;
        last >>= 1;
    }
    let mut old_computed = path[0];
    let mut new_computed = path[0];
    for hash in &path[1..] {
        if last == 0 {
            return Err(TlogError::InvalidProof("consistency proof has too many hashes".into()));
        }
        if node & 1 == 1 || node == last {
            old_computed = node_hash(hash, &old_computed);
            new_computed = node_hash(hash, &new_computed);
            if node & 1 == 0 {
                while node & 1 == 0 && node != 0 {
                    node >>= 1;
                    last >>= 1;
                }
            }
        } else {
            new_computed = node_hash(&new_computed, hash);
        }
        node >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(TlogError::InvalidProof("consistency proof has too few hashes".into()));
    }
    if old_computed != *old_root {
        return Err(TlogError::InvalidProof("consistency proof does not lead to the old root".into()));
    }
    if new_computed != *new_root {
        return Err(TlogError::InvalidProof("consistency proof does not lead to the new root".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(count: u64) -> LeafHashes {
        LeafHashes((0..count).map(|i| leaf_hash(&i.to_be_bytes())).collect())
    }

    #[test]
    fn largest_power_of_two_below_is_strict() {
        assert_eq!(largest_power_of_two_below(2), 1);
        assert_eq!(largest_power_of_two_below(3), 2);
        assert_eq!(largest_power_of_two_below(4), 2);
        assert_eq!(largest_power_of_two_below(5), 4);
        assert_eq!(largest_power_of_two_below(u64::MAX), 1 << 63);
    }

    #[test]
    fn tree_root_over_tile_levels_equals_direct_mth() {
        // Sizes around tile boundaries exercise levels 0 and 1 and the
        // split of a range into perfect subtrees.
        let reader = leaves(70_000);
        for size in [0, 1, 2, 255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537, 70_000] {
            assert_eq!(
                tree_root(size, &reader).unwrap(),
                root_of_leaf_hashes(&reader.0[..size as usize]),
                "size {size}"
            );
        }
    }

    #[test]
    fn leaf_hashes_reader_rejects_missing_hashes() {
        let reader = leaves(300);
        assert!(reader.read_hash(0, 299).is_ok());
        assert!(matches!(reader.read_hash(0, 300), Err(TlogError::Read(_))));
        assert!(reader.read_hash(1, 0).is_ok());
        assert!(matches!(reader.read_hash(1, 1), Err(TlogError::Read(_))));
        assert!(matches!(reader.read_hash(8, 0), Err(TlogError::Read(_))));
        assert!(matches!(reader.read_hash(7, u64::MAX), Err(TlogError::Read(_))));
    }

    #[test]
    fn generation_rejects_out_of_range_requests() {
        let reader = leaves(10);
        assert!(inclusion_proof(10, 10, &reader).is_err());
        assert!(consistency_proof(11, 10, &reader).is_err());
        assert_eq!(consistency_proof(0, 10, &reader).unwrap(), Vec::<Hash>::new());
        assert_eq!(consistency_proof(7, 7, &reader).unwrap(), Vec::<Hash>::new());
    }

    #[test]
    fn every_small_proof_verifies_and_a_flipped_bit_does_not() {
        let reader = leaves(40);
        for size in 1..=40u64 {
            let root = tree_root(size, &reader).unwrap();
            for index in 0..size {
                let mut proof = inclusion_proof(index, size, &reader).unwrap();
                let leaf = reader.0[index as usize];
                verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
                if let Some(first) = proof.first_mut() {
                    first[0] ^= 1;
                    assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_err());
                }
            }
            for old in 1..=size {
                let old_root = tree_root(old, &reader).unwrap();
                let mut proof = consistency_proof(old, size, &reader).unwrap();
                verify_consistency(old, size, &proof, &old_root, &root).unwrap();
                if let Some(last) = proof.last_mut() {
                    last[31] ^= 0x80;
                    assert!(verify_consistency(old, size, &proof, &old_root, &root).is_err());
                }
            }
        }
    }

    #[test]
    fn consistency_from_empty_tree_is_rejected() {
        let root = root_of_leaf_hashes(&[leaf_hash(b"a")]);
        assert!(verify_consistency(0, 1, &[], &empty_root(), &root).is_err());
        assert!(verify_consistency(0, 0, &[], &empty_root(), &empty_root()).is_err());
    }
}
