//! Writing records: JSON Lines and GeoJSON exactly, CSV with a column per
//! known field and an `extra` column for whatever a cell cannot carry.

use std::io::{self, BufWriter, Write};

use evident_core::{FieldSpec, FieldType, RecordKind, UncertainDate, field_specs};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::delimited::is_missing_marker;
use crate::{ExportRecord, Format, FormatError, RECORD_MEMBERS};

/// Writes records in one format to one output. Call [`RecordWriter::finish`]
/// at the end: it completes the file (GeoJSON needs its closing brackets)
/// and reports whether the last bytes reached the output.
pub struct RecordWriter {
    target: Target,
    written: u64,
}

enum Target {
    Jsonl(BufWriter<Box<dyn Write>>),
    Csv {
        /// Boxed: the csv writer holds its own buffer state inline.
        writer: Box<csv::Writer<Box<dyn Write>>>,
        /// The field columns, between `retracted` and `extra`.
        columns: Vec<&'static str>,
    },
    GeoJson(BufWriter<Box<dyn Write>>),
}

impl RecordWriter {
    /// Starts a file. `kind` chooses the CSV columns: `id`, `kind`,
    /// `retracted`, the kind's known fields from [`field_specs`] in table
    /// order, then `extra` (a JSON object of any other fields); with `None`
    /// (records of all kinds), the union of all kinds' fields in
    /// [`RecordKind::ALL`] order. The CSV header is written at once, so a
    /// file with no records still names its columns. Other formats ignore
    /// `kind`.
    pub fn new(out: Box<dyn Write>, format: Format, kind: Option<RecordKind>) -> Result<RecordWriter, FormatError> {
        let target = match format {
            Format::Jsonl => Target::Jsonl(BufWriter::new(out)),
            Format::Csv => {
                let columns = csv_field_columns(kind);
                let mut writer = Box::new(csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out));
                let header = ["id", "kind", "retracted"].into_iter().chain(columns.iter().copied()).chain(["extra"]);
                writer.write_record(header).map_err(csv_error)?;
                Target::Csv { writer, columns }
            }
            Format::GeoJson => {
                let mut writer = BufWriter::new(out);
                writer.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[").map_err(write_error)?;
                Target::GeoJson(writer)
            }
        };
        Ok(RecordWriter { target, written: 0 })
    }

    /// Writes one record. Refuses a record with a field named `id`, `kind`
    /// or `retracted`, which would collide with the record's own.
    pub fn write(&mut self, record: &ExportRecord) -> Result<(), FormatError> {
        if let Some(field) = RECORD_MEMBERS.iter().find(|name| record.fields.contains_key(**name)) {
            return Err(FormatError::ReservedField { id: record.id.clone(), field: (*field).to_owned() });
        }
        match &mut self.target {
            Target::Jsonl(writer) => write_jsonl(writer, record).map_err(write_error)?,
            Target::Csv { writer, columns } => {
                writer.write_record(csv_row(columns, record)).map_err(csv_error)?;
            }
            Target::GeoJson(writer) => write_feature(writer, record, self.written == 0).map_err(write_error)?,
        }
        self.written += 1;
        Ok(())
    }

    /// Completes the file, flushes it and returns the number of records
    /// written.
    pub fn finish(self) -> Result<u64, FormatError> {
        match self.target {
            Target::Jsonl(mut writer) => writer.flush().map_err(write_error)?,
            Target::Csv { mut writer, .. } => writer.flush().map_err(write_error)?,
            Target::GeoJson(mut writer) => {
                writer.write_all(b"\n]}\n").and_then(|()| writer.flush()).map_err(write_error)?;
            }
        }
        Ok(self.written)
    }
}

fn write_error(source: io::Error) -> FormatError {
    FormatError::Io { action: "writing the file", source }
}

fn csv_error(error: csv::Error) -> FormatError {
    let text = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(source) => write_error(source),
        _ => write_error(io::Error::other(text)),
    }
}

