//! Evident's text analyzer: one token stream for every script the archive
//! holds (Chinese, Uyghur, Tibetan, English and the rest), and a second
//! n-gram stream that trades precision for recall. Index and query go through
//! the same functions, so whatever folding happens here happens on both
//! sides. No I/O; nothing here can fail, and no input makes it panic.
//!
//! # [`analyze`]: the word stream
//!
//! 1. **Folding** (`fold`), chunk by chunk so that offsets still point into the
//!    original text: NFKC, lower case, then
//!    - *Arabic script, for Uyghur*: tatweel U+0640 removed; zero-width
//!      (non-)joiner, soft hyphen and BOM removed; harakat U+064B..U+0652 and
//!      superscript alef U+0670 removed; keheh U+06A9 and swash kaf U+06AA →
//!      kaf U+0643 (Uyghur k; gaf گ and ng ڭ are letters of their own and
//!      stay); heh goal U+06C1 → heh doachashmee U+06BE (Uyghur h); teh
//!      marbuta U+0629 → ae U+06D5 (Uyghur e); alef with hamza or madda
//!      U+0622/U+0623/U+0625 and alef wasla U+0671 → alef U+0627; hamza mark
//!      U+0654 or high hamza U+0674 after yeh U+064A or alef maksura U+0649 →
//!      yeh with hamza U+0626 (the Uyghur hamza carrier; NFKC already composes
//!      yeh + U+0654), dropped elsewhere. By position, as the typist saw the
//!      letter: Farsi yeh U+06CC → yeh U+064A (y) before a letter, alef
//!      maksura U+0649 (i) at a word end; Arabic heh U+0647 → U+06BE (h)
//!      before a letter, U+06D5 (e) at a word end; a lone hamza U+0621 before
//!      a letter → U+0626. Presentation forms (PDF text) become base letters
//!      through NFKC.
//!    - *Digits*: Arabic-Indic, extended Arabic-Indic and Tibetan digits →
//!      ASCII digits.
//!    - *Chinese*: traditional → simplified with fast2s's character table
//!      (人權 → 人权, 醫院 → 医院, 法輪功 → 法轮功), on index and query alike.
//! 2. **Segmentation**: ICU4X word breaks (outside Han runs) (`icu_segmenter`, compiled data).
//!    A segment is kept when it holds a letter or a digit (ICU calls some
//!    Tibetan syllables not word-like, so its flag is not used). Segments are
//!    cut again after every Tibetan tsheg or shad, so each Tibetan syllable
//!    is a token and the marks themselves are not.
//! 3. **Han runs** (adjacent segments of Han ideographs) are cut again with
//!    jieba in search mode: each word and the dictionary words inside it
//!    (维吾尔族人 → 维吾尔, 维吾尔族, 人; 中华人民共和国 → 中华, 中华人民共和国,
//!    华人, 人民, 共和, 共和国), so a query for a shorter word finds a longer
//!    one. Han runs (maximal runs of Han ideographs) are found before ICU
//!    sees the text, since ICU's own dictionary cut of Han (维吾尔|族人)
//!    would be thrown away; ICU segments what lies between them. The
//!    segmenter is the "auto" one so that Thai, Lao, Khmer and Burmese get
//!    their dictionary and model segmentation.
//!
//! Known limit: a Farsi yeh inside a word is read as ي (y); Uyghur text typed
//! on a Persian keyboard that writes ی for a medial ى (i) will not match the
//! correctly typed word.
//!
//! **Positions.** Outside Han runs each token takes the next position. In a
//! Han run a token's position is the run's first position plus the index of
//! its first character in the run, and the run takes as many positions as it
//! has characters. Words and the sub-words that start at the same character
//! share a position, like synonyms; a phrase query analysed the same way
//! then asks for its words at the same character distances, which holds
//! however jieba cut the surrounding document. Latin phrases work word by
//! word as usual.
//!
//! **Order.** Tokens come in order of `offset_from`, ties broken by
//! `offset_to`; positions never decrease.
//!
//! # [`ngrams`]: the recall stream
//!
//! Same folding and segmentation, then:
//! - in a Han run, every character (unigram) and every pair of adjacent
//!   characters (bigram), both at the position of their first character;
//! - a word written only in ASCII (English, numbers, ASCII transliterations):
//!   nothing, since the word stream finds it and its trigrams would triple
//!   the index (measured: the n-gram field was most of the indexing time on
//!   an English corpus) for little recall;
//! - any other word made only of letters, not Han and not Tibetan, with
//!   three or more characters (Arabic script, Cyrillic, Latin with
//!   diacritics as in Uyghur Latin script, …): every 3-gram of characters,
//!   one position each, so names and Uyghur suffixes match in part; a
//!   shorter word, whole;
//! - anything else (Tibetan syllables, words with digits): the token whole.
//!
//! # tantivy
//!
//! [`EvidentTokenizer`] and [`NgramTokenizer`] implement
//! `tantivy_tokenizer_api::Tokenizer` (0.7, the API of tantivy 0.27). This
//! crate does not depend on tantivy itself, so it has no `register`: the
//! search crate registers them under [`EVIDENT_TOKENIZER_NAME`] (`"evident"`)
//! and [`NGRAM_TOKENIZER_NAME`] (`"evident_ngram"`).
//!
//! # Speed
//!
//! Indexing runs every text through both streams, so the analyzer is on the
//! indexing path twice per field; none of the following changes a token
//! (each is checked against the plain way in the tests):
//!
//! - Folding looks each character of the Basic Multilingual Plane up in a
//!   table built once (what it folds to on its own, whether it can combine
//!   with its neighbours), normalises only the characters that need it, and
//!   copies runs of ASCII as they are, lower-cased. Traditional → simplified
//!   is a second table lookup, read once from fast2s's own conversion.
//! - ICU's word segmenter is asked only about stretches that hold non-ASCII
//!   text; ASCII between two certain word breaks is cut by the same rules
//!   (UAX #29) in a few lines, and stretches without a letter or digit are
//!   skipped.
//! - The two tokenizers share one folding and segmentation: tantivy
//!   tokenizes a document's fields one after the other on one thread, the
//!   word field first, and the n-gram tokenizer finds the analysis of the
//!   same text kept for it on that thread.
//! - A token stream holds byte ranges into the folded text and fills one
//!   token in place, so it allocates nothing per token; offsets are mapped
//!   back to the original text by walking the span map forward.

