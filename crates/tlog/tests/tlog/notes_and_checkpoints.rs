//! Signed notes, checkpoints and cosignatures.

use evident_tlog::{
    Checkpoint, Note, NoteSigner, NoteVerifier, TlogError, leaf_hash, open_checkpoint, sign_checkpoint,
};

const LOG_VKEY: &str = "archive.example/log1+db40e027+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";
const WITNESS_VKEY: &str = "witness.example/w1+df1c0a35+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU";

fn log_signer() -> NoteSigner {
    NoteSigner::from_seed("archive.example/log1", [0x01; 32]).unwrap()
}

fn witness_signer() -> NoteSigner {
    NoteSigner::from_seed("witness.example/w1", [0x02; 32]).unwrap()
}

fn hello_checkpoint() -> Checkpoint {
    Checkpoint { origin: "archive.example/log1".into(), size: 1, root: leaf_hash(b"hello"), extensions: vec![] }
}

fn cosigned_vector() -> String {
    std::fs::read_to_string(crate::vectors_dir().join("checkpoint-cosigned.txt")).unwrap()
}

#[test]
fn cosigned_checkpoint_vector_is_reproduced_byte_for_byte() {
    let cp = hello_checkpoint();
    let signed = sign_checkpoint(&cp, &log_signer()).unwrap();
    let cosignature = witness_signer().cosign(&cp.to_text(), 1_700_000_000).unwrap();
    assert_eq!(format!("{signed}{cosignature}"), cosigned_vector());
}

#[test]
fn verifier_keys_match_the_spec() {
    assert_eq!(log_signer().verifier().to_string(), LOG_VKEY);
    assert_eq!(witness_signer().cosignature_verifier().to_string(), WITNESS_VKEY);
    assert_eq!(NoteVerifier::parse(LOG_VKEY).unwrap(), log_signer().verifier());
    assert_eq!(NoteVerifier::parse(WITNESS_VKEY).unwrap(), witness_signer().cosignature_verifier());
    assert_eq!(hex::encode(log_signer().key_id()), "db40e027");
}

#[test]
fn cosigned_vector_opens_and_both_signatures_verify() {
    let text = cosigned_vector();
    let log = NoteVerifier::parse(LOG_VKEY).unwrap();
    let witness = NoteVerifier::parse(WITNESS_VKEY).unwrap();
    assert_eq!(open_checkpoint(&text, &log).unwrap(), hello_checkpoint());
    let note = Note::parse(&text).unwrap();
    assert_eq!(note.signatures.len(), 2);
    assert_eq!(note.signatures[1].cosignature_timestamp(), Some(1_700_000_000));
    assert_eq!(note.verify(&[log.clone(), witness.clone()]).unwrap(), ["archive.example/log1", "witness.example/w1"]);
    assert_eq!(note.verify(std::slice::from_ref(&witness)).unwrap(), ["witness.example/w1"]);
    // The witness key cannot open the checkpoint as its log.
    assert!(open_checkpoint(&text, &witness).is_err());
}

#[test]
fn tampered_text_or_signature_is_rejected() {
    let text = cosigned_vector();
    let log = NoteVerifier::parse(LOG_VKEY).unwrap();
    let witness = NoteVerifier::parse(WITNESS_VKEY).unwrap();

    let tampered_text = text.replacen("\n1\n", "\n2\n", 1);
    assert!(matches!(
        Note::parse(&tampered_text).unwrap().verify(std::slice::from_ref(&log)),
        Err(TlogError::Signature(_))
    ));
    assert!(matches!(
        Note::parse(&tampered_text).unwrap().verify(std::slice::from_ref(&witness)),
        Err(TlogError::Signature(_))
    ));

    for signature_index in 0..2 {
        let mut note = Note::parse(&text).unwrap();
        let last = note.signatures[signature_index].signature.len() - 1;
        note.signatures[signature_index].signature[last] ^= 1;
        let reparsed = Note::parse(&note.to_text()).unwrap();
        assert_eq!(reparsed, note);
        assert!(matches!(reparsed.verify(&[log.clone(), witness.clone()]), Err(TlogError::Signature(_))));
    }

    // A cosignature's timestamp is signed too.
    let mut note = Note::parse(&text).unwrap();
    note.signatures[1].signature[7] ^= 1;
    assert!(note.verify(&[witness]).is_err());
}

