//! From the parsed query to a tantivy query, and the words to highlight.
//!
//! A piece of text (a word, or a quoted phrase) becomes a union over the
//! fields it may match, so that a document matches if any one holds it:
//!
//! - the word fields (`title` ×2, `body` ×1): the text's tokens, cut into
//!   the longest tokens that do not overlap (`中华人民共和国` stays one
//!   token; `人权宣言` is `人权` then `宣言`). One token is a term query;
//!   several are a phrase query at the tokens' own position offsets, which
//!   for Han text are character distances, so the phrase holds however
//!   jieba cut the document around it.
//! - the n-gram fields (`title_ngram` ×0.6, `body_ngram` ×0.3): the text's
//!   n-grams as a phrase (consecutive bigrams for Han, consecutive trigrams
//!   for longer non-ASCII words in alphabetic scripts), which is a substring
//!   match; a plain-ASCII word of four letters or more, which has no
//!   n-grams, matches as a prefix on the word fields instead, at the same
//!   weight:
//!   `婚` finds 婚姻, a Uyghur stem finds the word with its suffixes, and a
//!   word jieba cut differently in a document is still found.
//!
//! An unquoted word that analyses into several tokens (Chinese typed without
//! spaces) needs each token somewhere in the document, and scores higher
//! when they stand together as typed.

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption};

use evident_analyzer::{Token, analyze, ngrams};

use crate::doc::facet_value;
use crate::query::Node;
use crate::schema::Fields;

const TITLE_BOOST: f32 = 2.0;
const TITLE_NGRAM_BOOST: f32 = 0.6;
const BODY_NGRAM_BOOST: f32 = 0.3;
const TOGETHER_BOOST: f32 = 1.5;

/// A compiled query and the folded strings a snippet should highlight.
pub(crate) struct Compiled {
    pub query: Box<dyn Query>,
    pub highlight: Vec<String>,
}

pub(crate) fn compile(root: &Node, fields: &Fields) -> Compiled {
    let mut highlight = Vec::new();
    let query = node(root, fields, &mut highlight, false);
    highlight.sort();
    highlight.dedup();
    // Longest first, so that a snippet marks 中华人民共和国 rather than 中华.
    highlight.sort_by_key(|needle| std::cmp::Reverse(needle.chars().count()));
    Compiled { query, highlight }
}

fn node(query: &Node, fields: &Fields, highlight: &mut Vec<String>, negated: bool) -> Box<dyn Query> {
    match query {
        Node::All => Box::new(AllQuery),
        Node::Text { field, text, phrase } => {
            if !negated {
                highlight.extend(highlight_needles(text));
            }
            text_query(fields, *field, text, *phrase)
        }
        Node::Facet { name, value } => {
            let facet = Facet::from_path([*name, facet_value(name, value).as_str()]);
            Box::new(TermQuery::new(Term::from_facet(fields.facet, &facet), IndexRecordOption::Basic))
        }
        Node::Id(id) => Box::new(TermQuery::new(Term::from_field_text(fields.id, id), IndexRecordOption::Basic)),
        Node::DateRange { from, to } => {
            let bound = |seconds: Option<i64>, inclusive: bool| match seconds {
                None => std::ops::Bound::Unbounded,
                Some(seconds) => {
                    let term = Term::from_field_date(fields.date, tantivy::DateTime::from_timestamp_secs(seconds));
                    if inclusive { std::ops::Bound::Included(term) } else { std::ops::Bound::Excluded(term) }
                }
            };
            Box::new(RangeQuery::new(bound(*from, true), bound(*to, false)))
        }
        Node::And(parts) => {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for part in parts {
                match part {
                    Node::Not(inner) => clauses.push((Occur::MustNot, node(inner, fields, highlight, !negated))),
                    Node::All => {}
                    other => clauses.push((Occur::Must, node(other, fields, highlight, negated))),
                }
            }
            with_positive_clause(clauses)
        }
        Node::Or(alternatives) => Box::new(BooleanQuery::new(
            alternatives.iter().map(|part| (Occur::Should, node(part, fields, highlight, negated))).collect(),
        )),
        Node::Not(inner) => with_positive_clause(vec![(Occur::MustNot, node(inner, fields, highlight, !negated))]),
    }
}

/// tantivy's boolean query matches nothing without a positive clause; a
/// query that only excludes means "everything except".
fn with_positive_clause(mut clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    if clauses.len() == 1 && clauses[0].0 == Occur::Must {
        return clauses.remove(0).1;
    }
    Box::new(BooleanQuery::new(clauses))
}

/// The query for one word or phrase, over title, body or both.
fn text_query(fields: &Fields, field: Option<&str>, text: &str, phrase: bool) -> Box<dyn Query> {
    let targets: Vec<(Field, Field, f32, f32)> = match field {
        Some("title") => vec![(fields.title, fields.title_ngram, 1.0, TITLE_NGRAM_BOOST / TITLE_BOOST)],
        Some(_) => vec![(fields.body, fields.body_ngram, 1.0, BODY_NGRAM_BOOST)],
        None => vec![
            (fields.title, fields.title_ngram, TITLE_BOOST, TITLE_NGRAM_BOOST),
            (fields.body, fields.body_ngram, 1.0, BODY_NGRAM_BOOST),
        ],
    };
    let words = cover(analyze(text));
    let grams = ngram_cover(ngrams(text));
    if words.is_empty() && grams.is_empty() {
        // Punctuation only: nothing to look for, so it constrains nothing.
        return Box::new(AllQuery);
    }
    let together = || -> Box<dyn Query> {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (word_field, gram_field, word_boost, gram_boost) in &targets {
            if let Some(query) = sequence(*word_field, &words) {
                alternatives.push((Occur::Should, boosted(query, *word_boost)));
            }
            if !phrase && let Some(query) = ascii_prefix(*word_field, &words) {
                alternatives.push((Occur::Should, boosted(query, *gram_boost)));
            }
            if let Some(query) = sequence(*gram_field, &grams) {
                alternatives.push((Occur::Should, boosted(query, *gram_boost)));
            }
        }
        if alternatives.is_empty() { Box::new(EmptyQuery) } else { Box::new(BooleanQuery::new(alternatives)) }
    };
    if phrase || words.len() <= 1 {
        return together();
    }
    // Unquoted, several tokens: each somewhere, higher when together.
    let mut clauses: Vec<(Occur, Box<dyn Query>)> =
        words.iter().map(|token| (Occur::Must, text_query(fields, field, &token.text, false))).collect();
    clauses.push((Occur::Should, boosted(together(), TOGETHER_BOOST)));
    Box::new(BooleanQuery::new(clauses))
}

