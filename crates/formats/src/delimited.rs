//! Reading CSV (and semicolon- and tab-separated) files as spreadsheets
//! write them.
//!
//! The rows are cut by hand rather than by the `csv` crate's reader so that
//! every row knows the line it starts on, a line over the limit or with bad
//! bytes can be refused by itself, and a quoted cell that is never closed
//! costs at most `max_line_bytes` before the reader moves on.

use std::io;

use serde_json::{Map, Value};

use crate::decode::{LineReader, TextSource};
use crate::{FormatError, RawRecord, ReadOptions, ReadReport, RowError, json_error_message, json_type};

/// Cell values that mean "no value" in the spreadsheets and statistics
/// packages investigators use.
pub(crate) const MISSING_MARKERS: [&str; 11] =
    ["#N/A", "N/A", "n/a", "NA", "?", "-", "NULL", "null", "None", "#VALUE!", "#REF!"];

/// The separators tried on the header, in the order that breaks ties.
const SEPARATORS: [char; 3] = [',', ';', '\t'];

pub(crate) fn is_missing_marker(text: &str) -> bool {
    MISSING_MARKERS.contains(&text)
}

#[derive(Debug, PartialEq, Eq)]
enum Column {
    Kind,
    Id,
    Retracted,
    /// A JSON object of further fields.
    Extra,
    Field(String),
}

pub(crate) struct CsvRows {
    lines: LineReader,
    separator: char,
    columns: Vec<Column>,
    default_kind: Option<String>,
}

impl CsvRows {
    /// Reads the header, finding the separator on the way.
    pub(crate) fn open(
        source: TextSource,
        options: ReadOptions,
        report: &mut ReadReport,
    ) -> Result<CsvRows, FormatError> {
        let mut lines = LineReader::new(source, options.max_line_bytes);
        let (header, separator) = match read_row(&mut lines, None) {
            None => {
                return Err(FormatError::Header {
                    detail: "the file is empty; a CSV file starts with a header row naming its columns".to_owned(),
                });
            }
            Some(Err(RowFailure::Io(source))) => return Err(FormatError::Io { action: "reading the file", source }),
            Some(Err(RowFailure::Row(error))) => return Err(FormatError::Header { detail: error.to_string() }),
            Some(Ok(row)) => row,
        };
        let columns = columns_from_header(header.cells)?;
        report.separator = Some(separator);
        Ok(CsvRows { lines, separator, columns, default_kind: options.kind })
    }

    pub(crate) fn next_record(&mut self, report: &mut ReadReport) -> Option<Result<RawRecord, RowError>> {
        loop {
            let row = match read_row(&mut self.lines, Some(self.separator))? {
                Ok((row, _)) => row,
                Err(RowFailure::Row(error)) => return Some(Err(error)),
                Err(RowFailure::Io(error)) => {
                    let line = self.lines.next_number();
                    return Some(Err(RowError::line(line, format!("reading failed: {error}"))));
                }
            };
            match self.record(row, report) {
                Ok(Some(record)) => return Some(Ok(record)),
                Ok(None) => continue,
                Err(error) => return Some(Err(error)),
            }
        }
    }

    /// The record of a row, or `None` for a row of empty cells.
    fn record(&self, row: Row, report: &mut ReadReport) -> Result<Option<RawRecord>, RowError> {
        let number = row.number;
        if row.cells.iter().all(|cell| cell.trim().is_empty()) {
            report.note("row of empty cells skipped");
            return Ok(None);
        }
        if row.cells.len() != self.columns.len() {
            return Err(RowError::line(
                number,
                format!("expected {} cells, found {}", self.columns.len(), row.cells.len()),
            ));
        }
        let mut record = RawRecord { line: number, kind: None, id: None, retracted: false, fields: Map::new() };
        let mut extra = Map::new();
        for (column, cell) in self.columns.iter().zip(row.cells) {
            let Some(text) = clean_cell(&cell, report) else {
                continue;
            };
            match column {
                Column::Kind => record.kind = Some(text),
                Column::Id => record.id = Some(text),
                Column::Retracted => {
                    record.retracted = parse_flag(&text).ok_or_else(|| {
                        RowError::line_field(number, "retracted", format!("{text:?} is not true/false, 1/0 or yes/no"))
                    })?;
                }
                Column::Extra => {
                    extra = match serde_json::from_str(&text) {
                        Ok(Value::Object(map)) => map,
                        Ok(other) => {
                            return Err(RowError::line_field(
                                number,
                                "extra",
                                format!("expected a JSON object of more fields, found {}", json_type(&other)),
                            ));
                        }
                        Err(error) => return Err(RowError::line_field(number, "extra", json_error_message(&error))),
                    };
                }
                Column::Field(name) => {
                    let value = self.cell_value(name, text, number, report)?;
                    record.fields.insert(name.clone(), value);
                }
            }
        }
        for (name, value) in extra {
            if record.fields.contains_key(&name) {
                return Err(RowError::line_field(number, &name, "is given both in its own column and in extra"));
            }
            record.fields.insert(name, value);
        }
        if record.kind.is_none() {
            record.kind = self.default_kind.clone();
        }
        Ok(Some(record))
    }

