//! Which format a file is: by content first, then by the name's extension.
//!
//! Content decides whenever it is definite: a `%PDF-` header, a zip archive
//! (whose members tell docx from xlsx from odt, see `office`), an OLE2
//! container (legacy Office, or an encrypted new one), or a binary signature
//! known to `infer` (images, audio, video, archives, fonts, executables).
//! `infer` checks only a few magic bytes, and some of them are printable
//! ASCII ("MZ", "ID3"), so a signature counts only when the file also looks
//! binary; a text file that happens to start with "MZ" stays text. For the
//! rest the extension picks the text format, and HTML, e-mail and JSON are
//! also recognised by their first bytes when the name says nothing.

use crate::text;

/// How to read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Pdf,
    /// A zip archive: an office document or a plain archive.
    Zip,
    Html,
    Eml,
    Json,
    Csv {
        delimiter: Option<u8>,
    },
    Text,
    /// A format without text (the name is the format).
    NoText(String),
    /// A format that holds text but that this crate does not read.
    Unsupported(String),
    /// An Office document encrypted with a password.
    EncryptedOffice(String),
    /// The extension names a binary document format but the content is not
    /// of it (the format, and what the content is instead).
    NotTheNamedFormat(String),
}

const OLE2_MAGIC: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";

/// The lower-case extension of a file name, if it has one.
pub(crate) fn extension(name: &str) -> String {
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match file_name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => extension.to_ascii_lowercase(),
        _ => String::new(),
    }
}

pub(crate) fn sniff(name: &str, bytes: &[u8]) -> Kind {
    let extension = extension(name);
    if bytes.is_empty() {
        return Kind::NoText("empty".to_owned());
    }
    if is_pdf(bytes) {
        return Kind::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if bytes.starts_with(OLE2_MAGIC) {
        return ole2(&extension, bytes);
    }
    if bytes.starts_with(b"{\\rtf") {
        return Kind::Unsupported("rtf".to_owned());
    }
    if let Some(kind) = binary_signature(bytes) {
        return kind;
    }
    // Below here the content has no binary signature. Text content is read
    // as text whatever the name says: a "Word" file saved as HTML, or an error
    // page saved under the name of the PDF that failed to download.
    let textual = text::is_text(bytes);
    if let Some(format) = binary_document_extension(&extension) {
        if !textual {
            return Kind::NotTheNamedFormat(format.to_owned());
        }
        return by_content(bytes).unwrap_or(Kind::Text);
    }
    match by_extension(&extension) {
        Some(Kind::Unsupported(format)) if !textual => Kind::Unsupported(format),
        Some(Kind::Unsupported(_)) | None => by_content(bytes).unwrap_or(Kind::Text),
        Some(kind) => kind,
    }
}

/// A `%PDF-` header at the start, or (as readers allow) after some junk in
/// the first 1024 bytes when the file also ends like a PDF; a text file that
/// merely mentions "%PDF-" is not one.
fn is_pdf(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"%PDF-") {
        return true;
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some() && find(tail, b"%%EOF").is_some()
}

/// Binary documents that this crate reads (or knows it cannot).
fn binary_document_extension(extension: &str) -> Option<&'static str> {
    Some(match extension {
        "pdf" => "pdf",
        "docx" | "docm" | "dotx" => "docx",
        "xlsx" | "xlsm" => "xlsx",
        "odt" | "ott" => "odt",
        "ods" => "ods",
        "odp" => "odp",
        _ => return None,
    })
}

fn by_extension(extension: &str) -> Option<Kind> {
    Some(match extension {
        "html" | "htm" | "xhtml" | "shtml" => Kind::Html,
        "eml" => Kind::Eml,
        "json" | "jsonl" | "ndjson" | "geojson" => Kind::Json,
        "csv" => Kind::Csv { delimiter: None },
        "tsv" | "tab" => Kind::Csv { delimiter: Some(b'\t') },
        "txt" | "text" | "log" | "md" | "markdown" | "rst" => Kind::Text,
        // Text inside an SVG is drawing labels; it is an image.
        "svg" | "svgz" => Kind::NoText("svg".to_owned()),
        "doc" | "xls" | "ppt" | "pptx" | "rtf" | "epub" | "mobi" | "msg" => Kind::Unsupported(extension.to_owned()),
        _ => return None,
    })
}

/// HTML, e-mail or JSON recognised by the first bytes of a text file.
fn by_content(bytes: &[u8]) -> Option<Kind> {
    let start = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = &start[start.iter().position(|byte| !byte.is_ascii_whitespace()).unwrap_or(start.len())..];
    let head: Vec<u8> = start[..start.len().min(1024)].to_ascii_lowercase();
    if head.starts_with(b"<") {
        if find(&head, b"<svg").is_some() && find(&head, b"<html").is_none() {
            return Some(Kind::NoText("svg".to_owned()));
        }
        let markers: [&[u8]; 5] = [b"<!doctype html", b"<html", b"<head", b"<body", b"<title"];
        if markers.iter().any(|marker| find(&head, marker).is_some()) {
            return Some(Kind::Html);
        }
    }
    if head.starts_with(b"{") || head.starts_with(b"[") {
        return Some(Kind::Json);
    }
    if looks_like_mail(start) {
        return Some(Kind::Eml);
    }
    None
}

