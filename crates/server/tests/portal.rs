//! The public portal against a real archive on disk: it shows what was
//! published and nothing else (not in lists, pages, the timeline, a
//! finding's evidence, by id or by guessing), publishing is one logged
//! version per call and only for admins and investigators, and every page's
//! scripts carry the response's CSP nonce.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::*;
use evident_archive::{Archive, RecordKind};
use evident_server::ServerConfig;
use serde_json::{Value, json};

/// Everything the public must never see carries one of these.
const CANARIES: &[&str] = &[
    "CANARY_ITEM_TEXT",
    "CANARY_ITEM_TITLE",
    "CANARY_SEALED",
    "CANARY_FACILITY",
    "CANARY_CLAIM",
    "CANARY_FINDING",
    "CANARY_EVENT",
    "CANARY_RETRACTED",
    "CANARY_SERIES",
    "CANARY_UNPUBLISHED",
];

struct Portal {
    _temp: tempfile::TempDir,
    app: axum::Router,
    public_item: String,
    public_facility: String,
    public_claim: String,
    public_finding: String,
    public_event: String,
    public_series: String,
    /// published, then retracted
    retracted_event: String,
    /// every id that exists but is not published
    hidden: Vec<String>,
}

fn create(archive: &mut Archive, kind: RecordKind, value: Value) -> String {
    archive.create_record(kind, fields(value), "tester", "test").unwrap().id
}

fn published(archive: &mut Archive, kind: RecordKind, value: Value) -> String {
    let id = create(archive, kind, value);
    archive.publish_record(&id, "investigator", "for the portal").unwrap();
    id
}

fn portal() -> Portal {
    let (temp, _dir, mut archive) = archive_with_users();
    let scratch = temp.path();
    let public_item = add_file(
        &mut archive,
        scratch,
        "statement.txt",
        "Official statement PUBLICTEXT42: transplant waiting times of one week.".as_bytes(),
    );
    archive
        .edit_record(
            &public_item,
            &[
                ("title".into(), Some(json!("Hospital statement PUBLICTITLE"))),
                ("item_type".into(), Some(json!("statement"))),
            ],
            "tester",
            "describe",
        )
        .unwrap();
    archive.publish_record(&public_item, "investigator", "cited in the finding").unwrap();
    let hidden_item = add_file(&mut archive, scratch, "testimony.txt", b"Witness testimony CANARY_ITEM_TEXT");
    archive
        .edit_record(&hidden_item, &[("title".into(), Some(json!("CANARY_ITEM_TITLE")))], "tester", "describe")
        .unwrap();
    let undescribed_item = add_file(&mut archive, scratch, "scan.txt", b"An undescribed scan CANARY_ITEM_TEXT 2");
    let sealed = create(
        &mut archive,
        RecordKind::Person,
        json!({"names": [{"name": "CANARY_SEALED witness"}], "sensitivity": "sealed"}),
    );
    let public_facility = published(
        &mut archive,
        RecordKind::Facility,
        json!({"name_en": "Fictional Transplant Centre PUBLICFAC", "province": "Liaoning"}),
    );
    let hidden_facility = create(&mut archive, RecordKind::Facility, json!({"name_en": "CANARY_FACILITY camp"}));
    let public_claim = published(
        &mut archive,
        RecordKind::Claim,
        json!({"text": "Waiting times of a week were advertised PUBLICCLAIM", "value": 7, "unit": "days",
               "supporting": [public_item, hidden_item, public_facility, hidden_facility, sealed]}),
    );
    let hidden_claim = create(
        &mut archive,
        RecordKind::Claim,
        json!({"text": "CANARY_CLAIM from a protected witness", "supporting": [public_item]}),
    );
    let public_finding = published(
        &mut archive,
        RecordKind::Finding,
        json!({"issue": "Organs were sourced on demand PUBLICFINDING", "standard": "beyond_reasonable_doubt",
               "outcome": "proved", "reasoning": "Short waiting times PUBLICREASONING", "claims": [public_claim, hidden_claim]}),
    );
    let hidden_finding = create(
        &mut archive,
        RecordKind::Finding,
        json!({"issue": "CANARY_FINDING", "standard": "credible_information", "outcome": "open"}),
    );
    let public_event = published(
        &mut archive,
        RecordKind::Event,
        json!({"event_type": "blood_test", "date": "June-July 2017", "description": "Blood tests in detention PUBLICEVENT",
               "facility": hidden_facility, "participants": [{"record": sealed, "role": "detainee"}],
               "items": [public_item, hidden_item]}),
    );
    published(
        &mut archive,
        RecordKind::Event,
        json!({"event_type": "arrest", "date": "2001", "description": "An earlier arrest PUBLICEARLY"}),
    );
    let hidden_event =
        create(&mut archive, RecordKind::Event, json!({"event_type": "transfer", "description": "CANARY_EVENT"}));
    let retracted_event =
        published(&mut archive, RecordKind::Event, json!({"event_type": "death", "description": "CANARY_RETRACTED"}));
    archive.retract_record(&retracted_event, "tester", "wrong person").unwrap();
    let unpublished = published(&mut archive, RecordKind::Facility, json!({"name_en": "CANARY_UNPUBLISHED hospital"}));
    archive.unpublish_record(&unpublished, "tester", "the address identifies a witness").unwrap();
    let points: Vec<Value> = [(2010, 34.0), (2011, 63.0), (2012, 427.0), (2013, 1271.0), (2014, 1702.0)]
        .iter()
        .map(|(year, value)| json!({"period": year.to_string(), "value": value}))
        .collect();
    let public_series =
        published(&mut archive, RecordKind::Series, json!({"name": "Deceased donors PUBLICSERIES", "points": points}));
    let hidden_series = create(&mut archive, RecordKind::Series, json!({"name": "CANARY_SERIES", "points": points}));
    Portal {
        _temp: temp,
        app: app(archive, ServerConfig::default()),
        public_item,
        public_facility,
        public_claim,
        public_finding,
        public_event,
        public_series,
        retracted_event: retracted_event.clone(),
        hidden: vec![
            hidden_item,
            undescribed_item,
            sealed,
            hidden_facility,
            hidden_claim,
            hidden_finding,
            hidden_event,
            retracted_event,
            unpublished,
            hidden_series,
        ],
    }
}

