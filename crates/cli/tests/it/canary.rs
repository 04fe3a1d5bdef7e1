//! The witness-protection canary test (issue 6, "Must hold"): canary strings
//! in Latin, Chinese and Uyghur script go into a sealed file (and its name),
//! a person's identifying fields and a testimony sent through `/intake` of a
//! real `evident serve` process; then every place they could leak to is
//! searched: every byte under the archive directory and of a key-free backup
//! copy, the server's own log output (at debug level), every API response
//! and page to every role that may not see them, search results, and every
//! export. They must appear only where allowed: to the person granted the
//! sealed item and record, to the intake role for the testimony, and to the
//! operator holding the key.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{TestArchive, contains, every_file, stdout};

/// In the sealed file, its name and the sealed person record.
const SEALED: [&str; 3] = ["Qv7SealedCanaryLatin", "金丝雀证人甲乙丙", "كانارىيەگۇۋاھچىئا"];
/// In the testimony sent through `/intake`.
const INTAKE: [&str; 3] = ["Jw4IntakeCanaryLatin", "雀鸟口供丁戊己", "قانارىيەگۇۋاھلىقبې"];

/// Whether `haystack` holds any of `canaries` (the Latin one also in lower
/// case, as an analyzer would write it).
fn leaked(haystack: &[u8], canaries: &[&str]) -> Option<String> {
    let lower = haystack.to_ascii_lowercase();
    canaries.iter().find_map(|canary| {
        let needle = canary.as_bytes();
        let lower_needle = canary.to_ascii_lowercase();
        (contains(haystack, needle) || contains(&lower, lower_needle.as_bytes())).then(|| (*canary).to_owned())
    })
}

fn assert_no_canary_under(root: &Path, what: &str) {
    let files = every_file(root);
    assert!(files.len() > 10, "{what}: only {} files under {}", files.len(), root.display());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.to_string_lossy().into_owned();
        for haystack in [&bytes[..], name.as_bytes()] {
            if let Some(canary) = leaked(haystack, &SEALED).or_else(|| leaked(haystack, &INTAKE)) {
                panic!("{what}: canary {canary:?} in {}", file.display());
            }
        }
    }
}

/// One HTTP/1.0 exchange (so the body is never chunked and a canary cannot be
/// split across chunks): the status and the whole response as text.
fn http(address: &str, method: &str, path: &str, token: Option<&str>, body: Option<(&str, &[u8])>) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {address}\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some((content_type, bytes)) = body {
        request.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n", bytes.len()));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    if let Some((_, bytes)) = body {
        stream.write_all(bytes).unwrap();
    }
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("{text}"));
    (status, text)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect()
}

fn add_user(archive: &TestArchive, name: &str, role: &str) -> String {
    let mut add = archive.command().args(["user", "add", name, "--role", role]).stdin(Stdio::piped()).spawn().unwrap();
    add.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    assert!(add.wait().unwrap().success(), "user add {name}");
    let token = stdout(&archive.run(&["token", "create", name])).trim().to_owned();
    assert!(token.starts_with("evk_"), "{token}");
    token
}

