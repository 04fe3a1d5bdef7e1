//! Plain text in any common encoding, and the decoding that HTML, CSV and
//! JSON share.
//!
//! The order of the checks matters: a byte-order mark is certain; UTF-16
//! without a mark must be recognised before the binary check (its ASCII
//! letters come with NUL bytes); binary data must be refused before a legacy
//! detector, which would happily decode anything as windows-1252; and UTF-8
//! must be tried before the detector because short UTF-8 text can look like
//! many legacy encodings.

use std::borrow::Cow;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE};

use crate::Draft;
use crate::builder::TextBuilder;

/// How much of the start of a file the heuristics look at.
const SAMPLE_BYTES: usize = 64 * 1024;
/// How much chardetng is fed: enough for any real text, bounded for speed.
const DETECTOR_BYTES: usize = 1024 * 1024;

/// Text decoded from bytes, with the name of the encoding used.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) text: String,
    pub(crate) encoding: &'static str,
}

/// Decodes `bytes` as text, or returns `None` when they look like binary data.
pub(crate) fn decode(bytes: &[u8]) -> Option<Decoded> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let decoded = decode_with(encoding, &bytes[bom_length..]);
        return (!decoded_looks_binary(&decoded.text)).then_some(decoded);
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let decoded = decode_with(encoding, bytes);
        return (!decoded_looks_binary(&decoded.text)).then_some(decoded);
    }
    if looks_binary(bytes) {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => return Some(Decoded { text: text.to_owned(), encoding: UTF_8.name() }),
        // Valid up to a character cut off by the end of the file.
        Err(error) if error.error_len().is_none() => return Some(decode_with(UTF_8, bytes)),
        Err(_) => {}
    }
    if mostly_utf8(&bytes[..bytes.len().min(SAMPLE_BYTES)]) {
        return Some(decode_with(UTF_8, bytes));
    }
    Some(decode_with(detect_legacy(bytes), bytes))
}

/// Decodes with a known encoding (no BOM sniffing); malformed sequences become
/// U+FFFD. GBK is decoded as GB18030, its superset (the WHATWG decoders are
/// the same), and reported by that name.
pub(crate) fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> Decoded {
    let encoding = if encoding == GBK { GB18030 } else { encoding };
    let (text, _had_errors) = encoding.decode_without_bom_handling(bytes);
    let text = match text {
        Cow::Borrowed(text) => text.to_owned(),
        Cow::Owned(text) => text,
    };
    // encoding_rs spells this one name in lower case, unlike all the others
    // a caller is likely to show.
    let name = if encoding == GB18030 { "GB18030" } else { encoding.name() };
    Decoded { text, encoding: name }
}

/// The legacy encoding chardetng (Firefox's detector) guesses for `bytes`.
pub(crate) fn detect_legacy(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
    let sample = &bytes[..bytes.len().min(DETECTOR_BYTES)];
    detector.feed(sample, true);
    detector.guess(None, Utf8Detection::Allow)
}

/// True when the start of `bytes` decodes as text.
pub(crate) fn is_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    decode(sample).is_some()
}

/// True when the start of `bytes` holds too many NUL or control bytes to be
/// text. Tab, line feed, form feed, carriage return and escape (coloured
/// logs) are normal in text; DOS files may end with a SUB (0x1A).
pub(crate) fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    let controls =
        sample.iter().filter(|&&byte| matches!(byte, 0x00..=0x08 | 0x0B | 0x0E..=0x1A | 0x1C..=0x1F | 0x7F)).count();
    controls * 100 > sample.len()
}

/// The same test on already decoded text (for UTF-16, where NUL bytes are
/// normal), counting replacement characters from malformed input too.
fn decoded_looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    for character in text.chars().take(SAMPLE_BYTES) {
        total += 1;
        let control = character.is_control() && !matches!(character, '\t' | '\n' | '\r' | '\x0c' | '\x1b');
        if control || character == '\u{fffd}' {
            bad += 1;
        }
    }
    bad * 20 > total
}

