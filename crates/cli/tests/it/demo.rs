//! `evident demo`: the bundled sample in a fresh archive, an admin with a
//! printed password, served; the public sees only what was published; a
//! second run reuses the archive with a new password; SIGTERM stops the
//! server cleanly with the audit trail committed to the log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use serde_json::Value;

use crate::harness::evident_command;

fn request(address: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

/// The body of a `Content-Length` response (the server sends JSON that way).
fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn value_after(output: &str, label: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {output}"))
        .trim()
        .to_owned()
}

#[test]
fn the_demo_serves_a_sample_where_the_public_sees_only_what_was_published() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("demo");
    let mut child = evident_command()
        .arg("demo")
        .arg("--dir")
        .arg(&dir)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("open http://") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("the demo stopped before serving: {printed}");
        }
        printed.push_str(&line);
    }
    let result = std::panic::catch_unwind(|| {
        assert!(printed.contains("created with the bundled sample: 5 items"), "{printed}");
        let password = value_after(&printed, "password:");
        assert_eq!(password.len(), 20);
        let address = printed.split("open http://").nth(1).unwrap().split('/').next().unwrap().to_owned();

        // The public: the published hospital page is found, the fictional
        // testimonies are not, by search or by id.
        let (status, body) = request(&address, "GET", "/api/v1/search?q=%E7%A7%BB%E6%A4%8D", "", "");
        assert_eq!(status, 200, "{body}");
        let public = json(&body);
        assert!(public["total"].as_u64().unwrap() >= 1, "{public}");
        let (_, body) = request(&address, "GET", "/api/v1/search?q=eleven", "", "");
        assert_eq!(json(&body)["total"], 0, "testimonies are restricted: {body}");

        // The admin, with the printed password, sees the testimonies.
        let login = format!("{{\"username\":\"admin\",\"password\":\"{password}\"}}");
        let (status, body) = request(&address, "POST", "/api/v1/login", "Content-Type: application/json\r\n", &login);
        assert_eq!(status, 200, "{body}");
        let token = json(&body)["token"].as_str().unwrap().to_owned();
        let bearer = format!("Authorization: Bearer {token}\r\n");
        let (_, body) = request(&address, "GET", "/api/v1/search?q=eleven", &bearer, "");
        let hits = json(&body);
        assert!(hits["total"].as_u64().unwrap() >= 1, "{hits}");
        let testimony = hits["hits"][0]["id"].as_str().unwrap().to_owned();
        let (status, _) = request(&address, "GET", &format!("/api/v1/items/{testimony}"), &bearer, "");
        assert_eq!(status, 200);
        let (status, _) = request(&address, "GET", &format!("/api/v1/items/{testimony}"), "", "");
        assert_eq!(status, 404);
        let (status, body) = request(&address, "GET", "/statistics", "", "");
        assert_eq!(status, 200);
        assert!(body.contains("FICTIONAL"), "the published series is on the portal: {body}");
        testimony
    });
    let stopped = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    let status = child.wait().unwrap();
    let testimony = match result {
        Ok(testimony) => testimony,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    assert!(status.success(), "SIGTERM stops the server cleanly: {status:?}");

    // The admin's read of a testimony is in the audit trail, committed.
    let output = evident_command().arg("--archive").arg(&dir).args(["audit", "--json"]).output().unwrap();
    let trail: Vec<Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let read = trail.iter().find(|e| e["target"] == testimony.as_str() && e["action"] == "read").expect("audited");
    assert_eq!(read["actor"], "admin");
    assert!(read["log_index"].is_u64(), "committed to the log when the server stopped: {read}");
    let output = evident_command().arg("--archive").arg(&dir).args(["verify"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));

    // Again: the archive is kept, the admin gets a new password.
    let output = evident_command().arg("demo").arg("--dir").arg(&dir).arg("--no-serve").output().unwrap();
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success() && printed.contains("(reused: 5 items"), "{printed}");
}
