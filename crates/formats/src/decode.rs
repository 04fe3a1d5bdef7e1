//! Bytes to text: the encoding is chosen once from the start of the file,
//! then the file is decoded a chunk at a time and cut into lines, so no line
//! longer than the limit is ever held whole.

use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

use crate::FormatError;

/// How much of the file decides the encoding, and how much is read at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// A file being decoded into UTF-8 text.
pub(crate) struct TextSource {
    input: Box<dyn Read>,
    decoder: Decoder,
    encoding_name: &'static str,
    /// Bytes read while choosing the encoding and not yet decoded.
    head: Vec<u8>,
    chunk: Vec<u8>,
    finished: bool,
}

impl TextSource {
    /// Reads the start of the file and chooses its encoding.
    pub(crate) fn open(mut input: Box<dyn Read>) -> Result<TextSource, FormatError> {
        let mut head = vec![0; CHUNK_BYTES];
        let filled = read_full(&mut input, &mut head)
            .map_err(|source| FormatError::Io { action: "reading the file", source })?;
        head.truncate(filled);
        let at_end = filled < CHUNK_BYTES;
        let (encoding, encoding_name, bom_length) = choose_encoding(&head, at_end)?;
        head.drain(..bom_length);
        Ok(TextSource {
            input,
            decoder: encoding.new_decoder_without_bom_handling(),
            encoding_name,
            head,
            chunk: vec![0; CHUNK_BYTES],
            finished: false,
        })
    }

    pub(crate) fn encoding_name(&self) -> &'static str {
        self.encoding_name
    }

    /// Decodes the next chunk onto `out`. Each malformed byte sequence
    /// becomes U+FFFD, and its byte offset in `out` is pushed onto
    /// `malformed` so the line holding it can be refused. Returns false once
    /// the file is exhausted (nothing more will be appended).
    pub(crate) fn decode_next(&mut self, out: &mut String, malformed: &mut Vec<usize>) -> io::Result<bool> {
        if self.finished {
            return Ok(false);
        }
        let head = std::mem::take(&mut self.head);
        let (mut source, last): (&[u8], bool) = if !head.is_empty() {
            (&head, false)
        } else {
            let read = read_some(&mut self.input, &mut self.chunk)?;
            (&self.chunk[..read], read == 0)
        };
        loop {
            let room = self.decoder.max_utf8_buffer_length_without_replacement(source.len()).unwrap_or(source.len());
            out.reserve(room.max(4));
            let (result, read) = self.decoder.decode_to_string_without_replacement(source, out, last);
            source = &source[read..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(_, _) => {
                    malformed.push(out.len());
                    out.push(char::REPLACEMENT_CHARACTER);
                }
            }
        }
        if last {
            self.finished = true;
        }
        Ok(!last)
    }
}

/// By byte-order mark; else UTF-8 if the head is valid UTF-8; else GB18030
/// if the head decodes cleanly as GB18030; else refused.
fn choose_encoding(head: &[u8], at_end: bool) -> Result<(&'static Encoding, &'static str, usize), FormatError> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(head) {
        let name = if encoding == UTF_8 {
            "UTF-8 with BOM"
        } else if encoding == UTF_16LE {
            "UTF-16LE"
        } else {
            "UTF-16BE"
        };
        debug_assert!(encoding == UTF_8 || encoding == UTF_16LE || encoding == UTF_16BE);
        return Ok((encoding, name, bom_length));
    }
    let utf8_error = match std::str::from_utf8(head) {
        Ok(_) => return Ok((UTF_8, "UTF-8", 0)),
        // The head may end inside a character; everything before it is valid.
        Err(error) if error.error_len().is_none() => return Ok((UTF_8, "UTF-8", 0)),
        Err(error) => error.valid_up_to(),
    };
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut text =
        String::with_capacity(decoder.max_utf8_buffer_length_without_replacement(head.len()).unwrap_or(head.len() * 3));
    let (result, _) = decoder.decode_to_string_without_replacement(head, &mut text, at_end);
    match result {
        DecoderResult::InputEmpty => Ok((GB18030, "GB18030", 0)),
        DecoderResult::OutputFull | DecoderResult::Malformed(_, _) => Err(FormatError::Encoding {
            detail: format!(
                "byte {} is not valid UTF-8, and the start of the file is not valid GB18030",
                utf8_error + 1
            ),
        }),
    }
}

