//! Safe testimony intake through the real router: a witness submits with no
//! account, gets a follow-up code and receipts that reveal nothing, adds
//! more later; only the `intake` role reads the case; nothing sealed
//! reaches the disk or anyone else; bad input is refused with nothing
//! stored; floods are limited per address.

mod common;

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use common::{Answer, Part, archive_with_users, file_part, files_holding, multipart, object_count, send, text_part};
use evident_archive::{Archive, KekInit, KekUnlock, Role};
use evident_server::{AppState, ServerConfig, router};

const LATIN: &str = "Vorquentine Haldissar";
const CHINESE: &str = "金丝雀证人王某某";
const UYGHUR: &str = "كانارىيە گۇۋاھچى";
const FOLLOW_UP: &str = "Second statement of Brimwald Oxtergate";

/// An archive with users of every role, sealing set up, and a token per role.
fn intake_archive() -> (tempfile::TempDir, std::path::PathBuf, Archive, Vec<(Role, String)>) {
    let (temp, dir, mut archive) = archive_with_users();
    archive.init_sealing(&KekInit::KeyFile(Some(temp.path().join("kek")))).unwrap();
    let tokens = Role::ALL.iter().map(|role| (*role, archive.create_api_token(role.name(), None).unwrap())).collect();
    (temp, dir, archive, tokens)
}

fn token(tokens: &[(Role, String)], role: Role) -> String {
    tokens.iter().find(|(r, _)| *r == role).map(|(_, t)| t.clone()).unwrap()
}

fn app_with(archive: Archive, max_upload: u64) -> axum::Router {
    router(AppState::with_config(archive, ServerConfig { max_upload }))
}

/// A multipart POST from a client address.
async fn post_form(app: &axum::Router, uri: &str, parts: &[Part<'_>], client: [u8; 4]) -> Answer {
    let (content_type, body) = multipart(parts);
    let mut request = Request::post(uri)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((client, 40_000))));
    send(app, request).await
}

async fn get_as(app: &axum::Router, uri: &str, token: Option<&str>) -> Answer {
    common::get(app, uri, token).await
}

/// `POST /intake/receipt` (a urlencoded form, as the page's button sends it).
async fn receipt(app: &axum::Router, code: &str, item: &str, client: [u8; 4]) -> Answer {
    let body = format!("code={}&item={item}", code.replace(' ', "+"));
    let mut request = Request::post("/intake/receipt")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((client, 40_000))));
    send(app, request).await
}

/// The follow-up code on a submission's answer page.
fn code_of(page: &str) -> String {
    let start = page.find("data-test=\"follow-up-code\">").unwrap_or_else(|| panic!("no code in {page}"))
        + "data-test=\"follow-up-code\">".len();
    page[start..start + page[start..].find('<').unwrap()].to_owned()
}

/// The item ids on a submission's answer page, in order.
fn items_of(page: &str) -> Vec<String> {
    page.match_indices("name=\"item\" value=\"")
        .map(|(at, marker)| page[at + marker.len()..at + marker.len() + 30].to_owned())
        .collect()
}

fn assert_no_cookie(answer: &Answer, what: &str) {
    assert!(answer.headers.get(header::SET_COOKIE).is_none(), "{what} sets a cookie");
}

fn holds_canary(text: &str) -> bool {
    [LATIN, CHINESE, UYGHUR, FOLLOW_UP, "Vorquentine", "Brimwald"].iter().any(|canary| text.contains(canary))
}

