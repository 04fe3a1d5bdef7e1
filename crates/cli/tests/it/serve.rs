//! `evident serve` as a real process on a real socket: the log at its C2SP
//! paths and the API answer over HTTP/1.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use crate::harness::TestArchive;

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_answers_on_a_real_socket() {
    let archive = TestArchive::new();
    archive.add_one(&archive.write_input("a.txt", b"served over http"));
    let mut child = archive
        .command()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();

    let checkpoint = get(&address, "/checkpoint");
    let result = std::panic::catch_unwind(|| {
        assert!(checkpoint.starts_with("HTTP/1.1 200"), "{checkpoint}");
        assert!(checkpoint.to_ascii_lowercase().contains("cache-control: no-cache"), "{checkpoint}");
        assert!(checkpoint.contains("test.example/evident\n1\n"), "{checkpoint}");
        let search = get(&address, "/api/v1/search?q=served");
        assert!(search.starts_with("HTTP/1.1 200"), "{search}");
        assert!(search.contains("\"total\":0"), "a restricted item is not public: {search}");
        let missing = get(&address, "/api/v1/items/itm_nope");
        assert!(missing.starts_with("HTTP/1.1 404") && missing.contains("\"code\":\"not_found\""), "{missing}");
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// `--max-upload` bounds an upload over a real socket: a body over it gets
/// 413 and stores nothing; one under it is added.
#[test]
fn serve_refuses_uploads_over_the_configured_limit() {
    let archive = TestArchive::new();
    let mut add = archive
        .command()
        .args(["user", "add", "ingrid", "--role", "investigator"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    assert!(add.wait().unwrap().success());
    let token = crate::harness::stdout(&archive.run(&["token", "create", "ingrid"])).trim().to_owned();
    assert!(token.starts_with("evk_"), "{token}");

    let mut child = archive
        .command()
        .args(["serve", "--listen", "127.0.0.1:0", "--max-upload", "600"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let upload = |content: &[u8]| {
        let mut body = Vec::new();
        body.extend_from_slice(b"--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n");
        body.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n--XBOUNDARY--\r\n");
        let mut stream = TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "POST /api/v1/items HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary=XBOUNDARY\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    };
    let result = std::panic::catch_unwind(|| {
        let big = upload(&[b'x'; 2_000]);
        assert!(big.starts_with("HTTP/1.1 413") && big.contains("\"too_large\""), "{big}");
        let small = upload(b"a small file under the limit");
        assert!(small.starts_with("HTTP/1.1 201") && small.contains("\"added\""), "{small}");
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    let (report, _) = archive.verify();
    assert_eq!(report["items"], 1, "only the small file was stored: {report}");
}
