//! The relevance set (tests/relevance/, built by scripts/make-relevance-set
//! from the UDHR in six scripts and our own fixtures): every query must put
//! its expected documents in the top 10, and none of its `absent` ones
//! anywhere. All failures are reported together.

use std::collections::BTreeMap;

use evident_search::{Access, IndexDoc, SearchIndex, SearchRequest};
use serde::Deserialize;

#[derive(Deserialize)]
struct Doc {
    id: String,
    lang: String,
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct Case {
    query: String,
    lang: String,
    top10: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

fn relevance_file(name: &str) -> String {
    let path = format!("{}/tests/relevance/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

#[test]
fn every_query_finds_its_documents_in_the_top_ten() {
    let mut index = SearchIndex::in_memory().expect("index");
    let docs: Vec<Doc> =
        relevance_file("docs.jsonl").lines().map(|line| serde_json::from_str(line).expect("document line")).collect();
    assert!(docs.len() >= 200, "{} documents", docs.len());
    for doc in &docs {
        index
            .upsert(&IndexDoc {
                id: doc.id.clone(),
                kind: "item".into(),
                title: doc.title.clone(),
                body: doc.text.clone(),
                langs: vec![doc.lang.clone()],
                access: Access::Restricted,
                date: None,
                facets: Vec::new(),
            })
            .expect("upsert");
    }
    index.commit(docs.len() as u64).expect("commit");
    let cases: Vec<Case> = serde_json::from_str(&relevance_file("queries.json")).expect("queries");
    assert!(cases.len() >= 40, "{} queries", cases.len());

    let mut failures = Vec::new();
    let mut per_language: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in &cases {
        let top = index.search(&SearchRequest::new(case.query.as_str(), Access::Restricted)).expect("search");
        let top_ids: Vec<&str> = top.hits.iter().map(|hit| hit.id.as_str()).collect();
        let missing: Vec<&String> = case.top10.iter().filter(|id| !top_ids.contains(&id.as_str())).collect();
        let mut all = SearchRequest::new(case.query.as_str(), Access::Restricted);
        all.limit = 1_000;
        let everything = index.search(&all).expect("search");
        let present: Vec<&String> =
            case.absent.iter().filter(|id| everything.hits.iter().any(|hit| &hit.id == *id)).collect();
        let tally = per_language.entry(case.lang.as_str()).or_default();
        tally.0 += 1;
        if missing.is_empty() && present.is_empty() {
            tally.1 += 1;
        } else {
            failures.push(format!(
                "{:?} ({}): missing from top 10 {missing:?}, present but must be absent {present:?}; top 10 {top_ids:?}",
                case.query, case.lang
            ));
        }
    }
    for (lang, (total, passed)) in &per_language {
        eprintln!("{lang}: {passed}/{total}");
    }
    assert!(failures.is_empty(), "{} of {} queries failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
