//! Snippets: the stretch of a document's text where the query's words are
//! densest, with each match marked.
//!
//! Matching runs on folded text (the analyzer's folding: NFKC, lower case,
//! simplified Chinese, one spelling of each Uyghur letter), so a query typed
//! as 人權 marks 人权 and the reverse, and the marks are mapped back to the
//! original text. A needle in Han script matches anywhere; any other needle
//! matches at the start of a word (so `right` marks `rights`, which the
//! n-gram field found, but not `copyright`).
//!
//! Only the text a caller may see is ever passed here: the index returns no
//! document above the caller's access level, so a snippet cannot show one.

use std::collections::BTreeMap;

use memchr::memmem::Finder;
use serde::Serialize;

/// At most this many characters of text are shown.
pub const SNIPPET_CHARS: usize = 200;
/// Matches are looked for in this many leading bytes of a document.
const SCAN_BYTES: usize = 1 << 20;
/// Text is folded and searched this many bytes at a time.
const CHUNK_BYTES: usize = 2 * 1024;
/// Scanning for further needles goes on at most this many bytes past the
/// chunk of the first match.
const LOOKAHEAD_BYTES: usize = 6 * 1024;
/// At most this many matches are weighed when choosing the window.
const MAX_MATCHES: usize = 10_000;

/// A snippet: plain text plus the character ranges to mark in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub text: String,
    /// `[start, end)` in characters (Unicode scalar values) of `text`
    pub highlights: Vec<[usize; 2]>,
}

impl Snippet {
    /// The snippet with each highlight wrapped in `open` and `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + self.highlights.len() * (open.len() + close.len()));
        let mut ranges = self.highlights.iter().peekable();
        for (index, character) in self.text.chars().enumerate() {
            if ranges.peek().is_some_and(|range| range[0] == index) {
                out.push_str(open);
            }
            out.push(character);
            if ranges.peek().is_some_and(|range| range[1] == index + 1) {
                out.push_str(close);
                ranges.next();
            }
        }
        out
    }
}

/// The best snippet of `body` (the stored text, UTF-8) for the needles of
/// a [`Highlighter`].
///
/// The cost grows with the distance to the matches, not with the length of
/// the text: the text is read (checked as UTF-8, folded) only as far as
/// matches are looked for, and characters are counted only up to the last
/// match. Text that is not valid UTF-8 (a damaged index) ends the search
/// where it starts.
pub(crate) fn snippet(body: &[u8], needles: &Highlighter) -> Snippet {
    let scanned = &body[..floor_char_boundary(body, SCAN_BYTES)];
    let matches = find_matches(scanned, needles);
    if matches.is_empty() {
        return Snippet { text: lead(scanned), highlights: Vec::new() };
    }
    // The window of SNIPPET_CHARS with the most distinct needles, then the
    // most matches; it starts a little before its first match.
    let starts = char_offsets(scanned, &matches);
    let mut best = (0, 0, 0usize);
    let mut distinct: Vec<usize> = Vec::new();
    for first in 0..matches.len() {
        distinct.clear();
        let mut count = 0;
        for (index, (_, _, needle)) in matches.iter().enumerate().skip(first) {
            if starts[index] >= starts[first] + SNIPPET_CHARS - 20 {
                break;
            }
            count += 1;
            if !distinct.contains(needle) {
                distinct.push(*needle);
            }
        }
        if (distinct.len(), count) > (best.0, best.1) {
            best = (distinct.len(), count, first);
        }
    }
    let first_byte = matches[best.2].0;
    let first_char = starts[best.2];
    // Up to 30 characters before the first match; start after a space or
    // punctuation among them, if there is one.
    let mut before: Vec<(usize, char)> = Vec::with_capacity(30);
    let mut at = first_byte;
    while before.len() < 30 {
        let Some(character) = char_before(scanned, at) else { break };
        at -= character.len_utf8();
        before.push((at, character));
    }
    let mut start_byte = before.last().map_or(first_byte, |(byte, _)| *byte);
    let mut start_char = first_char - before.len();
    if start_char > 0
        && let Some(offset) = before.iter().rev().position(|(_, character)| !character.is_alphanumeric())
    {
        let (byte, character) = before[before.len() - 1 - offset];
        start_byte = byte + character.len_utf8();
        start_char += offset + 1;
    }
    let end_byte = advance_chars(scanned, start_byte, SNIPPET_CHARS);
    let mut highlights = Vec::new();
    for ((from, to, _), start) in matches.iter().zip(&starts) {
        if *from >= start_byte && *to <= end_byte {
            let first = start - start_char;
            highlights.push([first, first + count_chars(&scanned[*from..*to])]);
        }
    }
    match std::str::from_utf8(&scanned[start_byte..end_byte]) {
        Ok(raw) => Snippet { text: flatten(raw, &mut highlights), highlights },
        Err(_) => Snippet { text: lead(scanned), highlights: Vec::new() },
    }
}

