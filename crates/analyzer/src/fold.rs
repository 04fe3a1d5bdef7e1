//! Folding: the text as the index sees it (NFKC, lower case, one form of
//! Chinese, one spelling of each Uyghur letter), with a map back to the
//! original text so that every token keeps byte offsets into what the user
//! wrote.
//!
//! The text is folded in *chunks*: a chunk starts at a character that nothing
//! before it can combine with under NFKC (canonical combining class 0 and
//! NFKC quick check not "maybe") and takes the combining characters after it.
//! Normalising chunk by chunk therefore gives the same text as normalising
//! the whole string, and each chunk knows which original bytes it came from.
//!
//! *Invariant*: the spans cover the folded text without gaps, in order, and
//! every offset they give back lies on a character boundary of the original.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::script::{is_arabic_letter, is_han};

/// Folded text plus the map from folded byte offsets to original ones.
pub struct Folded {
    pub(crate) text: String,
    spans: Vec<Span>,
}

/// A piece of folded text and the original bytes it came from. In a
/// `linear` span every character was replaced by one of the same UTF-8 length
/// (or kept), so byte `folded_start + k` came from `original_start + k`; in
/// any other span only the span's two ends are known.
#[derive(Clone, Copy, Debug)]
struct Span {
    folded_start: usize,
    original_start: usize,
    original_end: usize,
    linear: bool,
}

impl Folded {
    /// The folded text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The original byte range that the folded range `start..end` came from.
    /// `start < end` and both lie on character boundaries of the folded text.
    /// An empty or out-of-range request gives an empty range.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        if self.spans.is_empty() || start >= end || end > self.text.len() {
            return (0, 0);
        }
        let first = self.span_containing(start);
        let from =
            if first.linear { first.original_start + (start - first.folded_start) } else { first.original_start };
        let last = self.span_containing(end - 1);
        let to = if last.linear { last.original_start + (end - last.folded_start) } else { last.original_end };
        (from, to.max(from))
    }

    fn span_containing(&self, folded_offset: usize) -> &Span {
        let index = self.spans.partition_point(|span| span.folded_start <= folded_offset);
        &self.spans[index.saturating_sub(1)]
    }

    fn push_span(&mut self, folded_start: usize, original_start: usize, original_end: usize, linear: bool) {
        if self.text.len() == folded_start {
            // The chunk folded to nothing (a tatweel, a diacritic): no span, so
            // the map never points into text the index does not hold.
            return;
        }
        if let Some(last) = self.spans.last_mut()
            && linear
            && last.linear
            && last.original_end == original_start
        {
            last.original_end = original_end;
            return;
        }
        self.spans.push(Span { folded_start, original_start, original_end, linear });
    }
}

/// Folds `original` for indexing or querying.
pub fn fold(original: &str) -> Folded {
    if original.is_ascii() {
        // Plain ASCII (most English text): NFKC leaves it alone and nothing
        // but case folds, byte for byte.
        let spans = if original.is_empty() {
            Vec::new()
        } else {
            vec![Span { folded_start: 0, original_start: 0, original_end: original.len(), linear: true }]
        };
        return Folded { text: original.to_ascii_lowercase(), spans };
    }
    let mut folded = Folded { text: String::with_capacity(original.len()), spans: Vec::new() };
    let mut needs_positional_pass = false;
    let mut has_han = false;
    let mut chars = original.char_indices().peekable();
    while let Some((start, first)) = chars.next() {
        let mut end = start + first.len_utf8();
        while let Some(&(next_start, next)) = chars.peek() {
            if starts_chunk(next) {
                break;
            }
            end = next_start + next.len_utf8();
            chars.next();
        }
        let folded_start = folded.text.len();
        if end - start == 1 {
            // ASCII on its own: NFKC leaves it alone.
            folded.text.push(first.to_ascii_lowercase());
            folded.push_span(folded_start, start, end, true);
            continue;
        }
        let chunk = &original[start..end];
        for character in chunk.chars().nfkc() {
            needs_positional_pass |= matches!(character, '\u{06CC}' | '\u{0647}' | '\u{0621}');
            has_han |= is_han(character);
            fold_character(character, &mut folded.text);
        }
        let output = &folded.text[folded_start..];
        let linear = output == chunk || {
            let mut input_chars = chunk.chars();
            let mut output_chars = output.chars();
            matches!(
                (input_chars.next(), input_chars.next(), output_chars.next(), output_chars.next()),
                (Some(a), None, Some(b), None) if a.len_utf8() == b.len_utf8()
            )
        };
        folded.push_span(folded_start, start, end, linear);
    }
    if needs_positional_pass {
        folded.text = fold_by_position(&folded.text);
    }
    if has_han {
        folded.text = fold_traditional_to_simplified(&folded.text);
    }
    folded
}

