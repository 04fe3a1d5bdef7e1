//! What the API's test binaries share: an archive with one user per role,
//! requests through the real router, multipart bodies.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use evident_archive::{AddConfig, AddOutcome, Archive, InitConfig, Role};
use evident_server::{AppState, ServerConfig, router};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// A fresh archive at `TEMP/archive` with users `admin`, `investigator`,
/// `reviewer` and `intake` (password [`PASSWORD`]).
pub fn archive_with_users() -> (tempfile::TempDir, PathBuf, Archive) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "test.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    for role in Role::ALL {
        archive.add_user(role.name(), role, PASSWORD).unwrap();
    }
    (temp, dir, archive)
}

/// Adds one file with these bytes; returns the item id.
pub fn add_file(archive: &mut Archive, scratch: &Path, name: &str, bytes: &[u8]) -> String {
    let path = scratch.join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut items = Vec::new();
    archive
        .add(&[path], &AddConfig { actor: "tester".into(), ..AddConfig::default() }, &mut |outcome: &AddOutcome| {
            items.extend(outcome.item.clone())
        })
        .unwrap();
    items.remove(0)
}

pub fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

pub fn app(archive: Archive, config: ServerConfig) -> axum::Router {
    router(AppState::with_config(archive, config))
}

/// An answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error code of a JSON error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_else(|| panic!("not an API error: {}", self.text())).to_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or_else(|| panic!("no header {name}"))
    }
}

pub async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer { status, headers, body }
}

/// A request with a bearer token, if any.
pub fn request(method: &str, uri: &str, token: Option<&str>) -> axum::http::request::Builder {
    let builder = Request::builder().method(method).uri(uri);
    match token {
        Some(token) => builder.header(header::AUTHORIZATION, format!("Bearer {token}")),
        None => builder,
    }
}

pub async fn get(app: &axum::Router, uri: &str, token: Option<&str>) -> Answer {
    send(app, request("GET", uri, token).body(Body::empty()).unwrap()).await
}

pub async fn send_json(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, body: Value) -> Answer {
    let request =
        request(method, uri, token).header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()));
    send(app, request.unwrap()).await
}

/// Logs in; returns the session token and its CSRF token.
pub async fn login(app: &axum::Router, name: &str) -> (String, String) {
    let answer = send_json(app, "POST", "/api/v1/login", None, json!({"username": name, "password": PASSWORD})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    (body["token"].as_str().unwrap().to_owned(), body["csrf"].as_str().unwrap().to_owned())
}

const BOUNDARY: &str = "evident-test-boundary-7d3f";

/// One part of a multipart form: field name, file name (for files), bytes.
pub struct Part<'a> {
    pub field: &'a str,
    pub file_name: Option<&'a str>,
    pub bytes: &'a [u8],
}

pub fn file_part<'a>(file_name: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part { field: "file", file_name: Some(file_name), bytes }
}

pub fn text_part<'a>(field: &'a str, text: &'a str) -> Part<'a> {
    Part { field, file_name: None, bytes: text.as_bytes() }
}

/// A multipart/form-data body and its content type.
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part.file_name {
            Some(name) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                    part.field,
                    name.replace('"', "%22")
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", part.field).as_bytes(),
            ),
        }
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// `POST /api/v1/items` with these parts and a bearer token.
pub async fn upload(app: &axum::Router, token: Option<&str>, parts: &[Part<'_>]) -> Answer {
    let (content_type, body) = multipart(parts);
    let request = request("POST", "/api/v1/items", token)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body));
    send(app, request.unwrap()).await
}

/// Every OCFL object root under `DIR/ocfl`.
pub fn object_count(dir: &Path) -> usize {
    let mut count = 0;
    let mut pending = vec![dir.join("ocfl")];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == "0=ocfl_object_1.1" {
                count += 1;
            } else if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            }
        }
    }
    count
}

/// Whatever is left in `DIR/tmp`.
pub fn staging_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("tmp")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// A GET through the router with an optional bearer token: the status and
/// the body as text.
pub async fn call(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Files under `dir` holding any of `canaries` (every byte, the WAL
/// included), as "PATH holds CANARY".
pub fn files_holding(dir: &Path, canaries: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
                continue;
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            for canary in canaries {
                if bytes.windows(canary.len()).any(|window| window == canary.as_bytes()) {
                    found.push(format!("{} holds {canary}", entry.path().display()));
                }
            }
        }
    }
    found
}
