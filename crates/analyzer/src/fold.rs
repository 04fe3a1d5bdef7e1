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

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::RawToken;
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

    /// A map for many lookups in increasing order of offset (a token
    /// stream's): each starts its search where the last one ended.
    pub(crate) fn offset_map(&self) -> OffsetMap<'_> {
        OffsetMap { folded: self, hint: 0 }
    }

    fn span_containing(&self, folded_offset: usize) -> &Span {
        let index = self.spans.partition_point(|span| span.folded_start <= folded_offset);
        &self.spans[index.saturating_sub(1)]
    }

    /// The index of the span that holds `folded_offset`, looking forward
    /// from `hint` first.
    fn span_index_from(&self, hint: usize, folded_offset: usize) -> usize {
        let spans = &self.spans;
        if hint < spans.len() && spans[hint].folded_start <= folded_offset {
            // Usually the same span or one of the next few.
            let mut index = hint;
            for _ in 0..8 {
                match spans.get(index + 1) {
                    Some(next) if next.folded_start <= folded_offset => index += 1,
                    _ => return index,
                }
            }
            let rest = &spans[index + 1..];
            return index + rest.partition_point(|span| span.folded_start <= folded_offset);
        }
        spans.partition_point(|span| span.folded_start <= folded_offset).saturating_sub(1)
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

/// [`Folded::original_range`] for lookups in increasing order.
pub(crate) struct OffsetMap<'a> {
    folded: &'a Folded,
    hint: usize,
}

impl OffsetMap<'_> {
    /// The original byte range of the folded range `start..end`, as
    /// [`Folded::original_range`] gives it.
    pub(crate) fn original_range(&mut self, start: usize, end: usize) -> (usize, usize) {
        let folded = self.folded;
        if folded.spans.is_empty() || start >= end || end > folded.text.len() {
            return (0, 0);
        }
        let first_index = folded.span_index_from(self.hint, start);
        self.hint = first_index;
        let first = &folded.spans[first_index];
        let from =
            if first.linear { first.original_start + (start - first.folded_start) } else { first.original_start };
        let last = &folded.spans[folded.span_index_from(first_index, end - 1)];
        let to = if last.linear { last.original_start + (end - last.folded_start) } else { last.original_end };
        (from, to.max(from))
    }

    /// A token for the folded range `start..end` at `position`.
    pub(crate) fn token(&mut self, start: usize, end: usize, position: usize) -> RawToken {
        let (offset_from, offset_to) = self.original_range(start, end);
        RawToken { folded_start: start, folded_end: end, offset_from, offset_to, position }
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
    let table = &*CHARACTER_TABLE;
    let mut folded = Folded { text: String::with_capacity(original.len()), spans: Vec::new() };
    let mut needs_positional_pass = false;
    let mut has_han = false;
    // The current run of simple characters (see `Entry`): one linear span,
    // pushed when the run ends.
    let mut run: Option<(usize, usize)> = None;
    let bytes = original.as_bytes();
    let next_starts_chunk = |at: usize| original[at..].chars().next().is_none_or(|c| table.entry(c).starts_chunk());
    let mut start = 0;
    while let Some(first) = original[start..].chars().next() {
        if first.is_ascii() {
            // A run of ASCII folds byte for byte (lower case), except its last
            // character when a combining mark follows it.
            let ascii_end = bytes[start..].iter().position(|b| !b.is_ascii()).map_or(bytes.len(), |n| start + n);
            let run_end = if next_starts_chunk(ascii_end) { ascii_end } else { ascii_end - 1 };
            if run_end > start {
                if run.is_none() {
                    run = Some((folded.text.len(), start));
                }
                let folded_start = folded.text.len();
                folded.text.push_str(&original[start..run_end]);
                folded.text[folded_start..].make_ascii_lowercase();
                start = run_end;
                continue;
            }
        }
        let mut end = start + first.len_utf8();
        let entry = table.entry(first);
        if let Some(output) = entry.simple()
            && next_starts_chunk(end)
        {
            // A chunk of one character that folds to one character of the
            // same length, whatever stands around it: no normalisation to run.
            if run.is_none() {
                run = Some((folded.text.len(), start));
            }
            has_han |= entry.is_han();
            folded.text.push(output);
            start = end;
            continue;
        }
        if let Some((folded_start, original_start)) = run.take() {
            folded.push_span(folded_start, original_start, start, true);
        }
        // A chunk: this character and the combining characters after it.
        while let Some(next) = original[end..].chars().next() {
            if table.entry(next).starts_chunk() {
                break;
            }
            end += next.len_utf8();
        }
        let folded_start = folded.text.len();
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
        start = end;
    }
    if let Some((folded_start, original_start)) = run {
        folded.push_span(folded_start, original_start, original.len(), true);
    }
    if needs_positional_pass {
        folded.text = fold_by_position(&folded.text);
    }
    if has_han {
        folded.text = fold_traditional_to_simplified(&folded.text);
    }
    folded
}

