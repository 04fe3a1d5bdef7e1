//! Import, export and findings through the CLI: lossless round trips, messy
//! real-world files, all-or-nothing with line numbers.

use std::path::Path;

use serde_json::Value;

use crate::harness::*;

fn created(archive: &TestArchive, args: &[&str]) -> String {
    let output = archive.run(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output).split_whitespace().next().unwrap().to_owned()
}

fn export(archive: &TestArchive, kind: &str, format: &str) -> String {
    let output = archive.run(&["export", "--kind", kind, "--format", format]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

fn import(archive: &TestArchive, file: &Path, extra: &[&str]) -> (Value, i32) {
    let output = archive.command().arg("import").arg(file).arg("--json").args(extra).output().unwrap();
    let report = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (report, output.status.code().unwrap())
}

/// A small case file: sources, people, a facility, an event, a relation,
/// claims and a finding, one person retracted.
fn build_case(archive: &TestArchive) -> (String, String) {
    let item = archive.add_one(&archive.write_input("page.html", "<p>肾移植 等待时间 一到两周</p>".as_bytes()))["item"]
        .as_str()
        .unwrap()
        .to_owned();
    let source = created(archive, &["create", "source", "--set", "name=Hospital website", "--set", "reliability=C"]);
    let facility = created(
        archive,
        &[
            "create",
            "facility",
            "--set",
            "name_zh=某医院器官移植中心",
            "--set",
            "facility_type=transplant_centre",
            "--set",
            "lat=39.12",
            "--set",
            "lon=117.2",
            "--set",
            r#"cross_ids={"who":"CN-123"}"#,
        ],
    );
    let a = created(
        archive,
        &[
            "create",
            "person",
            "--set",
            r#"names=[{"name":"Ahmet","lang":"ug"},{"name":"艾合买提","script":"Hans"}]"#,
            "--set",
            "status=detained",
        ],
    );
    let b = created(archive, &["create", "person", "--set", r#"names=[{"name":"Li"}]"#]);
    let output = archive.run(&["retract", &b, "--reason", "duplicate"]);
    assert!(output.status.success());
    created(
        archive,
        &[
            "create",
            "event",
            "--set",
            "event_type=blood_test",
            "--set",
            "date=early 2018",
            "--set",
            &format!("facility={facility}"),
            "--set",
            &format!(r#"participants=[{{"record":"{a}","role":"detainee"}}]"#),
        ],
    );
    created(
        archive,
        &[
            "create",
            "relation",
            "--set",
            &format!("from={a}"),
            "--set",
            &format!("to={facility}"),
            "--set",
            "relation_type=held_at",
            "--set",
            "certainty=probable",
            "--set",
            "date=2017年6月至7月",
        ],
    );
    let claim = created(
        archive,
        &[
            "create",
            "claim",
            "--set",
            "text=Kidney waiting time of one to two weeks",
            "--set",
            "value=7",
            "--set",
            "unit=days",
            "--set",
            &format!("claimant={source}"),
            "--set",
            &format!("supporting={item}"),
        ],
    );
    let finding = created(
        archive,
        &[
            "create",
            "finding",
            "--set",
            "issue=Were organs available on demand?",
            "--set",
            "standard=beyond_reasonable_doubt",
            "--set",
            "outcome=proved",
            "--set",
            &format!("claims={claim}"),
        ],
    );
    (item, finding)
}

#[test]
fn a_whole_archive_dump_imports_into_a_new_archive_unchanged() {
    let first = TestArchive::new();
    let (item, _) = build_case(&first);
    let dump_text = export(&first, "all", "jsonl");
    // the item record is exported too once described; here it is not, so the
    // dump holds only records, which refer to the item: give the new archive the same file
    assert_eq!(dump_text.lines().count(), 8, "{dump_text}");
    for line in dump_text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        assert!(record["id"].is_string() && record["kind"].is_string(), "{line}");
    }
    let dump = first.temp.path().join("dump.jsonl");
    std::fs::write(&dump, &dump_text).unwrap();

    // (sharing the first's key-encryption key: the people's sealed names travel as ciphertext)
    let second = TestArchive::with_the_key_of(&first);
    // items keep their ids only within an archive; a claim citing an item of the first archive cannot resolve here
    let (report, code) = import(&second, &dump, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["committed"], false);
    assert!(report["problems"].to_string().contains(&item), "{report:#}");
    assert_eq!(second.verify().0["log_size"], 0, "all-or-nothing");

    // Without the item-citing claim and its finding, everything else round-trips exactly.
    let kept: Vec<&str> =
        dump_text.lines().filter(|l| !l.contains(&item) && !l.contains("\"kind\":\"finding\"")).collect();
    std::fs::write(&dump, kept.join("\n") + "\n").unwrap();
    let (report, code) = import(&second, &dump, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["imported"], 6);
    let again = export(&second, "all", "jsonl");
    assert_eq!(again, kept.join("\n") + "\n");
    second.assert_verifies();

    // Importing the same ids again is refused by id, naming the line.
    let (report, code) = import(&second, &dump, &[]);
    assert_eq!(code, 1);
    assert!(report["problems"][0]["message"].as_str().unwrap().contains("already in the archive"), "{report:#}");
}

#[test]
fn csv_and_geojson_exports_import_back_the_same_records() {
    let first = TestArchive::new();
    build_case(&first);
    for format in ["csv", "geojson", "jsonl"] {
        let text = export(&first, "facility", format);
        let path = first.temp.path().join(format!("facilities.{format}"));
        std::fs::write(&path, &text).unwrap();
        let second = TestArchive::new();
        let (report, code) = import(&second, &path, &[]);
        assert_eq!(code, 0, "{format}: {report:#}");
        assert_eq!(export(&second, "facility", "jsonl"), export(&first, "facility", "jsonl"), "{format}");
    }
    let people = export(&first, "person", "csv");
    let path = first.temp.path().join("people.csv");
    std::fs::write(&path, &people).unwrap();
    // sealed names travel as ciphertext: only an archive with the same key-encryption key takes them
    let second = TestArchive::with_the_key_of(&first);
    let (report, code) = import(&second, &path, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(export(&second, "person", "jsonl"), export(&first, "person", "jsonl"));
    let retracted: Vec<Value> = export(&second, "person", "jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r["retracted"] == true)
        .collect();
    assert_eq!(retracted.len(), 1);
}

#[test]
fn messy_csv_is_read_and_what_was_done_is_said() {
    let archive = TestArchive::new();
    // semicolons, decimal commas, #N/A and ?, trailing spaces, GB18030 Chinese
    let text = "kind;name_zh;name_en;lat;lon;province\n\
                facility;天津市第一中心医院 ;Tianjin First Central ;39,1;117,2;天津\n\
                facility;上海长征医院;#N/A;31,2;121,4;?\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let path = archive.input("hospitals.csv");
    std::fs::write(&path, &bytes).unwrap();
    let (report, code) = import(&archive, &path, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["imported"], 2);
    assert_eq!(report["encoding"], "GB18030");
    assert_eq!(report["separator"], ";");
    let notes = report["notes"].to_string();
    assert!(notes.contains("decimal comma"), "{notes}");
    assert!(notes.contains("#N/A") && notes.contains("?"), "{notes}");
    let exported = export(&archive, "facility", "jsonl");
    assert!(exported.contains("\"name_zh\":\"天津市第一中心医院\""), "{exported}");
    assert!(exported.contains("\"lat\":39.1"), "{exported}");
    assert!(!exported.contains("N/A") && !exported.contains("\"province\":\"?\""), "{exported}");

    // UTF-16 with a BOM, and UTF-8 with a BOM
    for (name, bytes) in [
        (
            "utf16.csv",
            [
                &[0xFF, 0xFE][..],
                &"kind,name_en\nsource,Minghui\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect::<Vec<_>>(),
            ]
            .concat(),
        ),
        ("bom.csv", [&[0xEF, 0xBB, 0xBF][..], "kind,name\nsource,明慧网\n".as_bytes()].concat()),
    ] {
        let path = archive.input(name);
        std::fs::write(&path, bytes).unwrap();
        let (report, code) = import(&archive, &path, &["--skip-bad"]);
        assert!(
            report["encoding"].as_str().unwrap().contains(if name == "bom.csv" { "UTF-8" } else { "UTF-16" }),
            "{report:#}"
        );
        if name == "bom.csv" {
            assert_eq!(code, 0, "{report:#}");
        } else {
            // a source needs a name; name_en is not one of its fields
            assert_eq!(code, 1, "{report:#}");
            assert_eq!(report["problems"][0]["field"], "name", "{report:#}");
            assert_eq!(report["problems"][0]["at"], "line 2", "{report:#}");
        }
    }
}

#[test]
fn bad_rows_are_named_by_line_and_nothing_is_half_imported() {
    let archive = TestArchive::new();
    let person = "per_01m8nc7ppa0ab4phx04gx7dp93";
    let lines = [
        format!(r#"{{"kind":"person","id":"{person}","names":[{{"name":"A"}}]}}"#),
        r#"{"kind":"person","names":[{"name":"B"}],"status":"missing"}"#.to_owned(),
        "{not json".to_owned(),
        r#"{"kind":"event","event_type":"arrest","date":"the day after the festival"}"#.to_owned(),
        format!(
            r#"{{"kind":"relation","from":"{person}","to":"per_01m8nc7ppa0ab4phx04gx7dp94","relation_type":"sibling"}}"#
        ),
        r#"{"kind":"facility","lat":"north"}"#.to_owned(),
        format!(r#"{{"kind":"relation","from":"{person}","to":"{person}","relation_type":"self"}}"#),
    ];
    let path = archive.write_input("people.jsonl", (lines.join("\n") + "\n").as_bytes());
    let (report, code) = import(&archive, &path, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["committed"], false);
    let problems: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {} {}", p["at"], p["field"], p["message"]))
        .collect();
    assert!(problems.iter().any(|p| p.contains("line 2") && p.contains("status")), "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("line 3")), "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("line 5") && p.contains("to")), "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("line 6") && p.contains("lat")), "{problems:#?}");
    assert!(
        !problems.iter().any(|p| p.contains("line 1") || p.contains("line 4") || p.contains("line 7")),
        "{problems:#?}"
    );
    assert_eq!(archive.verify().0["log_size"], 0);

    let (report, code) = import(&archive, &path, &["--skip-bad"]);
    assert_eq!(code, 1, "problems are still reported");
    assert_eq!(report["committed"], true);
    assert_eq!(report["imported"], 3);
    assert!(report["notes"].to_string().contains("not a date"), "{report:#}");
    let (verified, _) = archive.verify();
    assert_eq!(verified["records"], 3);
    assert_eq!(verified["ok"], true);
}

#[test]
fn geojson_features_other_than_points_are_refused_by_number() {
    let archive = TestArchive::new();
    let path = archive.write_input(
        "facilities.geojson",
        br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[117.2,39.1]},"properties":{"name_en":"A","beds":500}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"name_en":"B"}}
        ]}"#,
    );
    let (report, code) = import(&archive, &path, &[]);
    assert_eq!(code, 1);
    assert!(report["problems"][0]["at"].as_str().unwrap() == "feature 2", "{report:#}");
    assert!(report["problems"][0]["message"].as_str().unwrap().contains("Polygon"), "{report:#}");
    let (report, code) = import(&archive, &path, &["--skip-bad"]);
    assert_eq!(code, 1);
    assert_eq!(report["imported"], 1);
    let exported = export(&archive, "facility", "jsonl");
    assert!(
        exported.contains("\"beds\":500") && exported.contains("\"lat\":39.1"),
        "unknown properties are kept: {exported}"
    );
}

#[test]
fn the_findings_table_shows_issues_standards_outcomes_claims_and_items() {
    let archive = TestArchive::new();
    let (item, finding) = build_case(&archive);
    let md = stdout(&archive.run(&["findings"]));
    assert!(md.starts_with("| issue | standard of proof | outcome |"), "{md}");
    assert!(md.contains("| Were organs available on demand? | beyond reasonable doubt | proved |"), "{md}");
    assert!(md.contains("Kidney waiting time of one to two weeks [7 days]"), "{md}");
    assert!(md.contains(&item), "{md}");
    let json: Value = serde_json::from_str(&stdout(&archive.run(&["findings", "--format", "json"]))).unwrap();
    assert_eq!(json[0]["id"], finding.as_str());
    assert_eq!(json[0]["claims"][0]["supporting"][0], item.as_str());
    let csv = stdout(&archive.run(&["findings", "--format", "csv"]));
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with(&finding));
}

#[test]
fn a_huge_line_is_a_bad_row_with_its_number_and_the_rest_still_reads() {
    let archive = TestArchive::new();
    let huge = format!(r#"{{"kind":"source","name":"{}"}}"#, "x".repeat(17 << 20));
    let text =
        format!("{}\n{huge}\n{}\n", r#"{"kind":"source","name":"before"}"#, r#"{"kind":"source","name":"after"}"#);
    let path = archive.write_input("huge.jsonl", text.as_bytes());
    let (report, code) = import(&archive, &path, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["committed"], false);
    assert_eq!(report["problems"].as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(report["problems"][0]["at"], "line 2");
    let (report, code) = import(&archive, &path, &["--skip-bad"]);
    assert_eq!(code, 1);
    assert_eq!(report["imported"], 2);
}
