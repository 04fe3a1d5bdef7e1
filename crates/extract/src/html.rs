//! HTML: the visible text, block by block.
//!
//! Only html5ever's tokenizer is used, not its tree builder: text extraction
//! needs tags and text in document order, not a DOM, and a token sink keeps
//! memory flat. The sink switches the tokenizer into the raw-text states for
//! `script`, `style`, `title`, `textarea` and friends exactly as the tree
//! builder would, so markup-like text inside a script never leaks out.

use std::cell::RefCell;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

use crate::Draft;
use crate::builder::{Separator, TextBuilder, collapse_whitespace};
use crate::lang::normalize_language_tag;
use crate::sniff::find;
use crate::text::{self, Decoded};

/// Titles longer than this are cut; a title is a label, not content.
const MAX_TITLE_BYTES: usize = 4 * 1024;

/// Decodes an HTML file and extracts its text.
pub(crate) fn extract(bytes: &[u8]) -> Draft {
    let decoded = decode(bytes);
    let mut draft = extract_str(&decoded.text);
    draft.encoding = Some(decoded.encoding.to_owned());
    draft
}

/// The charset: a byte-order mark; else UTF-8 when the bytes are valid UTF-8
/// with non-ASCII text (a page saved as UTF-8 whose old `<meta>` still says
/// windows-1252 is common, the reverse practically never happens); else the
/// `<meta charset>` or `http-equiv` declaration; else detection as for plain
/// text.
fn decode(bytes: &[u8]) -> Decoded {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        return text::decode_with(encoding, &bytes[bom_length..]);
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && !text.is_ascii()
    {
        return Decoded { text: text.to_owned(), encoding: UTF_8.name() };
    }
    if let Some(encoding) = meta_charset(bytes) {
        return text::decode_with(encoding, bytes);
    }
    text::decode(bytes).unwrap_or_else(|| text::decode_with(text::detect_legacy(bytes), bytes))
}

/// The encoding named by a `<meta>` in the first 4 KiB, as the HTML prescan
/// reads it: `charset=` in any attribute of the tag, so both
/// `<meta charset="gb2312">` and `content="text/html; charset=big5"` count.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes[..bytes.len().min(4096)].to_ascii_lowercase();
    let mut rest: &[u8] = &head;
    while let Some(position) = find(rest, b"<meta") {
        let tag = &rest[position + 5..];
        let tag = &tag[..tag.iter().position(|&byte| byte == b'>').unwrap_or(tag.len())];
        if let Some(charset) = find(tag, b"charset") {
            let value = tag[charset + 7..].trim_ascii_start();
            if let Some(value) = value.strip_prefix(b"=") {
                let value = value.trim_ascii_start();
                let value = value.strip_prefix(b"\"").or_else(|| value.strip_prefix(b"'")).unwrap_or(value);
                let end = value
                    .iter()
                    .position(|&byte| matches!(byte, b'"' | b'\'' | b';' | b'/' | b'>') || byte.is_ascii_whitespace())
                    .unwrap_or(value.len());
                if let Some(encoding) = Encoding::for_label(&value[..end]) {
                    // The HTML standard: a declared UTF-16 means UTF-8 (the
                    // bytes would have had a BOM), x-user-defined means 1252.
                    return Some(match encoding.name() {
                        "UTF-16LE" | "UTF-16BE" => UTF_8,
                        "x-user-defined" => WINDOWS_1252,
                        _ => encoding,
                    });
                }
            }
        }
        rest = &rest[position + 5 + tag.len()..];
    }
    None
}

/// Extracts text from already decoded HTML (an e-mail's HTML part).
pub(crate) fn extract_str(html: &str) -> Draft {
    let collector = Collector { state: RefCell::new(State::default()) };
    let tokenizer = Tokenizer::new(collector, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The sink never asks to run a script, so one feed consumes everything;
    // the loop only guards against a tokenizer that pauses anyway.
    let mut rounds = 0;
    while let TokenizerResult::Script(()) = tokenizer.feed(&input) {
        rounds += 1;
        if rounds > 1_000_000 {
            break;
        }
    }
    tokenizer.end();
    let state = tokenizer.sink.state.into_inner();
    state.finish()
}

/// Elements whose content is never shown: it is skipped.
fn hidden_raw_text(name: &str) -> Option<RawKind> {
    match name {
        "script" => Some(RawKind::ScriptData),
        "style" | "noscript" | "iframe" | "noembed" | "noframes" => Some(RawKind::Rawtext),
        _ => None,
    }
}

/// Elements that start and end a paragraph.
fn is_paragraph_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "center"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "legend"
            | "listing"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "plaintext"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "template"
            | "ul"
            | "xmp"
    )
}

