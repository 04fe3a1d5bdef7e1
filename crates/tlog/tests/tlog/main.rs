//! Integration tests for `evident-tlog`, through its public API only.
//!
//! One test binary; each module covers one user need.

mod merkle_vectors;
mod notes_and_checkpoints;
mod properties;
mod receipts;
mod reference_roots;
mod tiles;

/// The shared test vectors, beside the repository (`/work/shared` locally,
/// the clone's sibling `shared/` in CI).
pub fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}
