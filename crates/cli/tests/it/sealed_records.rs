//! Sealed record fields (witness protection): a person's names, aliases,
//! home town and the like are sealed by default, found nowhere on disk, in
//! the index, the log, searches or exports, come back with the key
//! (`show --reveal`), keep their boxes across edits that do not change
//! them, and travel in exports as ciphertext that only an archive with the
//! same key-encryption key can import.

use std::path::PathBuf;

use serde_json::Value;

use crate::harness::*;

/// Unique canaries: Latin, Chinese, Uyghur (Arabic script), and a home town.
const CANARY_LATIN: &str = "Canary-Rz8kPersonaVelmiro-5521";
const CANARY_CHINESE: &str = "金丝雀证人古丽娜尔九号";
const CANARY_UYGHUR: &str = "كانارىيە شاھىت مەرىيەمگۈل";
const CANARY_TOWN: &str = "Hometown-Qw3Xalqiyar-7730";
const CANARIES: [&str; 4] = [CANARY_LATIN, CANARY_CHINESE, CANARY_UYGHUR, CANARY_TOWN];
/// A surgeon named in public documents: left open on purpose.
const SURGEON: &str = "Surgeon-Openname-Zhvirdo";

fn ok(output: &std::process::Output) -> String {
    assert!(output.status.success(), "{}{}", stdout(output), stderr(output));
    stdout(output)
}

fn created(archive: &TestArchive, args: &[&str]) -> String {
    ok(&archive.run(args)).split_whitespace().next().unwrap().to_owned()
}

fn names_json() -> String {
    format!(
        r#"names=[{{"name":"{CANARY_LATIN}","lang":"en"}},{{"name":"{CANARY_CHINESE}","script":"Hans"}},{{"name":"{CANARY_UYGHUR}","lang":"ug"}}]"#
    )
}

/// An archive with a witness (canary names, alias, home town, birth date)
/// and a surgeon whose names are left open.
fn archive_with_witness() -> (TestArchive, String, String) {
    let archive = TestArchive::new();
    let witness = created(
        &archive,
        &[
            "create",
            "person",
            "--set",
            &names_json(),
            "--set",
            &format!("aliases={CANARY_LATIN} junior"),
            "--set",
            &format!("home_town={CANARY_TOWN}"),
            "--set",
            "birth_date=1981",
            "--set",
            "status=detained",
            "--set",
            "note=tested twice in detention",
        ],
    );
    let surgeon = created(
        &archive,
        &[
            "create",
            "person",
            "--set",
            &format!(r#"names=[{{"name":"{SURGEON}"}}]"#),
            "--set",
            r#"unsealed=["names"]"#,
            "--set",
            "group=transplant surgeons",
        ],
    );
    (archive, witness, surgeon)
}

fn export_jsonl(archive: &TestArchive, extra: &[&str]) -> String {
    let mut args = vec!["export", "--kind", "person", "--format", "jsonl"];
    args.extend_from_slice(extra);
    ok(&archive.run(&args))
}

fn exported(archive: &TestArchive, id: &str) -> Value {
    export_jsonl(archive, &[])
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|record| record["id"] == id)
        .unwrap_or_else(|| panic!("{id} not exported"))
}

fn show_json(archive: &TestArchive, args: &[&str]) -> Value {
    let mut all = vec!["show", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(&archive.run(&all))).unwrap()
}

