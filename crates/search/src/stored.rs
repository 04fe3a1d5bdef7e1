//! Reading a hit's stored fields.
//!
//! Every hit's body is read for its snippet. tantivy's document
//! deserializer checks every stored string as UTF-8 as a whole, which for a
//! long Chinese body cost more than the rest of a search (UTF-8 checking runs
//! at ASCII speed only on ASCII). So the fields are read here from the
//! document's stored bytes (tantivy's `StoreReader::get_document_bytes`):
//! the short fields are checked as usual, the body is handed to the snippet
//! as bytes, and the snippet checks only the stretches it reads
//! (`snippet.rs`).
//!
//! The layout read is tantivy 0.27's binary document format
//! (`schema/document/se.rs`): a VInt count of values, then per value the
//! field (u32, little-endian), a type code (u8) and the value: text is a
//! VInt length and the bytes, a date an i64 of nanoseconds. A document that
//! holds anything else, or does not parse, is read through tantivy's own
//! deserializer instead ([`StoredDoc::read_checked`]), so a change of format
//! costs speed, never correctness; the tests read every kind of field
//! through both ways.

use std::ops::Range;

use tantivy::directory::OwnedBytes;
use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::{Field, OwnedValue};
use tantivy::store::StoreReader;
use tantivy::{DateTime, DocAddress, Searcher};

use crate::SearchError;

/// tantivy's type codes (`schema/document/mod.rs`, `type_codes`).
const TEXT_CODE: u8 = 0;
const DATE_CODE: u8 = 5;

/// A hit's stored fields: each field's first value.
pub(crate) struct StoredDoc {
    bytes: OwnedBytes,
    values: Vec<(Field, Stored)>,
}

enum Stored {
    /// a byte range of the document's bytes (raw read), not yet checked
    Text(Range<usize>),
    /// text read and checked by tantivy's deserializer
    CheckedText(String),
    Date(DateTime),
}

impl StoredDoc {
    /// Reads the document at `address`; `stores` holds one store reader
    /// per segment, opened on first use.
    pub(crate) fn read(
        searcher: &Searcher,
        stores: &mut [Option<StoreReader>],
        address: DocAddress,
    ) -> Result<StoredDoc, SearchError> {
        let segment = address.segment_ord as usize;
        let store = match stores.get_mut(segment) {
            Some(Some(store)) => store,
            Some(slot) => {
                // No block cache: the store is not compressed, so reading a
                // block is a copy out of the mapped file.
                let store = searcher
                    .segment_reader(address.segment_ord)
                    .get_store_reader(0)
                    .map_err(|e| SearchError::Io(format!("open the document store: {e}")))?;
                slot.insert(store)
            }
            None => return Err(SearchError::Io(format!("no segment {segment} for a hit"))),
        };
        let bytes = store.get_document_bytes(address.doc_id)?;
        match parse(bytes.as_slice()) {
            Some(values) => Ok(StoredDoc { bytes, values }),
            None => StoredDoc::read_checked(searcher, address),
        }
    }

    /// Reads the document through tantivy's deserializer, every string
    /// checked.
    pub(crate) fn read_checked(searcher: &Searcher, address: DocAddress) -> Result<StoredDoc, SearchError> {
        let Checked(values) = searcher.doc(address)?;
        Ok(StoredDoc { bytes: OwnedBytes::empty(), values })
    }

    fn value(&self, field: Field) -> Option<&Stored> {
        self.values.iter().find(|(f, _)| *f == field).map(|(_, value)| value)
    }

    /// A text field, checked as UTF-8 (`None` if it is not text or not valid).
    pub(crate) fn text(&self, field: Field) -> Option<&str> {
        match self.value(field)? {
            Stored::Text(range) => std::str::from_utf8(self.bytes.as_slice().get(range.clone())?).ok(),
            Stored::CheckedText(text) => Some(text),
            Stored::Date(_) => None,
        }
    }

    /// A text field's bytes, unchecked (for a snippet, which checks what it
    /// reads).
    pub(crate) fn text_bytes(&self, field: Field) -> Option<&[u8]> {
        match self.value(field)? {
            Stored::Text(range) => self.bytes.as_slice().get(range.clone()),
            Stored::CheckedText(text) => Some(text.as_bytes()),
            Stored::Date(_) => None,
        }
    }

    pub(crate) fn date(&self, field: Field) -> Option<DateTime> {
        match self.value(field)? {
            Stored::Date(date) => Some(*date),
            _ => None,
        }
    }
}

