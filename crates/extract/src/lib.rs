//! Text extraction for search indexing: the words of an evidence file, its
//! title, and the languages it is written in.
//!
//! [`extract`] takes a file's name and bytes and returns an [`Extraction`]:
//! [`Extraction::Text`] with the text, [`Extraction::NoText`] for formats
//! that carry no text (images, audio, video, archives, unknown binary data,
//! empty files), or [`Extraction::Failed`] with a one-line reason for files
//! that should have text but did not give it up (a corrupt or encrypted
//! document, a PDF without a text layer, a format this crate does not read).
//! It never panics and never reads past the limits below, whatever the
//! bytes; the search index is derived state, so a failure is something to
//! report and look at, never something to repair.
//!
//! ```
//! use evident_extract::{Extraction, extract};
//!
//! let page = "<html lang=en><title>Waiting times</title><script>x()</script>\
//!             <p>The patient waited three weeks for a kidney transplant.</p>";
//! let Extraction::Text(extracted) = extract("report.html", page.as_bytes()) else { panic!() };
//! assert_eq!(extracted.title.as_deref(), Some("Waiting times"));
//! assert_eq!(extracted.text, "The patient waited three weeks for a kidney transplant.");
//! assert_eq!(extracted.lang.as_deref(), Some("en"));
//!
//! assert_eq!(extract("empty.txt", b""), Extraction::NoText { format: "empty".into() });
//! ```
//!
//! # The text
//!
//! Every format is laid out the same way: paragraphs (HTML blocks, document
//! paragraphs, PDF paragraphs and pages, JSON records, sheets) are separated
//! by a blank line (`"\n\n"`), lines within a paragraph by `"\n"`, table
//! cells by a tab. Line ends are `\n` only, and the text neither starts nor
//! ends with a line break.
//!
//! # Recognising the format
//!
//! Content first, then the name's extension. A `%PDF-` header (at the
//! start, or within the first KiB of a file that ends with `%%EOF`, as PDF
//! readers allow) is a PDF; a
//! zip archive is a docx, xlsx or OpenDocument file when its members say so
//! (`word/document.xml`, `xl/workbook.xml`, the `mimetype` member), and
//! otherwise an archive (`NoText { format: "zip" }`); an OLE2 container
//! is legacy Office (not read) or, when it holds an `EncryptedPackage`, a
//! password-protected docx/xlsx/pptx (`Failed`). The signatures known to the
//! `infer` crate give `NoText` for images, audio, video, archives, fonts and
//! executables (format = infer's extension, e.g. "png", "mp4", "gz") — but
//! only when the bytes also look binary, because some of those signatures
//! are printable ("MZ", "ID3") and a text file may begin with them. SVG is
//! an image (`NoText { format: "svg" }`).
//!
//! For the rest, text content is read as text whatever the name says: a
//! "Word" file saved as HTML, or an HTML error page saved under the name of
//! the PDF that failed to download, gives its text (the `format` field then
//! says "html"). The extension picks HTML (`.html .htm .xhtml`), e-mail
//! (`.eml`), JSON (`.json .jsonl .ndjson .geojson`) and CSV (`.csv`, and
//! `.tsv .tab` as tab-separated); without one of those, HTML is recognised
//! by a leading `<` and one of `<!doctype html`, `<html`, `<head`, `<body`,
//! `<title` in the first KiB, JSON by a leading `{` or `[`, e-mail by a
//! header block with `From:` and one of
//! Date, Subject, Message-ID, Received, MIME-Version; anything else is plain
//! text. Binary content under a document extension (`.pdf .docx .xlsx .odt
//! .ods .odp`) is `Failed` ("not a pdf file"); under any other name it is
//! `NoText { format: "binary" }`.
//!
//! An **empty file** is `NoText { format: "empty" }`, whatever its name: it
//! has nothing to index and nothing went wrong.
//!
//! # Formats
//!
//! - **Plain text** (`"text"`): decoded (see Encodings), lines kept with
//!   trailing white space removed, runs of blank lines made one paragraph
//!   break.
//! - **HTML** (`"html"`): the visible text. The contents of `script`,
//!   `style`, `template`, `noscript`, `iframe`, `noembed`, `noframes` and the
//!   head are skipped (the head's `<title>` becomes [`Extracted::title`]);
//!   SVG contributes only its `<text>` elements. Block elements (`p`, `div`,
//!   headings, lists, tables, sections, ...) separate paragraphs, `br` and
//!   `li` lines, table cells tabs; white space is collapsed except in `pre`,
//!   `textarea`, `listing`, `xmp` and `plaintext`; entities are decoded. `<html
//!   lang>` (or `xml:lang`), reduced to its primary subtag (`zh-CN` → `zh`),
//!   is [`Extracted::lang`] when present; the spans are still detected. Not
//!   read: `alt` and `title` attributes, `lang` on other elements, CSS that
//!   hides content, text written by scripts. Parsed with html5ever's
//!   tokenizer (see Dependencies).
//! - **PDF** (`"pdf"`): the text layer, page by page (each page one or more
//!   paragraphs), through pdf-extract: simple fonts with standard, built-in
//!   or `Differences` encodings, and CID fonts (CJK) with a `ToUnicode` map.
//!   The Info dictionary's `/Title` is the title. A PDF encrypted with an
//!   empty user password (permissions only) is read; one that needs a
//!   password fails. A PDF without any letters or digits in its text fails
//!   with "no text layer on any of its N pages" (scans need OCR, which this
//!   crate does not do). When one page breaks the library, the pages after
//!   it are still read and the text of the others is returned. Not read:
//!   annotations, form fields, text in images, CID fonts without `ToUnicode`
//!   that rely on predefined CMaps (these fail or give wrong characters).
//!   Reading order is the content stream's order, so multi-column layouts
//!   may interleave.
//! - **docx** (`"docx"`, also `.docm .dotx`): the paragraphs of
//!   `word/document.xml` (runs joined, `w:tab` as a tab, `w:br` as a line
//!   break or, for page breaks, a paragraph break), tables as tab-separated
//!   rows with the paragraphs of one cell joined by spaces, text boxes where
//!   they are anchored (once: the VML fallback copy is skipped); the `dc:title` of `docProps/core.xml` is the title.
//!   Deleted tracked changes and field codes are left out. Not read: headers,
//!   footers, footnotes, endnotes, comments.
//! - **OpenDocument** (`"odt"`, `"ods"`, `"odp"`): the `text:p` and `text:h`
//!   of `content.xml` (`text:s` as spaces, `text:tab`, `text:line-break`),
//!   tables as rows of tab-separated cells; in a spreadsheet each sheet's
//!   name is a heading paragraph before its rows. Deleted tracked changes
//!   are left out; `meta.xml`'s `dc:title` is the title.
//! - **xlsx** (`"xlsx"`, also `.xlsm`): each sheet in workbook order, its
//!   name as a heading paragraph, then one line per row with the non-empty
//!   cells tab-separated in row order: shared strings (rich text joined,
//!   phonetic guides left out), inline strings, numbers as stored (dates
//!   are serial numbers), booleans as TRUE/FALSE, formula results (not the
//!   formulas). Title from `docProps/core.xml`.
//! - **e-mail** (`"eml"`): a first paragraph with `From`, `To`, `Cc`,
//!   `Date` (RFC 3339) and `Subject` lines, then the body: the text/plain
//!   parts, or the text/html parts through the HTML extractor when a message
//!   has no plain text, then a last line `Attachments: a.pdf, b.jpg`
//!   (attachments are listed, never extracted). The subject is the title.
//!   The header and attachment paragraphs do not count for language
//!   detection. Encoded words, transfer encodings and charsets (including
//!   GB2312/GBK/Big5) are decoded by mail-parser.
//! - **JSON** (`"json"`): every string value, one per line; keys, numbers,
//!   booleans and nulls are left out. Each top-level value (so each JSON
//!   Lines record) and each element of a top-level array is a paragraph.
//!   Text that does not parse as JSON is read as plain text (format
//!   `"text"`), since its words are still worth finding.
//! - **CSV/TSV** (`"csv"`): one line per row, cells tab-separated, line
//!   breaks inside a cell made spaces, trailing empty cells and empty rows
//!   dropped. The separator is whichever of `,` `;` tab `|` is most frequent
//!   in the first line; `.tsv` files are read without quoting.
//! - **Not read** (`Failed`, "text extraction is not supported for this
//!   format"): legacy Office (`.doc .xls .ppt`), pptx, RTF, EPUB, MOBI and
//!   Outlook `.msg`.
//!
//! # Encodings
//!
//! For text, CSV and JSON: a byte-order mark (UTF-8, UTF-16LE, UTF-16BE)
//! decides; else UTF-16 without a mark is recognised by its NUL bytes (this
//! works for text that is mostly ASCII or Latin, not for CJK text in UTF-16
//! without a mark); else data with more than 1% NUL or control bytes in its
//! first 64 KiB is binary; else valid UTF-8 is UTF-8 (also with a character
//! cut off at the end, or one stray bad byte per twenty non-ASCII
//! characters); else chardetng (Firefox's detector) picks the legacy
//! encoding from the first MiB: GB18030/GBK, Big5, Shift_JIS, EUC-KR,
//! windows-1252 and the other WHATWG encodings. GBK is decoded with the
//! GB18030 decoder (a superset; the WHATWG decoders are identical) and
//! reported as "GB18030". Bytes that are invalid in the chosen encoding
//! become U+FFFD. [`Extracted::encoding`] is the WHATWG name used.
//!
//! HTML: a byte-order mark; else UTF-8 when the bytes are valid UTF-8 and
//! not pure ASCII (a page re-saved as UTF-8 whose old `<meta>` still says
//! windows-1252 is common; the reverse is not); else `<meta charset>` or
//! `<meta http-equiv content="...; charset=...">` in the first 4 KiB; else
//! detection as for text.
//!
//! # Languages
//!
//! [`detect_language`] decides on a piece of text; [`Extracted::langs`]
//! holds one [`LangSpan`] per paragraph (text between blank lines) whose
//! language is known, with consecutive spans of one language merged (also
//! across a paragraph in between whose language is unknown, such as a date
//! line); [`Extracted::lang`] is the language with the most letters over all
//! spans (for HTML, the declared `lang` when there is one).
//!
//! Letters are counted by script and the largest group decides:
//! - Tibetan script → `bo`;
//! - Han, with kana making up at least 5% of Han plus kana → `ja`,
//!   otherwise `zh` (whatlang calls some Chinese Japanese; without kana it
//!   is not);
//! - Hangul → `ko`;
//! - Arabic script: `ug` when the Uyghur-only letters ې ۆ ۈ ۇ ڭ ە occur at
//!   least twice and, with ھ and ئ, make up at least 8% of the letters (and
//!   Kurdish-only letters ێ ڵ ڕ ڤ are not as frequent); `kk` when the Kazakh
//!   high-hamza letters ٵ ٶ ٷ ٸ make up 1%; otherwise whatlang's answer
//!   (`ar`, `fa`, `ur`);
//! - any other script (Latin, Cyrillic, Greek, Devanagari, ...) → whatlang's
//!   answer, only when whatlang itself calls it reliable.
//!
//! whatlang's ISO 639-3 codes are given as ISO 639-1 (all of its languages
//! have one). Text with fewer than 20 letters gives `None` unless the script
//! alone decides (Tibetan, Han, kana, Hangul, Uyghur letters). Uyghur in
//! Latin script is whatever whatlang says (often nothing reliable): it is
//! not special-cased. whatlang sees at most the first 16 KiB of a paragraph.
//!
//! # Limits
//!
//! - Input: callers pass files of at most [`MAX_INPUT_BYTES`] (64 MiB); a
//!   larger one is `Failed` without being read (or `NoText` when its
//!   signature already says it has no text).
//! - Text: at most [`MAX_TEXT_BYTES`] (16 MiB), cut at a character
//!   boundary, with [`Extracted::truncated`] set; extractors stop collecting
//!   there, so memory stays bounded too.
//! - Zip members (docx, xlsx, OpenDocument): each member read is limited to
//!   64 MiB decompressed and all members of one file to 256 MiB together;
//!   beyond that the file is `Failed` ("refused as a possible zip bomb").
//!   XML is streamed, so nesting depth costs nothing.
//! - PDF streams: one that would decompress to more than 64 MiB (a
//!   compression bomb) is emptied before extraction, and a file whose
//!   object or cross-reference streams (which lopdf inflates while loading)
//!   would do so is `Failed`. Form XObjects that invoke themselves or nest
//!   deeper than 32 levels are cut, and `/Parent` loops in the page tree are
//!   broken, because pdf-extract follows both without limits.
//! - E-mail: a file with more than 1000 embedded messages
//!   (`message/rfc822`) is `Failed`, since each nesting level costs stack.
//! - JSON nesting is limited by serde_json (128 levels; deeper files are
//!   read as plain text).
//! - Time is not limited: a PDF with huge content streams takes as long as
//!   pdf-extract needs. Run extraction on a worker with a timeout if that
//!   matters.
//!
//! # Panics, stack and memory
//!
//! pdf-extract, its lopdf, the zip crate and mail-parser are called under
//! `catch_unwind`; their panics become `Failed` reasons ("the PDF library
//! stopped: ..."). A caught panic still goes through the process's panic
//! hook, so with the default hook a message is printed to stderr; install a
//! hook that filters the thread names `evident-extract-pdf` and
//! `evident-extract-eml` if that noise matters.
//!
//! Two failures cannot be caught and abort the whole process: a stack
//! overflow and an allocation failure. PDF extraction runs on its own
//! scoped thread with a 256 MiB stack and e-mail parsing on one with
//! 64 MiB (address space, committed only as used), and the document is
//! first made safe for pdf-extract (the cycle, depth, `/Parent` and
//! decompression limits above). What remains unchecked: object and
//! cross-reference streams that are encrypted or behind an ASCII85 or LZW
//! filter, which lopdf inflates while loading, without a limit.
//!
//! # Dependencies
//!
//! - **html5ever** (tokenizer only): the WHATWG tokenizer of Servo, well
//!   kept, exact about entities and the raw-text states of `script` and
//!   `style`. No tree builder and no DOM crate: text extraction needs tags
//!   and text in order, not a tree. `scraper` would add a DOM and CSS
//!   selectors we do not use; `lol_html` pulls a selector engine too; `tl`
//!   is smallest but does not decode entities and is barely maintained.
//! - **pdf-extract** 0.12 with its own lopdf 0.42 (not a direct dependency,
//!   to avoid two copies): the costliest part of the build (lopdf is about
//!   two minutes of a clean debug build on two cores), but no lighter crate
//!   reads CID fonts through `ToUnicode`.
//! - **mail-parser** 0.11 (Stalwart; 1.x needs a newer Rust than ours) with
//!   `full_encoding` for CJK charsets through encoding_rs.
//! - **chardetng**, **whatlang**, **quick-xml**, and the workspace's
//!   `encoding_rs`, `infer`, `zip` (deflate only), `csv`, `serde_json`;
//!   **flate2** and **weezl** (both already built for lopdf) to measure
//!   PDF streams before anything decompresses them.

