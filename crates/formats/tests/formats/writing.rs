//! Writing, with the exact text of each format.

use std::io::BufReader;

use evident_core::{RecordKind, UncertainDate, validate_fields};
use evident_formats::{ExportRecord, Format, FormatError, ReadOptions, RecordWriter, read_records};
use serde_json::{Value, json};

use crate::{SharedBuffer, read, record, text, write};

fn date(text: &str) -> Value {
    serde_json::to_value(UncertainDate::parse(text).0).unwrap()
}

fn urumqi() -> ExportRecord {
    record(
        "fac_01",
        "facility",
        json!({
            "name_en": "Urumqi No. 3",
            "name_zh": "乌鲁木齐市第三看守所",
            "lat": 43.8256,
            "lon": 87.6168,
            "capacity": [{"measure": "beds", "value": 1000, "date": date("2018")}],
            "note": "beds, \"stated\"\nin 2018",
        }),
    )
}

#[test]
fn jsonl_puts_id_and_kind_first_and_retracted_only_when_true() {
    let mut retracted = record("src_02", "source", json!({"name": "RFA"}));
    retracted.retracted = true;
    let written = text(write(Format::Jsonl, None, &[urumqi(), retracted]));
    assert_eq!(
        written,
        concat!(
            r#"{"id":"fac_01","kind":"facility","capacity":[{"date":{"end":"2018-12-31","precision":"year","start":"2018-01-01","text":"2018"},"measure":"beds","value":1000}],"lat":43.8256,"lon":87.6168,"name_en":"Urumqi No. 3","name_zh":"乌鲁木齐市第三看守所","note":"beds, \"stated\"\nin 2018"}"#,
            "\n",
            r#"{"id":"src_02","kind":"source","retracted":true,"name":"RFA"}"#,
            "\n"
        )
    );
}

#[test]
fn csv_has_the_kinds_columns_and_extra() {
    let mut event = record(
        "evt_01",
        "event",
        json!({
            "event_type": "blood_test",
            "date": date("June-July 2017"),
            "place": " padded ",
            "description": {"en": "tested", "zh": "抽血"},
            "items": ["itm_1", "itm_2"],
            "witnessed": true,
            "count": 3,
        }),
    );
    event.retracted = true;
    let corrected = record(
        "evt_02",
        "event",
        json!({
            "event_type": "arrest",
            "date": {"text": "spring 2017", "start": "2017-03-01", "end": "2017-05-31", "precision": "quarter"},
            "place": "N/A",
            "facility": "[unknown]",
            "participants": [],
        }),
    );
    let written = text(write(Format::Csv, Some(RecordKind::Event), &[event, corrected]));
    assert_eq!(
        written,
        concat!(
            "id,kind,retracted,event_type,date,place,facility,participants,items,description,sensitivity,unsealed,extra\r\n",
            "evt_01,event,true,blood_test,June-July 2017,,,,\"[\"\"itm_1\"\",\"\"itm_2\"\"]\",",
            "\"{\"\"en\"\":\"\"tested\"\",\"\"zh\"\":\"\"抽血\"\"}\",,,",
            "\"{\"\"count\"\":3,\"\"place\"\":\"\" padded \"\",\"\"witnessed\"\":true}\"\r\n",
            "evt_02,event,false,arrest,",
            "\"{\"\"end\"\":\"\"2017-05-31\"\",\"\"precision\"\":\"\"quarter\"\",\"\"start\"\":\"\"2017-03-01\"\",\"\"text\"\":\"\"spring 2017\"\"}\"",
            ",,,[],,,,,\"{\"\"facility\"\":\"\"[unknown]\"\",\"\"place\"\":\"\"N/A\"\"}\"\r\n",
        )
    );
}

#[test]
fn csv_for_all_kinds_has_every_field_once_and_a_header_without_records() {
    let written = text(write(Format::Csv, None, &[]));
    let header: Vec<&str> = written.trim_end().split(',').collect();
    assert_eq!(&header[..6], ["id", "kind", "retracted", "title", "description", "item_type"]);
    assert_eq!(header.last(), Some(&"extra"));
    let mut unique = header.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), header.len(), "no column twice");
    for kind in RecordKind::ALL {
        for spec in evident_core::field_specs(kind) {
            assert!(header.contains(&spec.name), "{kind} {}", spec.name);
        }
    }
    assert!(written.ends_with("extra\r\n"));
    let one_kind = text(write(Format::Csv, Some(RecordKind::Source), &[]));
    assert_eq!(one_kind, "id,kind,retracted,name,reliability,affiliation,url,note,sensitivity,unsealed,extra\r\n");
}

#[test]
fn csv_puts_fields_another_kind_knows_into_extra() {
    // A claim's "lat" is not a claim field: in its facility column it would
    // come back as text and stay text.
    let claim = record("clm_01", "claim", json!({"text": "x", "value": 12, "lat": 41.5}));
    let written = text(write(Format::Csv, None, std::slice::from_ref(&claim)));
    let read = read(written, Format::Csv);
    let back = read.all_records()[0];
    assert_eq!(back.fields["lat"], json!(41.5));
    assert_eq!(back.fields["value"], json!("12"));
}

