//! Receipts: the tlog-proof format (c2sp.org/tlog-proof), an offline-checkable
//! proof that an entry is in the log.

use crate::checkpoint::{Checkpoint, open_checkpoint};
use crate::merkle::{Hash, leaf_hash, verify_inclusion};
use crate::note::{Note, NoteVerifier};
use crate::{TlogError, decode_base64_canonical, encode_base64, malformed, parse_canonical_decimal};

/// First line of every tlog-proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

const WHAT: &str = "tlog-proof";

/// A parsed tlog-proof: optional unauthenticated extra data, the entry's
/// index, its inclusion proof and the signed checkpoint (with any
/// cosignatures) it is proved against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque application data. It is *not* authenticated: never trust it
    /// without checking it some other way.
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry in the log.
    pub index: u64,
    /// RFC 6962 inclusion proof, from the leaf's sibling up to the root's child.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// The text form:
    ///
    /// ```text
    /// c2sp.org/tlog-proof@v1
    /// extra <base64>          (only if extra is present)
    /// index <N>
    /// <base64 hash>           (one per proof hash)
    ///
    /// <signed checkpoint>
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = format!("{TLOG_PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            text.push_str(&format!("extra {}\n", encode_base64(extra)));
        }
        text.push_str(&format!("index {}\n", self.index));
        for hash in &self.proof {
            text.push_str(&encode_base64(hash));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.checkpoint);
        text
    }

    /// Parses the text form strictly: canonical decimal index, canonical
    /// base64 hashes of 32 bytes, and a checkpoint that is a well-formed
    /// signed note holding a well-formed checkpoint (signatures are checked
    /// by [`verify_tlog_proof`]).
    pub fn parse(text: &str) -> Result<TlogProof, TlogError> {
        let mut rest = text
            .strip_prefix(TLOG_PROOF_HEADER)
            .and_then(|rest| rest.strip_prefix('\n'))
            .ok_or_else(|| malformed(WHAT, format!("first line must be {TLOG_PROOF_HEADER}")))?;
        let mut next_line = |what: &str| -> Result<&str, TlogError> {
            let (line, tail) =
                rest.split_once('\n').ok_or_else(|| malformed(WHAT, format!("ends before the {what}")))?;
            rest = tail;
            Ok(line)
        };
        let mut line = next_line("index line")?;
        let mut extra = None;
        if let Some(encoded) = line.strip_prefix("extra ") {
            extra = Some(
                decode_base64_canonical(encoded).ok_or_else(|| malformed(WHAT, "extra data is not valid base64"))?,
            );
            line = next_line("index line")?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_canonical_decimal)
            .ok_or_else(|| malformed(WHAT, "expected a line `index <N>` with a decimal index"))?;
        let mut proof = Vec::new();
        loop {
            let line = next_line("blank line before the checkpoint")?;
            if line.is_empty() {
                break;
            }
            let hash: Hash =
                decode_base64_canonical(line).and_then(|bytes| bytes.try_into().ok()).ok_or_else(|| {
                    malformed(WHAT, format!("proof line {} is not a base64 SHA-256 hash", proof.len() + 1))
                })?;
            proof.push(hash);
        }
        let checkpoint = rest.to_owned();
        let note = Note::parse(&checkpoint)?;
        Checkpoint::parse(&note.text)?;
        Ok(TlogProof { extra, index, proof, checkpoint })
    }
}

/// The full offline check of a receipt: the checkpoint is signed by
/// `verifier` (whose name is the checkpoint's origin), and `leaf_hash(entry)`
/// is included at `proof.index` under the checkpoint's root. Returns the
/// checkpoint. Witness cosignatures are not checked here: apply a witness
/// policy with [`Note::verify`] on `proof.checkpoint`.
pub fn verify_tlog_proof(proof: &TlogProof, entry: &[u8], verifier: &NoteVerifier) -> Result<Checkpoint, TlogError> {
    let checkpoint = open_checkpoint(&proof.checkpoint, verifier)?;
    verify_inclusion(&leaf_hash(entry), proof.index, checkpoint.size, &proof.proof, &checkpoint.root)?;
    Ok(checkpoint)
}
