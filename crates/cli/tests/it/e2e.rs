//! The web app in a real browser (issue 5, "Must hold"): a real `evident
//! serve` on a real socket, and `tests/e2e/flow.mjs` driving headless Debian
//! Chromium through playwright-core: log in, upload a testimony, find it by a
//! Chinese word, open it, download its receipt, verify it (and a changed
//! copy of the file) on the public `/verify` page, log out. Afterwards the
//! archive itself must show what the browser did: the reads in the audit
//! trail, committed to the log, and `evident verify` passing.
//!
//! Needs Chromium, the fonts and `npm ci` in `tests/e2e/`: run
//! `scripts/install-test-deps`. Without them the test fails (never passes
//! silently). Screenshots go to `target/e2e-artifacts/` (or
//! `$EVIDENT_E2E_ARTIFACTS`).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::TestArchive;

const USER: &str = "ines";
const PASSWORD: &str = "a long enough test password";

/// The screenshots the flow takes, one per step, and the width each must have.
const SCREENSHOTS: [(&str, u32); 10] = [
    ("01-login-zh.png", 1280),
    ("02-login.png", 1280),
    ("03-upload.png", 1280),
    ("04-search.png", 1280),
    ("05-search-phone.png", 390),
    ("06-item.png", 1280),
    ("07-receipt.png", 1280),
    ("08-verify.png", 1280),
    ("09-verify-tampered.png", 1280),
    ("10-logout.png", 1280),
];

/// The whole flow takes about 15 s; this only keeps a hung browser from hanging the suite.
const FLOW_TIMEOUT: Duration = Duration::from_secs(120);

const INSTALL_HINT: &str = "run scripts/install-test-deps (it installs Debian chromium and fonts, and runs `npm ci` \
                            in tests/e2e), or point EVIDENT_CHROMIUM, EVIDENT_E2E_DIR and EVIDENT_NODE at them";

fn workspace() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    workspace.canonicalize().unwrap_or(workspace)
}

fn chromium() -> PathBuf {
    let chromium =
        std::env::var_os("EVIDENT_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(chromium.is_file(), "no Chromium at {}: {INSTALL_HINT}", chromium.display());
    chromium
}

fn e2e_dir() -> PathBuf {
    let dir = std::env::var_os("EVIDENT_E2E_DIR").map_or_else(|| workspace().join("tests/e2e"), PathBuf::from);
    assert!(dir.join("flow.mjs").is_file(), "no flow.mjs in {}: set EVIDENT_E2E_DIR to tests/e2e", dir.display());
    assert!(
        dir.join("node_modules/playwright-core/package.json").is_file(),
        "playwright-core is not installed in {}: {INSTALL_HINT}",
        dir.display()
    );
    dir
}

fn node() -> PathBuf {
    if let Some(node) = std::env::var_os("EVIDENT_NODE") {
        return PathBuf::from(node);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("node")).find(|path| path.is_file()))
        .unwrap_or_else(|| panic!("node (>= 20) is not on PATH: {INSTALL_HINT}"))
}

fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("EVIDENT_E2E_ARTIFACTS")
        .map_or_else(|| workspace().join("target/e2e-artifacts"), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    // Files of an earlier run must not stand in for this run's (only names the flow writes are removed).
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if SCREENSHOTS.iter().any(|(screenshot, _)| *screenshot == name)
            || (name.starts_with("failed-") && name.ends_with(".png"))
            || (name.starts_with("testimony-") && name.ends_with(".txt"))
            || (name.starts_with("tampered-testimony-") && name.ends_with(".txt"))
            || (name.starts_with("itm_") && name.ends_with(".tlog-proof"))
            || name == "flow-result.json"
            || name == "flow.log"
        {
            std::fs::remove_file(&path).unwrap();
        }
    }
    dir
}