mod builder;
mod data;
mod eml;
mod html;
mod identifying;
mod lang;
mod office;
mod pdf;
mod pdf_safety;
mod sniff;
mod text;

use std::ops::Range;

use serde::Serialize;

pub use identifying::{IdentifyingKind, identifying_metadata};
pub use lang::detect_language;

use sniff::Kind;

/// What extraction produced for one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Extraction {
    /// Text was found.
    Text(Extracted),
    /// A format that has no text to extract (images, audio, video, archives,
    /// unknown binary, an empty file). Not an error.
    NoText { format: String },
    /// A format that should have text, but extraction failed (corrupt PDF,
    /// encrypted docx, PDF without a text layer, a format this crate does not
    /// read). `reason` is one line that says what and where.
    Failed { format: String, reason: String },
}

/// The text of one file and what is known about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extracted {
    /// "text", "html", "pdf", "docx", "odt", "ods", "odp", "xlsx", "eml",
    /// "json" or "csv".
    pub format: String,
    /// HTML `<title>`, docx/odt core title, e-mail Subject, PDF Info /Title.
    pub title: Option<String>,
    /// The extracted text; paragraphs separated by "\n\n".
    pub text: String,
    /// The dominant language of the text (the one with the most letters), or
    /// the language an HTML document declares; `None` when unknown.
    pub lang: Option<String>,
    /// Languages per paragraph, consecutive paragraphs of one language merged.
    pub langs: Vec<LangSpan>,
    /// For text, HTML, CSV and JSON: the encoding the bytes were decoded from
    /// ("UTF-8", "UTF-16LE", "GB18030", "Big5", ...).
    pub encoding: Option<String>,
    /// The text was cut at [`MAX_TEXT_BYTES`].
    pub truncated: bool,
}

