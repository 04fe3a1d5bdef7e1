//! Data files: JSON (and JSON Lines) and CSV/TSV.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::builder::{Separator, TextBuilder};
use crate::text::{self, Decoded};
use crate::{Draft, Outcome};

/// JSON: every string value, one per line; keys, numbers, booleans and nulls
/// are left out. Each top-level value (a JSON Lines record) and each element
/// of a top-level array is a paragraph. Text that does not parse as JSON is
/// read as plain text (format "text") rather than failed: its words are
/// still worth finding.
pub(crate) fn extract_json(decoded: Decoded) -> Outcome {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut values = 0usize;
    for value in serde_json::Deserializer::from_str(&decoded.text).into_iter::<Groups>() {
        match value {
            Ok(Groups(found)) => {
                values += 1;
                groups.extend(found);
            }
            Err(_) => return Outcome::Text("text", text::extract(decoded)),
        }
    }
    if values == 0 {
        return Outcome::Text("text", text::extract(decoded));
    }
    let mut builder = TextBuilder::default();
    for group in groups {
        for string in group {
            builder.push(string.trim());
            builder.separate(Separator::Line);
        }
        builder.separate(Separator::Paragraph);
    }
    let (text, truncated) = builder.finish();
    Outcome::Text("json", Draft { text, truncated, encoding: Some(decoded.encoding.to_owned()), ..Draft::default() })
}

/// The strings of one top-level JSON value, grouped by top-level array
/// element. Deserialised straight from the text, so a large file never
/// becomes a tree of `serde_json::Value`s; serde_json's recursion limit
/// bounds nesting.
struct Groups(Vec<Vec<String>>);

impl<'de> Deserialize<'de> for Groups {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(GroupsVisitor)
    }
}

struct GroupsVisitor;

impl<'de> Visitor<'de> for GroupsVisitor {
    type Value = Groups;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Groups, A::Error> {
        let mut groups = Vec::new();
        loop {
            let mut group = Vec::new();
            if sequence.next_element_seed(Strings(&mut group))?.is_none() {
                return Ok(Groups(groups));
            }
            groups.push(group);
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Groups, A::Error> {
        let mut group = Vec::new();
        StringsVisitor(&mut group).visit_map(map)?;
        Ok(Groups(vec![group]))
    }

    fn visit_str<E>(self, value: &str) -> Result<Groups, E> {
        Ok(Groups(vec![vec![value.to_owned()]]))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Groups, E> {
        Ok(Groups(Vec::new()))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Groups, E> {
        Ok(Groups(Vec::new()))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Groups, E> {
        Ok(Groups(Vec::new()))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Groups, E> {
        Ok(Groups(Vec::new()))
    }

    fn visit_unit<E>(self) -> Result<Groups, E> {
        Ok(Groups(Vec::new()))
    }
}

/// Collects every string value below one JSON value into a vector.
struct Strings<'a>(&'a mut Vec<String>);

impl<'de> DeserializeSeed<'de> for Strings<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(StringsVisitor(self.0))
    }
}

struct StringsVisitor<'a>(&'a mut Vec<String>);

impl<'de> Visitor<'de> for StringsVisitor<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<(), A::Error> {
        while sequence.next_element_seed(Strings(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Strings(&mut *self.0))?;
        }
        Ok(())
    }

    fn visit_str<E>(self, value: &str) -> Result<(), E> {
        self.0.push(value.to_owned());
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// CSV and TSV: each row a line, its cells tab-separated (line breaks inside
/// a cell become spaces; trailing empty cells and empty rows are dropped).
/// The separator is the one of `,` `;` tab `|` that occurs most in the first
/// line, unless the extension fixed it. Tab-separated files are read without
/// quoting, as the TSV format defines.
pub(crate) fn extract_csv(decoded: Decoded, delimiter: Option<u8>) -> Outcome {
    let text = text::normalize_newlines(&decoded.text);
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .quoting(delimiter != b'\t')
        .from_reader(text.as_bytes());
    let mut builder = TextBuilder::default();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                return Outcome::failed("csv", &format!("line {line} cannot be read: {error}"));
            }
        }
        let mut cells: Vec<String> =
            record.iter().map(|cell| cell.replace(['\n', '\t'], " ").trim().to_owned()).collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        builder.push(&cells.join("\t"));
        builder.separate(Separator::Line);
        if builder.is_full() {
            break;
        }
    }
    let (text, truncated) = builder.finish();
    Outcome::Text("csv", Draft { text, truncated, encoding: Some(decoded.encoding.to_owned()), ..Draft::default() })
}

fn sniff_delimiter(text: &str) -> u8 {
    let first_line = text.lines().next().unwrap_or_default();
    let mut best = (0usize, b',');
    for candidate in [b',', b';', b'\t', b'|'] {
        let count = first_line.bytes().filter(|&byte| byte == candidate).count();
        if count > best.0 {
            best = (count, candidate);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> Decoded {
        Decoded { text: text.to_owned(), encoding: "UTF-8" }
    }

    fn text_and_format(outcome: Outcome) -> (&'static str, String) {
        match outcome {
            Outcome::Text(format, draft) => (format, draft.text),
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn json_strings_only_grouped_by_top_level_element() {
        let json = r#"[{"name": "Ali", "age": 41, "notes": ["detained", "released"]}, {"name": "Mehmet", "ok": true}]"#;
        assert_eq!(text_and_format(extract_json(decoded(json))), ("json", "Ali\ndetained\nreleased\n\nMehmet".into()));
    }

    #[test]
    fn json_lines_are_paragraphs_and_bad_json_is_text() {
        let lines = "{\"a\": \"one\"}\n{\"b\": \"two\", \"n\": 3}\n";
        assert_eq!(text_and_format(extract_json(decoded(lines))), ("json", "one\n\ntwo".into()));
        assert_eq!(text_and_format(extract_json(decoded("{\"a\": oops"))), ("text", "{\"a\": oops".into()));
    }

    #[test]
    fn deep_json_nesting_is_refused_not_overflowed() {
        let deep = format!("{}\"x\"{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(text_and_format(extract_json(decoded(&deep))).0, "text");
    }

    #[test]
    fn csv_delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_delimiter("a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter("single"), b',');
        let csv = "name;city;\r\n\"Tursun, Ali\";\"Kashgar\nold town\";\r\n;;\r\n";
        assert_eq!(
            text_and_format(extract_csv(decoded(csv), None)),
            ("csv", "name\tcity\nTursun, Ali\tKashgar old town".into())
        );
    }
}
