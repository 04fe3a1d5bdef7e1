//! Interoperability: ocfl-py, an independent OCFL implementation, must find our storage
//! roots and objects valid, and must reject damaged ones.
//!
//! The validator is `$OCFL_VALIDATE`, else the one `scripts/install-test-deps` puts in
//! the workspace's `.venv`, else `ocfl-validate.py` on `PATH`; it runs unmodified.
//! `scripts/test` installs it. If it cannot be run, these tests fail: a skipped
//! interoperability check would look like a passing one.
//!
//! On a storage root, `ocfl-validate.py` (ocfl-py 2.1.0) prints nothing about the objects
//! and its exit status reflects only the root itself (declaration, layout, hierarchy):
//! it validates every object but keeps the results to itself, so a root holding a damaged
//! object still exits 0 (`--debug` does not help: importing ocfl-py fixes the log level
//! at INFO). Therefore the validator is run on the storage root *and* on every object
//! directory in it, in one invocation: it exits 0 only if all of them are valid, and
//! prints each object's errors, warnings and `is VALID` / `is INVALID` verdict.
//!
//! Accepted warnings: W004 (ocfl-py recommends sha512; this archive uses sha256 by
//! design), W005 (the archive's ids such as `itm_...` are not URIs) and W008 (user
//! address). Anything else fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use evident_objects::{LAYOUT_EXTENSION_NAME, ObjectDraft, StorageRoot, VersionInfo, sync_filesystem};

const ACCEPTED_WARNINGS: [&str; 3] = ["[W004]", "[W005]", "[W008]"];

fn info(created: &str, message: &str) -> VersionInfo {
    VersionInfo {
        created: created.to_owned(),
        message: message.to_owned(),
        user_name: "Evidence Clerk".to_owned(),
        user_address: Some("mailto:clerk@example.org".to_owned()),
    }
}

/// Builds a storage root with several objects; returns the root and the object ids.
fn build_storage_root(dir: &Path) -> (StorageRoot, Vec<String>) {
    let root = StorageRoot::create(&dir.join("root")).unwrap();
    let staging = dir.join("staging");
    let stage = |id: &str, files: &[(&str, &[u8])]| {
        let mut draft = ObjectDraft::new(&staging, id).unwrap();
        for (path, bytes) in files {
            draft.add_bytes(path, bytes).unwrap();
        }
        draft
    };
    let install = |id: &str, files: &[(&str, &[u8])], created: &str| {
        root.install(stage(id, files).finish(info(created, "ingest")).unwrap()).unwrap();
    };

    // Three versions, Unicode logical paths, content shared between paths and versions.
    let versioned = "itm_01JABCDEFGHJKMNPQRSTVWXYZ0";
    install(
        versioned,
        &[
            ("Ünïcødé/файл.txt", "кириллица\n".as_bytes()),
            ("日本語 ファイル.txt", "日本語\n".as_bytes()),
            ("notes/emoji 📎.md", b"# paperclip\n"),
            ("notes/copy.md", b"# paperclip\n"),
            ("obsolete.txt", b"to be removed\n"),
        ],
        "2026-11-30T03:46:00Z",
    );
    let v2 = stage(
        versioned,
        &[
            ("Ünïcødé/файл.txt", "исправлено\n".as_bytes()),
            ("naïve café/ß.txt", "straße\n".as_bytes()),
            ("again.md", b"# paperclip\n"),
        ],
    );
    let removed = ["obsolete.txt".to_owned()];
    let v2_info = info("2026-12-01T10:00:00Z", "correction");
    assert_eq!(root.add_version(versioned, v2, &removed, v2_info).unwrap(), "v2");
    let v3 = stage(versioned, &[("d.txt", b"d\n")]);
    let v3_info = info("2026-12-02T10:00:00Z", "addition");
    assert_eq!(root.add_version(versioned, v3, &[], v3_info).unwrap(), "v3");

    let urn = "urn:evident:item:x";
    install(
        urn,
        &[("report.txt", b"incident report\n"), ("attachments/scan.pdf", b"%PDF-1.7 fake\n")],
        "2026-11-30T03:45:00Z",
    );
    // Percent-encoded to more than 100 characters: truncated, with the digest appended.
    let long = format!("urn:evident:item:{}", "long-identifier:".repeat(8));
    install(&long, &[("a.txt", b"a\n")], "2026-12-03T00:00:00Z");
    // A non-ASCII id and an object without files.
    let unicode = "itm_ünïcødé 日本";
    install(unicode, &[], "2026-12-04T00:00:00Z");

    sync_filesystem(root.path()).unwrap();
    let ids: Vec<String> = [versioned, urn, &long, unicode].iter().map(|id| id.to_string()).collect();
    for id in &ids {
        assert_eq!(root.validate_object(id).unwrap(), vec![], "our own validator must agree first");
    }
    (root, ids)
}

