//! Interoperability: ocfl-py, an independent OCFL implementation, must find our storage
//! roots and objects valid.
//!
//! The validator is `$OCFL_VALIDATE`, or `ocfl-validate.py` on `PATH`. `scripts/test`
//! installs it. If it cannot be run, this test fails: a skipped interoperability check
//! would look like a passing one.
//!
//! ocfl-py 2.1.0 (the newest release) has no handler for layout extension 0004, so it
//! stops at the storage root's `ocfl_layout.json` with E071 ("unsupported layout") before
//! looking at any object, although 0004 is a registered community extension. The test
//! therefore runs the validator three ways:
//!
//! 1. on every object directory, with the unmodified validator (no layout involved);
//! 2. on the storage root, with the unmodified validator: valid, or rejected only for the
//!    missing 0004 handler (so the test keeps passing, and gets stricter, once ocfl-py
//!    supports 0004);
//! 3. on the storage root through a small shim that registers a 0004 handler in ocfl-py's
//!    layout registry and then runs the unmodified validator script, so that the whole
//!    hierarchy is checked; the shim then also checks, with its own implementation of the
//!    layout, that every object sits at the path 0004 gives for its id.
//!
//! Warnings are errors here, except W004 (ocfl-py recommends sha512; this archive uses
//! sha256 by design) and W901 for `extensions/0004-hashed-n-tuple-storage-layout` (ocfl-py
//! knows only extensions 0002 and 0003 by name).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use evident_objects::{ObjectDraft, StorageRoot, VersionInfo, sync_filesystem};

const LAYOUT_SHIM: &str = r#"
import hashlib, os, runpy, sys
from ocfl.layout import Layout, LayoutException
from ocfl.layout_registry import add_layout, layout_is_supported

NAME = "0004-hashed-n-tuple-storage-layout"

class Layout0004(Layout):
    """Extension 0004, written from its text, independent of the Rust code under test."""
    def __init__(self):
        super().__init__()
        self.NAME = NAME
        self.DESCRIPTION = "Hashed N-tuple Storage Layout"
        self.digest_algorithm, self.tuple_size, self.number_of_tuples, self.short_object_root = "sha256", 3, 3, False
        self.PARAMS = {"digestAlgorithm": self.set_digest, "tupleSize": self.set_tuple_size,
                       "numberOfTuples": self.set_number_of_tuples, "shortObjectRoot": self.set_short}
    def set_digest(self, value):
        if value is not None:
            hashlib.new(value)
            self.digest_algorithm = value
    def set_tuple_size(self, value):
        if value is not None:
            if not isinstance(value, int) or not 0 <= value <= 32: raise LayoutException("bad tupleSize")
            self.tuple_size = value
    def set_number_of_tuples(self, value):
        if value is not None:
            if not isinstance(value, int) or not 0 <= value <= 32: raise LayoutException("bad numberOfTuples")
            self.number_of_tuples = value
    def set_short(self, value):
        if value is not None:
            if not isinstance(value, bool): raise LayoutException("bad shortObjectRoot")
            self.short_object_root = value
    def identifier_to_path(self, identifier):
        digest = hashlib.new(self.digest_algorithm, identifier.encode("utf-8")).hexdigest().lower()
        tuples = [digest[i * self.tuple_size:(i + 1) * self.tuple_size] for i in range(self.number_of_tuples)]
        last = digest[self.tuple_size * self.number_of_tuples:] if self.short_object_root else digest
        return os.path.join(*tuples, last)

mode, validator, root = sys.argv[1:4]
if mode == "with-0004" and not layout_is_supported(NAME):
    add_layout(NAME, Layout0004)

# The verdict: the unmodified validator script, as if run from the command line.
sys.argv = [validator, root]
status = 0
try:
    runpy.run_path(validator, run_name="__main__")
except SystemExit as e:
    status = e.code if isinstance(e.code, int) else 1
print("validator exit status: %d" % status)

# The reasons: ocfl-validate.py prints nothing for a storage root, so ask ocfl-py directly.
import ocfl
store = ocfl.StorageRoot(root=root)
valid = store.validate(log_warnings=True)
print(str(store.log))
for _, messages in getattr(store, "errors", None) or []:
    print(messages)
print("objects: %d, valid objects: %d" % (getattr(store, "num_objects", 0) or 0, getattr(store, "good_objects", 0) or 0))

if valid:
    for dirpath, identifier in store.list_objects():
        expected = store.object_path(identifier)
        if dirpath != expected:
            print("LAYOUT MISMATCH: object %r is at %s but 0004 puts it at %s" % (identifier, dirpath, expected))
            status = 1
        else:
            print("layout ok: %s -> %s" % (identifier, dirpath))
sys.exit(status)
"#;

fn info(created: &str, message: &str) -> VersionInfo {
    VersionInfo {
        created: created.to_owned(),
        message: message.to_owned(),
        user_name: "Evidence Clerk".to_owned(),
        user_address: Some("mailto:clerk@example.org".to_owned()),
    }
}

