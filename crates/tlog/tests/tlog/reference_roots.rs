//! The root table of transparency.md.

use evident_tlog::{LeafHashes, empty_root, leaf_hash, root_of_leaf_hashes, tree_root};

fn root_hex(entries: &[&[u8]]) -> String {
    let leaves: Vec<_> = entries.iter().map(|entry| leaf_hash(entry)).collect();
    let direct = root_of_leaf_hashes(&leaves);
    // The tile-level path must agree with the direct computation.
    let via_reader = tree_root(leaves.len() as u64, &LeafHashes(leaves)).unwrap();
    assert_eq!(direct, via_reader);
    hex::encode(direct)
}

const REFERENCE_LEAVES: [&[u8]; 8] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
];

#[test]
fn roots_match_the_spec_table() {
    let table: [(&[&[u8]], &str); 6] = [
        (&[], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (&[b""], "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (&[b"hello"], "8a2a5c9b768827de5a9552c38a044c66959c68f6d2f21b5260af54d2f87db827"),
        (&[b"", b"\x00"], "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        (&REFERENCE_LEAVES, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
        (&REFERENCE_LEAVES[..3], "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    ];
    for (entries, want) in table {
        assert_eq!(root_hex(entries), want, "{} entries", entries.len());
    }
    assert_eq!(hex::encode(empty_root()), table[0].1);
}
