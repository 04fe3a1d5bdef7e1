//! The publish and unpublish buttons of the investigators' pages: shown to
//! admins and investigators, refused to others and without the CSRF token,
//! and each a logged change the portal follows at once.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use evident_archive::{Archive, InitConfig, RecordKind, Role};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, String, Option<String>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned(), location)
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, format!("evident_session={cookie}"));
    }
    request.body(Body::empty()).unwrap()
}

fn post(uri: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, format!("evident_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

async fn login(app: &axum::Router, name: &str) -> (String, String) {
    let request = Request::post("/api/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"username": name, "password": PASSWORD}).to_string()))
        .unwrap();
    let (status, body, _) = send(app, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    (body["token"].as_str().unwrap().to_owned(), body["csrf"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn publishing_from_a_record_page() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "publish.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    let fields = json!({"name_en": "Fictional Hospital PUBLISHME"}).as_object().cloned().unwrap();
    let id = archive.create_record(RecordKind::Facility, fields, "tester", "test").unwrap().id;
    archive.add_user("ivan", Role::Investigator, PASSWORD).unwrap();
    archive.add_user("rita", Role::Reviewer, PASSWORD).unwrap();
    let app = router(AppState::new(archive));
    let (ivan, ivan_csrf) = login(&app, "ivan").await;
    let (rita, rita_csrf) = login(&app, "rita").await;
    let page = format!("/records/{id}");
    let portal = format!("/portal/records/{id}");

    let (_, html, _) = send(&app, get(&page, Some(&ivan))).await;
    assert!(html.contains(r#"id="publish-form""#) && html.contains(&format!(r#"action="/publish/{id}""#)), "{html}");
    let (_, html, _) = send(&app, get(&page, Some(&rita))).await;
    assert!(!html.contains("publish-form"), "reviewers get no button");
    assert_eq!(send(&app, get(&portal, None)).await.0, StatusCode::NOT_FOUND);

    let publish = format!("/publish/{id}");
    let (status, _, _) = send(&app, post(&publish, &ivan, "action=publish&reason=")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, _, _) = send(&app, post(&publish, &rita, &format!("csrf={rita_csrf}&action=publish"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "reviewers may not publish");
    assert_eq!(send(&app, get(&portal, None)).await.0, StatusCode::NOT_FOUND, "nothing changed");

    let form = format!("csrf={ivan_csrf}&action=publish&reason=cleared+for+release");
    let (status, _, location) = send(&app, post(&publish, &ivan, &form)).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some(page.as_str())));
    let (status, html, _) = send(&app, get(&portal, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("PUBLISHME"));
    let (_, html, _) = send(&app, get(&page, Some(&ivan))).await;
    assert!(html.contains(r#"name="action" value="unpublish""#), "now the button takes it down");

    let (status, _, _) = send(&app, post(&publish, &ivan, &format!("csrf={ivan_csrf}&action=unpublish&reason="))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unpublishing needs a reason");
    let form = format!("csrf={ivan_csrf}&action=unpublish&reason=a+name+was+left+in");
    assert_eq!(send(&app, post(&publish, &ivan, &form)).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, get(&portal, None)).await.0, StatusCode::NOT_FOUND);
    drop(app);

    let archive = Archive::open(&dir, None).unwrap();
    let reasons: Vec<String> = archive.record_history(&id).unwrap().into_iter().map(|v| v.reason).collect();
    assert_eq!(reasons, ["test", "published: cleared for release", "unpublished: a name was left in"]);
    assert!(archive.verify(None, &mut |_| {}).unwrap().ok());
}
