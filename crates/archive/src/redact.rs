//! Redaction (witness protection, issue 6): a public (or restricted) copy of
//! an item with names, spans or image regions removed and every piece of
//! file metadata stripped, added as a new item that records which item it
//! was made from (`docs/sealing.md`, "Redaction").
//!
//! The original may be sealed: it is decrypted into memory (wiped when
//! dropped), redacted there, and only the redacted bytes are written, to a
//! staging file under `tmp/` that becomes the new item through the normal
//! `add` pipeline. The derivation is then committed as an `item.derive`
//! log entry (`docs/log-entry.md`) with a row in the store's
//! `item_derivation`, in one transaction.
//!
//! - Text (plain text, and anything with extracted text, which becomes
//!   UTF-8 `.txt`): every occurrence of each `--remove` string (compared
//!   without regard to case) and each `--span` of characters is replaced by
//!   [`REDACTION_MARKER`]. A `--remove` string that does not occur is an
//!   error: a mistyped name must not be published by silence.
//! - Images (PNG, JPEG): each region is painted black, and the image is
//!   decoded and encoded again, which drops EXIF (GPS included), XMP, ICC
//!   profiles, comments and text chunks: the encoders write pixels only.
//!   Regions are in the image as displayed (after its EXIF orientation).
//!
//! The derivative's name is `redacted-<source id>.txt` (or `.png`, `.jpg`):
//! nothing of the original's name, path, author or time is carried over.

use std::io::{Cursor, Read, Write};
use std::ops::Range;

use evident_core::{ItemId, LogEntry};
use evident_store::ItemDerivationRow;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::seal::Sensitivity;
use crate::{AddConfig, AddOutcome, AddStatus, Archive, ArchiveError, AuditEvent, Result, now_rfc3339};

/// What replaces each removed string or span in a redacted text: five full
/// blocks (U+2588), the same length whatever was removed, so the marker
/// says nothing about the length of what it hides.
pub const REDACTION_MARKER: &str = "█████";

/// The largest original that can be redacted (it is held in memory).
pub const MAX_REDACT_BYTES: u64 = evident_extract::MAX_INPUT_BYTES;

/// A rectangle of an image to black out, in pixels of the image as
/// displayed: `x`, `y` of its top left corner, its width and height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Region {
    /// Parses `X,Y,W,H` (non-negative integers, width and height above 0).
    pub fn parse(text: &str) -> Result<Region> {
        let numbers: Vec<u32> = text
            .split(',')
            .map(|part| part.trim().parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|_| ArchiveError::Invalid(format!("region {text:?} is not X,Y,W,H (four whole numbers)")))?;
        match numbers[..] {
            [x, y, width, height] if width > 0 && height > 0 => Ok(Region { x, y, width, height }),
            [_, _, _, _] => Err(ArchiveError::Invalid(format!("region {text:?} has no area (width or height 0)"))),
            _ => Err(ArchiveError::Invalid(format!("region {text:?} is not X,Y,W,H (four whole numbers)"))),
        }
    }
}

/// Parses a span of characters `START..END` (end exclusive, counted in
/// Unicode scalar values of the extracted text, from 0).
pub fn parse_span(text: &str) -> Result<Range<usize>> {
    let invalid = || ArchiveError::Invalid(format!("span {text:?} is not START..END (character offsets)"));
    let (start, end) = text.split_once("..").ok_or_else(invalid)?;
    let start: usize = start.trim().parse().map_err(|_| invalid())?;
    let end: usize = end.trim().parse().map_err(|_| invalid())?;
    if start >= end {
        return Err(ArchiveError::Invalid(format!("span {text:?} is empty (START must be below END)")));
    }
    Ok(start..end)
}

/// What to redact and how the copy is filed.
#[derive(Clone, Debug)]
pub struct RedactConfig {
    /// who redacts (recorded in the copy's entries and the audit trail)
    pub actor: String,
    /// strings to remove wherever they occur (text only)
    pub remove: Vec<String>,
    /// character spans of the extracted text to remove (text only)
    pub spans: Vec<Range<usize>>,
    /// rectangles to black out (images only)
    pub regions: Vec<Region>,
    /// `Public` (published at once) or `Restricted`; never `Sealed`
    pub sensitivity: Sensitivity,
}

