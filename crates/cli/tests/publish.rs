//! `evident publish` / `evident unpublish`, and the portal's in-browser
//! receipt check (`crates/server/static/verify.js`) run under Node against
//! receipts made by `evident receipt`, with `evident check-receipt` as the
//! judge of every tampered and malformed case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{Value, json};

struct TestArchive {
    temp: tempfile::TempDir,
    dir: PathBuf,
    vkey: String,
}

fn evident() -> Command {
    let mut command = Command::cargo_bin("evident").unwrap();
    command.env_remove("EVIDENT_ARCHIVE").env_remove("EVIDENT_KEY_FILE").env("EVIDENT_ACTOR", "tester");
    command
}

impl TestArchive {
    fn new(origin: &str) -> TestArchive {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("archive");
        let output = evident().arg("init").arg(&dir).args(["--origin", origin]).output().unwrap();
        assert!(output.status.success(), "init: {}", String::from_utf8_lossy(&output.stderr));
        let vkey = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        TestArchive { temp, dir, vkey }
    }

    fn run(&self, args: &[&str]) -> Output {
        evident().env("EVIDENT_ARCHIVE", &self.dir).args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "evident {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    fn add(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.temp.path().join("input").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let out = self.ok(&["add", "--json", path.to_str().unwrap()]);
        let outcome: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(outcome["status"], "added", "{outcome}");
        outcome["item"].as_str().unwrap().to_owned()
    }

    fn log_size(&self) -> u64 {
        let checkpoint = std::fs::read_to_string(self.dir.join("log/checkpoint")).unwrap();
        checkpoint.lines().nth(1).unwrap().parse().unwrap()
    }

    fn show(&self, id: &str) -> Value {
        serde_json::from_str(&self.ok(&["show", id, "--history", "--json"])).unwrap()
    }
}

