//! The index on disk (or in memory for tests): writing documents, recording
//! how far into the archive's log it is current, and searching.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::store::{Compressor, StoreReader};
use tantivy::{
    DateTime, DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy, Searcher,
    TantivyDocument, Term,
};

use crate::compile::compile;
use crate::doc::{Access, IndexDoc};
use crate::facets::FacetCounter;
use crate::query::parse;
use crate::schema::{FACET_FIELD, FACETS, Fields, INDEX_FORMAT, register_tokenizers, schema};
use crate::snippet::{Highlighter, snippet};
use crate::stored::StoredDoc;
use crate::{Hit, SearchError, SearchRequest, SearchResults, Sort};

/// Memory the writer may use before it flushes a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// The most hits one request may ask for, and the deepest page.
pub const MAX_LIMIT: usize = 1_000;
pub const MAX_OFFSET: usize = 10_000;

/// How the index is written. The document store (each document's title and
/// body, which every hit reads for its snippet) is not compressed: reading
/// ten hits' text out of LZ4 blocks cost about a fifth of a search, more
/// than the disk it saves is worth (the postings, most of the index, are
/// compressed as always).
fn index_settings() -> IndexSettings {
    IndexSettings { docstore_compression: Compressor::None, ..IndexSettings::default() }
}

/// What the index records with each commit: its format, and the size of the
/// archive's log it reflects (every entry below `log_size` is indexed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Payload {
    format: u32,
    log_size: u64,
}

/// The search index.
pub struct SearchIndex {
    index: Index,
    pub(crate) reader: IndexReader,
    writer: Option<IndexWriter>,
    pub(crate) fields: Fields,
    log_size: Option<u64>,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating an empty one if there is none.
    /// An index of another format, or one that cannot be read, is an error
    /// ([`SearchError::Outdated`] or [`SearchError::Corrupted`]): the caller
    /// deletes it and rebuilds, since the index is derived.
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        let corrupted = |detail: String| SearchError::Corrupted { path: dir.display().to_string(), detail };
        let index = if dir.join("meta.json").exists() {
            let index = Index::open_in_dir(dir).map_err(|e| corrupted(e.to_string()))?;
            if index.schema() != schema {
                return Err(SearchError::Outdated(format!(
                    "{}: the index was written with another schema",
                    dir.display()
                )));
            }
            index
        } else {
            std::fs::create_dir_all(dir).map_err(|e| SearchError::Io(format!("create {}: {e}", dir.display())))?;
            Index::builder()
                .schema(schema)
                .settings(index_settings())
                .create_in_dir(dir)
                .map_err(|e| corrupted(e.to_string()))?
        };
        let mut search_index = SearchIndex::from_index(index, fields)?;
        let metas = search_index.index.load_metas().map_err(|e| corrupted(e.to_string()))?;
        match metas.payload.as_deref().map(serde_json::from_str::<Payload>) {
            None => search_index.log_size = None,
            Some(Ok(payload)) if payload.format == INDEX_FORMAT => search_index.log_size = Some(payload.log_size),
            Some(Ok(payload)) => {
                return Err(SearchError::Outdated(format!(
                    "{}: index format {} (this program writes {INDEX_FORMAT})",
                    dir.display(),
                    payload.format
                )));
            }
            Some(Err(e)) => return Err(corrupted(format!("commit payload: {e}"))),
        }
        Ok(search_index)
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        let index = Index::builder().schema(schema).settings(index_settings()).create_in_ram()?;
        SearchIndex::from_index(index, fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<SearchIndex, SearchError> {
        register_tokenizers(index.tokenizers());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, reader, writer: None, fields, log_size: None })
    }

    /// The archive log size the last commit recorded: every entry below it
    /// is reflected in the index. `None` for an index never committed.
    pub fn log_size(&self) -> Option<u64> {
        self.log_size
    }

    /// Documents visible to searches (committed).
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn writer(&mut self) -> Result<&mut IndexWriter, SearchError> {
        if self.writer.is_none() {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 2);
            self.writer = Some(self.index.writer_with_num_threads(threads, WRITER_MEMORY * threads)?);
        }
        self.writer.as_mut().ok_or_else(|| SearchError::Io("index writer unavailable".to_owned()))
    }

    /// Adds a document, replacing any with the same id. Visible after
    /// [`commit`](Self::commit).
    pub fn upsert(&mut self, doc: &IndexDoc) -> Result<(), SearchError> {
        let fields = self.fields;
        let facets = doc.all_facets()?;
        let mut document = TantivyDocument::default();
        document.add_text(fields.id, &doc.id);
        document.add_text(fields.kind, &doc.kind);
        document.add_text(fields.title, &doc.title);
        document.add_text(fields.title_ngram, &doc.title);
        document.add_text(fields.body, &doc.body);
        document.add_text(fields.body_ngram, &doc.body);
        for lang in &doc.langs {
            document.add_text(fields.lang, lang);
        }
        for (name, value) in facets {
            document.add_facet(fields.facet, Facet::from_path([name, value.as_str()]));
        }
        if let Some(seconds) = doc.date {
            document.add_date(fields.date, DateTime::from_timestamp_secs(seconds));
        }
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_text(fields.id, &doc.id));
        writer.add_document(document)?;
        Ok(())
    }

    /// Removes the document with this id, if any.
    pub fn delete(&mut self, id: &str) -> Result<(), SearchError> {
        let term = Term::from_field_text(self.fields.id, id);
        self.writer()?.delete_term(term);
        Ok(())
    }

    /// Removes every document (for a rebuild).
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Makes every change so far durable and visible, recording that the
    /// index reflects the archive log up to `log_size`.
    pub fn commit(&mut self, log_size: u64) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&Payload { format: INDEX_FORMAT, log_size })
            .map_err(|e| SearchError::Io(format!("commit payload: {e}")))?;
        let writer = self.writer()?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        self.log_size = Some(log_size);
        Ok(())
    }

    /// Lets the writer finish merging segments and closes it (after a bulk
    /// load such as a rebuild, so the index is not left in many small
    /// segments). The next write opens a new writer.
    pub fn finish_merges(&mut self) -> Result<(), SearchError> {
        if let Some(writer) = self.writer.take() {
            writer.wait_merging_threads()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Runs a search. Only documents at or below `request.access` are ever
    /// matched, counted, faceted or shown.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        self.handle().search(request)
    }

    /// A handle that searches the committed index without borrowing it:
    /// cheap to make, `Send + Sync`, and it sees every later commit (the
    /// reader is shared), so many searches can run at once while the index
    /// itself stays with its single writer.
    pub fn handle(&self) -> SearchHandle {
        SearchHandle { reader: self.reader.clone(), fields: self.fields }
    }
}

