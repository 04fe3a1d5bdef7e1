//! Transparency-log primitives for Evident, byte-compatible with the public
//! specifications so that existing tools can check our log.
//!
//! This crate is **pure**: it does no file or network I/O. Storage crates hand
//! it bytes (tiles, notes, receipts) and it hands bytes back.
//!
//! What it covers, and the specification each part follows:
//!
//! * **Merkle hashing and proofs** ([RFC 6962] §2.1, verification per
//!   [RFC 9162] §2.1.3–2.1.4): [`leaf_hash`], [`node_hash`], [`tree_root`],
//!   [`inclusion_proof`], [`consistency_proof`], [`verify_inclusion`],
//!   [`verify_consistency`]. Proof generation reads hashes through the
//!   [`HashReader`] trait, which exposes only the hashes a tiled log stores, so
//!   the same code works over an in-memory tree ([`LeafHashes`]) or over tiles
//!   on disk.
//! * **Tiles** ([c2sp.org/tlog-tiles]): [`TileId`] and its canonical paths,
//!   [`tiles_for_size`], entry bundles ([`encode_entry_bundle`],
//!   [`decode_entry_bundle`]) and [`TileEdge`], the right edge of the tree that
//!   an appender keeps to produce new tiles.
//! * **Signed notes** ([c2sp.org/signed-note]) with Ed25519 keys:
//!   [`NoteSigner`], [`NoteVerifier`], [`Note`]; and timestamped witness
//!   cosignatures ([c2sp.org/tlog-cosignature], `cosignature/v1`):
//!   [`NoteSigner::cosign`].
//! * **Checkpoints** ([c2sp.org/tlog-checkpoint]): [`Checkpoint`],
//!   [`sign_checkpoint`], [`open_checkpoint`].
//! * **Receipts** ([c2sp.org/tlog-proof]): [`TlogProof`] and
//!   [`verify_tlog_proof`], an offline-checkable proof that an entry is in the
//!   log.
//!
//! # Invariants
//!
//! * Every parser is strict: it accepts exactly the canonical form the
//!   specification describes and returns [`TlogError::Malformed`] otherwise.
//!   Nothing on an input path panics.
//! * Hashes read through a [`HashReader`] are *not* trusted: a proof built from
//!   them is only meaningful once it has been verified against a signed root.
//!   Callers that serve or consume tiles must verify what they build.
//! * Secret key material never appears in `Debug` output or error messages.
//!
//! [RFC 6962]: https://www.rfc-editor.org/rfc/rfc6962.html
//! [RFC 9162]: https://www.rfc-editor.org/rfc/rfc9162.html
//! [c2sp.org/tlog-tiles]: https://c2sp.org/tlog-tiles
//! [c2sp.org/signed-note]: https://c2sp.org/signed-note
//! [c2sp.org/tlog-cosignature]: https://c2sp.org/tlog-cosignature
//! [c2sp.org/tlog-checkpoint]: https://c2sp.org/tlog-checkpoint
//! [c2sp.org/tlog-proof]: https://c2sp.org/tlog-proof

mod checkpoint;
mod merkle;
mod note;
mod receipt;
mod tile;

pub use checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
pub use merkle::{
    Hash, HashReader, LeafHashes, consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash,
    root_of_leaf_hashes, tree_root, verify_consistency, verify_inclusion,
};
pub use note::{KEY_TYPE_COSIGNATURE_V1, KEY_TYPE_ED25519, Note, NoteSignature, NoteSigner, NoteVerifier};
pub use receipt::{TLOG_PROOF_HEADER, TlogProof, verify_tlog_proof};
pub use tile::{
    TILE_WIDTH, TileEdge, TileId, decode_entry_bundle, decode_tile, encode_entry_bundle, entry_bundles_for_size,
    partial_tiles_for_size, tile_containing_hash, tiles_for_size,
};

/// Everything that can go wrong in this crate.
///
/// Messages are lower-case and say what failed; they never contain secret key
/// material.
#[derive(Debug, thiserror::Error)]
pub enum TlogError {
    /// Malformed input (note, checkpoint, tile path, proof file, bundle...):
    /// `what` names the thing, `detail` says what is wrong.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// The kind of input that was being parsed, e.g. `"signed note"`.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A Merkle proof does not verify, or a proof was requested for sizes or
    /// indexes that have none.
    #[error("invalid proof: {0}")]
    InvalidProof(String),
    /// A signature does not verify, no trusted signature is present, or a key
    /// cannot be used.
    #[error("signature: {0}")]
    Signature(String),
    /// A tile or stored hash that does not agree with what it must agree with
    /// (e.g. a tile whose length does not match its width). Reported, never
    /// repaired.
    #[error("corrupted {what}: {detail}")]
    Corrupted {
        /// The corrupted thing, e.g. a tile path.
        what: String,
        /// How it disagrees.
        detail: String,
    },
    /// An error from a [`HashReader`] implementation (e.g. I/O in the caller),
    /// passed through as text.
    #[error("{0}")]
    Read(String),
}

/// Shorthand for a [`TlogError::Malformed`].
pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> TlogError {
    TlogError::Malformed { what, detail: detail.into() }
}

/// Parses a canonical ASCII decimal: digits only, no sign, no leading zeroes
/// (except `0` itself), no overflow.
pub(crate) fn parse_canonical_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if text.len() > 1 && text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

/// Decodes standard, padded base64 (RFC 4648 §4) and insists on the canonical
/// encoding, so that one value has exactly one textual form.
pub(crate) fn decode_base64_canonical(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    if base64::engine::general_purpose::STANDARD.encode(&bytes) != text {
        return None;
    }
    Some(bytes)
}

/// Encodes standard, padded base64 (RFC 4648 §4).
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_decimal_rejects_leading_zeroes_signs_and_overflow() {
        assert_eq!(parse_canonical_decimal("0"), Some(0));
        assert_eq!(parse_canonical_decimal("10"), Some(10));
        assert_eq!(parse_canonical_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "00", "01", "+1", "-1", " 1", "1 ", "18446744073709551616", "1a"] {
            assert_eq!(parse_canonical_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base64_must_be_canonical_and_padded() {
        assert_eq!(decode_base64_canonical("AA=="), Some(vec![0]));
        assert_eq!(decode_base64_canonical(""), Some(vec![]));
        for bad in ["AA", "AB==", "A===", "AA==\n", " AA==", "AA-_"] {
            assert_eq!(decode_base64_canonical(bad), None, "{bad:?}");
        }
    }
}