/// The page's text with this response's CSP nonce taken out (it differs
/// on every response).
fn without_nonce(answer: &Answer) -> String {
    let text = answer.text();
    match nonce_of(answer) {
        Some(nonce) => text.replace(&nonce, "NONCE"),
        None => text,
    }
}

fn nonce_of(answer: &Answer) -> Option<String> {
    let policy = answer.headers.get(header::CONTENT_SECURITY_POLICY)?.to_str().ok()?;
    let start = policy.find("'nonce-")? + "'nonce-".len();
    Some(policy[start..].split('\'').next()?.to_owned())
}

/// Every `<script` of the page carries this response's nonce, and no
/// element has an inline event handler.
fn scripts_are_nonced(path: &str, answer: &Answer) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(nonce) = nonce_of(answer) else {
        return vec![format!("{path}: no CSP nonce in {:?}", answer.headers.get(header::CONTENT_SECURITY_POLICY))];
    };
    let policy = answer.header("content-security-policy");
    if policy.contains("unsafe-inline") || !policy.contains("default-src 'none'") {
        problems.push(format!("{path}: weak policy {policy}"));
    }
    let page = answer.text();
    for (at, _) in page.match_indices("<script") {
        let tag = &page[at..at + page[at..].find('>').unwrap_or(0)];
        if !tag.contains(&format!("nonce=\"{nonce}\"")) {
            problems.push(format!("{path}: a script without this response's nonce: {tag}"));
        }
    }
    let lower = page.to_lowercase();
    for handler in [" onclick=", " onload=", " onerror=", " onsubmit=", " onchange=", " ondrop=", "javascript:"] {
        if lower.contains(handler) {
            problems.push(format!("{path}: inline handler {handler}"));
        }
    }
    problems
}

