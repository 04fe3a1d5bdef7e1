//! JSON Lines reading.

use evident_formats::{Format, ReadOptions, RowError};
use serde_json::json;

use crate::{raw, read, read_with};

#[test]
fn kind_id_and_retracted_are_taken_out_and_the_rest_are_fields() {
    let text = "{\"id\":\"per_1\",\"kind\":\"person\",\"retracted\":true,\"names\":[{\"name\":\"Ablimit\"}],\"birth_year\":1975}\n";
    let read = read(text, Format::Jsonl);
    let mut expected =
        raw(1, Some("person"), Some("per_1"), json!({"names": [{"name": "Ablimit"}], "birth_year": 1975}));
    expected.retracted = true;
    assert_eq!(read.all_records(), [&expected]);
    assert_eq!(read.report.encoding, "UTF-8");
    assert_eq!(read.report.separator, None);
}

#[test]
fn rows_without_a_kind_take_the_default() {
    let text = "{\"name\":\"a\"}\n{\"kind\":\"source\",\"name\":\"b\"}\n{\"kind\":null,\"name\":\"c\"}\n";
    let options = ReadOptions { kind: Some("source".to_owned()), ..ReadOptions::default() };
    let kinds: Vec<_> = read_with(text, Format::Jsonl, options).all_records().iter().map(|r| r.kind.clone()).collect();
    assert_eq!(kinds, vec![Some("source".to_owned()); 3]);
    let kinds: Vec<_> = read(text, Format::Jsonl).all_records().iter().map(|r| r.kind.clone()).collect();
    assert_eq!(kinds, [None, Some("source".to_owned()), None]);
}

#[test]
fn blank_lines_are_skipped_but_counted_and_crlf_is_read() {
    let text = "\r\n{\"note\":\"a\"}\r\n   \r\n\t{\"note\":\"b\"}  \r\n{\"note\":\"c\"}";
    let lines: Vec<_> =
        read(text, Format::Jsonl).all_records().iter().map(|r| (r.line, r.fields["note"].clone())).collect();
    assert_eq!(lines, [(2, json!("a")), (4, json!("b")), (5, json!("c"))]);
}

#[test]
fn malformed_lines_are_errors_with_their_numbers_and_reading_goes_on() {
    let text = [
        r#"{"id":"src_1","name":"ok"}"#,
        r#"{"id":"src_2","name":"no end""#,
        r#"["a","list"]"#,
        r#"42"#,
        r#"{"kind":5}"#,
        r#"{"retracted":"yes"}"#,
        r#"{"id":["src_3"]}"#,
        r#"{"a":1} {"b":2}"#,
        r#"{"id":"src_4","name":"still read"}"#,
    ]
    .join("\n");
    let read = read(text, Format::Jsonl);
    assert_eq!(
        read.errors(),
        [
            "line 2: not valid JSON: EOF while parsing an object (at column 29)",
            "line 3: expected a JSON object, found a list",
            "line 4: expected a JSON object, found a number",
            "line 5, field kind: expected text, found a number",
            "line 6, field retracted: expected true or false, found text",
            "line 7, field id: expected text, found a list",
            "line 8: not valid JSON: trailing characters (at column 9)",
        ]
    );
    let ids: Vec<_> = read.records().iter().map(|r| (r.line, r.id.clone().unwrap())).collect();
    assert_eq!(ids, [(1, "src_1".to_owned()), (9, "src_4".to_owned())]);
    let error: &RowError = read.rows[1].as_ref().unwrap_err();
    assert_eq!((error.line, error.field.as_deref(), error.unit), (2, None, "line"));
}

#[test]
fn a_line_over_the_limit_is_an_error_and_the_next_line_reads() {
    let long = format!("{{\"note\":\"{}\"}}", "x".repeat(500));
    let text = format!("{{\"note\":\"first\"}}\n{long}\n{{\"note\":\"after\"}}\n");
    let options = ReadOptions { max_line_bytes: 100, ..ReadOptions::default() };
    let read = read_with(text, Format::Jsonl, options);
    assert_eq!(
        read.errors(),
        ["line 2: the line is 511 bytes long, longer than the limit of 100 bytes; it was skipped"]
    );
    let notes: Vec<_> = read.records().iter().map(|r| (r.line, r.fields["note"].clone())).collect();
    assert_eq!(notes, [(1, json!("first")), (3, json!("after"))]);
}

#[test]
fn big_and_precise_numbers_are_read_exactly() {
    let text = r#"{"a":18446744073709551615,"b":-9223372036854775808,"c":0.1,"d":1.7976931348623157e308,"e":5e-324,"f":2.2250738585072014e-308}"#;
    let read = read(text, Format::Jsonl);
    let fields = &read.all_records()[0].fields;
    assert_eq!(fields["a"].as_u64(), Some(u64::MAX));
    assert_eq!(fields["b"].as_i64(), Some(i64::MIN));
    assert_eq!(fields["c"].as_f64(), Some(0.1));
    assert_eq!(fields["d"].as_f64(), Some(f64::MAX));
    assert_eq!(fields["e"].as_f64(), Some(5e-324));
    assert_eq!(fields["f"].as_f64(), Some(f64::MIN_POSITIVE));
}
