//! Office documents in zip containers: docx, xlsx, and OpenDocument text,
//! spreadsheets and presentations.
//!
//! The archive's members decide the format (the name's extension only
//! breaks ties and names the format in failures). Every member is read
//! through a limit ([`MAX_MEMBER_BYTES`] each, [`MAX_TOTAL_BYTES`] for all),
//! so a zip bomb costs at most that much memory and ends in `Failed`. XML
//! is read as a stream of events by quick-xml: deep nesting costs nothing
//! but a few counters.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;
use zip::result::ZipError;

use crate::builder::{Separator, TextBuilder};
use crate::{Draft, Outcome, panic_message};

/// The most one member may decompress to.
pub(crate) const MAX_MEMBER_BYTES: usize = 64 * 1024 * 1024;
/// The most all members read from one file may decompress to together.
pub(crate) const MAX_TOTAL_BYTES: usize = 256 * 1024 * 1024;

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Why a document could not be read; becomes `Failed` with the format's name.
type Problem = String;

pub(crate) fn extract(extension: &str, bytes: &[u8]) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| extract_zip(extension, bytes))) {
        Ok(outcome) => outcome,
        Err(panic) => Outcome::failed(
            named_format(extension).unwrap_or("zip"),
            &format!("the zip library stopped: {}", panic_message(&*panic)),
        ),
    }
}

/// The office format an extension promises, if any.
pub(crate) fn named_format(extension: &str) -> Option<&'static str> {
    Some(match extension {
        "docx" | "docm" | "dotx" => "docx",
        "xlsx" | "xlsm" => "xlsx",
        "pptx" => "pptx",
        "odt" | "ott" => "odt",
        "ods" => "ods",
        "odp" => "odp",
        "epub" => "epub",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OdfKind {
    Text,
    Spreadsheet,
    Presentation,
}

impl OdfKind {
    fn format(self) -> &'static str {
        match self {
            OdfKind::Text => "odt",
            OdfKind::Spreadsheet => "ods",
            OdfKind::Presentation => "odp",
        }
    }
}

fn extract_zip(extension: &str, bytes: &[u8]) -> Outcome {
    let named = named_format(extension);
    let mut archive = match ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(error) => {
            return match named {
                Some(format) => Outcome::failed(format, &format!("the file is not a readable zip archive: {error}")),
                None => Outcome::NoText("zip".to_owned()),
            };
        }
    };
    let mut budget = Budget { remaining: MAX_TOTAL_BYTES };
    let has = |archive: &Archive, name: &str| archive.index_for_name(name).is_some();

    if has(&archive, "word/document.xml") {
        return finish("docx", docx(&mut archive, &mut budget));
    }
    if has(&archive, "xl/workbook.xml") {
        return finish("xlsx", xlsx(&mut archive, &mut budget));
    }
    if has(&archive, "ppt/presentation.xml") {
        return Outcome::failed("pptx", "text extraction is not supported for this format");
    }
    let mimetype = match read_member(&mut archive, "mimetype", &mut budget) {
        Ok(Some(mimetype)) => mimetype.trim().to_owned(),
        _ => String::new(),
    };
    let odf_kind = match mimetype.as_str() {
        "application/vnd.oasis.opendocument.text" | "application/vnd.oasis.opendocument.text-template" => {
            Some(OdfKind::Text)
        }
        "application/vnd.oasis.opendocument.spreadsheet" => Some(OdfKind::Spreadsheet),
        "application/vnd.oasis.opendocument.presentation" => Some(OdfKind::Presentation),
        "" if has(&archive, "content.xml") => match named {
            Some("ods") => Some(OdfKind::Spreadsheet),
            Some("odp") => Some(OdfKind::Presentation),
            Some("odt") => Some(OdfKind::Text),
            _ => None,
        },
        _ => None,
    };
    if let Some(kind) = odf_kind {
        return finish(kind.format(), odf(&mut archive, &mut budget, kind));
    }
    if mimetype == "application/epub+zip" {
        return Outcome::failed("epub", "text extraction is not supported for this format");
    }
    match named {
        Some(format) => {
            let expected = match format {
                "docx" => "word/document.xml",
                "xlsx" => "xl/workbook.xml",
                "pptx" => "ppt/presentation.xml",
                "epub" => "META-INF/container.xml",
                _ => "content.xml",
            };
            Outcome::failed(format, &format!("the zip archive has no {expected}, so it is not a {format} file"))
        }
        None => Outcome::NoText("zip".to_owned()),
    }
}