/// A header block of `Name: value` lines that includes From and one other
/// header only mail has.
fn looks_like_mail(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(16 * 1024)];
    let mut names: Vec<Vec<u8>> = Vec::new();
    for line in head.split(|&byte| byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            continue;
        }
        let Some(colon) = line.iter().position(|&byte| byte == b':') else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&byte| byte.is_ascii_graphic()) {
            return false;
        }
        names.push(name.to_ascii_lowercase());
    }
    let has = |wanted: &[u8]| names.iter().any(|name| name == wanted);
    let mail_only: [&[u8]; 5] = [b"date", b"subject", b"message-id", b"received", b"mime-version"];
    names.len() >= 2 && has(b"from") && mail_only.iter().any(|name| has(name))
}

/// An OLE2 compound file: legacy Office, or new Office encrypted with a
/// password (the encrypted package is wrapped in OLE2, so it no longer looks
/// like a zip).
fn ole2(extension: &str, bytes: &[u8]) -> Kind {
    let encrypted_package: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
    if find(bytes, &encrypted_package).is_some() {
        let format = match extension {
            "docx" | "xlsx" | "pptx" => extension,
            _ => "office",
        };
        return Kind::EncryptedOffice(format.to_owned());
    }
    let format = match infer::get(bytes).map(|found| found.extension()) {
        Some(found @ ("doc" | "xls" | "ppt")) => found,
        _ if matches!(extension, "doc" | "xls" | "ppt" | "msg") => extension,
        _ => return Kind::NoText("ole2".to_owned()),
    };
    Kind::Unsupported(format.to_owned())
}

/// Images, audio, video, archives, fonts and programs.
fn binary_signature(bytes: &[u8]) -> Option<Kind> {
    let found = infer::get(bytes)?;
    if !text::looks_binary(bytes) {
        return None;
    }
    match found.matcher_type() {
        infer::MatcherType::Image
        | infer::MatcherType::Audio
        | infer::MatcherType::Video
        | infer::MatcherType::Archive
        | infer::MatcherType::Font
        | infer::MatcherType::App => Some(Kind::NoText(found.extension().to_owned())),
        infer::MatcherType::Book | infer::MatcherType::Doc => Some(Kind::Unsupported(found.extension().to_owned())),
        _ => None,
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_taken_from_the_file_name_only() {
        assert_eq!(extension("dir.v2/Report.PDF"), "pdf");
        assert_eq!(extension("C:\\a.b\\notes"), "");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("archive.tar.gz"), "gz");
    }

    #[test]
    fn content_beats_extension() {
        assert_eq!(
            sniff("photo.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0"),
            Kind::NoText("png".into())
        );
        assert_eq!(sniff("x.html", b"%PDF-1.4\n"), Kind::Pdf);
        assert_eq!(sniff("x.bin", b"\x00junk\n%PDF-1.4\n%%EOF\n"), Kind::Pdf);
        assert_eq!(sniff("x.txt", b"A PDF starts with %PDF-1.7 and a binary comment."), Kind::Text);
        assert_eq!(
            sniff("icon", b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Kind::NoText("svg".into())
        );
        assert_eq!(sniff("notes", b"<!DOCTYPE html><p>hi"), Kind::Html);
        assert_eq!(sniff("notes", b"From: a@b.c\r\nSubject: hi\r\n\r\nbody"), Kind::Eml);
        assert_eq!(sniff("notes", b"  [1, 2]"), Kind::Json);
    }

    #[test]
    fn printable_magic_bytes_do_not_make_text_binary() {
        assert_eq!(sniff("x.txt", b"MZ is the start of an executable"), Kind::Text);
        assert_eq!(sniff("x", b"ID3 tags are for mp3 files"), Kind::Text);
    }

    #[test]
    fn a_binary_document_name_on_other_content_is_reported() {
        assert_eq!(sniff("report.pdf", b"\x01\x02garbage\x03\x04"), Kind::NotTheNamedFormat("pdf".into()));
        assert_eq!(sniff("report.pdf", b"just some words"), Kind::Text);
        assert_eq!(sniff("old.doc", b"\x01\x02garbage\x03\x04"), Kind::Unsupported("doc".into()));
        assert_eq!(sniff("letter.doc", b"<html><body>Word as HTML"), Kind::Html);
        assert_eq!(sniff("letter.docx", b"<html><body>Word as HTML"), Kind::Html);
    }
}
