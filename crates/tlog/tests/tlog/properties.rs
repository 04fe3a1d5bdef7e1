//! Property tests: generated proofs verify, and the tile path agrees with the
//! in-memory tree.

use proptest::prelude::*;
use proptest::sample::Index;

use evident_tlog::{
    LeafHashes, TileEdge, consistency_proof, inclusion_proof, root_of_leaf_hashes, tree_root, verify_consistency,
    verify_inclusion,
};

use crate::tiles::{TileStore, test_leaves};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn inclusion_proofs_verify(size in 1u64..2000, salt: u8, picks in prop::collection::vec(any::<Index>(), 1..6)) {
        let reader = LeafHashes(test_leaves(size, salt));
        let root = tree_root(size, &reader).unwrap();
        prop_assert_eq!(root, root_of_leaf_hashes(&reader.0));
        for pick in picks {
            let index = pick.index(size as usize) as u64;
            let proof = inclusion_proof(index, size, &reader).unwrap();
            let leaf = reader.0[index as usize];
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
            // The same proof must not verify another leaf or position.
            let other = (index + 1) % size;
            if other != index {
                prop_assert!(verify_inclusion(&leaf, other, size, &proof, &root).is_err());
            }
        }
    }

    #[test]
    fn consistency_proofs_verify(a in 1u64..2000, b in 1u64..2000, salt: u8) {
        let (old, new) = (a.min(b), a.max(b));
        let reader = LeafHashes(test_leaves(new, salt));
        let old_root = tree_root(old, &reader).unwrap();
        let new_root = tree_root(new, &reader).unwrap();
        let proof = consistency_proof(old, new, &reader).unwrap();
        prop_assert!(verify_consistency(old, new, &proof, &old_root, &new_root).is_ok());
        if old < new {
            prop_assert!(verify_consistency(old, new, &proof, &new_root, &new_root).is_err());
        }
    }

    #[test]
    fn tiles_written_by_the_edge_reproduce_the_tree(
        chunks in prop::collection::vec(1usize..400, 1..12),
        salt: u8,
        picks in prop::collection::vec(any::<Index>(), 1..4),
    ) {
        let total: usize = chunks.iter().sum();
        let leaves = test_leaves(total as u64, salt);
        let mut edge = TileEdge::empty();
        let mut store = TileStore::default();
        let mut boundaries = Vec::new();
        let mut start = 0;
        for chunk in &chunks {
            let written = edge.append(&leaves[start..start + chunk]);
            start += chunk;
            let mut ids: Vec<_> = written.iter().map(|(id, _)| *id).collect();
            let sorted = { let mut s = ids.clone(); s.sort(); s };
            prop_assert_eq!(&ids, &sorted);
            ids.dedup();
            prop_assert_eq!(ids.len(), written.len());
            store.store(written);
            prop_assert_eq!(edge.size(), start as u64);
            prop_assert_eq!(edge.root(), root_of_leaf_hashes(&leaves[..start]));
            boundaries.push(start as u64);
        }

        // Every size the edge was at has its tiles stored, and they give the
        // same root and proofs as the leaves themselves.
        let leaf_reader = LeafHashes(leaves.clone());
        for &size in &boundaries {
            let tile_reader = store.reader(size);
            let root = tree_root(size, &tile_reader).unwrap();
            prop_assert_eq!(root, root_of_leaf_hashes(&leaves[..size as usize]));
            for pick in &picks {
                let index = pick.index(size as usize) as u64;
                prop_assert_eq!(
                    inclusion_proof(index, size, &tile_reader).unwrap(),
                    inclusion_proof(index, size, &leaf_reader).unwrap()
                );
            }
            prop_assert_eq!(
                consistency_proof(boundaries[0], size, &tile_reader).unwrap(),
                consistency_proof(boundaries[0], size, &leaf_reader).unwrap()
            );
        }

        // An edge loaded from the stored partial tiles continues exactly like
        // the one that never stopped.
        let size = total as u64;
        let mut reloaded = TileEdge::load(size, |id| store.read(id)).unwrap();
        prop_assert_eq!(reloaded.size(), size);
        prop_assert_eq!(reloaded.root(), edge.root());
        let more = test_leaves(300, salt.wrapping_add(1));
        for chunk in more.chunks(77) {
            prop_assert_eq!(reloaded.append(chunk), edge.append(chunk));
            prop_assert_eq!(reloaded.root(), edge.root());
        }
    }
}
