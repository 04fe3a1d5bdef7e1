//! E-mail (RFC 5322 / MIME) through Stalwart's mail-parser, which decodes
//! encoded words, transfer encodings and charsets (CJK ones too, through
//! encoding_rs).

use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};

use crate::builder::{Separator, TextBuilder};
use crate::text::normalize_newlines;
use crate::{Draft, Outcome, html, panic_message};

/// Messages inside messages make mail-parser (and dropping its result)
/// recurse once per level; a file that could nest deeper than this is not
/// read. Forwarded messages as attachments count too, and real mail has a
/// handful.
const MAX_EMBEDDED_MESSAGES: usize = 1000;
/// Stack for the parsing thread; only reserved address space until used.
const STACK_BYTES: usize = 64 * 1024 * 1024;

pub(crate) fn extract(bytes: &[u8]) -> Outcome {
    let embedded = count_ignoring_case(bytes, b"message/rfc822") + count_ignoring_case(bytes, b"message/global");
    if embedded > MAX_EMBEDDED_MESSAGES {
        return Outcome::failed(
            "eml",
            &format!("the file has {embedded} embedded messages, more than the {MAX_EMBEDDED_MESSAGES} read safely"),
        );
    }
    let parse = || match catch_unwind(AssertUnwindSafe(|| extract_message(bytes))) {
        Ok(outcome) => outcome,
        Err(panic) => Outcome::failed("eml", &format!("the mail parser stopped: {}", panic_message(&*panic))),
    };
    let joined = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("evident-extract-eml".to_owned())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, parse)
            .map(|handle| handle.join())
    });
    match joined {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(panic)) => Outcome::failed("eml", &format!("the mail parser stopped: {}", panic_message(&*panic))),
        // No thread could be started (resource limits): parse here instead.
        Err(_) => parse(),
    }
}

fn count_ignoring_case(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|window| window.eq_ignore_ascii_case(needle)).count()
}

fn extract_message(bytes: &[u8]) -> Outcome {
    let Some(message) = MessageParser::default().parse(bytes) else {
        return Outcome::failed("eml", "the file cannot be parsed as an e-mail message");
    };
    let mut builder = TextBuilder::default();
    let mut not_for_language = Vec::new();

    let mut headers: Vec<String> = Vec::new();
    for (label, address) in [("From", message.from()), ("To", message.to()), ("Cc", message.cc())] {
        if let Some(address) = address.map(format_address).filter(|address| !address.is_empty()) {
            headers.push(format!("{label}: {address}"));
        }
    }
    if let Some(date) = message.date() {
        headers.push(format!("Date: {}", date.to_rfc3339()));
    }
    let subject = message.subject().map(str::trim).filter(|subject| !subject.is_empty());
    if let Some(subject) = subject {
        headers.push(format!("Subject: {subject}"));
    }
    if !headers.is_empty() {
        builder.push(&headers.join("\n"));
        not_for_language.push(0..builder.len());
        builder.separate(Separator::Paragraph);
    }

    // mail-parser lists text/plain parts here and falls back to the HTML
    // parts when a message (or an alternative) has no plain text.
    for part in message.text_bodies() {
        match &part.body {
            PartType::Text(text) => builder.push_lines(&normalize_newlines(text)),
            PartType::Html(markup) => builder.push_lines(&html::extract_str(markup).text),
            _ => {}
        }
        builder.separate(Separator::Paragraph);
    }

    let attachments: Vec<String> = message
        .attachments()
        .map(|part| match part.attachment_name() {
            Some(name) if !name.trim().is_empty() => name.trim().to_owned(),
            _ => match part.content_type() {
                Some(kind) => format!("(unnamed {}/{})", kind.c_type, kind.subtype().unwrap_or("octet-stream")),
                None => "(unnamed)".to_owned(),
            },
        })
        .collect();
    if !attachments.is_empty() {
        let line = format!("Attachments: {}", attachments.join(", "));
        builder.push(&line);
        if !builder.is_full() {
            not_for_language.push(builder.len() - line.len()..builder.len());
        }
    }

    let (text, truncated) = builder.finish();
    let title = subject.map(str::to_owned);
    Outcome::Text("eml", Draft { title, text, truncated, not_for_language, ..Draft::default() })
}

/// Addresses as "Name <address>", comma-separated.
fn format_address(address: &Address<'_>) -> String {
    let formatted: Vec<String> = address
        .iter()
        .filter_map(|addr| match (addr.name(), addr.address()) {
            (Some(name), Some(address)) if !name.trim().is_empty() => Some(format!("{} <{address}>", name.trim())),
            (_, Some(address)) => Some(address.to_owned()),
            (Some(name), None) => Some(name.trim().to_owned()),
            (None, None) => None,
        })
        .collect();
    formatted.join(", ")
}