/// What `evident redact` made.
#[derive(Clone, Debug, Serialize)]
pub struct RedactReport {
    /// the new item, the redacted copy
    pub item: String,
    /// the item it was made from
    pub source: String,
    /// `text` or `image`
    pub kind: &'static str,
    /// the copy's file name
    pub name: String,
    /// strings and spans replaced (text), regions blacked out (image)
    pub redactions: usize,
    pub sensitivity: Sensitivity,
    /// the log index of the `item.derive` entry
    pub derive_index: u64,
    /// the log size after the run's checkpoint
    pub log_size: u64,
}

/// A derivation as `show` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Derivation {
    /// the derivative (the redacted copy)
    pub item: String,
    /// the item it was made from
    pub source: String,
    /// the log index of the `item.derive` entry
    pub log_index: u64,
}

impl From<ItemDerivationRow> for Derivation {
    fn from(row: ItemDerivationRow) -> Derivation {
        Derivation { item: row.item_id, source: row.source_id, log_index: row.log_index }
    }
}

/// The redacted bytes and what they are.
struct Redacted {
    bytes: Vec<u8>,
    extension: &'static str,
    kind: &'static str,
    redactions: usize,
}

impl Archive {
    /// Makes a redacted copy of `source` as a new item and logs the
    /// derivation. Nothing is stored if any redaction cannot be applied.
    pub fn redact(&mut self, source: &str, config: &RedactConfig) -> Result<RedactReport> {
        if config.sensitivity == Sensitivity::Sealed {
            return Err(ArchiveError::Invalid(
                "a redacted copy is public or restricted; the original stays as it is".to_owned(),
            ));
        }
        let source_id =
            ItemId::parse(source).map_err(|e| ArchiveError::Invalid(format!("{source} is not an item id: {e}")))?;
        self.signer()?;
        let item = self.item(source)?;
        let sealed = self.is_sealed(source)?;
        if !sealed && item.media_type == crate::SEALED_MEDIA_TYPE {
            return Err(ArchiveError::Invalid(format!(
                "{source} was sealed and its key destroyed (forgotten): its content can no longer be read or redacted"
            )));
        }
        let (original, name) = self.original_bytes(&item, sealed)?;
        let redacted = redact_bytes(&name, &original, config)?;
        drop(original);
        if sealed {
            // Reading sealed content is audited like any other read of it.
            self.audit(&AuditEvent {
                actor: config.actor.clone(),
                role: "cli".to_owned(),
                action: "redact".to_owned(),
                target: source.to_owned(),
                client: "cli".to_owned(),
            })?;
        }

        // Only the redacted bytes are written: to a staging file that the
        // add pipeline turns into an item (tmp/ is emptied at every open).
        let staging = self.layout.tmp().join(format!("redact-{}", crate::add::new_item_id()?.as_str()));
        std::fs::create_dir_all(&staging).map_err(ArchiveError::io("create", &staging))?;
        let file_name = format!("redacted-{source}.{}", redacted.extension);
        let path = staging.join(&file_name);
        let added = write_file(&path, &redacted.bytes).and_then(|()| {
            let add = AddConfig {
                actor: config.actor.clone(),
                unpack: false,
                relative_to: Some(staging.clone()),
                sensitivity: config.sensitivity,
                ..AddConfig::default()
            };
            let mut outcomes: Vec<AddOutcome> = Vec::new();
            self.add(std::slice::from_ref(&path), &add, &mut |outcome: &AddOutcome| outcomes.push(outcome.clone()))?;
            Ok(outcomes)
        });
        let _ = std::fs::remove_dir_all(&staging);
        let outcome = added?.into_iter().next().ok_or_else(|| ArchiveError::Corrupted {
            what: format!("the redacted copy of {source}"),
            detail: "adding it reported no outcome".to_owned(),
        })?;
        let derivative = match (outcome.status, outcome.item) {
            (AddStatus::Added, Some(id)) => id,
            (AddStatus::Duplicate, Some(id)) => {
                return Err(ArchiveError::Invalid(format!(
                    "this redacted copy is byte for byte the item {id} already in the archive; nothing was added"
                )));
            }
            _ => {
                return Err(ArchiveError::Invalid(format!(
                    "the redacted copy of {source} was refused: {}",
                    outcome.error.unwrap_or_default()
                )));
            }
        };
        let derivative_id = ItemId::parse(&derivative)
            .map_err(|e| ArchiveError::Corrupted { what: derivative.clone(), detail: e.to_string() })?;
        let entry =
            LogEntry::item_derive(&derivative_id, now_rfc3339(), config.actor.clone(), &source_id, item.log_index)
                .encode()
                .map_err(|e| ArchiveError::Invalid(format!("the item.derive entry of {derivative}: {e}")))?;
        let row = ItemDerivationRow { item_id: derivative.clone(), source_id: source.to_owned(), log_index: 0 };
        let derive_index = self.store.commit_item_derivation(&row, &entry)?;
        let log_size = self.publish()?;
        self.update_index_quietly();
        Ok(RedactReport {
            item: derivative,
            source: source.to_owned(),
            kind: redacted.kind,
            name: file_name,
            redactions: redacted.redactions,
            sensitivity: config.sensitivity,
            derive_index,
            log_size,
        })
    }

