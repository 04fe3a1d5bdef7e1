//! The web pages against a real archive on disk: every page for every
//! role, what the public and the intake role never see, the security
//! headers and nonces, CSRF on forms, editing through the form, the Chinese
//! UI, escaping, log-in and log-out.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use evident_archive::{AddConfig, Archive, InitConfig, RecordKind, Role};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";
/// In every restricted thing of the fixture; never in a page for the public or intake.
const CANARY: &str = "CANARY4411";

struct Fixture {
    temp: tempfile::TempDir,
    app: axum::Router,
    restricted_item: String,
    public_record: String,
    restricted_person: String,
    event: String,
    script_record: String,
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
    std::fs::write(
        &file,
        "Fictional witness CANARY4411: a blood test in detention, then an organ examination. 证人说他在看守所被验血，之后医院进行了器官移植配型。",
    )
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
    let item = items.remove(0);
    archive.edit_record(&item, &[("title".into(), Some(json!("Testimony CANARY4411")))], "tester", "describe").unwrap();
    let public_record = archive
        .create_record(
            RecordKind::Facility,
            fields(
                json!({"name_en": "Fictional Transplant Centre", "name_zh": "虚构移植中心", "sensitivity": "public"}),
            ),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let restricted_person = archive
        .create_record(RecordKind::Person, fields(json!({"names": [{"name": "Witness CANARY4411"}]})), "tester", "test")
        .unwrap()
        .id;
    let event = archive
        .create_record(
            RecordKind::Event,
            fields(json!({
                "event_type": "blood_test", "date": "June-July 2017", "facility": public_record,
                "participants": [{"record": restricted_person, "role": "detainee"}], "items": [item],
                "description": "Blood test CANARY4411",
            })),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let claim = archive
        .create_record(
            RecordKind::Claim,
            fields(json!({"text": "Blood tests in detention CANARY4411", "supporting": [item]})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    archive
        .create_record(
            RecordKind::Finding,
            fields(json!({"issue": "Were detainees tested? CANARY4411", "standard": "balance_of_probabilities", "outcome": "proved", "claims": [claim]})),
            "tester",
            "test",
        )
        .unwrap();
    let script_record = archive
        .create_record(
            RecordKind::Source,
            fields(json!({"name": "<script>alert(1)</script>", "note": "\"><img src=x onerror=alert(2)>"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    for (name, role) in [
        ("admin", Role::Admin),
        ("investigator", Role::Investigator),
        ("reviewer", Role::Reviewer),
        ("intake", Role::Intake),
    ] {
        archive.add_user(name, role, PASSWORD).unwrap();
    }
    Fixture {
        app: router(AppState::new(archive)),
        temp,
        restricted_item: item,
        public_record,
        restricted_person,
        event,
        script_record,
    }
}

/// A response, read whole.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of `<meta name="csrf-token" content="…">`.
    fn csrf(&self) -> String {
        between(&self.body, "<meta name=\"csrf-token\" content=\"", "\"").expect("a csrf meta tag").to_owned()
    }
}

/// `text` as the templates escape it (askama writes numeric references).
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

async fn send(app: &axum::Router, request: Request<Body>) -> Page {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(app: &axum::Router, path: &str, cookie: Option<&str>) -> Page {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

async fn post_form(app: &axum::Router, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Page {
    let body = form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(app, request.body(Body::from(body)).unwrap()).await
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Logs in through the form; returns the `Cookie` header value.
async fn login(app: &axum::Router, name: &str) -> String {
    let page = post_form(app, "/login", None, &[("username", name), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let cookie = page.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

/// The nonce of a response's CSP.
fn nonce(page: &Page) -> String {
    let policy = page.headers.get(header::CONTENT_SECURITY_POLICY).expect("a CSP header").to_str().unwrap();
    between(policy, "'nonce-", "'").expect("a nonce in the CSP").to_owned()
}

/// Problems with a page's scripts and handlers: every `<script` must carry
/// the response's nonce; no attribute may be an inline event handler.
fn script_problems(page: &Page) -> Vec<String> {
    let mut problems = Vec::new();
    let nonce = nonce(page);
    let policy = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    if policy.contains("unsafe-inline")
        || !policy.contains("'strict-dynamic'")
        || !policy.contains("frame-ancestors 'none'")
    {
        problems.push(format!("weak CSP: {policy}"));
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        if page.headers.get(name).and_then(|v| v.to_str().ok()) != Some(value) {
            problems.push(format!("header {name} is not {value}"));
        }
    }
    for tag in page.body.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("script") && !tag.contains(&format!("nonce=\"{nonce}\"")) {
            problems.push(format!("a script without this response's nonce: <{tag}>"));
        }
        if lower.starts_with('/') || lower.starts_with('!') {
            continue;
        }
        for attribute in lower.split_whitespace().skip(1) {
            let name = attribute.split('=').next().unwrap_or("");
            if name.starts_with("on") && name.len() > 2 && name[2..].chars().all(|c| c.is_ascii_lowercase()) {
                problems.push(format!("an inline handler: <{tag}>"));
            }
        }
    }
    problems
}

#[tokio::test]
async fn every_page_for_every_role() {
    let fixture = fixture();
    let app = &fixture.app;
    let mut cookies: Vec<(&str, Option<String>)> = vec![("public", None)];
    for name in ["admin", "investigator", "reviewer", "intake"] {
        cookies.push((name, Some(login(app, name).await)));
    }
    let item = &fixture.restricted_item;
    let person = &fixture.restricted_person;
    // (path, [public, admin, investigator, reviewer, intake]); 303 for the
    // public means "to /login?next=…" unless the path says otherwise.
    let pages: Vec<(String, [u16; 5])> = vec![
        ("/".into(), [303, 200, 200, 200, 303]),
        ("/upload".into(), [303, 200, 200, 403, 200]),
        (format!("/items/{item}"), [303, 200, 200, 200, 403]),
        ("/records".into(), [303, 200, 200, 200, 403]),
        ("/records?kind=event".into(), [303, 200, 200, 200, 403]),
        (format!("/records/{person}"), [303, 200, 200, 200, 403]),
        (format!("/records/{}", fixture.public_record), [303, 200, 200, 200, 403]),
        (format!("/records/{}", fixture.event), [303, 200, 200, 200, 403]),
        ("/records/new?kind=person".into(), [303, 200, 200, 403, 403]),
        (format!("/records/{person}/edit"), [303, 200, 200, 403, 403]),
        (format!("/records/{item}/edit"), [303, 200, 200, 403, 403]),
        ("/search?q=witness".into(), [303, 200, 200, 200, 403]),
        ("/search?q=%E5%99%A8%E5%AE%98%E7%A7%BB%E6%A4%8D".into(), [303, 200, 200, 200, 403]),
        ("/search".into(), [303, 200, 200, 200, 403]),
        ("/findings".into(), [303, 200, 200, 200, 403]),
        ("/timeline".into(), [303, 200, 200, 200, 403]),
        ("/login".into(), [200, 303, 303, 303, 303]),
        ("/items/itm_00000000000000000000000000".into(), [303, 404, 404, 404, 403]),
        ("/records/per_00000000000000000000000000".into(), [303, 404, 404, 404, 403]),
        ("/records?kind=nonsense".into(), [303, 400, 400, 400, 403]),
        ("/no-such-page".into(), [404; 5]),
    ];
    let mut failures = Vec::new();
    for (path, expected) in &pages {
        for ((role, cookie), expected) in cookies.iter().zip(expected) {
            let page = get(app, path, cookie.as_deref()).await;
            if page.status.as_u16() != *expected {
                failures.push(format!("{role} GET {path}: {}, expected {expected}", page.status));
                continue;
            }
            if page.status == StatusCode::SEE_OTHER && *role == "public" && path != "/" {
                if !page.location().starts_with("/login") {
                    failures.push(format!("{role} GET {path}: redirected to {:?}, not to log in", page.location()));
                }
                if path != "/login" && !page.location().contains("next=") {
                    failures.push(format!("{role} GET {path}: the redirect loses the page: {}", page.location()));
                }
            }
            if page.headers.get(header::CONTENT_SECURITY_POLICY).is_none() {
                failures.push(format!("{role} GET {path}: no CSP header"));
            }
            let html =
                page.headers.get(header::CONTENT_TYPE).is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
            if page.status != StatusCode::SEE_OTHER {
                if !html {
                    failures.push(format!("{role} GET {path}: {} is not an HTML page", page.status));
                }
                for problem in script_problems(&page) {
                    failures.push(format!("{role} GET {path}: {problem}"));
                }
                if !page.body.contains("<script nonce=") {
                    failures.push(format!("{role} GET {path}: the layout's script is missing"));
                }
            }
            if (*role == "public" || *role == "intake") && page.body.contains(CANARY) {
                failures.push(format!("{role} GET {path}: the restricted canary leaked"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn pages_show_what_investigators_need() {
    let fixture = fixture();
    let app = &fixture.app;
    let cookie = login(app, "investigator").await;
    let cookie = Some(cookie.as_str());

    let dashboard = get(app, "/", cookie).await;
    assert!(dashboard.body.contains("Testimony CANARY4411"), "recent items: {}", dashboard.body);
    assert!(dashboard.body.contains("data-test=\"log-size\""));
    assert!(dashboard.body.contains("test.example/evident"), "the checkpoint is shown");

    let item = get(app, &format!("/items/{}", fixture.restricted_item), cookie).await;
    let receipt = format!("href=\"/api/v1/items/{}/receipt\" download=", fixture.restricted_item);
    assert!(item.body.contains(&receipt), "receipt link: {}", item.body);
    assert!(item.body.contains("id=\"receipt-link\""));
    assert!(
        item.body.contains(&format!("data-src=\"/api/v1/items/{}/text\"", fixture.restricted_item)),
        "text preview"
    );
    assert!(item.body.contains(&format!("/records/{}", fixture.event)), "the event citing the item is listed");
    assert!(item.body.contains("describe"), "the history of its description");

    // The relation view of a person: the event, where, when, on what evidence.
    let person = get(app, &format!("/records/{}", fixture.restricted_person), cookie).await;
    let view = between(&person.body, "data-test=\"relation-view\"", "</section>").expect("a relation view");
    assert!(view.contains("blood test (detainee)"), "{view}");
    assert!(view.contains("June-July 2017"), "{view}");
    assert!(view.contains("Fictional Transplant Centre"), "{view}");
    assert!(view.contains(&format!("/items/{}", fixture.restricted_item)), "{view}");

    // Search in Chinese finds the testimony, with highlights and facets.
    let search = get(app, "/search?q=%E5%99%A8%E5%AE%98%E7%A7%BB%E6%A4%8D", cookie).await;
    assert!(
        search.body.contains(&format!("href=\"/items/{}\" data-test=\"result-link\"", fixture.restricted_item)),
        "{}",
        search.body
    );
    assert!(search.body.contains("<mark>器官移植</mark>"), "{}", search.body);
    assert!(search.body.contains("data-test=\"facet-kind\""), "facets");
    assert!(search.body.contains("id=\"search-box\""));
    let filtered = get(app, "/search?q=CANARY4411%20kind%3Aperson", cookie).await;
    assert!(
        filtered.body.contains(&fixture.restricted_person)
            && !filtered.body.contains(&format!("data-id=\"{}\"", fixture.restricted_item))
    );
    let bad = get(app, "/search?q=nosuchfield%3Ax", cookie).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("data-test=\"search-error\""), "{}", bad.body);

    let findings = get(app, "/findings", cookie).await;
    assert!(
        findings.body.contains("Were detainees tested? CANARY4411")
            && findings.body.contains("balance of probabilities")
    );
    let timeline = get(app, "/timeline", cookie).await;
    assert!(timeline.body.contains("June-July 2017") && timeline.body.contains("blood test"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let fixture = fixture();
    let app = &fixture.app;
    let cookie = login(app, "investigator").await;
    let id = &fixture.restricted_person;
    let fields = r#"{"names": [{"name": "Changed"}]}"#;
    for csrf in [None, Some("0123456789abcdef0123456789abcdef")] {
        let mut form = vec![("fields", fields), ("reason", "try"), ("version", "1")];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        let page = post_form(app, &format!("/records/{id}"), Some(&cookie), &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
        assert!(page.body.contains("data-test=\"error-page\""), "an HTML 403 page");
        let created = post_form(
            app,
            "/records",
            Some(&cookie),
            &[("kind", "source"), ("fields", r#"{"name": "New"}"#), ("reason", "try")],
        )
        .await;
        assert_eq!(created.status, StatusCode::FORBIDDEN);
    }
    let page = get(app, &format!("/records/{id}"), Some(&cookie)).await;
    assert!(page.body.contains("Witness CANARY4411") && !page.body.contains("Changed"));
    assert!(!page.body.contains("data-version=\"2\""), "no new version");
    let sources = get(app, "/records?kind=source", Some(&cookie)).await;
    assert!(!sources.body.contains(">New<"), "no record was created");

    // Log-out needs the token too; without it the session stays.
    let out = post_form(app, "/logout", Some(&cookie), &[]).await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    assert_eq!(get(app, "/", Some(&cookie)).await.status, StatusCode::OK);
    let csrf = get(app, "/", Some(&cookie)).await.csrf();
    let out = post_form(app, "/logout", Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    // The revoked session is sent to log in again, and its cookie cleared.
    let after = get(app, "/", Some(&cookie)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location().starts_with("/login") && after.location().contains("expired=1"), "{}", after.location());
    assert!(after.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn an_edit_through_the_form_is_a_new_version_with_its_reason() {
    let fixture = fixture();
    let app = &fixture.app;
    let cookie = login(app, "investigator").await;
    let id = &fixture.restricted_person;
    let form = get(app, &format!("/records/{id}/edit"), Some(&cookie)).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = between(&form.body, "name=\"csrf\" value=\"", "\"").unwrap().to_owned();
    assert!(form.body.contains("Witness CANARY4411"), "the current fields are in the form");
    let path = format!("/records/{id}");

    // Errors show the form again, with the message and the input as typed.
    let bad_json = "{\"names\": [ <oops";
    let page = post_form(
        app,
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("fields", bad_json), ("reason", "r"), ("version", "1")],
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("data-test=\"form-error\""));
    assert!(page.body.contains(&escaped(bad_json)), "{}", page.body);
    let fields = r#"{"names": [{"name": "Witness CANARY4411"}, {"name": "证人甲", "script": "Hans", "lang": "zh"}], "status": "released"}"#;
    let page =
        post_form(app, &path, Some(&cookie), &[("csrf", &csrf), ("fields", fields), ("reason", " "), ("version", "1")])
            .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Give a reason for the change."), "{}", page.body);
    let page = post_form(
        app,
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("fields", r#"{"names": []}"#), ("reason", "empty"), ("version", "1")],
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "the archive's own check: names are required");

    let saved = post_form(
        app,
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("fields", fields), ("reason", "second name from testimony 7"), ("version", "1")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), format!("/records/{id}?saved=2"));
    let page = get(app, saved.location(), Some(&cookie)).await;
    assert!(page.body.contains("data-test=\"saved\""));
    assert!(page.body.contains("证人甲") && page.body.contains("released"));
    let history = between(&page.body, "data-test=\"history\"", "</table>").unwrap();
    assert!(history.contains("data-version=\"2\"") && history.contains("second name from testimony 7"), "{history}");
    assert!(history.contains("investigator"), "{history}");

    // A form loaded before that edit is refused rather than undoing it.
    let stale = post_form(
        app,
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("fields", r#"{"names": [{"name": "Old"}]}"#), ("reason", "late"), ("version", "1")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    assert!(stale.body.contains("was changed (now version 2)"), "{}", stale.body);

    // A new record through the form.
    let created = post_form(
        app,
        "/records",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("kind", "source"),
            ("fields", r#"{"name": "Hospital web page capture"}"#),
            ("reason", "new source"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert!(created.location().starts_with("/records/src_") && created.location().ends_with("?saved=1"));

    // A reviewer may read but not write.
    let reviewer = login(app, "reviewer").await;
    let reviewer_csrf = get(app, "/", Some(&reviewer)).await.csrf();
    let refused = post_form(
        app,
        &path,
        Some(&reviewer),
        &[("csrf", &reviewer_csrf), ("fields", fields), ("reason", "x"), ("version", "2")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_chinese_ui_renders_chinese_and_remembers_the_choice() {
    let fixture = fixture();
    let app = &fixture.app;
    let cookie = login(app, "investigator").await;
    let page = get(app, "/search?lang=zh", Some(&cookie)).await;
    assert!(page.body.contains("<html lang=\"zh-Hans\" dir=\"ltr\">"), "{}", &page.body[..300]);
    assert!(page.body.contains(">搜索<") && page.body.contains("退出登录"), "Chinese labels");
    let set =
        page.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert!(set.iter().any(|c| c.starts_with("evident_lang=zh;") && c.contains("SameSite=Lax")), "{set:?}");

    let remembered = get(app, "/findings", Some(&format!("{cookie}; evident_lang=zh"))).await;
    assert!(remembered.body.contains("证明标准") || remembered.body.contains("暂无裁定"), "{}", remembered.body);
    let mut request = Request::get("/login").header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.8");
    request = request.header(header::COOKIE, "x=y");
    let browser = send(app, request.body(Body::empty()).unwrap()).await;
    assert!(browser.body.contains("用户名") && browser.body.contains("密码"), "{}", browser.body);
    let english = get(app, "/login", None).await;
    assert!(english.body.contains("User name") && english.body.contains("<html lang=\"en\" dir=\"ltr\">"));
    let uyghur = get(app, "/login?lang=ug", None).await;
    assert!(uyghur.body.contains("<html lang=\"ug\" dir=\"rtl\">"));
    let error = get(app, "/no-such-page?lang=zh", None).await;
    assert_eq!(error.status, StatusCode::NOT_FOUND);
    assert!(error.body.contains("此处没有内容"), "{}", error.body);
}

#[tokio::test]
async fn every_value_is_escaped() {
    let fixture = fixture();
    let app = &fixture.app;
    let cookie = login(app, "admin").await;
    for path in [
        format!("/records/{}", fixture.script_record),
        "/records?kind=source".to_owned(),
        "/search?q=alert".to_owned(),
        format!("/records/{}/edit", fixture.script_record),
    ] {
        let page = get(app, &path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(&escaped("<script>alert(1)</script>")), "{path}: {}", page.body);
        assert!(!page.body.contains("<script>alert(1)"), "{path}");
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(script_problems(&page).is_empty(), "{path}: {:?}", script_problems(&page));
    }
    // A search query is echoed escaped too.
    let page = get(app, "/search?q=%22%3E%3Cscript%3Ealert(3)%3C%2Fscript%3E", Some(&cookie)).await;
    assert!(!page.body.contains("<script>alert(3)"));
}

#[tokio::test]
async fn log_in_checks_origin_shares_the_rate_limit_and_keeps_next_on_this_site() {
    let fixture = fixture();
    let app = &fixture.app;
    let wrong = post_form(app, "/login", None, &[("username", "admin"), ("password", "not the password")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong user name or password.") && wrong.body.contains("value=\"admin\""));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());

    let cross_site = Request::post("/login")
        .header(header::HOST, "archive.example")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("username=admin&password={}", encode(PASSWORD))))
        .unwrap();
    let refused = send(app, cross_site).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.headers.get(header::SET_COOKIE).is_none());
    let same_site = Request::post("/login")
        .header(header::HOST, "archive.example")
        .header(header::ORIGIN, "https://archive.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("username=admin&password={}&next=%2Frecords%3Fkind%3Devent", encode(PASSWORD))))
        .unwrap();
    let accepted = send(app, same_site).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(accepted.location(), "/records?kind=event");
    let offsite =
        post_form(app, "/login", None, &[("username", "admin"), ("password", PASSWORD), ("next", "//evil.example/")])
            .await;
    assert_eq!(offsite.location(), "/");

    // Failures through the API count for the form too.
    for _ in 0..5 {
        let request = Request::post("/api/v1/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": "reviewer", "password": "guess guess guess"}).to_string()))
            .unwrap();
        send(app, request).await;
    }
    let limited = post_form(app, "/login", None, &[("username", "reviewer"), ("password", PASSWORD)]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("Too many failed attempts"));

    // The public is sent to log in, and back to the page after.
    let redirect = get(app, "/search?q=organ%20lang%3Azh", None).await;
    assert_eq!(redirect.location(), "/login?next=/search%3Fq%3Dorgan%2520lang%253Azh");
    let form = get(app, redirect.location(), None).await;
    assert!(form.body.contains("name=\"next\" value=\"/search?q=organ%20lang%3Azh\""), "{}", form.body);
}

#[tokio::test]
async fn errors_are_pages_in_the_browser_and_json_in_the_api() {
    let fixture = fixture();
    let app = &fixture.app;
    let page = get(app, "/nothing/here", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.body.contains("data-status=\"404\""));
    let api = get(app, "/api/v1/nothing/here", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let error: Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(error["error"]["code"], "not_found");
    assert!(api.headers.get(header::CONTENT_SECURITY_POLICY).is_some(), "the API's answers carry the headers too");
    let log = get(app, "/tile/0/999", None).await;
    assert_eq!(log.status, StatusCode::NOT_FOUND);
    assert!(!log.body.contains("<html"), "log paths keep their plain answers");
}

#[tokio::test]
async fn static_files_are_versioned_and_cached_for_a_year() {
    let fixture = fixture();
    let app = &fixture.app;
    let login = get(app, "/login", None).await;
    let css = between(&login.body, "<link rel=\"stylesheet\" href=\"", "\"").unwrap().to_owned();
    assert!(css.starts_with("/static/app.") && css.ends_with(".css") && css.len() > "/static/app.css".len(), "{css}");
    let file = get(app, &css, None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(file.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(file.body.contains("margin-inline-start") && file.body.contains("Noto Sans CJK SC"));
    assert!(
        file.body.contains("Noto Naskh Arabic")
            && file.body.contains("Tibetan Machine Uni")
            && file.body.contains("Jomolhari")
    );
    let plain = get(app, "/static/app.css", None).await;
    assert_eq!(plain.headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(get(app, "/static/app.000000000000.css", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reading_a_restricted_item_or_record_page_is_audited() {
    let fixture = fixture();
    let cookie = login(&fixture.app, "reviewer").await;
    assert_eq!(
        get(&fixture.app, &format!("/items/{}", fixture.restricted_item), Some(&cookie)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&fixture.app, &format!("/records/{}", fixture.restricted_person), Some(&cookie)).await.status,
        StatusCode::OK
    );
    let Fixture { temp, app, restricted_item, restricted_person, .. } = fixture;
    drop(app);
    let archive = Archive::open(&temp.path().join("archive"), None).unwrap();
    let trail = archive.audit_trail(1, 100).unwrap();
    for target in [&restricted_item, &restricted_person] {
        assert!(
            trail.iter().any(|record| &record.event.target == target
                && record.event.actor == "reviewer"
                && record.event.action == "read"),
            "{target}: {trail:?}"
        );
    }
}

#[tokio::test]
async fn a_policy_a_handler_set_itself_is_kept() {
    let fixture = fixture();
    let cookie = login(&fixture.app, "investigator").await;
    let file = get(&fixture.app, &format!("/api/v1/items/{}/file", fixture.restricted_item), Some(&cookie)).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert_eq!(file.headers[header::CONTENT_SECURITY_POLICY], "sandbox; default-src 'none'");
    assert_eq!(file.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(file.headers[header::X_FRAME_OPTIONS], "DENY", "the other headers are still added");
    let page = get(&fixture.app, "/", Some(&cookie)).await;
    let (one, two) = (nonce(&page), nonce(&get(&fixture.app, "/", Some(&cookie)).await));
    assert_ne!(one, two, "a fresh nonce for every response");
}

/// What `static/upload.js` and `static/item.js` do, over HTTP: the upload
/// page's CSRF token lets its session add a file through the API, and the
/// item page's preview and receipt links answer for the same session.
#[tokio::test]
async fn the_upload_page_token_adds_files_and_the_item_page_links_answer() {
    let fixture = fixture();
    let app = &fixture.app;
    let cookie = login(app, "investigator").await;
    let upload = get(app, "/upload", Some(&cookie)).await;
    assert!(upload.body.contains("id=\"dropzone\"") && upload.body.contains("id=\"file-input\""));
    assert!(upload.body.contains("value=\"restricted\" checked"), "restricted is the default");
    let csrf = upload.csrf();
    let boundary = "evident-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"sensitivity\"\r\n\r\nrestricted\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"note.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n医院网页显示等待时间为一周。\r\n--{boundary}--\r\n"
    );
    let send_upload = |csrf: Option<String>| {
        let mut request = Request::post("/api/v1/items")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        request.body(Body::from(body.clone())).unwrap()
    };
    let refused = send(app, send_upload(None)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let added = send(app, send_upload(Some(csrf))).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let answer: Value = serde_json::from_str(&added.body).unwrap();
    let id = answer["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(answer["items"][0]["status"], "added");

    let item = get(app, &format!("/items/{id}"), Some(&cookie)).await;
    assert_eq!(item.status, StatusCode::OK);
    let text_url = between(&item.body, "data-src=\"", "\"").unwrap().to_owned();
    let text = get(app, &text_url, Some(&cookie)).await;
    assert_eq!(text.status, StatusCode::OK);
    assert!(text.body.contains("等待时间为一周"), "{}", text.body);
    let receipt = get(app, &format!("/api/v1/items/{id}/receipt"), Some(&cookie)).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.body.starts_with("c2sp.org/tlog-proof"), "{}", receipt.body);
}
