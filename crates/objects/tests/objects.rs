//! Storage root behaviour through the public API: creating and opening roots, staging and
//! installing objects, new versions, and the fixity and structure checks.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use evident_objects::{FileDigest, ObjectDraft, ObjectsError, StagedObject, StorageRoot, VersionInfo, sync_filesystem};
use sha2::{Digest, Sha256};

struct Fixture {
    _dir: tempfile::TempDir,
    root: StorageRoot,
    staging: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = StorageRoot::create(&dir.path().join("root")).unwrap();
    let staging = dir.path().join("staging");
    Fixture { _dir: dir, root, staging }
}

fn info(message: &str) -> VersionInfo {
    VersionInfo {
        created: "2026-11-30T03:45:00Z".to_owned(),
        message: message.to_owned(),
        user_name: "Evidence Clerk".to_owned(),
        user_address: Some("mailto:clerk@example.org".to_owned()),
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Fixture {
    fn draft(&self, id: &str, files: &[(&str, &[u8])]) -> ObjectDraft {
        let mut draft = ObjectDraft::new(&self.staging, id).unwrap();
        for (path, bytes) in files {
            draft.add_bytes(path, bytes).unwrap();
        }
        draft
    }

    fn stage(&self, id: &str, files: &[(&str, &[u8])]) -> StagedObject {
        self.draft(id, files).finish(info("ingest")).unwrap()
    }

    fn install(&self, id: &str, files: &[(&str, &[u8])]) -> PathBuf {
        self.root.install(self.stage(id, files)).unwrap()
    }

    fn object_dir(&self, id: &str) -> PathBuf {
        self.root.path().join(StorageRoot::object_relative_path(id))
    }

    fn read(&self, id: &str, logical_path: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.root.open_file(id, logical_path).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    }

    /// The problems `validate_object` reports, as `path-in-object: detail` lines.
    fn problems(&self, id: &str) -> Vec<String> {
        let object = StorageRoot::object_relative_path(id);
        self.root
            .validate_object(id)
            .unwrap()
            .into_iter()
            .map(|problem| format!("{}: {}", problem.path.strip_prefix(&object).unwrap().display(), problem.detail))
            .collect()
    }

    fn staging_entries(&self) -> usize {
        fs::read_dir(&self.staging).map(|entries| entries.count()).unwrap_or(0)
    }
}

/// Asserts that `problems` has exactly one entry, which starts with `path: ` and contains `detail`.
#[track_caller]
fn assert_one_problem(problems: &[String], path: &str, detail: &str) {
    assert!(
        problems.len() == 1 && problems[0].starts_with(&format!("{path}: ")) && problems[0].contains(detail),
        "expected one problem at {path} containing {detail:?}, got {problems:#?}"
    );
}

#[track_caller]
fn assert_has_problem(problems: &[String], path: &str, detail: &str) {
    assert!(
        problems.iter().any(|p| p.starts_with(&format!("{path}: ")) && p.contains(detail)),
        "expected a problem at {path} containing {detail:?}, got {problems:#?}"
    );
}

fn flip_byte(path: &Path, offset: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

// ---- storage root ----

#[test]
fn create_writes_the_declaration_and_layout_and_open_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root");
    StorageRoot::create(&path).unwrap();
    assert_eq!(fs::read_to_string(path.join("0=ocfl_1.1")).unwrap(), "ocfl_1.1\n");
    let layout: serde_json::Value = serde_json::from_slice(&fs::read(path.join("ocfl_layout.json")).unwrap()).unwrap();
    assert_eq!(layout["extension"], "0003-hash-and-id-n-tuple-storage-layout");
    assert!(layout["description"].as_str().is_some_and(|d| !d.is_empty()));
    let config: serde_json::Value = serde_json::from_slice(
        &fs::read(path.join("extensions/0003-hash-and-id-n-tuple-storage-layout/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        config,
        serde_json::json!({
            "extensionName": "0003-hash-and-id-n-tuple-storage-layout",
            "digestAlgorithm": "sha256",
            "tupleSize": 3,
            "numberOfTuples": 1
        })
    );
    let opened = StorageRoot::open(&path).unwrap();
    assert_eq!(opened.path(), path);
    assert_eq!(opened.list_object_roots().unwrap(), Vec::<PathBuf>::new());
}

#[test]
fn create_accepts_an_empty_directory_and_refuses_a_non_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    StorageRoot::create(dir.path()).unwrap();
    let err = StorageRoot::create(dir.path()).unwrap_err();
    assert!(matches!(&err, ObjectsError::Invalid(message) if message.contains("not empty")), "{err}");
}

#[test]
fn open_on_a_directory_that_is_not_a_storage_root_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let err = StorageRoot::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, ObjectsError::Invalid(message) if message.contains("is not an OCFL storage root") && message.contains("0=ocfl_1.1")),
        "{err}"
    );
    let err = StorageRoot::open(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(&err, ObjectsError::Io { action: "open storage root", .. }), "{err}");
    fs::write(dir.path().join("file"), b"x").unwrap();
    let err = StorageRoot::open(&dir.path().join("file")).unwrap_err();
    assert!(matches!(&err, ObjectsError::Invalid(message) if message.contains("not a directory")), "{err}");
}

