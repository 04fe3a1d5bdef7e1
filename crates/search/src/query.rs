//! The query language, parsed into a small tree before anything touches the
//! index.
//!
//! ```text
//! query   := or
//! or      := and ( "OR" and )*
//! and     := unary ( "AND"? unary )*          juxtaposition means AND
//! unary   := ( "NOT" | "-" ) unary | primary
//! primary := "(" query ")" | [ name ":" ] ( word | "\"" phrase "\"" )
//! ```
//!
//! Readings chosen for bad input, so that a typing slip still searches:
//! an unclosed quote runs to the end of the query; a missing `)` is closed at
//! the end and a stray `)` is ignored (each with a note); control characters
//! are spaces; `AND`/`OR`/`NOT` are operators only in capitals, and where
//! they cannot be operators (at the start or end) they are words. Refused,
//! with a message that says what and where: an unknown field name, a
//! malformed date, more than [`MAX_TERMS`] terms, more than [`MAX_QUERY_CHARS`]
//! characters, nesting deeper than [`MAX_DEPTH`].

use crate::SearchError;
use crate::schema::{FACETS, TEXT_FIELDS, query_field_names};

/// At most this many words, phrases and filters in one query.
pub const MAX_TERMS: usize = 64;
/// At most this many characters in one query.
pub const MAX_QUERY_CHARS: usize = 65_536;
/// At most this many nested parentheses.
pub const MAX_DEPTH: usize = 16;

/// A parsed query.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// Matches every document (an empty query).
    All,
    /// Text to find: a word (which may analyse into several tokens, as an
    /// unspaced Chinese phrase does) or a quoted phrase, in `field` (title
    /// or body) or in both.
    Text {
        field: Option<&'static str>,
        text: String,
        phrase: bool,
    },
    /// `name:value` on a facet, e.g. `lang:zh`.
    Facet {
        name: &'static str,
        value: String,
    },
    /// `id:itm_...`
    Id(String),
    /// `date:2015`, `date:2015-03..2016`: seconds since the epoch, inclusive
    /// start and exclusive end.
    DateRange {
        from: Option<i64>,
        to: Option<i64>,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// A parsed query and what the parser had to assume to read it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedQuery {
    pub root: Node,
    pub notes: Vec<String>,
}

pub fn parse(query: &str) -> Result<ParsedQuery, SearchError> {
    let characters = query.chars().count();
    if characters > MAX_QUERY_CHARS {
        return Err(SearchError::Query(format!(
            "the query has {characters} characters; the limit is {MAX_QUERY_CHARS}"
        )));
    }
    let mut notes = Vec::new();
    let lexemes = lex(query, &mut notes);
    let terms = lexemes.iter().filter(|lexeme| matches!(lexeme, Lexeme::Term { .. })).count();
    if terms > MAX_TERMS {
        return Err(SearchError::Query(format!(
            "the query has {terms} terms; the limit is {MAX_TERMS}: search for fewer words, or use a phrase in quotes"
        )));
    }
    let mut parser = Parser { lexemes, next: 0, notes };
    let mut parts = vec![parser.or(0)?];
    // Only a stray `)` stops the top level early; both sides still count.
    while parser.next < parser.lexemes.len() {
        parser.notes.push("ignored a `)` that closes nothing".to_owned());
        parser.next += 1;
        parts.push(parser.or(0)?);
    }
    Ok(ParsedQuery { root: and_of(parts), notes: parser.notes })
}

#[derive(Clone, Debug, PartialEq)]
enum Lexeme {
    Open,
    Close,
    And,
    Or,
    Not,
    /// a word or phrase, with the field name written before it (`title:`) and
    /// its byte offset in the query for messages
    Term {
        field: Option<String>,
        text: String,
        phrase: bool,
        offset: usize,
    },
}

