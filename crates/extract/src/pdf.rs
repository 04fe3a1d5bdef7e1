//! PDF: the text layer, page by page, through pdf-extract (which brings its
//! own lopdf).
//!
//! Both libraries panic on malformed input, so every call into them runs
//! under `catch_unwind`, and the whole extraction runs on its own thread with
//! a large stack: their parsers recurse, and a stack overflow would abort the
//! process, which no `catch_unwind` can stop. When a page fails, the pages
//! after it are still read one by one.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use pdf_extract::{Document, MediaBox, Object, OutputDev, OutputError, Transform};

use crate::builder::{Separator, TextBuilder};
use crate::{Draft, MAX_TEXT_BYTES, Outcome, panic_message, pdf_safety};

/// Stack for the extraction thread; only reserved address space until used.
const STACK_BYTES: usize = 256 * 1024 * 1024;

pub(crate) fn extract(bytes: &[u8]) -> Outcome {
    let joined = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("evident-extract-pdf".to_owned())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || extract_here(bytes))
            .map(|handle| handle.join())
    });
    match joined {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(panic)) => Outcome::failed("pdf", &format!("the PDF library stopped: {}", panic_message(&*panic))),
        // No thread could be started (resource limits): run here instead.
        Err(_) => extract_here(bytes),
    }
}

fn extract_here(bytes: &[u8]) -> Outcome {
    if let Some(reason) = pdf_safety::bomb_before_loading(bytes) {
        return Outcome::failed("pdf", &reason);
    }
    let mut document = match catch_unwind(|| Document::load_mem(bytes)) {
        Ok(Ok(document)) => document,
        Ok(Err(error)) => return Outcome::failed("pdf", &format!("the file cannot be parsed: {error}")),
        Err(panic) => {
            return Outcome::failed(
                "pdf",
                &format!("the file cannot be parsed (the PDF library stopped: {})", panic_message(&*panic)),
            );
        }
    };
    if document.is_encrypted() {
        // Many PDFs are encrypted with an empty user password (only to set
        // permissions); those open without one.
        let opened = catch_unwind(AssertUnwindSafe(|| document.decrypt(""))).is_ok_and(|result| result.is_ok());
        if !opened || document.is_encrypted() {
            return Outcome::failed("pdf", "the document is encrypted with a password, so its text cannot be read");
        }
    }
    match catch_unwind(AssertUnwindSafe(|| pdf_safety::make_safe(&mut document))) {
        Ok(Ok(())) => {}
        Ok(Err(pdf_safety::TooManyForms)) => {
            return Outcome::failed("pdf", "the document nests too many form XObjects to be read safely");
        }
        Err(panic) => {
            return Outcome::failed("pdf", &format!("the PDF library stopped: {}", panic_message(&*panic)));
        }
    }
    let title = catch_unwind(AssertUnwindSafe(|| info_title(&document))).ok().flatten();
    let page_numbers: Vec<u32> = match catch_unwind(AssertUnwindSafe(|| document.get_pages())) {
        Ok(pages) => pages.into_keys().collect(),
        Err(panic) => {
            return Outcome::failed("pdf", &format!("the page tree cannot be read: {}", panic_message(&*panic)));
        }
    };
    if page_numbers.is_empty() {
        return Outcome::failed("pdf", "the document has no pages");
    }

    let mut collector = PageCollector::default();
    let mut problems: Vec<String> = Vec::new();
    let whole = catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc(&document, &mut collector)));
    if let Some(stopped) = problem(whole) {
        // Carry on after the page that failed, one page at a time.
        let failed_page = page_numbers.iter().copied().find(|number| !collector.finished.contains(number));
        problems.push(format!("page {}: {stopped}", failed_page.unwrap_or(0)));
        for &number in page_numbers.iter().filter(|&&number| Some(number) > failed_page) {
            if collector.length > MAX_TEXT_BYTES {
                break;
            }
            let page =
                catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc_page(&document, &mut collector, number)));
            if let Some(failed) = problem(page) {
                problems.push(format!("page {number}: {failed}"));
            }
        }
    }

    let mut builder = TextBuilder::default();
    for page in collector.pages.values() {
        let cleaned: String =
            page.chars().filter(|&character| !character.is_control() || matches!(character, '\n' | '\t')).collect();
        builder.push_lines(&cleaned);
        builder.separate(Separator::Paragraph);
    }
    let (text, truncated) = builder.finish();
    if !text.chars().any(char::is_alphanumeric) {
        let pages = match page_numbers.len() {
            1 => "its only page".to_owned(),
            count => format!("any of its {count} pages"),
        };
        let reason = match problems.first() {
            None => format!("no text layer on {pages} (a scan needs OCR)"),
            Some(first) => format!("no text could be read from {pages}; {first}"),
        };
        return Outcome::failed("pdf", &reason);
    }
    Outcome::Text("pdf", Draft { title, text, truncated, ..Draft::default() })
}