#[test]
fn open_reports_a_damaged_declaration_or_layout_as_corrupted() {
    let cases: [(&str, &[u8], &str); 5] = [
        ("0=ocfl_1.1", b"ocfl_1.0\n", "0=ocfl_1.1"),
        (
            "ocfl_layout.json",
            b"{\"extension\": \"0002-flat-direct-storage-layout\", \"description\": \"\"}",
            "ocfl_layout.json",
        ),
        (
            "ocfl_layout.json",
            b"{\"extension\": \"0004-hashed-n-tuple-storage-layout\", \"description\": \"\"}",
            "ocfl_layout.json",
        ),
        ("ocfl_layout.json", b"{not json", "ocfl_layout.json"),
        (
            "extensions/0003-hash-and-id-n-tuple-storage-layout/config.json",
            b"{\"extensionName\": \"0003-hash-and-id-n-tuple-storage-layout\", \"numberOfTuples\": 1, \"tupleSize\": 2}",
            "tupleSize",
        ),
    ];
    for (file, content, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        StorageRoot::create(dir.path()).unwrap();
        fs::write(dir.path().join(file), content).unwrap();
        let err = StorageRoot::open(dir.path()).unwrap_err();
        assert!(matches!(&err, ObjectsError::Corrupted { .. }) && err.to_string().contains(expected), "{file}: {err}");
    }
}

// ---- staging and installing ----

#[test]
fn staged_objects_install_at_their_layout_path_and_read_back() {
    let fx = fixture();
    let staged = fx.stage("urn:evident:item:1", &[("report.txt", b"hello"), ("images/photo.jpg", b"\xff\xd8jpeg")]);
    let staged_digest = staged.inventory_digest().to_owned();
    assert!(staged.staging_path().join("0=ocfl_object_1.1").is_file());
    let installed = fx.root.install(staged).unwrap();
    assert_eq!(installed, fx.object_dir("urn:evident:item:1"));
    assert_eq!(fx.staging_entries(), 0, "the staged directory was moved, not copied");
    sync_filesystem(fx.root.path()).unwrap();

    assert!(fx.root.object_exists("urn:evident:item:1"));
    assert!(!fx.root.object_exists("urn:evident:item:2"));
    assert_eq!(fx.read("urn:evident:item:1", "report.txt"), b"hello");
    assert_eq!(fx.read("urn:evident:item:1", "images/photo.jpg"), b"\xff\xd8jpeg");
    assert!(installed.join("v1/content/images/photo.jpg").is_file());

    let inventory = fx.root.read_inventory("urn:evident:item:1").unwrap();
    assert_eq!(inventory.id, "urn:evident:item:1");
    assert_eq!(inventory.head, "v1");
    assert_eq!(inventory.manifest[&sha256(b"hello")], vec!["v1/content/report.txt".to_owned()]);
    let digest = fx.root.inventory_digest("urn:evident:item:1").unwrap();
    assert_eq!(digest, staged_digest);
    assert_eq!(digest, sha256(&fs::read(installed.join("inventory.json")).unwrap()));
    assert_eq!(
        fs::read_to_string(installed.join("inventory.json.sha256")).unwrap(),
        format!("{digest}  inventory.json\n")
    );
    assert_eq!(
        fs::read(installed.join("inventory.json")).unwrap(),
        fs::read(installed.join("v1/inventory.json")).unwrap()
    );
    assert_eq!(fx.problems("urn:evident:item:1"), Vec::<String>::new());
}