/// Searches a committed index; see [`SearchIndex::handle`].
#[derive(Clone)]
pub struct SearchHandle {
    reader: IndexReader,
    fields: Fields,
}

impl SearchHandle {
    /// Runs a search. Only documents at or below `request.access` are ever
    /// matched, counted, faceted or shown.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        self.search_timed(request, &mut None)
    }

    /// [`search`](Self::search), noting in `timings` (when given) how long
    /// each phase took; for the benchmark's `EVIDENT_BENCH_PROFILE` runs.
    pub(crate) fn search_timed(
        &self,
        request: &SearchRequest,
        timings: &mut Option<&mut Timings>,
    ) -> Result<SearchResults, SearchError> {
        let mut clock = Clock::start(timings.is_some());
        let searcher = self.reader.searcher();
        let prepared = self.prepare(&searcher, request)?;
        clock.lap(timings, |t| &mut t.parse_compile);

        let facet_counter = FacetCounter::new(self.fields.facet, FACET_FIELD, &request.facets);
        let top = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset);
        let query = &prepared.query;
        let (scored, total, facet_counts): (Vec<(Option<f32>, DocAddress)>, usize, _) = match request.sort {
            Sort::Relevance => {
                let (docs, total, facets) = searcher.search(query, &(top.order_by_score(), Count, facet_counter))?;
                (docs.into_iter().map(|(score, address)| (Some(score), address)).collect(), total, facets)
            }
            Sort::Newest | Sort::Oldest => {
                let order = if request.sort == Sort::Newest { Order::Desc } else { Order::Asc };
                let (docs, total, facets) = searcher
                    .search(query, &(top.order_by_fast_field::<DateTime>("date", order), Count, facet_counter))?;
                (docs.into_iter().map(|(_, address)| (None, address)).collect(), total, facets)
            }
        };
        let scored = if request.limit == 0 { Vec::new() } else { scored };
        clock.lap(timings, |t| &mut t.collect);

        let mut documents = Vec::with_capacity(scored.len());
        let mut stores: Vec<Option<StoreReader>> = (0..searcher.segment_readers().len()).map(|_| None).collect();
        for (score, address) in scored {
            documents.push((score, StoredDoc::read(&searcher, &mut stores, address)?));
        }
        clock.lap(timings, |t| &mut t.fetch);

        let mut hits = Vec::with_capacity(documents.len());
        for (score, document) in documents {
            let fields = &self.fields;
            let text = |field| document.text(field).unwrap_or("").to_owned();
            hits.push(Hit {
                id: text(fields.id),
                kind: text(fields.kind),
                title: text(fields.title),
                score,
                snippet: snippet(document.text_bytes(fields.body).unwrap_or_default(), &prepared.highlighter),
                lang: document.text(fields.lang).map(str::to_owned),
                date: document.date(fields.date).and_then(|date| format_date(date.into_timestamp_secs())),
            });
        }
        clock.lap(timings, |t| &mut t.snippets);
        let mut facet_counts = facet_counts;
        let mut facets = BTreeMap::new();
        for name in &request.facets {
            let mut counts: Vec<(String, u64)> = facet_counts.remove(name).unwrap_or_default().into_iter().collect();
            counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            facets.insert(name.clone(), counts);
        }
        Ok(SearchResults { total, hits, facets, notes: prepared.notes })
    }

    /// The request checked, parsed and compiled, with the access filter in.
    fn prepare(&self, searcher: &Searcher, request: &SearchRequest) -> Result<Prepared, SearchError> {
        if request.limit > MAX_LIMIT {
            return Err(SearchError::Query(format!("limit {} is above the maximum {MAX_LIMIT}", request.limit)));
        }
        if request.offset > MAX_OFFSET {
            return Err(SearchError::Query(format!(
                "offset {} is above the maximum {MAX_OFFSET}; narrow the search instead",
                request.offset
            )));
        }
        for name in &request.facets {
            if !FACETS.contains(&name.as_str()) {
                return Err(SearchError::Query(format!("unknown facet {name:?}; facets are {}", FACETS.join(", "))));
            }
        }
        let parsed = parse(&request.query)?;
        let compiled = compile(&parsed.root, &self.fields);
        let query = self.with_access(searcher, compiled.query, request.access)?;
        Ok(Prepared { query, highlighter: Highlighter::new(compiled.highlight), notes: parsed.notes })
    }

    /// Times the collecting phases one by one (each a pass of its own over
    /// the matches), for the benchmark's profile: the top hits alone, the
    /// count alone, the facets alone.
    pub(crate) fn time_collectors(&self, request: &SearchRequest, timings: &mut Timings) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let prepared = self.prepare(&searcher, request)?;
        let started = Instant::now();
        let top = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset).order_by_score();
        searcher.search(&prepared.query, &top)?;
        timings.top_alone += started.elapsed();
        let started = Instant::now();
        searcher.search(&prepared.query, &Count)?;
        timings.count_alone += started.elapsed();
        let started = Instant::now();
        let facet_counter = FacetCounter::new(self.fields.facet, FACET_FIELD, &request.facets);
        searcher.search(&prepared.query, &facet_counter)?;
        timings.facets_alone += started.elapsed();
        Ok(())
    }

    /// The query restricted to what `access` may see, as a clause of the
    /// query itself (never a filter over results), and one that adds nothing
    /// to scores. Which clause depends on which levels the documents of this
    /// searcher's snapshot hold (the same snapshot the query then runs on):
    /// none above `access`: no clause is needed; one at or below it: that
    /// level is required; otherwise every level above it is excluded.
    fn with_access(
        &self,
        searcher: &Searcher,
        query: Box<dyn Query>,
        access: Access,
    ) -> Result<Box<dyn Query>, SearchError> {
        let mut visible = Vec::new();
        let mut hidden = Vec::new();
        for level in Access::ALL {
            let term = Term::from_facet(self.fields.facet, &Facet::from_path(["access", level.name()]));
            // Deleted documents still count here until a merge: a level is
            // only ever taken for absent when no document, live or deleted,
            // holds it.
            if searcher.doc_freq(&term)? == 0 {
                continue;
            }
            if level <= access { visible.push(term) } else { hidden.push(term) }
        }
        if hidden.is_empty() {
            return Ok(query);
        }
        let term_query = |term: Term| -> Box<dyn Query> { Box::new(TermQuery::new(term, IndexRecordOption::Basic)) };
        let clauses: Vec<(Occur, Box<dyn Query>)> = match <[Term; 1]>::try_from(visible) {
            Ok([only]) => {
                vec![(Occur::Must, query), (Occur::Must, Box::new(ConstScoreQuery::new(term_query(only), 0.0)))]
            }
            Err(visible) if visible.is_empty() => return Ok(Box::new(EmptyQuery)),
            Err(_) => {
                let mut clauses = vec![(Occur::Must, query)];
                clauses.extend(hidden.into_iter().map(|term| (Occur::MustNot, term_query(term))));
                clauses
            }
        };
        Ok(Box::new(BooleanQuery::new(clauses)))
    }
}