fn json(writer: &mut impl Write, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
    serde_json::to_writer(writer, value).map_err(io::Error::from)
}

/// `"id":..,"kind":..(,"retracted":true)` and then the fields, skipping
/// those named in `skip`.
fn write_members(writer: &mut impl Write, record: &ExportRecord, skip: &[&str]) -> io::Result<()> {
    writer.write_all(b"\"id\":")?;
    json(writer, &record.id)?;
    writer.write_all(b",\"kind\":")?;
    json(writer, &record.kind)?;
    if record.retracted {
        writer.write_all(b",\"retracted\":true")?;
    }
    for (name, value) in &record.fields {
        if skip.contains(&name.as_str()) {
            continue;
        }
        writer.write_all(b",")?;
        json(writer, name)?;
        writer.write_all(b":")?;
        json(writer, value)?;
    }
    Ok(())
}

fn write_jsonl(writer: &mut impl Write, record: &ExportRecord) -> io::Result<()> {
    writer.write_all(b"{")?;
    write_members(writer, record, &[])?;
    writer.write_all(b"}\n")
}

fn write_feature(writer: &mut impl Write, record: &ExportRecord, first: bool) -> io::Result<()> {
    writer.write_all(if first { b"\n" } else { b",\n" })?;
    writer.write_all(b"{\"type\":\"Feature\",\"id\":")?;
    json(writer, &record.id)?;
    writer.write_all(b",\"geometry\":")?;
    let coordinate = |name: &str, limit: f64| {
        record.fields.get(name).filter(|value| value.as_f64().is_some_and(|number| (-limit..=limit).contains(&number)))
    };
    let skip: &[&str] = match (coordinate("lon", 180.0), coordinate("lat", 90.0)) {
        (Some(lon), Some(lat)) => {
            let mut coordinates = vec![lon, lat];
            if let Some(alt) = coordinate("alt", f64::INFINITY) {
                coordinates.push(alt);
            }
            writer.write_all(b"{\"type\":\"Point\",\"coordinates\":")?;
            json(writer, &coordinates)?;
            writer.write_all(b"}")?;
            if coordinates.len() == 3 { &["lon", "lat", "alt"] } else { &["lon", "lat"] }
        }
        _ => {
            writer.write_all(b"null")?;
            &[]
        }
    };
    writer.write_all(b",\"properties\":{")?;
    write_members(writer, record, skip)?;
    writer.write_all(b"}}")
}

/// The field columns for records of one kind, or of all kinds.
fn csv_field_columns(kind: Option<RecordKind>) -> Vec<&'static str> {
    let kinds: &[RecordKind] = match &kind {
        Some(kind) => std::slice::from_ref(kind),
        None => &RecordKind::ALL,
    };
    let mut columns: Vec<&'static str> = Vec::new();
    for spec in kinds.iter().flat_map(|kind| field_specs(*kind)) {
        if !columns.contains(&spec.name) && !["id", "kind", "retracted", "extra"].contains(&spec.name) {
            columns.push(spec.name);
        }
    }
    columns
}