#[test]
fn identical_content_is_stored_once_per_object() {
    let fx = fixture();
    let installed =
        fx.install("urn:evident:item:dup", &[("a.txt", b"same"), ("b/c.txt", b"same"), ("d.txt", b"other")]);
    let inventory = fx.root.read_inventory("urn:evident:item:dup").unwrap();
    assert_eq!(inventory.manifest.len(), 2);
    assert_eq!(inventory.versions["v1"].state[&sha256(b"same")], vec!["a.txt".to_owned(), "b/c.txt".to_owned()]);
    assert!(!installed.join("v1/content/b").exists(), "the duplicate and its directory were not kept");
    assert_eq!(fx.read("urn:evident:item:dup", "b/c.txt"), b"same");
    assert_eq!(fx.problems("urn:evident:item:dup"), Vec::<String>::new());
}

#[test]
fn an_object_without_files_is_valid_and_has_no_content_directory() {
    let fx = fixture();
    let installed = fx.install("urn:evident:item:empty", &[]);
    assert!(!installed.join("v1/content").exists());
    assert_eq!(fx.problems("urn:evident:item:empty"), Vec::<String>::new());
}

#[test]
fn installing_an_existing_object_fails_and_discards_the_staged_copy() {
    let fx = fixture();
    fx.install("urn:evident:item:1", &[("a", b"1")]);
    let err = fx.root.install(fx.stage("urn:evident:item:1", &[("a", b"2")])).unwrap_err();
    assert!(matches!(&err, ObjectsError::AlreadyExists(id) if id == "urn:evident:item:1"), "{err}");
    assert_eq!(fx.staging_entries(), 0);
    assert_eq!(fx.read("urn:evident:item:1", "a"), b"1");
}

#[test]
fn abandoned_and_dropped_drafts_leave_nothing_in_staging() {
    let fx = fixture();
    fx.draft("urn:a", &[("x", b"1")]).abandon();
    drop(fx.draft("urn:b", &[("x", b"1")]));
    fx.stage("urn:c", &[("x", b"1")]).abandon();
    drop(fx.stage("urn:d", &[("x", b"1")]));
    assert_eq!(fx.staging_entries(), 0);
}

#[test]
fn list_object_roots_finds_every_object_sorted() {
    let fx = fixture();
    let ids = ["urn:evident:item:1", "urn:evident:item:2", "urn:evident:item:3"];
    let mut expected: Vec<PathBuf> = ids.iter().map(|id| fx.install(id, &[("f", id.as_bytes())])).collect();
    expected.sort();
    assert_eq!(fx.root.list_object_roots().unwrap(), expected);
    for path in &expected {
        let inventory = fx.root.read_inventory_at(path).unwrap();
        assert_eq!(fx.object_dir(&inventory.id), *path);
    }
}

#[test]
fn remove_object_deletes_the_object_and_its_empty_tuple_directories() {
    let fx = fixture();
    fx.install("urn:evident:item:gone", &[("a", b"1")]);
    fx.install("urn:evident:item:kept", &[("a", b"2")]);
    fx.root.remove_object("urn:evident:item:gone").unwrap();
    assert!(!fx.root.object_exists("urn:evident:item:gone"));
    let first_tuple =
        StorageRoot::object_relative_path("urn:evident:item:gone").components().next().unwrap().as_os_str().to_owned();
    let kept_tuple =
        StorageRoot::object_relative_path("urn:evident:item:kept").components().next().unwrap().as_os_str().to_owned();
    assert_ne!(first_tuple, kept_tuple, "test ids must not share a tuple directory");
    assert!(!fx.root.path().join(first_tuple).exists());
    assert_eq!(fx.root.list_object_roots().unwrap(), vec![fx.object_dir("urn:evident:item:kept")]);
    let err = fx.root.remove_object("urn:evident:item:gone").unwrap_err();
    assert!(matches!(err, ObjectsError::NotFound(_)), "{err}");
}

