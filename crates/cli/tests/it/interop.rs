//! Our outputs checked by code we did not write: Go's sumdb/note and
//! sumdb/tlog for the log, ocfl-py for the storage root. The tools are
//! installed by scripts/install-test-deps; without them these tests fail.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::*;

fn go_verifier() -> PathBuf {
    let source = std::env::var_os("EVIDENT_GO_VERIFY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/go-tlog-verify"));
    let out = std::env::temp_dir().join(format!("evident-go-tlog-verify-{}", std::process::id()));
    let gocache = std::env::temp_dir().join("evident-gocache");
    let gopath = std::env::temp_dir().join("evident-gopath");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", format!("{}:/usr/share/gocode", gopath.display()))
        .env("GOCACHE", gocache)
        .env("GOFLAGS", "")
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run go ({e}); run scripts/test, which installs golang-go and golang-golang-x-mod-dev")
        });
    assert!(status.success(), "go build of {} failed", source.display());
    out
}

#[test]
fn go_sumdb_verifies_our_checkpoints_tiles_and_receipts() {
    let archive = TestArchive::new();
    for i in 0..20 {
        archive.write_input(&format!("first/{i}.txt"), format!("first batch {i}").as_bytes());
    }
    let (first, _) = archive.add(&[&archive.input("first")], &[]);
    let old_checkpoint = archive.temp.path().join("old-checkpoint");
    std::fs::write(&old_checkpoint, stdout(&archive.run(&["checkpoint"]))).unwrap();
    for i in 0..600 {
        archive.write_input(&format!("second/{i}.txt"), format!("second batch {i}").as_bytes());
    }
    let (second, code) = archive.add(&[&archive.input("second")], &[]);
    assert_eq!(code, 0);
    let mut receipts = Vec::new();
    for outcome in [&first[3], &second[0], &second[299], &second[599]] {
        let path = archive.temp.path().join(format!("{}.receipt", outcome["item"].as_str().unwrap()));
        let output =
            archive.command().args(["receipt", outcome["item"].as_str().unwrap(), "-o"]).arg(&path).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        receipts.push(path);
    }
    let verifier = go_verifier();
    let output = Command::new(&verifier)
        .arg(archive.dir.join("log"))
        .arg(&archive.vkey)
        .arg("-old")
        .arg(&old_checkpoint)
        .args(&receipts)
        .output()
        .unwrap();
    assert!(output.status.success(), "Go verifier: {}{}", stdout(&output), stderr(&output));
    assert_eq!(stdout(&output).trim(), "ok 620 entries, 4 receipts");

    // and it notices damage: a changed tile fails Go's own tile check
    flip_byte(&archive.dir.join("log/tile/0/001"), 40);
    let output = Command::new(&verifier).arg(archive.dir.join("log")).arg(&archive.vkey).output().unwrap();
    assert!(!output.status.success(), "Go verifier accepted a damaged tile: {}", stdout(&output));
    let _ = std::fs::remove_file(verifier);
}

#[test]
fn ocfl_py_finds_the_storage_root_valid() {
    let archive = TestArchive::new();
    archive.write_input("set/a.txt", b"alpha");
    archive.write_input("set/b.pdf", b"%PDF-1.4");
    archive.write_input("set/c", "无扩展名".as_bytes());
    let (_, code) = archive.add(&[&archive.input("set")], &[]);
    assert_eq!(code, 0);
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/ocfl-validate.py");
    let validator = std::env::var("OCFL_VALIDATE")
        .unwrap_or_else(|_| if venv.exists() { venv.display().to_string() } else { "ocfl-validate.py".to_owned() });
    // ocfl-py's exit status on a storage root covers the root's own structure
    // only, so every object directory is named too.
    let run = |archive: &TestArchive| {
        let mut command = Command::new(&validator);
        command.arg(archive.dir.join("ocfl"));
        for object in object_dirs(&archive.dir.join("ocfl")) {
            command.arg(object);
        }
        command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {validator} ({e}); run scripts/test, which installs ocfl-py"))
    };
    let output = run(&archive);
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(output.status.success(), "ocfl-validate: {text}");
    assert_eq!(text.matches("is VALID").count(), 3, "{text}");
    assert!(!text.contains("[E"), "{text}");

    // and it notices damage
    let item = archive.add(&[&archive.input("set/a.txt")], &[]).0[0]["item"].as_str().unwrap().to_owned();
    flip_byte(&archive.object_dir(&item).join("v1/content/file.txt"), 0);
    let output = run(&archive);
    assert!(!output.status.success(), "ocfl-validate accepted a damaged object");
    assert!(stdout(&output).contains("INVALID") || stderr(&output).contains("INVALID"));
}