    fn cell_value(&self, name: &str, text: String, number: u64, report: &mut ReadReport) -> Result<Value, RowError> {
        if text.starts_with('{') || text.starts_with('[') {
            return serde_json::from_str(&text)
                .map_err(|error| RowError::line_field(number, name, json_error_message(&error)));
        }
        if self.separator == ';'
            && let Some(rewritten) = decimal_comma_number(&text)
        {
            report.note("decimal comma read as a decimal point");
            return Ok(Value::String(rewritten));
        }
        Ok(Value::String(text))
    }
}

/// Trims a cell; `None` for an empty cell or a missing-value marker.
fn clean_cell(cell: &str, report: &mut ReadReport) -> Option<String> {
    let trimmed = cell.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.len() != cell.len() {
        report.note("spaces trimmed");
    }
    if let Some(marker) = MISSING_MARKERS.iter().find(|marker| **marker == trimmed) {
        report.note(&format!("value {marker:?} read as missing"));
        return None;
    }
    Some(trimmed.to_owned())
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// `1,5` -> `1.5`, `-12,25` -> `-12.25`, `1.234,5` -> `1234.5`; `None` for
/// anything else, including `1.234` (a thousand, or one point two three
/// four?) and `1,234,5`.
pub(crate) fn decimal_comma_number(text: &str) -> Option<String> {
    let (sign, unsigned) = match text.as_bytes().first() {
        Some(b'-') | Some(b'+') => text.split_at(1),
        _ => ("", text),
    };
    let (whole, fraction) = unsigned.split_once(',')?;
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(fraction) {
        return None;
    }
    let whole = if whole.contains('.') {
        let mut groups = whole.split('.');
        let first = groups.next()?;
        if !all_digits(first) || first.len() > 3 {
            return None;
        }
        let mut digits = first.to_owned();
        for group in groups {
            if !all_digits(group) || group.len() != 3 {
                return None;
            }
            digits.push_str(group);
        }
        digits
    } else if all_digits(whole) {
        whole.to_owned()
    } else {
        return None;
    };
    Some(format!("{sign}{whole}.{fraction}"))
}

fn columns_from_header(names: Vec<String>) -> Result<Vec<Column>, FormatError> {
    let mut columns: Vec<Column> = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let name = name.trim();
        if name.is_empty() {
            return Err(FormatError::Header {
                detail: format!("column {} has no name; every column needs one", index + 1),
            });
        }
        let column = match name.to_lowercase().as_str() {
            "kind" => Column::Kind,
            "id" => Column::Id,
            "retracted" => Column::Retracted,
            "extra" => Column::Extra,
            _ => Column::Field(name.to_owned()),
        };
        if let Some(earlier) = columns.iter().position(|c| *c == column) {
            return Err(FormatError::Header {
                detail: format!("column {name:?} appears twice (columns {} and {})", earlier + 1, index + 1),
            });
        }
        columns.push(column);
    }
    Ok(columns)
}

struct Row {
    /// The line the row starts on.
    number: u64,
    cells: Vec<String>,
}

enum RowFailure {
    Row(RowError),
    Io(io::Error),
}

/// The next non-blank row, joining lines while a quoted cell is open. With no
/// separator given, the one that splits the first line into the most cells
/// is used (and returned).
fn read_row(lines: &mut LineReader, separator: Option<char>) -> Option<Result<(Row, char), RowFailure>> {
    let max_line_bytes = lines.max_line_bytes();
    let encoding = lines.encoding_name();
    let first = loop {
        match lines.next_line()? {
            Err(error) => return Some(Err(RowFailure::Io(error))),
            Ok(line) => {
                if let Some(problem) = line.problem {
                    let message = problem.message(max_line_bytes, encoding);
                    return Some(Err(RowFailure::Row(RowError::line(line.number, message))));
                }
                if !line.text.trim().is_empty() {
                    break line;
                }
            }
        }
    };
    let separator = separator.unwrap_or_else(|| sniff_separator(&first.text));
    let mut parser = CellParser::new(separator);
    parser.feed(&first.text);
    let mut length = first.text.len();
    let mut terminator = first.terminator;
    while parser.in_quotes() {
        let line = match lines.next_line() {
            None => {
                let message = "a quoted cell opened on this line is not closed before the end of the file";
                return Some(Err(RowFailure::Row(RowError::line(first.number, message))));
            }
            Some(Err(error)) => return Some(Err(RowFailure::Io(error))),
            Some(Ok(line)) => line,
        };
        if let Some(problem) = line.problem {
            let message = format!(
                "{}, inside a quoted cell opened on line {}",
                problem.message(max_line_bytes, encoding),
                first.number
            );
            return Some(Err(RowFailure::Row(RowError::line(line.number, message))));
        }
        length += terminator.len() + line.text.len();
        if length > max_line_bytes {
            let message = format!(
                "the row is longer than the limit of {max_line_bytes} bytes; is a quoted cell opened on this line left unclosed?"
            );
            return Some(Err(RowFailure::Row(RowError::line(first.number, message))));
        }
        parser.line_break(terminator);
        parser.feed(&line.text);
        terminator = line.terminator;
    }
    Some(Ok((Row { number: first.number, cells: parser.finish() }, separator)))
}

