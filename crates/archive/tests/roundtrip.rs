//! Property: records exported from one archive and imported into another
//! come out the same, in every format that can carry them.

use std::path::Path;

use evident_archive::{Archive, Format, ImportConfig, InitConfig};
use proptest::prelude::*;
use serde_json::{Value, json};

fn new_archive(dir: &Path) -> Archive {
    Archive::init(dir, &InitConfig { origin: "roundtrip.example/log".to_owned(), key_file: None }).unwrap();
    Archive::open(dir, None).unwrap()
}

fn export(archive: &Archive, format: Format) -> Vec<u8> {
    let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    archive.export(None, format, Box::new(Shared(buffer.clone()))).unwrap();
    buffer.lock().unwrap().clone()
}

fn config() -> ImportConfig {
    ImportConfig { kind: None, skip_bad: false, actor: "tester".to_owned(), reason: "round trip".to_owned() }
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z ,.'-]{0,20}",
        "[\u{4e00}-\u{9fa5}]{1,6}",
        "[\u{0626}-\u{064a}]{2,10}",
        "[a-z]{1,8}(\"|;|\n)[a-z]{1,8}",
    ]
}

fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2016".to_owned()),
        Just("June-July 2017".to_owned()),
        Just("2018年初".to_owned()),
        Just("Q3 2018".to_owned()),
        Just("before 2010".to_owned()),
        Just("sometime after the festival".to_owned()),
        (1990u32..2025, 1u32..13).prop_map(|(y, m)| format!("{y}-{m:02}")),
    ]
}

prop_compose! {
    fn case()(
        people in proptest::collection::vec((name(), proptest::option::of(name()), 0usize..5, proptest::option::of(1930i64..2010)), 1..6),
        events in proptest::collection::vec((0usize..6, date(), proptest::option::of(-90.0f64..90.0)), 0..5),
        retract in proptest::option::of(0usize..6),
    ) -> Vec<Value> {
        let statuses = ["detained", "released", "disappeared", "deceased", "unknown"];
        let kinds = ["arrest", "detention", "blood_test", "ultrasound", "x_ray", "transfer"];
        let mut rows = Vec::new();
        for (i, (primary, alias, status, birth)) in people.iter().enumerate() {
            let mut row = json!({"kind": "person", "id": format!("per_0000000000000000000000{i:04}"), "names": [{"name": primary, "lang": "und"}], "status": statuses[*status]});
            if let Some(alias) = alias { row["aliases"] = json!([alias]); }
            if let Some(birth) = birth { row["birth_year"] = json!(birth); }
            if retract == Some(i) { row["retracted"] = json!(true); }
            rows.push(row);
        }
        for (i, (kind, date, value)) in events.iter().enumerate() {
            let person = format!("per_0000000000000000000000{:04}", i % people.len());
            let mut row = json!({"kind": "event", "id": format!("evt_0000000000000000000000{i:04}"), "event_type": kinds[*kind], "date": date, "participants": [{"record": person, "role": "detainee"}]});
            if let Some(value) = value { row["note_value"] = json!(value); }
            rows.push(row);
        }
        rows
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn export_then_import_gives_the_same_records(rows in case()) {
        let temp = tempfile::tempdir().unwrap();
        let input = temp.path().join("input.jsonl");
        std::fs::write(&input, rows.iter().map(|r| r.to_string() + "\n").collect::<String>()).unwrap();
        let mut first = new_archive(&temp.path().join("first"));
        let report = first.import(&input, None, &config()).unwrap();
        prop_assert!(report.committed, "{:?}", report.problems);
        prop_assert_eq!(report.imported, rows.len() as u64);
        let reference = export(&first, Format::Jsonl);

        for (n, format) in [Format::Jsonl, Format::Csv].into_iter().enumerate() {
            let file = temp.path().join(format!("export-{n}.{}", format.name()));
            std::fs::write(&file, export(&first, format)).unwrap();
            let mut second = new_archive(&temp.path().join(format!("second-{n}")));
            let report = second.import(&file, Some(format), &config()).unwrap();
            prop_assert!(report.committed, "{}: {:?}", format.name(), report.problems);
            let again = export(&second, Format::Jsonl);
            prop_assert_eq!(String::from_utf8_lossy(&again), String::from_utf8_lossy(&reference), "through {}", format.name());
            let mut problems = Vec::new();
            let verified = second.verify(None, &mut |p| problems.push(p.clone())).unwrap();
            prop_assert!(verified.ok(), "{:?}", problems);
        }
    }
}