#[test]
fn the_empty_id_names_no_object() {
    // Its layout path is a bare tuple directory, which may hold other objects.
    let fx = fixture();
    fx.install("urn:evident:item:kept", &[("a", b"2")]);
    let empty_id_dir = fx.root.path().join(StorageRoot::object_relative_path(""));
    assert_eq!(empty_id_dir.strip_prefix(fx.root.path()).unwrap().components().count(), 1);
    fs::create_dir_all(&empty_id_dir).unwrap();
    assert!(!fx.root.object_exists(""));
    for err in [
        fx.root.remove_object("").unwrap_err(),
        fx.root.read_inventory("").unwrap_err(),
        fx.root.validate_object("").unwrap_err(),
    ] {
        assert!(matches!(err, ObjectsError::NotFound(_)), "{err}");
    }
    assert!(empty_id_dir.is_dir());
}

#[test]
fn reading_a_missing_object_or_file_fails_clearly() {
    let fx = fixture();
    fx.install("urn:evident:item:1", &[("a.txt", b"1")]);
    assert!(matches!(fx.root.read_inventory("urn:nope"), Err(ObjectsError::NotFound(id)) if id == "urn:nope"));
    assert!(matches!(fx.root.validate_object("urn:nope"), Err(ObjectsError::NotFound(_))));
    let err = fx.root.open_file("urn:evident:item:1", "b.txt").unwrap_err();
    assert!(matches!(&err, ObjectsError::Invalid(message) if message.contains("no file \"b.txt\"")), "{err}");
    let err = fx.root.open_file("urn:evident:item:1", "../a.txt").unwrap_err();
    assert!(matches!(err, ObjectsError::Invalid(_)), "{err}");
    fs::remove_file(fx.object_dir("urn:evident:item:1").join("v1/content/a.txt")).unwrap();
    let err = fx.root.open_file("urn:evident:item:1", "a.txt").unwrap_err();
    assert!(matches!(&err, ObjectsError::Corrupted { detail, .. } if detail.contains("v1/content/a.txt")), "{err}");
}

// ---- adding files ----

#[test]
fn logical_paths_that_ocfl_forbids_are_rejected() {
    let fx = fixture();
    let mut draft = ObjectDraft::new(&fx.staging, "urn:x").unwrap();
    for bad in ["", "/abs", "trailing/", "a//b", "./a", "a/./b", "a/../b", "..", "nul\0byte"] {
        let err = draft.add_bytes(bad, b"x").unwrap_err();
        assert!(matches!(err, ObjectsError::Invalid(_)), "{bad:?}: {err}");
    }
    draft.add_bytes("a", b"x").unwrap();
    let err = draft.add_bytes("a", b"y").unwrap_err();
    assert!(matches!(&err, ObjectsError::Invalid(m) if m.contains("already added")), "{err}");
    let err = draft.add_bytes("a/b", b"y").unwrap_err();
    assert!(matches!(&err, ObjectsError::Invalid(m) if m.contains("both a file and the directory")), "{err}");
    draft.add_bytes("dir/b", b"y").unwrap();
    let err = draft.add_bytes("dir", b"z").unwrap_err();
    assert!(matches!(err, ObjectsError::Invalid(_)), "{err}");
    assert_eq!(draft.files().keys().cloned().collect::<Vec<_>>(), vec!["a".to_owned(), "dir/b".to_owned()]);
    assert!(matches!(ObjectDraft::new(&fx.staging, ""), Err(ObjectsError::Invalid(_))));
}

#[test]
fn add_file_enforces_the_limit_and_leaves_nothing_behind() {
    let fx = fixture();
    let mut draft = ObjectDraft::new(&fx.staging, "urn:evident:item:limit").unwrap();
    let big = vec![7u8; 3 * 1024 * 1024 + 1];
    let err = draft.add_file("big/file.bin", &big[..], big.len() as u64 - 1).unwrap_err();
    assert!(
        matches!(&err, ObjectsError::TooLarge { limit, what } if *limit == big.len() as u64 - 1 && what.contains("big/file.bin")),
        "{err}"
    );
    assert!(draft.files().is_empty());
    let digest = draft.add_file("big/file.bin", &big[..], big.len() as u64).unwrap();
    assert_eq!(digest, FileDigest { sha256: sha256(&big), size: big.len() as u64 });
    let err = draft.add_file("small", &b"0123456789"[..], 9).unwrap_err();
    assert!(matches!(err, ObjectsError::TooLarge { limit: 9, .. }), "{err}");
    fx.root.install(draft.finish(info("limit")).unwrap()).unwrap();
    assert_eq!(fx.read("urn:evident:item:limit", "big/file.bin"), big);
    assert_eq!(fx.problems("urn:evident:item:limit"), Vec::<String>::new());
}