    /// What an item was derived from, if it is a redacted copy.
    pub fn item_derivation(&self, id: &str) -> Result<Option<Derivation>> {
        Ok(self.store.item_derivation(id)?.map(Derivation::from))
    }

    /// The redacted copies made from an item, oldest first.
    pub fn item_derivatives(&self, id: &str) -> Result<Vec<Derivation>> {
        Ok(self.store.item_derivations(Some(id))?.into_iter().map(Derivation::from).collect())
    }

    /// The original's bytes (decrypted, for a sealed one) and its name.
    fn original_bytes(
        &self,
        item: &evident_store::ItemRecord,
        sealed: bool,
    ) -> Result<(Zeroizing<Vec<u8>>, Zeroizing<String>)> {
        let too_large = |size: u64| {
            ArchiveError::Invalid(format!(
                "{} is {size} bytes; redaction reads items of at most {MAX_REDACT_BYTES} bytes",
                item.id
            ))
        };
        if sealed {
            let view = self.sealed_item(&item.id)?;
            if view.size > MAX_REDACT_BYTES {
                return Err(too_large(view.size));
            }
            let mut bytes = Zeroizing::new(Vec::with_capacity(view.size as usize));
            self.read_sealed(&item.id, &mut *bytes)?;
            return Ok((bytes, Zeroizing::new(view.original_name.clone())));
        }
        if item.size > MAX_REDACT_BYTES {
            return Err(too_large(item.size));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(item.size as usize));
        self.objects
            .open_file(&item.id, &item.file_name)?
            .take(MAX_REDACT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ArchiveError::Corrupted { what: format!("the file of {}", item.id), detail: e.to_string() })?;
        Ok((bytes, Zeroizing::new(item.original_name.clone())))
    }
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path).map_err(ArchiveError::io("create", path))?;
    file.write_all(bytes).map_err(ArchiveError::io("write", path))
}

/// Redacts an original in memory.
fn redact_bytes(name: &str, bytes: &[u8], config: &RedactConfig) -> Result<Redacted> {
    let image_format = match image::guess_format(bytes) {
        Ok(format @ (image::ImageFormat::Png | image::ImageFormat::Jpeg)) => Some(format),
        _ => None,
    };
    match image_format {
        Some(format) => {
            if !config.remove.is_empty() || !config.spans.is_empty() {
                return Err(ArchiveError::Invalid(
                    "this item is an image: redact it with --region X,Y,W,H, not --remove or --span".to_owned(),
                ));
            }
            redact_image(bytes, format, &config.regions)
        }
        None => {
            if !config.regions.is_empty() {
                return Err(ArchiveError::Invalid(
                    "--region applies to images (PNG, JPEG); this item is not one: use --remove or --span".to_owned(),
                ));
            }
            let text = match evident_extract::extract(name, bytes) {
                evident_extract::Extraction::Text(extracted) => Zeroizing::new(extracted.text),
                evident_extract::Extraction::NoText { format } => {
                    return Err(ArchiveError::Invalid(format!(
                        "this item ({format}) has no text and is not a PNG or JPEG image, so it cannot be redacted"
                    )));
                }
                evident_extract::Extraction::Failed { format, reason } => {
                    return Err(ArchiveError::Invalid(format!(
                        "the text of this item ({format}) cannot be read, so it cannot be redacted: {reason}"
                    )));
                }
            };
            let (redacted, redactions) = redact_text(&text, &config.remove, &config.spans)?;
            Ok(Redacted { bytes: redacted.into_bytes(), extension: "txt", kind: "text", redactions })
        }
    }
}