/// The language of a byte range of [`Extracted::text`]. The range starts and
/// ends on char boundaries and covers whole paragraphs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LangSpan {
    pub start: usize,
    pub end: usize,
    pub lang: String,
}

/// The largest file [`extract`] reads. Callers pass only files up to this
/// size; a larger one gets `Failed` (or `NoText` when its format has no text
/// anyway) without being read.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// The most text kept for one file; the rest is dropped and
/// [`Extracted::truncated`] is set.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// Extracts the text of one file. `name` is the file's name (used for its
/// extension), `bytes` its content (at most [`MAX_INPUT_BYTES`]). Never
/// panics; see the crate documentation for what each format yields.
pub fn extract(name: &str, bytes: &[u8]) -> Extraction {
    let kind = sniff::sniff(name, bytes);
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return too_large(kind, name, bytes.len());
    }
    let outcome = match kind {
        Kind::NoText(format) => Outcome::NoText(format),
        Kind::Unsupported(format) => Outcome::failed(&format, "text extraction is not supported for this format"),
        Kind::EncryptedOffice(format) => {
            Outcome::failed(&format, "the document is encrypted with a password, so its text cannot be read")
        }
        Kind::NotTheNamedFormat(format) => Outcome::failed(
            &format,
            &format!(
                "the file is named .{format} but is not a {format} file (its content is unrecognised binary data)"
            ),
        ),
        Kind::Pdf => pdf::extract(bytes),
        Kind::Zip => office::extract(&sniff::extension(name), bytes),
        Kind::Eml => match text::is_text(bytes) {
            true => eml::extract(bytes),
            false => Outcome::NoText("binary".to_owned()),
        },
        Kind::Html => match text::is_text(bytes) {
            true => Outcome::Text("html", html::extract(bytes)),
            false => Outcome::NoText("binary".to_owned()),
        },
        Kind::Json | Kind::Csv { .. } | Kind::Text => match text::decode(bytes) {
            None => Outcome::NoText("binary".to_owned()),
            Some(decoded) => match kind {
                Kind::Json => data::extract_json(decoded),
                Kind::Csv { delimiter } => data::extract_csv(decoded, delimiter),
                _ => Outcome::Text("text", text::extract(decoded)),
            },
        },
    };
    outcome.finish()
}