fn lex(query: &str, notes: &mut Vec<String>) -> Vec<Lexeme> {
    let characters: Vec<(usize, char)> =
        query.char_indices().map(|(offset, c)| (offset, if c.is_control() { ' ' } else { c })).collect();
    let mut lexemes = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        let (offset, character) = characters[index];
        match character {
            c if c.is_whitespace() => index += 1,
            '(' => {
                lexemes.push(Lexeme::Open);
                index += 1;
            }
            ')' => {
                lexemes.push(Lexeme::Close);
                index += 1;
            }
            '-' if characters.get(index + 1).is_some_and(|(_, next)| !next.is_whitespace() && *next != '-') => {
                lexemes.push(Lexeme::Not);
                index += 1;
            }
            '"' => {
                let (text, next) = phrase(&characters, index + 1, notes);
                lexemes.push(Lexeme::Term { field: None, text, phrase: true, offset });
                index = next;
            }
            _ => {
                let start = index;
                while index < characters.len() {
                    let c = characters[index].1;
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    index += 1;
                }
                let word: String = characters[start..index].iter().map(|(_, c)| c).collect();
                // `title:"a phrase"`: the field name, then a quote right after the colon.
                if let Some(field) = word.strip_suffix(':').filter(|name| is_field_name(name))
                    && characters.get(index).is_some_and(|(_, c)| *c == '"')
                {
                    let (text, next) = phrase(&characters, index + 1, notes);
                    lexemes.push(Lexeme::Term { field: Some(field.to_owned()), text, phrase: true, offset });
                    index = next;
                    continue;
                }
                lexemes.push(match word.as_str() {
                    "AND" => Lexeme::And,
                    "OR" => Lexeme::Or,
                    "NOT" => Lexeme::Not,
                    _ => match word.split_once(':') {
                        Some((name, value)) if is_field_name(name) && !value.is_empty() && !value.starts_with("//") => {
                            Lexeme::Term { field: Some(name.to_owned()), text: value.to_owned(), phrase: false, offset }
                        }
                        _ => Lexeme::Term { field: None, text: word, phrase: false, offset },
                    },
                });
            }
        }
    }
    lexemes
}

/// Reads a phrase from just after its opening quote; returns its text and
/// the index after the closing quote (or the end, noting the missing quote).
fn phrase(characters: &[(usize, char)], start: usize, notes: &mut Vec<String>) -> (String, usize) {
    let mut index = start;
    while index < characters.len() && characters[index].1 != '"' {
        index += 1;
    }
    let text: String = characters[start..index].iter().map(|(_, c)| c).collect();
    if index == characters.len() {
        notes.push(format!("the quote before {:?} is not closed; read it as a phrase to the end", text.trim()));
        (text, index)
    } else {
        (text, index + 1)
    }
}

/// Looks like a field name: ASCII lower-case letters and underscores.
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

struct Parser {
    lexemes: Vec<Lexeme>,
    next: usize,
    notes: Vec<String>,
}