/// Whether a chunk boundary lies before `character`: nothing before it can
/// combine with it or be reordered past it under NFKC.
fn starts_chunk(character: char) -> bool {
    character.is_ascii()
        || (canonical_combining_class(character) == 0
            && is_nfkc_quick(std::iter::once(character)) != IsNormalized::Maybe)
}

/// Folds one NFKC character into `output`: Arabic-script and format
/// characters as documented in the crate root, digits of other scripts to
/// ASCII, everything else lower-cased.
fn fold_character(character: char, output: &mut String) {
    match character {
        // Tatweel (kashida) only stretches a joined letter; zero-width
        // (non-)joiners, the soft hyphen and the byte-order mark only steer
        // rendering.
        '\u{0640}' | '\u{200C}' | '\u{200D}' | '\u{00AD}' | '\u{FEFF}' => {}
        // Arabic harakat and the superscript alef: Uyghur does not write
        // them, Arabic writes them only sometimes.
        '\u{064B}'..='\u{0652}' | '\u{0670}' => {}
        // Hamza written as a mark (above, or the high hamza that NFKC leaves
        // from U+0675..U+0678) after a yeh or alef maksura is the Uyghur
        // hamza carrier ئ; elsewhere it is dropped.
        '\u{0654}' | '\u{0674}' => {
            if output.ends_with(['\u{064A}', '\u{0649}']) {
                output.pop();
                output.push('\u{0626}');
            }
        }
        // Alef with hamza or madda, alef wasla: plain alef.
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => output.push('\u{0627}'),
        // Keheh (Persian kaf) and swash kaf: Arabic kaf, the Uyghur k.
        '\u{06A9}' | '\u{06AA}' => output.push('\u{0643}'),
        // Heh goal (Urdu): heh doachashmee ھ, the Uyghur h.
        '\u{06C1}' => output.push('\u{06BE}'),
        // Teh marbuta: Uyghur ە, which it looks like.
        '\u{0629}' => output.push('\u{06D5}'),
        // Arabic-Indic, extended Arabic-Indic and Tibetan digits: ASCII.
        '\u{0660}'..='\u{0669}' => push_digit(output, character as u32 - 0x0660),
        '\u{06F0}'..='\u{06F9}' => push_digit(output, character as u32 - 0x06F0),
        '\u{0F20}'..='\u{0F29}' => push_digit(output, character as u32 - 0x0F20),
        // Capital I with dot (Turkish, Azerbaijani) lower-cases to i and a
        // combining dot; searchers type a plain i.
        '\u{0130}' => output.push('i'),
        _ if character.is_ascii() => output.push(character.to_ascii_lowercase()),
        _ => output.extend(character.to_lowercase()),
    }
}

fn push_digit(output: &mut String, value: u32) {
    output.push(char::from_digit(value, 10).unwrap_or('0'));
}

/// Letters whose Uyghur reading depends on whether a letter follows (the
/// shape a typist saw): Farsi yeh ی and Arabic heh ه, and the lone hamza ء.
/// Every replacement has the same UTF-8 length, so the span map stays valid.
fn fold_by_position(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        let letter_follows = chars.peek().is_some_and(|&next| is_arabic_letter(next));
        output.push(match (character, letter_follows) {
            // Farsi yeh joined to a following letter has two dots below and
            // reads as Uyghur ي (y); at the end of a word it is dotless and
            // reads as ى (i).
            ('\u{06CC}', true) => '\u{064A}',
            ('\u{06CC}', false) => '\u{0649}',
            // Arabic heh before a letter looks like Uyghur ھ (h); at the end
            // of a word it looks like, and stands for, ە (e).
            ('\u{0647}', true) => '\u{06BE}',
            ('\u{0647}', false) => '\u{06D5}',
            // A lone hamza before a letter stands for the hamza carrier ئ that
            // begins every vowel-initial Uyghur syllable.
            ('\u{0621}', true) => '\u{0626}',
            (other, _) => other,
        });
    }
    output
}

/// Traditional Chinese characters to simplified ones. fast2s emits one
/// character for each input character and its table maps three-byte
/// characters to three-byte characters; the checks keep the span map valid
/// even if a future table does not.
fn fold_traditional_to_simplified(text: &str) -> String {
    let converted = fast2s::convert(text);
    if converted.chars().count() != text.chars().count() {
        return text.to_owned();
    }
    text.chars()
        .zip(converted.chars())
        .map(|(before, after)| if before.len_utf8() == after.len_utf8() { after } else { before })
        .collect()
}