#[tokio::test]
async fn a_witness_submits_follows_up_and_only_intake_reads_the_case() {
    let (temp, dir, archive, tokens) = intake_archive();
    let verifier_key = archive.verifier_key();
    let app = app_with(archive, 8 << 20);
    let witness = [198, 51, 100, 7];

    // The form: public, no script needed, right-to-left friendly, no cookie (in any language).
    for uri in ["/intake", "/intake?lang=zh", "/intake/follow-up"] {
        let form = get_as(&app, uri, None).await;
        assert_eq!(form.status, StatusCode::OK, "{uri}");
        assert_no_cookie(&form, uri);
        let html = form.text();
        assert!(
            html.contains("name=\"testimony\" dir=\"auto\"") && html.contains("name=\"file\" type=\"file\" multiple")
        );
        assert!(html.contains("enctype=\"multipart/form-data\""));
        assert_eq!(form.header("referrer-policy"), "no-referrer");
        assert!(form.header("content-security-policy").contains("default-src 'none'"));
    }
    assert!(get_as(&app, "/intake?lang=zh", None).await.text().contains("提交证词"));

    let testimony = format!("I, {LATIN} ({CHINESE}, {UYGHUR}), saw the transport.");
    let attachment = format!("notes naming {LATIN} and {UYGHUR}").into_bytes();
    let done =
        post_form(&app, "/intake", &[text_part("testimony", &testimony), file_part("notes.txt", &attachment)], witness)
            .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    assert_no_cookie(&done, "the answer");
    let page = done.text();
    assert!(!holds_canary(&page), "the answer repeats nothing of the testimony: {page}");
    let code = code_of(&page);
    assert_eq!(code.len(), 39, "eight groups of four: {code}");
    let first_items = items_of(&page);
    assert_eq!(first_items.len(), 2, "the testimony and the file: {page}");

    // Receipts: a download for the holder of the code, revealing nothing.
    let proof = receipt(&app, &code, &first_items[0], witness).await;
    assert_eq!(proof.status, StatusCode::OK, "{}", proof.text());
    assert_no_cookie(&proof, "the receipt");
    assert!(proof.header("content-disposition").starts_with("attachment;"));
    let proof_text = proof.text();
    assert!(!holds_canary(&proof_text));
    assert!(proof_text.starts_with("c2sp.org/tlog-proof@v1\n"), "{proof_text}");
    let unsealed_check = evident_archive::check_receipt(&proof_text, &mut testimony.as_bytes(), &verifier_key);
    assert!(unsealed_check.is_err(), "a sealed receipt needs its opening");
    let wrong = receipt(&app, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH", &first_items[0], witness).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(!holds_canary(&wrong.text()));

    // A follow-up with the code as a witness might copy it.
    let typed = code.to_lowercase().replace('-', " ");
    let more = post_form(
        &app,
        "/intake/follow-up",
        &[
            text_part("code", &typed),
            text_part("testimony", FOLLOW_UP),
            file_part("photo.jpg", b"\xff\xd8\xff jpeg bytes"),
        ],
        witness,
    )
    .await;
    assert_eq!(more.status, StatusCode::CREATED, "{}", more.text());
    assert_no_cookie(&more, "the follow-up answer");
    let second_items = items_of(&more.text());
    assert_eq!(second_items.len(), 2);
    let all_items: Vec<String> = first_items.iter().chain(&second_items).cloned().collect();

    // The intake role sees the case, with both submissions, texts decrypted.
    let intake = token(&tokens, Role::Intake);
    let cases = get_as(&app, "/intake/cases", Some(&intake)).await;
    assert_eq!(cases.status, StatusCode::OK);
    let cases_html = cases.text();
    let case_start = cases_html.find("/intake/cases/case_").unwrap() + "/intake/cases/".len();
    let case = cases_html[case_start..case_start + 37].to_owned();
    assert!(cases_html.contains("<td>4</td>"), "{cases_html}");
    let case_page = get_as(&app, &format!("/intake/cases/{case}"), Some(&intake)).await;
    assert_eq!(case_page.status, StatusCode::OK);
    let case_html = case_page.text();
    for expected in [LATIN, CHINESE, UYGHUR, FOLLOW_UP, "notes.txt", "photo.jpg"] {
        assert!(case_html.contains(expected), "{expected} missing from the case page");
    }
    for item in &all_items {
        assert!(case_html.contains(item.as_str()));
    }
    let file = get_as(&app, &format!("/api/v1/items/{}/file", first_items[1]), Some(&intake)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, attachment);

    // Everyone else: 404 for the case and its items, and never a canary.
    for (who, credential) in [
        ("admin", Some(token(&tokens, Role::Admin))),
        ("investigator", Some(token(&tokens, Role::Investigator))),
        ("reviewer", Some(token(&tokens, Role::Reviewer))),
        ("public", None),
    ] {
        let mut uris = vec!["/intake/cases".to_owned(), format!("/intake/cases/{case}")];
        for item in &all_items {
            uris.extend([
                format!("/api/v1/items/{item}"),
                format!("/api/v1/items/{item}/file"),
                format!("/api/v1/items/{item}/text"),
                format!("/api/v1/items/{item}/receipt"),
            ]);
        }
        for uri in uris {
            let answer = get_as(&app, &uri, credential.as_deref()).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{who} {uri}");
            assert!(!holds_canary(&answer.text()), "{who} {uri}");
        }
        let search = get_as(&app, &format!("/api/v1/search?q={}", "Vorquentine"), credential.as_deref()).await;
        assert!(!holds_canary(&search.text()) && !search.text().contains(&all_items[0]), "{who}");
    }

    // Nothing of it under the archive directory, in any file.
    assert!(files_holding(&dir, &[LATIN, CHINESE, UYGHUR, FOLLOW_UP, "Vorquentine", "notes.txt"]).is_empty());

    // The audit trail: submissions by case, the witness's address withheld; intake's reads noted.
    let trail = get_as(&app, "/api/v1/audit?limit=1000", Some(&token(&tokens, Role::Admin))).await.json();
    let events = trail["events"].as_array().unwrap();
    let submits: Vec<_> = events.iter().filter(|e| e["action"].as_str().unwrap().starts_with("intake.")).collect();
    assert!(submits.iter().any(|e| e["action"] == "intake.submit" && e["target"] == case.as_str()));
    assert!(submits.iter().any(|e| e["action"] == "intake.follow-up"));
    assert!(submits.iter().all(|e| e["client"] == "withheld" && e["actor"] == "intake"));
    assert!(!trail.to_string().contains("198.51.100.7"), "the witness's address is nowhere in the trail");
    assert!(events.iter().any(|e| e["actor"] == "intake" && e["role"] == "intake" && e["target"] == case.as_str()));

    // After a restart: the receipt checks with its opening, and a granted investigator opens the item.
    drop(app);
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.set_kek(KekUnlock::KeyFile(temp.path().join("kek")));
    let opening = archive.reveal_opening(&first_items[0], "intake").unwrap();
    let verdict =
        evident_archive::check_sealed_receipt(&proof_text, &mut testimony.as_bytes(), &verifier_key, &opening).unwrap();
    assert_eq!(verdict.item, first_items[0]);
    assert!(archive.may_open_sealed("intake", Role::Intake, &first_items[0]).unwrap());
    assert!(!archive.may_open_sealed("investigator", Role::Investigator, &first_items[0]).unwrap());
    archive.grant_sealed(&first_items[0], "investigator", "admin").unwrap();
    let app = app_with(archive, 8 << 20);
    let opened =
        get_as(&app, &format!("/api/v1/items/{}/file", first_items[0]), Some(&token(&tokens, Role::Investigator)))
            .await;
    assert_eq!(opened.status, StatusCode::OK);
    assert_eq!(opened.body, testimony.as_bytes());
    let other =
        get_as(&app, &format!("/api/v1/items/{}/file", first_items[1]), Some(&token(&tokens, Role::Investigator)))
            .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "a grant opens one item, not its case");

    // A forgotten item (its key destroyed) stays listed in its case, unreadable; the rest still opens.
    drop(app);
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.set_kek(KekUnlock::KeyFile(temp.path().join("kek")));
    archive.forget_item(&first_items[1], "admin", "the witness asked").unwrap();
    let app = app_with(archive, 8 << 20);
    let case_page = get_as(&app, &format!("/intake/cases/{case}"), Some(&intake)).await;
    assert_eq!(case_page.status, StatusCode::OK);
    let case_html = case_page.text();
    assert!(case_html.contains("data-test=\"intake-unreadable\"") && case_html.contains(FOLLOW_UP), "{case_html}");
    assert!(!case_html.contains("notes naming"), "the forgotten attachment is gone");
}