#[test]
fn a_witness_s_names_are_nowhere_on_disk_in_search_or_export_but_come_back_with_the_key() {
    let (archive, witness, surgeon) = archive_with_witness();
    // the hits and facets of a search (its answer echoes the query, which is the searcher's own)
    let search = |query: &str| {
        let answer: Value = serde_json::from_str(&ok(&archive.run(&["search", "--json", query]))).unwrap();
        format!("{} {}", answer["hits"], answer["facets"])
    };
    for canary in CANARIES {
        let found = search(canary);
        assert!(!found.contains(&witness), "a sealed name finds nothing: {canary}: {found}");
        for other in CANARIES {
            assert!(!found.contains(other), "{found}");
        }
    }
    let found = search("detention");
    assert!(found.contains(&witness), "open fields are still found: {found}");
    assert!(found.contains("[sealed]"), "the title of a record with sealed names is the placeholder: {found}");
    assert!(search(SURGEON).contains(&surgeon), "a name left open on purpose is found");
    ok(&archive.run(&["reindex"]));

    let export = export_jsonl(&archive, &[]);
    let all_export = ok(&archive.run(&["export"]));
    for canary in CANARIES {
        assert_eq!(files_holding(&archive.dir, canary.as_bytes()), Vec::<PathBuf>::new(), "canary {canary}");
        assert!(!export.contains(canary) && !all_export.contains(canary), "canary {canary} in the export");
    }
    assert!(export.contains(SURGEON));

    // Shown without --reveal: placeholders; with it: the names, and an audit event.
    let shown = ok(&archive.run(&["show", &witness]));
    assert!(shown.contains("names: [sealed]") && shown.contains("home_town: [sealed]"), "{shown}");
    assert!(shown.contains("status: detained"), "{shown}");
    assert!(CANARIES.iter().all(|canary| !shown.contains(canary)), "{shown}");
    let json = show_json(&archive, &[&witness]);
    assert_eq!(json["fields"]["names"], serde_json::json!({"sealed": true}));
    let revealed = ok(&archive.run(&["show", &witness, "--reveal"]));
    for canary in CANARIES {
        assert!(revealed.contains(canary), "{canary} in {revealed}");
    }
    let revealed = show_json(&archive, &[&witness, "--reveal"]);
    assert_eq!(revealed["fields"]["names"][1]["name"], CANARY_CHINESE);
    assert_eq!(revealed["fields"]["birth_date"]["start"], "1981-01-01");
    let trail = ok(&archive.run(&["audit", "--json"]));
    assert!(trail.contains("reveal") && trail.contains(&witness), "{trail}");

    // --reveal exports plaintext, with a warning.
    let output = archive.run(&["export", "--kind", "person", "--reveal"]);
    assert!(stdout(&output).contains(CANARY_UYGHUR) && stderr(&output).contains("plaintext"), "{}", stderr(&output));
    archive.assert_verifies();
}