mod fold;
mod script;
mod tokenizer;

use std::sync::LazyLock;

use icu_segmenter::WordSegmenter;
use icu_segmenter::options::WordBreakInvariantOptions;
use jieba_rs::Jieba;

pub use crate::fold::{Folded, fold, han_sources, is_fold_stable_han};
use crate::script::{is_han, is_tibetan, is_tibetan_syllable_end};

pub use tokenizer::{
    AnalyzedTokenStream, EVIDENT_TOKENIZER_NAME, EvidentTokenizer, NGRAM_TOKENIZER_NAME, NgramTokenizer,
};

/// One token: folded text, the byte range in the *original* text it came
/// from, and its position for phrase queries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub offset_from: usize,
    pub offset_to: usize,
    pub position: usize,
}

/// The word stream of `text`; see the crate documentation for the rules.
pub fn analyze(text: &str) -> Vec<Token> {
    let analysis = Analysis::new(text);
    let mut raw = Vec::new();
    analysis.words(&mut raw);
    raw.iter().map(|token| analysis.token(token)).collect()
}

/// The n-gram stream of `text`; see the crate documentation for the rules.
pub fn ngrams(text: &str) -> Vec<Token> {
    let analysis = Analysis::new(text);
    let mut raw = Vec::new();
    analysis.ngrams(&mut raw);
    raw.iter().map(|token| analysis.token(token)).collect()
}

/// A token whose text is still a range of the folded text, so that a stream
/// of them costs no allocation per token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawToken {
    /// byte range in the folded text
    pub folded_start: usize,
    pub folded_end: usize,
    /// byte range in the original text
    pub offset_from: usize,
    pub offset_to: usize,
    pub position: usize,
}

/// A text folded and cut into pieces once; both streams are read from it.
pub(crate) struct Analysis {
    pub folded: Folded,
    pieces: Vec<Piece>,
}

impl Analysis {
    pub(crate) fn new(text: &str) -> Analysis {
        let folded = fold(text);
        let pieces = pieces(&folded.text);
        Analysis { folded, pieces }
    }

    pub(crate) fn token(&self, raw: &RawToken) -> Token {
        Token {
            text: self.folded.text[raw.folded_start..raw.folded_end].to_owned(),
            offset_from: raw.offset_from,
            offset_to: raw.offset_to,
            position: raw.position,
        }
    }

