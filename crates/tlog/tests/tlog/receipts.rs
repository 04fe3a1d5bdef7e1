//! tlog-proof receipts.

use evident_tlog::{
    Checkpoint, LeafHashes, NoteSigner, TlogError, TlogProof, inclusion_proof, leaf_hash, sign_checkpoint, tree_root,
    verify_tlog_proof,
};

struct Fixture {
    signer: NoteSigner,
    entries: Vec<Vec<u8>>,
    receipt: TlogProof,
}

fn fixture(index: u64, extra: Option<Vec<u8>>) -> Fixture {
    let signer = NoteSigner::from_seed("archive.example/log1", [0x01; 32]).unwrap();
    let entries: Vec<Vec<u8>> = (0..21u32).map(|i| format!("entry {i}").into_bytes()).collect();
    let leaves = LeafHashes(entries.iter().map(|entry| leaf_hash(entry)).collect());
    let size = entries.len() as u64;
    let checkpoint =
        Checkpoint { origin: signer.name().into(), size, root: tree_root(size, &leaves).unwrap(), extensions: vec![] };
    let mut signed = sign_checkpoint(&checkpoint, &signer).unwrap();
    let witness = NoteSigner::from_seed("witness.example/w1", [0x02; 32]).unwrap();
    signed.push_str(&witness.cosign(&checkpoint.to_text(), 1_700_000_000).unwrap());
    let receipt = TlogProof { extra, index, proof: inclusion_proof(index, size, &leaves).unwrap(), checkpoint: signed };
    Fixture { signer, entries, receipt }
}

#[test]
fn receipts_round_trip_and_verify() {
    for (index, extra) in [(0, None), (13, Some(b"context".to_vec())), (20, Some(vec![]))] {
        let Fixture { signer, entries, receipt } = fixture(index, extra);
        let text = receipt.to_text();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\n"));
        assert!(text.contains(&format!("\nindex {index}\n")));
        let parsed = TlogProof::parse(&text).unwrap();
        assert_eq!(parsed, receipt);
        let checkpoint = verify_tlog_proof(&parsed, &entries[index as usize], &signer.verifier()).unwrap();
        assert_eq!(checkpoint.size, 21);
        // The wrong entry does not verify.
        assert!(matches!(
            verify_tlog_proof(&parsed, b"other entry", &signer.verifier()),
            Err(TlogError::InvalidProof(_))
        ));
    }
}

#[test]
fn receipt_layout_follows_the_spec() {
    let Fixture { receipt, .. } = fixture(13, Some(b"hi".to_vec()));
    let text = receipt.to_text();
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[0], "c2sp.org/tlog-proof@v1");
    assert_eq!(lines[1], "extra aGk=");
    assert_eq!(lines[2], "index 13");
    let proof_lines = receipt.proof.len();
    assert_eq!(lines[3 + proof_lines], "");
    assert_eq!(lines[4 + proof_lines], "archive.example/log1");
    assert!(text.ends_with(&receipt.checkpoint));
}

#[test]
fn tampered_receipts_fail() {
    let Fixture { signer, entries, receipt } = fixture(13, None);
    let entry = &entries[13];
    let verifier = signer.verifier();

    let mut wrong_hash = receipt.clone();
    wrong_hash.proof[1][5] ^= 0x10;
    assert!(verify_tlog_proof(&wrong_hash, entry, &verifier).is_err());

    let mut wrong_index = receipt.clone();
    wrong_index.index = 12;
    assert!(verify_tlog_proof(&wrong_index, entry, &verifier).is_err());

    let mut truncated = receipt.clone();
    truncated.proof.pop();
    assert!(verify_tlog_proof(&truncated, entry, &verifier).is_err());

    let mut forged = receipt.clone();
    forged.checkpoint = forged.checkpoint.replacen("\n21\n", "\n22\n", 1);
    assert!(matches!(verify_tlog_proof(&forged, entry, &verifier), Err(TlogError::Signature(_))));

    let other_log = NoteSigner::from_seed("archive.example/log2", [0x01; 32]).unwrap();
    assert!(verify_tlog_proof(&receipt, entry, &other_log.verifier()).is_err());

    // Tampering with the text: a modified hash line is still well-formed but
    // must not verify.
    let text = receipt.to_text();
    let first_hash_line = text.lines().nth(2).unwrap().to_owned();
    let mut flipped = first_hash_line.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let tampered = text.replacen(&first_hash_line, std::str::from_utf8(&flipped).unwrap(), 1);
    let parsed = TlogProof::parse(&tampered).unwrap();
    assert!(verify_tlog_proof(&parsed, entry, &verifier).is_err());
}

#[test]
fn malformed_receipts_are_rejected() {
    let Fixture { receipt, .. } = fixture(3, None);
    let text = receipt.to_text();
    let checkpoint = &receipt.checkpoint;
    let hash_line = text.lines().nth(2).unwrap();
    let cases = [
        ("wrong header", text.replacen("tlog-proof@v1", "tlog-proof@v2", 1)),
        ("leading zero index", text.replacen("index 3", "index 03", 1)),
        ("negative index", text.replacen("index 3", "index -3", 1)),
        ("missing index", text.replacen("index 3\n", "", 1)),
        ("extra after index", text.replacen("index 3\n", "index 3\nextra AA==\n", 1)),
        ("bad extra", text.replacen("index 3\n", "extra !!\nindex 3\n", 1)),
        ("short hash", text.replacen(hash_line, "AAAA", 1)),
        ("no blank line", format!("c2sp.org/tlog-proof@v1\nindex 3\n{checkpoint}")),
        ("missing checkpoint", "c2sp.org/tlog-proof@v1\nindex 3\n\n".to_string()),
        ("unsigned checkpoint", "c2sp.org/tlog-proof@v1\nindex 3\n\na\n1\nAAAA\n".to_string()),
        ("empty", String::new()),
    ];
    for (label, bad) in cases {
        assert!(matches!(TlogProof::parse(&bad), Err(TlogError::Malformed { .. })), "{label}: {bad:?} was accepted");
    }
}
