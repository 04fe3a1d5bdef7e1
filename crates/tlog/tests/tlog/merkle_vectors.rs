//! The 196 inclusion and consistency cases from transparency-dev/merkle.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use evident_tlog::{Hash, verify_consistency, verify_inclusion};
use serde_json::Value;

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
}

fn bytes(value: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(value.as_str().unwrap_or("")).unwrap()
}

/// A leaf or proof hash: anything that is not 32 bytes is not a SHA-256 hash,
/// and the typed API cannot even be called with it, so the case fails.
fn hash(value: &Value) -> Result<Hash, String> {
    bytes(value).try_into().map_err(|bytes: Vec<u8>| format!("{} bytes is not a hash", bytes.len()))
}

/// A root to compare against. The reference implementation takes roots as
/// byte strings and only ever compares them for equality, and a few cases use
/// non-hash strings as roots (e.g. two equal 12-byte roots for equal sizes,
/// which must pass). A 32-byte root is itself; any other byte string stands
/// in as a hash of it under a tag no real Merkle root can collide with, which
/// keeps equal strings equal and different ones different.
fn root(value: &Value) -> Hash {
    let bytes = bytes(value);
    match bytes.clone().try_into() {
        Ok(hash) => hash,
        Err(_) => {
            use sha2::Digest as _;
            sha2::Sha256::new()
                .chain_update(b"evident test: not a 32-byte root\0")
                .chain_update(&bytes)
                .finalize()
                .into()
        }
    }
}

fn proof(value: &Value) -> Result<Vec<Hash>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(hash).collect(),
        other => panic!("proof is {other}"),
    }
}

fn run_inclusion(case: &Value) -> Result<(), String> {
    let leaf = hash(&case["leafHash"])?;
    let proof = proof(&case["proof"])?;
    verify_inclusion(
        &leaf,
        case["leafIdx"].as_u64().unwrap(),
        case["treeSize"].as_u64().unwrap(),
        &proof,
        &root(&case["root"]),
    )
    .map_err(|error| error.to_string())
}

fn run_consistency(case: &Value) -> Result<(), String> {
    let proof = proof(&case["proof"])?;
    verify_consistency(
        case["size1"].as_u64().unwrap(),
        case["size2"].as_u64().unwrap(),
        &proof,
        &root(&case["root1"]),
        &root(&case["root2"]),
    )
    .map_err(|error| error.to_string())
}

#[test]
fn all_transparency_dev_merkle_vectors_pass() {
    let dir = crate::vectors_dir().join("merkle");
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    assert_eq!(files.len(), 196, "expected 196 cases under {}", dir.display());

    let mut failures = Vec::new();
    let (mut inclusion, mut consistency) = (0, 0);
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let outcome = if case.get("leafIdx").is_some() {
            inclusion += 1;
            run_inclusion(&case)
        } else {
            consistency += 1;
            run_consistency(&case)
        };
        let want_error = case["wantErr"].as_bool().unwrap();
        if outcome.is_err() != want_error {
            failures.push(format!("{}: wantErr {want_error}, got {outcome:?}", file.display()));
        }
    }
    assert!(inclusion > 0 && consistency > 0);
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