/// UTF-16 without a byte-order mark, recognised by its NUL bytes: text that
/// is mostly ASCII or Latin-1 has a zero high byte in most code units.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES) & !1];
    let units = sample.len() / 2;
    if units < 2 {
        return None;
    }
    let zero_even = sample.iter().step_by(2).filter(|&&byte| byte == 0).count();
    let zero_odd = sample.iter().skip(1).step_by(2).filter(|&&byte| byte == 0).count();
    let mostly = |count: usize| count * 10 >= units * 4;
    let rarely = |count: usize| count * 20 <= units;
    if mostly(zero_odd) && rarely(zero_even) {
        Some(UTF_16LE)
    } else if mostly(zero_even) && rarely(zero_odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// UTF-8 with a few damaged bytes (a file cut in the middle of a character,
/// one stray Latin-1 byte) is still UTF-8. Legacy CJK encodings produce some
/// valid UTF-8 pairs by chance, but far more invalid ones.
fn mostly_utf8(sample: &[u8]) -> bool {
    let mut valid_non_ascii = 0usize;
    let mut invalid = 0usize;
    for chunk in sample.utf8_chunks() {
        valid_non_ascii += chunk.valid().chars().filter(|character| !character.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    // A sequence cut at the end of the sample is not an error in the file.
    if sample.len() == SAMPLE_BYTES && invalid > 0 {
        invalid -= 1;
    }
    valid_non_ascii >= 4 && invalid * 20 <= valid_non_ascii
}

/// Line ends as `\n` only.
pub(crate) fn normalize_newlines(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Plain text: lines kept, blank-line runs made single paragraph breaks.
pub(crate) fn extract(decoded: Decoded) -> Draft {
    let mut builder = TextBuilder::default();
    builder.push_lines(&normalize_newlines(&decoded.text));
    let (text, truncated) = builder.finish();
    Draft { text, truncated, encoding: Some(decoded.encoding.to_owned()), ..Draft::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoding_of(bytes: &[u8]) -> Option<&'static str> {
        decode(bytes).map(|decoded| decoded.encoding)
    }

    #[test]
    fn binary_and_text_are_told_apart() {
        assert_eq!(encoding_of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10"), None);
        assert_eq!(encoding_of(b"plain words\twith a tab\r\n"), Some("UTF-8"));
        assert_eq!(encoding_of(b"\x1b[31mred\x1b[0m log line\n"), Some("UTF-8"));
    }

    #[test]
    fn utf16_without_bom_is_recognised_both_ways() {
        let little: Vec<u8> = "Hello world".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let big: Vec<u8> = "Hello world".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(
            decode(&little).map(|decoded| (decoded.encoding, decoded.text)),
            Some(("UTF-16LE", "Hello world".into()))
        );
        assert_eq!(encoding_of(&big), Some("UTF-16BE"));
    }

    #[test]
    fn utf8_with_a_damaged_byte_or_a_cut_end_stays_utf8() {
        let mut cut = "Ürümqi hastanesi — böbrek nakli bekleme süresi çok uzun".as_bytes().to_vec();
        cut.extend_from_slice(&[0xE4, 0xBA]);
        assert_eq!(encoding_of(&cut), Some("UTF-8"));
        let sentence = "Ürümqi hastanesi — böbrek nakli bekleme süresi çok uzun. ";
        let mut damaged = sentence.repeat(5).into_bytes();
        damaged.insert(2, 0xFF);
        assert_eq!(encoding_of(&damaged), Some("UTF-8"));
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("Café, naïve résumé — déjà vu à Noël");
        assert_eq!(encoding_of(&latin1), Some("windows-1252"));
    }

    #[test]
    fn gbk_is_reported_as_gb18030() {
        let (bytes, _, _) = GBK.encode("维吾尔族 医院");
        assert_eq!(encoding_of(&bytes), Some("GB18030"));
    }

    #[test]
    fn newlines_are_normalised() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
    }
}
