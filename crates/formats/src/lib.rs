//! Evidence-model records read from and written to JSON Lines, CSV and
//! GeoJSON, with the messiness of real files handled explicitly.
//!
//! Investigators keep lists of facilities, people and events in
//! spreadsheets, export them from other tools, or draw them on maps. This
//! crate turns such files into [`RawRecord`]s (a kind, an id, a retracted
//! flag and a JSON object of fields, not yet validated) and writes the
//! archive's records back out as [`ExportRecord`]s. It checks nothing about
//! the evidence model beyond what a file format itself says: field types,
//! choices, dates and references are the job of
//! [`evident_core::validate_fields`], which the archive runs on every record
//! read here.
//!
//! Reading never stops at a bad row. [`read_records`] fails only when the
//! file as a whole is unusable ([`FormatError`]: an unknown encoding, a CSV
//! file without a usable header, a JSON file that is not a GeoJSON
//! FeatureCollection). Every other problem is a [`RowError`] naming the line
//! (or GeoJSON feature) and, where there is one, the field, and the
//! [`RecordReader`] goes on with the next row; the caller decides whether one
//! bad row refuses the whole import. Whatever the reader changed on the way
//! (trimmed spaces, `#N/A` read as missing, decimal commas) is counted in the
//! [`ReadReport`], so an import report can say it plainly.
//!
//! ```
//! use evident_formats::{ExportRecord, Format, ReadOptions, RecordWriter, read_records};
//!
//! // A semicolon file from a European Excel: decimal commas and #N/A.
//! let file = "id;name_en;lat;lon\r\nfac_1;Aksu;41,17;#N/A\r\n";
//! let mut reader = read_records(Box::new(file.as_bytes()), Format::Csv, ReadOptions::default())?;
//! let record = reader.next().unwrap()?;
//! assert_eq!(record.fields["lat"], "41.17");
//! assert!(!record.fields.contains_key("lon"));
//! assert_eq!(reader.report().notes["decimal comma read as a decimal point"], 1);
//!
//! let mut writer = RecordWriter::new(Box::new(std::io::sink()), Format::Jsonl, None)?;
//! writer.write(&ExportRecord {
//!     id: record.id.unwrap(),
//!     kind: "facility".to_owned(),
//!     retracted: false,
//!     fields: record.fields,
//! })?;
//! assert_eq!(writer.finish()?, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Encodings
//!
//! A byte-order mark decides: UTF-8 (the mark is dropped), UTF-16LE or
//! UTF-16BE. Without one, the first 64 KiB decide: UTF-8 if they are valid
//! UTF-8, else GB18030 if they decode cleanly as GB18030 (Chinese files saved
//! by Excel or WPS on a Chinese Windows are GBK, which GB18030 contains), else
//! the file is refused. Decoding streams; bytes that are invalid further into
//! the file make a [`RowError`] for their line, not for the file. Files whose
//! first 64 KiB are plain ASCII are read as UTF-8, so GB18030 text that starts
//! only after them shows up as such row errors.
//!
//! # JSON Lines
//!
//! One JSON object per line; blank lines are skipped (but counted, so line
//! numbers are those an editor shows). The members `kind` and `id` (text) and
//! `retracted` (true/false) are taken out of the object; everything else is a
//! field. Written records start with `id` and `kind`, carry
//! `"retracted": true` only when it is true, and then the fields in name
//! order.
//!
//! # CSV
//!
//! The first non-blank row is the header. The separator is whichever of `,`,
//! `;` and tab splits the header into the most columns (commas win ties), so
//! semicolon files from a European Excel and tab-separated files read without
//! being told. Cells may be quoted as in RFC 4180, including line breaks
//! inside quotes.
//!
//! Columns named `kind`, `id`, `retracted` and `extra` (any case) are special:
//! `retracted` takes true/false, 1/0 or yes/no (empty is false), and `extra`
//! holds a JSON object whose members are merged into the fields. Every other
//! column is a field. Each cell is trimmed; an empty cell, or one holding only
//! a missing-value marker (`#N/A`, `N/A`, `n/a`, `NA`, `?`, `-`, `NULL`,
//! `null`, `None`, `#VALUE!`, `#REF!`), leaves its field out; a cell starting
//! with `{` or `[` is read as JSON; with `;` as the separator, a number written
//! with a decimal comma (`1,5`, `-12,25`, `1.234,5`) is rewritten with a
//! decimal point (`"1.5"`); everything else is text, and the archive's field
//! validation turns text into numbers and dates where the field table says
//! so. A row with another number of cells than the header is an error, unless
//! all its cells are empty (spreadsheets leave such rows at the end), in which
//! case it is skipped and counted.
//!
//! Written CSV has the columns `id`, `kind`, `retracted`, then the known
//! fields of the kind given to [`RecordWriter::new`] in field-table order (or,
//! for all kinds, the union of every kind's fields in [`RecordKind::ALL`]
//! order, each name once), then `extra`. Separator `,`, RFC 4180 quoting,
//! CRLF line ends, no byte-order mark. A value goes in its own column only
//! when the field is one the record's kind knows and the cell reads back as
//! the same thing; otherwise it goes, as JSON, into `extra`. In detail:
//!
//! - text goes in its column unless it would not read back as itself: empty,
//!   with spaces or line breaks at either end, a missing-value marker, or
//!   starting with `{` or `[`;
//! - numbers go in their column, as JSON text, only for number and whole-number
//!   fields;
//! - lists and objects go in their column as compact JSON, except that an
//!   uncertain date in a date field is written as its text when
//!   [`evident_core::UncertainDate::parse`] of that text gives back exactly the
//!   same date (and the text reads back as itself);
//! - true/false and null always go into `extra`.
//!
//! `id` and `kind` are written as given; the reader trims them, which the
//! archive's ids and kind names never need.
//!
//! # GeoJSON
//!
//! Reading takes a FeatureCollection (parsed whole, at most 1 GiB). Each
//! feature's properties are its fields, with `kind`, `id` and `retracted`
//! taken out as for JSON Lines; the feature's own `id` is used when the
//! properties have none (and must agree when both are given). A Point
//! geometry gives the fields `lon` and `lat` (and `alt` from a third
//! coordinate), checked to lie within -180..180 and -90..90; a null geometry
//! gives none; any other geometry is an error for that feature. A feature
//! without a kind is read as [`ReadOptions::kind`], or as a facility.
//!
//! Writing streams a FeatureCollection. A record whose `lat` and `lon` are
//! numbers within range gets a Point geometry made of them (and of a numeric
//! `alt`), and they leave the properties; any other record gets a null
//! geometry. The properties are `id`, `kind`, `retracted` (only when true) and
//! the fields; the feature's `id` is the record id too.
//!
//! # What each format preserves
//!
//! - **JSON Lines** is lossless: id, kind, retracted and every field's JSON
//!   value come back exactly, numbers included (integers as integers, floats
//!   bit for bit). Only the order of fields is not kept; it is not part of the
//!   model.
//! - **GeoJSON** is lossless in the same way. Numeric `lat`/`lon`/`alt` travel
//!   in the geometry and come back as the same numbers; out-of-range or
//!   non-numeric ones stay in the properties.
//! - **CSV** keeps id, kind, retracted, all text, lists and objects exactly
//!   (the `extra` column carries whatever a cell cannot). It does not keep,
//!   by itself:
//!   - the type of numbers in number columns: `12` and `41.5` come back as the
//!     text `"12"` and `"41.5"`, exactly the JSON text of the number, which the
//!     archive's validation turns back into a number for number fields
//!     (whole-number fields exactly; number fields, as `validate_fields`
//!     reads them today, as a float, so `12` becomes `12.0` while `41.5`
//!     stays `41.5`);
//!   - uncertain dates written as their text: they come back as that text,
//!     from which the archive's validation makes the identical date again;
//!   - field order.
//!
//!   Files from elsewhere lose what the reading rules above take away: spaces
//!   around values, values equal to a missing-value marker, decimal commas,
//!   and the difference between an empty cell and no cell.

