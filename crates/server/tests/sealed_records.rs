//! Sealed record fields through the web app: every role without a grant
//! sees `[sealed]` (JSON `{"sealed": true}`) and never the canaries, in the
//! API, the HTML pages, the history, search and exports; a record sealed as
//! a whole is a 404 to them; the person granted the record sees the names
//! (HTML-escaped), and the reveal is in the audit trail. An edit through
//! the form by someone who cannot open the names neither erases nor leaks
//! them.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::*;
use evident_archive::{KekInit, RecordKind, Role};
use serde_json::{Value, json};

const CANARY_LATIN: &str = "Canary-Tm4wServerWitness-8812";
const CANARY_CHINESE: &str = "金丝雀证人热依拉五号";
const CANARY_UYGHUR: &str = "كانارىيە گۇۋاھچى رەيھانگۈل";
const CANARY_TOWN: &str = "Hometown-Kp2Yengisar-3391";
const CANARY_PLACE: &str = "Sealed-Place-Vb6Qorghan-1177";
/// The name of a person whose record is published: the portal withholds it.
const CANARY_PUBLISHED: &str = "Published-Witness-Hn5Turpan-6640";
const CANARIES: [&str; 6] = [CANARY_LATIN, CANARY_CHINESE, CANARY_UYGHUR, CANARY_TOWN, CANARY_PLACE, CANARY_PUBLISHED];
const SCRIPT_NAME: &str = "<script>alert(7)</script>";

fn assert_no_canary(what: &str, body: &str) {
    for canary in CANARIES {
        assert!(!body.contains(canary), "{what}: canary {canary} in {body}");
    }
    assert!(!body.contains(SCRIPT_NAME) && !body.contains("alert(7)"), "{what}: {body}");
}