/// A reader that yields some bytes and then fails, like a file that changed under us.
struct FailingReader {
    sent: bool,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.sent {
            return Err(io::Error::other("source file changed while reading"));
        }
        self.sent = true;
        buf[..3].copy_from_slice(b"abc");
        Ok(3)
    }
}

#[test]
fn a_failing_reader_becomes_a_source_error_and_leaves_nothing_behind() {
    let fx = fixture();
    let mut draft = ObjectDraft::new(&fx.staging, "urn:evident:item:src").unwrap();
    let err = draft.add_file("dir/broken.txt", FailingReader { sent: false }, 100).unwrap_err();
    assert!(matches!(&err, ObjectsError::Source(m) if m == "source file changed while reading"), "{err}");
    draft.add_bytes("ok.txt", b"fine").unwrap();
    let installed = fx.root.install(draft.finish(info("src")).unwrap()).unwrap();
    assert!(!installed.join("v1/content/dir").exists());
    assert_eq!(fx.problems("urn:evident:item:src"), Vec::<String>::new());
}

#[test]
fn malformed_version_info_is_rejected() {
    let fx = fixture();
    let bad_time = VersionInfo { created: "30/11/2026".to_owned(), ..info("x") };
    assert!(matches!(fx.draft("urn:x", &[]).finish(bad_time), Err(ObjectsError::Invalid(m)) if m.contains("RFC 3339")));
    let bad_address = VersionInfo { user_address: Some("clerk@example.org".to_owned()), ..info("x") };
    assert!(matches!(fx.draft("urn:x", &[]).finish(bad_address), Err(ObjectsError::Invalid(m)) if m.contains("URI")));
    let no_address = VersionInfo { user_address: None, ..info("x") };
    fx.root.install(fx.draft("urn:x", &[]).finish(no_address).unwrap()).unwrap();
    assert_eq!(fx.problems("urn:x"), Vec::<String>::new());
}

// ---- versions ----

#[test]
fn add_version_carries_unchanged_files_and_stores_only_new_content() {
    let fx = fixture();
    let id = "urn:evident:item:versions";
    let object = fx.install(id, &[("keep.txt", b"keep"), ("change.txt", b"old"), ("drop.txt", b"drop")]);
    let v1_inventory = fs::read(object.join("v1/inventory.json")).unwrap();

    let draft =
        fx.draft(id, &[("change.txt", b"new"), ("added/copy-of-keep.txt", b"keep"), ("added/fresh.txt", b"fresh")]);
    let version = fx.root.add_version(id, draft, &["drop.txt".to_owned()], info("second")).unwrap();
    assert_eq!(version, "v2");
    assert_eq!(fx.staging_entries(), 0);

    let inventory = fx.root.read_inventory(id).unwrap();
    assert_eq!(inventory.head, "v2");
    let head: Vec<(String, String)> = inventory.head_files().into_iter().collect();
    assert_eq!(
        head,
        vec![
            ("added/copy-of-keep.txt".to_owned(), sha256(b"keep")),
            ("added/fresh.txt".to_owned(), sha256(b"fresh")),
            ("change.txt".to_owned(), sha256(b"new")),
            ("keep.txt".to_owned(), sha256(b"keep")),
        ]
    );
    assert_eq!(inventory.manifest[&sha256(b"keep")], vec!["v1/content/keep.txt".to_owned()]);
    assert_eq!(inventory.manifest[&sha256(b"new")], vec!["v2/content/change.txt".to_owned()]);
    assert!(!object.join("v2/content/added/copy-of-keep.txt").exists(), "known content is not stored again");
    assert_eq!(fx.read(id, "change.txt"), b"new");
    assert_eq!(fx.read(id, "added/copy-of-keep.txt"), b"keep");
    assert!(matches!(fx.root.open_file(id, "drop.txt"), Err(ObjectsError::Invalid(_))));
    assert_eq!(fs::read(object.join("v1/inventory.json")).unwrap(), v1_inventory, "v1 is never rewritten");
    assert_eq!(fs::read(object.join("inventory.json")).unwrap(), fs::read(object.join("v2/inventory.json")).unwrap());
    assert_eq!(fx.problems(id), Vec::<String>::new());

    // A version that only removes a file has no content directory.
    let version = fx.root.add_version(id, fx.draft(id, &[]), &["keep.txt".to_owned()], info("third")).unwrap();
    assert_eq!(version, "v3");
    assert!(!object.join("v3/content").exists());
    assert_eq!(fx.read(id, "added/copy-of-keep.txt"), b"keep");
    assert_eq!(fx.problems(id), Vec::<String>::new());
}

