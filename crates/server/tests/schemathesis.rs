//! schemathesis (PyPI), run against the real server on a real socket with
//! the API's own OpenAPI document: it generates valid and invalid requests
//! for every operation, and none may get a server error (5xx). Once as an
//! admin with a bearer token (everything, writes included, is reachable),
//! once as the public.
//!
//! The executable is `$EVIDENT_SCHEMATHESIS`, else `.venv/bin/schemathesis`
//! in the workspace (`scripts/install-test-deps` installs it). Without it
//! the test fails: it never passes silently.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use evident_archive::RecordKind;
use evident_server::ServerConfig;
use serde_json::json;

/// Test cases per operation and phase: small enough that both runs take
/// well under two minutes on two cores. `EVIDENT_SCHEMATHESIS_EXAMPLES`
/// asks for more (a deeper run by hand).
const MAX_EXAMPLES: &str = "12";

fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("EVIDENT_SCHEMATHESIS") {
        let path = PathBuf::from(path);
        assert!(path.exists(), "EVIDENT_SCHEMATHESIS={} does not exist; run scripts/install-test-deps", path.display());
        return path;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = workspace.join(".venv/bin/schemathesis");
    assert!(
        venv.exists(),
        "schemathesis is not installed: run scripts/install-test-deps (it installs it into .venv), \
         or set EVIDENT_SCHEMATHESIS to its executable"
    );
    venv
}

/// Starts the server on 127.0.0.1:0 in a thread of its own (it runs until
/// the test process ends); returns its address and an admin API token.
fn start_server() -> (tempfile::TempDir, SocketAddr, String) {
    let (temp, _dir, mut archive) = archive_with_users();
    add_file(&mut archive, temp.path(), "testimony.txt", "Fictional testimony: 器官检查 in detention.".as_bytes());
    add_file(&mut archive, temp.path(), "photo.png", b"\x89PNG\r\n\x1a\n not really a picture");
    let claim = archive
        .create_record(RecordKind::Claim, fields(json!({"text": "A fictional claim", "value": 10.0})), "tester", "test")
        .unwrap()
        .id;
    archive
        .create_record(
            RecordKind::Finding,
            fields(json!({"issue": "A fictional issue", "standard": "credible_information", "outcome": "open",
                "claims": [claim], "sensitivity": "public"})),
            "tester",
            "test",
        )
        .unwrap();
    archive
        .create_record(
            RecordKind::Facility,
            fields(json!({"name_en": "Fictional Centre", "lat": 30.0, "lon": 114.0, "sensitivity": "public"})),
            "tester",
            "test",
        )
        .unwrap();
    let token = archive.create_api_token("admin", Some("schemathesis")).unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = evident_server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            evident_server::serve_with(archive, ServerConfig { max_upload: 1 << 20 }, listener).await.unwrap();
        });
    });
    let address = receiver.recv_timeout(Duration::from_secs(30)).expect("the server started");
    (temp, address, token)
}

fn run(executable: &Path, address: SocketAddr, scratch: &Path, header: Option<String>) {
    let mut command = Command::new(executable);
    command
        .current_dir(scratch)
        .env("NO_COLOR", "1")
        .arg("run")
        .arg(format!("http://{address}/api/v1/openapi.json"))
        .args(["--checks", "not_a_server_error"])
        .arg("--max-examples")
        .arg(std::env::var("EVIDENT_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.to_owned()))
        .args(["--request-timeout", "30"])
        .args(["--wait-for-schema", "10"])
        // Logging out would end the session the rest of the run uses.
        .args(["--exclude-path", "/api/v1/logout"]);
    if let Some(header) = &header {
        command.args(["--header", header]);
    }
    let started = Instant::now();
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", executable.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let who = if header.is_some() { "as admin" } else { "as the public" };
    eprintln!("schemathesis {who}: {:?}, {}\n{stdout}", started.elapsed(), output.status);
    assert!(output.status.success(), "schemathesis {who} found server errors:\n{stdout}\n{stderr}");
    // "Test cases:\n  650 generated, 650 passed": it must have sent some.
    let generated = stdout
        .split_once("Test cases:")
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(generated > 0, "schemathesis generated no test case {who}:\n{stdout}\n{stderr}");
}

#[test]
fn the_api_answers_schemathesis_without_a_server_error() {
    let executable = schemathesis();
    let (temp, address, token) = start_server();
    let scratch = temp.path().join("schemathesis");
    std::fs::create_dir_all(&scratch).unwrap();
    run(&executable, address, &scratch, Some(format!("Authorization: Bearer {token}")));
    run(&executable, address, &scratch, None);
}
