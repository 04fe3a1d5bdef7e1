//! A sealed item through the web app: no role sees it, by id or by search;
//! only the people a grant names (`evident seal grant`) open it, decrypted,
//! every read audited; a sealed upload is encrypted on arrival.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use evident_archive::{AddConfig, Archive, InitConfig, KekInit, Role, Sensitivity};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use common::{call, files_holding};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn no_role_sees_a_sealed_item() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "sealed.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.init_sealing(&KekInit::KeyFile(Some(temp.path().join("kek")))).unwrap();
    let (sealed_file, open_file) = (temp.path().join("witness.txt"), temp.path().join("open.txt"));
    std::fs::write(&sealed_file, "Witness SEALCANARY7 from a fictional village").unwrap();
    std::fs::write(&open_file, "An open note OPENCANARY7").unwrap();
    let mut ids = Vec::new();
    for (path, sensitivity) in [(&sealed_file, Sensitivity::Sealed), (&open_file, Sensitivity::Restricted)] {
        let config = AddConfig { actor: "tester".into(), sensitivity, ..AddConfig::default() };
        archive
            .add(std::slice::from_ref(path), &config, &mut |outcome: &evident_archive::AddOutcome| {
                ids.extend(outcome.item.clone())
            })
            .unwrap();
    }
    let (sealed, open) = (ids[0].clone(), ids[1].clone());
    archive.add_user("admin", Role::Admin, PASSWORD).unwrap();
    let token = archive.create_api_token("admin", None).unwrap();
    let app = router(AppState::new(archive));

    assert_eq!(call(&app, &format!("/api/v1/items/{open}"), Some(&token)).await.0, StatusCode::OK);
    for uri in [
        format!("/api/v1/items/{sealed}"),
        format!("/api/v1/items/{sealed}/file"),
        format!("/api/v1/items/{sealed}/text"),
        format!("/api/v1/items/{sealed}/receipt"),
        format!("/items/{sealed}"),
    ] {
        let (status, body) = call(&app, &uri, Some(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        assert!(!body.contains("SEALCANARY7"), "{uri}");
    }
    let (_, body) = call(&app, "/api/v1/search?q=OPENCANARY7", Some(&token)).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], json!(1), "{body}");
    for query in ["SEALCANARY7", "witness", "sealed"] {
        let (_, body) = call(&app, &format!("/api/v1/search?q={query}"), Some(&token)).await;
        assert!(!body.contains(&sealed) && !body.contains("SEALCANARY7"), "{query}: {body}");
    }
}

async fn answer(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// A sealed archive with one user per role and a token each.
fn sealed_archive_with_tokens() -> (tempfile::TempDir, std::path::PathBuf, Archive, Vec<(Role, String)>) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "sealed.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.init_sealing(&KekInit::KeyFile(Some(temp.path().join("kek")))).unwrap();
    let mut tokens = Vec::new();
    for role in Role::ALL {
        archive.add_user(role.name(), role, PASSWORD).unwrap();
        tokens.push((role, archive.create_api_token(role.name(), None).unwrap()));
    }
    (temp, dir, archive, tokens)
}

const GRANT_CANARY: &str = "Granted Canary Xylomander 金丝雀证人 كانارىيە";