fn read_full(input: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

fn read_some(input: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// One line of the file, without its line end.
#[derive(Debug)]
pub(crate) struct Line {
    /// Counting from 1.
    pub number: u64,
    /// Empty when the line has a problem that makes its text useless.
    pub text: String,
    /// `"\r\n"`, `"\n"`, or `""` for a last line without one; kept so a
    /// quoted CSV cell spanning lines gets its line breaks back exactly.
    pub terminator: &'static str,
    pub problem: Option<LineProblem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineProblem {
    /// Longer than the limit; the text was dropped while reading.
    TooLong { bytes: u64 },
    /// Holds bytes that are not valid in the file's encoding.
    Malformed,
}

impl LineProblem {
    pub(crate) fn message(self, max_line_bytes: usize, encoding: &str) -> String {
        match self {
            LineProblem::TooLong { bytes } => {
                format!(
                    "the line is {bytes} bytes long, longer than the limit of {max_line_bytes} bytes; it was skipped"
                )
            }
            LineProblem::Malformed => format!("the line holds bytes that are not valid {encoding}"),
        }
    }
}

/// Cuts decoded text into lines, holding at most one line (up to the limit)
/// and one chunk.
pub(crate) struct LineReader {
    source: TextSource,
    text: String,
    /// Where the next line starts in `text`.
    start: usize,
    /// `text[start..scanned]` is known to hold no line break.
    scanned: usize,
    /// Byte offsets in `text` of malformed input.
    malformed: Vec<usize>,
    /// Bytes dropped so far of a line found to be too long.
    skipping: Option<u64>,
    input_done: bool,
    failed: bool,
    next_number: u64,
    max_line_bytes: usize,
}

impl LineReader {
    pub(crate) fn new(source: TextSource, max_line_bytes: usize) -> LineReader {
        LineReader {
            source,
            text: String::new(),
            start: 0,
            scanned: 0,
            malformed: Vec::new(),
            skipping: None,
            input_done: false,
            failed: false,
            next_number: 1,
            max_line_bytes,
        }
    }

    pub(crate) fn encoding_name(&self) -> &'static str {
        self.source.encoding_name()
    }

    pub(crate) fn max_line_bytes(&self) -> usize {
        self.max_line_bytes
    }

    /// The number the next line will have.
    pub(crate) fn next_number(&self) -> u64 {
        self.next_number
    }

    /// The next line, `None` at the end, or the I/O error that ended reading
    /// (after which there are no more lines).
    pub(crate) fn next_line(&mut self) -> Option<io::Result<Line>> {
        if self.failed {
            return None;
        }
        loop {
            let search_from = self.scanned.max(self.start);
            if let Some(offset) = self.text[search_from..].find('\n') {
                let end = search_from + offset;
                let (body_end, terminator) = if end > self.start && self.text.as_bytes()[end - 1] == b'\r' {
                    (end - 1, "\r\n")
                } else {
                    (end, "\n")
                };
                let line = self.make_line(body_end, terminator);
                self.start = end + 1;
                return Some(Ok(line));
            }
            self.scanned = self.text.len();
            let pending = self.text.len() - self.start;
            if pending > self.max_line_bytes || (self.skipping.is_some() && pending > 0) {
                // Too long already: drop what there is and keep only a count.
                self.skipping = Some(self.skipping.unwrap_or(0) + pending as u64);
                self.start = self.text.len();
            }
            if self.input_done {
                if self.skipping.is_some() || self.start < self.text.len() {
                    let line = self.make_line(self.text.len(), "");
                    self.start = self.text.len();
                    return Some(Ok(line));
                }
                return None;
            }
            self.compact();
            match self.source.decode_next(&mut self.text, &mut self.malformed) {
                Ok(more) => self.input_done = !more,
                Err(error) => {
                    self.failed = true;
                    return Some(Err(error));
                }
            }
        }
    }

    fn make_line(&mut self, body_end: usize, terminator: &'static str) -> Line {
        let number = self.next_number;
        self.next_number += 1;
        let length = (body_end - self.start) as u64;
        let (text, problem) = if let Some(dropped) = self.skipping.take() {
            (String::new(), Some(LineProblem::TooLong { bytes: dropped + length }))
        } else if length > self.max_line_bytes as u64 {
            (String::new(), Some(LineProblem::TooLong { bytes: length }))
        } else if self.malformed.iter().any(|&at| at >= self.start && at < body_end) {
            (self.text[self.start..body_end].to_owned(), Some(LineProblem::Malformed))
        } else {
            (self.text[self.start..body_end].to_owned(), None)
        };
        Line { number, text, terminator, problem }
    }

    /// Drops the text already handed out, so the buffer holds one line at most.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        let start = self.start;
        self.text.drain(..start);
        self.malformed.retain(|&at| at >= start);
        for at in &mut self.malformed {
            *at -= start;
        }
        self.scanned = self.scanned.saturating_sub(start);
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8], max: usize) -> Vec<(u64, String, &'static str, Option<LineProblem>)> {
        let source = TextSource::open(Box::new(io::Cursor::new(bytes.to_vec()))).unwrap();
        let mut reader = LineReader::new(source, max);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line() {
            let line = line.unwrap();
            out.push((line.number, line.text, line.terminator, line.problem));
        }
        out
    }

    #[test]
    fn cuts_lines_and_keeps_their_ends() {
        assert_eq!(
            lines(b"a\r\nb\n\nc", 100),
            vec![
                (1, "a".to_owned(), "\r\n", None),
                (2, "b".to_owned(), "\n", None),
                (3, String::new(), "\n", None),
                (4, "c".to_owned(), "", None),
            ]
        );
        assert_eq!(lines(b"", 100), vec![]);
        assert_eq!(lines(b"x\n", 100), vec![(1, "x".to_owned(), "\n", None)]);
    }

    #[test]
    fn too_long_lines_are_dropped_across_chunks() {
        let mut bytes = b"short\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 3 * CHUNK_BYTES + 5));
        bytes.extend(b"\nafter\n");
        bytes.extend(std::iter::repeat_n(b'y', 200));
        let got = lines(&bytes, 100);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].1, "short");
        assert_eq!(got[1], (2, String::new(), "\n", Some(LineProblem::TooLong { bytes: 3 * CHUNK_BYTES as u64 + 5 })));
        assert_eq!(got[2], (3, "after".to_owned(), "\n", None));
        assert_eq!(got[3], (4, String::new(), "", Some(LineProblem::TooLong { bytes: 200 })));
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read() {
        let got = lines(b"12345\n123456\n", 5);
        assert_eq!(got[0].3, None);
        assert_eq!(got[1].3, Some(LineProblem::TooLong { bytes: 6 }));
    }

    #[test]
    fn malformed_bytes_mark_only_their_line() {
        let mut bytes = vec![b'a'; CHUNK_BYTES + 10];
        bytes.extend(b"\nbad \xff here\nfine\n");
        let got = lines(&bytes, usize::MAX);
        assert_eq!(got[0].3, None);
        assert_eq!((got[1].0, got[1].3), (2, Some(LineProblem::Malformed)));
        assert_eq!(got[1].1, "bad \u{FFFD} here");
        assert_eq!((got[2].1.as_str(), got[2].3), ("fine", None));
    }

    #[test]
    fn encodings_are_chosen_from_the_start() {
        let name =
            |bytes: &[u8]| TextSource::open(Box::new(io::Cursor::new(bytes.to_vec()))).map(|s| s.encoding_name());
        assert_eq!(name(b"plain").unwrap(), "UTF-8");
        assert_eq!(name(b"\xef\xbb\xbfwith bom").unwrap(), "UTF-8 with BOM");
        assert_eq!(name(b"\xff\xfea\x00").unwrap(), "UTF-16LE");
        assert_eq!(name(b"\xfe\xff\x00a").unwrap(), "UTF-16BE");
        let (gb, _, _) = GB18030.encode("新疆");
        assert_eq!(name(&gb).unwrap(), "GB18030");
        let error = name(b"a,b\n1,\xff\xff\n").unwrap_err().to_string();
        assert!(error.contains("byte 7 is not valid UTF-8"), "{error}");
    }

    #[test]
    fn a_character_cut_by_the_first_chunk_is_still_utf8() {
        let mut bytes = vec![b'a'; CHUNK_BYTES - 1];
        bytes.extend("新".as_bytes());
        bytes.extend(b"\n");
        let got = lines(&bytes, usize::MAX);
        assert_eq!(got.len(), 1);
        assert!(got[0].1.ends_with('新'));
        assert_eq!(got[0].3, None);
    }
}