    /// The word stream, appended to `tokens`.
    pub(crate) fn words(&self, tokens: &mut Vec<RawToken>) {
        let folded = &self.folded;
        let mut map = folded.offset_map();
        let mut next_position = 0;
        let mut words: Vec<(usize, usize, usize)> = Vec::new();
        for piece in &self.pieces {
            match *piece {
                Piece::HanRun { start, end } => {
                    let run = &folded.text[start..end];
                    words.clear();
                    words.extend(
                        JIEBA
                            .cut_for_search(run, true)
                            .into_iter()
                            .map(|word| (word.byte_start, word.byte_end, word.start)),
                    );
                    words.sort_unstable();
                    words.dedup();
                    for &(word_start, word_end, char_index) in &words {
                        tokens.push(map.token(start + word_start, start + word_end, next_position + char_index));
                    }
                    next_position += run.chars().count();
                }
                Piece::Word { start, end } => {
                    tokens.push(map.token(start, end, next_position));
                    next_position += 1;
                }
            }
        }
    }

    /// The n-gram stream, appended to `tokens`.
    pub(crate) fn ngrams(&self, tokens: &mut Vec<RawToken>) {
        let folded = &self.folded;
        let mut map = folded.offset_map();
        let mut next_position = 0;
        let mut boundaries: Vec<usize> = Vec::new();
        for piece in &self.pieces {
            match *piece {
                Piece::HanRun { start, end } => {
                    boundaries.clear();
                    boundaries.extend(folded.text[start..end].char_indices().map(|(index, _)| start + index));
                    boundaries.push(end);
                    for (index, window) in boundaries.windows(2).enumerate() {
                        tokens.push(map.token(window[0], window[1], next_position + index));
                        if let Some(&bigram_end) = boundaries.get(index + 2) {
                            tokens.push(map.token(window[0], bigram_end, next_position + index));
                        }
                    }
                    next_position += boundaries.len() - 1;
                }
                Piece::Word { start, end } => {
                    let word = &folded.text[start..end];
                    if word.is_ascii() {
                        // English and other plain-ASCII words are found by the
                        // word stream alone; their trigrams would triple the
                        // index for little recall.
                        continue;
                    }
                    let splits_into_trigrams = word.chars().all(|c| c.is_alphabetic() && !is_han(c) && !is_tibetan(c));
                    boundaries.clear();
                    boundaries.extend(word.char_indices().map(|(index, _)| start + index));
                    boundaries.push(end);
                    if splits_into_trigrams && boundaries.len() > 3 {
                        for (index, window) in boundaries.windows(4).enumerate() {
                            tokens.push(map.token(window[0], window[3], next_position + index));
                        }
                        next_position += boundaries.len() - 3;
                    } else {
                        tokens.push(map.token(start, end, next_position));
                        next_position += 1;
                    }
                }
            }
        }
    }
}

static WORD_SEGMENTER: LazyLock<icu_segmenter::WordSegmenterBorrowed<'static>> =
    LazyLock::new(|| WordSegmenter::new_auto(WordBreakInvariantOptions::default()));

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// A kept stretch of folded text: byte ranges into the folded text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    /// Adjacent segments made only of Han ideographs.
    HanRun { start: usize, end: usize },
    /// Any other segment that holds a letter or a digit.
    Word { start: usize, end: usize },
}

/// The segments of `folded` worth indexing, in order. Maximal runs of Han
/// ideographs are runs without asking ICU (whose dictionary cut of Han is
/// thrown away, since jieba cuts the runs again); everything between them
/// goes through ICU's word segmenter.
fn pieces(folded: &str) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let bytes = folded.as_bytes();
    let mut stretch_start = 0;
    let mut at = 0;
    // Han ideographs take three or four bytes in UTF-8, led by 0xE3 or above.
    while let Some(found) = bytes[at..].iter().position(|&b| b >= 0xE3) {
        let start = at + found;
        let Some(character) = folded[start..].chars().next() else { break };
        at = start + character.len_utf8();
        if !is_han(character) {
            continue;
        }
        let mut end = at;
        for following in folded[end..].chars() {
            if !is_han(following) {
                break;
            }
            end += following.len_utf8();
        }
        segment_words(folded, stretch_start, start, &mut pieces);
        pieces.push(Piece::HanRun { start, end });
        stretch_start = end;
        at = end;
    }
    segment_words(folded, stretch_start, folded.len(), &mut pieces);
    pieces
}

