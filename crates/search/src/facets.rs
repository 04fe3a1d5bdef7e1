//! Facet counts over every match of a search.
//!
//! tantivy's `FacetCollector` reads each matching document's facet values
//! from the facet column (and walks the whole facet dictionary once per
//! segment), which costs most of a search when it matches thousands of
//! documents. [`FacetCounter`] instead notes which documents match and
//! counts each requested value in whichever way is cheaper for the segment:
//!
//! - few matches: each match's values from the facet column;
//! - many matches: each value's posting list against the set of matches,
//!   which reads a few bytes per document holding the value, whatever
//!   matched.
//!
//! Both count only documents the query matched, so the access clause in the
//! query bounds the counts as it bounds the hits.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::index::InvertedIndexReader;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Facet values are `name`, the separator byte, `value` (tantivy's encoding
/// of the facet `/name/value`).
const SEPARATOR: u8 = 0;
/// Reading one document's values from the column costs about as much as
/// this many entries of a posting list (read a block at a time).
const COLUMN_COST_IN_POSTINGS: usize = 20;

/// Per facet name, per value, how many matches hold it.
pub(crate) type FacetTally = BTreeMap<String, BTreeMap<String, u64>>;

/// Counts the values of the named facets over the matching documents.
pub(crate) struct FacetCounter {
    field: Field,
    /// the facet field's name in the schema
    field_name: &'static str,
    names: Vec<String>,
}

impl FacetCounter {
    pub(crate) fn new(field: Field, field_name: &'static str, names: &[String]) -> FacetCounter {
        FacetCounter { field, field_name, names: names.to_vec() }
    }
}

pub(crate) struct SegmentFacetCounter {
    /// `None` when no facet is asked for: nothing to note.
    segment: Option<Segment>,
    names: Arc<Vec<String>>,
    docs: Vec<DocId>,
}

/// What a segment's counting needs from the segment.
struct Segment {
    inverted_index: Arc<InvertedIndexReader>,
    column: FacetReader,
    max_doc: DocId,
}

