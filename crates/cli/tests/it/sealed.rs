//! Sealed items (witness protection): nothing sealed on disk in plaintext,
//! a stolen archive without its key reveals nothing and still verifies,
//! tampering is found, receipts open only with the revealed salt.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::harness::*;

/// Unique canaries: Latin, Chinese, Uyghur (Arabic script).
const CANARY_LATIN: &str = "Canary-Qx7vWitnessZanabi-4417";
const CANARY_CHINESE: &str = "金丝雀证人阿依古丽七号";
const CANARY_UYGHUR: &str = "كانارىيە گۇۋاھچى ئايگۈل";

struct Sealed {
    archive: TestArchive,
    /// (item id, plaintext, original name)
    items: Vec<(String, Vec<u8>, String)>,
}

fn archive_with_sealed_canaries() -> Sealed {
    let archive = TestArchive::new();
    assert!(archive.dir.join("seal.json").is_file(), "init gives a new archive its key-encryption key");
    assert!(archive.temp.path().join("archive.keys/kek").is_file(), "the key file lives beside the archive");
    let inputs = [
        (format!("{CANARY_LATIN}.txt"), format!("testimony of {CANARY_LATIN}, who saw the operating room\n")),
        (format!("{CANARY_CHINESE}.txt"), format!("证词：{CANARY_CHINESE}在医院看到了名单。\n")),
        (format!("{CANARY_UYGHUR}.txt"), format!("گۇۋاھلىق: {CANARY_UYGHUR} دوختۇرخانىدا كۆردى\n")),
    ];
    let mut items = Vec::new();
    for (name, content) in inputs {
        let path = archive.write_input(&name, content.as_bytes());
        let (outcomes, code) = archive.add(&[&path], &["--sensitivity", "sealed"]);
        assert_eq!(code, 0, "{outcomes:?}");
        assert_eq!(outcomes[0]["status"], "added", "{outcomes:?}");
        assert!(outcomes[0]["sha256"].is_null(), "a sealed item's digest is not printed: {outcomes:?}");
        items.push((outcomes[0]["item"].as_str().unwrap().to_owned(), content.into_bytes(), name));
    }
    // an ordinary item beside them
    archive.add_one(&archive.write_input("public-note.txt", b"an ordinary restricted note"));
    Sealed { archive, items }
}

