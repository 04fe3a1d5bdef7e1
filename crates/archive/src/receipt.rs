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
pub fn check_receipt(receipt: &str, file: &mut dyn Read, verifier_key: &str) -> Result<ReceiptVerdict, String> {
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
    if !entry.files().iter().any(|f| f.sha256 == sha256 && f.size == size) {
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
