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

mod fold;
mod script;
mod tokenizer;

use std::sync::LazyLock;

use icu_segmenter::WordSegmenter;
use icu_segmenter::options::WordBreakInvariantOptions;
use jieba_rs::Jieba;

pub use crate::fold::{Folded, fold};
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
    let folded = fold(text);
    let mut tokens = Vec::new();
    let mut next_position = 0;
    for piece in pieces(&folded.text) {
        match piece {
            Piece::HanRun { start, end } => {
                let run = &folded.text[start..end];
                let mut words: Vec<(usize, usize, usize)> = JIEBA
                    .cut_for_search(run, true)
                    .into_iter()
                    .map(|word| (word.byte_start, word.byte_end, word.start))
                    .collect();
                words.sort_unstable();
                words.dedup();
                for (word_start, word_end, char_index) in words {
                    tokens.push(token(&folded, start + word_start, start + word_end, next_position + char_index));
                }
                next_position += run.chars().count();
            }
            Piece::Word { start, end } => {
                tokens.push(token(&folded, start, end, next_position));
                next_position += 1;
            }
        }
    }
    tokens
}

/// The n-gram stream of `text`; see the crate documentation for the rules.
pub fn ngrams(text: &str) -> Vec<Token> {
    let folded = fold(text);
    let mut tokens = Vec::new();
    let mut next_position = 0;
    for piece in pieces(&folded.text) {
        match piece {
            Piece::HanRun { start, end } => {
                let boundaries: Vec<usize> =
                    folded.text[start..end].char_indices().map(|(index, _)| start + index).chain([end]).collect();
                for (index, window) in boundaries.windows(2).enumerate() {
                    tokens.push(token(&folded, window[0], window[1], next_position + index));
                    if let Some(&bigram_end) = boundaries.get(index + 2) {
                        tokens.push(token(&folded, window[0], bigram_end, next_position + index));
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
                let boundaries: Vec<usize> = word.char_indices().map(|(index, _)| start + index).chain([end]).collect();
                if splits_into_trigrams && boundaries.len() > 3 {
                    for (index, window) in boundaries.windows(4).enumerate() {
                        tokens.push(token(&folded, window[0], window[3], next_position + index));
                    }
                    next_position += boundaries.len() - 3;
                } else {
                    tokens.push(token(&folded, start, end, next_position));
                    next_position += 1;
                }
            }
        }
    }
    tokens
}

static WORD_SEGMENTER: LazyLock<icu_segmenter::WordSegmenterBorrowed<'static>> =
    LazyLock::new(|| WordSegmenter::new_auto(WordBreakInvariantOptions::default()));

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

fn token(folded: &Folded, start: usize, end: usize, position: usize) -> Token {
    let (offset_from, offset_to) = folded.original_range(start, end);
    Token { text: folded.text[start..end].to_owned(), offset_from, offset_to, position }
}

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
    let mut stretch_start = 0;
    let mut characters = folded.char_indices().peekable();
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
        segment_words(folded, stretch_start, start, &mut pieces);
        pieces.push(Piece::HanRun { start, end });
        stretch_start = end;
    }
    segment_words(folded, stretch_start, folded.len(), &mut pieces);
    pieces
}

/// ICU word segments of `folded[start..end]` (no Han in it) that hold a
/// letter or a digit, Tibetan segments cut again at every tsheg or shad.
fn segment_words(folded: &str, start: usize, end: usize, pieces: &mut Vec<Piece>) {
    if start >= end {
        return;
    }
    let mut keep = |from: usize, to: usize| {
        if folded[from..to].chars().any(char::is_alphanumeric) {
            pieces.push(Piece::Word { start: from, end: to });
        }
    };
    let stretch = &folded[start..end];
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
