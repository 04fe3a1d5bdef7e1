//! Integration tests through the public API: one binary, a small harness
//! here, a module per format and one for the round trips.

mod csv_reading;
mod encoding;
mod geojson;
mod jsonl;
mod names;
mod round_trip;
mod writing;

use std::cell::RefCell;
use std::io::{self, Cursor, Write};
use std::rc::Rc;

use evident_formats::{
    ExportRecord, Format, FormatError, RawRecord, ReadOptions, ReadReport, RecordKind, RecordWriter, RowError,
    read_records,
};
use serde_json::{Map, Value};

/// Everything a read produced: rows in order (records and errors) and the report.
pub struct Read {
    pub rows: Vec<Result<RawRecord, RowError>>,
    pub report: ReadReport,
}

impl Read {
    pub fn records(&self) -> Vec<&RawRecord> {
        self.rows.iter().filter_map(|row| row.as_ref().ok()).collect()
    }

    /// The errors as displayed.
    pub fn errors(&self) -> Vec<String> {
        self.rows.iter().filter_map(|row| row.as_ref().err()).map(|error| error.to_string()).collect()
    }

    /// The records, failing the test if any row is an error.
    pub fn all_records(&self) -> Vec<&RawRecord> {
        assert_eq!(self.errors(), Vec::<String>::new(), "unexpected row errors");
        self.records()
    }

    pub fn note(&self, what: &str) -> u64 {
        self.report.notes.get(what).copied().unwrap_or(0)
    }
}

pub fn read_with(bytes: impl Into<Vec<u8>>, format: Format, options: ReadOptions) -> Read {
    let mut reader = read_records(Box::new(Cursor::new(bytes.into())), format, options).expect("the file opens");
    let rows: Vec<_> = reader.by_ref().collect();
    Read { rows, report: reader.report().clone() }
}

pub fn read(bytes: impl Into<Vec<u8>>, format: Format) -> Read {
    read_with(bytes, format, ReadOptions::default())
}

/// The error for a file that cannot be opened at all.
pub fn open_error(bytes: impl Into<Vec<u8>>, format: Format) -> FormatError {
    match read_records(Box::new(Cursor::new(bytes.into())), format, ReadOptions::default()) {
        Ok(_) => panic!("the file opened"),
        Err(error) => error,
    }
}

/// An output the test can look at after the writer (which owns a `Box<dyn
/// Write>`) is done with it.
#[derive(Clone, Default)]
pub struct SharedBuffer(Rc<RefCell<Vec<u8>>>);

impl SharedBuffer {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes the records and returns the file's bytes.
pub fn write(format: Format, kind: Option<RecordKind>, records: &[ExportRecord]) -> Vec<u8> {
    let buffer = SharedBuffer::default();
    let mut writer = RecordWriter::new(Box::new(buffer.clone()), format, kind).expect("the writer starts");
    for record in records {
        writer.write(record).expect("the record is written");
    }
    assert_eq!(writer.finish().expect("the file is finished"), records.len() as u64);
    buffer.bytes()
}

pub fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("written files are UTF-8")
}

pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

pub fn record(id: &str, kind: &str, fields: Value) -> ExportRecord {
    ExportRecord { id: id.to_owned(), kind: kind.to_owned(), retracted: false, fields: object(fields) }
}

/// A record as the reader gives it.
pub fn raw(line: u64, kind: Option<&str>, id: Option<&str>, fields: Value) -> RawRecord {
    RawRecord {
        line,
        kind: kind.map(str::to_owned),
        id: id.map(str::to_owned),
        retracted: false,
        fields: object(fields),
    }
}