/// Builds a storage root with several objects; returns the root and the object ids.
fn build_storage_root(dir: &Path) -> (StorageRoot, Vec<&'static str>) {
    let root = StorageRoot::create(&dir.join("root")).unwrap();
    let staging = dir.join("staging");
    let stage = |id: &str, files: &[(&str, &[u8])]| {
        let mut draft = ObjectDraft::new(&staging, id).unwrap();
        for (path, bytes) in files {
            draft.add_bytes(path, bytes).unwrap();
        }
        draft
    };

    let simple = "urn:evident:item:0001";
    root.install(
        stage(
            simple,
            &[
                ("report.txt", b"incident report\n"),
                ("attachments/scan.pdf", b"%PDF-1.7 fake\n"),
            ],
        )
        .finish(info("2026-11-30T03:45:00Z", "ingest"))
        .unwrap(),
    )
    .unwrap();

    let versioned = "urn:evident:item:0002";
    root.install(
        stage(
            versioned,
            &[
                ("Ünïcødé/файл.txt", "кириллица\n".as_bytes()),
                ("日本語 ファイル.txt", "日本語\n".as_bytes()),
                ("notes/emoji 📎.md", b"# paperclip\n"),
                ("notes/copy.md", b"# paperclip\n"),
                ("obsolete.txt", b"to be removed\n"),
            ],
        )
        .finish(info("2026-11-30T03:46:00Z", "ingest"))
        .unwrap(),
    )
    .unwrap();
    let v2 = stage(
        versioned,
        &[
            ("Ünïcødé/файл.txt", "исправлено\n".as_bytes()),
            ("naïve café/ß.txt", "straße\n".as_bytes()),
            ("again.md", b"# paperclip\n"),
        ],
    );
    assert_eq!(
        root.add_version(
            versioned,
            v2,
            &["obsolete.txt".to_owned()],
            info("2026-12-01T10:00:00Z", "correction")
        )
        .unwrap(),
        "v2"
    );

    let empty = "urn:evident:item:0003";
    root.install(
        stage(empty, &[])
            .finish(info("2026-12-02T00:00:00Z", "placeholder"))
            .unwrap(),
    )
    .unwrap();

    let three_versions = "urn:evident:item:0004";
    root.install(
        stage(three_versions, &[("a.txt", b"a\n"), ("b/c.txt", b"c\n")])
            .finish(info("2026-12-03T00:00:00Z", "ingest"))
            .unwrap(),
    )
    .unwrap();
    root.add_version(
        three_versions,
        stage(three_versions, &[("d.txt", b"d\n")]),
        &[],
        info("2026-12-03T00:01:00Z", "add"),
    )
    .unwrap();
    assert_eq!(
        root.add_version(
            three_versions,
            stage(three_versions, &[]),
            &["b/c.txt".to_owned()],
            info("2026-12-03T00:02:00Z", "remove")
        )
        .unwrap(),
        "v3"
    );
    sync_filesystem(root.path()).unwrap();
    for id in [simple, versioned, empty, three_versions] {
        assert_eq!(
            root.validate_object(id).unwrap(),
            vec![],
            "our own validator must agree first"
        );
    }
    (root, vec![simple, versioned, empty, three_versions])
}

/// The validator executable: `$OCFL_VALIDATE`, or `ocfl-validate.py` on `PATH`.
fn validator() -> PathBuf {
    let name = std::env::var_os("OCFL_VALIDATE").unwrap_or_else(|| "ocfl-validate.py".into());
    let name = PathBuf::from(name);
    if name.components().count() > 1 {
        return name;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(&name))
                .find(|path| path.is_file())
        })
        .unwrap_or(name)
}

fn cannot_run(what: &str, error: impl std::fmt::Display) -> ! {
    panic!(
        "cannot run the OCFL validator {what} ({error}).\n\
         Run scripts/test, which installs ocfl-py, or set OCFL_VALIDATE to the path of ocfl-validate.py."
    )
}

fn run_validator(args: &[&Path]) -> Output {
    let validator = validator();
    Command::new(&validator)
        .args(args)
        .output()
        .unwrap_or_else(|e| cannot_run(&validator.display().to_string(), e))
}

/// How [`run_validator_on_root`] runs the validator.
#[derive(Clone, Copy)]
enum Layouts {
    /// ocfl-py as installed.
    AsInstalled,
    /// With a 0004 handler registered in ocfl-py's layout registry first.
    With0004,
}

/// Runs the validator script on a storage root under the script's own Python, through
/// the shim (which prints ocfl-py's reasons, since the script prints none for a root).
fn run_validator_on_root(root: &Path, layouts: Layouts) -> Output {
    let validator = validator();
    let python = python_of(&validator);
    let Some((program, program_args)) = python.split_first() else {
        cannot_run(
            &validator.display().to_string(),
            "no Python interpreter found for it",
        )
    };
    Command::new(program)
        .args(program_args)
        .arg("-c")
        .arg(LAYOUT_SHIM)
        .arg(match layouts {
            Layouts::AsInstalled => "as-installed",
            Layouts::With0004 => "with-0004",
        })
        .arg(&validator)
        .arg(root)
        .output()
        .unwrap_or_else(|e| cannot_run(program, e))
}