/// The number of intake cases, read through the intake role's page.
async fn case_count(app: &axum::Router, intake: &str) -> usize {
    get_as(app, "/intake/cases", Some(intake)).await.text().matches("href=\"/intake/cases/case_").count()
}

#[tokio::test]
async fn bad_input_is_refused_with_nothing_stored() {
    let (_temp, dir, archive, tokens) = intake_archive();
    let app = app_with(archive, 1 << 20);
    let intake = token(&tokens, Role::Intake);
    let objects = object_count(&dir);
    let mut client = 1u8;
    let mut next_client = || {
        client += 1;
        [203, 0, 113, client]
    };

    // Too large: 413 page, nothing stored.
    let huge = vec![b'x'; 2 << 20];
    let answer =
        post_form(&app, "/intake", &[text_part("testimony", "big"), file_part("big.bin", &huge)], next_client()).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(answer.header("content-type").starts_with("text/html"), "a clear page");
    assert_no_cookie(&answer, "413");
    // Too many files.
    let names: Vec<String> = (0..21).map(|n| format!("f{n}.txt")).collect();
    let mut parts = vec![text_part("testimony", "many files")];
    parts.extend(names.iter().map(|name| file_part(name, b"x")));
    let answer = post_form(&app, "/intake", &parts, next_client()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text().contains("at most 20 files"), "{}", answer.text());
    // Malformed multipart (never 500).
    for (content_type, body) in [
        (
            "multipart/form-data; boundary=xyz",
            &b"--xyz\r\nContent-Disposition: form-data; name=\"testimony\"\r\n\r\nunterminated"[..],
        ),
        ("multipart/form-data", &b"no boundary at all"[..]),
        ("multipart/form-data; boundary=xyz", &b"garbage without any boundary line"[..]),
        ("text/plain", &b"testimony=plain"[..]),
    ] {
        let mut request = Request::post("/intake")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_vec()))
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from((next_client(), 1))));
        let answer = send(&app, request).await;
        assert!(answer.status.is_client_error(), "{content_type}: {}", answer.status);
    }
    // Empty: no testimony, no file (an empty file input as browsers send it).
    let answer = post_form(
        &app,
        "/intake",
        &[text_part("testimony", "   \n "), Part { field: "file", file_name: Some(""), bytes: b"" }],
        next_client(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    // Too long a testimony, and an unknown field.
    let long = "长".repeat(100_000);
    assert_eq!(
        post_form(&app, "/intake", &[text_part("testimony", &long)], next_client()).await.status,
        StatusCode::BAD_REQUEST
    );
    let answer =
        post_form(&app, "/intake", &[text_part("name", "x"), text_part("testimony", "t")], next_client()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    // A wrong follow-up code: a clear error, after a delay.
    let started = Instant::now();
    let answer = post_form(
        &app,
        "/intake/follow-up",
        &[text_part("code", "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"), text_part("testimony", "more")],
        next_client(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.text().contains("follow-up code is not right"));
    assert!(started.elapsed() >= evident_server::INTAKE_WRONG_CODE_DELAY);

    assert_eq!(object_count(&dir), objects, "nothing refused was stored");
    assert_eq!(case_count(&app, &intake).await, 0);
    assert!(std::fs::read_dir(dir.join("tmp")).unwrap().next().is_none(), "no staging left behind");

    // Scripts in every field: stored, shown escaped.
    let script = "<script>alert('testimony')</script>";
    let answer = post_form(
        &app,
        "/intake",
        &[text_part("testimony", script), file_part("<script>alert(1)</script>.txt", b"<img src=x onerror=alert(2)>")],
        next_client(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert!(!answer.text().contains("<script>alert"), "the answer escapes the file name");
    let cases = get_as(&app, "/intake/cases", Some(&intake)).await.text();
    let start = cases.find("/intake/cases/case_").unwrap() + "/intake/cases/".len();
    let case_html = get_as(&app, &format!("/intake/cases/{}", &cases[start..start + 37]), Some(&intake)).await.text();
    assert!(!case_html.contains("<script>alert") && !case_html.contains("<img src=x"), "{case_html}");
    let escaped = |text: &str| text.replace('<', "&#60;").replace('>', "&#62;").replace('\'', "&#39;");
    assert!(case_html.contains(&escaped(script)), "the testimony is shown, escaped: {case_html}");
    assert!(case_html.contains(&escaped("<img src=x onerror=alert(2)>")), "{case_html}");
    assert!(case_html.contains("script_.txt"), "the file name is kept as a safe base name");
}

#[tokio::test]
async fn a_flood_from_one_address_is_limited_and_what_came_before_is_kept() {
    let (_temp, _dir, archive, tokens) = intake_archive();
    let app = app_with(archive, 1 << 20);
    let intake = token(&tokens, Role::Intake);
    let flooder = [192, 0, 2, 66];
    let mut statuses = Vec::new();
    for n in 0..30 {
        let text = format!("flood {n}");
        statuses.push(post_form(&app, "/intake", &[text_part("testimony", &text)], flooder).await);
    }
    let created = statuses.iter().filter(|answer| answer.status == StatusCode::CREATED).count();
    assert_eq!(created, evident_server::INTAKE_LIMIT);
    assert!(statuses[..created].iter().all(|answer| answer.status == StatusCode::CREATED), "the first ones pass");
    for answer in &statuses[created..] {
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            answer.header("content-type").starts_with("text/html") && answer.text().contains("too many submissions")
        );
        assert_no_cookie(answer, "429");
    }
    assert_eq!(case_count(&app, &intake).await, created, "every accepted submission is kept");
    // Another address is not held back; wrong codes count against their address.
    let other = [192, 0, 2, 67];
    assert_eq!(
        post_form(&app, "/intake", &[text_part("testimony", "another")], other).await.status,
        StatusCode::CREATED
    );
    let guesser = [192, 0, 2, 68];
    let mut last = StatusCode::OK;
    for _ in 0..evident_server::INTAKE_LIMIT + 1 {
        last = receipt(&app, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", "itm_00000000000000000000000000", guesser)
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_server_that_cannot_seal_refuses_testimony_before_reading_it() {
    // No key-encryption key: nothing may be taken in, since nothing could be sealed.
    let (_temp, dir, archive) = archive_with_users();
    let app = app_with(archive, 1 << 20);
    let objects = object_count(&dir);
    let answer = post_form(&app, "/intake", &[text_part("testimony", LATIN)], [192, 0, 2, 9]).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(answer.text().contains("cannot seal") && !holds_canary(&answer.text()));
    assert_eq!(object_count(&dir), objects);
    assert!(files_holding(&dir, &[LATIN]).is_empty());
}