fn finish(format: &'static str, result: Result<Draft, Problem>) -> Outcome {
    match result {
        Ok(draft) => Outcome::Text(format, draft),
        Err(problem) => Outcome::failed(format, &problem),
    }
}

struct Budget {
    remaining: usize,
}

/// Reads one member as text, within the limits. `Ok(None)` when it is absent.
fn read_member(archive: &mut Archive, name: &str, budget: &mut Budget) -> Result<Option<String>, Problem> {
    let member = match archive.by_name(name) {
        Ok(member) => member,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(error) => return Err(format!("{name} cannot be read: {error}")),
    };
    let limit = MAX_MEMBER_BYTES.min(budget.remaining);
    let mut content = Vec::new();
    member
        .take(limit as u64 + 1)
        .read_to_end(&mut content)
        .map_err(|error| format!("{name} cannot be decompressed: {error}"))?;
    if content.len() > limit {
        return Err(if limit == MAX_MEMBER_BYTES {
            format!("{name} decompresses to more than {} MiB; refused as a possible zip bomb", MAX_MEMBER_BYTES >> 20)
        } else {
            format!(
                "the members decompress to more than {} MiB in total; refused as a possible zip bomb",
                MAX_TOTAL_BYTES >> 20
            )
        });
    }
    budget.remaining -= content.len();
    Ok(Some(xml_to_string(content)))
}

/// XML bytes as a string: UTF-16 by its byte-order mark, else UTF-8 (with
/// any malformed bytes replaced, since a reader cannot repair them either).
fn xml_to_string(content: Vec<u8>) -> String {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(&content) {
        return encoding.decode_without_bom_handling(&content[bom_length..]).0.into_owned();
    }
    match String::from_utf8(content) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    }
}

/// Streams the XML events of `member` to `on_event`; a syntax error becomes a
/// problem naming the member and the byte offset.
fn walk_xml(member: &str, xml: &str, mut on_event: impl FnMut(Event<'_>)) -> Result<(), Problem> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(()),
            Ok(event) => on_event(event),
            Err(error) => {
                return Err(format!("{member} is not valid XML at byte {}: {error}", reader.error_position()));
            }
        }
    }
}

/// The text an XML event contributes: character data, CDATA, and entity or
/// character references (which quick-xml reports separately).
fn event_text(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Text(text) => Some(text.xml10_content().into_owned()),
        Event::CData(data) => Some(data.xml10_content().into_owned()),
        Event::GeneralRef(reference) => {
            if let Ok(Some(character)) = reference.resolve_char_ref() {
                return Some(character.to_string());
            }
            let resolved = match &**reference {
                "amp" => "&",
                "lt" => "<",
                "gt" => ">",
                "quot" => "\"",
                "apos" => "'",
                _ => return None,
            };
            Some(resolved.to_owned())
        }
        _ => None,
    }
}

/// The value of the attribute with this local name (any prefix).
fn attribute(element: &BytesStart<'_>, wanted: &str) -> Option<String> {
    element.attributes().flatten().find(|attribute| attribute.key.local_name().as_ref() == wanted).and_then(
        |attribute| attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|value| value.into_owned()),
    )
}