/// Words that begin with a plain-ASCII word of four letters or more
/// (`nikah` finds `nikahlinish`, `right` finds `rights`): ASCII words have
/// no n-grams (see the analyzer), so their recall on suffixes comes from a
/// prefix match on the term dictionary instead, at the n-gram's weight.
fn ascii_prefix(field: Field, words: &[Token]) -> Option<Box<dyn Query>> {
    let [word] = words else { return None };
    let ascii_word = word.text.len() >= 4 && word.text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ascii_word {
        return None;
    }
    // A one-term phrase prefix query is a range over the term dictionary
    // (at most 50 expansions), with no regex to compile.
    Some(Box::new(PhrasePrefixQuery::new(vec![Term::from_field_text(field, &word.text)])))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { query } else { Box::new(BoostQuery::new(query, boost)) }
}

/// Tokens in a row at their relative positions: a term, or a phrase.
fn sequence(field: Field, tokens: &[Token]) -> Option<Box<dyn Query>> {
    let first = tokens.first()?.position;
    let terms: Vec<(usize, Term)> =
        tokens.iter().map(|token| (token.position - first, Term::from_field_text(field, &token.text))).collect();
    Some(if terms.len() == 1 {
        let (_, term) = terms.into_iter().next()?;
        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
    } else {
        Box::new(PhraseQuery::new_with_offset(terms))
    })
}

/// The longest tokens that do not overlap, in order: at each position the
/// longest token that starts there, skipping tokens inside one already
/// taken.
fn cover(tokens: Vec<Token>) -> Vec<Token> {
    let mut taken: Vec<Token> = Vec::new();
    let mut covered_to = 0;
    let mut index = 0;
    while index < tokens.len() {
        let start = tokens[index].offset_from;
        let mut longest = index;
        let mut next = index;
        while next < tokens.len() && tokens[next].offset_from == start {
            if tokens[next].offset_to > tokens[longest].offset_to {
                longest = next;
            }
            next += 1;
        }
        if start >= covered_to || taken.is_empty() {
            covered_to = tokens[longest].offset_to;
            taken.push(tokens[longest].clone());
        }
        index = next;
    }
    taken
}

/// The n-grams that spell the text out: the longest n-gram at each position,
/// dropping those that add nothing past the previous one's end (the final
/// unigram of a Han run, already inside the last bigram).
fn ngram_cover(tokens: Vec<Token>) -> Vec<Token> {
    let mut taken: Vec<Token> = Vec::new();
    let mut covered_to = 0;
    let mut index = 0;
    while index < tokens.len() {
        let position = tokens[index].position;
        let mut longest = index;
        let mut next = index;
        while next < tokens.len() && tokens[next].position == position {
            if tokens[next].offset_to > tokens[longest].offset_to {
                longest = next;
            }
            next += 1;
        }
        if tokens[longest].offset_to > covered_to || taken.is_empty() {
            covered_to = tokens[longest].offset_to;
            taken.push(tokens[longest].clone());
        }
        index = next;
    }
    taken
}

/// What a snippet should mark for a piece of text: its folded tokens, and
/// for a Han run the whole folded run, so that 人权宣言 is marked as one.
fn highlight_needles(text: &str) -> Vec<String> {
    let folded = evident_analyzer::fold(text);
    let mut needles: Vec<String> = analyze(text).into_iter().map(|token| token.text).collect();
    for run in folded.text().split(|c: char| !c.is_alphanumeric()) {
        if run.chars().count() > 1 && !needles.iter().any(|needle| needle == run) {
            needles.push(run.to_owned());
        }
    }
    needles.retain(|needle| !needle.is_empty());
    needles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|token| token.text.as_str()).collect()
    }

    #[test]
    fn cover_keeps_the_longest_word_and_skips_sub_words() {
        assert_eq!(texts(&cover(analyze("中华人民共和国"))), ["中华人民共和国"]);
        assert_eq!(texts(&cover(analyze("equal protection"))), ["equal", "protection"]);
    }

    #[test]
    fn ngram_cover_spells_han_as_bigrams_and_words_as_trigrams() {
        assert_eq!(texts(&ngram_cover(ngrams("人权宣言"))), ["人权", "权宣", "宣言"]);
        assert_eq!(texts(&ngram_cover(ngrams("婚"))), ["婚"]);
        assert_eq!(texts(&ngram_cover(ngrams("béshi"))), ["bés", "ésh", "shi"]);
        // Plain ASCII words are left to the word fields.
        assert!(ngram_cover(ngrams("asylum")).is_empty());
    }

    #[test]
    fn traditional_query_folds_to_simplified() {
        assert_eq!(texts(&cover(analyze("人權"))), ["人权"]);
    }
}