/// A request ready to run.
struct Prepared {
    query: Box<dyn Query>,
    highlighter: Highlighter,
    notes: Vec<String>,
}

/// Where a search spent its time, phase by phase (the benchmark's profile).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Timings {
    /// checking, parsing and compiling the query, the access filter added
    pub parse_compile: Duration,
    /// the one pass over the matches: top hits, count and facets together
    pub collect: Duration,
    /// reading the hits' stored documents
    pub fetch: Duration,
    /// building the hits' snippets (and the rest of each hit)
    pub snippets: Duration,
    /// [`SearchHandle::time_collectors`]: the top hits in a pass of their own
    pub top_alone: Duration,
    /// the count in a pass of its own
    pub count_alone: Duration,
    /// the facet counts in a pass of their own
    pub facets_alone: Duration,
}

/// A stopwatch that costs nothing when no timings are wanted.
struct Clock(Option<Instant>);

impl Clock {
    fn start(wanted: bool) -> Clock {
        Clock(wanted.then(Instant::now))
    }

    /// Adds the time since the last lap to the phase `phase` picks.
    fn lap(&mut self, timings: &mut Option<&mut Timings>, phase: impl FnOnce(&mut Timings) -> &mut Duration) {
        if let (Some(started), Some(timings)) = (self.0, timings.as_deref_mut()) {
            let now = Instant::now();
            *phase(timings) += now - started;
            self.0 = Some(now);
        }
    }
}

fn format_date(seconds: i64) -> Option<String> {
    let moment = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    moment.date().format(&time::format_description::well_known::Iso8601::DATE).ok()
}
