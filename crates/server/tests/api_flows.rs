//! The API's write paths and files end to end against a real archive on
//! disk: uploads, downloads with ranges, text previews, record changes and
//! their history, findings, exports, verification; and bad input of every
//! kind, each answered with a clear JSON error and nothing stored.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::*;
use evident_archive::RecordKind;
use evident_server::ServerConfig;
use serde_json::{Value, json};

const TESTIMONY: &str = "Fictional testimony: 我在看守所被抽血，然后做了器官检查。 Blood was taken in detention.";

fn server() -> (tempfile::TempDir, std::path::PathBuf, axum::Router) {
    let (temp, dir, archive) = archive_with_users();
    (temp, dir, app(archive, ServerConfig::default()))
}

fn log_size(answer: &Answer) -> u64 {
    answer.json()["size"].as_u64().unwrap()
}

#[tokio::test]
async fn an_upload_is_stored_once_and_served_back_as_an_attachment_with_ranges_and_text() {
    let (_temp, dir, app) = server();
    let (token, _) = login(&app, "investigator").await;
    let answer = upload(&app, Some(&token), &[file_part("证词 2024.txt", TESTIMONY.as_bytes())]).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let body = answer.json();
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("itm_"), "{body}");
    let item = &body["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["status"], "added");
    assert_eq!(item["name"], "证词 2024.txt");
    assert_eq!(item["size"], TESTIMONY.len());
    assert_eq!(item["sha256"].as_str().unwrap().len(), 64);
    assert!(staging_leftovers(&dir).is_empty(), "{:?}", staging_leftovers(&dir));

    let file = get(&app, &format!("/api/v1/items/{id}/file"), Some(&token)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, TESTIMONY.as_bytes());
    assert_eq!(file.header("content-type"), "text/plain");
    assert_eq!(file.header("x-content-type-options"), "nosniff");
    assert_eq!(file.header("content-security-policy"), "sandbox; default-src 'none'");
    assert_eq!(file.header("accept-ranges"), "bytes");
    let disposition = file.header("content-disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''%E8%AF%81%E8%AF%8D%202024.txt"), "{disposition}");

    let range = |value: &'static str| {
        request("GET", &format!("/api/v1/items/{id}/file"), Some(&token))
            .header(header::RANGE, value)
            .body(Body::empty())
            .unwrap()
    };
    let part = send(&app, range("bytes=0-9")).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, &TESTIMONY.as_bytes()[..10]);
    assert_eq!(part.header("content-range"), format!("bytes 0-9/{}", TESTIMONY.len()));
    let tail = send(&app, range("bytes=-8")).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body, &TESTIMONY.as_bytes()[TESTIMONY.len() - 8..]);
    let outside = send(&app, range("bytes=100000-")).await;
    assert_eq!(outside.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(outside.header("content-range"), format!("bytes */{}", TESTIMONY.len()));
    let several = send(&app, range("bytes=0-1,4-5")).await;
    assert_eq!(several.status, StatusCode::OK, "several ranges are ignored: the whole file");
    assert_eq!(several.body.len(), TESTIMONY.len());

    let text = get(&app, &format!("/api/v1/items/{id}/text"), Some(&token)).await;
    assert_eq!(text.status, StatusCode::OK);
    assert!(text.header("content-type").starts_with("text/plain"));
    assert_eq!(text.header("x-evident-text-status"), "extracted");
    assert!(text.headers.get("x-evident-truncated").is_none());
    assert!(text.text().contains("器官检查"), "{}", text.text());

    // The same bytes again: a duplicate of the same item, nothing new stored.
    let objects = object_count(&dir);
    let again = upload(&app, Some(&token), &[file_part("copy.txt", TESTIMONY.as_bytes())]).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["items"][0]["status"], "duplicate");
    assert_eq!(again.json()["id"], id.as_str());
    assert_eq!(object_count(&dir), objects);
}