/// Elements that start and end a line.
fn is_line_block(name: &str) -> bool {
    matches!(name, "br" | "caption" | "dd" | "dt" | "li" | "option" | "tr" | "textarea")
}

/// Elements allowed in `<head>`; any other start tag ends the head.
fn belongs_in_head(name: &str) -> bool {
    matches!(
        name,
        "base" | "basefont" | "bgsound" | "link" | "meta" | "noscript" | "script" | "style" | "template" | "title"
    )
}

struct Collector {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    builder: TextBuilder,
    /// The text of the current block, white space collapsed.
    block: String,
    pending_space: bool,
    /// Inside `<pre>`, `<listing>`, `<xmp>`, `<textarea>` or `<plaintext>`:
    /// white space is kept.
    preformatted_depth: usize,
    /// The first newline right after `<pre>` is not content.
    skip_next_newline: bool,
    /// Inside `<script>`, `<style>` and the other hidden raw-text elements.
    in_hidden_raw_text: bool,
    template_depth: usize,
    /// Inside `<svg>` or `<math>`.
    foreign_depth: usize,
    /// Inside an SVG `<text>`; outside it, SVG character data is not drawn.
    svg_text_depth: usize,
    in_svg: bool,
    in_head: bool,
    seen_body: bool,
    in_title: bool,
    title: Option<String>,
    lang: Option<String>,
    seen_html_tag: bool,
}

impl State {
    fn boundary(&mut self, separator: Separator) {
        let block = std::mem::take(&mut self.block);
        let piece = if self.preformatted_depth > 0 { block.trim_end().trim_start_matches('\n') } else { block.trim() };
        self.builder.push(piece);
        self.builder.separate(separator);
        self.pending_space = false;
    }

    fn characters(&mut self, characters: &str) {
        if self.in_hidden_raw_text || self.template_depth > 0 {
            return;
        }
        if self.in_title {
            let title = self.title.get_or_insert_with(String::new);
            if title.len() < MAX_TITLE_BYTES {
                title.push_str(characters);
            }
            return;
        }
        if self.in_svg && self.svg_text_depth == 0 {
            return;
        }
        if self.in_head {
            if characters.trim().is_empty() {
                return;
            }
            // Text in the head starts the body, as in a browser.
            self.in_head = false;
        }
        if self.builder.is_full() {
            return;
        }
        if self.block.len() > crate::MAX_TEXT_BYTES {
            // One endless block: hand it over now, which fills the builder,
            // so memory stays bounded.
            self.boundary(Separator::None);
            return;
        }
        if self.preformatted_depth > 0 {
            let characters = match self.skip_next_newline {
                true => characters.strip_prefix('\n').unwrap_or(characters),
                false => characters,
            };
            self.skip_next_newline = false;
            self.block.push_str(characters);
            return;
        }
        for character in characters.chars() {
            if character.is_whitespace() {
                self.pending_space = true;
                continue;
            }
            if self.pending_space && !self.block.is_empty() && !self.block.ends_with('\t') {
                self.block.push(' ');
            }
            self.pending_space = false;
            self.block.push(character);
        }
    }

    fn start_tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if self.foreign_depth > 0 {
            match name {
                "svg" | "math" if !tag.self_closing => self.foreign_depth += 1,
                "text" if self.in_svg && !tag.self_closing => self.svg_text_depth += 1,
                _ => {}
            }
            return TokenSinkResult::Continue;
        }
        if self.in_head && !belongs_in_head(name) {
            self.in_head = false;
        }
        match name {
            "html" if !self.seen_html_tag => {
                self.seen_html_tag = true;
                self.lang = tag
                    .attrs
                    .iter()
                    .find(|attribute| matches!(&*attribute.name.local, "lang" | "xml:lang"))
                    .and_then(|attribute| normalize_language_tag(&attribute.value));
            }
            "head" if !self.seen_body => self.in_head = true,
            "body" => {
                self.seen_body = true;
                self.in_head = false;
            }
            "template" => self.template_depth += 1,
            "svg" | "math" if !tag.self_closing => {
                self.foreign_depth += 1;
                self.in_svg = name == "svg";
                self.pending_space = true;
            }
            "title" => {
                if self.title.is_none() {
                    self.in_title = true;
                }
                return TokenSinkResult::RawData(RawKind::Rcdata);
            }
            "td" | "th" => self.boundary(Separator::Tab),
            "img" | "input" | "wbr" => self.pending_space = true,
            _ => {}
        }
        if let Some(kind) = hidden_raw_text(name) {
            self.in_hidden_raw_text = true;
            return TokenSinkResult::RawData(kind);
        }
        if is_paragraph_block(name) {
            self.boundary(Separator::Paragraph);
        } else if is_line_block(name) {
            self.boundary(Separator::Line);
        }
        match name {
            "pre" | "listing" | "textarea" | "xmp" | "plaintext" => {
                self.preformatted_depth += 1;
                self.skip_next_newline = matches!(name, "pre" | "listing" | "textarea");
                match name {
                    "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "xmp" => TokenSinkResult::RawData(RawKind::Rawtext),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                }
            }
            _ => TokenSinkResult::Continue,
        }
    }