#[test]
fn unknown_keys_are_ignored_but_one_known_signature_is_required() {
    let text = cosigned_vector();
    let log = NoteVerifier::parse(LOG_VKEY).unwrap();
    let stranger = NoteSigner::from_seed("stranger.example", [5; 32]).unwrap();
    // A same-name key with another id, and a foreign signature line, are ignored.
    let impostor = NoteSigner::from_seed("archive.example/log1", [6; 32]).unwrap();
    let forged = impostor.sign(&hello_checkpoint().to_text()).unwrap();
    let forged_line = forged.lines().last().unwrap();
    let with_extra = format!("{text}{forged_line}\n");
    let note = Note::parse(&with_extra).unwrap();
    assert_eq!(note.signatures.len(), 3);
    assert_eq!(note.verify(std::slice::from_ref(&log)).unwrap(), ["archive.example/log1"]);
    assert_eq!(open_checkpoint(&with_extra, &log).unwrap(), hello_checkpoint());

    match note.verify(&[stranger.verifier()]) {
        Err(TlogError::Signature(message)) => assert_eq!(message, "no signature by a known key"),
        other => panic!("expected no known signature, got {other:?}"),
    }
    assert!(note.verify(&[]).is_err());
}

#[test]
fn notes_with_many_signatures_are_accepted() {
    let cp = hello_checkpoint();
    let mut text = sign_checkpoint(&cp, &log_signer()).unwrap();
    let mut witnesses = Vec::new();
    for number in 0..20u8 {
        let witness = NoteSigner::from_seed(&format!("w{number}.example"), [number; 32]).unwrap();
        text.push_str(&witness.cosign(&cp.to_text(), 1_700_000_000 + u64::from(number)).unwrap());
        witnesses.push(witness.cosignature_verifier());
    }
    let note = Note::parse(&text).unwrap();
    assert_eq!(note.signatures.len(), 21);
    assert_eq!(note.verify(&witnesses).unwrap().len(), 20);
}

#[test]
fn malformed_notes_are_reported_as_malformed() {
    let good = cosigned_vector();
    let body = "archive.example/log1\n1\niipcm3aIJ95alVLDigRMZpWcaPbS8htSYK9U0vh9uCc=\n";
    let line = good.lines().nth(4).unwrap();
    let cases = [
        ("no signatures", format!("{body}\n")),
        ("no blank line", format!("{body}{line}\n")),
        ("no final newline", format!("{body}\n{line}")),
        ("hyphen instead of em dash", format!("{body}\n{}\n", line.replacen('\u{2014}', "-", 1))),
        ("missing space after dash", format!("{body}\n{}\n", line.replacen("\u{2014} ", "\u{2014}", 1))),
        ("no signature", format!("{body}\n\u{2014} archive.example/log1\n")),
        ("extra field", format!("{body}\n{line} extra\n")),
        ("bad base64", format!("{body}\n\u{2014} archive.example/log1 !!!!\n")),
        ("unpadded base64", format!("{body}\n{}\n", line.trim_end_matches('='))),
        ("short signature", format!("{body}\n\u{2014} archive.example/log1 AAAAAA==\n")),
        ("empty name", format!("{body}\n\u{2014}  AAAAAAA=\n")),
        ("plus in name", format!("{body}\n\u{2014} a+b AAAAAAA=\n")),
        ("blank signature line", format!("{body}\n{line}\n\n")),
        ("carriage return", format!("{body}\n{line}\r\n")),
        ("control character in text", format!("a\x07\n\n{line}\n")),
        ("trailing text", format!("{body}\n{line}\ntrailing\n")),
    ];
    for (label, text) in cases {
        assert!(matches!(Note::parse(&text), Err(TlogError::Malformed { .. })), "{label}: {text:?} was accepted");
    }
    let log = NoteVerifier::parse(LOG_VKEY).unwrap();
    assert!(matches!(
        open_checkpoint("archive.example/log1\n1\nnot base64\n\n— x AAAAAAA=\n", &log),
        Err(TlogError::Malformed { .. })
    ));
}

#[test]
fn private_key_strings_match_go_format() {
    let text = log_signer().to_private_key_string();
    assert!(text.starts_with("PRIVATE+KEY+archive.example/log1+db40e027+"));
    // 0x01 followed by 32 bytes of 0x01.
    assert!(text.ends_with("+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"));
    let parsed = NoteSigner::parse_private_key(&format!("{text}\n")).unwrap();
    assert_eq!(parsed.verifier().to_string(), LOG_VKEY);
    assert!(!format!("{parsed:?}").contains("AQEBAQEB"));
}
