//! Identifying file metadata (witness protection, issue 6): a photo's GPS
//! position, a camera's serial number, a document's author. Such metadata
//! can name or locate a witness, so it is *detected* here and never
//! extracted: this module reports only which kinds a file carries, never a
//! value, and nothing it reads reaches the text, the title, the index or
//! the store (`docs/sealing.md`, "Identifying metadata").
//!
//! What is looked at:
//!
//! - images (JPEG, PNG, TIFF, WebP, HEIF), through `kamadak-exif`: any GPS
//!   field other than `GPSVersionID` is `gps`; `BodySerialNumber`,
//!   `LensSerialNumber` and `ImageUniqueID` are `device_serial`; `Artist`,
//!   `CameraOwnerName`, `Copyright` and Windows' `XPAuthor` are `author`.
//!   An XMP packet anywhere in the file is searched too (GPS, serial
//!   number and creator properties).
//! - docx, xlsx, pptx: `dc:creator` and `cp:lastModifiedBy` of
//!   `docProps/core.xml`; odt, ods, odp: `dc:creator` and
//!   `meta:initial-creator` of `meta.xml` (`author`).
//! - PDF: a non-empty `/Author` in the document information dictionary, or
//!   `dc:creator` in its XMP metadata (`author`). The dictionary is found
//!   by its bytes; one stored inside a compressed object stream is found by
//!   loading the document.
//!
//! A file that cannot be parsed has no identifying metadata that we can
//! see: detection never fails a file.

use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;

/// A kind of identifying metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifyingKind {
    /// a GPS position (EXIF or XMP)
    Gps,
    /// a camera body or lens serial number, or a unique image id
    DeviceSerial,
    /// an author, creator, last editor, camera owner or copyright holder
    Author,
}

impl IdentifyingKind {
    /// The name used in JSON and in an item's provenance: `gps`,
    /// `device_serial`, `author`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifyingKind::Gps => "gps",
            IdentifyingKind::DeviceSerial => "device_serial",
            IdentifyingKind::Author => "author",
        }
    }
}

/// The most bytes of one office member or XMP packet looked at.
const MAX_METADATA_BYTES: u64 = 1 << 20;

/// The kinds of identifying metadata a file carries, sorted, each once;
/// empty when there is none (or the file cannot be parsed). Never returns
/// a value of the metadata, only its kinds.
pub fn identifying_metadata(bytes: &[u8]) -> Vec<IdentifyingKind> {
    let mut kinds = Vec::new();
    if bytes.starts_with(b"%PDF-") || bytes.get(..1024).is_some_and(|head| find(head, b"%PDF-").is_some()) {
        pdf(bytes, &mut kinds);
    } else if bytes.starts_with(b"PK\x03\x04") {
        office(bytes, &mut kinds);
    } else {
        exif(bytes, &mut kinds);
    }
    xmp(bytes, &mut kinds);
    kinds.sort();
    kinds.dedup();
    kinds
}

fn exif(bytes: &[u8], kinds: &mut Vec<IdentifyingKind>) {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    let parsed = match reader.read_from_container(&mut Cursor::new(bytes)) {
        Ok(parsed) => parsed,
        Err(exif::Error::PartialResult(partial)) => partial.into_inner().0,
        Err(_) => return,
    };
    for field in parsed.fields() {
        if !has_value(&field.value) {
            continue;
        }
        let tag = field.tag;
        let kind = if tag.context() == exif::Context::Gps {
            (tag != exif::Tag::GPSVersionID).then_some(IdentifyingKind::Gps)
        } else if [exif::Tag::BodySerialNumber, exif::Tag::LensSerialNumber, exif::Tag::ImageUniqueID].contains(&tag) {
            Some(IdentifyingKind::DeviceSerial)
        } else if [exif::Tag::Artist, exif::Tag::CameraOwnerName, exif::Tag::Copyright].contains(&tag)
            || (tag.context() == exif::Context::Tiff && tag.number() == 0x9c9d)
        {
            Some(IdentifyingKind::Author)
        } else {
            None
        };
        kinds.extend(kind);
    }
}

/// Whether an EXIF value says anything: not empty, not only blanks or
/// zero bytes.
fn has_value(value: &exif::Value) -> bool {
    match value {
        exif::Value::Ascii(strings) => strings.iter().any(|s| s.iter().any(|b| !b.is_ascii_whitespace() && *b != 0)),
        exif::Value::Byte(bytes) | exif::Value::Undefined(bytes, _) => bytes.iter().any(|b| *b != 0),
        exif::Value::Short(v) => !v.is_empty(),
        exif::Value::Long(v) => !v.is_empty(),
        exif::Value::Rational(v) => !v.is_empty(),
        exif::Value::SRational(v) => !v.is_empty(),
        _ => true,
    }
}