#[tokio::test]
async fn several_files_in_one_upload_each_get_an_outcome_in_order() {
    let (_temp, _dir, app) = server();
    let (token, _) = login(&app, "admin").await;
    let answer = upload(
        &app,
        Some(&token),
        &[
            file_part("a.txt", b"first file"),
            file_part("a.txt", b"second file, same name"),
            file_part("c.bin", &[0, 1, 2]),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let body = answer.json();
    assert!(body.get("id").is_none(), "a top-level id only for one file: {body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items.iter().map(|item| item["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["a.txt", "a.txt", "c.bin"]
    );
    assert!(items.iter().all(|item| item["status"] == "added"));
    assert_eq!(items[1]["size"], 22);
    let no_text = get(&app, &format!("/api/v1/items/{}/text", items[2]["id"].as_str().unwrap()), Some(&token)).await;
    assert_eq!(no_text.status, StatusCode::OK);
    assert_ne!(no_text.header("x-evident-text-status"), "extracted");
    assert!(no_text.body.is_empty());
}

#[tokio::test]
async fn long_text_is_cut_at_one_mebibyte_and_says_so() {
    let (temp, _dir, mut archive) = archive_with_users();
    let long = "证据 evidence line\n".repeat(80_000);
    assert!(long.len() > evident_server::MAX_PREVIEW_TEXT_BYTES);
    let id = add_file(&mut archive, temp.path(), "long.txt", long.as_bytes());
    let app = app(archive, ServerConfig::default());
    let (token, _) = login(&app, "reviewer").await;
    let text = get(&app, &format!("/api/v1/items/{id}/text"), Some(&token)).await;
    assert_eq!(text.status, StatusCode::OK);
    assert_eq!(text.header("x-evident-truncated"), "true");
    assert!(text.body.len() <= evident_server::MAX_PREVIEW_TEXT_BYTES);
    assert!(text.body.len() > evident_server::MAX_PREVIEW_TEXT_BYTES - 8, "{}", text.body.len());
    assert!(std::str::from_utf8(&text.body).is_ok(), "cut at a character boundary");
}

#[tokio::test]
async fn uploads_as_public_are_published_and_other_sensitivities_refused() {
    let (_temp, dir, app) = server();
    let (investigator, _) = login(&app, "investigator").await;
    let answer = upload(
        &app,
        Some(&investigator),
        &[file_part("leaflet.txt", b"a public leaflet"), text_part("sensitivity", "public")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let id = answer.json()["id"].as_str().unwrap().to_owned();
    let public = get(&app, &format!("/api/v1/items/{id}/file"), None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body, b"a public leaflet");

    let before = object_count(&dir);
    let (intake, _) = login(&app, "intake").await;
    let refused = upload(
        &app,
        Some(&intake),
        &[file_part("x.txt", b"intake tries to publish"), text_part("sensitivity", "public")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    let sealed =
        upload(&app, Some(&investigator), &[text_part("sensitivity", "sealed"), file_part("s.txt", b"sealed one")])
            .await;
    // This archive has no key-encryption key: sealing is refused, nothing stored (tests/sealed.rs seals).
    assert_eq!(sealed.status, StatusCode::CONFLICT, "{}", sealed.text());
    assert_eq!(sealed.code(), "sealing_unavailable");
    let unknown =
        upload(&app, Some(&investigator), &[file_part("u.txt", b"unknown level"), text_part("sensitivity", "secret")])
            .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let field =
        upload(&app, Some(&investigator), &[file_part("f.txt", b"odd field"), text_part("comment", "hi")]).await;
    assert_eq!(field.status, StatusCode::BAD_REQUEST);
    let none = upload(&app, Some(&investigator), &[text_part("sensitivity", "restricted")]).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(object_count(&dir), before, "nothing refused was stored");
    assert!(staging_leftovers(&dir).is_empty());
}

#[tokio::test]
async fn an_oversized_upload_is_refused_with_nothing_stored_and_no_staging_left() {
    let (_temp, dir, archive) = archive_with_users();
    let app = app(archive, ServerConfig { max_upload: 4096 });
    let (token, _) = login(&app, "admin").await;
    let size_before = log_size(&get(&app, "/api/v1/checkpoint", None).await);
    let big = vec![b'x'; 10_000];

    // Refused from its Content-Length before anything is read.
    let declared = upload(&app, Some(&token), &[file_part("big.bin", &big)]).await;
    assert_eq!(declared.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", declared.text());
    assert_eq!(declared.code(), "too_large");

    // No Content-Length (chunked): refused while streaming, after the first
    // file was already staged.
    let (content_type, body) = multipart(&[file_part("small.txt", b"fits alone"), file_part("big.bin", &big)]);
    let streamed = send(
        &app,
        request("POST", "/api/v1/items", Some(&token))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from_stream(futures_util::stream::iter(
                body.chunks(1000).map(|chunk| Ok::<_, std::io::Error>(chunk.to_vec())).collect::<Vec<_>>(),
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(streamed.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", streamed.text());
    assert_eq!(streamed.code(), "too_large");

    assert_eq!(object_count(&dir), 0, "nothing stored");
    assert!(staging_leftovers(&dir).is_empty(), "staging removed: {:?}", staging_leftovers(&dir));
    assert_eq!(log_size(&get(&app, "/api/v1/checkpoint", None).await), size_before);
    let fits = upload(&app, Some(&token), &[file_part("small.txt", b"fits alone")]).await;
    assert_eq!(fits.status, StatusCode::CREATED, "{}", fits.text());
}

#[tokio::test]
async fn wrong_content_types_are_415_with_a_json_error() {
    let (_temp, dir, app) = server();
    let (token, _) = login(&app, "admin").await;
    let json_upload = send_json(&app, "POST", "/api/v1/items", Some(&token), json!({"file": "not multipart"})).await;
    assert_eq!(json_upload.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(json_upload.code(), "unsupported_media_type");
    let raw = send(
        &app,
        request("POST", "/api/v1/items", Some(&token))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Body::from("raw bytes"))
            .unwrap(),
    )
    .await;
    assert_eq!(raw.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let form_record = send(
        &app,
        request("POST", "/api/v1/records", Some(&token))
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(r#"{"kind":"source","fields":{"name":"x"},"reason":"r"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(form_record.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(form_record.code(), "unsupported_media_type");
    let no_boundary = send(
        &app,
        request("POST", "/api/v1/items", Some(&token))
            .header(header::CONTENT_TYPE, "multipart/form-data")
            .body(Body::from("--x\r\n"))
            .unwrap(),
    )
    .await;
    assert_eq!(no_boundary.status, StatusCode::BAD_REQUEST, "{}", no_boundary.text());
    assert_eq!(no_boundary.code(), "bad_request");
    let truncated = send(
        &app,
        request("POST", "/api/v1/items", Some(&token))
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=abc")
            .body(Body::from("--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\npartial"))
            .unwrap(),
    )
    .await;
    assert_eq!(truncated.status, StatusCode::BAD_REQUEST, "{}", truncated.text());
    assert_eq!(object_count(&dir), 0);
    assert!(staging_leftovers(&dir).is_empty());
}

#[tokio::test]
async fn traversal_in_file_names_is_stored_under_a_safe_name() {
    let (temp, dir, app) = server();
    let (token, _) = login(&app, "investigator").await;
    let names = ["../../etc/passwd", "..\\x", "/etc/shadow", "..", "a\tb.txt"];
    let contents: Vec<Vec<u8>> = names.iter().map(|name| format!("content of {name:?}").into_bytes()).collect();
    let parts: Vec<Part> = names.iter().zip(&contents).map(|(name, bytes)| file_part(name, bytes)).collect();
    let answer = upload(&app, Some(&token), &parts).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let items = answer.json()["items"].as_array().unwrap().clone();
    let kept: Vec<&str> = items.iter().map(|item| item["name"].as_str().unwrap()).collect();
    assert_eq!(kept, ["passwd", "x", "shadow", "upload", "ab.txt"]);
    for item in &items {
        let shown = get(&app, &format!("/api/v1/items/{}", item["id"].as_str().unwrap()), Some(&token)).await;
        assert_eq!(shown.json()["file"]["original_name"], item["name"]);
    }
    // A control character that is not allowed in a header at all: the part
    // cannot be read, and nothing is stored.
    let objects = object_count(&dir);
    let raw = upload(&app, Some(&token), &[file_part("a\u{1}b.txt", b"control character")]).await;
    assert_eq!(raw.status, StatusCode::BAD_REQUEST, "{}", raw.text());
    assert_eq!(object_count(&dir), objects);
    // Nothing was written outside the archive's staging area.
    assert!(!temp.path().join("etc").exists() && !dir.join("etc").exists() && !dir.join("tmp/etc").exists());
    assert!(staging_leftovers(&dir).is_empty());
    // The objects record the uploaded name as where the file came from,
    // never the server's staging path.
    let mut pending = vec![dir.join("ocfl")];
    let mut metadata_files = 0;
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
        } else if path.file_name().is_some_and(|name| name == "evident.json") {
            metadata_files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("upload-") && !text.contains(dir.to_str().unwrap()), "{text}");
        }
    }
    assert!(metadata_files >= names.len(), "{metadata_files} metadata records read");
}

#[tokio::test]
async fn traversal_and_bad_encodings_in_urls_find_nothing() {
    let (temp, _dir, mut archive) = archive_with_users();
    let item = add_file(&mut archive, temp.path(), "secret.txt", b"restricted bytes");
    let app = app(archive, ServerConfig::default());
    let (token, _) = login(&app, "admin").await;
    for path in [
        "/api/v1/items/..%2F..%2Fevident.db/file".to_owned(),
        "/api/v1/items/%2e%2e/file".to_owned(),
        "/api/v1/items/../../keys/log.key".to_owned(),
        "/api/v1/items/itm_%ff%fe/file".to_owned(),
        "/api/v1/items/itm_%ff%fe/text".to_owned(),
        "/api/v1/records/%c0%ae%c0%ae%2fevident.json/history".to_owned(),
        format!("/api/v1/items/{item}%2F..%2F..%2Fkeys/file"),
        format!("/api/v1/items/{item}/../../../keys/log.key"),
        "/api/v1/items/%00/file".to_owned(),
    ] {
        let answer = get(&app, &path, Some(&token)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {}", answer.text());
        assert_eq!(answer.code(), "not_found", "{path}");
        assert!(!answer.text().contains("PRIVATE KEY") && !answer.text().contains("restricted bytes"), "{path}");
    }
    assert_eq!(get(&app, &format!("/api/v1/items/{item}/file"), Some(&token)).await.body, b"restricted bytes");
}

#[tokio::test]
async fn invalid_json_and_invalid_utf8_are_400_json_errors() {
    let (_temp, _dir, app) = server();
    let (token, _) = login(&app, "admin").await;
    let raw = |uri: &str, method: &str, body: &'static [u8]| {
        request(method, uri, Some(&token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    for (method, uri, body) in [
        ("POST", "/api/v1/records", &b"{not json"[..]),
        ("POST", "/api/v1/records", b"{\"kind\": \"source\", \"fields\": {\"name\": \"\xff\xfe\"}, \"reason\": \"r\"}"),
        ("POST", "/api/v1/records", b"{\"kind\": \"source\", \"fields\": [], \"reason\": \"r\"}"),
        ("POST", "/api/v1/records", b"{\"kind\": \"source\", \"fields\": {}}"),
        ("POST", "/api/v1/records", b"{\"kind\": \"nonsense\", \"fields\": {}, \"reason\": \"r\"}"),
        ("POST", "/api/v1/records", b"{\"kind\": \"item\", \"fields\": {}, \"reason\": \"r\"}"),
        (
            "POST",
            "/api/v1/records",
            b"{\"kind\": \"source\", \"fields\": {\"name\": 5, \"bogus\": 1}, \"reason\": \"r\"}",
        ),
        ("POST", "/api/v1/records", b""),
        ("POST", "/api/v1/login", b"\xff\xff"),
        ("POST", "/api/v1/login", b"[]"),
        ("PATCH", "/api/v1/records/src_00000000000000000000000000", b"{\"set\": {}}"),
    ] {
        let answer = send(&app, raw(uri, method, body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{method} {uri} {:?}: {}", body, answer.text());
        assert_eq!(answer.code(), "bad_request");
    }
    for uri in
        ["/api/v1/search?q=x&limit=many", "/api/v1/search?limit=-1", "/api/v1/records", "/api/v1/records?kind=%ff"]
    {
        let answer = get(&app, uri, Some(&token)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}: {}", answer.text());
        assert_eq!(answer.code(), "bad_request");
    }
}

#[tokio::test]
async fn a_session_cookie_needs_the_csrf_token_for_every_change() {
    let (_temp, dir, app) = server();
    let (session, csrf) = login(&app, "investigator").await;
    let cookie = format!("evident_session={session}");
    let create = |csrf: Option<&str>| {
        let mut builder = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/records")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(csrf) = csrf {
            builder = builder.header("x-csrf-token", csrf);
        }
        builder.body(Body::from(
            json!({"kind": "source", "fields": {"name": "CSRF source"}, "reason": "test"}).to_string(),
        ))
    };
    let missing = send(&app, create(None).unwrap()).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(missing.code(), "csrf");
    let wrong = send(&app, create(Some("00112233445566778899aabbccddeeff")).unwrap()).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let right = send(&app, create(Some(&csrf)).unwrap()).await;
    assert_eq!(right.status, StatusCode::CREATED, "{}", right.text());

    // Uploads: the token as a form field works too; without it nothing is stored.
    let cookie_upload = |parts: &[Part<'_>]| {
        let (content_type, body) = multipart(parts);
        axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/items")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let refused = send(&app, cookie_upload(&[file_part("c.txt", b"cookie upload")])).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "csrf");
    assert_eq!(object_count(&dir), 0);
    assert!(staging_leftovers(&dir).is_empty());
    let accepted = send(&app, cookie_upload(&[file_part("c.txt", b"cookie upload"), text_part("csrf", &csrf)])).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.text());
    assert_eq!(object_count(&dir), 1);

    // Reads need no token.
    let read = send(
        &app,
        axum::http::Request::builder()
            .uri("/api/v1/verify")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_session_is_refused_not_read_as_public() {
    let (_temp, dir, mut archive) = archive_with_users();
    let (_, token) = archive.login("investigator", PASSWORD).unwrap();
    drop(archive);
    let database = rusqlite::Connection::open(dir.join("evident.db")).unwrap();
    let changed = database
        .execute("UPDATE credential SET expires_at = '2020-01-01T00:00:00Z' WHERE kind = 'session'", [])
        .unwrap();
    assert_eq!(changed, 1);
    drop(database);
    let archive = evident_archive::Archive::open(&dir, None).unwrap();
    let app = app(archive, ServerConfig::default());
    for (method, uri) in [("GET", "/api/v1/verify"), ("GET", "/api/v1/search?q=x"), ("POST", "/api/v1/verify")] {
        let answer = send(&app, request(method, uri, Some(&token)).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(answer.code(), "invalid_credential");
    }
    let cookie = send(
        &app,
        axum::http::Request::builder()
            .uri("/api/v1/verify")
            .header(header::COOKIE, format!("evident_session={token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(cookie.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn records_are_created_edited_retracted_and_every_version_kept() {
    let (_temp, _dir, app) = server();
    let (token, _) = login(&app, "investigator").await;
    let created = send_json(
        &app,
        "POST",
        "/api/v1/records",
        Some(&token),
        json!({"kind": "facility", "fields": {"name_en": "Fictional Hospital No. 3", "city": "Nowhere"}, "reason": "from testimony"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let record = created.json();
    let id = record["id"].as_str().unwrap().to_owned();
    assert_eq!(record["version"], 1);
    assert_eq!(record["fields"]["name_en"], "Fictional Hospital No. 3");

    let path = format!("/api/v1/records/{id}");
    let edited = send_json(
        &app,
        "PATCH",
        &path,
        Some(&token),
        json!({"set": {"province": "Fictional Province", "city": null}, "reason": "second source"}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    let record = edited.json();
    assert_eq!(record["version"], 2);
    assert_eq!(record["fields"]["province"], "Fictional Province");
    assert!(record["fields"].get("city").is_none(), "null removes: {record}");

    let no_reason = send_json(&app, "PATCH", &path, Some(&token), json!({"set": {"city": "X"}, "reason": " "})).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let bad_field =
        send_json(&app, "PATCH", &path, Some(&token), json!({"set": {"lat": "north"}, "reason": "r"})).await;
    assert_eq!(bad_field.status, StatusCode::BAD_REQUEST, "{}", bad_field.text());
    let sealed =
        send_json(&app, "PATCH", &path, Some(&token), json!({"set": {"sensitivity": "sealed"}, "reason": "r"})).await;
    assert_eq!(sealed.status, StatusCode::BAD_REQUEST, "{}", sealed.text());

    let retracted =
        send_json(&app, "POST", &format!("{path}/retract"), Some(&token), json!({"reason": "duplicate of another"}))
            .await;
    assert_eq!(retracted.status, StatusCode::OK, "{}", retracted.text());
    assert_eq!(retracted.json()["retracted"], true);
    let again = send_json(&app, "POST", &format!("{path}/retract"), Some(&token), json!({"reason": "again"})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    let after = send_json(&app, "PATCH", &path, Some(&token), json!({"set": {"city": "X"}, "reason": "r"})).await;
    assert_eq!(after.status, StatusCode::BAD_REQUEST, "a retracted record is not edited");

    let history = get(&app, &format!("{path}/history"), Some(&token)).await;
    assert_eq!(history.status, StatusCode::OK);
    let versions = history.json()["versions"].as_array().unwrap().clone();
    let summary: Vec<(u64, &str, &str)> = versions
        .iter()
        .map(|v| (v["version"].as_u64().unwrap(), v["change"].as_str().unwrap(), v["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [(1, "create", "from testimony"), (2, "edit", "second source"), (3, "retract", "duplicate of another")]
    );
    assert!(versions.iter().all(|v| v["actor"] == "investigator" && v["digest"].as_str().unwrap().len() == 64));
    assert_eq!(versions[0]["fields"]["city"], "Nowhere");

    let unseen = get(&app, "/api/v1/records/fac_00000000000000000000000000/history", Some(&token)).await;
    assert_eq!(unseen.status, StatusCode::NOT_FOUND);
    let missing = send_json(
        &app,
        "PATCH",
        "/api/v1/records/fac_00000000000000000000000000",
        Some(&token),
        json!({"set": {"city": "X"}, "reason": "r"}),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_record_the_caller_may_not_see_cannot_be_edited_or_read() {
    let (_temp, _dir, mut archive) = archive_with_users();
    let sealed = archive
        .create_record(
            RecordKind::Person,
            fields(json!({"names": [{"name": "Sealed Witness"}], "sensitivity": "sealed"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let app = app(archive, ServerConfig::default());
    let (admin, _) = login(&app, "admin").await;
    let path = format!("/api/v1/records/{sealed}");
    for answer in [
        send_json(&app, "PATCH", &path, Some(&admin), json!({"set": {"note": "x"}, "reason": "r"})).await,
        send_json(&app, "POST", &format!("{path}/retract"), Some(&admin), json!({"reason": "r"})).await,
        get(&app, &format!("{path}/history"), Some(&admin)).await,
        get(&app, &path, Some(&admin)).await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text());
        assert!(!answer.text().contains("Sealed Witness"));
    }
}

#[tokio::test]
async fn findings_show_only_what_the_caller_may_see() {
    let (_temp, _dir, mut archive) = archive_with_users();
    let claim = archive
        .create_record(RecordKind::Claim, fields(json!({"text": "Restricted claim CANARY77"})), "tester", "test")
        .unwrap()
        .id;
    let public_finding = archive
        .create_record(
            RecordKind::Finding,
            fields(json!({"issue": "Public issue", "standard": "balance_of_probabilities", "outcome": "proved",
                "claims": [claim], "sensitivity": "public"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let restricted_finding = archive
        .create_record(
            RecordKind::Finding,
            fields(json!({"issue": "Internal issue SECRET88", "standard": "credible_information", "outcome": "open"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let app = app(archive, ServerConfig::default());
    let public = get(&app, "/api/v1/findings", None).await;
    assert_eq!(public.status, StatusCode::OK);
    let findings = public.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["id"], public_finding.as_str());
    assert_eq!(findings[0]["claims"], json!([]));
    assert!(!public.text().contains("CANARY77") && !public.text().contains("SECRET88"), "{}", public.text());

    let (token, _) = login(&app, "reviewer").await;
    let internal = get(&app, "/api/v1/findings", Some(&token)).await.json();
    let ids: Vec<&str> = internal["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&public_finding.as_str()) && ids.contains(&restricted_finding.as_str()));
    assert!(internal.to_string().contains("CANARY77"));
}

#[tokio::test]
async fn exports_hold_only_what_the_caller_may_see_in_each_format() {
    let (_temp, _dir, mut archive) = archive_with_users();
    archive
        .create_record(
            RecordKind::Facility,
            fields(json!({"name_en": "Public Centre", "lat": 30.5, "lon": 114.3, "sensitivity": "public"})),
            "tester",
            "test",
        )
        .unwrap();
    archive
        .create_record(
            RecordKind::Facility,
            fields(json!({"name_en": "Restricted Centre", "lat": 31.0, "lon": 115.0})),
            "tester",
            "test",
        )
        .unwrap();
    archive
        .create_record(
            RecordKind::Facility,
            fields(json!({"name_en": "Sealed Centre", "sensitivity": "sealed"})),
            "tester",
            "test",
        )
        .unwrap();
    let app = app(archive, ServerConfig::default());
    let (token, _) = login(&app, "reviewer").await;

    let jsonl = get(&app, "/api/v1/export?kind=facility&format=jsonl", Some(&token)).await;
    assert_eq!(jsonl.status, StatusCode::OK, "{}", jsonl.text());
    assert!(jsonl.header("content-type").starts_with("application/jsonl"));
    assert!(jsonl.header("content-disposition").contains("evident-facility.jsonl"));
    let lines: Vec<Value> = jsonl.text().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{}", jsonl.text());
    assert!(!jsonl.text().contains("Sealed Centre"));

    let csv = get(&app, "/api/v1/export?kind=facility&format=csv", Some(&token)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert_eq!(csv.text().lines().count(), 3, "header and two rows: {}", csv.text());

    let geojson = get(&app, "/api/v1/export?kind=facility&format=geojson", Some(&token)).await;
    assert_eq!(geojson.status, StatusCode::OK);
    assert_eq!(geojson.json()["features"].as_array().unwrap().len(), 2, "{}", geojson.text());

    let all = get(&app, "/api/v1/export", Some(&token)).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.text().lines().count(), 2);

    for (uri, status) in [
        ("/api/v1/export?kind=facility&format=xml", StatusCode::BAD_REQUEST),
        ("/api/v1/export?kind=planet", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(get(&app, uri, Some(&token)).await.status, status, "{uri}");
    }
    let (intake, _) = login(&app, "intake").await;
    assert_eq!(get(&app, "/api/v1/export", Some(&intake)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "/api/v1/export", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn verification_is_run_by_admins_saved_and_shown() {
    let (temp, dir, mut archive) = archive_with_users();
    add_file(&mut archive, temp.path(), "a.txt", b"verified bytes");
    let app = app(archive, ServerConfig::default());
    let never = get(&app, "/api/v1/verify", None).await;
    assert_eq!(never.status, StatusCode::OK);
    assert_eq!(never.json(), json!({"verified": null}));

    let (investigator, _) = login(&app, "investigator").await;
    let refused = send(&app, request("POST", "/api/v1/verify", Some(&investigator)).body(Body::empty()).unwrap()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let (admin, _) = login(&app, "admin").await;
    let run = send(&app, request("POST", "/api/v1/verify", Some(&admin)).body(Body::empty()).unwrap()).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text());
    let summary = run.json()["verified"].clone();
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["items"], 1);
    assert_eq!(summary["problem_count"], 0);
    assert!(summary["time"].as_str().unwrap().ends_with('Z'));
    assert!(dir.join("state/last-verify.json").exists());

    let shown = get(&app, "/api/v1/verify", Some(&investigator)).await.json();
    assert_eq!(shown["verified"], summary);
    let public = get(&app, "/api/v1/verify", None).await.json();
    assert_eq!(public["verified"]["ok"], true);
    assert!(public["verified"].get("problems").is_none(), "the public sees counts, not problems: {public}");
}
