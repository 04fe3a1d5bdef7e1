//! `/search?q=…&sort=…&offset=…`: the archive's search at the caller's
//! level, with facet counts as filters (each adds or removes `name:value`
//! in the query, so the URL says everything), highlights from the hit's
//! ranges (the text escaped, each range in `<mark>`), pages and sorting.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use evident_archive::{ArchiveError, SearchRequest, Snippet, Sort};
use serde::Deserialize;

use super::fields::href;
use super::{Layout, PageError, page};
use crate::AppState;
use crate::error::ApiError;

/// Hits per page.
const PAGE_SIZE: usize = 20;
/// The facets counted beside the results, with their labels' keys.
const FACETS: [(&str, &str); 5] = [
    ("kind", "facet.kind"),
    ("type", "facet.type"),
    ("lang", "facet.lang"),
    ("year", "facet.year"),
    ("access", "facet.access"),
];
/// The orders offered, with their labels' keys.
const SORTS: [(&str, &str); 3] =
    [("relevance", "search.sort.relevance"), ("newest", "search.sort.newest"), ("oldest", "search.sort.oldest")];
/// The deepest page offered (the index refuses offsets past 10,000).
const MAX_OFFSET: usize = 10_000;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    sort: Option<String>,
    offset: Option<usize>,
}

/// One hit as the page shows it.
struct HitRow {
    id: String,
    href: String,
    kind: String,
    title: String,
    date: String,
    lang: String,
    /// the snippet cut at its highlights: (text, marked)
    snippet: Vec<(String, bool)>,
}

/// One facet value: its count and the link that applies or removes it.
struct FacetValue {
    value: String,
    count: u64,
    href: String,
    active: bool,
}

struct FacetGroup {
    name: &'static str,
    label: &'static str,
    values: Vec<FacetValue>,
}

struct SortOption {
    key: &'static str,
    label: &'static str,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    searched: bool,
    total: usize,
    hits: Vec<HitRow>,
    facets: Vec<FacetGroup>,
    sorts: Vec<SortOption>,
    notes: Vec<String>,
    problem: String,
    previous: Option<String>,
    next: Option<String>,
    page_number: usize,
}

/// `GET /search`.
pub async fn search_page(
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    layout.require_restricted()?;
    let q = query.q.unwrap_or_default();
    let sort_key = match query.sort.as_deref() {
        Some("newest") => "newest",
        Some("oldest") => "oldest",
        _ => "relevance",
    };
    let offset = query.offset.unwrap_or(0).min(MAX_OFFSET);
    let sorts = SORTS
        .into_iter()
        .map(|(key, label)| SortOption {
            key,
            label: layout.t(label),
            href: search_url(&q, key, 0),
            active: key == sort_key,
        })
        .collect();
    let mut page_data = SearchPage {
        q: q.clone(),
        searched: !q.trim().is_empty(),
        total: 0,
        hits: Vec::new(),
        facets: Vec::new(),
        sorts,
        notes: Vec::new(),
        problem: String::new(),
        previous: None,
        next: None,
        page_number: offset / PAGE_SIZE + 1,
        layout,
    };
    if !page_data.searched {
        return page(&page_data);
    }
    let mut request = SearchRequest::new(q.clone(), page_data.layout.access());
    request.limit = PAGE_SIZE;
    request.offset = offset;
    request.sort = Sort::parse(sort_key).map_err(|e| ApiError::bad_request(e.to_string()))?;
    request.facets = FACETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    let outcome = crate::api::search_concurrently(&state, request).await?;
    let results = match outcome {
        Ok(results) => results,
        Err(ArchiveError::Invalid(message)) => {
            page_data.problem = message;
            return page(&page_data);
        }
        Err(other) => return Err(ApiError::from(other).into()),
    };
    page_data.total = results.total;
    page_data.notes = results.notes;
    page_data.hits = results
        .hits
        .into_iter()
        .map(|hit| HitRow {
            href: href(&hit.id),
            snippet: segments(&hit.snippet),
            id: hit.id,
            kind: hit.kind,
            title: hit.title,
            date: hit.date.unwrap_or_default(),
            lang: hit.lang.unwrap_or_default(),
        })
        .collect();
    page_data.facets = FACETS
        .iter()
        .filter_map(|(name, label)| {
            let counts = results.facets.get(*name)?;
            let values: Vec<FacetValue> = counts
                .iter()
                .map(|(value, count)| {
                    let (toggled, active) = toggle_filter(&q, name, value);
                    FacetValue { value: value.clone(), count: *count, href: search_url(&toggled, sort_key, 0), active }
                })
                .collect();
            (!values.is_empty()).then(|| FacetGroup { name, label: page_data.layout.t(label), values })
        })
        .collect();
    if offset > 0 {
        page_data.previous = Some(search_url(&q, sort_key, offset.saturating_sub(PAGE_SIZE)));
    }
    if offset + PAGE_SIZE < results.total && offset + PAGE_SIZE <= MAX_OFFSET {
        page_data.next = Some(search_url(&q, sort_key, offset + PAGE_SIZE));
    }
    page(&page_data)
}