mod decode;
mod delimited;
mod geojson;
mod jsonl;
mod write;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

pub use evident_core::RecordKind;
pub use write::RecordWriter;

/// The file formats records are read from and written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines (also called NDJSON): one JSON object per line.
    Jsonl,
    /// Comma-, semicolon- or tab-separated values with a header row.
    Csv,
    /// A GeoJSON (RFC 7946) FeatureCollection of Point features.
    GeoJson,
}

impl Format {
    /// Reads a format name as a user types it: `jsonl` (or `ndjson`,
    /// `json-lines`), `csv` or `geojson`, in any case.
    pub fn parse(name: &str) -> Result<Format, FormatError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json-lines" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "geojson" => Ok(Format::GeoJson),
            _ => Err(FormatError::UnknownFormat { name: name.to_owned() }),
        }
    }

    /// The format a file name's extension says, if it says one clearly:
    /// `.jsonl`, `.ndjson`, `.csv`, `.tsv` and `.geojson`. A plain `.json`
    /// file could be anything, so it gives `None`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" | "tsv" => Some(Format::Csv),
            "geojson" => Some(Format::GeoJson),
            _ => None,
        }
    }

    /// The canonical name: `jsonl`, `csv` or `geojson`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One record as read from a file, before validation.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRecord {
    /// Where the record starts, counting from 1: the line (for CSV, the first
    /// line of the data row; the header is line 1), or for GeoJSON the
    /// feature's position in the collection.
    pub line: u64,
    /// The record kind as the file gives it (not yet checked), or the
    /// default from [`ReadOptions::kind`] when the row gives none.
    pub kind: Option<String>,
    /// The record id as the file gives it (not yet checked).
    pub id: Option<String>,
    pub retracted: bool,
    /// Every other value of the row, keyed by field name.
    pub fields: Map<String, Value>,
}