impl Collector for FacetCounter {
    type Fruit = FacetTally;
    type Child = SegmentFacetCounter;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentFacetCounter> {
        let segment = if self.names.is_empty() {
            None
        } else {
            Some(Segment {
                inverted_index: reader.inverted_index(self.field)?,
                column: reader.facet_reader(self.field_name)?,
                max_doc: reader.max_doc(),
            })
        };
        Ok(SegmentFacetCounter { segment, names: Arc::new(self.names.clone()), docs: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<tantivy::Result<FacetTally>>) -> tantivy::Result<FacetTally> {
        let mut merged = FacetTally::new();
        for segment in segments {
            for (name, values) in segment? {
                let counts = merged.entry(name).or_default();
                for (value, count) in values {
                    *counts.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = tantivy::Result<FacetTally>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if self.segment.is_some() {
            self.docs.push(doc);
        }
    }

    fn harvest(self) -> tantivy::Result<FacetTally> {
        let mut tally = FacetTally::new();
        let Some(segment) = self.segment else { return Ok(tally) };
        if self.docs.is_empty() {
            return Ok(tally);
        }
        // Each requested facet's values in this segment, with how many
        // documents (live or deleted) hold each.
        let terms = segment.inverted_index.terms();
        let mut values: Vec<(usize, Vec<u8>, TermInfo)> = Vec::new();
        for (name_index, name) in self.names.iter().enumerate() {
            let (prefix, end) = prefix_bounds(name);
            let mut stream = terms.range().ge(&prefix).lt(&end).into_stream()?;
            while stream.advance() {
                values.push((name_index, stream.key().to_vec(), stream.value().clone()));
            }
        }
        let postings_total: usize = values.iter().map(|(_, _, info)| info.doc_freq as usize).sum();
        let mut add = |name_index: usize, encoded: &[u8], count: u64| {
            let value = encoded.get(self.names[name_index].len() + 1..).unwrap_or_default();
            let value = String::from_utf8_lossy(value).into_owned();
            *tally.entry(self.names[name_index].clone()).or_default().entry(value).or_default() += count;
        };
        if self.docs.len().saturating_mul(COLUMN_COST_IN_POSTINGS) < postings_total {
            // Few matches: their values from the column. The values of one
            // facet are a run of ordinals in the column's sorted dictionary.
            let dictionary = segment.column.facet_dict();
            let mut ranges: Vec<(u64, u64, Vec<u64>)> = Vec::with_capacity(self.names.len());
            for name in self.names.iter() {
                let (prefix, end) = prefix_bounds(name);
                let (low, high) = dictionary.term_bounds_to_ord(Bound::Included(&prefix), Bound::Excluded(&end))?;
                let low = match low {
                    Bound::Included(ordinal) => ordinal,
                    Bound::Excluded(ordinal) => ordinal + 1,
                    Bound::Unbounded => 0,
                };
                let high = match high {
                    Bound::Included(ordinal) => ordinal + 1,
                    Bound::Excluded(ordinal) => ordinal,
                    Bound::Unbounded => dictionary.num_terms() as u64,
                };
                ranges.push((low, high.max(low), vec![0; high.saturating_sub(low) as usize]));
            }
            for doc in &self.docs {
                for ordinal in segment.column.facet_ords(*doc) {
                    if let Some((low, _, counts)) =
                        ranges.iter_mut().find(|(low, high, _)| (*low..*high).contains(&ordinal))
                    {
                        counts[(ordinal - *low) as usize] += 1;
                    }
                }
            }
            let mut encoded = Vec::new();
            for (name_index, (low, _, counts)) in ranges.iter().enumerate() {
                for (offset, count) in counts.iter().enumerate() {
                    if *count > 0 && dictionary.ord_to_term(low + offset as u64, &mut encoded)? {
                        add(name_index, &encoded, *count);
                    }
                }
            }
        } else {
            // Many matches: each value's documents against the matches.
            let mut matched = vec![0u64; (segment.max_doc as usize).div_ceil(64)];
            for doc in &self.docs {
                matched[*doc as usize / 64] |= 1 << (doc % 64);
            }
            for (name_index, encoded, info) in &values {
                let mut block =
                    segment.inverted_index.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                let mut count = 0u64;
                loop {
                    let docs = block.docs();
                    if docs.is_empty() {
                        break;
                    }
                    for doc in docs {
                        count += (matched.get(*doc as usize / 64).copied().unwrap_or(0) >> (doc % 64)) & 1;
                    }
                    block.advance();
                }
                // A value none of the matches holds is not reported, as
                // with the column.
                if count > 0 {
                    add(*name_index, encoded, count);
                }
            }
        }
        Ok(tally)
    }
}

/// The encoded values of the facet `name` are those from `prefix` (the name
/// and the separator) up to `end` (excluded).
fn prefix_bounds(name: &str) -> (Vec<u8>, Vec<u8>) {
    let mut prefix = name.as_bytes().to_vec();
    prefix.push(SEPARATOR);
    let mut end = name.as_bytes().to_vec();
    end.push(SEPARATOR + 1);
    (prefix, end)
}

#[cfg(test)]
mod tests {
    use tantivy::Term;
    use tantivy::collector::FacetCollector;
    use tantivy::query::{AllQuery, Query, TermQuery};
    use tantivy::schema::Facet;

    use super::*;
    use crate::{Access, IndexDoc, SearchIndex};

    /// What tantivy's own facet collector counts, as a tally.
    fn reference(index: &SearchIndex, query: &dyn Query, names: &[String]) -> FacetTally {
        let searcher = index.reader.searcher();
        let mut collector = FacetCollector::for_field(crate::schema::FACET_FIELD);
        for name in names {
            collector.add_facet(Facet::from_path([name.as_str()]));
        }
        let counts = searcher.search(query, &collector).unwrap();
        let mut tally = FacetTally::new();
        for name in names {
            for (facet, count) in counts.get(Facet::from_path([name.as_str()])) {
                let value = facet.to_path().last().unwrap().to_string();
                tally.entry(name.clone()).or_default().insert(value, count);
            }
        }
        tally
    }

    #[test]
    fn counts_match_tantivys_facet_collector_for_few_and_many_matches() {
        let mut index = SearchIndex::in_memory().unwrap();
        for number in 0..400 {
            let lang = ["en", "zh", "ug", "bo"][number % 4];
            let mut langs = vec![lang.to_owned()];
            if number % 7 == 0 {
                langs.push("zh".to_owned());
            }
            index
                .upsert(&IndexDoc {
                    id: format!("itm_{number}"),
                    kind: if number % 3 == 0 { "item".into() } else { "person".into() },
                    title: format!("title {number}"),
                    body: format!("body common word{}", number % 50),
                    langs,
                    access: if number % 5 == 0 { Access::Public } else { Access::Restricted },
                    date: Some(1_400_000_000 + number as i64 * 86_400 * 30),
                    facets: vec![("province".into(), format!("Province {}", number % 3))],
                })
                .unwrap();
        }
        index.commit(1).unwrap();
        // One more segment, with a document that replaces one of the first.
        index
            .upsert(&IndexDoc {
                id: "itm_3".into(),
                kind: "item".into(),
                title: "replaced".into(),
                body: "body common word3".into(),
                langs: vec!["en".into()],
                access: Access::Restricted,
                date: None,
                facets: Vec::new(),
            })
            .unwrap();
        index.commit(2).unwrap();
        let names: Vec<String> = ["lang", "kind", "access", "province", "year", "group"].map(String::from).to_vec();
        let searcher = index.reader.searcher();
        let word =
            |text: &str| TermQuery::new(Term::from_field_text(index.fields.body, text), IndexRecordOption::Basic);
        let queries: Vec<Box<dyn Query>> =
            vec![Box::new(AllQuery), Box::new(word("common")), Box::new(word("word3")), Box::new(word("word17"))];
        for query in &queries {
            let counted =
                searcher.search(query.as_ref(), &FacetCounter::new(index.fields.facet, "facet", &names)).unwrap();
            assert_eq!(counted, reference(&index, query.as_ref(), &names), "{query:?}");
            assert!(!counted.is_empty());
        }
        // No facet asked for: nothing counted.
        let none = searcher.search(&AllQuery, &FacetCounter::new(index.fields.facet, "facet", &[])).unwrap();
        assert!(none.is_empty());
    }
}
