//! Evident's search index: derived from the archive, rebuildable at any
//! time, never the source of truth.
//!
//! - [`SearchIndex`] holds a tantivy index (on disk under the archive, or in
//!   memory for tests) of [`IndexDoc`]s: one per file item (its extracted
//!   text and its item record) and one per record. Each commit records the
//!   archive log size it reflects, so the archive can tell after a crash
//!   which entries still need indexing.
//! - Text goes through `evident-analyzer` twice: a word field and an n-gram
//!   field of lower weight (see [`compile`] for how a query uses both).
//! - The query language is in [`query`]: words (AND by default), `"phrases"`,
//!   `OR`, `NOT`/`-`, parentheses, `field:value` for `title`, `body`, `id`,
//!   `date` and the [`FACETS`].
//! - Access is part of every search: [`SearchRequest::access`] is the
//!   caller's level and documents above it are never matched, counted in a
//!   facet or shown in a snippet.
//! - A search is one pass over the matches (top hits, count and facet
//!   counts together; `facets.rs` counts in whichever way is cheaper for the
//!   number of matches), then each hit's stored fields (`stored.rs` reads
//!   them without checking a long body as UTF-8 as a whole) and its snippet
//!   (`snippet.rs`, which reads only as far into the body as the matches).
//!   `evident bench search` times each phase with `EVIDENT_BENCH_PROFILE=1`.

pub mod bench;
mod compile;
mod doc;
mod facets;
mod index;
pub mod query;
mod schema;
mod snippet;
mod stored;

use std::collections::BTreeMap;

use serde::Serialize;

pub use doc::{Access, IndexDoc};
pub use index::{MAX_LIMIT, MAX_OFFSET, SearchHandle, SearchIndex};
pub use schema::{FACETS, INDEX_FORMAT, TEXT_FIELDS, query_field_names};
pub use snippet::{SNIPPET_CHARS, Snippet};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query cannot be read; the message says what and where.
    #[error("query: {0}")]
    Query(String),
    /// A document or request the index cannot take.
    #[error("{0}")]
    Invalid(String),
    /// The index on disk was written by another version; rebuild it.
    #[error("search index is outdated: {0}")]
    Outdated(String),
    /// The index on disk cannot be read; rebuild it.
    #[error("search index {path} is damaged: {detail}")]
    Corrupted { path: String, detail: String },
    #[error("search index: {0}")]
    Io(String),
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// How hits are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

impl Sort {
    pub fn parse(text: &str) -> Result<Sort, SearchError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "relevance" | "score" => Ok(Sort::Relevance),
            "newest" | "date" => Ok(Sort::Newest),
            "oldest" => Ok(Sort::Oldest),
            other => Err(SearchError::Invalid(format!("unknown sort {other:?}; sorts are relevance, newest, oldest"))),
        }
    }
}

/// One search.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchRequest {
    pub query: String,
    /// what the caller may see
    pub access: Access,
    pub limit: usize,
    pub offset: usize,
    pub sort: Sort,
    /// facets to count over all matches, by name
    pub facets: Vec<String>,
}

impl SearchRequest {
    /// The first ten hits by relevance, with no facet counts.
    pub fn new(query: impl Into<String>, access: Access) -> SearchRequest {
        SearchRequest { query: query.into(), access, limit: 10, offset: 0, sort: Sort::Relevance, facets: Vec::new() }
    }
}

/// What a search found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResults {
    /// matches in all, not only this page
    pub total: usize,
    pub hits: Vec<Hit>,
    /// per requested facet, `(value, count)` by count, most first
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
    /// what the parser assumed to read the query (an unclosed quote, ...)
    pub notes: Vec<String>,
}

/// One result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// relevance score; `None` when sorted by date
    pub score: Option<f32>,
    pub snippet: Snippet,
    /// the dominant language
    pub lang: Option<String>,
    /// `YYYY-MM-DD`, if the document has a date
    pub date: Option<String>,
}