/// `evident serve` with its log at debug level going to `log`; the address.
/// The caller stops and waits for the child.
#[allow(clippy::zombie_processes)]
fn serve(archive: &TestArchive, log: &Path) -> (Child, String) {
    let mut child = archive
        .command()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("EVIDENT_LOG", "debug")
        .stderr(std::fs::File::create(log).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(address) =
            text.lines().find_map(|line| line.split("http://").nth(1).and_then(|rest| rest.split('/').next()))
        {
            return (child, address.to_owned());
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not start: {text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Submits a testimony to `/intake`; the follow-up code and the new item ids.
fn submit_testimony(address: &str) -> (String, Vec<String>) {
    let testimony = format!("My name is {}. I was taken from {} to {}.", INTAKE[0], INTAKE[1], INTAKE[2]);
    let body = format!(
        "--canaryboundary\r\nContent-Disposition: form-data; name=\"testimony\"\r\n\r\n{testimony}\r\n--canaryboundary--\r\n"
    );
    let (status, answer) =
        http(address, "POST", "/intake", None, Some(("multipart/form-data; boundary=canaryboundary", body.as_bytes())));
    assert_eq!(status, 201, "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("set-cookie"), "intake sets no cookie: {answer}");
    assert_eq!(leaked(answer.as_bytes(), &INTAKE), None, "the witness's answer does not echo the testimony");
    let code = answer
        .split("data-test=\"follow-up-code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no follow-up code: {answer}"))
        .to_owned();
    let items: Vec<String> = answer
        .split("<code>")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .filter(|id| id.starts_with("itm_"))
        .map(str::to_owned)
        .collect();
    assert!(!items.is_empty(), "no item ids in the answer: {answer}");
    (code, items)
}

#[test]
fn canaries_appear_only_where_allowed() {
    let archive = TestArchive::new();
    let sealed_text = format!("Testimony of {} from {}, born in {}.\n", SEALED[0], SEALED[1], SEALED[2]);
    let input = archive.write_input(&format!("{}-testimony.txt", SEALED[0]), sealed_text.as_bytes());
    let (outcomes, code) = archive.add(&[&input], &["--sensitivity", "sealed"]);
    assert_eq!(code, 0, "{outcomes:?}");
    let item = outcomes[0]["item"].as_str().unwrap().to_owned();
    let created = archive.run(&[
        "create",
        "person",
        "--set",
        &format!(r#"names=[{{"name":"{}"}},{{"name":"{}"}}]"#, SEALED[0], SEALED[1]),
        "--set",
        &format!("home_town={}", SEALED[2]),
        "--set",
        "status=detained",
        "--json",
    ]);
    assert!(created.status.success(), "{}", crate::harness::stderr(&created));
    let person =
        serde_json::from_str::<serde_json::Value>(&stdout(&created)).unwrap()["id"].as_str().unwrap().to_owned();

    let tokens: Vec<(&str, String)> = [
        ("admin", "ada"),
        ("investigator", "ivan"),
        ("reviewer", "rita"),
        ("intake", "ines"),
        ("investigator", "gina"),
    ]
    .into_iter()
    .map(|(role, name)| (name, add_user(&archive, name, role)))
    .collect();
    let token = |name: &str| tokens.iter().find(|(user, _)| *user == name).unwrap().1.clone();
    for target in [&item, &person] {
        let granted = archive.run(&["seal", "grant", target, "gina"]);
        assert!(granted.status.success(), "{}", crate::harness::stderr(&granted));
    }

    let log = archive.input("serve.log");
    let (mut server, address) = serve(&archive, &log);
    let result = std::panic::catch_unwind(|| {
        let (_code, intake_items) = submit_testimony(&address);
        let mut paths = vec![
            format!("/api/v1/items/{item}"),
            format!("/api/v1/items/{item}/file"),
            format!("/api/v1/items/{item}/text"),
            format!("/api/v1/items/{item}/receipt"),
            format!("/items/{item}"),
            format!("/api/v1/records/{person}"),
            format!("/api/v1/records/{person}/history"),
            format!("/records/{person}"),
            "/api/v1/records?kind=person".to_owned(),
            "/api/v1/export".to_owned(),
            "/api/v1/export?format=csv".to_owned(),
            "/api/v1/audit".to_owned(),
            "/portal".to_owned(),
            "/portal/items".to_owned(),
            "/intake/cases".to_owned(),
            "/".to_owned(),
        ];
        for intake_item in &intake_items {
            paths.push(format!("/api/v1/items/{intake_item}"));
            paths.push(format!("/api/v1/items/{intake_item}/file"));
            paths.push(format!("/items/{intake_item}"));
        }
        // Searched by the first two thirds of each canary (the n-gram field
        // would find the rest), so that a page echoing the query does not
        // count as a leak but a hit showing the whole canary does.
        for canary in SEALED.iter().chain(INTAKE.iter()) {
            let chars: Vec<char> = canary.chars().collect();
            let part: String = chars[..chars.len() * 2 / 3].iter().collect();
            paths.push(format!("/api/v1/search?q={}", percent_encode(&part)));
            paths.push(format!("/search?q={}", percent_encode(&part)));
        }
        // Nobody but the granted person sees the sealed canaries; nobody but
        // the intake role the testimony's.
        for caller in [None, Some("ada"), Some("ivan"), Some("rita"), Some("ines"), Some("gina")] {
            let caller_token = caller.map(token);
            for path in &paths {
                let (status, answer) = http(&address, "GET", path, caller_token.as_deref(), None);
                assert!(status < 500, "{caller:?} {path}: {answer}");
                if caller != Some("gina") {
                    assert_eq!(leaked(answer.as_bytes(), &SEALED), None, "{caller:?} {path}");
                }
                if caller != Some("ines") {
                    assert_eq!(leaked(answer.as_bytes(), &INTAKE), None, "{caller:?} {path}");
                }
            }
        }
        // ... and they do see them (so the checks above could fail).
        let gina = token("gina");
        let (_, file) = http(&address, "GET", &format!("/api/v1/items/{item}/file"), Some(&gina), None);
        assert!(file.contains(SEALED[1]), "the granted person reads the sealed file: {file}");
        let (_, record) = http(&address, "GET", &format!("/api/v1/records/{person}"), Some(&gina), None);
        assert!(record.contains(SEALED[0]), "the granted person reads the sealed names: {record}");
        let (_, cases) = http(&address, "GET", "/intake/cases", Some(&token("ines")), None);
        let case = cases
            .split("/intake/cases/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no case listed: {cases}"))
            .to_owned();
        let (_, testimony) = http(&address, "GET", &format!("/intake/cases/{case}"), Some(&token("ines")), None);
        assert!(testimony.contains(INTAKE[1]), "the intake role reads the testimony: {testimony}");
    });
    let _ = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let stopped = Instant::now();
    while server.try_wait().unwrap().is_none() && stopped.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }

    // The server's own log output, at debug level, holds none of them.
    let log_bytes = std::fs::read(&log).unwrap();
    assert!(log_bytes.len() > 20, "the server logged something");
    assert_eq!(leaked(&log_bytes, &SEALED), None, "server log");
    assert_eq!(leaked(&log_bytes, &INTAKE), None, "server log");

    // Every byte under the archive, and a backup copy of it without the key.
    assert_no_canary_under(&archive.dir, "archive directory");
    let backup = archive.input("backup");
    let copied = std::process::Command::new("cp").arg("-a").arg(&archive.dir).arg(&backup).status().unwrap();
    assert!(copied.success());
    assert_no_canary_under(&backup, "key-free backup");
    let verified =
        crate::harness::evident_command().env("EVIDENT_ARCHIVE", &backup).args(["verify", "--json"]).output().unwrap();
    assert!(verified.status.success(), "the backup verifies without the key: {}", stdout(&verified));
    let reading =
        crate::harness::evident_command().env("EVIDENT_ARCHIVE", &backup).args(["unseal", &item]).output().unwrap();
    assert!(!reading.status.success(), "no key, no plaintext");
    assert_eq!(leaked(&reading.stdout, &SEALED), None);

    // Exports and searches from the command line.
    for args in [
        vec!["export"],
        vec!["export", "--format", "csv"],
        vec!["export", "--kind", "person"],
        vec!["search", "Qv7SealedCanary", "--json"],
        vec!["search", "金丝雀证人", "--json"],
        vec!["search", "雀鸟口供", "--json"],
        vec!["show", &person],
        vec!["show", &item],
        vec!["audit"],
    ] {
        let output = archive.run(&args);
        for stream in [&output.stdout, &output.stderr] {
            assert_eq!(leaked(stream, &SEALED), None, "evident {args:?}");
            assert_eq!(leaked(stream, &INTAKE), None, "evident {args:?}");
        }
    }
    // The operator with the key may read them.
    let unsealed = archive.run(&["unseal", &item]);
    assert!(contains(&unsealed.stdout, SEALED[2].as_bytes()), "{}", crate::harness::stderr(&unsealed));
    let revealed = archive.run(&["show", &person, "--reveal"]);
    assert!(contains(&revealed.stdout, SEALED[0].as_bytes()), "{}", stdout(&revealed));
    let revealed = archive.run(&["show", &item, "--reveal"]);
    assert!(contains(&revealed.stdout, SEALED[0].as_bytes()), "the sealed name: {}", stdout(&revealed));
}