/// A row that cannot be read. The reader goes on with the next row.
///
/// Displayed as `line 12, field lat: not a number`, `line 12: ...`, or for
/// GeoJSON `feature 3: ...`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{unit} {line}{}: {message}", .field.as_ref().map(|f| format!(", field {f}")).unwrap_or_default())]
pub struct RowError {
    /// The line (or feature) number, counting from 1.
    pub line: u64,
    /// The field (column) at fault, when the problem is in one.
    pub field: Option<String>,
    pub message: String,
    /// `"line"`, or `"feature"` for GeoJSON.
    pub unit: &'static str,
}

impl RowError {
    fn line(line: u64, message: impl Into<String>) -> RowError {
        RowError { line, field: None, message: message.into(), unit: "line" }
    }

    fn line_field(line: u64, field: &str, message: impl Into<String>) -> RowError {
        RowError { line, field: Some(field.to_owned()), message: message.into(), unit: "line" }
    }
}

/// The file as a whole is unusable, or writing failed.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("unknown format {name:?}; the formats are jsonl (also ndjson, json-lines), csv and geojson")]
    UnknownFormat { name: String },
    #[error("the file is not UTF-8, UTF-16 or GB18030 ({detail}); save it as UTF-8 and import it again")]
    Encoding { detail: String },
    #[error("the CSV header is unusable: {detail}")]
    Header { detail: String },
    #[error("the file is not a GeoJSON FeatureCollection: {detail}")]
    NotFeatureCollection { detail: String },
    #[error(
        "the GeoJSON file is larger than {limit} bytes, the most read at once; split it, or convert it to JSON Lines, which is read as a stream"
    )]
    TooLarge { limit: u64 },
    #[error("record {id:?} has a field named {field:?}, which the record itself carries; rename the field")]
    ReservedField { id: String, field: String },
    #[error("{action} failed: {source}")]
    Io {
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// How to read a file.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The kind of rows that give none (no `kind` column or member). For
    /// GeoJSON, `None` means facility.
    pub kind: Option<String>,
    /// The longest line read; a longer one is a [`RowError`] and is skipped
    /// without being held in memory. Default 16 MiB.
    pub max_line_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions { kind: None, max_line_bytes: 16 * 1024 * 1024 }
    }
}

