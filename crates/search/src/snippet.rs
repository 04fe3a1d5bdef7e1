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
/// Text is folded and searched this many bytes at a time.
const CHUNK_BYTES: usize = 8 * 1024;
/// Scanning goes on at most this many chunks past the chunk of the first match.
const CHUNKS_AFTER_FIRST_MATCH: usize = 3;
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
    let mut matches = find_matches(scanned, needles);
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

/// Matches in the original text as (start, end, needle) byte ranges, not
/// overlapping. The text is folded chunk by chunk and only as far as needed:
/// scanning stops once every needle has been seen, or a few chunks after the
/// first match, so a long document costs little more than a short one.
fn find_matches(text: &str, needles: &[String]) -> Vec<(usize, usize, usize)> {
    // Folding can change lengths (NFKC), so read well past each chunk's end
    // to catch a match that starts in the chunk and ends after it.
    let overlap = needles.iter().map(String::len).max().unwrap_or(0) * 3 + 16;
    let mut matches: Vec<(usize, usize, usize)> = Vec::new();
    let mut seen = vec![false; needles.len()];
    let mut chunks_since_first_match = None;
    let mut chunk_start = 0;
    while chunk_start < text.len() {
        let mut chunk_end = floor_char_boundary(text, chunk_start + CHUNK_BYTES);
        if chunk_end <= chunk_start {
            chunk_end = text[chunk_start..].chars().next().map_or(text.len(), |c| chunk_start + c.len_utf8());
        }
        let window = &text[chunk_start..floor_char_boundary(text, chunk_end + overlap)];
        let folded = evident_analyzer::fold(window);
        let folded_text = folded.text();
        for (needle_index, needle) in needles.iter().enumerate() {
            let han = needle.chars().next().is_some_and(is_han);
            for (start, found) in folded_text.match_indices(needle.as_str()) {
                let (from, to) = folded.original_range(start, start + found.len());
                let (from, to) = (chunk_start + from, chunk_start + to);
                if from >= chunk_end || from >= to {
                    continue;
                }
                if !han && text[..from].chars().next_back().is_some_and(char::is_alphanumeric) {
                    continue;
                }
                if !matches.iter().any(|(a, b, _)| from < *b && *a < to) {
                    matches.push((from, to, needle_index));
                    seen[needle_index] = true;
                }
            }
        }
        if !matches.is_empty() && chunks_since_first_match.is_none() {
            chunks_since_first_match = Some(0);
        }
        if let Some(chunks) = chunks_since_first_match.as_mut() {
            *chunks += 1;
            if seen.iter().all(|seen| *seen) || *chunks > CHUNKS_AFTER_FIRST_MATCH || matches.len() >= MAX_MATCHES {
                break;
            }
        }
        chunk_start = chunk_end;
    }
    matches
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
