//! Format names and file extensions.

use std::path::Path;

use evident_formats::{Format, FormatError};

#[test]
fn format_names_are_read_in_any_case_with_their_aliases() {
    for (name, format) in [
        ("jsonl", Format::Jsonl),
        ("JSONL", Format::Jsonl),
        ("ndjson", Format::Jsonl),
        ("JSON-Lines", Format::Jsonl),
        ("csv", Format::Csv),
        ("Csv", Format::Csv),
        ("geojson", Format::GeoJson),
        ("GeoJSON", Format::GeoJson),
    ] {
        assert_eq!(Format::parse(name).unwrap(), format, "{name}");
    }
    for format in [Format::Jsonl, Format::Csv, Format::GeoJson] {
        assert_eq!(Format::parse(format.name()).unwrap(), format);
        assert_eq!(format.to_string(), format.name());
    }
    assert_eq!([Format::Jsonl.name(), Format::Csv.name(), Format::GeoJson.name()], ["jsonl", "csv", "geojson"]);
    let error = Format::parse("xlsx").unwrap_err();
    assert!(matches!(&error, FormatError::UnknownFormat { name } if name == "xlsx"));
    assert_eq!(
        error.to_string(),
        "unknown format \"xlsx\"; the formats are jsonl (also ndjson, json-lines), csv and geojson"
    );
    assert!(Format::parse("json").is_err());
}

#[test]
fn extensions_that_say_the_format_clearly() {
    for (path, format) in [
        ("records.jsonl", Some(Format::Jsonl)),
        ("dir.v2/records.NDJSON", Some(Format::Jsonl)),
        ("facilities.csv", Some(Format::Csv)),
        ("facilities.tsv", Some(Format::Csv)),
        ("map.geojson", Some(Format::GeoJson)),
        ("map.json", None),
        ("notes.txt", None),
        ("csv", None),
        ("archive.csv.gz", None),
    ] {
        assert_eq!(Format::from_path(Path::new(path)), format, "{path}");
    }
}
