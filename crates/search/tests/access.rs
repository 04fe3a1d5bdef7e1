//! The access rule through the public API: a search never matches, counts,
//! facets or shows in a snippet a document above the caller's level, for
//! every mix of levels the index may hold (the access clause the index adds
//! depends on which levels are present).

use evident_search::{Access, IndexDoc, SearchIndex, SearchRequest, SearchResults};

fn doc(id: &str, body: &str, access: Access) -> IndexDoc {
    IndexDoc {
        id: id.to_owned(),
        kind: "item".to_owned(),
        title: format!("title of {id}"),
        body: body.to_owned(),
        langs: vec!["en".to_owned()],
        access,
        date: None,
        facets: vec![("source".to_owned(), format!("src_{id}"))],
    }
}

fn index_of(docs: &[IndexDoc]) -> SearchIndex {
    let mut index = SearchIndex::in_memory().expect("index");
    for doc in docs {
        index.upsert(doc).expect("upsert");
    }
    index.commit(docs.len() as u64).expect("commit");
    index
}

fn search(index: &SearchIndex, query: &str, access: Access) -> (SearchResults, Access) {
    let mut request = SearchRequest::new(query, access);
    request.limit = 100;
    request.facets = vec!["access".to_owned(), "source".to_owned(), "kind".to_owned()];
    (index.search(&request).expect("search"), access)
}

fn ids(results: &SearchResults) -> Vec<&str> {
    let mut ids: Vec<&str> = results.hits.iter().map(|hit| hit.id.as_str()).collect();
    ids.sort();
    ids
}

/// Everything a search at `access` reports holds only `allowed`, and no
/// snippet shows the canary of a level above `access`.
fn assert_shows_only((results, access): (SearchResults, Access), allowed: &[&str]) {
    let results = &results;
    assert_eq!(ids(results), allowed, "hits");
    assert_eq!(results.total, allowed.len(), "total");
    let sources: Vec<String> = results.facets["source"].iter().map(|(value, _)| value.clone()).collect();
    let mut expected: Vec<String> = allowed.iter().map(|id| format!("src_{id}")).collect();
    expected.sort();
    let mut sources_sorted = sources.clone();
    sources_sorted.sort();
    assert_eq!(sources_sorted, expected, "source facet");
    let counted: u64 = results.facets["kind"].iter().map(|(_, count)| count).sum();
    assert_eq!(counted, allowed.len() as u64, "kind facet");
    for hit in &results.hits {
        if access < Access::Restricted {
            assert!(!hit.snippet.text.contains("CANARY-RESTRICTED"), "{hit:?}");
        }
        assert!(!hit.snippet.text.contains("CANARY-SEALED"), "{hit:?}");
    }
}

#[test]
fn only_restricted_documents_the_public_sees_nothing() {
    let index = index_of(&[doc("r1", "kidney CANARY-RESTRICTED", Access::Restricted)]);
    assert_shows_only(search(&index, "kidney", Access::Public), &[]);
    assert_shows_only(search(&index, "", Access::Public), &[]);
    assert_shows_only(search(&index, "id:r1", Access::Public), &[]);
    assert_shows_only(search(&index, "kidney", Access::Restricted), &["r1"]);
}

#[test]
fn public_and_restricted_documents() {
    let index = index_of(&[
        doc("p1", "kidney waiting time", Access::Public),
        doc("r1", "kidney CANARY-RESTRICTED", Access::Restricted),
    ]);
    assert_shows_only(search(&index, "kidney", Access::Public), &["p1"]);
    assert_shows_only(search(&index, "CANARY-RESTRICTED", Access::Public), &[]);
    assert_shows_only(search(&index, "kidney OR waiting", Access::Public), &["p1"]);
    assert_shows_only(search(&index, "-waiting", Access::Public), &[]);
    assert_shows_only(search(&index, "access:restricted", Access::Public), &[]);
    assert_shows_only(search(&index, "kidney", Access::Restricted), &["p1", "r1"]);
    let (public, _) = search(&index, "", Access::Public);
    assert_eq!(public.facets["access"], [("public".to_owned(), 1)]);
}

#[test]
fn sealed_documents_are_above_every_searcher() {
    let index = index_of(&[
        doc("p1", "kidney", Access::Public),
        doc("r1", "kidney CANARY-RESTRICTED", Access::Restricted),
        doc("s1", "kidney CANARY-SEALED", Access::Sealed),
    ]);
    assert_shows_only(search(&index, "kidney", Access::Public), &["p1"]);
    assert_shows_only(search(&index, "kidney", Access::Restricted), &["p1", "r1"]);
    assert_shows_only(search(&index, "CANARY-SEALED", Access::Restricted), &[]);
    assert_shows_only(search(&index, "id:s1", Access::Restricted), &[]);
}

#[test]
fn only_public_documents_everyone_sees_them() {
    let index = index_of(&[doc("p1", "kidney", Access::Public), doc("p2", "kidney liver", Access::Public)]);
    assert_shows_only(search(&index, "kidney", Access::Public), &["p1", "p2"]);
    assert_shows_only(search(&index, "kidney", Access::Restricted), &["p1", "p2"]);
}

#[test]
fn a_document_made_restricted_leaves_public_searches_at_once() {
    let mut index = index_of(&[doc("p1", "kidney", Access::Public), doc("p2", "kidney", Access::Public)]);
    // p2 is no longer public: the old version is deleted but still counted
    // by the index's statistics until a merge.
    index.upsert(&doc("p2", "kidney CANARY-RESTRICTED", Access::Restricted)).expect("upsert");
    index.commit(3).expect("commit");
    assert_shows_only(search(&index, "kidney", Access::Public), &["p1"]);
    assert_shows_only(search(&index, "kidney", Access::Restricted), &["p1", "p2"]);
    // And the other way round.
    index.upsert(&doc("p2", "kidney again", Access::Public)).expect("upsert");
    index.commit(4).expect("commit");
    assert_shows_only(search(&index, "kidney", Access::Public), &["p1", "p2"]);
}
