//! The audit trail through the API: reading a restricted record or item,
//! its receipt, is noted with who, what and when; public reads are not;
//! only admins may read the trail; the trail reaches the log.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use evident_archive::{AddConfig, Archive, InitConfig, RecordKind, Role};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
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
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn page(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn login(app: &axum::Router, name: &str) -> String {
    let (status, body) =
        call(app, "POST", "/api/v1/login", None, Some(json!({"username": name, "password": PASSWORD}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn restricted_reads_are_audited_and_only_admins_read_the_trail() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "audit.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    let file = temp.path().join("testimony.txt");
    std::fs::write(&file, "Fictional testimony for the audit test.").unwrap();
    let mut items = Vec::new();
    archive
        .add(
            &[file],
            &AddConfig { actor: "tester".into(), ..AddConfig::default() },
            &mut |outcome: &evident_archive::AddOutcome| items.extend(outcome.item.clone()),
        )
        .unwrap();
    let item = items.remove(0);
    let fields = |value: Value| value.as_object().cloned().unwrap();
    let public = archive
        .create_record(
            RecordKind::Facility,
            fields(json!({"name_en": "Open Hospital", "sensitivity": "public"})),
            "tester",
            "t",
        )
        .unwrap()
        .id;
    let restricted = archive
        .create_record(RecordKind::Person, fields(json!({"names": [{"name": "Fictional Witness"}]})), "tester", "t")
        .unwrap()
        .id;
    for (name, role) in [("admin", Role::Admin), ("investigator", Role::Investigator)] {
        archive.add_user(name, role, PASSWORD).unwrap();
    }
    let app = router(AppState::new(archive));
    let admin = login(&app, "admin").await;
    let investigator = login(&app, "investigator").await;

    assert_eq!(call(&app, "GET", &format!("/api/v1/records/{public}"), None, None).await.0, StatusCode::OK);
    assert_eq!(
        call(&app, "GET", &format!("/api/v1/records/{public}"), Some(&investigator), None).await.0,
        StatusCode::OK
    );
    assert_eq!(call(&app, "GET", &format!("/api/v1/records/{restricted}"), None, None).await.0, StatusCode::NOT_FOUND);
    for uri in [
        format!("/api/v1/records/{restricted}"),
        format!("/api/v1/items/{item}"),
        format!("/api/v1/items/{item}/receipt"),
    ] {
        assert_eq!(call(&app, "GET", &uri, Some(&investigator), None).await.0, StatusCode::OK, "{uri}");
    }

    assert_eq!(call(&app, "GET", "/api/v1/audit", None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "GET", "/api/v1/audit", Some(&investigator), None).await.0, StatusCode::FORBIDDEN);
    let (status, trail) = call(&app, "GET", "/api/v1/audit", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    let events = trail["events"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["role"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("investigator", "investigator", "read", restricted.as_str()),
            ("investigator", "investigator", "read", item.as_str()),
            ("investigator", "investigator", "receipt", item.as_str()),
        ],
        "public records and refused reads are not audited; every restricted read is"
    );
    assert!(events.iter().all(|e| e["time"].as_str().unwrap().ends_with('Z') && e["log_index"].is_null()));
    let (_, paged) = call(&app, "GET", "/api/v1/audit?from=3&limit=5", Some(&admin), None).await;
    assert_eq!(paged["events"].as_array().unwrap().len(), 1);
    assert_eq!(call(&app, "GET", "/api/v1/audit?from=x", Some(&admin), None).await.0, StatusCode::BAD_REQUEST);
    // The admin's page shows the same trail; other roles may not see it.
    let (status, html) = page(&app, "/admin/audit", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&restricted) && html.contains("investigator") && html.contains("receipt"), "{html}");
    assert!(html.contains(r#"href="/admin/audit""#), "admins get the link in the navigation");
    assert_eq!(page(&app, "/admin/audit", Some(&investigator)).await.0, StatusCode::FORBIDDEN);
    let (status, _) = page(&app, "/admin/audit", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the public is sent to log in");
    drop(app);

    // Committed to the log at the next start (the server was not stopped
    // through its signal handler here), and verify checks it.
    let archive = Archive::open(&dir, None).unwrap();
    let trail = archive.audit_trail(1, 10).unwrap();
    assert!(trail.iter().all(|e| e.log_index.is_some()), "{trail:?}");
    let report = archive.verify(None, &mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.audit_committed, 3);
}
