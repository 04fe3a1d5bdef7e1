//! The evidence model through the CLI: create, edit, retract, show, history,
//! referential integrity, and tamper evidence of record history.

use serde_json::Value;

use crate::harness::*;

impl TestArchive {
    /// Runs a command that prints `ID vN`; returns the id.
    fn record(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output).split_whitespace().next().unwrap().to_owned()
    }

    fn show(&self, id: &str) -> Value {
        let output = self.run(&["show", id, "--history", "--json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    }
}

#[test]
fn records_keep_every_version_with_who_when_and_why() {
    let archive = TestArchive::new();
    let item = archive.add_one(&archive.write_input("t.txt", "证词：2017年6月在看守所抽血".as_bytes()))["item"]
        .as_str()
        .unwrap()
        .to_owned();
    let facility = archive.record(&[
        "create",
        "facility",
        "--set",
        "name_zh=天津市第一中心医院",
        "--set",
        "facility_type=Transplant Centre",
        "--set",
        &format!(r#"capacity=[{{"measure":"beds","value":"500","date":"2006年","item":"{item}"}}]"#),
    ]);
    let person = archive.record(&[
        "create",
        "person",
        "--set",
        r#"names=[{"name":"Ahmet","lang":"ug"}]"#,
        "--set",
        "status=detained",
    ]);
    let event = archive.record(&[
        "create",
        "event",
        "--set",
        "event_type=blood_test",
        "--set",
        "date=2017年6月至7月",
        "--set",
        &format!("facility={facility}"),
        "--set",
        &format!(r#"participants=[{{"record":"{person}","role":"detainee"}}]"#),
        "--set",
        &format!("items={item}"),
    ]);

    let shown = archive.show(&event);
    assert_eq!(shown["kind"], "event");
    assert_eq!(shown["fields"]["date"]["start"], "2017-06-01");
    assert_eq!(shown["fields"]["date"]["end"], "2017-07-31");
    assert_eq!(shown["fields"]["date"]["precision"], "month");
    let facility_shown = archive.show(&facility);
    assert_eq!(facility_shown["fields"]["facility_type"], "transplant_centre");
    assert_eq!(facility_shown["fields"]["capacity"][0]["value"], 500.0);
    assert_eq!(facility_shown["referenced_by"][0]["id"], event.as_str());

    // Edits and a retraction are new versions; nothing is overwritten.
    let output = archive
        .command()
        .args(["edit", &person, "--set", "status=released", "--reason", "released in 2019 per testimony"])
        .env("EVIDENT_ACTOR", "alice")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let output = archive.run(&["retract", &person, "--reason", "duplicate of an existing record"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = archive.show(&person);
    assert_eq!(shown["version"], 3);
    assert_eq!(shown["retracted"], true);
    let history = shown["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["fields"]["status"], "detained");
    assert_eq!(history[1]["fields"]["status"], "released");
    assert_eq!(history[1]["actor"], "alice");
    assert_eq!(history[1]["reason"], "released in 2019 per testimony");
    assert_eq!(history[2]["change"], "retract");
    let output = archive.run(&["edit", &person, "--set", "status=deceased", "--reason", "x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("retracted"), "{}", stderr(&output));

    // Items get descriptive records through edit.
    let output = archive.run(&[
        "edit",
        &item,
        "--set",
        r#"title={"en":"Testimony","zh":"证词"}"#,
        "--set",
        "item_type=testimony",
        "--reason",
        "catalogued",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = archive.show(&item);
    assert_eq!(shown["fields"]["title"]["zh"], "证词");
    assert_eq!(shown["file"]["size"], "证词：2017年6月在看守所抽血".len());

    // Every version is a log entry, and all of it verifies.
    let (report, code) = archive.verify();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["records"], 4);
    assert_eq!(report["record_versions"], 6);
    assert_eq!(report["log_size"], 7);
}

#[test]
fn references_to_missing_records_and_bad_fields_are_refused_clearly() {
    let archive = TestArchive::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "create",
                "relation",
                "--set",
                "from=per_01m8nbb6cp304kg7mtkgv4kt91",
                "--set",
                "to=per_01m8nbb6cp304kg7mtkgv4kt92",
                "--set",
                "relation_type=relative",
            ],
            "which is not in the archive",
        ),
        (
            &[
                "create",
                "finding",
                "--set",
                "issue=x",
                "--set",
                "standard=more likely than not",
                "--set",
                "outcome=proved",
            ],
            "field standard",
        ),
        (&["create", "event", "--set", "date=2017"], "field event_type: is required"),
        (&["create", "claim", "--set", "text=x", "--set", "supporting=not-an-id"], "field supporting[0]"),
        (&["create", "witness", "--set", "name=x"], "is not a record kind"),
        (&["create", "person", "--set", r#"names=[{"name":"x"}"#], "not valid JSON"),
        (&["create", "person", "--set", "noequals"], "expected FIELD=VALUE"),
        (&["edit", "per_01m8nbb6cp304kg7mtkgv4kt91", "--set", "status=x", "--reason", "r"], "no record"),
    ];
    for (args, expected) in cases {
        let output = archive.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
    let (report, _) = archive.verify();
    assert_eq!(report["records"], 0);
    assert_eq!(report["log_size"], 0, "nothing half-written: {report:#}");
}

#[test]
fn a_changed_record_version_is_found_by_verify() {
    let archive = TestArchive::new();
    let source = archive.record(&["create", "source", "--set", "name=Hospital website", "--set", "reliability=B"]);
    archive.assert_verifies();
    let database = rusqlite::Connection::open(archive.dir.join("evident.db")).unwrap();
    database
        .execute("UPDATE record_version SET fields = replace(fields, '\"b\"', '\"a\"') WHERE id = ?1", [&source])
        .unwrap();
    drop(database);
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.starts_with(&format!("{source} v1")) && p.contains("digest")), "{problems:#?}");
    assert!(problems.iter().any(|p| p.starts_with(&source) && p.contains("latest version")), "{problems:#?}");
}
