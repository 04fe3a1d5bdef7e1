//! Forgetting sealed items (crypto-shredding) and rotating the key-encryption
//! key: keys destroyed for good, the log untouched but for the forgetting's
//! own entry, `verify` passing and reporting what was forgotten.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::harness::*;

const CANARY: &str = "Forget-Canary-Zq81Witness-家人-ئايگۈل";
const REASON: &str = "Reason-Canary-the witness in Turpan asked";

/// Every file under `log/`, by path, with its bytes.
fn log_files(archive: &TestArchive) -> BTreeMap<PathBuf, Vec<u8>> {
    every_file(&archive.dir.join("log")).into_iter().map(|path| (path.clone(), std::fs::read(&path).unwrap())).collect()
}

fn wrapped_key(archive: &TestArchive, item: &str) -> Option<Vec<u8>> {
    let db = rusqlite::Connection::open(archive.dir.join("evident.db")).unwrap();
    db.query_row("SELECT wrapped_key FROM sealed_item WHERE item_id = ?1", [item], |row| row.get(0)).ok()
}

fn add_sealed(archive: &TestArchive, name: &str, content: &str) -> String {
    let path = archive.write_input(name, content.as_bytes());
    let (outcomes, code) = archive.add(&[&path], &["--sensitivity", "sealed"]);
    assert_eq!(code, 0, "{outcomes:?}");
    outcomes[0]["item"].as_str().unwrap().to_owned()
}