/// What folding does with each character of the Basic Multilingual Plane,
/// worked out once, so that the common case (a character that folds to one
/// character of the same length on its own) costs a table lookup rather than
/// a normalisation.
struct CharacterTable {
    /// per BMP code point: an [`Entry`]
    entries: Vec<Entry>,
    /// per BMP code point of three UTF-8 bytes: the simplified character
    /// fast2s gives it on its own (0: itself; [`T2S_IN_CONTEXT`]: it depends
    /// on the neighbours)
    simplified: Vec<u16>,
}

/// Bits of an entry: the folded character in the low 21 bits, and flags.
#[derive(Clone, Copy)]
struct Entry(u32);

const CHARACTER_BITS: u32 = 0x1F_FFFF;
/// The character starts a chunk: nothing before it can combine with it.
const STARTS_CHUNK: u32 = 1 << 31;
/// On its own the character folds to the one character in the low bits, of
/// the same UTF-8 length, whatever stands around it.
const SIMPLE: u32 = 1 << 30;
/// The folded character is a Han ideograph (traditional ones are then made
/// simplified in a pass over the whole text).
const HAN: u32 = 1 << 29;
/// fast2s's conversion of these characters depends on their neighbours
/// (fast2s 0.3's `T2S_EXCLUDE` and `T2S_SPECIAL_CONVERT_TYPE`), so it runs
/// with them in context.
const T2S_CONTEXTUAL: [char; 15] =
    ['兒', '覆', '夥', '藉', '瞭', '麽', '幺', '於', '乾', '著', '苧', '闔', '鍾', '讎', '畫'];
const T2S_IN_CONTEXT: u16 = u16::MAX;

impl Entry {
    fn starts_chunk(self) -> bool {
        self.0 & STARTS_CHUNK != 0
    }

    fn simple(self) -> Option<char> {
        if self.0 & SIMPLE == 0 { None } else { char::from_u32(self.0 & CHARACTER_BITS) }
    }

    fn is_han(self) -> bool {
        self.0 & HAN != 0
    }
}

static CHARACTER_TABLE: LazyLock<CharacterTable> = LazyLock::new(|| {
    let mut entries = Vec::with_capacity(0x1_0000);
    let mut simplified = vec![0u16; 0x1_0000];
    for code in 0..0x1_0000u32 {
        let Some(character) = char::from_u32(code) else {
            // Surrogates never occur in a `str`.
            entries.push(Entry(0));
            continue;
        };
        entries.push(classify(character));
        if character.len_utf8() == 3 {
            if T2S_CONTEXTUAL.contains(&character) {
                simplified[code as usize] = T2S_IN_CONTEXT;
            } else {
                let mut buffer = [0u8; 4];
                let converted = fast2s::convert(character.encode_utf8(&mut buffer));
                let mut converted = converted.chars();
                if let (Some(after), None) = (converted.next(), converted.next())
                    && after != character
                    && after.len_utf8() == 3
                {
                    simplified[code as usize] = u16::try_from(u32::from(after)).unwrap_or(0);
                }
            }
        }
    }
    CharacterTable { entries, simplified }
});

impl CharacterTable {
    fn entry(&self, character: char) -> Entry {
        match self.entries.get(character as usize) {
            Some(entry) => *entry,
            None => classify(character),
        }
    }
}

