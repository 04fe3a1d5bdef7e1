//! The API against a real archive on disk: every route for every role, with
//! the status each must get. Anonymous callers never see a restricted
//! record or item: not by id, not by search, not by guessing a URL.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use evident_archive::{AddConfig, Archive, InitConfig, RecordKind, Role};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

struct Fixture {
    _temp: tempfile::TempDir,
    app: axum::Router,
    restricted_item: String,
    public_record: String,
    restricted_record: String,
    /// one record per column of the matrix, for retracting
    retractable: Vec<String>,
    /// the log's size once the fixture is made
    log_size: u64,
}

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn fixture() -> Fixture {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "test.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    let file = temp.path().join("testimony.txt");
    std::fs::write(&file, "Fictional witness: a blood test in detention, then an organ examination CANARY4411.")
        .unwrap();
    let mut items = Vec::new();
    archive
        .add(
            &[file],
            &AddConfig { actor: "tester".into(), ..AddConfig::default() },
            &mut |outcome: &evident_archive::AddOutcome| {
                items.extend(outcome.item.clone());
            },
        )
        .unwrap();
    let public_record = archive
        .create_record(
            RecordKind::Facility,
            fields(json!({"name_en": "Fictional Transplant Centre", "sensitivity": "public"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let restricted_record = archive
        .create_record(RecordKind::Person, fields(json!({"names": [{"name": "Witness CANARY4411"}]})), "tester", "test")
        .unwrap()
        .id;
    let retractable = (0..5)
        .map(|n| {
            let fields = fields(json!({"name": format!("Source {n} to retract")}));
            archive.create_record(RecordKind::Source, fields, "tester", "test").unwrap().id
        })
        .collect();
    for (name, role) in [
        ("admin", Role::Admin),
        ("investigator", Role::Investigator),
        ("reviewer", Role::Reviewer),
        ("intake", Role::Intake),
    ] {
        archive.add_user(name, role, PASSWORD).unwrap();
    }
    let log_size = archive.checkpoint().unwrap().lines().nth(1).unwrap().parse().unwrap();
    Fixture {
        _temp: temp,
        app: router(AppState::new(archive)),
        restricted_item: items.remove(0),
        public_record,
        restricted_record,
        retractable,
        log_size,
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes, headers)
}

/// A request with a body of its own content type.
async fn call_raw(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, content_type);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// A multipart/form-data body with one file.
fn one_file_form(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "matrix-boundary-51c2";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn login(app: &axum::Router, name: &str) -> String {
    let (status, body, headers) =
        call(app, "POST", "/api/v1/login", None, Some(json!({"username": name, "password": PASSWORD}))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"), "{cookie}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["user"], name);
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_route_for_every_role() {
    let fixture = fixture();
    let app = &fixture.app;
    let mut tokens: Vec<(&str, Option<String>)> = vec![("public", None)];
    for name in ["admin", "investigator", "reviewer", "intake"] {
        tokens.push((name, Some(login(app, name).await)));
    }
    let item = fixture.restricted_item.as_str();
    let routes: Vec<(String, [u16; 5])> = vec![
        // (path, [public, admin, investigator, reviewer, intake])
        ("/checkpoint".into(), [200; 5]),
        (format!("/tile/entries/000.p/{}", fixture.log_size), [200; 5]),
        ("/api/v1/checkpoint".into(), [200; 5]),
        ("/api/v1/search?q=organ".into(), [200; 5]),
        (format!("/api/v1/items/{item}"), [404, 200, 200, 200, 404]),
        (format!("/api/v1/items/{item}/receipt"), [404, 200, 200, 200, 404]),
        (format!("/api/v1/records/{}", fixture.public_record), [200; 5]),
        (format!("/api/v1/records/{}", fixture.restricted_record), [404, 200, 200, 200, 404]),
        ("/api/v1/records?kind=person".into(), [200; 5]),
        ("/api/v1/items/itm_00000000000000000000000000".into(), [404; 5]),
        (format!("/api/v1/items/{item}/file"), [404, 200, 200, 200, 404]),
        (format!("/api/v1/items/{item}/text"), [404, 200, 200, 200, 404]),
        ("/api/v1/items/itm_00000000000000000000000000/file".into(), [404; 5]),
        (format!("/api/v1/records/{}/history", fixture.public_record), [200; 5]),
        (format!("/api/v1/records/{}/history", fixture.restricted_record), [404, 200, 200, 200, 404]),
        ("/api/v1/findings".into(), [200; 5]),
        ("/api/v1/verify".into(), [200; 5]),
        ("/api/v1/export?kind=person".into(), [401, 200, 200, 200, 403]),
        ("/api/v1/export?kind=source&format=csv".into(), [401, 200, 200, 200, 403]),
        ("/api/v1/openapi.json".into(), [200; 5]),
        ("/api/v1/nothing-here".into(), [404; 5]),
        ("/tile/../keys/log.key".into(), [404; 5]),
    ];
    let mut failures = Vec::new();
    for (path, expected) in &routes {
        for ((role, token), expected) in tokens.iter().zip(expected) {
            let (status, body, _) = call(app, "GET", path, token.as_deref(), None).await;
            if status.as_u16() != *expected {
                failures.push(format!(
                    "{role} GET {path}: {status}, expected {expected}: {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            if status.is_client_error() {
                let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if error["error"]["code"].as_str().is_none() || error["error"]["message"].as_str().is_none() {
                    failures.push(format!("{role} GET {path}: error body is not {{error: {{code, message}}}}"));
                }
            }
            // The canary never reaches anyone who may not see it.
            if *role == "public" || *role == "intake" {
                let text = String::from_utf8_lossy(&body);
                if text.contains("CANARY4411") {
                    failures.push(format!("{role} GET {path}: the restricted canary leaked: {text}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The routes that change something, for every role: who may write
/// records, upload and verify, and who gets 401 or 403.
#[tokio::test]
async fn every_write_route_for_every_role() {
    let fixture = fixture();
    let app = &fixture.app;
    let mut tokens: Vec<(&str, Option<String>)> = vec![("public", None)];
    for name in ["admin", "investigator", "reviewer", "intake"] {
        tokens.push((name, Some(login(app, name).await)));
    }
    let new_record = json!({"kind": "source", "fields": {"name": "Matrix source"}, "reason": "matrix"});
    let edit = json!({"set": {"note": "checked in the matrix"}, "reason": "matrix"});
    let restricted = format!("/api/v1/records/{}", fixture.restricted_record);
    let public = format!("/api/v1/records/{}", fixture.public_record);
    let mut failures = Vec::new();
    for (column, ((role, token), expected)) in tokens
        .iter()
        .zip([
            // [POST records, PATCH restricted, PATCH public, retract, upload, POST verify]
            [401, 401, 401, 401, 401, 401],
            [201, 200, 200, 200, 201, 200],
            [201, 200, 200, 200, 201, 403],
            [403, 403, 403, 403, 403, 403],
            [403, 403, 403, 403, 201, 403],
        ])
        .enumerate()
    {
        let token = token.as_deref();
        let retract = format!("/api/v1/records/{}/retract", fixture.retractable[column]);
        let (form_type, form) = one_file_form("matrix.txt", format!("uploaded by {role}").as_bytes());
        let answers = [
            ("POST /api/v1/records", call(app, "POST", "/api/v1/records", token, Some(new_record.clone())).await.0),
            ("PATCH restricted record", call(app, "PATCH", &restricted, token, Some(edit.clone())).await.0),
            ("PATCH public record", call(app, "PATCH", &public, token, Some(edit.clone())).await.0),
            ("POST retract", call(app, "POST", &retract, token, Some(json!({"reason": "matrix"}))).await.0),
            ("POST /api/v1/items", call_raw(app, "POST", "/api/v1/items", token, &form_type, form).await.0),
            ("POST /api/v1/verify", call(app, "POST", "/api/v1/verify", token, None).await.0),
        ];
        for ((what, status), expected) in answers.iter().zip(expected) {
            if status.as_u16() != expected {
                failures.push(format!("{role} {what}: {status}, expected {expected}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn search_shows_the_public_only_what_is_public() {
    let fixture = fixture();
    let app = &fixture.app;
    let (status, body, _) = call(app, "GET", "/api/v1/search?q=CANARY4411&facets=kind,access", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let results: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(results["total"], 0, "{results:#}");
    let (_, body, _) = call(app, "GET", "/api/v1/search?q=Fictional", None, None).await;
    let results: Value = serde_json::from_slice(&body).unwrap();
    let ids: Vec<&str> = results["hits"].as_array().unwrap().iter().map(|hit| hit["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [fixture.public_record.as_str()]);
    let token = login(app, "investigator").await;
    let (_, body, _) = call(app, "GET", "/api/v1/search?q=CANARY4411", Some(&token), None).await;
    let results: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(results["total"], 2, "{results:#}");
}

#[tokio::test]
async fn login_failures_are_uniform_and_limited_and_logout_revokes() {
    let fixture = fixture();
    let app = &fixture.app;
    let (wrong_password, body_a, _) =
        call(app, "POST", "/api/v1/login", None, Some(json!({"username": "admin", "password": "not it at all"}))).await;
    let (no_such_user, body_b, _) =
        call(app, "POST", "/api/v1/login", None, Some(json!({"username": "nobody", "password": "not it at all"})))
            .await;
    assert_eq!(wrong_password, StatusCode::UNAUTHORIZED);
    assert_eq!(no_such_user, StatusCode::UNAUTHORIZED);
    let message = |body: &[u8]| serde_json::from_slice::<Value>(body).unwrap()["error"]["message"].clone();
    assert_eq!(message(&body_a), message(&body_b), "the answer must not tell which part was wrong");
    for _ in 0..5 {
        call(
            app,
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"username": "reviewer", "password": "guess guess guess"})),
        )
        .await;
    }
    let (limited, _, _) =
        call(app, "POST", "/api/v1/login", None, Some(json!({"username": "reviewer", "password": PASSWORD}))).await;
    assert_eq!(limited, StatusCode::TOO_MANY_REQUESTS);

    let token = login(app, "investigator").await;
    let path = format!("/api/v1/items/{}", fixture.restricted_item);
    assert_eq!(call(app, "GET", &path, Some(&token), None).await.0, StatusCode::OK);
    assert_eq!(call(app, "POST", "/api/v1/logout", Some(&token), None).await.0, StatusCode::OK);
    let (after, _, _) = call(app, "GET", &path, Some(&token), None).await;
    assert_eq!(after, StatusCode::UNAUTHORIZED, "a revoked session is refused, not read as public");
    assert_eq!(call(app, "POST", "/api/v1/logout", None, None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn full_tiles_are_immutable_and_the_checkpoint_is_not_cached() {
    let fixture = fixture();
    let (status, body, headers) = call(&fixture.app, "GET", "/checkpoint", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).starts_with("test.example/evident\n"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let partial = format!("/tile/0/000.p/{}", fixture.log_size);
    let (status, _, headers) = call(&fixture.app, "GET", &partial, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CACHE_CONTROL].to_str().unwrap().contains("max-age=10"));
    assert_eq!(call(&fixture.app, "GET", "/tile/0/000", None, None).await.0, StatusCode::NOT_FOUND, "no full tile yet");
}

#[tokio::test]
async fn the_statistics_pages_show_published_series_with_their_charts_and_nothing_else() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "test.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    // Deceased donors in China as GODT lists them, 2010-2016 (public data).
    let points: Vec<Value> =
        [(2010, 34.0), (2011, 63.0), (2012, 427.0), (2013, 1271.0), (2014, 1702.0), (2015, 2766.0), (2016, 4080.0)]
            .iter()
            .map(|(year, value)| json!({"period": year.to_string(), "value": value}))
            .collect();
    let public = archive
        .create_record(
            RecordKind::Series,
            fields(json!({"name": "China deceased donors (GODT)", "unit": "donors", "points": points, "sensitivity": "public"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let internal = archive
        .create_record(
            RecordKind::Series,
            fields(json!({"name": "Internal tally SECRET7", "points": points})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let app = router(AppState::new(archive));

    let (status, body, headers) = call(&app, "GET", "/statistics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains(&format!("/statistics/{public}")) && page.contains("China deceased donors (GODT)"), "{page}");
    assert!(!page.contains("SECRET7") && !page.contains(&internal), "{page}");

    let (status, body, _) = call(&app, "GET", &format!("/statistics/{public}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let report = String::from_utf8(body).unwrap();
    assert!(report.matches("<svg").count() >= 2, "a series chart and a residual chart: {report}");
    assert!(report.contains("quadratic"), "{report}");
    let (status, body, _) = call(&app, "GET", &format!("/statistics/{internal}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("SECRET7"));
}
