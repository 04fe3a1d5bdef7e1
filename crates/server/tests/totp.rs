//! The optional second factor through the API: a password alone gets 401
//! `totp_required`, a wrong code counts as a failed login, the right code
//! signs in once.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use evident_archive::{Archive, InitConfig, Role};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

async fn login(app: &axum::Router, body: Value) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_second_factor_is_asked_for_and_checked() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "totp.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.add_user("alice", Role::Investigator, PASSWORD).unwrap();
    let setup = archive.enable_totp("alice").unwrap();
    let app = router(AppState::new(archive));
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(setup.secret).to_bytes().unwrap(),
    )
    .unwrap();

    let (status, body) = login(&app, json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("totp_required")), "{body}");
    let (status, body) =
        login(&app, json!({"username": "alice", "password": "not the password", "totp": "123456"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("login_failed")));
    let code = totp.generate_current().unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) = login(&app, json!({"username": "alice", "password": PASSWORD, "totp": wrong})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("login_failed")));
    let (status, body) = login(&app, json!({"username": "alice", "password": PASSWORD, "totp": code})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["token"].as_str().unwrap().starts_with("evs_"));
    let (status, _) = login(&app, json!({"username": "alice", "password": PASSWORD, "totp": code})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the same code again is refused");
}

async fn form_login(app: &axum::Router, form: &str) -> (StatusCode, String, bool) {
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(form.to_owned()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response.headers().get(header::SET_COOKIE).is_some();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned(), cookie)
}

#[tokio::test]
async fn the_login_form_asks_for_the_code_and_accepts_it() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "totp.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.add_user("alice", Role::Investigator, PASSWORD).unwrap();
    let setup = archive.enable_totp("alice").unwrap();
    let app = router(AppState::new(archive));
    let secret = totp_rs::Secret::Encoded(setup.secret).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret).unwrap();

    let password = "correct+horse+battery";
    let (status, body, cookie) = form_login(&app, &format!("username=alice&password={password}&next=/")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!cookie && body.contains("one-time code from its authenticator app"), "{body}");
    assert!(body.contains(r#"id="totp""#) && body.contains("autofocus required"), "the code field is asked for");
    let code = totp.generate_current().unwrap();
    let (status, _, cookie) =
        form_login(&app, &format!("username=alice&password={password}&totp={code}&next=/search")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(cookie, "signed in with the code");
}
