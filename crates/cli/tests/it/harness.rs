//! A temporary archive and helpers to run `evident` against it.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

pub fn evident_command() -> std::process::Command {
    let mut command = std::process::Command::cargo_bin("evident").expect("the evident binary is built");
    command
        .env_remove("EVIDENT_ARCHIVE")
        .env_remove("EVIDENT_KEY_FILE")
        .env_remove("EVIDENT_KEK_FILE")
        .env_remove("EVIDENT_KEK_PASSPHRASE")
        .env("EVIDENT_ACTOR", "tester");
    command
}

/// A scratch directory with an initialised archive at `archive/`.
pub struct TestArchive {
    pub temp: tempfile::TempDir,
    pub dir: PathBuf,
    pub vkey: String,
}

impl TestArchive {
    pub fn new() -> TestArchive {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("archive");
        let output =
            evident_command().arg("init").arg(&dir).args(["--origin", "test.example/evident"]).output().unwrap();
        assert!(output.status.success(), "init failed: {}", String::from_utf8_lossy(&output.stderr));
        let vkey = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        TestArchive { temp, dir, vkey }
    }

    /// A new archive that shares `other`'s key-encryption key (its
    /// `seal.json` and key file are copies of `other`'s), as a restored
    /// backup or a second archive of the same organisation would.
    pub fn with_the_key_of(other: &TestArchive) -> TestArchive {
        let archive = TestArchive::new();
        std::fs::copy(other.dir.join("seal.json"), archive.dir.join("seal.json")).unwrap();
        std::fs::copy(other.temp.path().join("archive.keys/kek"), archive.temp.path().join("archive.keys/kek"))
            .unwrap();
        archive
    }

    /// A path for input files, outside the archive.
    pub fn input(&self, relative: &str) -> PathBuf {
        let path = self.temp.path().join("input").join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        path
    }

    pub fn write_input(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = self.input(relative);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn command(&self) -> std::process::Command {
        let mut command = evident_command();
        command.env("EVIDENT_ARCHIVE", &self.dir);
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// `evident add --json` on paths; returns the outcomes and the exit code.
    pub fn add(&self, paths: &[&Path], extra: &[&str]) -> (Vec<Value>, i32) {
        let output = self.command().arg("add").arg("--json").args(extra).args(paths).output().unwrap();
        let outcomes = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}")))
            .collect();
        (outcomes, output.status.code().unwrap_or(-1))
    }

    pub fn add_one(&self, path: &Path) -> Value {
        let (mut outcomes, code) = self.add(&[path], &[]);
        assert_eq!(outcomes.len(), 1, "{outcomes:?}");
        assert_eq!(code, 0, "{outcomes:?}");
        outcomes.remove(0)
    }

    pub fn verify(&self) -> (Value, i32) {
        let output = self.run(&["verify", "--json"]);
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("verify --json: {e}: {}", String::from_utf8_lossy(&output.stderr)));
        (report, output.status.code().unwrap_or(-1))
    }

    pub fn assert_verifies(&self) {
        let (report, code) = self.verify();
        assert_eq!(code, 0, "verify failed: {report:#}");
        assert_eq!(report["ok"], true);
    }

    /// Problems that `verify` reports, as "what: detail" lines.
    pub fn problems(&self) -> Vec<String> {
        let (report, code) = self.verify();
        let problems: Vec<String> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}: {}", p["what"].as_str().unwrap(), p["detail"].as_str().unwrap()))
            .collect();
        assert_eq!(code == 0, problems.is_empty(), "exit code must agree with the problems: {problems:?}");
        problems
    }

    /// The object directory of an item.
    pub fn object_dir(&self, item: &str) -> PathBuf {
        object_dirs(&self.dir.join("ocfl"))
            .into_iter()
            .find(|dir| object_id(dir) == item)
            .unwrap_or_else(|| panic!("no object directory for {item}"))
    }
}

/// Every OCFL object directory under a storage root, sorted.
pub fn object_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.join("0=ocfl_object_1.1").exists() {
                found.push(path);
            } else if path.is_dir() && path.file_name() != Some(std::ffi::OsStr::new("extensions")) {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The id in an object directory's root inventory.
pub fn object_id(object_dir: &Path) -> String {
    let inventory: Value = serde_json::from_slice(&std::fs::read(object_dir.join("inventory.json")).unwrap()).unwrap();
    inventory["id"].as_str().unwrap().to_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Flips one bit of the byte at `offset` (from the end if negative).
pub fn flip_byte(path: &Path, offset: i64) {
    let mut bytes = std::fs::read(path).unwrap();
    let index = if offset < 0 { bytes.len() as i64 + offset } else { offset } as usize;
    bytes[index] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

/// Every regular file under `root`, recursively, sorted.
pub fn every_file(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Every file under `root` (database, WAL, index, objects, log, tmp) that
/// holds `needle`.
pub fn files_holding(root: &Path, needle: &[u8]) -> Vec<PathBuf> {
    every_file(root).into_iter().filter(|path| contains(&std::fs::read(path).unwrap(), needle)).collect()
}
