//! The growing text of one file, with paragraph structure and the size cap.
//!
//! Every extractor writes through a [`TextBuilder`] so that all formats share
//! one layout (paragraphs separated by a blank line, lines by `\n`, cells by a
//! tab) and so that no extractor can grow the text past [`MAX_TEXT_BYTES`]:
//! once the cap is reached further text is dropped and the result is marked
//! truncated, which also bounds memory for hostile inputs.

use crate::MAX_TEXT_BYTES;

/// What goes between two pieces of text. Stronger separators win when several
/// are requested before the next piece arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Separator {
    None,
    Space,
    Tab,
    Line,
    Paragraph,
}

impl Separator {
    fn as_str(self) -> &'static str {
        match self {
            Separator::None => "",
            Separator::Space => " ",
            Separator::Tab => "\t",
            Separator::Line => "\n",
            Separator::Paragraph => "\n\n",
        }
    }
}

#[derive(Debug)]
pub(crate) struct TextBuilder {
    text: String,
    pending: Separator,
    truncated: bool,
    limit: usize,
}

impl Default for TextBuilder {
    fn default() -> Self {
        TextBuilder::with_limit(MAX_TEXT_BYTES)
    }
}

impl TextBuilder {
    pub(crate) fn with_limit(limit: usize) -> Self {
        TextBuilder { text: String::new(), pending: Separator::None, truncated: false, limit }
    }

    /// Appends `piece` verbatim, preceded by the pending separator unless the
    /// text is still empty. Empty pieces change nothing (and keep the pending
    /// separator for the next piece).
    pub(crate) fn push(&mut self, piece: &str) {
        if piece.is_empty() || self.truncated {
            return;
        }
        let separator = if self.text.is_empty() { "" } else { self.pending.as_str() };
        self.pending = Separator::None;
        let room = self.limit.saturating_sub(self.text.len());
        if separator.len() + piece.len() <= room {
            self.text.push_str(separator);
            self.text.push_str(piece);
            return;
        }
        self.truncated = true;
        if separator.len() >= room {
            return;
        }
        self.text.push_str(separator);
        let cut = floor_char_boundary(piece, room - separator.len());
        self.text.push_str(&piece[..cut]);
    }

    /// Requests a separator before the next piece.
    pub(crate) fn separate(&mut self, separator: Separator) {
        self.pending = self.pending.max(separator);
    }

    /// Appends text that has its own line structure (plain text, a PDF page, a
    /// mail body): lines are kept, their trailing white space dropped, and any
    /// run of blank lines becomes one paragraph break.
    pub(crate) fn push_lines(&mut self, text: &str) {
        let mut blank_run = false;
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() {
                blank_run = true;
                continue;
            }
            self.separate(if blank_run { Separator::Paragraph } else { Separator::Line });
            blank_run = false;
            self.push(line);
        }
        self.separate(Separator::Paragraph);
    }

    pub(crate) fn is_full(&self) -> bool {
        self.truncated
    }

    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    pub(crate) fn finish(self) -> (String, bool) {
        (self.text, self.truncated)
    }
}

/// The largest index not above `index` that is a char boundary of `text`.
pub(crate) fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    let mut cut = index;
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// Collapses runs of white space into single spaces, as a browser does for
/// normal text, and trims both ends.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_only_between_pieces_and_strongest_wins() {
        let mut builder = TextBuilder::default();
        builder.separate(Separator::Paragraph);
        builder.push("one");
        builder.separate(Separator::Space);
        builder.separate(Separator::Line);
        builder.push("two");
        builder.separate(Separator::Paragraph);
        builder.push("");
        builder.push("three");
        builder.separate(Separator::Paragraph);
        assert_eq!(builder.finish(), ("one\ntwo\n\nthree".to_owned(), false));
    }

    #[test]
    fn truncation_cuts_at_a_char_boundary() {
        let mut builder = TextBuilder::with_limit(7);
        builder.push("ab");
        builder.separate(Separator::Space);
        builder.push("人权人");
        builder.push("more");
        let (text, truncated) = builder.finish();
        assert_eq!(text, "ab 人");
        assert!(truncated);
    }

    #[test]
    fn push_lines_makes_one_paragraph_break_per_blank_run() {
        let mut builder = TextBuilder::default();
        builder.push_lines("  a  \nb\n\n \n\t\nc\n");
        assert_eq!(builder.finish().0, "  a\nb\n\nc");
    }
}