#[test]
fn edits_keep_unchanged_boxes_and_reseal_changed_values() {
    let (archive, witness, _) = archive_with_witness();
    let first = exported(&archive, &witness);
    let names_box = first["names"]["sealed"].as_str().unwrap().to_owned();
    assert!(first["sealed_key"].is_string(), "the export carries the record's wrapped key: {first}");
    assert_eq!(first["status"], "detained", "ordinary fields stay open");

    ok(&archive.run(&["edit", &witness, "--set", "status=released", "--reason", "released in 2019"]));
    assert_eq!(exported(&archive, &witness)["names"]["sealed"], names_box.as_str(), "an unrelated edit");
    ok(&archive.run(&["edit", &witness, "--set", &names_json(), "--reason", "same names typed again"]));
    assert_eq!(exported(&archive, &witness)["names"]["sealed"], names_box.as_str(), "the same value keeps its box");
    ok(&archive.run(&["edit", &witness, "--set", r#"names={"sealed":true}"#, "--reason", "a form sent back"]));
    assert_eq!(exported(&archive, &witness)["names"]["sealed"], names_box.as_str(), "the placeholder changes nothing");

    ok(&archive.run(&["edit", &witness, "--set", r#"names=[{"name":"Renamed Witness"}]"#, "--reason", "new name"]));
    let after = exported(&archive, &witness);
    assert_ne!(after["names"]["sealed"], names_box.as_str(), "a new value is sealed anew");
    let revealed = show_json(&archive, &[&witness, "--reveal"]);
    assert_eq!(revealed["fields"]["names"][0]["name"], "Renamed Witness");

    // A box given by a caller is refused: only the archive makes them.
    let boxed = format!(r#"names={{"sealed":"{names_box}"}}"#);
    let output = archive.run(&["edit", &witness, "--set", &boxed, "--reason", "copied"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains("sealed box"), "{}", stderr(&output));

    // History shows placeholders for the sealed fields of every version.
    let history = show_json(&archive, &[&witness, "--history"]);
    let versions = history["history"].as_array().unwrap();
    assert_eq!(versions.len(), 5);
    assert!(versions.iter().all(|v| v["fields"]["names"] == serde_json::json!({"sealed": true})), "{history}");

    // Leaving the names open on purpose opens them in the next version.
    ok(&archive.run(&["edit", &witness, "--set", r#"unsealed=["names"]"#, "--reason", "named in court"]));
    let open = exported(&archive, &witness);
    assert_eq!(open["names"][0]["name"], "Renamed Witness", "{open}");
    assert!(open["home_town"]["sealed"].is_string(), "other identifying fields stay sealed: {open}");

    archive.assert_verifies();
    // verify without the key still checks every version's digest (it covers the boxes)
    std::fs::rename(archive.temp.path().join("archive.keys"), archive.temp.path().join("elsewhere")).unwrap();
    archive.assert_verifies();
}

#[test]
fn a_stolen_archive_without_its_key_reads_no_sealed_field_and_writes_none_in_plaintext() {
    let (archive, witness, _) = archive_with_witness();
    let stolen_place = tempfile::tempdir().unwrap();
    let stolen = stolen_place.path().join("stolen");
    assert!(std::process::Command::new("cp").arg("-a").arg(&archive.dir).arg(&stolen).status().unwrap().success());
    let thief = |args: &[&str]| evident_command().env("EVIDENT_ARCHIVE", &stolen).args(args).output().unwrap();

    let shown = ok(&thief(&["show", &witness]));
    assert!(shown.contains("[sealed]") && CANARIES.iter().all(|c| !shown.contains(c)), "{shown}");
    let output = thief(&["show", &witness, "--reveal"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("key-encryption key"), "{}", stderr(&output));
    assert!(CANARIES.iter().all(|c| !stdout(&output).contains(c)));

    // A new person cannot be written without the key: a clear error, nothing stored.
    let output = thief(&["create", "person", "--set", r#"names=[{"name":"Another Canary Qj4"}]"#]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("key-encryption key") && message.contains("--kek-file"), "{message}");
    assert!(!message.contains("Another Canary Qj4"), "errors never echo sealed values: {message}");
    assert_eq!(files_holding(&stolen, b"Another Canary Qj4"), Vec::<PathBuf>::new());
    // ...but an edit of an open field needs no key, and keeps the boxes.
    ok(&thief(&["edit", &witness, "--set", "note=corrected", "--reason", "typo"]));

    let output = thief(&["verify", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn an_export_reimports_into_an_archive_with_the_same_key_and_is_refused_by_another() {
    let (archive, witness, surgeon) = archive_with_witness();
    let dump = archive.temp.path().join("people.jsonl");
    std::fs::write(&dump, export_jsonl(&archive, &[])).unwrap();

    // An archive that shares the KEK: its seal.json and key file are the first's.
    let twin = TestArchive::with_the_key_of(&archive);
    let output = twin.command().arg("import").arg(&dump).arg("--json").output().unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    assert_eq!(export_jsonl(&twin, &[]), export_jsonl(&archive, &[]), "the dump round-trips byte for byte");
    let revealed = show_json(&twin, &[&witness, "--reveal"]);
    assert_eq!(revealed["fields"]["names"][2]["name"], CANARY_UYGHUR);
    assert!(ok(&twin.run(&["search", SURGEON])).contains(&surgeon));
    for canary in CANARIES {
        assert_eq!(files_holding(&twin.dir, canary.as_bytes()), Vec::<PathBuf>::new(), "canary {canary}");
    }
    twin.assert_verifies();

    // An archive with another KEK refuses, naming the record; nothing lands.
    let stranger = TestArchive::new();
    let output = stranger.command().arg("import").arg(&dump).arg("--json").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}{}", stdout(&output), stderr(&output));
    let report = stdout(&output);
    assert!(report.contains(&witness) && report.contains("key-encryption key"), "{report}");
    assert!(export_jsonl(&stranger, &[]).is_empty());

    // A revealed dump imports anywhere, sealed again under the new key.
    let plain = archive.temp.path().join("people-revealed.jsonl");
    std::fs::write(&plain, export_jsonl(&archive, &["--reveal"])).unwrap();
    let output = stranger.command().arg("import").arg(&plain).arg("--json").output().unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    assert_eq!(export_jsonl(&stranger, &["--reveal"]), export_jsonl(&archive, &["--reveal"]));
    for canary in CANARIES {
        assert_eq!(files_holding(&stranger.dir, canary.as_bytes()), Vec::<PathBuf>::new(), "canary {canary}");
    }
}
