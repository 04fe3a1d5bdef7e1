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