fn office(bytes: &[u8], kinds: &mut Vec<IdentifyingKind>) {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return };
    for (member, elements) in
        [("docProps/core.xml", &["creator", "lastModifiedBy"][..]), ("meta.xml", &["creator", "initial-creator"][..])]
    {
        let Ok(file) = archive.by_name(member) else { continue };
        let mut xml = Vec::new();
        if file.take(MAX_METADATA_BYTES).read_to_end(&mut xml).is_err() {
            continue;
        }
        if xml_has_text_in(&xml, elements) {
            kinds.push(IdentifyingKind::Author);
        }
    }
}

/// Whether any element with one of these local names holds non-blank text.
fn xml_has_text_in(xml: &[u8], local_names: &[&str]) -> bool {
    use quick_xml::events::Event;
    let xml = String::from_utf8_lossy(xml);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut inside = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) if local_names.iter().any(|name| element.local_name().as_ref() == *name) => {
                inside += 1;
            }
            Ok(Event::End(element)) if local_names.iter().any(|name| element.local_name().as_ref() == *name) => {
                inside = inside.saturating_sub(1);
            }
            Ok(Event::Text(text)) if inside > 0 && !text.xml10_content().trim().is_empty() => return true,
            Ok(Event::CData(text)) if inside > 0 && !text.xml10_content().trim().is_empty() => return true,
            Ok(Event::GeneralRef(_)) if inside > 0 => return true,
            Ok(Event::Eof) | Err(_) => return false,
            _ => {}
        }
    }
}

/// XMP packets (in images, PDFs and anything else): GPS, serial numbers and
/// creators.
fn xmp(bytes: &[u8], kinds: &mut Vec<IdentifyingKind>) {
    let mut rest = bytes;
    while let Some(start) = find(rest, b"<x:xmpmeta") {
        let packet = &rest[start..];
        let end = find(packet, b"</x:xmpmeta>").map_or(packet.len(), |end| end + 12);
        let packet = &packet[..end.min(MAX_METADATA_BYTES as usize)];
        if find(packet, b"GPSLatitude").is_some() || find(packet, b"GPSLongitude").is_some() {
            kinds.push(IdentifyingKind::Gps);
        }
        if find(packet, b"SerialNumber").is_some() {
            kinds.push(IdentifyingKind::DeviceSerial);
        }
        if xml_has_text_in(packet, &["creator", "Artist", "OwnerName"])
            || find(packet, b"dc:creator=\"").is_some()
            || find(packet, b"tiff:Artist=\"").is_some()
        {
            kinds.push(IdentifyingKind::Author);
        }
        rest = &rest[start + end..];
    }
}

fn pdf(bytes: &[u8], kinds: &mut Vec<IdentifyingKind>) {
    if pdf_author_in_bytes(bytes) {
        kinds.push(IdentifyingKind::Author);
        return;
    }
    // The information dictionary may sit in a compressed object stream,
    // where only the PDF library can see it.
    if find(bytes, b"/ObjStm").is_some() && crate::pdf_safety::bomb_before_loading(bytes).is_none() {
        let loaded = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("evident-identifying-pdf".to_owned())
                .stack_size(256 * 1024 * 1024)
                .spawn_scoped(scope, || catch_unwind(AssertUnwindSafe(|| pdf_author_in_document(bytes))))
                .ok()
                .and_then(|handle| handle.join().ok())
        });
        if let Some(Ok(true)) = loaded {
            kinds.push(IdentifyingKind::Author);
        }
    }
}

/// A `/Author` key followed by a non-empty literal or hex string.
fn pdf_author_in_bytes(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some(at) = find(rest, b"/Author") {
        let after = &rest[at + 7..];
        let value = after.iter().position(|b| !b.is_ascii_whitespace()).map(|i| &after[i..]).unwrap_or_default();
        match value.first() {
            Some(b'(') if value.get(1).is_some_and(|b| *b != b')') => return true,
            Some(b'<') if value.get(1).is_some_and(|b| b.is_ascii_hexdigit()) => return true,
            // An indirect reference (`/Author 12 0 R`): count it.
            Some(b) if b.is_ascii_digit() => return true,
            _ => {}
        }
        rest = after;
    }
    false
}

fn pdf_author_in_document(bytes: &[u8]) -> bool {
    use pdf_extract::{Document, Object};
    let Ok(document) = Document::load_mem(bytes) else { return false };
    let info = match document.trailer.get(b"Info") {
        Ok(Object::Reference(id)) => match document.get_dictionary(*id) {
            Ok(dictionary) => dictionary,
            Err(_) => return false,
        },
        Ok(Object::Dictionary(dictionary)) => dictionary,
        _ => return false,
    };
    let author = match info.get(b"Author") {
        Ok(Object::Reference(id)) => document.get_object(*id).ok(),
        Ok(other) => Some(other),
        Err(_) => None,
    };
    author
        .and_then(|author| pdf_extract::decode_text_string(author).ok())
        .is_some_and(|author| !author.trim().is_empty())
}

