//! JSON Lines: one JSON object per line.

use serde_json::Value;

use crate::decode::{LineReader, TextSource};
use crate::{RawRecord, ReadOptions, ReadReport, RowError, json_error_message, json_type, take_record_members};

pub(crate) struct JsonlRows {
    lines: LineReader,
    default_kind: Option<String>,
}

impl JsonlRows {
    pub(crate) fn new(source: TextSource, options: ReadOptions) -> JsonlRows {
        JsonlRows { lines: LineReader::new(source, options.max_line_bytes), default_kind: options.kind }
    }

    pub(crate) fn next_record(&mut self, _report: &mut ReadReport) -> Option<Result<RawRecord, RowError>> {
        loop {
            let number = self.lines.next_number();
            let line = match self.lines.next_line()? {
                Ok(line) => line,
                Err(error) => return Some(Err(RowError::line(number, format!("reading failed: {error}")))),
            };
            if let Some(problem) = line.problem {
                let message = problem.message(self.lines.max_line_bytes(), self.lines.encoding_name());
                return Some(Err(RowError::line(line.number, message)));
            }
            let text = line.text.trim();
            if text.is_empty() {
                continue;
            }
            return Some(self.record(line.number, text));
        }
    }

    fn record(&self, number: u64, text: &str) -> Result<RawRecord, RowError> {
        let value: Value =
            serde_json::from_str(text).map_err(|error| RowError::line(number, json_error_message(&error)))?;
        let Value::Object(mut fields) = value else {
            return Err(RowError::line(number, format!("expected a JSON object, found {}", json_type(&value))));
        };
        let (kind, id, retracted) =
            take_record_members(&mut fields, |field, message| RowError::line_field(number, field, message))?;
        Ok(RawRecord { line: number, kind: kind.or_else(|| self.default_kind.clone()), id, retracted, fields })
    }
}