/// Word segments of `folded[start..end]` (no Han in it) that hold a letter or
/// a digit, as ICU's word segmenter cuts them, Tibetan segments cut again at
/// every tsheg or shad.
///
/// ICU is only asked about the stretches that hold non-ASCII text: plain
/// ASCII between two certain word breaks is cut by [`ascii_words`], which
/// follows the same rules (UAX #29) for ASCII and is much faster. A break is
/// certain after ASCII white space that an ASCII character follows (only a
/// combining mark or a format character could join the two).
fn segment_words(folded: &str, start: usize, end: usize, pieces: &mut Vec<Piece>) {
    let bytes = &folded.as_bytes()[..end];
    let mut at = start;
    while at < end {
        let Some(offset) = bytes[at..].iter().position(|b| !b.is_ascii()) else {
            ascii_words(folded, at, end, pieces);
            return;
        };
        let non_ascii = at + offset;
        // ASCII up to the last certain break before the non-ASCII text.
        let icu_start = (at..non_ascii.saturating_sub(1))
            .rev()
            .find(|&space| certain_break_after(bytes, space))
            .map_or(at, |space| space + 1);
        ascii_words(folded, at, icu_start, pieces);
        // The non-ASCII text, to the next certain break after it.
        let mut icu_end = end;
        let mut scan = non_ascii;
        while let Some(offset) = bytes[scan..].iter().position(|&b| is_ascii_space(b)) {
            let space = scan + offset;
            if space + 1 < end && certain_break_after(bytes, space) {
                icu_end = space + 1;
                break;
            }
            scan = space + 1;
        }
        icu_words(folded, icu_start, icu_end, pieces);
        at = icu_end;
    }
}

/// ASCII white space: U+0020 and the controls around which UAX #29 always
/// breaks, unless a combining mark or format character follows (WB4) or, for
/// U+0020, another U+0020 (WB3d).
fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// Whether a word break certainly lies after `bytes[index]`: it is ASCII
/// white space and an ASCII character other than white space follows.
fn certain_break_after(bytes: &[u8], index: usize) -> bool {
    bytes.get(index).is_some_and(|&b| is_ascii_space(b))
        && bytes.get(index + 1).is_some_and(|&b| b.is_ascii() && !is_ascii_space(b))
}

/// What UAX #29 word-break class an ASCII byte has, as far as words of
/// letters and digits go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AsciiClass {
    Letter,
    Digit,
    /// `_` (ExtendNumLet)
    Connector,
    /// `.` and `'` (MidNumLet, Single_Quote): between letters or digits
    MidBoth,
    /// `,` and `;` (MidNum): between digits
    MidDigits,
    /// `:` (MidLetter): between letters
    MidLetters,
    Other,
}

fn ascii_class(byte: u8) -> AsciiClass {
    match byte {
        b'a'..=b'z' | b'A'..=b'Z' => AsciiClass::Letter,
        b'0'..=b'9' => AsciiClass::Digit,
        b'_' => AsciiClass::Connector,
        b'.' | b'\'' => AsciiClass::MidBoth,
        b',' | b';' => AsciiClass::MidDigits,
        b':' => AsciiClass::MidLetters,
        _ => AsciiClass::Other,
    }
}

/// The words of plain ASCII `folded[start..end]`, which begins and ends at
/// certain word breaks, by the rules of UAX #29 that ASCII can meet: letters,
/// digits and `_` hold together (WB5, WB8-WB10, WB13a-b), and `.` `'` `:`
/// join letters and `.` `'` `,` `;` join digits when the same kind stands on
/// both sides (WB6-7, WB11-12). Every other character is a segment of its
/// own, which holds no letter or digit and is not kept.
fn ascii_words(folded: &str, start: usize, end: usize, pieces: &mut Vec<Piece>) {
    use AsciiClass::{Connector, Digit, Letter, MidBoth, MidDigits, MidLetters};
    let bytes = &folded.as_bytes()[..end];
    let class = |index: usize| bytes.get(index).map_or(AsciiClass::Other, |&b| ascii_class(b));
    let mut at = start;
    while at < end {
        let first = class(at);
        if !matches!(first, Letter | Digit | Connector) {
            at += 1;
            continue;
        }
        let word_start = at;
        let mut previous = first;
        at += 1;
        while at < end {
            let current = class(at);
            match (previous, current) {
                (Letter | Digit | Connector, Letter | Digit | Connector) => {
                    previous = current;
                    at += 1;
                }
                (Letter, MidBoth | MidLetters) if class(at + 1) == Letter && at + 1 < end => {
                    previous = Letter;
                    at += 2;
                }
                (Digit, MidBoth | MidDigits) if class(at + 1) == Digit && at + 1 < end => {
                    previous = Digit;
                    at += 2;
                }
                _ => break,
            }
        }
        if bytes[word_start..at].iter().any(u8::is_ascii_alphanumeric) {
            pieces.push(Piece::Word { start: word_start, end: at });
        }
    }
}

