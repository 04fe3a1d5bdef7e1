use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::harness::*;

#[test]
fn files_and_folders_become_items_and_duplicates_are_stored_once() {
    let archive = TestArchive::new();
    let a = archive.write_input("dir/a.txt", "人权 testimony".as_bytes());
    archive.write_input("dir/sub/b.pdf", b"%PDF-1.4 not really");
    archive.write_input("dir/sub/copy-of-a.txt", "人权 testimony".as_bytes());
    let (outcomes, code) = archive.add(&[a.parent().unwrap()], &[]);
    assert_eq!(code, 0, "{outcomes:?}");
    let statuses: Vec<(&str, &str)> = outcomes
        .iter()
        .map(|o| {
            (
                Path::new(o["path"].as_str().unwrap()).file_name().unwrap().to_str().unwrap(),
                o["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, vec![("a.txt", "added"), ("b.pdf", "added"), ("copy-of-a.txt", "duplicate")]);
    assert_eq!(outcomes[2]["item"], outcomes[0]["item"]);
    let expected_sha = sha256_hex("人权 testimony".as_bytes());
    assert_eq!(outcomes[0]["sha256"], expected_sha.as_str());
    assert_eq!(outcomes[0]["error"], serde_json::Value::Null);

    // Adding again reports duplicates with the existing items.
    let (again, code) = archive.add(&[&a], &[]);
    assert_eq!(code, 0);
    assert_eq!(again[0]["status"], "duplicate");
    assert_eq!(again[0]["item"], outcomes[0]["item"]);

    // The object holds the bytes and a metadata record.
    let object = archive.object_dir(outcomes[1]["item"].as_str().unwrap());
    assert_eq!(std::fs::read(object.join("v1/content/file.pdf")).unwrap(), b"%PDF-1.4 not really");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(object.join("v1/content/evident.json")).unwrap()).unwrap();
    assert_eq!(record["original_name"], "b.pdf");
    assert_eq!(record["media_type"], "application/pdf");
    assert_eq!(record["added_by"], "tester");
    assert_eq!(record["size"], 19);
    archive.assert_verifies();
    let checkpoint = stdout(&archive.run(&["checkpoint"]));
    assert_eq!(checkpoint.lines().nth(1), Some("2"), "two items, two entries: {checkpoint}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn bad_inputs_are_rejected_one_by_one_and_nothing_partial_is_stored() {
    let archive = TestArchive::new();
    let good = archive.write_input("good.txt", b"good");
    let missing = archive.input("missing.txt");
    let fifo = archive.input("a.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let loop_dir = archive.input("loop/x");
    std::fs::create_dir_all(&loop_dir).unwrap();
    std::os::unix::fs::symlink("b", archive.input("loop/a")).unwrap();
    std::os::unix::fs::symlink("a", archive.input("loop/b")).unwrap();
    std::os::unix::fs::symlink("..", archive.input("loop/x/up")).unwrap();
    let non_utf8 = archive.input("names").join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::create_dir_all(non_utf8.parent().unwrap()).unwrap();
    std::fs::write(&non_utf8, b"latin-1 name").unwrap();

    let (outcomes, code) = archive.add(
        &[
            &good,
            &missing,
            &fifo,
            Path::new("/dev/null"),
            &archive.input("loop"),
            non_utf8.parent().unwrap(),
            Path::new("/proc/self/mem"),
        ],
        &[],
    );
    assert_eq!(code, 1, "{outcomes:#?}");
    let by_path = |suffix: &str| {
        outcomes
            .iter()
            .find(|o| o["path"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("no outcome for {suffix}: {outcomes:#?}"))
            .clone()
    };
    assert_eq!(by_path("good.txt")["status"], "added");
    assert_eq!(by_path("missing.txt")["error"], "no such file or folder");
    assert_eq!(by_path("a.fifo")["error"], "not a regular file (a fifo)");
    assert_eq!(by_path("/dev/null")["error"], "not a regular file (a character device)");
    assert!(by_path("loop/a")["error"].as_str().unwrap().contains("symbolic link loop"));
    assert!(by_path("loop/b")["error"].as_str().unwrap().contains("symbolic link loop"));
    assert!(by_path("loop/x/up")["error"].as_str().unwrap().contains("symbolic link loop"));
    assert_eq!(by_path("caf\u{fffd}.txt")["status"], "added");
    let mem = by_path("/proc/self/mem");
    assert_eq!(mem["status"], "rejected");
    assert!(mem["error"].as_str().unwrap().to_lowercase().contains("error"), "{mem}");
    for outcome in &outcomes {
        if outcome["status"] == "rejected" {
            assert_eq!(outcome["item"], serde_json::Value::Null);
        }
    }
    // The non-UTF-8 name keeps its raw bytes in the metadata record.
    let object = archive.object_dir(by_path("caf\u{fffd}.txt")["item"].as_str().unwrap());
    let record = std::fs::read_to_string(object.join("v1/content/evident.json")).unwrap();
    assert!(record.contains(&hex(non_utf8.as_os_str().as_bytes())), "{record}");

    // Exactly the two good files are stored, and nothing is left in staging.
    let (report, _) = archive.verify();
    assert_eq!(report["items"], 2);
    assert_eq!(report["objects"], 2);
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(std::fs::read_dir(archive.dir.join("tmp")).unwrap().count(), 0);
}

#[test]
fn a_file_that_changes_while_being_read_is_rejected() {
    let archive = TestArchive::new();
    let path = archive.write_input("growing.bin", &vec![7u8; 64 << 20]);
    let writer_path = path.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_writer = stop.clone();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().append(true).open(writer_path).unwrap();
        while !stop_writer.load(std::sync::atomic::Ordering::Relaxed) {
            file.write_all(&[1u8; 4096]).unwrap();
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    });
    let (outcomes, code) = archive.add(&[&path], &[]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(code, 1, "{outcomes:?}");
    assert_eq!(outcomes[0]["status"], "rejected");
    assert!(outcomes[0]["error"].as_str().unwrap().contains("while it was being read"), "{outcomes:?}");
    let (report, _) = archive.verify();
    assert_eq!(report["items"], 0);
    assert_eq!(report["objects"], 0);
}

#[test]
fn a_second_command_on_a_busy_archive_fails_at_once() {
    let archive = TestArchive::new();
    let lock = std::fs::OpenOptions::new().write(true).open(archive.dir.join("lock")).unwrap();
    lock.try_lock().unwrap();
    let input = archive.write_input("a.txt", b"waiting");
    let output = archive.command().arg("add").arg(&input).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("another evident command is working on"), "{}", stderr(&output));
    drop(lock);
    let outcome = archive.add_one(&input);
    assert_eq!(outcome["status"], "added");
}

#[test]
fn many_files_in_one_run_share_checkpoints() {
    let archive = TestArchive::new();
    for i in 0..600 {
        archive.write_input(&format!("many/{i:04}.txt"), format!("document {i}").as_bytes());
    }
    let (outcomes, code) = archive.add(&[&archive.input("many")], &[]);
    assert_eq!(code, 0);
    assert_eq!(outcomes.len(), 600);
    assert!(outcomes.iter().all(|o| o["status"] == "added"));
    // 600 entries: two full level-0 tiles, a partial one, and a level-1 partial tile
    let log = archive.dir.join("log/tile");
    assert!(log.join("0/000").exists() && log.join("0/001").exists() && log.join("0/002.p/88").exists());
    assert!(log.join("1/000.p/2").exists());
    assert!(log.join("entries/002.p/88").exists());
    // superseded partial tiles are gone
    let partials: Vec<_> = std::fs::read_dir(log.join("0/002.p")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(partials, vec![std::ffi::OsString::from("88")]);
    archive.assert_verifies();
}