#[test]
fn geojson_makes_points_of_lat_and_lon() {
    let mut retracted = record("fac_02", "facility", json!({"lat": 95.0, "lon": 80, "name_en": "bad latitude"}));
    retracted.retracted = true;
    let with_altitude = record("fac_03", "facility", json!({"lat": 41, "lon": 80, "alt": 1105}));
    let written = text(write(Format::GeoJson, None, &[urumqi(), retracted, with_altitude]));
    assert_eq!(
        written,
        concat!(
            r#"{"type":"FeatureCollection","features":["#,
            "\n",
            r#"{"type":"Feature","id":"fac_01","geometry":{"type":"Point","coordinates":[87.6168,43.8256]},"properties":{"id":"fac_01","kind":"facility","capacity":[{"date":{"end":"2018-12-31","precision":"year","start":"2018-01-01","text":"2018"},"measure":"beds","value":1000}],"name_en":"Urumqi No. 3","name_zh":"乌鲁木齐市第三看守所","note":"beds, \"stated\"\nin 2018"}},"#,
            "\n",
            r#"{"type":"Feature","id":"fac_02","geometry":null,"properties":{"id":"fac_02","kind":"facility","retracted":true,"lat":95.0,"lon":80,"name_en":"bad latitude"}},"#,
            "\n",
            r#"{"type":"Feature","id":"fac_03","geometry":{"type":"Point","coordinates":[80,41,1105]},"properties":{"id":"fac_03","kind":"facility"}}"#,
            "\n]}\n"
        )
    );
    let parsed: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(parsed["features"].as_array().unwrap().len(), 3);
    assert_eq!(text(write(Format::GeoJson, None, &[])), "{\"type\":\"FeatureCollection\",\"features\":[\n]}\n");
}

#[test]
fn fields_named_like_the_record_itself_are_refused() {
    for format in [Format::Jsonl, Format::Csv, Format::GeoJson] {
        let mut writer = RecordWriter::new(Box::new(SharedBuffer::default()), format, None).unwrap();
        let error = writer.write(&record("src_1", "source", json!({"kind": "person"}))).unwrap_err();
        assert!(matches!(&error, FormatError::ReservedField { field, .. } if field == "kind"), "{error:?}");
        writer.write(&record("src_2", "source", json!({"name": "fine"}))).unwrap();
        assert_eq!(writer.finish().unwrap(), 1, "{format}");
    }
}

#[test]
fn files_written_to_disk_read_back() {
    let directory = tempfile::tempdir().unwrap();
    for format in [Format::Jsonl, Format::Csv, Format::GeoJson] {
        let path = directory.path().join(format!("records.{}", format.name()));
        assert_eq!(Format::from_path(&path), Some(format));
        let file = std::fs::File::create(&path).unwrap();
        let mut writer = RecordWriter::new(Box::new(file), format, Some(RecordKind::Facility)).unwrap();
        writer.write(&urumqi()).unwrap();
        assert_eq!(writer.finish().unwrap(), 1);
        let file = BufReader::new(std::fs::File::open(&path).unwrap());
        let records: Vec<_> = read_records(Box::new(file), format, ReadOptions::default()).unwrap().collect();
        let back = records[0].as_ref().unwrap();
        assert_eq!(back.id.as_deref(), Some("fac_01"), "{format}");
        assert_eq!(back.fields["name_zh"], "乌鲁木齐市第三看守所", "{format}");
        assert_eq!(back.fields["capacity"], urumqi().fields["capacity"], "{format}");
    }
}

/// What the archive does with a CSV round trip: its validation turns the
/// text of numbers and dates back into the same values.
#[test]
fn csv_round_trip_through_the_archives_validation_is_identical() {
    let records = [
        urumqi(),
        record("per_01", "person", json!({"names": [{"name": "Ablimit", "script": "Latn"}], "birth_year": 1975})),
        record("evt_01", "event", json!({"event_type": "arrest", "date": date("2017年6月至7月")})),
        record("clm_01", "claim", json!({"text": "wait times of 1–2 weeks", "value": 1.5, "period": date("mid-2016")})),
    ];
    let read = read(write(Format::Csv, None, &records), Format::Csv);
    for (original, back) in records.iter().zip(read.all_records()) {
        let kind = RecordKind::parse(&original.kind).unwrap();
        let expected = validate_fields(kind, &original.fields).unwrap().fields;
        let got = validate_fields(kind, &back.fields).unwrap().fields;
        assert_eq!(got, expected, "{}", original.id);
    }
    // Before validation, numbers in their columns are the JSON text of the number.
    assert_eq!(read.records()[0].fields["lat"], "43.8256");
    assert_eq!(read.records()[1].fields["birth_year"], "1975");
    assert_eq!(read.records()[2].fields["date"], "2017年6月至7月");
}