#[test]
fn add_version_rejects_bad_requests_without_changing_the_object() {
    let fx = fixture();
    let id = "urn:evident:item:v";
    fx.install(id, &[("a", b"1"), ("dir/b", b"2")]);
    let before = fx.root.inventory_digest(id).unwrap();
    let cases: Vec<(ObjectDraft, Vec<String>, &str)> = vec![
        (fx.draft("urn:other", &[]), vec![], "draft is for object"),
        (fx.draft(id, &[]), vec!["missing".to_owned()], "cannot remove"),
        (fx.draft(id, &[("a", b"3")]), vec!["a".to_owned()], "both removed and added"),
        (fx.draft(id, &[("a/inner", b"3")]), vec![], "both a file and the directory"),
        (fx.draft(id, &[("dir", b"3")]), vec![], "both a file and the directory"),
    ];
    for (draft, removed, expected) in cases {
        let err = fx.root.add_version(id, draft, &removed, info("bad")).unwrap_err();
        assert!(matches!(&err, ObjectsError::Invalid(m) if m.contains(expected)), "{expected}: {err}");
    }
    let err = fx.root.add_version("urn:missing", fx.draft("urn:missing", &[]), &[], info("x")).unwrap_err();
    assert!(matches!(err, ObjectsError::NotFound(_)), "{err}");
    assert_eq!(fx.root.inventory_digest(id).unwrap(), before);
    assert_eq!(fx.staging_entries(), 0);
    assert_eq!(fx.problems(id), Vec::<String>::new());
}

#[test]
fn a_leftover_version_from_an_interrupted_update_is_reported_and_can_be_discarded() {
    let fx = fixture();
    let id = "urn:evident:item:interrupted";
    let object = fx.install(id, &[("a", b"1")]);
    // Simulate a crash after v2 was moved in but before the root inventory was replaced.
    fs::create_dir_all(object.join("v2/content")).unwrap();
    fs::write(object.join("v2/content/a"), b"2").unwrap();
    assert_eq!(fx.read(id, "a"), b"1", "the previous head is still readable");
    assert_has_problem(&fx.problems(id), "v2", "beyond the head v1");
    let err = fx.root.add_version(id, fx.draft(id, &[("a", b"3")]), &[], info("retry")).unwrap_err();
    assert!(matches!(&err, ObjectsError::Corrupted { detail, .. } if detail.contains("interrupted")), "{err}");
    assert_eq!(fx.root.discard_unreferenced_versions(id).unwrap(), vec!["v2".to_owned()]);
    assert_eq!(fx.problems(id), Vec::<String>::new());
    assert_eq!(fx.root.add_version(id, fx.draft(id, &[("a", b"3")]), &[], info("retry")).unwrap(), "v2");
    assert_eq!(fx.read(id, "a"), b"3");
    assert_eq!(fx.problems(id), Vec::<String>::new());
}

// ---- validation finds damage ----

fn two_version_object(fx: &Fixture) -> (&'static str, PathBuf) {
    let id = "urn:evident:item:damaged";
    let object = fx.install(id, &[("a.txt", b"alpha"), ("docs/b.txt", b"bravo")]);
    fx.root.add_version(id, fx.draft(id, &[("c.txt", b"charlie")]), &[], info("second")).unwrap();
    assert_eq!(fx.problems(id), Vec::<String>::new());
    (id, object)
}

#[test]
fn validate_detects_a_flipped_byte_in_a_content_file() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    flip_byte(&object.join("v1/content/docs/b.txt"), 2);
    assert_one_problem(
        &fx.problems(id),
        "v1/content/docs/b.txt",
        &format!("but the manifest records {}", sha256(b"bravo")),
    );
}