fn too_large(kind: Kind, name: &str, length: usize) -> Extraction {
    let format = match kind {
        Kind::NoText(format) => return Extraction::NoText { format },
        Kind::Pdf => "pdf".to_owned(),
        Kind::Zip => office::named_format(&sniff::extension(name)).unwrap_or("zip").to_owned(),
        Kind::Html => "html".to_owned(),
        Kind::Eml => "eml".to_owned(),
        Kind::Json => "json".to_owned(),
        Kind::Csv { .. } => "csv".to_owned(),
        Kind::Text => "text".to_owned(),
        Kind::Unsupported(format) | Kind::EncryptedOffice(format) | Kind::NotTheNamedFormat(format) => format,
    };
    Extraction::Failed {
        format,
        reason: format!("the file is {length} bytes; extraction reads files of at most {MAX_INPUT_BYTES} bytes"),
    }
}

/// What an extractor found, before language detection.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub(crate) title: Option<String>,
    pub(crate) text: String,
    pub(crate) truncated: bool,
    pub(crate) encoding: Option<String>,
    /// A language the document declares (`<html lang>`); it wins over
    /// detection for [`Extracted::lang`].
    pub(crate) declared_lang: Option<String>,
    /// Byte ranges of `text` that are metadata (e-mail headers, attachment
    /// names) and must not sway language detection.
    pub(crate) not_for_language: Vec<Range<usize>>,
}