fn sniff_separator(header: &str) -> char {
    let mut best = (SEPARATORS[0], 0);
    for separator in SEPARATORS {
        let mut parser = CellParser::new(separator);
        parser.feed(header);
        let cells = parser.finish().len();
        if cells > best.1 {
            best = (separator, cells);
        }
    }
    best.0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CellState {
    /// At the start of a cell; only spaces seen.
    Start,
    Unquoted,
    Quoted,
    /// Just after a quote inside a quoted cell: either the cell's end or the
    /// first half of `""`.
    AfterQuote,
}

/// Splits a row into cells as RFC 4180 says, leniently: spaces before an
/// opening quote are ignored, and text after a closing quote is kept.
struct CellParser {
    separator: char,
    cells: Vec<String>,
    cell: String,
    state: CellState,
}

impl CellParser {
    fn new(separator: char) -> CellParser {
        CellParser { separator, cells: Vec::new(), cell: String::new(), state: CellState::Start }
    }

    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            self.state = match self.state {
                CellState::Start if c == '"' => {
                    self.cell.clear();
                    CellState::Quoted
                }
                CellState::Start | CellState::Unquoted | CellState::AfterQuote if c == self.separator => {
                    self.cells.push(std::mem::take(&mut self.cell));
                    CellState::Start
                }
                CellState::Start if c == ' ' || c == '\t' => {
                    self.cell.push(c);
                    CellState::Start
                }
                CellState::Start | CellState::Unquoted => {
                    self.cell.push(c);
                    CellState::Unquoted
                }
                CellState::Quoted if c == '"' => CellState::AfterQuote,
                CellState::Quoted => {
                    self.cell.push(c);
                    CellState::Quoted
                }
                CellState::AfterQuote if c == '"' => {
                    self.cell.push('"');
                    CellState::Quoted
                }
                CellState::AfterQuote => {
                    self.cell.push(c);
                    CellState::Unquoted
                }
            };
        }
    }

    fn in_quotes(&self) -> bool {
        self.state == CellState::Quoted
    }

    /// A line break inside a quoted cell belongs to the cell.
    fn line_break(&mut self, terminator: &str) {
        self.cell.push_str(terminator);
    }

    fn finish(mut self) -> Vec<String> {
        self.cells.push(self.cell);
        self.cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(separator: char, text: &str) -> Vec<String> {
        let mut parser = CellParser::new(separator);
        parser.feed(text);
        parser.finish()
    }

    #[test]
    fn cells_follow_rfc_4180_leniently() {
        assert_eq!(cells(',', "a,b,,c"), ["a", "b", "", "c"]);
        assert_eq!(cells(',', r#""a,b","say ""hi""",x"#), ["a,b", r#"say "hi""#, "x"]);
        assert_eq!(cells(',', r#"  "padded" ,b"#), ["padded ", "b"]);
        assert_eq!(cells(',', r#"5 "inch",b"#), [r#"5 "inch""#, "b"]);
        assert_eq!(cells(';', "a,b;c"), ["a,b", "c"]);
        assert_eq!(cells('\t', "a\t\tb"), ["a", "", "b"]);
        assert_eq!(cells(',', ""), [""]);
    }

    #[test]
    fn the_separator_is_the_one_giving_most_columns() {
        assert_eq!(sniff_separator("id,name,lat"), ',');
        assert_eq!(sniff_separator("id;name;lat,lon"), ';');
        assert_eq!(sniff_separator("id\tname\tnote, with comma"), '\t');
        assert_eq!(sniff_separator(r#""a;b;c",d"#), ',');
        assert_eq!(sniff_separator("a;b,c"), ',', "ties go to the comma");
        assert_eq!(sniff_separator("name"), ',');
    }

    #[test]
    fn decimal_commas_are_recognised_only_in_numbers() {
        for (text, expected) in [
            ("1,5", Some("1.5")),
            ("-12,25", Some("-12.25")),
            ("+0,5", Some("+0.5")),
            ("1.234,5", Some("1234.5")),
            ("12.345.678,90", Some("12345678.90")),
            ("1.234", None),
            ("1,234,5", None),
            ("1,", None),
            (",5", None),
            ("1.23,5", None),
            ("1234.567,5", None),
            ("a,5", None),
            ("1,5 km", None),
            ("", None),
            ("-", None),
        ] {
            assert_eq!(decimal_comma_number(text).as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn flags_read_three_ways() {
        for (text, expected) in
            [("true", Some(true)), ("TRUE", Some(true)), ("1", Some(true)), ("Yes", Some(true)), ("no", Some(false))]
        {
            assert_eq!(parse_flag(text), expected, "{text:?}");
        }
        assert_eq!(parse_flag("0"), Some(false));
        assert_eq!(parse_flag("False"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
        assert_eq!(parse_flag("2"), None);
    }
}