impl Parser {
    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.next)
    }

    fn or(&mut self, depth: usize) -> Result<Node, SearchError> {
        let mut alternatives = vec![self.and(depth)?];
        while self.peek() == Some(&Lexeme::Or) {
            self.next += 1;
            if self.at_end_of_group() {
                self.notes.push("ignored an `OR` with nothing after it".to_owned());
                break;
            }
            alternatives.push(self.and(depth)?);
        }
        Ok(if alternatives.len() == 1 { alternatives.remove(0) } else { Node::Or(alternatives) })
    }

    fn and(&mut self, depth: usize) -> Result<Node, SearchError> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Lexeme::Close) | Some(Lexeme::Or) if !parts.is_empty() => break,
                None | Some(Lexeme::Close) => break,
                Some(Lexeme::Or) => {
                    // `OR` at the start of a group: a word, not an operator.
                    self.lexemes[self.next] =
                        Lexeme::Term { field: None, text: "OR".to_owned(), phrase: false, offset: 0 };
                }
                Some(Lexeme::And) => {
                    self.next += 1;
                    if parts.is_empty() || self.at_end_of_group() {
                        self.notes.push("ignored an `AND` with nothing on one side".to_owned());
                    }
                    continue;
                }
                _ => {}
            }
            parts.push(self.unary(depth)?);
        }
        Ok(match parts.len() {
            0 => Node::All,
            1 => parts.remove(0),
            _ => Node::And(parts),
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Node, SearchError> {
        if self.peek() == Some(&Lexeme::Not) {
            self.next += 1;
            if self.at_end_of_group() {
                self.notes.push("ignored a `NOT` with nothing after it".to_owned());
                return Ok(Node::All);
            }
            return Ok(Node::Not(Box::new(self.unary(depth)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Node, SearchError> {
        let Some(lexeme) = self.lexemes.get(self.next).cloned() else {
            return Ok(Node::All);
        };
        self.next += 1;
        match lexeme {
            Lexeme::Open => {
                if depth + 1 > MAX_DEPTH {
                    return Err(SearchError::Query(format!("the query nests parentheses more than {MAX_DEPTH} deep")));
                }
                let inner = self.or(depth + 1)?;
                if self.peek() == Some(&Lexeme::Close) {
                    self.next += 1;
                } else {
                    self.notes.push("a `(` is not closed; closed it at the end of the query".to_owned());
                }
                Ok(inner)
            }
            Lexeme::Term { field, text, phrase, offset } => term(field.as_deref(), text, phrase, offset),
            // Unreachable from `and`, which handles these before calling here;
            // read them as words rather than fail.
            Lexeme::Close | Lexeme::And | Lexeme::Or | Lexeme::Not => Ok(Node::All),
        }
    }

    fn at_end_of_group(&self) -> bool {
        matches!(self.peek(), None | Some(Lexeme::Close))
    }
}

fn term(field: Option<&str>, text: String, phrase: bool, offset: usize) -> Result<Node, SearchError> {
    let Some(field) = field else {
        return Ok(Node::Text { field: None, text, phrase });
    };
    if let Some(name) = TEXT_FIELDS.iter().find(|name| **name == field) {
        return Ok(Node::Text { field: Some(name), text, phrase });
    }
    if let Some(name) = FACETS.iter().find(|name| **name == field) {
        return Ok(Node::Facet { name, value: text });
    }
    match field {
        "id" => Ok(Node::Id(text.trim().to_owned())),
        "date" => date_range(&text, offset),
        _ => Err(SearchError::Query(format!(
            "unknown field {field:?} at character {}; fields are {}",
            offset + 1,
            query_field_names().join(", ")
        ))),
    }
}

/// `2015`, `2015-03`, `2015-03-14`, or a range `A..B` of those (either end
/// may be left open).
fn date_range(text: &str, offset: usize) -> Result<Node, SearchError> {
    let bad = |detail: &str| {
        SearchError::Query(format!(
            "date:{text} at character {}: {detail}; write date:2015, date:2015-03, date:2015-03-14 or a range date:2010..2014",
            offset + 1
        ))
    };
    let (from, to) = match text.split_once("..") {
        Some((from, to)) => (from.trim(), to.trim()),
        None => (text.trim(), text.trim()),
    };
    if from.is_empty() && to.is_empty() {
        return Err(bad("no date"));
    }
    let start = if from.is_empty() { None } else { Some(date_bounds(from).ok_or_else(|| bad("not a date"))?.0) };
    let end = if to.is_empty() { None } else { Some(date_bounds(to).ok_or_else(|| bad("not a date"))?.1) };
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        return Err(bad("the range ends before it starts"));
    }
    Ok(Node::DateRange { from: start, to: end })
}

/// The first second of a year, month or day and the first second after it.
fn date_bounds(text: &str) -> Option<(i64, i64)> {
    use time::{Date, Month};
    let parts: Vec<&str> = text.split('-').collect();
    let year: i32 = parts.first()?.parse().ok().filter(|year| (1..=9999).contains(year))?;
    let month = |text: &str| text.parse::<u8>().ok().and_then(|m| Month::try_from(m).ok());
    let (start, end) = match parts.len() {
        1 => (
            Date::from_calendar_date(year, Month::January, 1).ok()?,
            Date::from_calendar_date(year + 1, Month::January, 1).ok()?,
        ),
        2 => {
            let month = month(parts[1])?;
            let start = Date::from_calendar_date(year, month, 1).ok()?;
            let end = if month == Month::December {
                Date::from_calendar_date(year + 1, Month::January, 1).ok()?
            } else {
                Date::from_calendar_date(year, month.next(), 1).ok()?
            };
            (start, end)
        }
        3 => {
            let day = Date::from_calendar_date(year, month(parts[1])?, parts[2].parse().ok()?).ok()?;
            (day, day.next_day()?)
        }
        _ => return None,
    };
    let seconds = |date: Date| date.midnight().assume_utc().unix_timestamp();
    Some((seconds(start), seconds(end)))
}

fn and_of(mut nodes: Vec<Node>) -> Node {
    nodes.retain(|node| *node != Node::All);
    match nodes.len() {
        0 => Node::All,
        1 => nodes.remove(0),
        _ => Node::And(nodes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> Node {
        Node::Text { field: None, text: text.to_owned(), phrase: false }
    }

    fn root(query: &str) -> Node {
        parse(query).map(|parsed| parsed.root).unwrap_or_else(|e| panic!("{query:?}: {e}"))
    }

    #[test]
    fn words_are_anded_and_or_binds_looser() {
        assert_eq!(root("kidney liver"), Node::And(vec![text("kidney"), text("liver")]));
        assert_eq!(root("a AND b OR c"), Node::Or(vec![Node::And(vec![text("a"), text("b")]), text("c")]));
        assert_eq!(root("a (b OR c)"), Node::And(vec![text("a"), Node::Or(vec![text("b"), text("c")])]));
    }

    #[test]
    fn not_and_minus_negate() {
        assert_eq!(root("移植 NOT 肝脏"), Node::And(vec![text("移植"), Node::Not(Box::new(text("肝脏")))]));
        assert_eq!(root("a -b"), Node::And(vec![text("a"), Node::Not(Box::new(text("b")))]));
        // A hyphen inside a word or standing alone is not an operator.
        assert_eq!(root("1-2 weeks"), Node::And(vec![text("1-2"), text("weeks")]));
    }

    #[test]
    fn phrases_and_fields() {
        assert_eq!(
            root("title:\"human rights\" lang:zh"),
            Node::And(vec![
                Node::Text { field: Some("title"), text: "human rights".into(), phrase: true },
                Node::Facet { name: "lang", value: "zh".into() }
            ])
        );
        assert_eq!(root("id:itm_01ABC"), Node::Id("itm_01ABC".into()));
    }

    #[test]
    fn a_url_is_text_not_a_field() {
        assert_eq!(root("https://example.org/a"), text("https://example.org/a"));
    }

    #[test]
    fn unknown_field_is_refused_with_the_list() {
        let error = parse("colour:red").map(|_| ()).unwrap_err().to_string();
        assert!(error.contains("unknown field \"colour\""), "{error}");
        assert!(error.contains("lang"), "{error}");
    }

    #[test]
    fn unclosed_quote_runs_to_the_end_with_a_note() {
        let parsed = parse("\"equal protection").expect("parses");
        assert_eq!(parsed.root, Node::Text { field: None, text: "equal protection".into(), phrase: true });
        assert_eq!(parsed.notes.len(), 1);
    }

    #[test]
    fn unbalanced_parentheses_are_read_sensibly() {
        let parsed = parse("(a OR b").expect("parses");
        assert_eq!(parsed.root, Node::Or(vec![text("a"), text("b")]));
        assert!(!parsed.notes.is_empty());
        let parsed = parse("a ) b").expect("parses");
        assert_eq!(parsed.root, Node::And(vec![text("a"), text("b")]));
        assert!(!parsed.notes.is_empty());
    }

    #[test]
    fn operators_at_the_edges_are_words_or_ignored() {
        assert_eq!(root("OR"), text("OR"));
        assert_eq!(root("a AND"), text("a"));
        assert_eq!(root("NOT"), Node::All);
    }

    #[test]
    fn control_characters_are_spaces() {
        assert_eq!(root("kidney\u{0}\u{7}liver"), Node::And(vec![text("kidney"), text("liver")]));
    }

    #[test]
    fn limits_are_errors_not_slow_queries() {
        let many = vec!["word"; 10_000].join(" ");
        assert!(parse(&many).is_err());
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn dates_and_ranges() {
        let Node::DateRange { from: Some(from), to: Some(to) } = root("date:2014") else { panic!("not a range") };
        assert_eq!(to - from, 365 * 86_400);
        let Node::DateRange { from: None, to: Some(_) } = root("date:..2014-02") else { panic!("open start") };
        assert!(parse("date:2014-13").is_err());
        assert!(parse("date:2015..2010").is_err());
    }

    #[test]
    fn empty_query_matches_all() {
        assert_eq!(root(""), Node::All);
        assert_eq!(root("   "), Node::All);
    }
}
