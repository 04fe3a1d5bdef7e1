use crate::harness::*;

#[test]
fn init_prints_the_verifier_key_and_signs_an_empty_log() {
    let archive = TestArchive::new();
    // name+hex(keyid)+base64(0x01||pubkey): 33 bytes of key in base64 is 44 characters starting with "A"
    let parts: Vec<&str> = archive.vkey.splitn(3, '+').collect();
    assert_eq!(parts[0], "test.example/evident");
    assert_eq!(parts[1].len(), 8);
    assert!(parts[2].starts_with('A') && parts[2].len() == 44, "{}", archive.vkey);
    assert_eq!(stdout(&archive.run(&["key"])).trim(), archive.vkey);
    let checkpoint = stdout(&archive.run(&["checkpoint"]));
    assert!(
        checkpoint.starts_with(
            "test.example/evident\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— test.example/evident "
        ),
        "{checkpoint}"
    );
    assert!(archive.dir.join("ocfl/0=ocfl_1.1").exists());
    archive.assert_verifies();
}

#[test]
fn init_refuses_to_overwrite() {
    let archive = TestArchive::new();
    let before = std::fs::read(archive.dir.join("keys/log.key")).unwrap();
    let output = evident_command().arg("init").arg(&archive.dir).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("already exists and is not empty"), "{}", stderr(&output));
    assert_eq!(std::fs::read(archive.dir.join("keys/log.key")).unwrap(), before);
    // a non-empty folder that is not an archive is refused too
    let other = archive.temp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), b"mine").unwrap();
    let output = evident_command().arg("init").arg(&other).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read(other.join("notes.txt")).unwrap(), b"mine");
}

#[test]
fn the_key_file_can_live_outside_the_archive() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    let key = temp.path().join("secrets/log.key");
    let output = evident_command().arg("init").arg(&dir).arg("--key-file").arg(&key).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(key.exists());
    assert!(!dir.join("keys").exists());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let input = temp.path().join("a.txt");
    std::fs::write(&input, b"outside key").unwrap();
    let output = evident_command().env("EVIDENT_ARCHIVE", &dir).arg("add").arg(&input).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    // Without the key, adding fails before anything is stored, but reading works.
    std::fs::rename(&key, temp.path().join("moved.key")).unwrap();
    let other = temp.path().join("b.txt");
    std::fs::write(&other, b"no key").unwrap();
    let output = evident_command().env("EVIDENT_ARCHIVE", &dir).arg("add").arg(&other).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read the log key"), "{}", stderr(&output));
    let output = evident_command().env("EVIDENT_ARCHIVE", &dir).args(["verify", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("\"items\":1"), "{}", stdout(&output));
    // --key-file finds it elsewhere
    let output = evident_command()
        .env("EVIDENT_ARCHIVE", &dir)
        .arg("--key-file")
        .arg(temp.path().join("moved.key"))
        .arg("add")
        .arg(&other)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn bad_origins_and_missing_archives_are_clear_errors() {
    let temp = tempfile::tempdir().unwrap();
    let output = evident_command()
        .arg("init")
        .arg(temp.path().join("a"))
        .args(["--origin", "https://x.example/log"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no scheme"), "{}", stderr(&output));
    assert!(!temp.path().join("a/evident.json").exists());

    let output = evident_command().arg("--archive").arg(temp.path()).arg("verify").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not an evident archive"), "{}", stderr(&output));

    let output = evident_command().arg("checkpoint").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--archive"), "{}", stderr(&output));
}

#[test]
fn a_damaged_archive_directory_is_a_clear_error_and_nothing_is_changed() {
    let archive = TestArchive::new();
    let input = archive.write_input("a.txt", b"kept safe");
    archive.add_one(&input);
    let other = archive.write_input("b.txt", b"never added");

    // evident.json that is not JSON
    let settings = archive.dir.join("evident.json");
    let saved = std::fs::read(&settings).unwrap();
    std::fs::write(&settings, b"{ not json").unwrap();
    let output = archive.command().arg("add").arg(&other).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("corrupted") && stderr(&output).contains("evident.json"), "{}", stderr(&output));
    std::fs::write(&settings, saved).unwrap();

    // a database that is not SQLite
    let database = archive.dir.join("evident.db");
    let saved = std::fs::read(&database).unwrap();
    std::fs::write(&database, b"garbage, not a database").unwrap();
    let output = archive.command().arg("add").arg(&other).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("database"), "{}", stderr(&output));
    std::fs::write(&database, saved).unwrap();

    // a storage root without its declaration
    let declaration = archive.dir.join("ocfl/0=ocfl_1.1");
    std::fs::remove_file(&declaration).unwrap();
    let output = archive.command().arg("add").arg(&other).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not an OCFL storage root"), "{}", stderr(&output));
    std::fs::write(&declaration, b"ocfl_1.1\n").unwrap();

    // a damaged tile: add refuses to build on it; verify names it
    let tile = archive.dir.join("log/tile/0/000.p/1");
    flip_byte(&tile, 0);
    let output = archive.command().arg("add").arg(&other).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("log tiles"), "{}", stderr(&output));
    assert!(archive.problems().iter().any(|p| p.starts_with("log/tile/0/000.p/1")));
    flip_byte(&tile, 0);

    // after all that, the archive holds exactly what it held
    let (report, code) = archive.verify();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["items"], 1);
}