/// What the reader did to the data, said plainly, for the import report.
#[derive(Clone, Debug, Default)]
pub struct ReadReport {
    /// `"UTF-8"`, `"UTF-8 with BOM"`, `"UTF-16LE"`, `"UTF-16BE"` or `"GB18030"`.
    pub encoding: &'static str,
    /// The CSV separator found in the header; `None` for other formats.
    pub separator: Option<char>,
    /// What was changed, and how often: `value "#N/A" read as missing` -> 3,
    /// `decimal comma read as a decimal point` -> 12, `spaces trimmed` -> 40.
    pub notes: BTreeMap<String, u64>,
}

impl ReadReport {
    fn note(&mut self, what: &str) {
        match self.notes.get_mut(what) {
            Some(count) => *count += 1,
            None => {
                self.notes.insert(what.to_owned(), 1);
            }
        }
    }
}

/// Reads records one row at a time: an iterator of [`RawRecord`]s and
/// [`RowError`]s in file order. JSON Lines and CSV are streamed; GeoJSON is
/// parsed whole.
pub struct RecordReader {
    rows: Rows,
    report: ReadReport,
}

enum Rows {
    Jsonl(jsonl::JsonlRows),
    Csv(delimited::CsvRows),
    GeoJson(geojson::GeoJsonRows),
}

impl RecordReader {
    /// What the reader has done so far; complete once the iterator is done.
    pub fn report(&self) -> &ReadReport {
        &self.report
    }
}

impl Iterator for RecordReader {
    type Item = Result<RawRecord, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.rows {
            Rows::Jsonl(rows) => rows.next_record(&mut self.report),
            Rows::Csv(rows) => rows.next_record(&mut self.report),
            Rows::GeoJson(rows) => rows.next_record(&mut self.report),
        }
    }
}

/// Opens a file of records. Fails only when the file as a whole cannot be
/// read (see [`FormatError`]); problems with single rows come from the
/// iterator.
pub fn read_records(reader: Box<dyn Read>, format: Format, options: ReadOptions) -> Result<RecordReader, FormatError> {
    let text = decode::TextSource::open(reader)?;
    let mut report = ReadReport { encoding: text.encoding_name(), ..ReadReport::default() };
    let rows = match format {
        Format::Jsonl => Rows::Jsonl(jsonl::JsonlRows::new(text, options)),
        Format::Csv => Rows::Csv(delimited::CsvRows::open(text, options, &mut report)?),
        Format::GeoJson => Rows::GeoJson(geojson::GeoJsonRows::open(text, options, geojson::MAX_GEOJSON_BYTES)?),
    };
    Ok(RecordReader { rows, report })
}

/// A record to write: the archive's current state of one record.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRecord {
    pub id: String,
    pub kind: String,
    pub retracted: bool,
    pub fields: Map<String, Value>,
}

/// The record members that are not fields: taken out of JSON objects when
/// reading, and refused as field names when writing.
const RECORD_MEMBERS: [&str; 3] = ["id", "kind", "retracted"];

/// Takes `kind`, `id` and `retracted` out of a JSON object (a JSON Lines line
/// or GeoJSON properties). Null counts as absent.
fn take_record_members(
    object: &mut Map<String, Value>,
    error: impl Fn(&str, String) -> RowError,
) -> Result<(Option<String>, Option<String>, bool), RowError> {
    let mut text = |name: &str| match object.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(error(name, format!("expected text, found {}", json_type(&other)))),
    };
    let kind = text("kind")?;
    let id = text("id")?;
    let retracted = match object.remove("retracted") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(other) => return Err(error("retracted", format!("expected true or false, found {}", json_type(&other)))),
    };
    Ok((kind, id, retracted))
}

use evident_core::json_type_name as json_type;

/// serde_json's message without its " at line 1 column 5" suffix, with the
/// column said in our words (the line number is ours).
fn json_error_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) if error.column() > 0 => format!("not valid JSON: {message} (at column {})", error.column()),
        Some(message) => format!("not valid JSON: {message}"),
        None => format!("not valid JSON: {text}"),
    }
}