#[tokio::test]
async fn only_the_person_granted_a_record_sees_its_sealed_fields() {
    let (temp, _dir, mut archive) = archive_with_users();
    archive.init_sealing(&KekInit::KeyFile(Some(temp.path().join("kek")))).unwrap();
    let names = json!([
        {"name": CANARY_LATIN, "lang": "en"}, {"name": CANARY_CHINESE, "script": "Hans"},
        {"name": CANARY_UYGHUR, "lang": "ug"}, {"name": SCRIPT_NAME}
    ]);
    let witness = archive
        .create_record(
            RecordKind::Person,
            fields(json!({"names": names, "home_town": CANARY_TOWN, "status": "detained", "note": "open note"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let hidden = archive
        .create_record(
            RecordKind::Facility,
            fields(json!({"name_en": CANARY_PLACE, "sensitivity": "sealed"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    let published = archive
        .create_record(
            RecordKind::Person,
            fields(json!({"names": [{"name": CANARY_PUBLISHED}], "status": "disappeared"})),
            "tester",
            "test",
        )
        .unwrap()
        .id;
    archive.publish_record(&published, "tester", "the case is public; the name is not").unwrap();
    archive.add_user("granted", Role::Investigator, PASSWORD).unwrap();
    archive.grant_sealed(&witness, "granted", "admin").unwrap();
    archive.grant_sealed(&hidden, "granted", "admin").unwrap();
    let mut tokens: Vec<(&str, Option<String>)> = vec![("public", None)];
    for name in ["admin", "investigator", "reviewer", "intake", "granted"] {
        tokens.push((name, Some(archive.create_api_token(name, None).unwrap())));
    }
    let app = app(archive, evident_server::ServerConfig::default());

    for (name, token) in tokens.iter().filter(|(name, _)| *name != "granted") {
        let token = token.as_deref();
        let restricted = matches!(*name, "admin" | "investigator" | "reviewer");
        let answer = get(&app, &format!("/api/v1/records/{witness}"), token).await;
        assert_no_canary(name, &answer.text());
        if restricted {
            assert_eq!(answer.status, StatusCode::OK, "{name}: {}", answer.text());
            let record = answer.json();
            assert_eq!(record["fields"]["names"], json!({"sealed": true}), "{name}");
            assert_eq!(record["fields"]["home_town"], json!({"sealed": true}), "{name}");
            assert_eq!(record["fields"]["note"], "open note", "{name}");
            let page = get(&app, &format!("/records/{witness}"), token).await;
            assert_eq!(page.status, StatusCode::OK, "{name}");
            assert!(page.text().contains("[sealed]"), "{name}: {}", page.text());
            assert_no_canary(name, &page.text());
            let history = get(&app, &format!("/api/v1/records/{witness}/history"), token).await;
            assert_eq!(history.status, StatusCode::OK);
            assert_no_canary(name, &history.text());
            let export = get(&app, "/api/v1/export?kind=all", token).await;
            assert_eq!(export.status, StatusCode::OK);
            assert!(export.text().contains(&witness), "{name}");
            assert_no_canary(name, &export.text());
        } else {
            assert_ne!(answer.status, StatusCode::OK, "{name}");
        }
        for query in [CANARY_LATIN, CANARY_CHINESE, CANARY_UYGHUR, CANARY_TOWN, CANARY_PLACE, "detained"] {
            let found = get(&app, &format!("/api/v1/search?q={}", urlencoding(query)), token).await;
            let hits = if found.status == StatusCode::OK { found.json()["hits"].to_string() } else { String::new() };
            assert_no_canary(name, &hits);
            assert!(!hits.contains(&hidden), "{name}: a sealed record is not found: {hits}");
            if query != "detained" {
                assert!(!hits.contains(&witness), "{name}: {query} finds nothing: {hits}");
            }
        }
        for uri in [format!("/api/v1/records/{hidden}"), format!("/records/{hidden}")] {
            let answer = get(&app, &uri, token).await;
            assert!(matches!(answer.status.as_u16(), 303 | 401 | 403 | 404), "{name} {uri}: {}", answer.status);
            assert_no_canary(name, &answer.text());
        }
    }

    // The portal shows a published record with its sealed names withheld.
    let portal = get(&app, &format!("/portal/records/{published}"), None).await;
    assert_eq!(portal.status, StatusCode::OK, "{}", portal.text());
    assert!(portal.text().contains("[sealed]") && portal.text().contains("disappeared"), "{}", portal.text());
    assert_no_canary("the portal", &portal.text());

    // The edit form shows the placeholder; an edit that leaves the names
    // out keeps them (an investigator without a grant cannot erase them).
    let investigator = tokens.iter().find(|(name, _)| *name == "investigator").and_then(|(_, t)| t.clone());
    let form = get(&app, &format!("/records/{witness}/edit"), investigator.as_deref()).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("[sealed — unchanged unless you type a new value]"), "{}", form.text());
    assert_no_canary("the edit form", &form.text());
    let body = format!(
        "fields={}&reason=released&csrf=",
        urlencoding(&json!({"status": "released", "note": "open note"}).to_string())
    );
    let posted = send(
        &app,
        request("POST", &format!("/records/{witness}"), investigator.as_deref())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());

    // The granted investigator sees the names, escaped in HTML.
    let granted = tokens.iter().find(|(name, _)| *name == "granted").and_then(|(_, t)| t.clone());
    let answer = get(&app, &format!("/api/v1/records/{witness}"), granted.as_deref()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let record: Value = answer.json();
    assert_eq!(record["fields"]["names"][1]["name"], CANARY_CHINESE);
    assert_eq!(record["fields"]["home_town"], CANARY_TOWN);
    assert_eq!(record["fields"]["status"], "released", "the form's edit landed");
    let page = get(&app, &format!("/records/{witness}"), granted.as_deref()).await;
    assert!(page.text().contains(CANARY_UYGHUR) && page.text().contains(CANARY_LATIN), "{}", page.text());
    assert!(!page.text().contains(SCRIPT_NAME) && page.text().contains("alert(7)"), "shown, escaped: {}", page.text());
    let answer = get(&app, &format!("/api/v1/records/{hidden}"), granted.as_deref()).await;
    assert_eq!(answer.status, StatusCode::OK, "a grant opens a record sealed as a whole");
    assert_eq!(answer.json()["fields"]["name_en"], CANARY_PLACE);

    let admin = tokens.iter().find(|(name, _)| *name == "admin").and_then(|(_, t)| t.clone());
    let trail = get(&app, "/api/v1/audit?limit=1000", admin.as_deref()).await.text();
    assert!(trail.contains("\"reveal\"") && trail.contains("granted"), "{trail}");
}

/// Percent-encodes a query value.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