#[tokio::test]
async fn the_portal_shows_what_was_published_and_nothing_else() {
    let portal = portal();
    let app = &portal.app;
    let investigator = login(app, "investigator").await.0;
    let pages: Vec<(String, Vec<&str>)> = vec![
        ("/portal".into(), vec!["PUBLICTITLE", "test.example/evident+"]),
        ("/portal/findings".into(), vec!["PUBLICFINDING"]),
        (
            format!("/portal/findings/{}", portal.public_finding),
            vec!["PUBLICFINDING", "PUBLICREASONING", "PUBLICCLAIM", "PUBLICTITLE", "PUBLICFAC"],
        ),
        ("/portal/items".into(), vec!["PUBLICTITLE"]),
        (format!("/portal/items/{}", portal.public_item), vec!["PUBLICTITLE", "PUBLICTEXT42", "statement.txt"]),
        (format!("/portal/records/{}", portal.public_facility), vec!["PUBLICFAC", "Liaoning", "PUBLICCLAIM"]),
        (format!("/portal/records/{}", portal.public_claim), vec!["PUBLICCLAIM", "PUBLICTITLE", "PUBLICFAC"]),
        ("/portal/timeline".into(), vec!["PUBLICEVENT", "PUBLICEARLY", "June-July 2017", "PUBLICTITLE"]),
        ("/statistics".into(), vec!["PUBLICSERIES"]),
        (format!("/statistics/{}", portal.public_series), vec!["PUBLICSERIES", "<svg"]),
        ("/verify".into(), vec!["verify-form"]),
    ];
    let mut failures = Vec::new();
    for (path, expected) in &pages {
        // The portal is the same for everyone: a signed-in investigator sees
        // only what is published there too.
        for token in [None, Some(investigator.as_str())] {
            let answer = get(app, path, token).await;
            if answer.status != StatusCode::OK {
                failures.push(format!("{path}: {} {}", answer.status, answer.text()));
                continue;
            }
            let page = answer.text();
            for text in expected {
                if !page.contains(text) {
                    failures.push(format!("{path}: does not show {text}"));
                }
            }
            for canary in CANARIES {
                if page.contains(canary) {
                    failures.push(format!("{path}: shows {canary}"));
                }
            }
            for id in &portal.hidden {
                if page.contains(id.as_str()) {
                    failures.push(format!("{path}: names the unpublished {id}"));
                }
            }
            failures.extend(scripts_are_nonced(path, &answer));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The timeline is in date order.
    let timeline = get(app, "/portal/timeline", None).await.text();
    assert!(timeline.find("PUBLICEARLY").unwrap() < timeline.find("PUBLICEVENT").unwrap());
    // Finding pages link evidence to its portal pages.
    let finding = get(app, &format!("/portal/findings/{}", portal.public_finding), None).await.text();
    assert!(finding.contains(&format!("href=\"/portal/items/{}\"", portal.public_item)), "{finding}");
    assert!(finding.contains(&format!("href=\"/portal/records/{}\"", portal.public_facility)), "{finding}");
    // An event's page is its place on the timeline.
    let event = get(app, &format!("/portal/records/{}", portal.public_event), None).await;
    assert_eq!(event.status, StatusCode::SEE_OTHER);
    assert_eq!(event.header("location"), format!("/portal/timeline#{}", portal.public_event));
}

#[tokio::test]
async fn anything_unpublished_answers_exactly_like_a_missing_id() {
    let portal = portal();
    let app = &portal.app;
    let missing = get(app, "/portal/items/itm_01m8nc7ppa0ab4phx04gx7dp93", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let missing_page = without_nonce(&missing).replace("itm_01m8nc7ppa0ab4phx04gx7dp93", "ID");
    let mut failures = Vec::new();
    for id in &portal.hidden {
        let mut paths = vec![
            format!("/portal/items/{id}"),
            format!("/portal/findings/{id}"),
            format!("/portal/records/{id}"),
            format!("/statistics/{id}"),
            format!("/api/v1/items/{id}/file"),
            format!("/api/v1/items/{id}/receipt"),
            format!("/api/v1/records/{id}"),
        ];
        // (The API's own rules apply there: it shows a retracted record to
        // whoever may see its level, so only the portal's rule is tested.)
        let retracted = *id == portal.retracted_event;
        paths.retain(|path| match path.strip_prefix("/api/v1/") {
            Some(rest) if rest.starts_with("items/") => id.starts_with("itm_"),
            Some(_) => !retracted,
            None => true,
        });
        for path in paths {
            let answer = get(app, &path, None).await;
            if answer.status != StatusCode::NOT_FOUND {
                failures.push(format!("{path}: {}", answer.status));
            }
            // The page may repeat the address asked for, never what is there.
            let text = answer.text();
            if CANARIES.iter().any(|canary| text.contains(canary)) {
                failures.push(format!("{path}: the 404 names what it hides: {text}"));
            }
            if path.starts_with("/portal/items/") && without_nonce(&answer).replace(id.as_str(), "ID") != missing_page {
                failures.push(format!("{path}: differs from the 404 of a missing id"));
            }
        }
    }
    // Ids of the wrong kind, and guesses.
    for path in [
        format!("/portal/findings/{}", portal.public_claim),
        format!("/portal/items/{}", portal.public_facility),
        format!("/statistics/{}", portal.public_finding),
        "/portal/items/../../keys/log.key".to_owned(),
        "/portal/items/itm_".to_owned(),
        "/portal/records/%2e%2e%2fevident.json".to_owned(),
    ] {
        let answer = get(app, &path, None).await;
        if answer.status != StatusCode::NOT_FOUND {
            failures.push(format!("{path}: {}", answer.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The published item's file and receipt are there for everyone.
    let file = get(app, &format!("/api/v1/items/{}/file", portal.public_item), None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.text().contains("PUBLICTEXT42"));
    let receipt = get(app, &format!("/api/v1/items/{}/receipt", portal.public_item), None).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.text().starts_with("c2sp.org/tlog-proof@v1\n"));
}

async fn log_size(app: &axum::Router) -> u64 {
    get(app, "/api/v1/checkpoint", None).await.json()["size"].as_u64().unwrap()
}

#[tokio::test]
async fn publishing_is_for_admins_and_investigators_and_each_call_is_one_log_entry() {
    let (temp, _dir, mut archive) = archive_with_users();
    let mut targets = Vec::new();
    for n in 0..6 {
        let item = add_file(&mut archive, temp.path(), &format!("file{n}.txt"), format!("file {n}").as_bytes());
        let record = create(&mut archive, RecordKind::Source, json!({"name": format!("Source {n}")}));
        targets.push((item, record));
    }
    let app = &app(archive, ServerConfig::default());
    let mut tokens = vec![("public", None)];
    for role in ["admin", "investigator", "reviewer", "intake"] {
        tokens.push((role, Some(login(app, role).await.0)));
    }
    let mut failures = Vec::new();
    let mut next = targets.iter();
    for (role, token) in &tokens {
        let expected = match *role {
            "public" => StatusCode::UNAUTHORIZED,
            "reviewer" | "intake" => StatusCode::FORBIDDEN,
            _ => StatusCode::OK,
        };
        let (item, record) = next.next().unwrap();
        for (path, reason) in [
            (format!("/api/v1/items/{item}/publish"), "for the portal"),
            (format!("/api/v1/records/{record}/publish"), ""),
            (format!("/api/v1/items/{item}/unpublish"), "a name was not redacted"),
            (format!("/api/v1/records/{record}/unpublish"), "mistake"),
        ] {
            let before = log_size(app).await;
            let answer = send_json(app, "POST", &path, token.as_deref(), json!({"reason": reason})).await;
            let after = log_size(app).await;
            if answer.status != expected {
                failures.push(format!("{role} POST {path}: {} {}", answer.status, answer.text()));
                continue;
            }
            if expected == StatusCode::OK {
                let body = answer.json();
                let publishing = path.ends_with("/publish");
                if after != before + 1 {
                    failures.push(format!("{role} POST {path}: the log grew from {before} to {after}"));
                }
                if body["log_index"].as_u64() != Some(before) {
                    failures.push(format!("{role} POST {path}: log_index {} is not {before}", body["log_index"]));
                }
                let sensitivity = if publishing { "public" } else { "restricted" };
                if body["sensitivity"] != sensitivity {
                    failures.push(format!("{role} POST {path}: {body}"));
                }
                let prefix = if publishing { "published" } else { "unpublished: " };
                if !body["reason"].as_str().unwrap_or("").starts_with(prefix) {
                    failures.push(format!("{role} POST {path}: reason {}", body["reason"]));
                }
            } else if after != before {
                failures.push(format!("{role} POST {path}: refused, yet the log grew"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Refusals store nothing: twice, no reason to unpublish, unknown ids,
    // an item id on the items route only.
    let (admin, csrf) = login(app, "admin").await;
    let (item, record) = &targets[5];
    let before = log_size(app).await;
    for (path, body, status) in [
        (format!("/api/v1/items/{record}/publish"), json!({}), StatusCode::NOT_FOUND),
        ("/api/v1/records/src_01m8nc7ppa0ab4phx04gx7dp93/publish".to_owned(), json!({}), StatusCode::NOT_FOUND),
        (format!("/api/v1/records/{record}/unpublish"), json!({"reason": "x"}), StatusCode::BAD_REQUEST),
        (format!("/api/v1/records/{record}/publish"), json!({"reason": 5}), StatusCode::BAD_REQUEST),
        (format!("/api/v1/records/{record}/publish"), json!({"why": "x"}), StatusCode::BAD_REQUEST),
    ] {
        let answer = send_json(app, "POST", &path, Some(&admin), body).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.text());
    }
    assert_eq!(
        send_json(app, "POST", &format!("/api/v1/items/{item}/publish"), Some(&admin), json!({})).await.status,
        StatusCode::OK
    );
    let again = send_json(app, "POST", &format!("/api/v1/items/{item}/publish"), Some(&admin), json!({})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text());
    let no_reason = send_json(app, "POST", &format!("/api/v1/items/{item}/unpublish"), Some(&admin), json!({})).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert_eq!(log_size(app).await, before + 1);

    // With the session cookie, the CSRF token is required.
    let cookie = format!("{}={admin}", evident_server::SESSION_COOKIE);
    let path = format!("/api/v1/records/{record}/publish");
    let without = axum::http::Request::post(&path)
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(app, without).await.status, StatusCode::FORBIDDEN);
    assert_eq!(log_size(app).await, before + 1);
    let with = axum::http::Request::post(&path)
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(app, with).await.status, StatusCode::OK);
    assert_eq!(log_size(app).await, before + 2);
}

#[tokio::test]
async fn publish_then_unpublish_is_two_log_entries_the_portal_follows_and_verify_passes() {
    let (temp, _dir, mut archive) = archive_with_users();
    let item = add_file(&mut archive, temp.path(), "report.txt", b"A published report PUBLISHME");
    let app = &app(archive, ServerConfig::default());
    let investigator = login(app, "investigator").await.0;
    assert_eq!(get(app, &format!("/portal/items/{item}"), None).await.status, StatusCode::NOT_FOUND);
    assert!(!get(app, "/portal/items", None).await.text().contains(&item));

    let before = log_size(app).await;
    let answer = send_json(
        app,
        "POST",
        &format!("/api/v1/items/{item}/publish"),
        Some(&investigator),
        json!({"reason": "ruling"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let page = get(app, &format!("/portal/items/{item}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("PUBLISHME"));
    assert!(get(app, "/portal/items", None).await.text().contains(&item));

    let answer = send_json(
        app,
        "POST",
        &format!("/api/v1/items/{item}/unpublish"),
        Some(&investigator),
        json!({"reason": "consent withdrawn"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(log_size(app).await, before + 2);
    assert_eq!(get(app, &format!("/portal/items/{item}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(app, &format!("/api/v1/items/{item}/file"), None).await.status, StatusCode::NOT_FOUND);

    let history = get(app, &format!("/api/v1/records/{item}/history"), Some(&investigator)).await.json();
    let reasons: Vec<&str> =
        history["versions"].as_array().unwrap().iter().map(|v| v["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["published: ruling", "unpublished: consent withdrawn"]);

    let admin = login(app, "admin").await.0;
    let verify = send_json(app, "POST", "/api/v1/verify", Some(&admin), json!({})).await;
    assert_eq!(verify.status, StatusCode::OK, "{}", verify.text());
    assert_eq!(verify.json()["verified"]["ok"], true, "{}", verify.text());
}

#[tokio::test]
async fn the_verification_page_carries_the_key_its_messages_and_a_nonced_script_only() {
    let (_temp, _dir, archive) = archive_with_users();
    let key = archive.verifier_key();
    let app = &app(archive, ServerConfig::default());
    let answer = get(app, "/verify", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("content-type").starts_with("text/html"));
    let problems = scripts_are_nonced("/verify", &answer);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let page = answer.text();
    assert!(page.contains(&format!("data-key=\"{key}\"")), "{page}");
    let scripts: Vec<&str> =
        page.match_indices("<script").map(|(at, _)| &page[at..at + page[at..].find('>').unwrap()]).collect();
    assert!(scripts.iter().any(|tag| tag.contains("src=\"/static/verify.")), "{scripts:?}");
    assert!(scripts.iter().any(|tag| tag.contains("type=\"application/json\"")), "{scripts:?}");

    // The messages are JSON that closes no element early, in the page's language.
    let messages = |page: &str| -> Value {
        let start = page.find("id=\"verify-messages\"").unwrap();
        let json_start = start + page[start..].find('>').unwrap() + 1;
        let json_end = json_start + page[json_start..].find("</script>").unwrap();
        serde_json::from_str(&page[json_start..json_end]).unwrap()
    };
    assert!(messages(&page)["file.pass"].as_str().unwrap().contains("exactly the file"));
    let chinese = get(app, "/verify?lang=zh", None).await;
    let chinese_page = chinese.text();
    assert!(chinese_page.contains("核验文件或收据"), "{chinese_page}");
    assert_eq!(messages(&chinese_page)["status.pass"], "通过");

    // The script itself is served, cacheable, as JavaScript.
    let src = scripts
        .iter()
        .filter_map(|tag| tag.split("src=\"").nth(1)?.split('"').next())
        .find(|src| src.starts_with("/static/verify."))
        .unwrap();
    let script = get(app, src, None).await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.header("content-type").starts_with("text/javascript"));
    assert!(script.header("cache-control").contains("immutable"));
    assert!(script.text().contains("async function verifyReceipt"));
}