fn json_line(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str(stdout(output).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

#[test]
fn forgetting_destroys_the_key_and_verify_reports_the_item_as_forgotten() {
    let archive = TestArchive::new();
    let sealed = add_sealed(&archive, &format!("{CANARY}.txt"), &format!("testimony of {CANARY}\n"));
    let kept = add_sealed(&archive, "other.txt", "another testimony, kept\n");
    let plain =
        archive.add_one(&archive.write_input("note.txt", b"an ordinary note"))["item"].as_str().unwrap().to_owned();
    // a descriptive record of the sealed item, which forgetting leaves alone
    let output =
        archive.run(&["edit", &sealed, "--set", "description=interview recorded in 2019", "--reason", "described"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let key = wrapped_key(&archive, &sealed).expect("a sealed item has its wrapped key");
    assert_eq!(key.len(), 88);

    // Refusals change nothing.
    let size_before = archive.verify().0["log_size"].clone();
    let output = archive.run(&["forget", &plain, "--reason", "x"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains(&format!("{plain} is not sealed")), "{}", stderr(&output));
    assert!(stderr(&output).contains("key to destroy"), "{}", stderr(&output));
    let output = archive.run(&["forget", "itm_01jdx4m6q8c1v7yb2k9e3r5t0a", "--reason", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no item itm_01jdx4m6q8c1v7yb2k9e3r5t0a"), "{}", stderr(&output));
    let output = archive.run(&["forget", &sealed, "--reason", "  "]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("reason"), "{}", stderr(&output));
    assert_eq!(archive.verify().0["log_size"], size_before);
    let receipt_before = stdout(&archive.run(&["receipt", &sealed]));

    let report = json_line(&archive.run(&["forget", &sealed, "--reason", REASON, "--json"]));
    assert_eq!(report["id"], sealed.as_str());
    assert_eq!(report["version"], "v2");
    assert_eq!(report["log_index"].as_u64().unwrap() + 1, report["log_size"].as_u64().unwrap());
    let forgotten_at = report["forgotten_at"].as_str().unwrap().to_owned();

    let output = archive.run(&["forget", &sealed, "--reason", REASON]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&format!("already forgotten on {forgotten_at}")), "{}", stderr(&output));

    // The key is gone from every file of the archive (database, WAL, everything).
    assert_eq!(wrapped_key(&archive, &sealed), None);
    assert!(files_holding(&archive.dir, &key).is_empty(), "{:?}", files_holding(&archive.dir, &key));
    // The reason stays in the archive's database, never in the public log.
    assert!(files_holding(&archive.dir.join("log"), REASON.as_bytes()).is_empty());
    assert!(files_holding(&archive.dir, CANARY.as_bytes()).is_empty());

    let check = |archive: &TestArchive| {
        let (report, code) = archive.verify();
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(report["forgotten"], 1, "{report:#}");
        assert_eq!(report["forgotten_ids"], serde_json::json!([sealed]), "{report:#}");
        assert_eq!(report["sealed"], 1, "the other sealed item still opens: {report:#}");
        assert_eq!(report["sealed_unopened"], 0, "{report:#}");
        let output = archive.run(&["verify"]);
        assert!(stdout(&output).contains("1 forgotten items"), "{}", stdout(&output));

        let output = archive.run(&["show", &sealed]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).contains(&format!("forgotten on {forgotten_at}")), "{}", stdout(&output));
        assert!(stdout(&output).contains("interview recorded in 2019"), "the descriptive record stays");
        let output = archive.run(&["unseal", &sealed]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains(&format!("forgotten on {forgotten_at}")), "{}", stderr(&output));
        assert!(stdout(&output).is_empty());
        let opening = archive.temp.path().join("opening.json");
        let output = archive.run(&["receipt", &sealed, "--reveal", opening.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains(&format!("forgotten on {forgotten_at}")), "{}", stderr(&output));
        assert!(!opening.exists());
        // A plain receipt still proves the original entry.
        let output = archive.run(&["receipt", &sealed]);
        assert!(output.status.success(), "{}", stderr(&output));
        let receipt = stdout(&output);
        assert_eq!(receipt.lines().nth(1), receipt_before.lines().nth(1), "the same entry at the same index");
        // The other sealed item is untouched.
        let output = archive.run(&["unseal", &kept]);
        assert_eq!(stdout(&output), "another testimony, kept\n", "{}", stderr(&output));
        // Searches find nothing of it, for any access level.
        for access in ["public", "restricted"] {
            let output = archive.run(&["search", &sealed, "--access", access, "--json"]);
            assert!(!stdout(&output).contains(&sealed), "{access}: {}", stdout(&output));
        }
    };
    check(&archive);
    // Survives a reindex (which must not bring it back) and a fresh open.
    let output = archive.run(&["reindex"]);
    assert!(output.status.success(), "{}", stderr(&output));
    check(&archive);

    // Export: the descriptive record stays, nothing sealed appears.
    let output = archive.run(&["export", "--kind", "all", "--format", "jsonl"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dump = stdout(&output);
    assert!(dump.contains(&sealed) && dump.contains("interview recorded in 2019"), "{dump}");
    assert!(!dump.contains(CANARY) && !dump.contains(REASON), "{dump}");
}

#[test]
fn a_changed_forgetting_is_reported_by_verify() {
    let archive = TestArchive::new();
    let sealed = add_sealed(&archive, "t.txt", "a testimony\n");
    json_line(&archive.run(&["forget", &sealed, "--reason", "asked", "--json"]));
    archive.assert_verifies();
    {
        let db = rusqlite::Connection::open(archive.dir.join("evident.db")).unwrap();
        db.execute("UPDATE forgotten_item SET reason = 'something else'", []).unwrap();
    }
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.contains(&sealed) && p.contains("another forgetting")), "{problems:?}");
    {
        let db = rusqlite::Connection::open(archive.dir.join("evident.db")).unwrap();
        db.execute("DELETE FROM forgotten_item", []).unwrap();
    }
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.contains("records forgetting")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("no sealed keys")), "{problems:?}");
}

#[test]
fn rotating_a_key_file_rewraps_every_key_and_leaves_the_log_byte_identical() {
    let archive = TestArchive::new();
    let a = add_sealed(&archive, "a.txt", "first testimony\n");
    let b = add_sealed(&archive, "b.txt", "second testimony\n");
    json_line(&archive.run(&["forget", &b, "--reason", "asked", "--json"]));
    // a person's name is sealed under the record's own data key (`sealed_record_key`)
    let output = archive.run(&["create", "person", "--set", r#"names=[{"name":"Rotation Canary Wz5"}]"#]);
    assert!(output.status.success(), "{}", stderr(&output));
    let person = stdout(&output).split_whitespace().find(|word| word.starts_with("per_")).unwrap().to_owned();
    let key_file = archive.temp.path().join("archive.keys/kek");
    let old_key = archive.temp.path().join("old-kek-backup");
    std::fs::copy(&key_file, &old_key).unwrap();
    let old_wrapped = wrapped_key(&archive, &a).unwrap();
    let log_before = log_files(&archive);
    let ocfl_before: Vec<_> =
        every_file(&archive.dir.join("ocfl")).into_iter().map(|p| std::fs::read(p).unwrap()).collect();

    let new_key = archive.temp.path().join("elsewhere/kek-2");
    std::fs::create_dir_all(new_key.parent().unwrap()).unwrap();
    let report = json_line(&archive.run(&["seal", "rotate", "--new-kek-file", new_key.to_str().unwrap(), "--json"]));
    assert_eq!(report["items"], 1, "{report}");
    assert_eq!(report["records"], 1, "{report}");
    assert_ne!(report["old_key_id"], report["new_key_id"]);
    assert!(new_key.is_file() && !key_file.exists(), "the key moved; the old file is destroyed");
    assert_ne!(wrapped_key(&archive, &a).unwrap(), old_wrapped);
    // The log is never re-hashed: every entry bundle, tile and the checkpoint as they were; objects too.
    assert_eq!(log_files(&archive), log_before);
    let ocfl_after: Vec<_> =
        every_file(&archive.dir.join("ocfl")).into_iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(ocfl_after, ocfl_before);
    let seal_json: Value = serde_json::from_slice(&std::fs::read(archive.dir.join("seal.json")).unwrap()).unwrap();
    assert_eq!(seal_json["next"], Value::Null);

    // The old key opens nothing any more; the new one opens everything.
    let output = archive.command().args(["--kek-file", old_key.to_str().unwrap(), "unseal", &a]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    let output = archive.command().args(["--kek-file", new_key.to_str().unwrap(), "unseal", &a]).output().unwrap();
    assert_eq!(stdout(&output), "first testimony\n", "{}", stderr(&output));
    let output =
        archive.command().args(["--kek-file", new_key.to_str().unwrap(), "verify", "--json"]).output().unwrap();
    let verified: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verified["ok"], true, "{verified:#}");
    assert_eq!(verified["sealed"], 1);
    assert_eq!(verified["sealed_unopened"], 0);
    assert_eq!(verified["forgotten"], 1);
    let output = archive
        .command()
        .args(["--kek-file", new_key.to_str().unwrap(), "show", &person, "--reveal"])
        .output()
        .unwrap();
    assert!(stdout(&output).contains("Rotation Canary Wz5"), "{}{}", stdout(&output), stderr(&output));
    let output = archive
        .command()
        .args(["--kek-file", old_key.to_str().unwrap(), "show", &person, "--reveal"])
        .output()
        .unwrap();
    assert!(!stdout(&output).contains("Rotation Canary Wz5"), "{}", stdout(&output));

    // A backup of the database made before the rotation holds the old wrapped key: useless with the new KEK.
    let db = rusqlite::Connection::open(archive.dir.join("evident.db")).unwrap();
    db.execute("UPDATE sealed_item SET wrapped_key = ?1 WHERE item_id = ?2", rusqlite::params![old_wrapped, a])
        .unwrap();
    drop(db);
    let output = archive.command().args(["--kek-file", new_key.to_str().unwrap(), "unseal", &a]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("wrapped under"), "{}", stderr(&output));
}

#[test]
fn an_interrupted_rotation_is_finished_by_running_it_again() {
    let archive = TestArchive::new();
    let a = add_sealed(&archive, "a.txt", "first testimony\n");
    let b = add_sealed(&archive, "b.txt", "second testimony\n");
    let key_file = archive.temp.path().join("archive.keys/kek");
    let log_before = log_files(&archive);
    // A rotation that stopped after begin, having re-wrapped one key: simulate with the seal crate's own steps.
    {
        let mut keyring =
            evident_seal::open_keyring(&archive.dir, &evident_seal::Unlock::KeyFile { path: &key_file }).unwrap();
        keyring.begin_rotation(&evident_seal::RotateTo::KeyFile).unwrap();
        let db = rusqlite::Connection::open(archive.dir.join("evident.db")).unwrap();
        let stored: Vec<u8> =
            db.query_row("SELECT wrapped_key FROM sealed_item WHERE item_id = ?1", [&a], |row| row.get(0)).unwrap();
        let object = evident_seal::ObjectId::parse(&a).unwrap();
        let new = keyring.rewrap(&object, &evident_seal::WrappedKey::parse(&stored).unwrap()).unwrap().unwrap();
        db.execute(
            "UPDATE sealed_item SET wrapped_key = ?1 WHERE item_id = ?2",
            rusqlite::params![new.as_bytes().to_vec(), a],
        )
        .unwrap();
    }
    // Mid-rotation, both keys open (the archive's key file and its .next).
    let output = archive.run(&["unseal", &b]);
    assert_eq!(stdout(&output), "second testimony\n", "{}", stderr(&output));
    let report = json_line(&archive.run(&["seal", "rotate", "--json"]));
    assert_eq!(report["resumed"], true, "{report}");
    assert_eq!(report["items"], 1, "only the key left under the old KEK: {report}");
    assert!(!archive.temp.path().join("archive.keys/kek.next").exists());
    for (item, text) in [(&a, "first testimony\n"), (&b, "second testimony\n")] {
        let output = archive.run(&["unseal", item]);
        assert_eq!(stdout(&output), text, "{}", stderr(&output));
    }
    assert_eq!(log_files(&archive), log_before);
    archive.assert_verifies();
}

#[test]
fn a_passphrase_is_rotated_to_a_new_passphrase() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    let output = evident_command()
        .env("EVIDENT_KEK_PASSPHRASE", "correct horse battery staple")
        .args(["init", dir.to_str().unwrap(), "--origin", "test.example/evident", "--passphrase"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let run = |passphrase: &str, args: &[&str]| {
        evident_command()
            .env("EVIDENT_ARCHIVE", &dir)
            .env("EVIDENT_KEK_PASSPHRASE", passphrase)
            .env("EVIDENT_KEK_NEW_PASSPHRASE", "a new and longer passphrase")
            .arg("--passphrase")
            .args(args)
            .output()
            .unwrap()
    };
    let input = temp.path().join("t.txt");
    std::fs::write(&input, "passphrase testimony\n").unwrap();
    let output =
        run("correct horse battery staple", &["add", "--sensitivity", "sealed", "--json", input.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let item = serde_json::from_str::<Value>(stdout(&output).lines().next().unwrap()).unwrap()["item"]
        .as_str()
        .unwrap()
        .to_owned();
    let output = run("correct horse battery staple", &["seal", "rotate"]);
    assert_eq!(output.status.code(), Some(2), "a passphrase rotates only to a passphrase");
    assert!(stderr(&output).contains("--new-passphrase"), "{}", stderr(&output));
    let output = run("correct horse battery staple", &["seal", "rotate", "--new-passphrase"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // A key file cannot stand in for a passphrase, nor the old passphrase for the new one.
    let output = run("correct horse battery staple", &["unseal", &item]);
    assert_eq!(output.status.code(), Some(2));
    let output = run("a new and longer passphrase", &["unseal", &item]);
    assert_eq!(stdout(&output), "passphrase testimony\n", "{}", stderr(&output));
}