/// A snippet cut into runs of plain and highlighted text (character
/// ranges; overlapping or out-of-range ones are clamped).
fn segments(snippet: &Snippet) -> Vec<(String, bool)> {
    let characters: Vec<char> = snippet.text.chars().collect();
    let mut marked = vec![false; characters.len()];
    for [start, end] in &snippet.highlights {
        for flag in marked.iter_mut().take((*end).min(characters.len())).skip(*start) {
            *flag = true;
        }
    }
    let mut runs: Vec<(String, bool)> = Vec::new();
    for (character, flag) in characters.into_iter().zip(marked) {
        match runs.last_mut() {
            Some((text, last)) if *last == flag => text.push(character),
            _ => runs.push((character.to_string(), flag)),
        }
    }
    runs
}

/// The filter `name:value` as the query language writes it.
fn filter_term(name: &str, value: &str) -> String {
    if value.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '(' | ')')) {
        format!("{name}:\"{}\"", value.replace('"', ""))
    } else {
        format!("{name}:{value}")
    }
}

/// `q` with the filter added, or removed if it is there; and whether it was.
fn toggle_filter(q: &str, name: &str, value: &str) -> (String, bool) {
    let term = filter_term(name, value);
    if q.contains(&term) {
        let removed = q.replacen(&term, "", 1).split_whitespace().collect::<Vec<_>>().join(" ");
        (removed, true)
    } else {
        (format!("{} {term}", q.trim()).trim().to_owned(), false)
    }
}

fn search_url(q: &str, sort: &str, offset: usize) -> String {
    let mut url = format!("/search?q={}", query_encode(q));
    if sort != "relevance" {
        url.push_str(&format!("&sort={sort}"));
    }
    if offset > 0 {
        url.push_str(&format!("&offset={offset}"));
    }
    url
}

/// Percent-encodes a query-string value.
fn query_encode(text: &str) -> String {
    super::percent_encode(text).replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_become_marked_runs() {
        let snippet =
            Snippet { text: "人权与器官移植 rights".to_owned(), highlights: vec![[0, 2], [8, 14], [20, 30]] };
        assert_eq!(
            segments(&snippet),
            vec![("人权".to_owned(), true), ("与器官移植 ".to_owned(), false), ("rights".to_owned(), true)]
        );
    }

    #[test]
    fn facet_filters_toggle_in_the_query() {
        assert_eq!(toggle_filter("organ", "lang", "zh"), ("organ lang:zh".to_owned(), false));
        assert_eq!(toggle_filter("organ lang:zh", "lang", "zh"), ("organ".to_owned(), true));
        assert_eq!(toggle_filter("", "type", "web capture"), ("type:\"web capture\"".to_owned(), false));
        assert_eq!(search_url("a b&c", "newest", 20), "/search?q=a%20b%26c&sort=newest&offset=20");
    }
}
