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

use serde::Serialize;

/// At most this many characters of text are shown.
pub const SNIPPET_CHARS: usize = 200;
/// Matches are looked for in this many leading bytes of a document.
const SCAN_BYTES: usize = 1 << 20;
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

/// The best snippet of `text` for `needles` (folded, longest first).
pub(crate) fn snippet(text: &str, needles: &[String]) -> Snippet {
    let scanned = &text[..floor_char_boundary(text, SCAN_BYTES)];
    let folded = evident_analyzer::fold(scanned);
    let folded_text = folded.text();
    // Matches in the original text, byte ranges, not overlapping.
    let mut matches: Vec<(usize, usize, usize)> = Vec::new();
    for (needle_index, needle) in needles.iter().enumerate() {
        let han = needle.chars().next().is_some_and(is_han);
        for (start, found) in folded_text.match_indices(needle.as_str()) {
            if !han && folded_text[..start].chars().next_back().is_some_and(char::is_alphanumeric) {
                continue;
            }
            let (from, to) = folded.original_range(start, start + found.len());
            if from < to && !matches.iter().any(|(a, b, _)| from < *b && *a < to) {
                matches.push((from, to, needle_index));
            }
        }
    }
    matches.sort_unstable();
    if matches.is_empty() {
        return Snippet { text: lead(scanned), highlights: Vec::new() };
    }
    // The window of SNIPPET_CHARS with the most distinct needles, then the
    // most matches; it starts a little before its first match.
    matches.truncate(MAX_MATCHES);
    let starts = char_offsets(scanned, &matches);
    let mut best = (0, 0, 0usize);
    for first in 0..matches.len() {
        let mut distinct: Vec<usize> = Vec::new();
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
    let first_char = starts[best.2];
    let window_start_char = first_char.saturating_sub(30);
    let characters: Vec<(usize, char)> = scanned.char_indices().collect();
    // Start after a space or punctuation near the window's start, if there is one.
    let mut start_char = window_start_char;
    if start_char > 0
        && let Some(offset) = (window_start_char..first_char).find(|&i| !characters[i].1.is_alphanumeric())
    {
        start_char = offset + 1;
    }
    let end_char = (start_char + SNIPPET_CHARS).min(characters.len());
    let start_byte = characters.get(start_char).map_or(scanned.len(), |(byte, _)| *byte);
    let end_byte = characters.get(end_char).map_or(scanned.len(), |(byte, _)| *byte);
    let mut highlights = Vec::new();
    for ((from, to, _), start) in matches.iter().zip(&starts) {
        if *from >= start_byte && *to <= end_byte {
            let first = start - start_char;
            highlights.push([first, first + scanned[*from..*to].chars().count()]);
        }
    }
    let raw = &scanned[start_byte..end_byte];
    Snippet { text: flatten(raw, &mut highlights), highlights }
}

/// The character offset of each match's start, in one pass over the text.
fn char_offsets(text: &str, matches: &[(usize, usize, usize)]) -> Vec<usize> {
    let total = text.chars().count();
    let mut offsets = Vec::with_capacity(matches.len());
    let mut characters = text.char_indices().enumerate().peekable();
    for (from, _, _) in matches {
        let mut found = None;
        while let Some(&(index, (byte, _))) = characters.peek() {
            if byte >= *from {
                found = Some(index);
                break;
            }
            characters.next();
        }
        offsets.push(found.unwrap_or(total));
    }
    offsets
}

/// The first SNIPPET_CHARS characters, for a document matched without a
/// visible match in its text (by its title, or by a filter).
fn lead(text: &str) -> String {
    let end = text.char_indices().nth(SNIPPET_CHARS).map_or(text.len(), |(byte, _)| byte);
    let mut none = Vec::new();
    flatten(&text[..end], &mut none)
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

fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

fn is_han(character: char) -> bool {
    matches!(character as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
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
}
