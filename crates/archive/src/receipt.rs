//! Checking a receipt offline, with nothing but the receipt, the file and
//! the log's verifier key: the file's SHA-256 is in the entry, the entry is
//! included under the checkpoint, the checkpoint is signed by the key.

use std::io::Read;

use evident_core::LogEntry;
use evident_tlog::{NoteVerifier, TlogProof, verify_tlog_proof};
use sha2::{Digest, Sha256};

/// What a valid receipt proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptVerdict {
    pub item: String,
    pub sha256: String,
    pub index: u64,
    pub origin: String,
    pub tree_size: u64,
    pub time: String,
}

/// Checks a receipt against a file's bytes and a verifier key. `Err` holds
/// the reason the receipt does not prove the file (or the input is unusable).
/// A sealed item's receipt needs its opening: [`check_sealed_receipt`].
pub fn check_receipt(receipt: &str, file: &mut dyn Read, verifier_key: &str) -> Result<ReceiptVerdict, String> {
    check_any_receipt(receipt, file, verifier_key, None)
}

/// Checks a sealed item's receipt against the file, a verifier key and the
/// opening of the item's commitment (`evident-opening/1`, from `evident
/// receipt ITEM --reveal`): the file's size and SHA-256 are the opening's,
/// the opening (with its salt) makes the commitment in the entry, and the
/// entry is in the log. A receipt of an unsealed item is checked as by
/// [`check_receipt`], the opening unused.
pub fn check_sealed_receipt(
    receipt: &str,
    file: &mut dyn Read,
    verifier_key: &str,
    opening: &str,
) -> Result<ReceiptVerdict, String> {
    check_any_receipt(receipt, file, verifier_key, Some(opening))
}

fn check_any_receipt(
    receipt: &str,
    file: &mut dyn Read,
    verifier_key: &str,
    opening: Option<&str>,
) -> Result<ReceiptVerdict, String> {
    let verifier =
        NoteVerifier::parse(verifier_key.trim()).map_err(|e| format!("the key is not a verifier key: {e}"))?;
    let proof = TlogProof::parse(receipt).map_err(|e| format!("not a tlog-proof receipt: {e}"))?;
    let entry_bytes = proof.extra.clone().ok_or("the receipt carries no log entry (no extra line)")?;
    let entry = LogEntry::decode(&entry_bytes).map_err(|e| format!("the receipt's entry is unusable: {e}"))?;

    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size: u64 = 0;
    loop {
        let n = file.read(&mut buffer).map_err(|e| format!("cannot read the file: {e}"))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    let sha256 = hex::encode(hasher.finalize());
    if entry.is_sealed() {
        let opening = opening.ok_or_else(|| {
            format!(
                "item {} is sealed: its log entry carries a salted commitment, not the file's digest, so checking a \
                 file against it needs the opening (its salt), which the archive gives to a named person with \
                 `evident receipt ITEM --reveal FILE`; pass it with --opening FILE",
                entry.id
            )
        })?;
        let opening = evident_seal::CommitmentOpening::from_json(opening.trim())
            .map_err(|e| format!("the opening is unusable: {e}"))?;
        if opening.object.as_str() != entry.id {
            return Err(format!("the opening is for {}, not for item {}", opening.object, entry.id));
        }
        if hex::encode(opening.sha256) != sha256 || opening.size != size {
            return Err(format!(
                "the file (sha256 {sha256}, {size} bytes) is not the one the opening is for (item {})",
                entry.id
            ));
        }
        let opened = entry.commitments().iter().any(|c| {
            c.name == opening.part
                && evident_seal::Commitment::parse(&c.commitment).is_ok_and(|commitment| opening.opens(&commitment))
        });
        if !opened {
            return Err(format!("the opening does not make the commitment in the entry of item {}", entry.id));
        }
    } else if !entry.files().iter().any(|f| f.sha256 == sha256 && f.size == size) {
        return Err(format!(
            "the file (sha256 {sha256}, {size} bytes) is not the one this receipt is for (item {}, sha256 {})",
            entry.id,
            entry.files().iter().map(|f| f.sha256.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let checkpoint = verify_tlog_proof(&proof, &entry_bytes, &verifier).map_err(|e| e.to_string())?;
    Ok(ReceiptVerdict {
        item: entry.id,
        sha256,
        index: proof.index,
        origin: checkpoint.origin,
        tree_size: checkpoint.size,
        time: entry.time,
    })
}