/// The error or panic of one call into pdf-extract, as text.
fn problem(result: std::thread::Result<Result<(), OutputError>>) -> Option<String> {
    match result {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(panic) => Some(format!("the PDF library stopped: {}", panic_message(&*panic))),
    }
}

/// The document information dictionary's /Title.
fn info_title(document: &Document) -> Option<String> {
    let info = match document.trailer.get(b"Info").ok()? {
        Object::Reference(id) => document.get_dictionary(*id).ok()?,
        Object::Dictionary(dictionary) => dictionary,
        _ => return None,
    };
    let title = match info.get(b"Title").ok()? {
        Object::Reference(id) => document.get_object(*id).ok()?,
        other => other,
    };
    pdf_extract::decode_text_string(title).ok().map(|title| title.trim().to_owned()).filter(|title| !title.is_empty())
}

/// Collects the text of each page, placing spaces and line breaks by glyph
/// position the way pdf-extract's own `PlainTextOutput` does (which cannot
/// tell pages apart).
struct PageCollector {
    pages: BTreeMap<u32, String>,
    finished: BTreeSet<u32>,
    current: Option<u32>,
    page_height: f64,
    last_end: f64,
    last_y: f64,
    first_char: bool,
    /// Bytes collected over all pages; past the text cap nothing is added.
    length: usize,
}

impl Default for PageCollector {
    fn default() -> Self {
        PageCollector {
            pages: BTreeMap::new(),
            finished: BTreeSet::new(),
            current: None,
            page_height: 0.0,
            last_end: 100_000.0,
            last_y: 0.0,
            first_char: false,
            length: 0,
        }
    }
}

impl PageCollector {
    fn write(&mut self, piece: &str) {
        if self.length > MAX_TEXT_BYTES {
            return;
        }
        if let Some(page) = self.current.and_then(|number| self.pages.get_mut(&number)) {
            page.push_str(piece);
            self.length += piece.len();
        }
    }
}

impl OutputDev for PageCollector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.current = Some(page_num);
        self.pages.entry(page_num).or_default();
        self.page_height = media_box.ury - media_box.lly;
        self.last_end = 100_000.0;
        self.last_y = 0.0;
        self.first_char = false;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        if let Some(number) = self.current.take() {
            self.finished.insert(number);
        }
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        character: &str,
    ) -> Result<(), OutputError> {
        // The page is flipped so that y grows downwards: (x, height - y).
        let (x, y) = (trm.m31, self.page_height - trm.m32);
        let size_x = font_size * trm.m11 + font_size * trm.m21;
        let size_y = font_size * trm.m12 + font_size * trm.m22;
        let size = (size_x * size_y).abs().sqrt();
        if self.first_char {
            if (y - self.last_y).abs() > size * 1.5 {
                self.write("\n");
            }
            if x < self.last_end && (y - self.last_y).abs() > size * 0.5 {
                self.write("\n");
            }
            if x > self.last_end + size * 0.1 {
                self.write(" ");
            }
        }
        self.write(character);
        self.first_char = false;
        self.last_y = y;
        self.last_end = x + width * size;
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.first_char = true;
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}