    fn end_tag(&mut self, tag: &Tag) {
        let name: &str = &tag.name;
        if self.foreign_depth > 0 {
            match name {
                "svg" | "math" => {
                    self.foreign_depth -= 1;
                    if self.foreign_depth == 0 {
                        self.in_svg = false;
                        self.svg_text_depth = 0;
                        self.pending_space = true;
                    }
                }
                "text" => self.svg_text_depth = self.svg_text_depth.saturating_sub(1),
                _ => {}
            }
            return;
        }
        match name {
            "title" => self.in_title = false,
            "head" => self.in_head = false,
            "template" => self.template_depth = self.template_depth.saturating_sub(1),
            "td" | "th" => self.boundary(Separator::Tab),
            _ => {}
        }
        if hidden_raw_text(name).is_some() {
            self.in_hidden_raw_text = false;
            return;
        }
        if is_paragraph_block(name) {
            self.boundary(Separator::Paragraph);
        } else if is_line_block(name) {
            self.boundary(Separator::Line);
        }
        if matches!(name, "pre" | "listing" | "textarea" | "xmp") {
            self.preformatted_depth = self.preformatted_depth.saturating_sub(1);
        }
    }

    fn finish(mut self) -> Draft {
        self.boundary(Separator::Paragraph);
        let (text, truncated) = self.builder.finish();
        Draft {
            title: self.title.map(|title| collapse_whitespace(&title)).filter(|title| !title.is_empty()),
            text,
            truncated,
            declared_lang: self.lang,
            ..Draft::default()
        }
    }
}

impl TokenSink for Collector {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::CharacterTokens(characters) => state.characters(&characters),
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => return state.start_tag(&tag),
                TagKind::EndTag => state.end_tag(&tag),
            },
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        // Lets `<![CDATA[...]]>` inside SVG and MathML be read as text.
        self.state.borrow().foreign_depth > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(html: &str) -> String {
        extract_str(html).text
    }

    #[test]
    fn hidden_elements_are_skipped_and_blocks_separated() {
        let html = "<!doctype html><html lang=zh-CN><head><title> Report &amp; list </title>\
            <style>p { color: red }</style><script>var x = '<p>not text</p>';</script></head>\
            <body><h1>Heading</h1><p>First <b>bold</b>\n  words</p><noscript>enable js</noscript>\
            <template><p>template</p></template><div>Second<br>line</div></body></html>";
        let draft = extract_str(html);
        assert_eq!(draft.text, "Heading\n\nFirst bold words\n\nSecond\nline");
        assert_eq!(draft.title.as_deref(), Some("Report & list"));
        assert_eq!(draft.declared_lang.as_deref(), Some("zh"));
    }

    #[test]
    fn tables_become_tab_separated_lines() {
        let html = "<table><tr><th>Name</th><th>City</th></tr><tr><td>Ali</td><td>Kashgar</td></tr></table>";
        assert_eq!(text_of(html), "Name\tCity\nAli\tKashgar");
    }

    #[test]
    fn pre_keeps_white_space() {
        assert_eq!(text_of("<p>a</p><pre>\n  x  y\n  z</pre><p>b</p>"), "a\n\n  x  y\n  z\n\nb");
    }

    #[test]
    fn svg_text_only_inside_text_elements() {
        assert_eq!(text_of("<p>before<svg><title>tip</title><text>label</text></svg>after</p>"), "before label after");
    }

    #[test]
    fn text_in_head_starts_the_body() {
        assert_eq!(text_of("<head><meta charset=utf-8>Hello <p>there"), "Hello\n\nthere");
    }

    #[test]
    fn meta_charset_forms_are_read() {
        assert_eq!(meta_charset(b"<meta charset=\"GB2312\">").map(Encoding::name), Some("GBK"));
        let http_equiv = b"<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=big5'>";
        assert_eq!(meta_charset(http_equiv).map(Encoding::name), Some("Big5"));
        assert_eq!(meta_charset(b"<meta charset=utf-16>").map(Encoding::name), Some("UTF-8"));
        assert_eq!(meta_charset(b"<meta name=x>"), None);
    }
}