/// Where `needle` first occurs (SIMD substring search: every file up to
/// 64 MiB is scanned for XMP at ingest).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docx(core: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut writer = zip::ZipWriter::new(Cursor::new(&mut bytes));
        let options = zip::write::SimpleFileOptions::default();
        writer.start_file("docProps/core.xml", options).unwrap();
        std::io::Write::write_all(&mut writer, core.as_bytes()).unwrap();
        writer.start_file("word/document.xml", options).unwrap();
        std::io::Write::write_all(&mut writer, b"<w:document/>").unwrap();
        writer.finish().unwrap();
        bytes
    }

    #[test]
    fn office_authors_are_found_and_empty_ones_are_not() {
        let with = docx(
            r#"<cp:coreProperties xmlns:cp="c" xmlns:dc="d"><dc:title>T</dc:title><dc:creator>Canary</dc:creator></cp:coreProperties>"#,
        );
        assert_eq!(identifying_metadata(&with), vec![IdentifyingKind::Author]);
        let editor =
            docx(r#"<cp:coreProperties xmlns:cp="c"><cp:lastModifiedBy>X</cp:lastModifiedBy></cp:coreProperties>"#);
        assert_eq!(identifying_metadata(&editor), vec![IdentifyingKind::Author]);
        let without =
            docx(r#"<cp:coreProperties xmlns:cp="c" xmlns:dc="d"><dc:creator> </dc:creator></cp:coreProperties>"#);
        assert_eq!(identifying_metadata(&without), vec![]);
    }

    /// A minimal JPEG (start and end of image) with an EXIF segment of these fields.
    fn jpeg_with(fields: &[exif::Field]) -> Vec<u8> {
        let mut writer = exif::experimental::Writer::new();
        for field in fields {
            writer.push_field(field);
        }
        let mut tiff = Cursor::new(Vec::new());
        writer.write(&mut tiff, false).unwrap();
        let tiff = tiff.into_inner();
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe1];
        jpeg.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
        jpeg.extend_from_slice(b"Exif\0\0");
        jpeg.extend_from_slice(&tiff);
        jpeg.extend_from_slice(&[0xff, 0xd9]);
        jpeg
    }

    fn field(tag: exif::Tag, value: exif::Value) -> exif::Field {
        exif::Field { tag, ifd_num: exif::In::PRIMARY, value }
    }

    #[test]
    fn exif_gps_serials_and_owners_are_found_by_kind_only() {
        let latitude = exif::Value::Rational(vec![exif::Rational { num: 39, denom: 1 }; 3]);
        let jpeg = jpeg_with(&[
            field(exif::Tag::GPSLatitude, latitude),
            field(exif::Tag::BodySerialNumber, exif::Value::Ascii(vec![b"SN123".to_vec()])),
            field(exif::Tag::Artist, exif::Value::Ascii(vec![b"Someone".to_vec()])),
            field(exif::Tag::Make, exif::Value::Ascii(vec![b"Camera maker".to_vec()])),
        ]);
        assert_eq!(
            identifying_metadata(&jpeg),
            vec![IdentifyingKind::Gps, IdentifyingKind::DeviceSerial, IdentifyingKind::Author]
        );
        // A GPS version alone, a blank artist and a camera make say nothing about anyone.
        let harmless = jpeg_with(&[
            field(exif::Tag::GPSVersionID, exif::Value::Byte(vec![2, 2, 0, 0])),
            field(exif::Tag::Artist, exif::Value::Ascii(vec![b"   ".to_vec()])),
            field(exif::Tag::Make, exif::Value::Ascii(vec![b"Camera maker".to_vec()])),
        ]);
        assert_eq!(identifying_metadata(&harmless), vec![]);
        assert_eq!(IdentifyingKind::DeviceSerial.as_str(), "device_serial");
    }

    #[test]
    fn pdf_authors_are_found_by_their_bytes() {
        assert_eq!(
            identifying_metadata(b"%PDF-1.4\n1 0 obj << /Author (Canary) >> endobj"),
            vec![IdentifyingKind::Author]
        );
        assert_eq!(
            identifying_metadata(b"%PDF-1.4\n1 0 obj << /Author <FEFF0041> >> endobj"),
            vec![IdentifyingKind::Author]
        );
        assert_eq!(identifying_metadata(b"%PDF-1.4\n1 0 obj << /Author () /Title (x) >> endobj"), vec![]);
    }

    #[test]
    fn xmp_packets_are_searched() {
        let packet = b"GIF89a...<x:xmpmeta><rdf:Description exif:GPSLatitude=\"39,54.0N\"/><dc:creator><rdf:Seq><rdf:li>Canary</rdf:li></rdf:Seq></dc:creator></x:xmpmeta>";
        assert_eq!(identifying_metadata(packet), vec![IdentifyingKind::Gps, IdentifyingKind::Author]);
        assert_eq!(identifying_metadata(b"plain text, nothing here"), vec![]);
    }
}