/// The `dc:title` of `docProps/core.xml` (OOXML) or `meta.xml` (ODF). Broken
/// metadata does not fail the document: the title is just unknown.
fn core_title(archive: &mut Archive, member: &str, budget: &mut Budget) -> Option<String> {
    let xml = read_member(archive, member, budget).ok()??;
    let mut title = String::new();
    let mut inside = false;
    walk_xml(member, &xml, |event| match &event {
        Event::Start(element) if element.local_name().as_ref() == "title" => inside = true,
        Event::End(element) if element.local_name().as_ref() == "title" => inside = false,
        _ if inside => title.push_str(&event_text(&event).unwrap_or_default()),
        _ => {}
    })
    .ok()?;
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// Tables inside documents: cells become tab-separated, rows lines, and the
/// paragraphs within one cell are joined by spaces.
#[derive(Default)]
struct Layout {
    builder: TextBuilder,
    cell_depth: usize,
}

impl Layout {
    fn paragraph_boundary(&mut self) {
        let separator = if self.cell_depth > 0 { Separator::Space } else { Separator::Paragraph };
        self.builder.separate(separator);
    }
}

fn docx(archive: &mut Archive, budget: &mut Budget) -> Result<Draft, Problem> {
    let member = "word/document.xml";
    let xml = read_member(archive, member, budget)?.ok_or_else(|| format!("{member} is missing"))?;
    let mut layout = Layout::default();
    let mut in_text = false;
    let mut run_depth = 0usize;
    let mut fallback_depth = 0usize;
    walk_xml(member, &xml, |event| {
        // Word stores text boxes twice: as DrawingML in mc:Choice and as VML
        // in mc:Fallback. Only the first counts.
        match &event {
            Event::Start(element) if element.local_name().as_ref() == "Fallback" => fallback_depth += 1,
            Event::End(element) if element.local_name().as_ref() == "Fallback" => {
                fallback_depth = fallback_depth.saturating_sub(1);
            }
            _ if fallback_depth > 0 => {}
            _ => docx_event(&event, &mut layout, &mut in_text, &mut run_depth),
        }
    })?;
    let title = core_title(archive, "docProps/core.xml", budget);
    let (text, truncated) = layout.builder.finish();
    Ok(Draft { title, text, truncated, ..Draft::default() })
}

/// One event of `word/document.xml` outside any mc:Fallback.
fn docx_event(event: &Event<'_>, layout: &mut Layout, in_text: &mut bool, run_depth: &mut usize) {
    match event {
        Event::Start(element) | Event::Empty(element) => {
            let empty = matches!(event, Event::Empty(_));
            let in_run = *run_depth > 0;
            match element.local_name().as_ref() {
                "p" => layout.paragraph_boundary(),
                "t" if !empty => *in_text = true,
                "r" if !empty => *run_depth += 1,
                "tab" if in_run => layout.builder.push("\t"),
                "noBreakHyphen" if in_run => layout.builder.push("-"),
                "br" if in_run => {
                    let page = attribute(element, "type").is_some_and(|kind| kind == "page");
                    layout.builder.separate(if page { Separator::Paragraph } else { Separator::Line });
                }
                "cr" if in_run => layout.builder.separate(Separator::Line),
                "tbl" => layout.builder.separate(Separator::Paragraph),
                "tr" => layout.builder.separate(Separator::Line),
                "tc" if !empty => {
                    layout.cell_depth += 1;
                    layout.builder.separate(Separator::Tab);
                }
                _ => {}
            }
        }
        Event::End(element) => match element.local_name().as_ref() {
            "p" => layout.paragraph_boundary(),
            "t" => *in_text = false,
            "r" => *run_depth = run_depth.saturating_sub(1),
            "tbl" => layout.builder.separate(Separator::Paragraph),
            "tr" => layout.builder.separate(Separator::Line),
            "tc" => layout.cell_depth = layout.cell_depth.saturating_sub(1),
            _ => {}
        },
        _ if *in_text => {
            if let Some(text) = event_text(event) {
                layout.builder.push(&text);
            }
        }
        _ => {}
    }
}

fn odf(archive: &mut Archive, budget: &mut Budget, kind: OdfKind) -> Result<Draft, Problem> {
    let member = "content.xml";
    let xml = read_member(archive, member, budget)?.ok_or_else(|| format!("{member} is missing"))?;
    let mut layout = Layout::default();
    let mut paragraph_depth = 0usize;
    let mut deleted_depth = 0usize;
    walk_xml(member, &xml, |event| match &event {
        Event::Start(element) | Event::Empty(element) => {
            let empty = matches!(event, Event::Empty(_));
            match element.local_name().as_ref() {
                "p" | "h" => {
                    layout.paragraph_boundary();
                    if !empty {
                        paragraph_depth += 1;
                    }
                }
                // Deleted text kept for change tracking is not document text.
                "tracked-changes" if !empty => deleted_depth += 1,
                "s" if paragraph_depth > 0 && deleted_depth == 0 => {
                    let count = attribute(element, "c").and_then(|count| count.parse::<usize>().ok()).unwrap_or(1);
                    layout.builder.push(&" ".repeat(count.clamp(1, 64)));
                }
                "tab" if paragraph_depth > 0 && deleted_depth == 0 => layout.builder.push("\t"),
                "line-break" if paragraph_depth > 0 => layout.builder.separate(Separator::Line),
                "table" => {
                    layout.builder.separate(Separator::Paragraph);
                    if kind == OdfKind::Spreadsheet
                        && deleted_depth == 0
                        && let Some(name) = attribute(element, "name")
                    {
                        layout.builder.push(name.trim());
                        layout.builder.separate(Separator::Paragraph);
                    }
                }
                "table-row" => layout.builder.separate(Separator::Line),
                "table-cell" | "covered-table-cell" => {
                    layout.builder.separate(Separator::Tab);
                    if !empty {
                        layout.cell_depth += 1;
                    }
                }
                _ => {}
            }
        }
        Event::End(element) => match element.local_name().as_ref() {
            "p" | "h" => {
                paragraph_depth = paragraph_depth.saturating_sub(1);
                layout.paragraph_boundary();
            }
            "tracked-changes" => deleted_depth = deleted_depth.saturating_sub(1),
            "table" => layout.builder.separate(Separator::Paragraph),
            "table-row" => layout.builder.separate(Separator::Line),
            "table-cell" | "covered-table-cell" => layout.cell_depth = layout.cell_depth.saturating_sub(1),
            _ => {}
        },
        _ if paragraph_depth > 0 && deleted_depth == 0 => {
            if let Some(text) = event_text(&event) {
                layout.builder.push(&text);
            }
        }
        _ => {}
    })?;
    let title = core_title(archive, "meta.xml", budget);
    let (text, truncated) = layout.builder.finish();
    Ok(Draft { title, text, truncated, ..Draft::default() })
}

fn xlsx(archive: &mut Archive, budget: &mut Budget) -> Result<Draft, Problem> {
    let shared_strings = match read_member(archive, "xl/sharedStrings.xml", budget)? {
        Some(xml) => shared_strings(&xml)?,
        None => Vec::new(),
    };
    let sheets = sheets(archive, budget)?;
    let mut builder = TextBuilder::default();
    for (name, member) in sheets {
        if builder.is_full() {
            break;
        }
        let Some(xml) = read_member(archive, &member, budget)? else {
            continue;
        };
        builder.separate(Separator::Paragraph);
        builder.push(name.trim());
        builder.separate(Separator::Paragraph);
        worksheet(&member, &xml, &shared_strings, &mut builder)?;
    }
    let title = core_title(archive, "docProps/core.xml", budget);
    let (text, truncated) = builder.finish();
    Ok(Draft { title, text, truncated, ..Draft::default() })
}

/// The shared string table: one string per `<si>`, rich-text runs joined,
/// phonetic guides (`<rPh>`) left out.
fn shared_strings(xml: &str) -> Result<Vec<String>, Problem> {
    let mut strings = Vec::new();
    let mut current: Option<String> = None;
    let mut in_text = false;
    let mut phonetic_depth = 0usize;
    walk_xml("xl/sharedStrings.xml", xml, |event| match &event {
        Event::Start(element) => match element.local_name().as_ref() {
            "si" => current = Some(String::new()),
            "t" => in_text = true,
            "rPh" => phonetic_depth += 1,
            _ => {}
        },
        Event::Empty(element) if element.local_name().as_ref() == "si" => strings.push(String::new()),
        Event::End(element) => match element.local_name().as_ref() {
            "si" => strings.push(current.take().unwrap_or_default()),
            "t" => in_text = false,
            "rPh" => phonetic_depth = phonetic_depth.saturating_sub(1),
            _ => {}
        },
        _ if in_text && phonetic_depth == 0 => {
            if let (Some(current), Some(text)) = (current.as_mut(), event_text(&event)) {
                current.push_str(&text);
            }
        }
        _ => {}
    })?;
    Ok(strings)
}

/// Sheet names and their worksheet members, in workbook order.
fn sheets(archive: &mut Archive, budget: &mut Budget) -> Result<Vec<(String, String)>, Problem> {
    let workbook_member = "xl/workbook.xml";
    let workbook =
        read_member(archive, workbook_member, budget)?.ok_or_else(|| format!("{workbook_member} is missing"))?;
    let mut declared: Vec<(String, Option<String>)> = Vec::new();
    walk_xml(workbook_member, &workbook, |event| {
        if let Event::Start(element) | Event::Empty(element) = &event
            && element.local_name().as_ref() == "sheet"
        {
            let name = attribute(element, "name").unwrap_or_default();
            declared.push((name, attribute(element, "id")));
        }
    })?;
    let mut targets: HashMap<String, String> = HashMap::new();
    if let Ok(Some(relationships)) = read_member(archive, "xl/_rels/workbook.xml.rels", budget) {
        // Broken relationships are not fatal: the fallback below finds sheets.
        let _ = walk_xml("xl/_rels/workbook.xml.rels", &relationships, |event| {
            if let Event::Start(element) | Event::Empty(element) = &event
                && element.local_name().as_ref() == "Relationship"
                && let (Some(id), Some(target)) = (attribute(element, "Id"), attribute(element, "Target"))
            {
                targets.insert(id, resolve_target(&target));
            }
        });
    }
    let mut sheets: Vec<(String, String)> = declared
        .into_iter()
        .filter_map(|(name, id)| id.and_then(|id| targets.get(&id).cloned()).map(|member| (name, member)))
        .collect();
    if sheets.is_empty() {
        // No usable relationships: take the worksheets by their numbers.
        let mut numbered: Vec<(u64, String)> = archive
            .file_names()
            .filter_map(|name| {
                let number = name.strip_prefix("xl/worksheets/sheet")?.strip_suffix(".xml")?.parse().ok()?;
                Some((number, name.to_owned()))
            })
            .collect();
        numbered.sort();
        sheets = numbered.into_iter().map(|(number, member)| (format!("Sheet{number}"), member)).collect();
    }
    Ok(sheets)
}

/// A relationship target relative to `xl/` (or absolute from the root) as a
/// member name.
fn resolve_target(target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_owned();
    }
    let mut parts: Vec<&str> = vec!["xl"];
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// One worksheet: each row a line, its non-empty cells tab-separated.
fn worksheet(member: &str, xml: &str, shared_strings: &[String], builder: &mut TextBuilder) -> Result<(), Problem> {
    let mut row: Vec<String> = Vec::new();
    let mut cell_type = String::new();
    let mut value = String::new();
    let mut in_value = false;
    let mut in_inline_text = false;
    let mut phonetic_depth = 0usize;
    let mut inline_depth = 0usize;
    walk_xml(member, xml, |event| match &event {
        Event::Start(element) => match element.local_name().as_ref() {
            "row" => row.clear(),
            "c" => {
                cell_type = attribute(element, "t").unwrap_or_default();
                value.clear();
            }
            "v" => in_value = true,
            "is" => inline_depth += 1,
            "t" if inline_depth > 0 => in_inline_text = true,
            "rPh" => phonetic_depth += 1,
            _ => {}
        },
        Event::End(element) => match element.local_name().as_ref() {
            "row" => {
                if !row.is_empty() {
                    builder.push(&row.join("\t"));
                    builder.separate(Separator::Line);
                }
                row.clear();
            }
            "c" => {
                let shown = match cell_type.as_str() {
                    "s" => value.trim().parse::<usize>().ok().and_then(|index| shared_strings.get(index)).cloned(),
                    "b" => Some(if value.trim() == "1" { "TRUE" } else { "FALSE" }.to_owned()),
                    _ => Some(std::mem::take(&mut value)),
                };
                if let Some(shown) = shown {
                    let shown = shown.replace(['\r', '\n', '\t'], " ");
                    let shown = shown.trim();
                    if !shown.is_empty() {
                        row.push(shown.to_owned());
                    }
                }
                value.clear();
            }
            "v" => in_value = false,
            "is" => inline_depth = inline_depth.saturating_sub(1),
            "t" => in_inline_text = false,
            "rPh" => phonetic_depth = phonetic_depth.saturating_sub(1),
            _ => {}
        },
        _ if (in_value || in_inline_text) && phonetic_depth == 0 => {
            if let Some(text) = event_text(&event) {
                value.push_str(&text);
            }
        }
        _ => {}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationship_targets_resolve_to_member_names() {
        assert_eq!(resolve_target("worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve_target("/xl/worksheets/sheet2.xml"), "xl/worksheets/sheet2.xml");
        assert_eq!(resolve_target("./worksheets/../worksheets/sheet3.xml"), "xl/worksheets/sheet3.xml");
    }

    #[test]
    fn xml_errors_name_the_member_and_offset() {
        let problem = walk_xml("word/document.xml", "<a><b></a>", |_| {}).err().unwrap_or_default();
        assert!(problem.starts_with("word/document.xml is not valid XML at byte "), "{problem}");
    }

    #[test]
    fn shared_strings_join_runs_and_skip_phonetics() {
        let xml =
            "<sst><si><t>plain</t></si><si><r><t>ri</t></r><r><t>ch</t></r><rPh><t>ふり</t></rPh></si><si/></sst>";
        assert_eq!(shared_strings(xml), Ok(vec!["plain".to_owned(), "rich".to_owned(), String::new()]));
    }
}