/// ICU word segments of `folded[start..end]` that hold a letter or a digit,
/// Tibetan segments cut again at every tsheg or shad.
fn icu_words(folded: &str, start: usize, end: usize, pieces: &mut Vec<Piece>) {
    if start >= end {
        return;
    }
    let stretch = &folded[start..end];
    if !stretch.chars().any(char::is_alphanumeric) {
        // Punctuation and spaces only (as between two Han runs): no segment
        // of it would be kept.
        return;
    }
    let mut keep = |from: usize, to: usize| {
        if folded[from..to].chars().any(char::is_alphanumeric) {
            pieces.push(Piece::Word { start: from, end: to });
        }
    };
    let mut previous = 0;
    for boundary in WORD_SEGMENTER.segment_str(stretch) {
        if boundary <= previous {
            continue;
        }
        let segment = &stretch[previous..boundary];
        if segment.contains(is_tibetan_syllable_end) {
            let mut syllable_start = previous;
            for (index, character) in segment.char_indices() {
                if is_tibetan_syllable_end(character) {
                    if syllable_start < previous + index {
                        keep(start + syllable_start, start + previous + index);
                    }
                    syllable_start = previous + index + character.len_utf8();
                }
            }
            if syllable_start < boundary {
                keep(start + syllable_start, start + boundary);
            }
        } else {
            keep(start + previous, start + boundary);
        }
        previous = boundary;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The pieces as they were cut before the ASCII path: Han runs found
    /// character by character, ICU for everything between them. The ASCII
    /// path must not change a single piece.
    fn icu_only(text: &str) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut stretch_start = 0;
        let mut characters = text.char_indices().peekable();
        while let Some((start, character)) = characters.next() {
            if !is_han(character) {
                continue;
            }
            let mut end = start + character.len_utf8();
            while let Some(&(next, following)) = characters.peek() {
                if !is_han(following) {
                    break;
                }
                end = next + following.len_utf8();
                characters.next();
            }
            icu_words(text, stretch_start, start, &mut pieces);
            pieces.push(Piece::HanRun { start, end });
            stretch_start = end;
        }
        icu_words(text, stretch_start, text.len(), &mut pieces);
        pieces
    }

    fn segmented(text: &str) -> Vec<Piece> {
        pieces(text)
    }

    fn check(text: &str) {
        let texts = |pieces: Vec<Piece>| -> Vec<&str> {
            pieces
                .into_iter()
                .map(|piece| match piece {
                    Piece::Word { start, end } | Piece::HanRun { start, end } => &text[start..end],
                })
                .collect()
        };
        assert_eq!(texts(segmented(text)), texts(icu_only(text)), "segmenting {text:?}");
    }

    #[test]
    fn ascii_words_are_cut_as_icu_cuts_them() {
        for text in [
            "don't stop: e.g. U.S. 1,000.50 a1.5 1.5.a a:b a_b _x x_ __ 3;4 a.b.c a..b 'a' a' 'a 1' a-b",
            "hello\tworld\r\nagain  twice . , ; : ' _",
            "café naïve e\u{301}t\u{301}e a \u{301}b a\u{200D}b x\u{FE0F}y",
            "ABC def ٢٠١٧ي covid19 འགྲོ་བ ئۇيغۇر",
            "人权abc 人权 a.b人权x'y 中国，U.S.。1,000人 \u{301}人x",
            // Spaces hold together (WB3d), and a mark joins the space before it (WB4).
            "  \u{11435} a\t\u{301}b x  \u{301} y",
        ] {
            check(text);
        }
    }

    proptest! {
        #[test]
        fn ascii_path_matches_icu(text in "[a-cA-C0-2_.,;:'\"\\- \t\r\n\u{0B}\u{0C}é\u{301}\u{200D}\u{200B}\u{FE0F}\u{00AD}ئ་!人权，]{0,30}") {
            check(&text);
        }

        #[test]
        fn ascii_path_matches_icu_on_ascii(text in "[ -~\t\n\r]{0,60}") {
            check(&text);
        }

        #[test]
        fn ascii_path_matches_icu_on_any_text(text in any::<String>()) {
            check(&text);
        }
    }
}