/// An extractor's result: [`Extraction`] with a [`Draft`] in place of the
/// finished text.
#[derive(Debug)]
pub(crate) enum Outcome {
    Text(&'static str, Draft),
    NoText(String),
    Failed { format: String, reason: String },
}

impl Outcome {
    /// A failure; the reason is prefixed with the format's display name.
    pub(crate) fn failed(format: &str, reason: &str) -> Outcome {
        let display = match format {
            "pdf" => "PDF".to_owned(),
            "html" => "HTML".to_owned(),
            "json" => "JSON".to_owned(),
            "csv" => "CSV".to_owned(),
            "eml" => "e-mail".to_owned(),
            other => other.to_owned(),
        };
        Outcome::Failed { format: format.to_owned(), reason: format!("{display}: {reason}") }
    }

    fn finish(self) -> Extraction {
        match self {
            Outcome::NoText(format) => Extraction::NoText { format },
            Outcome::Failed { format, reason } => Extraction::Failed { format, reason },
            Outcome::Text(format, draft) => {
                let (detected, langs) = lang::analyse(&draft.text, &draft.not_for_language);
                Extraction::Text(Extracted {
                    format: format.to_owned(),
                    title: draft.title.map(|title| clean_title(&title)).filter(|title| !title.is_empty()),
                    lang: draft.declared_lang.or(detected),
                    langs,
                    text: draft.text,
                    encoding: draft.encoding,
                    truncated: draft.truncated,
                })
            }
        }
    }
}

/// A title on one line, white space collapsed, at most [`MAX_TITLE_BYTES`].
fn clean_title(title: &str) -> String {
    let mut title = builder::collapse_whitespace(title);
    title.truncate(builder::floor_char_boundary(&title, MAX_TITLE_BYTES));
    title
}

/// Titles are labels; a longer one (a PDF /Title stuffed with text) is cut.
const MAX_TITLE_BYTES: usize = 1024;

/// The message of a caught panic, for a failure reason.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let message = if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "unknown panic".to_owned()
    };
    let first_line = message.lines().next().unwrap_or_default();
    first_line.chars().take(200).collect()
}