/// `evident serve` on a free port; killed if the test fails before it is stopped.
struct Server {
    child: Child,
    address: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(archive: &TestArchive) -> Server {
        let mut child = archive
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let Some(address) = line.split("http://").nth(1).and_then(|rest| rest.split('/').next()) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("evident serve did not say where it listens: {line:?}");
        };
        let address = address.to_owned();
        // Keep reading what the server logs, so a full pipe never blocks it, and keep it for failures.
        let log = Arc::new(Mutex::new(line));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        Server { child, address, stderr: log }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGTERM, as a service manager stops it: the server must finish its work and exit.
    fn stop(&mut self) -> ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -TERM {} failed", self.child.id());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "evident serve did not stop on SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn add_user(archive: &TestArchive, name: &str, role: &str, password: &str) {
    let mut child = archive
        .command()
        .args(["user", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "user add: {}", String::from_utf8_lossy(&output.stderr));
}

/// What runs the flow, found before anything starts so that a missing piece fails at once.
struct Browser {
    chromium: PathBuf,
    e2e: PathBuf,
    node: PathBuf,
}

impl Browser {
    fn find() -> Browser {
        Browser { chromium: chromium(), e2e: e2e_dir(), node: node() }
    }
}

/// Runs the flow, its output in `flow.log`; fails on a non-zero exit or a hang.
fn run_flow(browser: &Browser, server: &Server, artifacts: &Path) {
    let Browser { chromium, e2e, node } = browser;
    let log_path = artifacts.join("flow.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut flow = Command::new(node)
        .arg(e2e.join("flow.mjs"))
        .current_dir(e2e)
        .env("EVIDENT_E2E_URL", format!("http://{}", server.address))
        .env("EVIDENT_E2E_USER", USER)
        .env("EVIDENT_E2E_PASSWORD", PASSWORD)
        .env("EVIDENT_E2E_ARTIFACTS", artifacts)
        .env("EVIDENT_CHROMIUM", chromium)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = flow.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > FLOW_TIMEOUT {
            let _ = flow.kill();
            let _ = flow.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut output = String::new();
    std::fs::File::open(&log_path).unwrap().read_to_string(&mut output).unwrap();
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!(
            "the browser flow failed ({status}); screenshots in {}:\n{output}\nserver log:\n{}",
            artifacts.display(),
            server.log()
        ),
        None => panic!("the browser flow did not finish in {FLOW_TIMEOUT:?}:\n{output}\nserver log:\n{}", server.log()),
    }
}

/// The width of a PNG image, after checking that the file is one.
fn png_width(path: &Path) -> u32 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
    assert!(bytes.len() > 1000, "screenshot {} is only {} bytes", path.display(), bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
    assert_eq!(&bytes[12..16], b"IHDR", "{} has no IHDR chunk first", path.display());
    u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]])
}

#[test]
fn an_investigator_uploads_finds_opens_and_verifies_in_a_real_browser() {
    let browser = Browser::find();
    let archive = TestArchive::new();
    add_user(&archive, USER, "investigator", PASSWORD);
    let artifacts = artifacts_dir();
    let mut server = Server::start(&archive);

    run_flow(&browser, &server, &artifacts);

    let status = server.stop();
    assert!(status.success(), "evident serve exited with {status} on SIGTERM:\n{}", server.log());

    for (name, width) in SCREENSHOTS {
        assert_eq!(png_width(&artifacts.join(name)), width, "width of {name}");
    }

    // What the browser did is in the archive: the item with the uploaded bytes, the
    // investigator's reads in the audit trail (committed to the log at shutdown at the
    // latest), and everything verifies.
    let result: Value =
        serde_json::from_str(&std::fs::read_to_string(artifacts.join("flow-result.json")).unwrap()).unwrap();
    let item = result["item"].as_str().unwrap();
    let shown = archive.run(&["show", item, "--json"]);
    assert!(shown.status.success(), "show {item}: {}", String::from_utf8_lossy(&shown.stderr));
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["file"]["sha256"], result["sha256"], "the item holds the uploaded bytes: {shown}");
    assert_eq!(shown["file"]["added_by"], USER, "{shown}");

    let audit = archive.run(&["audit", "--json"]);
    assert!(audit.status.success(), "audit: {}", String::from_utf8_lossy(&audit.stderr));
    let events: Vec<Value> = String::from_utf8(audit.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}")))
        .collect();
    for action in ["read", "receipt"] {
        let event = events
            .iter()
            .find(|event| event["action"] == action && event["target"] == item)
            .unwrap_or_else(|| panic!("no {action} of {item} in the audit trail: {events:?}"));
        assert_eq!(event["actor"], USER, "{event}");
        assert_eq!(event["role"], "investigator", "{event}");
        assert_eq!(event["client"], "127.0.0.1", "{event}");
        assert!(event["log_index"].is_u64(), "the event is committed to the log: {event}");
    }
    archive.assert_verifies();
}