#[tokio::test]
async fn a_granted_person_opens_a_sealed_item_and_everyone_else_gets_404() {
    let (temp, dir, mut archive, tokens) = sealed_archive_with_tokens();
    let path = temp.path().join("Xylomander-witness.txt");
    std::fs::write(&path, format!("testimony of {GRANT_CANARY}")).unwrap();
    let mut ids = Vec::new();
    let config = AddConfig { actor: "tester".into(), sensitivity: Sensitivity::Sealed, ..AddConfig::default() };
    archive
        .add(&[path], &config, &mut |outcome: &evident_archive::AddOutcome| ids.extend(outcome.item.clone()))
        .unwrap();
    let sealed = ids.remove(0);
    // Grants: only named accounts, only on sealed targets.
    assert!(archive.grant_sealed(&sealed, "investigator", "admin").unwrap());
    assert!(!archive.grant_sealed(&sealed, "investigator", "admin").unwrap(), "granted once");
    assert!(archive.grant_sealed(&sealed, "nobody-such", "admin").is_err());
    assert!(archive.grant_sealed("itm_00000000000000000000000000", "reviewer", "admin").is_err());
    assert!(archive.may_open_sealed("investigator", Role::Investigator, &sealed).unwrap());
    assert!(!archive.may_open_sealed("admin", Role::Admin, &sealed).unwrap(), "a role alone opens nothing sealed");
    assert!(!archive.may_open_sealed("intake", Role::Intake, &sealed).unwrap(), "not an intake item");
    let app = router(AppState::new(archive));
    let token = |role: Role| tokens.iter().find(|(r, _)| *r == role).map(|(_, t)| t.clone()).unwrap();

    let investigator = token(Role::Investigator);
    let (status, _, body) = answer(&app, &format!("/api/v1/items/{sealed}"), Some(&investigator)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let item: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(item["sensitivity"], "sealed");
    assert_eq!(item["file"]["original_name"], "Xylomander-witness.txt");
    let (status, headers, body) = answer(&app, &format!("/api/v1/items/{sealed}/file"), Some(&investigator)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("testimony of {GRANT_CANARY}").as_bytes());
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "sandbox; default-src 'none'");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    let (status, _, receipt) = answer(&app, &format!("/api/v1/items/{sealed}/receipt"), Some(&investigator)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!String::from_utf8_lossy(&receipt).contains("Xylomander"));
    let (status, _, page) = answer(&app, &format!("/items/{sealed}"), Some(&investigator)).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&page).into_owned();
    assert!(page.contains("Xylomander-witness.txt") && page.contains("data-test=\"sealed-grants\""), "{page}");

    for role in [Role::Admin, Role::Reviewer, Role::Intake] {
        for uri in [
            format!("/api/v1/items/{sealed}"),
            format!("/api/v1/items/{sealed}/file"),
            format!("/api/v1/items/{sealed}/receipt"),
            format!("/items/{sealed}"),
        ] {
            let (status, _, body) = answer(&app, &uri, Some(&token(role))).await;
            // The intake role opens no item pages at all: 403 for any id, a missing one too.
            let expected = if role == Role::Intake && uri.starts_with("/items/") {
                let missing = answer(&app, "/items/itm_00000000000000000000000000", Some(&token(role))).await.0;
                assert_eq!(missing, StatusCode::FORBIDDEN);
                missing
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, expected, "{role:?} {uri}");
            let body = String::from_utf8_lossy(&body);
            assert!(!body.contains("Xylomander") && !body.contains("金丝雀证人"), "{role:?} {uri}: {body}");
        }
    }
    let (status, _, _) = answer(&app, &format!("/api/v1/items/{sealed}/file"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every sealed read is in the audit trail, by whom.
    let (_, _, trail) = answer(&app, "/api/v1/audit?limit=1000", Some(&token(Role::Admin))).await;
    let trail: Value = serde_json::from_slice(&trail).unwrap();
    let actions: Vec<(String, String)> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["target"].as_str().unwrap_or("").starts_with(&sealed))
        .map(|event| (event["actor"].as_str().unwrap().to_owned(), event["action"].as_str().unwrap().to_owned()))
        .collect();
    for action in ["seal.grant", "sealed.read", "sealed.download", "sealed.receipt"] {
        assert!(actions.iter().any(|(_, a)| a == action), "{action} missing from {actions:?}");
    }
    assert!(actions.iter().filter(|(_, a)| a.starts_with("sealed.")).all(|(actor, _)| actor == "investigator"));
    assert!(files_holding(&dir, &["Xylomander", "金丝雀证人", "كانارىيە"]).is_empty());

    // Revoked: 404 again.
    drop(app);
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.set_kek(evident_archive::KekUnlock::KeyFile(temp.path().join("kek")));
    assert!(archive.revoke_sealed(&sealed, "investigator", "admin").unwrap());
    assert!(!archive.revoke_sealed(&sealed, "investigator", "admin").unwrap());
    let app = router(AppState::new(archive));
    let (status, _, _) = answer(&app, &format!("/api/v1/items/{sealed}/file"), Some(&investigator)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

const UPLOAD_CANARY: &str = "Upload Canary Quenfrithel 上传金丝雀 يۈكلەش";

async fn upload_parts(app: &axum::Router, token: &str, parts: &[(&str, Option<&str>, &[u8])]) -> (StatusCode, Value) {
    let boundary = "sealed-upload-boundary-1";
    let mut body = Vec::new();
    for (field, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(name) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\r\n").as_bytes(),
            ),
            None => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes())
            }
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let request = Request::post("/api/v1/items")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_sealed_upload_is_encrypted_on_arrival_and_opens_only_for_its_uploader() {
    let (_temp, dir, archive, tokens) = sealed_archive_with_tokens();
    let token = |role: Role| tokens.iter().find(|(r, _)| *r == role).map(|(_, t)| t.clone()).unwrap();
    let app = router(AppState::new(archive));
    let investigator = token(Role::Investigator);
    let content = format!("the upload names {UPLOAD_CANARY}");

    // Bad values and orders are refused, naming the problem; nothing is stored.
    let (status, body) = upload_parts(
        &app,
        &investigator,
        &[("sensitivity", None, b"secretive"), ("file", Some("a.txt"), content.as_bytes())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("secretive"), "{body}");
    let (status, body) = upload_parts(
        &app,
        &investigator,
        &[("file", Some("a.txt"), content.as_bytes()), ("sensitivity", None, b"sealed")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("before the first `file`"), "{body}");
    assert!(files_holding(&dir, &["Quenfrithel"]).is_empty(), "a refused upload leaves nothing");

    let (status, body) = upload_parts(
        &app,
        &investigator,
        &[
            ("sensitivity", None, b"sealed"),
            ("file", Some("Quenfrithel-statement.txt"), content.as_bytes()),
            ("file", Some("second.txt"), format!("second {UPLOAD_CANARY}").as_bytes()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|item| item["sensitivity"] == "sealed" && item["sha256"].is_null()), "{body}");
    let id = items[0]["id"].as_str().unwrap().to_owned();

    let (status, _, bytes) = answer(&app, &format!("/api/v1/items/{id}/file"), Some(&investigator)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, content.as_bytes());
    for role in [Role::Admin, Role::Reviewer, Role::Intake] {
        let (status, _, body) = answer(&app, &format!("/api/v1/items/{id}/file"), Some(&token(role))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{role:?}");
        assert!(!String::from_utf8_lossy(&body).contains("Quenfrithel"));
    }
    let (_, _, search) = answer(&app, "/api/v1/search?q=Quenfrithel", Some(&investigator)).await;
    assert!(!String::from_utf8_lossy(&search).contains("Quenfrithel-statement"), "never indexed");
    assert!(files_holding(&dir, &["Quenfrithel", "上传金丝雀", "يۈكلەش"]).is_empty());
    assert!(std::fs::read_dir(dir.join("tmp")).unwrap().next().is_none(), "staging is removed");
}