#[test]
fn validate_detects_a_flipped_byte_in_the_root_inventory() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    let text = fs::read_to_string(object.join("inventory.json")).unwrap();
    let offset = text.find("second").unwrap();
    flip_byte(&object.join("inventory.json"), offset);
    let problems = fx.problems(id);
    assert_has_problem(&problems, "inventory.json", "inventory.json.sha256 records");
    assert_has_problem(&problems, "v2/inventory.json", "differs from the root inventory");
    let err = fx.root.read_inventory(id).unwrap_err();
    assert!(matches!(&err, ObjectsError::Corrupted { what, .. } if what.ends_with("/inventory.json")), "{err}");
}

#[test]
fn validate_detects_a_root_inventory_that_is_no_longer_json() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    flip_byte(&object.join("inventory.json"), 0); // '{' becomes 'z'
    let problems = fx.problems(id);
    assert_has_problem(&problems, "inventory.json", "not an OCFL inventory");
    // Content checks still ran, from the newest version inventory.
    flip_byte(&object.join("v2/content/c.txt"), 0);
    assert_has_problem(&fx.problems(id), "v2/content/c.txt", "but the manifest records");
}

#[test]
fn validate_detects_a_flipped_byte_in_a_version_inventory() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    let text = fs::read_to_string(object.join("v1/inventory.json")).unwrap();
    flip_byte(&object.join("v1/inventory.json"), text.find("ingest").unwrap());
    let problems = fx.problems(id);
    assert_has_problem(&problems, "v1/inventory.json", "inventory.json.sha256 records");
    assert_has_problem(&problems, "v1/inventory.json", "version block v1 differs");
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

#[test]
fn validate_detects_a_missing_content_file() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    fs::remove_file(object.join("v2/content/c.txt")).unwrap();
    // The content directory is now empty, which OCFL also forbids.
    let problems = fx.problems(id);
    assert_has_problem(&problems, "v2/content/c.txt", "listed in the manifest but missing");
    assert_has_problem(&problems, "v2/content", "empty directory");
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

#[test]
fn validate_detects_extra_files() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    fs::write(object.join("v1/content/docs/planted.txt"), b"not in the manifest").unwrap();
    assert_one_problem(&fx.problems(id), "v1/content/docs/planted.txt", "not listed in the manifest");
    fs::remove_file(object.join("v1/content/docs/planted.txt")).unwrap();
    fs::write(object.join("notes.txt"), b"x").unwrap();
    assert_one_problem(&fx.problems(id), "notes.txt", "unexpected entry in the object root");
    fs::remove_file(object.join("notes.txt")).unwrap();
    fs::write(object.join("v2/extra"), b"x").unwrap();
    assert_one_problem(&fx.problems(id), "v2/extra", "unexpected entry in a version directory");
}

#[test]
fn validate_detects_bad_sidecars() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    let sidecar = object.join("inventory.json.sha256");
    fs::write(&sidecar, format!("{}  inventory.json\n", "0".repeat(64))).unwrap();
    assert_one_problem(&fx.problems(id), "inventory.json", &format!("records {}", "0".repeat(64)));
    fs::write(&sidecar, "garbage").unwrap();
    assert_one_problem(&fx.problems(id), "inventory.json.sha256", "sidecar must hold");
    fs::remove_file(&sidecar).unwrap();
    assert_one_problem(&fx.problems(id), "inventory.json.sha256", "missing");
    let err = fx.root.inventory_digest(id).unwrap_err();
    assert!(matches!(&err, ObjectsError::Corrupted { what, .. } if what.ends_with("inventory.json.sha256")), "{err}");
    fs::write(object.join("v1/inventory.json.sha256"), "x").unwrap();
    assert_has_problem(&fx.problems(id), "v1/inventory.json.sha256", "sidecar must hold");
}