/// Replaces every occurrence of each `remove` string (without regard to
/// case) and every span with [`REDACTION_MARKER`]; overlapping ones become
/// one marker. Returns the text and the number of removals.
pub fn redact_text(text: &str, remove: &[String], spans: &[Range<usize>]) -> Result<(String, usize)> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    // Byte offset of each character, and the end.
    let offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let characters = offsets.len() - 1;
    for (number, span) in spans.iter().enumerate() {
        if span.start >= span.end || span.end > characters {
            return Err(ArchiveError::Invalid(format!(
                "span {} ({}..{}) is outside the text, which has {characters} characters",
                number + 1,
                span.start,
                span.end
            )));
        }
        ranges.push(offsets[span.start]..offsets[span.end]);
    }
    for (number, needle) in remove.iter().enumerate() {
        if needle.trim().is_empty() {
            return Err(ArchiveError::Invalid(format!("--remove {} is empty", number + 1)));
        }
        let found = occurrences(text, needle);
        if found.is_empty() {
            // The string is not repeated: it may be a name that must not
            // appear in any output.
            return Err(ArchiveError::Invalid(format!(
                "--remove {} (of {}) does not occur in the text; check its spelling (nothing was redacted or added)",
                number + 1,
                remove.len()
            )));
        }
        ranges.extend(found);
    }
    if ranges.is_empty() {
        return Err(ArchiveError::Invalid(
            "nothing to redact: give --remove TEXT or --span START..END (a copy would only strip metadata, \
             which text has none of; for an image, --region is optional)"
                .to_owned(),
        ));
    }
    ranges.sort_by_key(|range| (range.start, range.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    let mut output = String::with_capacity(text.len());
    let mut position = 0;
    for range in &merged {
        output.push_str(&text[position..range.start]);
        output.push_str(REDACTION_MARKER);
        position = range.end;
    }
    output.push_str(&text[position..]);
    // Removing one occurrence can join its neighbours into a new one.
    for (number, needle) in remove.iter().enumerate() {
        if !occurrences(&output, needle).is_empty() {
            return Err(ArchiveError::Invalid(format!(
                "--remove {} still occurs after redaction (the text around a removal forms it again); \
                 remove a longer string or a span",
                number + 1
            )));
        }
    }
    Ok((output, merged.len()))
}

/// Byte ranges of `needle` in `text`, compared character by character in
/// lower case.
fn occurrences(text: &str, needle: &str) -> Vec<Range<usize>> {
    let needle: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    let mut found = Vec::new();
    for (start, _) in text.char_indices() {
        let mut wanted = needle.iter();
        let mut end = start;
        let mut matched = false;
        for (offset, character) in text[start..].char_indices() {
            let mut lower = character.to_lowercase();
            let mut ok = true;
            for folded in lower.by_ref() {
                match wanted.next() {
                    Some(expected) if *expected == folded => {}
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                break;
            }
            end = start + offset + character.len_utf8();
            if wanted.len() == 0 {
                matched = true;
                break;
            }
        }
        if matched {
            found.push(start..end);
        }
    }
    found
}

/// Blacks out regions and encodes the image again, without its metadata.
fn redact_image(bytes: &[u8], format: image::ImageFormat, regions: &[Region]) -> Result<Redacted> {
    use image::ImageDecoder;
    let invalid = |e: image::ImageError| ArchiveError::Invalid(format!("the image cannot be decoded: {e}"));
    let mut decoder = image::ImageReader::with_format(Cursor::new(bytes), format).into_decoder().map_err(invalid)?;
    let orientation = decoder.orientation().map_err(invalid)?;
    let mut picture = image::DynamicImage::from_decoder(decoder).map_err(invalid)?;
    picture.apply_orientation(orientation);
    let (width, height) = (picture.width(), picture.height());
    let mut pixels = picture.to_rgba8();
    drop(picture);
    for (number, region) in regions.iter().enumerate() {
        if region.x >= width || region.y >= height {
            return Err(ArchiveError::Invalid(format!(
                "region {} ({},{},{},{}) lies outside the image, which is {width}x{height}",
                number + 1,
                region.x,
                region.y,
                region.width,
                region.height
            )));
        }
        let right = region.x.saturating_add(region.width).min(width);
        let bottom = region.y.saturating_add(region.height).min(height);
        for y in region.y..bottom {
            for x in region.x..right {
                pixels.put_pixel(x, y, image::Rgba([0, 0, 0, 255]));
            }
        }
    }
    let mut output = Vec::new();
    let encoded = match format {
        image::ImageFormat::Jpeg => {
            let rgb = image::DynamicImage::ImageRgba8(pixels).to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut output, 92).encode_image(&rgb)
        }
        _ => image::DynamicImage::ImageRgba8(pixels).write_to(&mut Cursor::new(&mut output), image::ImageFormat::Png),
    };
    encoded.map_err(|e| ArchiveError::Invalid(format!("the redacted image cannot be encoded: {e}")))?;
    let extension = if format == image::ImageFormat::Jpeg { "jpg" } else { "png" };
    Ok(Redacted { bytes: output, extension, kind: "image", redactions: regions.len() })
}

/// Checks every `item.derive` entry against the store (for `verify`): its
/// row, both items, and that the source's `item.add` entry precedes it.
/// Returns the log indexes of the entries the store accounts for.
pub(crate) fn check_derivations(
    archive: &Archive,
    entries: &[Vec<u8>],
    problem: &mut dyn FnMut(String, String),
) -> Result<std::collections::BTreeSet<u64>> {
    let mut accounted = std::collections::BTreeSet::new();
    for row in archive.store.item_derivations(None)? {
        let what = format!("{} (redacted from {})", row.item_id, row.source_id);
        let entry = match entries.get(row.log_index as usize).map(|e| LogEntry::decode(e)) {
            None => {
                problem(what, format!("its item.derive entry {} is not in the log", row.log_index));
                continue;
            }
            Some(Err(e)) => {
                problem(what, format!("log entry {}: {e}", row.log_index));
                continue;
            }
            Some(Ok(entry)) => entry,
        };
        accounted.insert(row.log_index);
        if entry.kind != evident_core::ITEM_DERIVE
            || entry.id != row.item_id
            || entry.source.as_deref() != Some(row.source_id.as_str())
        {
            problem(what, format!("log entry {} is not this derivation", row.log_index));
            continue;
        }
        match archive.store.item(&row.source_id)? {
            None => problem(what.clone(), "the item it was made from is not in the archive".to_owned()),
            Some(source) => {
                if entry.source_index != Some(source.log_index) {
                    problem(
                        what.clone(),
                        format!(
                            "its entry names entry {:?} as the source's, not {}",
                            entry.source_index, source.log_index
                        ),
                    );
                }
                if source.log_index >= row.log_index {
                    problem(what.clone(), "the source's item.add entry does not precede the derivation".to_owned());
                }
            }
        }
        match archive.store.item(&row.item_id)? {
            None => problem(what, "the redacted copy is not in the archive".to_owned()),
            Some(copy) if copy.log_index >= row.log_index => {
                problem(what, "the copy's item.add entry does not precede its derivation".to_owned())
            }
            Some(_) => {}
        }
    }
    Ok(accounted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_removals_are_case_insensitive_merged_and_marked() {
        let text = "Witness Alice Canary met ALICE canary in 喀什 with Алиса.";
        let remove = vec!["alice canary".to_owned(), "喀什".to_owned(), "алиса".to_owned()];
        let (redacted, count) = redact_text(text, &remove, &[]).unwrap();
        assert_eq!(redacted, "Witness █████ met █████ in █████ with █████.");
        assert_eq!(count, 4);
        let (spanned, _) = redact_text("0123456789", &[], &[2..4, 3..6]).unwrap();
        assert_eq!(spanned, "01█████6789");
    }

    #[test]
    fn a_missing_string_or_a_bad_span_is_refused() {
        let error = redact_text("some text", &["Bob".to_owned()], &[]).unwrap_err().to_string();
        assert!(error.contains("does not occur"), "{error}");
        assert!(!error.contains("Bob"), "the error must not repeat the string: {error}");
        assert!(redact_text("short", &[], &[3..9, 0..1]).is_err());
        assert!(redact_text("short", &[], &[]).is_err());
        assert!(redact_text("short", &["  ".to_owned()], &[]).is_err());
    }

    #[test]
    fn spans_and_regions_parse() {
        assert_eq!(parse_span("3..7").unwrap(), 3..7);
        assert!(parse_span("7..3").is_err());
        assert!(parse_span("x..3").is_err());
        assert_eq!(Region::parse("1,2,3,4").unwrap(), Region { x: 1, y: 2, width: 3, height: 4 });
        assert!(Region::parse("1,2,0,4").is_err());
        assert!(Region::parse("1,2,3").is_err());
    }
}