/// The folded strings to mark (longest first), made ready once per search
/// for the snippets of all its hits.
pub(crate) struct Highlighter {
    needles: Vec<Needle>,
    /// every needle begins with a Han ideograph ([`find_han_matches`])
    all_han: bool,
}

struct Needle {
    text: String,
    han: bool,
    finder: Finder<'static>,
    /// for a needle that begins with a Han ideograph: the characters that
    /// fold to that ideograph, each with its finder
    sources: Vec<(char, Finder<'static>)>,
    /// and what can fold to its second ideograph, if that is a unified one
    second: Option<Vec<char>>,
    /// every character of the needle is a Han ideograph that folding leaves
    /// as it is, so the same bytes in the original are a match
    stable: bool,
}

impl Highlighter {
    pub(crate) fn new(needles: Vec<String>) -> Highlighter {
        let needles: Vec<Needle> = needles
            .into_iter()
            .map(|text| {
                let mut characters = text.chars();
                let first = characters.next();
                let han = first.is_some_and(is_han);
                let sources = match first {
                    Some(first) if han => evident_analyzer::han_sources(first)
                        .into_iter()
                        .map(|source| {
                            let mut buffer = [0u8; 4];
                            (source, Finder::new(source.encode_utf8(&mut buffer).as_bytes()).into_owned())
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let second = characters.next().filter(|c| is_unified_han(*c)).map(evident_analyzer::han_sources);
                let finder = Finder::new(text.as_bytes()).into_owned();
                let stable = han && text.chars().all(evident_analyzer::is_fold_stable_han);
                Needle { text, han, finder, sources, second, stable }
            })
            .collect();
        let all_han = !needles.is_empty() && needles.iter().all(|needle| needle.han);
        Highlighter { needles, all_han }
    }
}

/// Matches in the original text as (start, end, needle) byte ranges, in
/// order and not overlapping (a longer needle wins over a shorter one).
fn find_matches(text: &[u8], needles: &Highlighter) -> Vec<(usize, usize, usize)> {
    if needles.all_han {
        return find_han_matches(text, needles);
    }
    find_matches_by_folding(text, needles)
}

/// [`find_matches`] for any needles: the text folded chunk by chunk and only
/// as far as needed: scanning stops once every needle has been seen, or a
/// little way past the first match, so a long document costs little more
/// than a short one.
fn find_matches_by_folding(text: &[u8], highlighter: &Highlighter) -> Vec<(usize, usize, usize)> {
    let needles = &highlighter.needles;
    // Folding can change lengths (NFKC), so read well past each chunk's end
    // to catch a match that starts in the chunk and ends after it.
    let overlap = needles.iter().map(|needle| needle.text.len()).max().unwrap_or(0) * 3 + 16;
    // By start: (end, needle).
    let mut matches: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut seen = vec![false; needles.len()];
    let mut first_match_chunk_end = None;
    let mut chunk_start = 0;
    while chunk_start < text.len() {
        let mut chunk_end = floor_char_boundary(text, chunk_start + CHUNK_BYTES);
        if chunk_end <= chunk_start {
            chunk_end = ceil_char_boundary(text, chunk_start + 1);
        }
        let Ok(window) = std::str::from_utf8(&text[chunk_start..floor_char_boundary(text, chunk_end + overlap)]) else {
            break;
        };
        let folded = evident_analyzer::fold(window);
        let folded_text = folded.text().as_bytes();
        for (needle_index, needle) in needles.iter().enumerate() {
            for start in needle.finder.find_iter(folded_text) {
                let (from, to) = folded.original_range(start, start + needle.text.len());
                let (from, to) = (chunk_start + from, chunk_start + to);
                if from >= chunk_end || from >= to {
                    continue;
                }
                if !needle.han && char_before(text, from).is_some_and(char::is_alphanumeric) {
                    continue;
                }
                let overlaps_before = matches.range(..=from).next_back().is_some_and(|(_, (end, _))| *end > from);
                let overlaps_after = matches.range(from..).next().is_some_and(|(start, _)| *start < to);
                if !overlaps_before && !overlaps_after {
                    matches.insert(from, (to, needle_index));
                    seen[needle_index] = true;
                }
            }
        }
        if !matches.is_empty() && first_match_chunk_end.is_none() {
            first_match_chunk_end = Some(chunk_end);
        }
        if let Some(first_end) = first_match_chunk_end
            && (seen.iter().all(|seen| *seen)
                || chunk_end >= first_end + LOOKAHEAD_BYTES
                || matches.len() >= MAX_MATCHES)
        {
            break;
        }
        chunk_start = chunk_end;
    }
    matches.into_iter().take(MAX_MATCHES).map(|(from, (to, needle))| (from, to, needle)).collect()
}

/// [`find_matches`] for needles that all begin with a Han ideograph, which
/// is most of what Chinese searches highlight, in text that is slow to fold
/// (every character normalised, traditional forms made simplified). Only the
/// characters that can fold to a needle's first ideograph can begin a match
/// ([`evident_analyzer::han_sources`]); they are found with a plain
/// substring search, and only a few characters at each are folded to
/// confirm the match.
fn find_han_matches(text: &[u8], highlighter: &Highlighter) -> Vec<(usize, usize, usize)> {
    let needles = &highlighter.needles;
    /// One character that can begin a needle, and where it occurs next.
    struct Source<'a> {
        needle: usize,
        character: char,
        finder: &'a Finder<'static>,
        next: Option<usize>,
    }
    let mut sources: Vec<Source<'_>> = Vec::new();
    for (needle_index, needle) in needles.iter().enumerate() {
        for (character, finder) in &needle.sources {
            sources.push(Source { needle: needle_index, character: *character, finder, next: finder.find(text) });
        }
    }
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    let mut seen = vec![false; needles.len()];
    let mut limit = text.len();
    // The earliest candidate (ties: the longer needle first), while any.
    while let Some(source) = sources
        .iter_mut()
        .filter(|source| source.next.is_some_and(|at| at < limit))
        .min_by_key(|source| (source.next, source.needle))
    {
        let Some(at) = source.next else { break };
        let after = at + source.character.len_utf8();
        source.next = source.finder.find(&text[after..]).map(|offset| after + offset);
        let needle_index = source.needle;
        // The next character rules most candidates out without folding: after
        // an ideograph that folds to the first ideograph alone, an ideograph
        // that cannot fold to the second one.
        if let Some(allowed) = &needles[needle_index].second
            && is_unified_han(source.character)
            && let Some(next) = char_at(text, after)
            && is_unified_han(next)
            && !allowed.contains(&next)
        {
            continue;
        }
        let needle = &needles[needle_index];
        let confirmed = if needle.stable && text[at..].starts_with(needle.text.as_bytes()) {
            // The needle's own bytes: they fold to themselves.
            Some((0, needle.text.len()))
        } else {
            let Ok(window) = std::str::from_utf8(&text[at..floor_char_boundary(text, at + needle.text.len() * 3 + 16)])
            else {
                continue;
            };
            let folded = evident_analyzer::fold(window);
            needle
                .finder
                .find_iter(folded.text().as_bytes())
                .map(|start| folded.original_range(start, start + needle.text.len()))
                .find(|(from, to)| *from == 0 && *to > 0)
        };
        if let Some((_, to)) = confirmed {
            if found.is_empty() {
                limit = limit.min(floor_char_boundary(text, at + CHUNK_BYTES + LOOKAHEAD_BYTES));
            }
            found.push((at, at + to, needle_index));
            seen[needle_index] = true;
            if found.len() >= MAX_MATCHES {
                break;
            }
            if seen.iter().all(|seen| *seen) {
                // Every needle found: the rest of this stretch still counts
                // for the densest window, as the rest of a chunk does when
                // folding.
                limit = limit.min(floor_char_boundary(text, at + CHUNK_BYTES));
            }
        }
    }
    // Longer needles first, as in `find_matches`: a shorter one inside a
    // longer one's match is not marked again.
    found.sort_unstable_by_key(|(from, _, needle)| (*needle, *from));
    let mut matches: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for (from, to, needle) in found {
        let overlaps_before = matches.range(..=from).next_back().is_some_and(|(_, (end, _))| *end > from);
        let overlaps_after = matches.range(from..).next().is_some_and(|(start, _)| *start < to);
        if !overlaps_before && !overlaps_after {
            matches.insert(from, (to, needle));
        }
    }
    matches.into_iter().map(|(from, (to, needle))| (from, to, needle)).collect()
}

/// CJK unified ideographs (and extension A): characters that fold to one
/// ideograph on their own, whatever stands next to them.
fn is_unified_han(character: char) -> bool {
    matches!(character as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

/// The character offset of each match's start (matches in order), counting
/// only up to the last one.
fn char_offsets(text: &[u8], matches: &[(usize, usize, usize)]) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(matches.len());
    let (mut byte, mut characters) = (0, 0);
    for (from, _, _) in matches {
        characters += count_chars(&text[byte..*from]);
        byte = *from;
        offsets.push(characters);
    }
    offsets
}

/// The first SNIPPET_CHARS characters, for a document matched without a
/// visible match in its text (by its title, or by a filter).
fn lead(text: &[u8]) -> String {
    let end = advance_chars(text, 0, SNIPPET_CHARS);
    let lead = match std::str::from_utf8(&text[..end]) {
        Ok(lead) => lead,
        Err(error) => std::str::from_utf8(&text[..error.valid_up_to()]).unwrap_or_default(),
    };
    let mut none = Vec::new();
    flatten(lead, &mut none)
}

/// Newlines and runs of white space become one space, so a snippet is one
/// line; highlight offsets move with the text.
fn flatten(text: &str, highlights: &mut [[usize; 2]]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut removed_before: Vec<usize> = Vec::with_capacity(text.len());
    let mut removed = 0;
    let mut previous_space = true;
    for character in text.chars() {
        removed_before.push(removed);
        if character.is_whitespace() {
            if previous_space {
                removed += 1;
            } else {
                out.push(' ');
                previous_space = true;
            }
        } else {
            out.push(character);
            previous_space = false;
        }
    }
    removed_before.push(removed);
    for range in highlights.iter_mut() {
        range[0] -= removed_before.get(range[0]).copied().unwrap_or(removed);
        range[1] -= removed_before.get(range[1]).copied().unwrap_or(removed);
    }
    let trimmed = out.trim_end();
    trimmed.to_owned()
}

// UTF-8 read straight from the stored bytes: a character starts at every
// byte that is not a continuation byte (0b10xxxxxx).

fn is_char_start(byte: u8) -> bool {
    byte & 0xC0 != 0x80
}

/// The greatest character boundary at or before `index`.
fn floor_char_boundary(text: &[u8], index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index).rev().find(|&i| is_char_start(text[i])).unwrap_or(0)
}

/// The least character boundary at or after `index`.
fn ceil_char_boundary(text: &[u8], index: usize) -> usize {
    (index..text.len()).find(|&i| is_char_start(text[i])).unwrap_or(text.len())
}

/// Characters in `text` (valid UTF-8), counted without decoding them: the
/// bytes less the continuation bytes, eight bytes at a time.
fn count_chars(text: &[u8]) -> usize {
    let mut words = text.chunks_exact(8);
    let mut continuation = 0;
    for word in &mut words {
        let word = u64::from_le_bytes([word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7]]);
        // A continuation byte has its top bit set and the next one clear.
        continuation += (word & !(word << 1) & 0x8080_8080_8080_8080).count_ones() as usize;
    }
    let rest = words.remainder().iter().filter(|byte| !is_char_start(**byte)).count();
    text.len() - continuation - rest
}

/// The byte offset `count` characters after `start` (or the end).
fn advance_chars(text: &[u8], start: usize, count: usize) -> usize {
    let mut seen = 0;
    for (index, byte) in text.iter().enumerate().skip(start) {
        if is_char_start(*byte) {
            if seen == count {
                return index;
            }
            seen += 1;
        }
    }
    text.len()
}

/// The character that starts at `at`, if it is valid.
fn char_at(text: &[u8], at: usize) -> Option<char> {
    let end = ceil_char_boundary(text, at + 1);
    std::str::from_utf8(text.get(at..end)?).ok()?.chars().next()
}

/// The character that ends at `at`, if it is valid.
fn char_before(text: &[u8], at: usize) -> Option<char> {
    let start = floor_char_boundary(text, at.checked_sub(1)?);
    std::str::from_utf8(text.get(start..at)?).ok()?.chars().next()
}

fn is_han(character: char) -> bool {
    matches!(character as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    // The functions under test read stored bytes; the tests write text.
    fn snippet(text: &str, needles: &[String]) -> Snippet {
        super::snippet(text.as_bytes(), &Highlighter::new(needles.to_vec()))
    }

    fn find_han_matches(text: &str, needles: &[String]) -> Vec<(usize, usize, usize)> {
        super::find_han_matches(text.as_bytes(), &Highlighter::new(needles.to_vec()))
    }

    fn find_matches_by_folding(text: &str, needles: &[String]) -> Vec<(usize, usize, usize)> {
        super::find_matches_by_folding(text.as_bytes(), &Highlighter::new(needles.to_vec()))
    }

    #[test]
    fn characters_are_counted_from_bytes() {
        for text in ["", "a", "人权", "ab人权cdéf\u{10FFFF}xyz人", &"維吾爾 ئۇيغۇر ".repeat(9)] {
            assert_eq!(count_chars(text.as_bytes()), text.chars().count(), "{text}");
        }
    }

    #[test]
    fn damaged_text_gives_what_precedes_the_damage_and_never_panics() {
        let mut body = "kidney transplant ".repeat(3).into_bytes();
        body.extend([0xFF, 0xC3]);
        body.extend("kidney".as_bytes());
        let found = super::snippet(&body, &Highlighter::new(needles(&["kidney"])));
        assert!(found.text.starts_with("kidney transplant"), "{found:?}");
        let lead = super::snippet(&[0xE4, 0xBA], &Highlighter::new(needles(&["人权"])));
        assert_eq!(lead, Snippet { text: String::new(), highlights: Vec::new() });
    }

    fn needles(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    /// The matches as (from, to) byte ranges.
    fn ranges(matches: Vec<(usize, usize, usize)>) -> Vec<(usize, usize)> {
        matches.into_iter().map(|(from, to, _)| (from, to)).collect()
    }

    #[test]
    fn han_needles_are_found_where_folding_finds_them() {
        for (text, needle) in [
            ("人權與人权，醫院里的人權。", "人权"),
            ("株式会社㈱と株", "株"),
            ("闔家平安，阖家欢乐", "合家"),
            ("人\u{301}权 人权\u{301}", "人权"),
            ("ＡＢＣ人　权人权", "人权"),
            ("維吾爾族人、维吾尔族", "维吾尔族"),
        ] {
            let needles = needles(&[needle]);
            let han = ranges(find_han_matches(text, &needles));
            assert!(!han.is_empty(), "{needle} in {text}");
            assert_eq!(han, ranges(find_matches_by_folding(text, &needles)), "{needle} in {text}");
        }
    }

    #[test]
    fn a_han_needle_deep_in_a_long_text_is_found_and_marked() {
        let text = format!("{}器官移植{}", "这是前言。".repeat(20_000), "后记。".repeat(100));
        let snippet = snippet(&text, &needles(&["器官移植", "器官", "移植"]));
        assert!(snippet.marked("[", "]").contains("[器官移植]"), "{snippet:?}");
        let absent = snippet_text_without(&text);
        assert!(absent.highlights.is_empty() && absent.text.starts_with("这是前言"), "{absent:?}");
    }

    fn snippet_text_without(text: &str) -> Snippet {
        snippet(text, &needles(&["人权"]))
    }

    #[test]
    fn marks_traditional_text_for_a_simplified_needle() {
        let snippet = snippet(
            "序言：鑑於對人類家庭所有成員的固有尊嚴及其平等的和不移的權利的承認，乃是世界自由。人權",
            &needles(&["人权"]),
        );
        assert_eq!(snippet.marked("[", "]").matches("[人權]").count(), 1, "{snippet:?}");
    }

    #[test]
    fn latin_needles_match_at_word_starts_only() {
        let snippet = snippet("Copyright aside, everyone has rights.", &needles(&["right"]));
        assert_eq!(snippet.marked("[", "]"), "Copyright aside, everyone has [right]s.");
    }

    #[test]
    fn picks_the_window_with_the_most_distinct_needles() {
        let filler = "lorem ipsum dolor sit amet. ".repeat(30);
        let text = format!("kidney {filler} kidney transplant waiting time {filler}");
        let snippet = snippet(&text, &needles(&["kidney", "transplant", "waiting"]));
        assert!(snippet.marked("[", "]").contains("[kidney] [transplant] [waiting]"), "{snippet:?}");
        assert!(snippet.text.chars().count() <= SNIPPET_CHARS);
    }

    #[test]
    fn no_match_gives_the_lead() {
        let snippet = snippet("first line\n\nsecond   line", &needles(&["absent"]));
        assert_eq!(snippet, Snippet { text: "first line second line".into(), highlights: vec![] });
    }

    #[test]
    fn highlights_survive_flattening() {
        let snippet = snippet("a\n\n\nb kidney", &needles(&["kidney"]));
        assert_eq!(snippet.marked("[", "]"), "a b [kidney]");
    }

    proptest! {
        #[test]
        fn han_search_agrees_with_folding(
            text in "[人权權医院醫宣言，。 a\u{301}㈱株闔合家]{0,60}",
            needle in "(人权|医院|人|权宣言|株|合家|院)",
        ) {
            let needles = needles(&[needle.as_str()]);
            prop_assert_eq!(
                ranges(find_han_matches(&text, &needles)),
                ranges(find_matches_by_folding(&text, &needles))
            );
        }
    }
}