#[test]
fn validate_detects_a_missing_declaration_and_an_object_at_the_wrong_path() {
    let fx = fixture();
    let (id, object) = two_version_object(&fx);
    fs::write(object.join("0=ocfl_object_1.1"), b"ocfl_object_1.0\n").unwrap();
    assert_one_problem(&fx.problems(id), "0=ocfl_object_1.1", "content must be exactly");
    fs::remove_file(object.join("0=ocfl_object_1.1")).unwrap();
    assert_one_problem(&fx.problems(id), "0=ocfl_object_1.1", "missing");

    // An object copied to the layout path of another id.
    let other = fx.object_dir("urn:evident:item:impostor");
    fs::create_dir_all(other.parent().unwrap()).unwrap();
    fs::rename(&object, &other).unwrap();
    fs::write(other.join("0=ocfl_object_1.1"), b"ocfl_object_1.1\n").unwrap();
    let problems = fx.problems("urn:evident:item:impostor");
    assert_has_problem(&problems, "inventory.json", "object's path is for id \"urn:evident:item:impostor\"");
    let err = fx.root.read_inventory_at(&other).unwrap_err();
    assert!(matches!(&err, ObjectsError::Corrupted { detail, .. } if detail.contains("belongs at")), "{err}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever bytes go in come back out, under their digest, and the object validates.
        #[test]
        fn content_round_trips_through_a_storage_root(
            files in proptest::collection::btree_map("[a-zà-ÿ]{1,6}(/[a-z0-9]{1,6}){0,2}\\.txt", proptest::collection::vec(any::<u8>(), 0..2000), 1..6),
        ) {
            let fx = fixture();
            let paths: Vec<&str> = files.keys().map(String::as_str).collect();
            prop_assume!(evident_objects_path_conflict_free(&paths));
            let mut draft = ObjectDraft::new(&fx.staging, "urn:prop").unwrap();
            for (path, bytes) in &files {
                let digest = draft.add_bytes(path, bytes).unwrap();
                prop_assert_eq!(digest, FileDigest { sha256: sha256(bytes), size: bytes.len() as u64 });
            }
            fx.root.install(draft.finish(info("prop")).unwrap()).unwrap();
            for (path, bytes) in &files {
                prop_assert_eq!(&fx.read("urn:prop", path), bytes);
            }
            prop_assert_eq!(fx.problems("urn:prop"), Vec::<String>::new());
        }
    }

    fn evident_objects_path_conflict_free(paths: &[&str]) -> bool {
        !paths.iter().any(|a| paths.iter().any(|b| b.starts_with(&format!("{a}/"))))
    }
}

/// A reader that hands out its bytes in uneven short reads and can fail
/// after a given number of bytes, to drive the multi-chunk path.
struct Trickle {
    bytes: Vec<u8>,
    position: usize,
    fail_after: Option<usize>,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(limit) = self.fail_after
            && self.position >= limit
        {
            return Err(io::Error::other("the source went away"));
        }
        let step = 1 + (self.position * 7919) % 300_000;
        let count = step.min(buf.len()).min(self.bytes.len() - self.position);
        buf[..count].copy_from_slice(&self.bytes[self.position..self.position + count]);
        self.position += count;
        Ok(count)
    }
}

#[test]
fn large_files_are_hashed_while_written_across_many_chunks() {
    let f = fixture();
    let bytes: Vec<u8> = (0..(3 << 20) + 12_345).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let mut draft = ObjectDraft::new(&f.staging, "big").unwrap();
    let digest =
        draft.add_file("big.bin", Trickle { bytes: bytes.clone(), position: 0, fail_after: None }, u64::MAX).unwrap();
    assert_eq!(digest.sha256, sha256(&bytes));
    assert_eq!(digest.size, bytes.len() as u64);

    // over the limit in the third chunk: TooLarge, and no file left behind
    let too_large =
        draft.add_file("limited.bin", Trickle { bytes: bytes.clone(), position: 0, fail_after: None }, (2 << 20) + 5);
    assert!(matches!(too_large, Err(ObjectsError::TooLarge { .. })), "{too_large:?}");
    // the source fails in the second chunk: Source, and no file left behind
    let failed = draft.add_file(
        "failed.bin",
        Trickle { bytes: bytes.clone(), position: 0, fail_after: Some(1_500_000) },
        u64::MAX,
    );
    assert!(matches!(failed, Err(ObjectsError::Source(ref m)) if m.contains("went away")), "{failed:?}");
    let staged = draft.finish(info("big")).unwrap();
    let content = staged.staging_path().join("v1/content");
    let names: Vec<_> =
        fs::read_dir(&content).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names, vec!["big.bin".to_owned()]);
    assert_eq!(fs::read(content.join("big.bin")).unwrap(), bytes);
}