#[test]
fn publish_then_unpublish_is_two_logged_versions_and_verify_passes() {
    let archive = TestArchive::new("test.example/evident");
    let item = archive.add("statement.txt", "A public statement of the hospital, 2006.".as_bytes());
    let size = archive.log_size();

    let out = archive.ok(&["publish", &item, "--reason", "cited in the tribunal's judgment", "--json"]);
    let change: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(change["id"], item.as_str());
    assert_eq!(archive.log_size(), size + 1, "publishing is one log entry");
    let shown = archive.show(&item);
    assert_eq!(shown["fields"]["sensitivity"], "public");
    let history = shown["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["change"], "edit");
    assert_eq!(history[0]["reason"], "published: cited in the tribunal's judgment");
    assert_eq!(history[0]["actor"], "tester");

    // Publishing twice changes nothing and says so.
    let again = archive.run(&["publish", &item]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already public"));
    assert_eq!(archive.log_size(), size + 1);

    // Unpublishing needs a reason.
    let no_reason = archive.run(&["unpublish", &item]);
    assert_eq!(no_reason.status.code(), Some(2));
    assert_eq!(archive.log_size(), size + 1);
    archive.ok(&["unpublish", &item, "--reason", "a name in it was not redacted", "--actor", "alice"]);
    assert_eq!(archive.log_size(), size + 2, "unpublishing is one more log entry");
    let shown = archive.show(&item);
    assert_eq!(shown["fields"]["sensitivity"], "restricted");
    let history = shown["history"].as_array().unwrap();
    assert_eq!(history[1]["reason"], "unpublished: a name in it was not redacted");
    assert_eq!(history[1]["actor"], "alice");
    assert_eq!(history[1]["log_index"].as_u64().unwrap(), size + 1);

    // A record: published without a reason is "published".
    let out = archive.ok(&[
        "create",
        "finding",
        "--set",
        "issue=Forced organ harvesting",
        "--set",
        "standard=beyond_reasonable_doubt",
        "--set",
        "outcome=proved",
        "--json",
    ]);
    let finding = serde_json::from_str::<Value>(&out).unwrap()["id"].as_str().unwrap().to_owned();
    archive.ok(&["publish", &finding]);
    assert_eq!(archive.show(&finding)["history"][1]["reason"], "published");

    let (verify, code) = {
        let output = archive.run(&["verify", "--json"]);
        (serde_json::from_slice::<Value>(&output.stdout).unwrap(), output.status.code())
    };
    assert_eq!(code, Some(0), "{verify:#}");
    assert_eq!(verify["ok"], true);
    assert_eq!(verify["log_size"].as_u64().unwrap(), archive.log_size());
}

#[test]
fn publishing_refuses_sealed_retracted_and_unknown_things_and_stores_nothing() {
    let archive = TestArchive::new("test.example/evident");
    let out = archive.ok(&[
        "create",
        "person",
        "--set",
        r#"names=[{"name": "Witness A"}]"#,
        "--set",
        "sensitivity=sealed",
        "--json",
    ]);
    let sealed = serde_json::from_str::<Value>(&out).unwrap()["id"].as_str().unwrap().to_owned();
    let out = archive.ok(&["create", "source", "--set", "name=Old source", "--json"]);
    let retracted = serde_json::from_str::<Value>(&out).unwrap()["id"].as_str().unwrap().to_owned();
    archive.ok(&["retract", &retracted, "--reason", "duplicate"]);
    let size = archive.log_size();
    for (id, says) in [
        (sealed.as_str(), "sealed"),
        (retracted.as_str(), "retracted"),
        ("src_01m8nc7ppa0ab4phx04gx7dp93", "no item or record"),
        ("itm_01m8nc7ppa0ab4phx04gx7dp93", "no item or record"),
        ("not-an-id", "id"),
    ] {
        let output = archive.run(&["publish", id, "--reason", "test"]);
        assert_eq!(output.status.code(), Some(2), "{id}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{id}: {stderr}");
    }
    let output = archive.run(&["unpublish", &sealed, "--reason", "test"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(archive.log_size(), size, "nothing was logged");
    assert_eq!(archive.show(&sealed)["fields"]["sensitivity"], "sealed");
}

/// Node, from `EVIDENT_NODE` or the PATH; the test fails (never skips)
/// without it.
fn node() -> PathBuf {
    if let Some(node) = std::env::var_os("EVIDENT_NODE") {
        return PathBuf::from(node);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("node")).find(|path| path.is_file()))
        .expect("node (>= 20) is needed to test verify.js: install it (apt nodejs) or set EVIDENT_NODE")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Base64 without a dependency: only the tests' tampering needs it.
fn flip_base64_bit(line: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Changing the first character changes the first six bits of the hash and
    // keeps the base64 canonical.
    let first = line.as_bytes()[0];
    let position = ALPHABET.iter().position(|&c| c == first).unwrap();
    let replacement = ALPHABET[(position + 1) % 64] as char;
    format!("{replacement}{}", &line[1..])
}

/// A receipt case: name, receipt, file, key, and the check verify.js must
/// fail (`None`: the receipt is valid).
type Case<'a> = (&'a str, String, Vec<u8>, &'a str, Option<&'a str>);

#[test]
fn verify_js_agrees_with_check_receipt_on_real_tampered_and_malformed_receipts() {
    let archive = TestArchive::new("test.example/evident");
    let fixtures = archive.temp.path().join("fixtures");
    let first_bytes = "证人证词（虚构）：在看守所被抽血、做B超。Fictional testimony.\n".as_bytes();
    let first = archive.add("testimony 1.txt", first_bytes);
    std::fs::create_dir_all(fixtures.join("first")).unwrap();
    archive.ok(&["receipt", &first, "-o", fixtures.join("first/receipt.txt").to_str().unwrap()]);
    std::fs::write(fixtures.join("first/file.bin"), first_bytes).unwrap();
    std::fs::copy(archive.dir.join("log/checkpoint"), fixtures.join("first/checkpoint")).unwrap();

    // Hundreds of entries later (full level-0 tiles and a level-1 tile), a second item.
    let rows: String =
        (0..300).map(|i| format!("{}\n", json!({"kind": "source", "name": format!("Source {i}")}))).collect();
    let import = archive.temp.path().join("sources.jsonl");
    std::fs::write(&import, rows).unwrap();
    archive.ok(&["import", import.to_str().unwrap()]);
    let latest_bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let latest = archive.add("scan.bin", &latest_bytes);
    archive.ok(&["publish", &latest, "--reason", "for the portal"]);
    assert!(archive.log_size() > 300);
    std::fs::create_dir_all(fixtures.join("latest")).unwrap();
    archive.ok(&["receipt", &latest, "-o", fixtures.join("latest/receipt.txt").to_str().unwrap()]);
    std::fs::write(fixtures.join("latest/file.bin"), &latest_bytes).unwrap();
    copy_dir(&archive.dir.join("log"), &fixtures.join("log"));
    std::fs::write(fixtures.join("key.txt"), &archive.vkey).unwrap();

    // Keys of other logs: the same origin with another key, and another origin.
    let impostor = TestArchive::new("test.example/evident");
    let elsewhere = TestArchive::new("other.example/log");

    let receipt = std::fs::read_to_string(fixtures.join("latest/receipt.txt")).unwrap();
    let lines: Vec<&str> = receipt.split('\n').collect();
    let index_line = lines.iter().position(|line| line.starts_with("index ")).unwrap();
    let with_line = |at: usize, line: &str| {
        let mut changed = lines.clone();
        changed[at] = line;
        changed.join("\n")
    };
    let index: u64 = lines[index_line]["index ".len()..].parse().unwrap();
    let extra = lines[1].strip_prefix("extra ").unwrap();
    // The entry with its actor changed (still canonical JSON): the leaf hash changes.
    let entry = String::from_utf8(decode_base64(extra)).unwrap();
    let forged_entry = entry.replace("\"actor\":\"tester\"", "\"actor\":\"tester2\"");
    assert_ne!(entry, forged_entry);
    let forged_extra = format!("extra {}", encode_base64(forged_entry.as_bytes()));
    let size_line = lines.iter().rposition(|line| line.parse::<u64>().is_ok()).unwrap();
    let mut tampered_file = latest_bytes.clone();
    tampered_file[12_345] ^= 1;

    let key = archive.vkey.as_str();
    let cases: Vec<Case> = vec![
        ("valid", receipt.clone(), latest_bytes.clone(), key, None),
        (
            "valid-first",
            std::fs::read_to_string(fixtures.join("first/receipt.txt")).unwrap(),
            first_bytes.to_vec(),
            key,
            None,
        ),
        ("tampered-file", receipt.clone(), tampered_file, key, Some("file")),
        ("another-file", receipt.clone(), first_bytes.to_vec(), key, Some("file")),
        ("truncated-file", receipt.clone(), latest_bytes[..69_999].to_vec(), key, Some("file")),
        (
            "tampered-proof",
            with_line(index_line + 1, &flip_base64_bit(lines[index_line + 1])),
            latest_bytes.clone(),
            key,
            Some("inclusion"),
        ),
        (
            "tampered-index",
            with_line(index_line, &format!("index {}", index - 1)),
            latest_bytes.clone(),
            key,
            Some("inclusion"),
        ),
        (
            "index-beyond-size",
            with_line(index_line, "index 18446744073709551615"),
            latest_bytes.clone(),
            key,
            Some("inclusion"),
        ),
        ("tampered-entry", with_line(1, &forged_extra), latest_bytes.clone(), key, Some("inclusion")),
        (
            "tampered-checkpoint",
            with_line(size_line, &format!("{}", lines[size_line].parse::<u64>().unwrap() + 1)),
            latest_bytes.clone(),
            key,
            Some("signature"),
        ),
        ("wrong-key-same-origin", receipt.clone(), latest_bytes.clone(), impostor.vkey.as_str(), Some("signature")),
        ("wrong-key-other-log", receipt.clone(), latest_bytes.clone(), elsewhere.vkey.as_str(), Some("signature")),
        ("malformed-key", receipt.clone(), latest_bytes.clone(), "test.example/evident+00000000+AAAA", Some("key")),
        (
            "malformed-header",
            receipt.replacen("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", 1),
            latest_bytes.clone(),
            key,
            Some("receipt"),
        ),
        ("malformed-truncated", receipt[..receipt.len() / 2].to_owned(), latest_bytes.clone(), key, Some("receipt")),
        (
            "malformed-base64",
            with_line(index_line + 1, &lines[index_line + 1].replace('=', "")),
            latest_bytes.clone(),
            key,
            Some("receipt"),
        ),
        (
            "malformed-index",
            with_line(index_line, &format!("index 0{index}")),
            latest_bytes.clone(),
            key,
            Some("receipt"),
        ),
        (
            "no-entry",
            {
                let mut changed = lines.clone();
                changed.remove(1);
                changed.join("\n")
            },
            latest_bytes.clone(),
            key,
            Some("entry"),
        ),
        ("empty", String::new(), latest_bytes.clone(), key, Some("receipt")),
        ("crlf", receipt.replace('\n', "\r\n"), latest_bytes.clone(), key, Some("receipt")),
    ];
    let mut summary = Vec::new();
    for (name, receipt, file, key, failing) in &cases {
        let dir = fixtures.join("cases").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("receipt.txt"), receipt).unwrap();
        std::fs::write(dir.join("file.bin"), file).unwrap();
        std::fs::write(dir.join("key.txt"), key).unwrap();
        let output = evident()
            .arg("check-receipt")
            .arg(dir.join("receipt.txt"))
            .arg("--file")
            .arg(dir.join("file.bin"))
            .args(["--key", key])
            .output()
            .unwrap();
        let code = output.status.code();
        assert!(code == Some(0) || code == Some(1), "{name}: check-receipt exit {code:?}");
        let valid = code == Some(0);
        assert_eq!(valid, failing.is_none(), "{name}: check-receipt: {}", String::from_utf8_lossy(&output.stdout));
        summary.push(json!({
            "name": name,
            "valid": valid,
            "verdict": String::from_utf8_lossy(&output.stdout).trim(),
            "failing": failing,
        }));
    }
    std::fs::write(fixtures.join("cases.json"), serde_json::to_string_pretty(&summary).unwrap()).unwrap();

    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = manifest.join("../server/tests/js/verify.test.cjs");
    let vectors = manifest.join("../../../shared/vectors");
    assert!(vectors.join("merkle").is_dir(), "the shared vectors are missing at {}", vectors.display());
    let output = Command::new(node())
        .arg("--test")
        .arg(&script)
        .env("EVIDENT_VECTORS", &vectors)
        .env("EVIDENT_FIXTURES", &fixtures)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "node --test failed:\n{report}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.contains("# pass 7") && report.contains("# fail 0"), "{report}");
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        bits = (bits << 6) | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

fn encode_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