/// The validator executable: `$OCFL_VALIDATE`, or `ocfl-validate.py` on `PATH`.
fn validator() -> PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/ocfl-validate.py");
    let name = std::env::var_os("OCFL_VALIDATE")
        .unwrap_or_else(|| if venv.exists() { venv.into_os_string() } else { "ocfl-validate.py".into() });
    let name = PathBuf::from(name);
    if name.components().count() > 1 {
        return name;
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(&name)).find(|path| path.is_file()))
        .unwrap_or(name)
}

/// Runs the validator; fails the test if it cannot be run at all.
fn run_validator(flags: &[&str], paths: &[&Path]) -> (Output, String) {
    let validator = validator();
    let output = Command::new(&validator).args(flags).args(paths).output().unwrap_or_else(|e| {
        panic!(
            "cannot run the OCFL validator {} ({e}).\n\
                 Run scripts/test, which installs ocfl-py, or set OCFL_VALIDATE to the path \
                 of ocfl-validate.py.",
            validator.display()
        )
    });
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output, report)
}

/// Report lines that are errors, unaccepted warnings, invalid verdicts, or problems
/// logged through Python's `logging`.
fn unexpected_lines(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|line| {
            line.contains("[E")
                || line.contains("INVALID")
                || line.starts_with("ERROR")
                || line.starts_with("CRITICAL")
                || line.starts_with("WARNING")
                || line.starts_with("Traceback")
                || (line.contains("[W") && !ACCEPTED_WARNINGS.iter().any(|code| line.contains(code)))
        })
        .collect()
}

/// Runs the validator (`-v`) on the storage root and on every object directory in it.
fn validate_root_and_objects(root: &StorageRoot) -> (Output, String, Vec<PathBuf>) {
    let objects = root.list_object_roots().unwrap();
    let mut paths = vec![root.path()];
    paths.extend(objects.iter().map(PathBuf::as_path));
    let (output, report) = run_validator(&["-v"], &paths);
    (output, report, objects)
}

#[test]
fn ocfl_py_finds_our_storage_root_and_objects_valid() {
    let dir = tempfile::tempdir().unwrap();
    let (root, ids) = build_storage_root(dir.path());
    let (output, report, objects) = validate_root_and_objects(&root);
    let expected: Vec<PathBuf> = ids.iter().map(|id| root.path().join(StorageRoot::object_relative_path(id))).collect();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(objects, sorted, "every object, each at its layout path");

    assert!(output.status.success(), "ocfl-py found the storage root or an object invalid:\n{report}");
    assert!(
        report.contains(&format!("Storage root layout is {LAYOUT_EXTENSION_NAME}")),
        "ocfl-py did not recognise the layout:\n{report}"
    );
    for object in &expected {
        assert!(
            report.contains(&format!("Object at {} is VALID", object.display())),
            "no VALID verdict for {}:\n{report}",
            object.display()
        );
    }
    assert_eq!(unexpected_lines(&report), Vec::<&str>::new(), "{report}");
}

/// The interop test is only worth something if ocfl-py rejects what is broken.
#[test]
fn ocfl_py_rejects_a_storage_root_with_a_damaged_object() {
    let dir = tempfile::tempdir().unwrap();
    let (root, ids) = build_storage_root(dir.path());
    let damaged = root.path().join(StorageRoot::object_relative_path(&ids[0]));
    std::fs::write(damaged.join("v2/content/naïve café/ß.txt"), "strasse\n").unwrap();
    assert!(!root.validate_object(&ids[0]).unwrap().is_empty());

    let (output, report, objects) = validate_root_and_objects(&root);
    assert!(!output.status.success(), "ocfl-py accepted a changed content file:\n{report}");
    assert!(report.contains(&format!("Object at {} is INVALID", damaged.display())), "{report}");
    assert!(report.contains("[E092"), "no content digest error:\n{report}");
    for object in objects.iter().filter(|object| **object != damaged) {
        assert!(report.contains(&format!("Object at {} is VALID", object.display())), "{report}");
    }

    // Damage to the storage root's own hierarchy is what the root verdict covers: an
    // empty directory where only objects and their tuple directories belong (E073).
    std::fs::create_dir_all(root.path().join("fff/fff/fff")).unwrap();
    let (output, report) = run_validator(&[], &[root.path()]);
    assert!(!output.status.success(), "ocfl-py accepted a storage root with an empty directory:\n{report}");
}
