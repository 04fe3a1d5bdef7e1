//! Property tests: records written and read back.
//!
//! JSON Lines and GeoJSON must give back exactly what was written. CSV gives
//! back every text, list and object exactly, but the numbers in number
//! columns as their text and the dates in date columns as theirs; the
//! comparison does to both sides what the archive's field validation does
//! to such text (reads it as a number, or as an uncertain date) and nothing
//! else, and checks separately that original text comes back untouched.

use evident_core::{FieldType, RecordKind, UncertainDate, field_specs};
use evident_formats::{ExportRecord, Format, RawRecord};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

use crate::{read, write};

const DATE_TEXTS: &[&str] = &[
    "June-July 2017",
    "2018年初",
    "before 2010",
    "2017-06-05",
    "Q3 2018",
    "sometime in the 90s",
    " 2016 ",
    "N/A",
    "[2017]",
    "",
    "2017年6月至7月",
];

/// Text as investigators' data has it: Chinese, Uyghur, separators, quotes,
/// line breaks, padding, and the values a spreadsheet reads as missing.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "[a-zA-Z0-9 ,;\"'\\n\\r\\t{}\\[\\]#/?.:-]{0,24}",
        1 => "[乌鲁木齐看守所新疆维吾尔自治区，。“”ئۇيغۇرتىلى ]{1,16}",
        2 => prop::sample::select(vec![
            "N/A", "#N/A", "n/a", "NA", "?", "-", "NULL", "null", "None", "#VALUE!", "#REF!", " padded ", "\ttab",
            "[sic] original", "{not json", "1,5", "12", "-3.25", "true", "", " ", "\"quoted\"", "a\r\nb", "line\n",
            "ئۇيغۇرچە، خەت", "中文，逗号", "=SUM(A1)", "\u{3000}全角空格",
        ])
        .prop_map(str::to_owned),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (-1000i64..1000).prop_map(Value::from),
        (-180.0f64..180.0).prop_map(Value::from),
    ]
}

fn date() -> impl Strategy<Value = Value> {
    prop::sample::select(DATE_TEXTS).prop_map(|text| serde_json::to_value(UncertainDate::parse(text).0).unwrap())
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => text().prop_map(Value::String),
        2 => number(),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
        1 => date(),
    ]
}

/// Mostly single values, as records have them, and sometimes lists and
/// objects nested up to three deep.
fn value() -> impl Strategy<Value = Value> {
    let nested = leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    });
    prop_oneof![4 => leaf(), 1 => nested]
}

/// Names the kind knows, names another kind knows, and names nobody knows.
fn field_name(kind: RecordKind) -> impl Strategy<Value = String> {
    let known: Vec<&'static str> = field_specs(kind).iter().map(|spec| spec.name).collect();
    let every: Vec<&'static str> = RecordKind::ALL.iter().flat_map(|k| field_specs(*k)).map(|s| s.name).collect();
    prop_oneof![
        3 => prop::sample::select(known).prop_map(str::to_owned),
        1 => prop::sample::select(every).prop_map(str::to_owned),
        1 => "[a-z][a-z_]{0,8}".prop_filter("not a record member", |name| {
            !["id", "kind", "retracted"].contains(&name.as_str())
        }),
        1 => Just("extra".to_owned()),
    ]
}

/// A value that suits the field: dates for date fields, numbers for number
/// fields, more often than not; anything at all otherwise.
fn field_value(kind: RecordKind, name: &str) -> BoxedStrategy<Value> {
    match field_type(kind, name) {
        Some(FieldType::Date) => prop_oneof![2 => date(), 1 => value()].boxed(),
        Some(FieldType::Number | FieldType::Integer) => prop_oneof![2 => number(), 1 => value()].boxed(),
        _ => value().boxed(),
    }
}

fn field_type(kind: RecordKind, name: &str) -> Option<FieldType> {
    field_specs(kind).iter().find(|spec| spec.name == name).map(|spec| spec.ty)
}

fn fields(kind: RecordKind) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(field_name(kind), 0..8)
        .prop_flat_map(move |names| {
            names
                .into_iter()
                .map(|name| field_value(kind, &name).prop_map(move |value| (name.clone(), value)))
                .collect::<Vec<_>>()
        })
        .prop_map(|pairs| pairs.into_iter().collect())
}

fn export_record() -> impl Strategy<Value = ExportRecord> {
    prop::sample::select(RecordKind::ALL.to_vec()).prop_flat_map(|kind| {
        ("[0-9a-z]{26}", any::<bool>(), fields(kind)).prop_map(move |(ulid, retracted, fields)| ExportRecord {
            id: format!("{}{ulid}", kind.prefix()),
            kind: kind.name().to_owned(),
            retracted,
            fields,
        })
    })
}

/// A facility on the map, sometimes with an altitude, sometimes with
/// coordinates that cannot be a Point.
fn facility_with_coordinates() -> impl Strategy<Value = ExportRecord> {
    let coordinate = |limit: f64| prop_oneof![4 => (-limit..=limit).prop_map(Value::from), 1 => number(), 1 => value()];
    (export_record(), coordinate(180.0), coordinate(90.0), prop::option::of(number())).prop_map(
        |(mut record, lon, lat, alt)| {
            record.kind = "facility".to_owned();
            record.fields.insert("lon".to_owned(), lon);
            record.fields.insert("lat".to_owned(), lat);
            if let Some(alt) = alt {
                record.fields.insert("alt".to_owned(), alt);
            }
            record
        },
    )
}