fn csv_row(columns: &[&'static str], record: &ExportRecord) -> Vec<String> {
    let known: &[FieldSpec] = RecordKind::parse(&record.kind).map(field_specs).unwrap_or(&[]);
    let mut cells = vec![String::new(); columns.len()];
    let mut extra = Map::new();
    for (name, value) in &record.fields {
        let spec = known.iter().find(|spec| spec.name == name);
        let column = columns.iter().position(|column| column == name);
        match (spec, column) {
            (Some(spec), Some(index)) => match cell_text(spec.ty, value) {
                Some(text) => cells[index] = text,
                None => {
                    extra.insert(name.clone(), value.clone());
                }
            },
            _ => {
                extra.insert(name.clone(), value.clone());
            }
        }
    }
    let mut row = Vec::with_capacity(columns.len() + 4);
    row.push(record.id.clone());
    row.push(record.kind.clone());
    row.push(record.retracted.to_string());
    row.extend(cells);
    row.push(if extra.is_empty() { String::new() } else { Value::Object(extra).to_string() });
    row
}

/// The cell for a value of a known field, if a cell can carry it so that it
/// reads back as the same thing (numbers: as the same number once the
/// archive's validation has read the text).
fn cell_text(ty: FieldType, value: &Value) -> Option<String> {
    match value {
        Value::String(text) => reads_back_as_itself(text).then(|| text.clone()),
        Value::Number(number) => matches!(ty, FieldType::Number | FieldType::Integer).then(|| number.to_string()),
        Value::Array(_) | Value::Object(_) => {
            let date_text = match ty {
                FieldType::Date => date_as_text(value),
                _ => None,
            };
            Some(date_text.unwrap_or_else(|| value.to_string()))
        }
        Value::Bool(_) | Value::Null => None,
    }
}

/// Whether text in a cell is read back unchanged: the reader trims cells,
/// drops empty ones and missing-value markers, and reads cells starting
/// with `{` or `[` as JSON.
fn reads_back_as_itself(text: &str) -> bool {
    !text.is_empty() && text.trim() == text && !is_missing_marker(text) && !text.starts_with(['{', '['])
}

/// An uncertain date's text, when reading that text gives exactly this date.
fn date_as_text(value: &Value) -> Option<String> {
    let text = value.get("text")?.as_str()?;
    value.get("precision")?;
    let reread = serde_json::to_value(UncertainDate::parse(text).0).ok()?;
    (reread == *value && reads_back_as_itself(text)).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_the_kinds_fields_in_table_order() {
        assert_eq!(
            csv_field_columns(Some(RecordKind::Source)),
            ["name", "reliability", "affiliation", "url", "note", "sensitivity", "unsealed"]
        );
        let all = csv_field_columns(None);
        assert_eq!(&all[..3], ["title", "description", "item_type"]);
        assert_eq!(all.iter().filter(|c| **c == "note").count(), 1);
        assert_eq!(all.iter().filter(|c| **c == "date").count(), 1);
        // Every kind's every field has a column.
        for kind in RecordKind::ALL {
            for spec in field_specs(kind) {
                assert!(all.contains(&spec.name), "{kind}: {}", spec.name);
            }
        }
        // The first occurrence decides the place: source comes after item's fields.
        let position = |name| all.iter().position(|c| *c == name).unwrap();
        assert!(position("languages") < position("name"));
        assert!(position("name") < position("reliability"));
    }

    #[test]
    fn text_that_a_cell_would_change_is_recognised() {
        for text in ["plain", "a, b", "say \"hi\"", "two\nlines", "新疆", "12", "1,5", "n/a then more"] {
            assert!(reads_back_as_itself(text), "{text:?}");
        }
        for text in ["", " x", "x ", "x\n", "N/A", "-", "None", "{x}", "[sic] x", "\u{3000}x"] {
            assert!(!reads_back_as_itself(text), "{text:?}");
        }
    }

    #[test]
    fn dates_are_written_as_text_only_when_the_text_gives_them_back() {
        let parsed = |text: &str| serde_json::to_value(UncertainDate::parse(text).0).unwrap();
        assert_eq!(date_as_text(&parsed("June-July 2017")).as_deref(), Some("June-July 2017"));
        assert_eq!(date_as_text(&parsed("sometime")).as_deref(), Some("sometime"));
        assert_eq!(date_as_text(&parsed(" 2017 ")), None, "spaces would be trimmed");
        assert_eq!(date_as_text(&parsed("N/A")), None, "a missing-value marker");
        let corrected = serde_json::json!({"text": "spring 2017", "start": "2017-03-01", "end": "2017-05-31", "precision": "quarter"});
        assert_eq!(date_as_text(&corrected), None, "a date corrected by hand is not what its text says");
        assert_eq!(date_as_text(&serde_json::json!({"text": "2017"})), None, "not a date object");
    }
}