#[test]
fn sealed_canaries_appear_nowhere_on_disk_but_come_back_with_the_key() {
    let Sealed { archive, items } = archive_with_sealed_canaries();
    // a search and a reindex write the index and the database again
    let output = archive.run(&["search", CANARY_LATIN]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stdout(&output).contains(&items[0].0), "a sealed item is not findable by its text");
    let output = archive.run(&["reindex"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // the database and tmp/ are among what is searched (the WAL too, whenever a command left one)
    assert!(every_file(&archive.dir).iter().any(|p| p.to_string_lossy().ends_with("evident.db")));
    assert!(archive.dir.join("tmp").is_dir());

    for canary in [CANARY_LATIN, CANARY_CHINESE, CANARY_UYGHUR] {
        assert_eq!(files_holding(&archive.dir, canary.as_bytes()), Vec::<PathBuf>::new(), "canary {canary}");
    }
    for (id, plaintext, name) in &items {
        let digest = Sha256::digest(plaintext);
        let hex_digest = hex_lower(&digest);
        assert_eq!(files_holding(&archive.dir, hex_digest.as_bytes()), Vec::<PathBuf>::new(), "hex sha256 of {id}");
        assert_eq!(files_holding(&archive.dir, &digest), Vec::<PathBuf>::new(), "raw sha256 of {id}");
        assert_eq!(files_holding(&archive.dir, name.as_bytes()), Vec::<PathBuf>::new(), "name of {id}");

        // back with the key: content and name
        let output = archive.run(&["unseal", id]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(&output.stdout, plaintext);
        let output = archive.run(&["show", id]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(!stdout(&output).contains(name.as_str()), "shown only with --reveal: {}", stdout(&output));
        let output = archive.run(&["show", id, "--reveal"]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).contains(name.as_str()), "{}", stdout(&output));
        assert!(stdout(&output).contains(&hex_digest), "{}", stdout(&output));
    }
    archive.assert_verifies();
    let (report, _) = archive.verify();
    assert_eq!(report["sealed"], 3);
    assert_eq!(report["sealed_unopened"], 0, "with the key every sealed item is opened: {report}");
}

#[test]
fn the_log_carries_commitments_not_digests_of_sealed_files() {
    let Sealed { archive, items } = archive_with_sealed_canaries();
    let log_files = every_file(&archive.dir.join("log"));
    let bundles: Vec<u8> = log_files
        .iter()
        .filter(|p| p.to_string_lossy().contains("/entries/"))
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    for (id, plaintext, _) in &items {
        let digest = Sha256::digest(plaintext);
        for path in &log_files {
            let bytes = std::fs::read(path).unwrap();
            assert!(!contains(&bytes, hex_lower(&digest).as_bytes()), "{} holds the sha256 of {id}", path.display());
            assert!(!contains(&bytes, &digest), "{} holds the raw sha256 of {id}", path.display());
        }
        let entry = entry_of(&bundles, id);
        assert!(entry.starts_with("{\"v\":2,\"type\":\"item.add\""), "{entry}");
        assert!(entry.contains("\"commitments\":[{\"name\":\"file.evseal\",\"commitment\":\""), "{entry}");
        assert!(!entry.contains("\"size\""), "no plaintext size in a sealed entry: {entry}");
    }
}

/// The entry of an item in the concatenated entry bundles.
fn entry_of(bundles: &[u8], id: &str) -> String {
    let text = String::from_utf8_lossy(bundles);
    let at = text.find(&format!("\"id\":\"{id}\"")).unwrap_or_else(|| panic!("no entry for {id}"));
    let start = text[..at].rfind("{\"v\":").unwrap();
    let end = at + text[at..].find("}]}").unwrap() + 3;
    text[start..end].to_owned()
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_stolen_archive_without_its_key_reveals_nothing_and_still_verifies() {
    let Sealed { archive, items } = archive_with_sealed_canaries();
    let stolen_place = tempfile::tempdir().unwrap();
    let stolen = stolen_place.path().join("stolen");
    let copied = std::process::Command::new("cp").arg("-a").arg(&archive.dir).arg(&stolen).status().unwrap();
    assert!(copied.success());
    let thief = |args: &[&str]| evident_command().env("EVIDENT_ARCHIVE", &stolen).args(args).output().unwrap();

    let (id, plaintext, name) = &items[1];
    let output = thief(&["unseal", id]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "not one byte without the key");
    assert!(stderr(&output).contains("key-encryption key"), "{}", stderr(&output));
    let output = thief(&["show", id, "--reveal"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stdout(&output).contains(name.as_str()) && stdout(&output).contains("cannot be shown"));
    let output = thief(&["receipt", id, "--reveal"]);
    assert_ne!(output.status.code(), Some(0));

    // verify checks all it can and says what it could not open
    let output = thief(&["verify"]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("3 of 3 sealed items could not be opened"), "{}", stdout(&output));
    let output = thief(&["verify", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((report["ok"].clone(), report["sealed_unopened"].clone()), (true.into(), 3.into()), "{report}");

    // a damaged ciphertext is found even without the key
    let content = stolen_object_content(&stolen, &archive, id);
    flip_byte(&content, 70);
    let output = thief(&["verify", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains(id.as_str()) && text.contains("file.evseal"), "{text}");

    // a key from elsewhere is refused with a clear message, never garbage
    let other = TestArchive::new();
    let output = evident_command()
        .env("EVIDENT_ARCHIVE", &archive.dir)
        .arg("--kek-file")
        .arg(other.temp.path().join("archive.keys/kek"))
        .args(["unseal", id])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("but this archive's key is"), "{}", stderr(&output));
    assert!(!contains(&output.stdout, plaintext));
}

fn stolen_object_content(stolen: &Path, archive: &TestArchive, id: &str) -> PathBuf {
    let relative = archive.object_dir(id).strip_prefix(&archive.dir).unwrap().to_owned();
    stolen.join(relative).join("v1/content/file.evseal")
}

#[test]
fn a_flipped_ciphertext_byte_is_found_by_verify_with_the_key() {
    let Sealed { archive, items } = archive_with_sealed_canaries();
    let (id, _, _) = &items[0];
    let content = archive.object_dir(id).join("v1/content/file.evseal");
    assert!(content.is_file());
    flip_byte(&content, -3);
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.starts_with(id.as_str())), "{problems:?}");
    let output = archive.run(&["unseal", id]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "a damaged item prints nothing");
    assert!(stderr(&output).contains("corrupted"), "{}", stderr(&output));
}

#[test]
fn a_sealed_receipt_checks_only_with_the_revealed_opening() {
    let Sealed { archive, items } = archive_with_sealed_canaries();
    let (id, plaintext, _) = &items[2];
    let receipt = archive.temp.path().join("sealed.receipt");
    let opening = archive.temp.path().join("sealed.opening");
    let output = archive.command().args(["receipt", id, "-o"]).arg(&receipt).arg("--reveal").arg(&opening).output();
    let output = output.unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&opening).unwrap().permissions().mode() & 0o777, 0o600);
    let file = archive.write_input("recovered.txt", plaintext);
    let check = |opening: Option<&Path>, file: &Path| {
        let mut command = evident_command();
        command.arg("check-receipt").arg(&receipt).arg("--file").arg(file).args(["--key", &archive.vkey]);
        if let Some(opening) = opening {
            command.arg("--opening").arg(opening);
        }
        command.output().unwrap()
    };
    let output = check(None, &file);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("is sealed") && stdout(&output).contains("--reveal"), "{}", stdout(&output));
    let output = check(Some(&opening), &file);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains(id.as_str()));
    // a guess with the opening still fails
    let guess = archive.write_input("guess.txt", b"a guess at the testimony");
    let output = check(Some(&opening), &guess);
    assert_eq!(output.status.code(), Some(1));
    // the reveal is in the audit trail
    let output = archive.run(&["audit"]);
    assert!(stdout(&output).contains("reveal"), "{}{}", stdout(&output), stderr(&output));
}

#[test]
fn an_archive_without_a_key_encryption_key_refuses_sealing_until_seal_init() {
    let archive = TestArchive::new();
    // as if made before sealing existed
    std::fs::remove_file(archive.dir.join("seal.json")).unwrap();
    std::fs::remove_dir_all(archive.temp.path().join("archive.keys")).unwrap();
    let file = archive.write_input("t.txt", b"testimony");
    let output = archive.command().args(["add", "--sensitivity", "sealed"]).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("evident seal init"), "{}", stderr(&output));
    assert_eq!(archive.run(&["verify"]).status.code(), Some(0), "nothing half-stored");
    archive.add_one(&archive.write_input("plain.txt", b"ordinary items keep working"));

    let output = archive.run(&["seal", "init"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (outcomes, code) = archive.add(&[&file], &["--sensitivity", "sealed"]);
    assert_eq!((code, outcomes[0]["status"].as_str()), (0, Some("added")), "{outcomes:?}");
    let output = archive.run(&["unseal", outcomes[0]["item"].as_str().unwrap()]);
    assert_eq!(output.stdout, b"testimony");
    archive.assert_verifies();
}

#[test]
fn public_items_are_published_and_bad_sensitivities_refused() {
    let archive = TestArchive::new();
    let file = archive.write_input("report.txt", b"a public report");
    let (outcomes, code) = archive.add(&[&file], &["--sensitivity", "public"]);
    assert_eq!(code, 0, "{outcomes:?}");
    let id = outcomes[0]["item"].as_str().unwrap();
    let output = archive.run(&["show", id, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["fields"]["sensitivity"], "public", "{shown}");
    let output = archive.command().args(["add", "--sensitivity", "secret"]).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("public, restricted or sealed"), "{}", stderr(&output));
    archive.assert_verifies();
}
