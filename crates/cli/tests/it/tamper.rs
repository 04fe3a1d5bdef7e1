use std::path::{Path, PathBuf};

use crate::harness::*;

/// Flipping any byte of any stored object file, inventory, tile, entry
/// bundle or checkpoint makes `verify` fail and name it; flipping it back
/// makes `verify` pass again.
#[test]
fn every_flipped_byte_is_found_and_named() {
    let archive = TestArchive::new();
    for i in 0..300 {
        archive.write_input(&format!("docs/{i:03}.txt"), format!("document number {i}").as_bytes());
    }
    let (outcomes, code) = archive.add(&[&archive.input("docs")], &[]);
    assert_eq!(code, 0);
    archive.assert_verifies();
    let item = outcomes[7]["item"].as_str().unwrap().to_owned();
    let object = archive.object_dir(&item);
    let log = archive.dir.join("log");

    let cases: Vec<(PathBuf, i64, String)> = vec![
        (object.join("v1/content/file.txt"), 0, item.clone()),
        (object.join("v1/content/evident.json"), 20, item.clone()),
        (object.join("inventory.json"), 30, item.clone()),
        (object.join("v1/inventory.json"), 30, item.clone()),
        (object.join("inventory.json.sha256"), 0, item.clone()),
        (log.join("tile/0/000"), 7 * 32 + 3, "log/tile/0/000".to_owned()),
        (log.join("tile/0/001.p/44"), -1, "log/tile/0/001.p/44".to_owned()),
        (log.join("tile/1/000.p/1"), 5, "log/tile/1/000.p/1".to_owned()),
        (log.join("tile/entries/000"), 100, "log/tile/entries/000".to_owned()),
        (log.join("tile/entries/001.p/44"), -3, "log/tile/entries/001.p/44".to_owned()),
        (log.join("checkpoint"), 2, "log/checkpoint".to_owned()),
        (log.join("checkpoint"), -5, "log/checkpoint".to_owned()),
    ];
    for (path, offset, named) in cases {
        assert!(path.exists(), "{} does not exist", path.display());
        flip_byte(&path, offset);
        let problems = archive.problems();
        assert!(!problems.is_empty(), "flipping {} at {offset} went unnoticed", rel(&archive.dir, &path));
        assert!(
            problems.iter().any(|p| p.starts_with(&named)),
            "flipping {} at {offset}: no problem names {named}: {problems:#?}",
            rel(&archive.dir, &path)
        );
        flip_byte(&path, offset);
        archive.assert_verifies();
    }
}

#[test]
fn missing_and_extra_files_are_found() {
    let archive = TestArchive::new();
    let item = archive.add_one(&archive.write_input("a.txt", b"to be removed"))["item"].as_str().unwrap().to_owned();
    let object = archive.object_dir(&item);
    let content = object.join("v1/content/file.txt");
    let saved = std::fs::read(&content).unwrap();
    std::fs::remove_file(&content).unwrap();
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.starts_with(&item)), "{problems:#?}");
    std::fs::write(&content, saved).unwrap();
    archive.assert_verifies();

    std::fs::write(object.join("v1/content/smuggled.txt"), b"not in the manifest").unwrap();
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.starts_with(&item) && p.contains("smuggled")), "{problems:#?}");
    std::fs::remove_file(object.join("v1/content/smuggled.txt")).unwrap();
    archive.assert_verifies();

    std::fs::remove_file(archive.dir.join("log/tile/entries/000.p/1")).unwrap();
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.starts_with("log/tile/entries/000.p/1")), "{problems:#?}");
}

#[test]
fn verify_checks_the_checkpoint_against_a_pinned_key() {
    let archive = TestArchive::new();
    archive.add_one(&archive.write_input("a.txt", b"pinned"));
    let stranger = TestArchive::new();
    let output = archive.run(&["verify", "--key", &stranger.vkey]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("log/checkpoint"), "{}", stdout(&output));
    let output = archive.run(&["verify", "--key", &archive.vkey]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

fn rel(base: &Path, path: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}