/// The table entry of one character.
fn classify(character: char) -> Entry {
    if !starts_chunk(character) {
        return Entry(0);
    }
    let mut entry = STARTS_CHUNK;
    // A starter that NFKC keeps as it is (quick check "yes") is unchanged by
    // normalisation on its own; the hamza marks fold by what precedes them,
    // and three Arabic letters by what follows them (`fold_by_position`).
    let context_free = character.is_ascii()
        || (is_nfkc_quick(std::iter::once(character)) == IsNormalized::Yes
            && !matches!(character, '\u{0654}' | '\u{0674}' | '\u{06CC}' | '\u{0647}' | '\u{0621}'));
    if context_free {
        let mut output = String::new();
        fold_character(character, &mut output);
        let mut output_chars = output.chars();
        if let (Some(folded), None) = (output_chars.next(), output_chars.next())
            && folded.len_utf8() == character.len_utf8()
        {
            entry |= SIMPLE | u32::from(folded);
            if is_han(character) {
                entry |= HAN;
            }
        }
    }
    Entry(entry)
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

/// Every character that [`fold`] turns, on its own, into text holding the
/// Han ideograph `han`: `han` itself, its traditional forms, compatibility
/// and radical forms, enclosed ideographs (㈱ holds 株). A folded Han
/// ideograph never comes from a combining sequence (no ideograph has a
/// canonical decomposition), so where none of these characters occurs in an
/// original text, folding that text gives no `han` (snippets skip such text
/// without folding it).
pub fn han_sources(han: char) -> Vec<char> {
    let mut sources = vec![han];
    if let Some(others) = HAN_SOURCES.get(&han) {
        sources.extend(others.iter().filter(|source| **source != han));
    }
    sources
}

/// Whether folding leaves the Han ideograph `han` as it is wherever it
/// stands: it is normalised to itself, combines with nothing, and is neither
/// a traditional form nor one of the few whose conversion depends on their
/// neighbours. Original text that holds such ideographs byte for byte folds
/// to them, so a snippet can compare bytes instead of folding.
pub fn is_fold_stable_han(han: char) -> bool {
    let table = &*CHARACTER_TABLE;
    is_han(han)
        && table.entry(han).simple() == Some(han)
        && table.simplified.get(han as usize).copied().unwrap_or(0) == 0
}

/// fast2s's conversions in context (`T2S_SPECIAL_CONVERT_TYPE`): these
/// traditional characters become these simplified ones next to certain
/// neighbours, and otherwise something else (or nothing changes).
const T2S_IN_CONTEXT_OUTPUTS: [(char, char); 7] =
    [('藉', '借'), ('著', '着'), ('苧', '苎'), ('闔', '合'), ('鍾', '锺'), ('讎', '雠'), ('畫', '划')];

/// Folded Han ideograph → the other characters that fold to text holding it.
static HAN_SOURCES: LazyLock<HashMap<char, Vec<char>>> = LazyLock::new(|| {
    let mut sources: HashMap<char, Vec<char>> = HashMap::new();
    // The BMP, enclosed ideographic supplement and CJK compatibility
    // ideographs supplement: every character that can fold to Han other than
    // the ideographs of the supplementary planes themselves, which fold to
    // themselves.
    let candidates = (0x80..0x1_0000u32).chain(0x1F200..0x1F300).chain(0x2F800..0x2FA20);
    let mut buffer = [0u8; 4];
    for code in candidates {
        let Some(character) = char::from_u32(code) else { continue };
        for folded in fold(character.encode_utf8(&mut buffer)).text().chars() {
            if folded != character && is_han(folded) {
                sources.entry(folded).or_default().push(character);
            }
        }
    }
    for (traditional, simplified) in T2S_IN_CONTEXT_OUTPUTS {
        sources.entry(simplified).or_default().push(traditional);
    }
    for list in sources.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    sources
});

/// Traditional Chinese characters to simplified ones, as fast2s's
/// `convert` gives them: fast2s emits one character for each input
/// character and maps three-byte characters to three-byte characters (a
/// character it would map to another length is kept, so that the span map
/// stays valid). Its table is read once into [`CharacterTable`]; the few
/// characters whose conversion depends on their neighbours go through fast2s
/// with their neighbours.
fn fold_traditional_to_simplified(text: &str) -> String {
    let table = &*CHARACTER_TABLE;
    let mut output = String::with_capacity(text.len());
    let mut previous = '0';
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        let simplified = table.simplified.get(character as usize).copied().unwrap_or(0);
        let converted = match simplified {
            0 => character,
            T2S_IN_CONTEXT => {
                let next = chars.peek().copied().unwrap_or('0');
                let window: String = [previous, character, next].into_iter().collect();
                let converted = fast2s::convert(&window);
                let mut converted = converted.chars();
                match (converted.next(), converted.next()) {
                    (Some(_), Some(after)) if after.len_utf8() == character.len_utf8() => after,
                    _ => character,
                }
            }
            other => char::from_u32(u32::from(other)).unwrap_or(character),
        };
        output.push(converted);
        previous = character;
    }
    output
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Folding as it was written before the character table: every chunk
    /// normalised, fast2s run over the whole text. The table must change
    /// nothing but the speed.
    fn fold_reference(original: &str) -> (String, Vec<(usize, usize)>) {
        let mut text = String::new();
        let mut ranges = Vec::new();
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
            for character in original[start..end].chars().nfkc() {
                needs_positional_pass |= matches!(character, '\u{06CC}' | '\u{0647}' | '\u{0621}');
                has_han |= is_han(character);
                fold_character(character, &mut text);
            }
            ranges.push((start, end));
        }
        if needs_positional_pass {
            text = fold_by_position(&text);
        }
        if has_han {
            let converted = fast2s::convert(&text);
            text = text
                .chars()
                .zip(converted.chars())
                .map(|(before, after)| if before.len_utf8() == after.len_utf8() { after } else { before })
                .collect();
        }
        (text, ranges)
    }

    fn check_against_reference(original: &str) {
        let folded = fold(original);
        let (expected, _) = fold_reference(original);
        assert_eq!(folded.text(), expected, "folding {original:?}");
        // Every character of the folded text maps back into the original,
        // on character boundaries, in order.
        let mut previous = 0;
        for (index, character) in folded.text().char_indices() {
            let (from, to) = folded.original_range(index, index + character.len_utf8());
            assert!(from <= to && to <= original.len(), "{original:?} at {index}");
            assert!(original.is_char_boundary(from) && original.is_char_boundary(to), "{original:?} at {index}");
            assert!(from >= previous, "{original:?}: offsets go back at {index}");
            previous = from;
        }
    }

    #[test]
    fn the_table_folds_like_normalising_every_character() {
        // Every BMP character alone, and between letters of other scripts.
        for code in 0x80..0x1_0000u32 {
            if let Some(character) = char::from_u32(code) {
                check_against_reference(&character.to_string());
                check_against_reference(&format!("a{character}人"));
            }
        }
    }

    #[test]
    fn han_sources_are_the_characters_that_fold_to_an_ideograph() {
        for (han, source) in [('权', '權'), ('医', '醫'), ('株', '㈱'), ('合', '闔'), ('着', '著'), ('干', '乾')]
        {
            assert!(han_sources(han).contains(&source), "{han}: {:?}", han_sources(han));
            assert!(fold(&source.to_string()).text().contains(han) || T2S_CONTEXTUAL.contains(&source));
        }
        assert_eq!(han_sources('人')[0], '人');
        assert!(is_fold_stable_han('人') && is_fold_stable_han('权'));
        assert!(!is_fold_stable_han('權') && !is_fold_stable_han('著') && !is_fold_stable_han('a'));
        // In context fast2s gives what the table of outputs in context says.
        assert_eq!(fold("闔家").text(), "合家");
        assert_eq!(fold("看著").text(), "看着");
        assert_eq!(fold("計畫").text(), "计划");
    }

    #[test]
    fn context_dependent_conversions_match_fast2s() {
        for text in ["乾隆皇帝", "乾燥", "看著", "著作", "計畫", "畫家", "藉口", "慰藉", "兒寬", "瞭望", "答覆", "於是"]
        {
            check_against_reference(text);
        }
    }

    #[test]
    fn folding_changes_only_what_the_reference_changes() {
        for text in [
            "人權與醫院，「法輪功」　ＡＢＣ１２３",
            "ئۇيغۇر تىلى ـــ كىتاب ھەممە ی ه ء",
            "Ｃôte d'Ivoire ﬁnal İstanbul Å",
            "བོད་ཡིག་ ༡༢༣",
            "e\u{0301} a\u{0308}\u{0323} 가\u{11A8}",
        ] {
            check_against_reference(text);
        }
    }

    proptest! {
        #[test]
        fn folding_matches_the_reference(
            text in "[a-zA-Zａ-ｚ0-9 ,.，。人權医院维吾尔族乾著畫兒ھەممئادۇغلشىنركـکهیءٔ\u{0654}\u{0674}འགྲོབམིརས་།\u{0301}\u{0F71}İ\u{11A8}가ﬁ㈱]{0,40}"
        ) {
            check_against_reference(&text);
        }

        #[test]
        fn folding_matches_the_reference_on_any_text(text in any::<String>()) {
            check_against_reference(&text);
        }
    }
}