/// The Python that runs `validator`: the virtual environment's `python3` beside it, or
/// else the interpreter its `#!` line names.
fn python_of(validator: &Path) -> Vec<String> {
    if let Some(beside) = validator.parent().map(|dir| dir.join("python3"))
        && beside.is_file()
    {
        return vec![beside.display().to_string()];
    }
    let script = std::fs::read_to_string(validator)
        .unwrap_or_else(|e| cannot_run(&validator.display().to_string(), e));
    let shebang = script
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("#!"))
        .unwrap_or_else(|| {
            cannot_run(
                &validator.display().to_string(),
                "it does not start with a #! line naming its Python interpreter",
            )
        });
    let mut interpreter: Vec<String> = shebang.split_whitespace().map(str::to_owned).collect();
    if interpreter
        .first()
        .is_some_and(|program| program.ends_with("/env"))
    {
        interpreter.remove(0);
    }
    interpreter
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Validator messages that are errors or warnings, minus the two accepted warnings.
fn unexpected_messages(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|line| line.contains("[E") || line.contains("[W"))
        .filter(|line| !line.contains("[W004]"))
        .filter(|line| {
            !(line.contains("[W901]") && line.contains("0004-hashed-n-tuple-storage-layout"))
        })
        .collect()
}

#[test]
fn ocfl_py_finds_our_objects_and_storage_root_valid() {
    let dir = tempfile::tempdir().unwrap();
    let (root, ids) = build_storage_root(dir.path());
    let object_paths: Vec<PathBuf> = ids
        .iter()
        .map(|id| root.path().join(StorageRoot::object_relative_path(id)))
        .collect();

    // 1. Every object on its own, unmodified validator.
    let args: Vec<&Path> = object_paths.iter().map(PathBuf::as_path).collect();
    let output = run_validator(&args);
    let report = text(&output);
    assert!(
        output.status.success(),
        "ocfl-py found an object invalid:\n{report}"
    );
    for path in &object_paths {
        assert!(
            report.contains(&format!("Object at {} is VALID", path.display())),
            "no VALID verdict for {}:\n{report}",
            path.display()
        );
    }
    assert!(!report.contains("INVALID"), "{report}");
    assert_eq!(unexpected_messages(&report), Vec::<&str>::new(), "{report}");

    // 2. The storage root, ocfl-py as installed: valid, or stopped only by its missing 0004 support.
    let output = run_validator_on_root(root.path(), Layouts::AsInstalled);
    let report = text(&output);
    if output.status.success() {
        assert!(
            report.contains(&format!("objects: {0}, valid objects: {0}", ids.len())),
            "{report}"
        );
        assert_eq!(unexpected_messages(&report), Vec::<&str>::new(), "{report}");
    } else {
        let errors: Vec<&str> = report.lines().filter(|line| line.contains("[E")).collect();
        assert!(
            errors.len() == 1
                && errors[0].contains("[E071]")
                && errors[0].contains("0004-hashed-n-tuple-storage-layout"),
            "ocfl-py rejected the storage root for a reason other than its missing 0004 layout support:\n{report}"
        );
    }

    // 3. The storage root with a 0004 handler registered: the whole hierarchy is checked.
    let output = run_validator_on_root(root.path(), Layouts::With0004);
    let report = text(&output);
    assert!(
        output.status.success(),
        "ocfl-py found the storage root invalid:\n{report}"
    );
    assert!(report.contains("validator exit status: 0"), "{report}");
    assert!(
        report.contains(&format!("objects: {0}, valid objects: {0}", ids.len())),
        "{report}"
    );
    assert!(!report.contains("LAYOUT MISMATCH"), "{report}");
    assert_eq!(unexpected_messages(&report), Vec::<&str>::new(), "{report}");
    for (id, path) in ids.iter().zip(&object_paths) {
        let relative = path.strip_prefix(root.path()).unwrap();
        assert!(
            report.contains(&format!("layout ok: {id} -> {}", relative.display())),
            "{report}"
        );
    }
}

/// The interop test is only worth something if ocfl-py rejects what is broken.
#[test]
fn ocfl_py_rejects_a_damaged_object() {
    let dir = tempfile::tempdir().unwrap();
    let (root, ids) = build_storage_root(dir.path());
    let object = root.path().join(StorageRoot::object_relative_path(ids[1]));
    let content = object.join("v2/content/naïve café/ß.txt");
    std::fs::write(&content, "strasse\n").unwrap();
    let output = run_validator(&[&object]);
    let report = text(&output);
    assert!(
        !output.status.success(),
        "ocfl-py accepted a changed content file:\n{report}"
    );
    assert!(report.contains("INVALID"), "{report}");
    assert!(!root.validate_object(ids[1]).unwrap().is_empty());
}
