//! The "Redact" form of an item page: investigators make a public copy with
//! names removed through the same archive API as `evident redact`; the copy
//! and the original name each other; a refusal never echoes what was to be
//! removed; other roles and forged forms are refused.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use evident_server::ServerConfig;
use http_body_util::BodyExt;
use tower::ServiceExt;

use common::*;

const CANARY: &str = "Canary-Webname-Gulbahar-771";

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

async fn send_page(app: &axum::Router, request: Request<Body>) -> Page {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get_page(app: &axum::Router, path: &str, cookie: Option<&str>) -> Page {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send_page(app, request.body(Body::empty()).unwrap()).await
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn post_form(app: &axum::Router, path: &str, cookie: &str, form: &[(&str, &str)]) -> Page {
    let body = form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    send_page(app, request).await
}

async fn login_cookie(app: &axum::Router, name: &str) -> String {
    let body = format!("username={name}&password={}&next=%2F", encode(PASSWORD));
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let page = send_page(app, request).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn investigators_redact_through_the_form_and_the_copy_names_its_original() {
    let (temp, _dir, mut archive) = archive_with_users();
    let original = add_file(
        &mut archive,
        temp.path(),
        "note.txt",
        format!("The list was given by {CANARY} in 北京, with the ward numbers.").as_bytes(),
    );
    let app = app(archive, ServerConfig::default());
    let cookie = login_cookie(&app, "investigator").await;

    let item = get_page(&app, &format!("/items/{original}"), Some(&cookie)).await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.body);
    assert!(item.body.contains(&format!("href=\"/items/{original}/redact\"")), "{}", item.body);
    let form = get_page(&app, &format!("/items/{original}/redact"), Some(&cookie)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = between(&form.body, "name=\"csrf\" value=\"", "\"").unwrap().to_owned();
    let path = format!("/items/{original}/redact");

    // A mistyped name: refused, not echoed, nothing made.
    let refused =
        post_form(&app, &path, &cookie, &[("csrf", &csrf), ("remove", "Gulbahar Mistyped"), ("sensitivity", "public")])
            .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("does not occur"), "{}", refused.body);
    assert!(!refused.body.contains("Mistyped"), "{}", refused.body);
    // Without the CSRF token: refused.
    let forged = post_form(&app, &path, &cookie, &[("remove", CANARY)]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);

    let made = post_form(
        &app,
        &path,
        &cookie,
        &[("csrf", &csrf), ("remove", &format!("{CANARY}\n北京\n")), ("sensitivity", "public")],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let location = made.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let copy = location.strip_prefix("/items/").unwrap().to_owned();
    assert!(copy.starts_with("itm_") && copy != original, "{location}");

    let copy_page = get_page(&app, &location, Some(&cookie)).await;
    assert_eq!(copy_page.status, StatusCode::OK, "{}", copy_page.body);
    let line = between(&copy_page.body, "data-test=\"redacted-from\">", "</p>").unwrap();
    assert!(line.contains(&format!("href=\"/items/{original}\"")), "{line}");
    let original_page = get_page(&app, &format!("/items/{original}"), Some(&cookie)).await;
    let line = between(&original_page.body, "data-test=\"redacted-copies\">", "</p>").unwrap();
    assert!(line.contains(&copy), "{line}");

    // The public sees the copy on the portal, without the names.
    let public = get_page(&app, &format!("/portal/items/{copy}"), None).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    assert!(public.body.contains("Redacted copy of an archived item"), "{}", public.body);
    assert!(!public.body.contains(CANARY) && !public.body.contains("北京"), "{}", public.body);
    let file = get(&app, &format!("/api/v1/items/{copy}/file"), None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.text(), "The list was given by █████ in █████, with the ward numbers.");

    // A reviewer may read the item but not redact it.
    let reviewer = login_cookie(&app, "reviewer").await;
    let page = get_page(&app, &path, Some(&reviewer)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
}
