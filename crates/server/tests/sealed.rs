//! A sealed item through the web app: no role sees it, by id or by search,
//! until per-person access exists; its bytes are never served.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use evident_archive::{AddConfig, Archive, InitConfig, KekInit, Role, Sensitivity};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

async fn call(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

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