/// The values of a serialized document, or `None` if it holds a type this
/// reader does not know or does not parse.
fn parse(bytes: &[u8]) -> Option<Vec<(Field, Stored)>> {
    let mut at = 0;
    let count = vint(bytes, &mut at)?;
    let mut values: Vec<(Field, Stored)> = Vec::with_capacity(usize::try_from(count).ok()?.min(64));
    for _ in 0..count {
        let field = Field::from_field_id(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
        at += 4;
        let code = *bytes.get(at)?;
        at += 1;
        let value = match code {
            TEXT_CODE => {
                let length = usize::try_from(vint(bytes, &mut at)?).ok()?;
                let range = at..at.checked_add(length)?;
                bytes.get(range.clone())?;
                at = range.end;
                Stored::Text(range)
            }
            DATE_CODE => {
                let nanos = i64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?);
                at += 8;
                Stored::Date(DateTime::from_timestamp_nanos(nanos))
            }
            _ => return None,
        };
        if !values.iter().any(|(f, _)| *f == field) {
            values.push((field, value));
        }
    }
    (at == bytes.len()).then_some(values)
}

/// tantivy's VInt: seven bits a byte, least significant first, the last
/// byte marked by its high bit.
fn vint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 != 0 {
            return Some(value);
        }
    }
    None
}

/// The values as tantivy's deserializer reads them.
struct Checked(Vec<(Field, Stored)>);

impl DocumentDeserialize for Checked {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(mut deserializer: D) -> Result<Self, DeserializeError> {
        let mut values: Vec<(Field, Stored)> = Vec::with_capacity(deserializer.size_hint());
        while let Some((field, value)) = deserializer.next_field::<OwnedValue>()? {
            if values.iter().any(|(f, _)| *f == field) {
                continue;
            }
            match value {
                OwnedValue::Str(text) => values.push((field, Stored::CheckedText(text))),
                OwnedValue::Date(date) => values.push((field, Stored::Date(date))),
                _ => {}
            }
        }
        Ok(Checked(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Access, IndexDoc, SearchIndex};

    #[test]
    fn raw_reading_gives_what_tantivys_deserializer_gives() {
        let mut index = SearchIndex::in_memory().unwrap();
        let bodies = ["", "kidney", &"人權與醫院，".repeat(5_000), "a\u{0}b \u{10FFFF}"];
        for (number, body) in bodies.iter().enumerate() {
            index
                .upsert(&IndexDoc {
                    id: format!("itm_{number}"),
                    kind: "item".into(),
                    title: format!("標題 {number}"),
                    body: (*body).to_owned(),
                    langs: vec!["zh".into(), "en".into()],
                    access: Access::Restricted,
                    date: (number % 2 == 0).then_some(1_400_000_000 + number as i64),
                    facets: Vec::new(),
                })
                .unwrap();
        }
        index.commit(1).unwrap();
        let searcher = index.reader.searcher();
        let fields = index.fields;
        let mut stores: Vec<Option<StoreReader>> = (0..searcher.segment_readers().len()).map(|_| None).collect();
        let mut read = 0;
        for (segment, reader) in searcher.segment_readers().iter().enumerate() {
            for doc_id in 0..reader.max_doc() {
                let address = DocAddress::new(segment as u32, doc_id);
                let bytes = searcher.segment_reader(segment as u32).get_store_reader(0).unwrap();
                assert!(parse(bytes.get_document_bytes(doc_id).unwrap().as_slice()).is_some(), "parsed raw");
                let raw = StoredDoc::read(&searcher, &mut stores, address).unwrap();
                let checked = StoredDoc::read_checked(&searcher, address).unwrap();
                for field in [fields.id, fields.kind, fields.title, fields.body, fields.lang] {
                    assert_eq!(raw.text(field), checked.text(field));
                    assert_eq!(raw.text_bytes(field), checked.text_bytes(field));
                }
                assert_eq!(raw.date(fields.date), checked.date(fields.date));
                assert_eq!(raw.text(fields.lang), Some("zh"));
                read += 1;
            }
        }
        assert_eq!(read, bodies.len());
    }

    #[test]
    fn bytes_that_do_not_parse_are_refused() {
        assert!(parse(&[]).is_none());
        // One value, field 0, a type this reader does not know.
        assert!(parse(&[0x81, 0, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]).is_none());
        // Text longer than the bytes.
        assert!(parse(&[0x81, 0, 0, 0, 0, TEXT_CODE, 0x85, b'a']).is_none());
        // Trailing bytes.
        assert!(parse(&[0x80, 9]).is_none());
        assert_eq!(parse(&[0x80]).map(|values| values.len()), Some(0));
        let mut at = 0;
        assert_eq!(vint(&[0x05, 0x81], &mut at), Some(5 | (1 << 7)));
    }
}