fn read_back(format: Format, kind: Option<RecordKind>, records: &[ExportRecord]) -> Vec<RawRecord> {
    let read = read(write(format, kind, records), format);
    assert_eq!(read.errors(), Vec::<String>::new(), "{format}");
    read.records().into_iter().cloned().collect()
}

fn check_exact(records: &[ExportRecord], back: &[RawRecord]) -> Result<(), TestCaseError> {
    prop_assert_eq!(back.len(), records.len());
    for (original, back) in records.iter().zip(back) {
        prop_assert_eq!(back.id.as_deref(), Some(original.id.as_str()));
        prop_assert_eq!(back.kind.as_deref(), Some(original.kind.as_str()));
        prop_assert_eq!(back.retracted, original.retracted);
        prop_assert_eq!(&back.fields, &original.fields);
    }
    Ok(())
}

/// What the archive's validation does to text in a known number or date
/// field, and nothing more: number text becomes the number that JSON text
/// means, date text becomes the uncertain date it reads as.
fn as_the_archive_reads_it(kind: &str, fields: &Map<String, Value>) -> Map<String, Value> {
    let kind = RecordKind::parse(kind).unwrap();
    let mut out = fields.clone();
    for (name, value) in out.iter_mut() {
        let Value::String(text) = value else { continue };
        match field_type(kind, name) {
            Some(FieldType::Number | FieldType::Integer) => {
                if let Ok(number) = serde_json::from_str::<Number>(text) {
                    *value = Value::Number(number);
                }
            }
            Some(FieldType::Date) => *value = serde_json::to_value(UncertainDate::parse(text).0).unwrap(),
            _ => {}
        }
    }
    out
}

fn check_csv(records: &[ExportRecord], back: &[RawRecord]) -> Result<(), TestCaseError> {
    prop_assert_eq!(back.len(), records.len());
    for (original, back) in records.iter().zip(back) {
        prop_assert_eq!(back.id.as_deref(), Some(original.id.as_str()));
        prop_assert_eq!(back.kind.as_deref(), Some(original.kind.as_str()));
        prop_assert_eq!(back.retracted, original.retracted);
        prop_assert_eq!(back.fields.keys().collect::<Vec<_>>(), original.fields.keys().collect::<Vec<_>>());
        for (name, value) in &original.fields {
            match value {
                // Text, true/false, null, lists and objects other than dates come back as they were.
                Value::String(_) | Value::Bool(_) | Value::Null => {
                    prop_assert_eq!(&back.fields[name], value, "{}", name)
                }
                // A number comes back as itself (in extra) or as its exact JSON text (in its column).
                Value::Number(number) => match &back.fields[name] {
                    Value::String(text) => prop_assert_eq!(text, &number.to_string(), "{}", name),
                    other => prop_assert_eq!(other, value, "{}", name),
                },
                Value::Array(_) | Value::Object(_) => {
                    if back.fields[name] != *value {
                        // Only a date in a date column may come back as its text.
                        let text = back.fields[name].as_str();
                        prop_assert_eq!(text, value.get("text").and_then(Value::as_str), "{}", name);
                    }
                }
            }
        }
        prop_assert_eq!(
            as_the_archive_reads_it(&original.kind, &back.fields),
            as_the_archive_reads_it(&original.kind, &original.fields)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_is_lossless(records in prop::collection::vec(export_record(), 0..6)) {
        check_exact(&records, &read_back(Format::Jsonl, None, &records))?;
    }

    #[test]
    fn geojson_is_lossless(records in prop::collection::vec(prop_oneof![facility_with_coordinates(), export_record()], 0..6)) {
        check_exact(&records, &read_back(Format::GeoJson, None, &records))?;
    }

    #[test]
    fn geojson_carries_valid_coordinates_in_the_geometry(record in facility_with_coordinates()) {
        let written: Value = serde_json::from_slice(&write(Format::GeoJson, None, std::slice::from_ref(&record))).unwrap();
        let feature = &written["features"][0];
        let in_range = |name: &str, limit: f64| record.fields[name].as_f64().is_some_and(|n| (-limit..=limit).contains(&n));
        if in_range("lon", 180.0) && in_range("lat", 90.0) {
            prop_assert_eq!(&feature["geometry"]["coordinates"][0], &record.fields["lon"]);
            prop_assert_eq!(&feature["geometry"]["coordinates"][1], &record.fields["lat"]);
            prop_assert!(feature["properties"].get("lat").is_none());
            match record.fields.get("alt").filter(|alt| alt.is_number()) {
                Some(alt) => prop_assert_eq!(&feature["geometry"]["coordinates"][2], alt),
                None => prop_assert!(feature["geometry"]["coordinates"].get(2).is_none()),
            }
        } else {
            prop_assert!(feature["geometry"].is_null());
            prop_assert_eq!(&feature["properties"]["lat"], &record.fields["lat"]);
        }
    }

    #[test]
    fn csv_of_all_kinds_keeps_everything_but_number_and_date_types(records in prop::collection::vec(export_record(), 0..6)) {
        check_csv(&records, &read_back(Format::Csv, None, &records))?;
    }

    #[test]
    fn csv_of_one_kind_keeps_everything_but_number_and_date_types(
        kind in prop::sample::select(RecordKind::ALL.to_vec()),
        records in prop::collection::vec(export_record(), 0..6),
    ) {
        // Records of other kinds go in the same file: their fields land in extra.
        check_csv(&records, &read_back(Format::Csv, Some(kind), &records))?;
    }
}
