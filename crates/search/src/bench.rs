//! `evident bench search`: Evident's index beside bare tantivy and SQLite
//! FTS5 (unicode61 and trigram tokenizers), all measured in the same run on
//! the same documents and the same queries.
//!
//! - **Evident**: [`SearchIndex`] on disk, every document upserted as kind
//!   `item`, its language, access `restricted` (one in a hundred `sealed`,
//!   see `SEALED_EVERY`); queries through [`SearchIndex::search`] with
//!   limit 10, access `restricted` and the `lang` and `kind` facets, so the
//!   analyzer, access filter, facet counts and snippets are all paid for.
//!   After the commit the bench waits for the writer's segment merges, as
//!   `evident reindex` does (and for bare tantivy's), timed apart.
//! - **tantivy**: `id`, `title`, `body` with tantivy's default tokenizer, the
//!   writer threads and memory [`SearchIndex`] uses; `QueryParser` over title
//!   and body, AND by default, lenient parsing, top 10 (their stored ids
//!   fetched) and the count.
//! - **FTS5**: one table per tokenizer (`unicode61`, `trigram`), each in its
//!   own database file, loaded in one transaction (WAL, synchronous=NORMAL);
//!   the top 10 ids by `rank` and `count(*)`, each query term quoted.
//!
//! Indexing time is the wall time of streaming the corpus (zstd decode and
//! JSON parse included, the same for every engine and reported alone as
//! `read_seconds`) into the engine and committing. Latency: the query list
//! once to warm up, then three rounds (both configurable); each query's
//! median of its runs; p50, p99 (nearest rank), mean and max over the
//! queries' medians.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{STORED, STRING, Schema, TEXT, Value};
use tantivy::{Index, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::index::Timings;
use crate::{Access, IndexDoc, SearchHandle, SearchIndex, SearchRequest};

/// The query list: `LANG<TAB>QUERY` a line, `#` comments.
pub const QUERIES: &str = include_str!("bench-queries.txt");

/// The writer memory per thread [`SearchIndex`] uses (index.rs), given to
/// bare tantivy as well.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
const MB: f64 = 1_000_000.0;
/// Set (to anything but `0`) to time Evident's searches phase by phase:
/// parse and compile, the collecting pass, fetching stored documents,
/// snippets, and the top hits, count and facets each in a pass of its own.
/// The profile runs after the measured rounds and is printed to standard
/// error and kept in the report; it changes nothing that is measured.
pub const PROFILE_VARIABLE: &str = "EVIDENT_BENCH_PROFILE";
/// One document in this many (the first of each run of them) is indexed as
/// `sealed`, above the `restricted` searcher, so that every Evident search
/// carries an access clause (with no document above the searcher's level
/// the index needs none). Those documents are not found, so Evident's hits
/// can fall short of the other engines' by about this share.
const SEALED_EVERY: usize = 100;
/// Measured rounds by default.
pub const ROUNDS: usize = 3;

/// Engine keys, in the order they run and are reported.
pub const EVIDENT: &str = "evident";
pub const TANTIVY: &str = "tantivy";
pub const FTS5_UNICODE61: &str = "fts5_unicode61";
pub const FTS5_TRIGRAM: &str = "fts5_trigram";
pub const ENGINES: [&str; 4] = [EVIDENT, TANTIVY, FTS5_UNICODE61, FTS5_TRIGRAM];

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BenchError(pub String);

impl From<crate::SearchError> for BenchError {
    fn from(e: crate::SearchError) -> Self {
        BenchError(e.to_string())
    }
}

impl From<tantivy::TantivyError> for BenchError {
    fn from(e: tantivy::TantivyError) -> Self {
        BenchError(format!("tantivy: {e}"))
    }
}

impl From<rusqlite::Error> for BenchError {
    fn from(e: rusqlite::Error) -> Self {
        BenchError(format!("sqlite: {e}"))
    }
}

impl From<std::io::Error> for BenchError {
    fn from(e: std::io::Error) -> Self {
        BenchError(e.to_string())
    }
}

/// What to run on.
#[derive(Clone, Debug)]
pub struct SearchBenchConfig {
    /// JSON Lines, zstd-compressed: `{id, lang, title, body}` a line
    pub corpus: PathBuf,
    /// an existing, empty working directory; the indexes go under it
    pub dir: PathBuf,
    /// at most this many documents, spread evenly over the corpus (so a
    /// small run still holds every language)
    pub max_docs: Option<usize>,
    /// about this many MB of lines at most, spread evenly likewise
    pub max_mb: Option<u64>,
    /// measured rounds of the query list ([`ROUNDS`] by default; each
    /// query's median over them is kept)
    pub rounds: usize,
    /// run the query list once, unmeasured, before the rounds (true but for
    /// quick smoke runs)
    pub warmup: bool,
}

/// One query of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BenchQuery {
    pub lang: String,
    pub query: String,
}

/// Everything measured.
#[derive(Clone, Debug, Serialize)]
pub struct SearchBenchReport {
    pub corpus: String,
    /// documents given to each engine
    pub docs: usize,
    /// bytes of title + body over those documents
    pub bytes: u64,
    pub docs_by_lang: BTreeMap<String, usize>,
    /// which lines of the corpus were taken
    pub selection: String,
    /// streaming the corpus alone (zstd decode + JSON parse), seconds; every
    /// engine's indexing time includes one such read
    pub read_seconds: f64,
    pub writer_threads: usize,
    pub writer_memory_mb: usize,
    /// measured rounds per query
    pub rounds: usize,
    /// whether one unmeasured round ran first
    pub warmup: bool,
    pub engines: Vec<EngineReport>,
    pub queries: Vec<QueryReport>,
    /// per language, how many queries of the list
    pub queries_by_lang: BTreeMap<String, usize>,
    pub ratios: Vec<Ratio>,
    /// Evident's time per phase, when [`PROFILE_VARIABLE`] is set
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Vec<PhaseProfile>>,
}

/// One phase of Evident's searches over the queries of one language (or
/// `all`): the median, mean and p99 of the queries' medians.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseProfile {
    pub lang: String,
    pub phase: String,
    pub queries: usize,
    pub median_ms: f64,
    pub mean_ms: f64,
    pub p99_ms: f64,
}

/// One engine's figures.
#[derive(Clone, Debug, Serialize)]
pub struct EngineReport {
    /// one of [`ENGINES`]
    pub key: String,
    pub name: String,
    pub docs_indexed: u64,
    /// corpus stream + indexing + commit, seconds
    pub index_seconds: f64,
    /// bytes of title + body / `index_seconds`, MB/s
    pub index_mb_per_s: f64,
    /// files of the index after the commit (SQLite: database + WAL after a
    /// checkpoint)
    pub size_bytes: u64,
    /// tantivy segments, for the tantivy-based engines
    pub segments: Option<usize>,
    /// the WAL checkpoint after the load, not part of `index_seconds`
    pub checkpoint_seconds: Option<f64>,
    /// waiting for the segment merges the writer started after the commit
    /// (as `evident reindex` does), for the tantivy-based engines; not part
    /// of `index_seconds`, and the queries run on the merged index
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_seconds: Option<f64>,
    pub latency_ms: Latency,
    /// per language, queries with no hit
    pub zero_hit_queries: BTreeMap<String, usize>,
    /// queries the engine refused (counted as 0 hits)
    pub errors: usize,
}

/// Over the queries' medians, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub mean: f64,
    pub max: f64,
}

/// One query on every engine.
#[derive(Clone, Debug, Serialize)]
pub struct QueryReport {
    pub lang: String,
    pub query: String,
    /// by engine key
    pub engines: BTreeMap<String, QueryResult>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct QueryResult {
    /// the engine's total match count
    pub hits: u64,
    /// median of the measured rounds
    pub median_ms: f64,
    /// the engine refused the query (hits are then 0)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// what the engine assumed to read the query
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A ratio and the aim it is held to.
#[derive(Clone, Debug, Serialize)]
pub struct Ratio {
    pub name: String,
    pub value: f64,
    /// `>= 10` or `<= 1.5`
    pub aim: String,
    pub met: bool,
}

/// The query list.
pub fn queries() -> Result<Vec<BenchQuery>, BenchError> {
    let mut list = Vec::new();
    for (number, line) in QUERIES.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((lang, query)) = line.split_once('\t') else {
            return Err(BenchError(format!("bench-queries.txt line {}: no tab", number + 1)));
        };
        list.push(BenchQuery { lang: lang.trim().to_owned(), query: query.trim().to_owned() });
    }
    Ok(list)
}

/// One document of the corpus, as [`for_each_document`] hands it out.
#[derive(Clone, Copy, Debug)]
pub struct CorpusDocument<'a> {
    pub id: &'a str,
    pub lang: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

/// Streams the corpus's documents in order to `f`: every line, or
/// `max_docs` of them evenly spread, chosen as [`run`] chooses them (a
/// selection is first written to `dir/sample.jsonl`, which the caller may
/// remove afterwards). Returns how many documents were read and which lines
/// were taken. Other benchmarks (`evident bench http`) build their
/// archives from the same corpus with it.
pub fn for_each_document(
    corpus: &Path,
    dir: &Path,
    max_docs: Option<usize>,
    mut f: impl FnMut(CorpusDocument<'_>) -> Result<(), BenchError>,
) -> Result<(usize, String), BenchError> {
    if !corpus.is_file() {
        return Err(BenchError(format!("corpus {} does not exist or is not a file", corpus.display())));
    }
    let config = SearchBenchConfig {
        corpus: corpus.to_owned(),
        dir: dir.to_owned(),
        max_docs,
        max_mb: None,
        rounds: 0,
        warmup: false,
    };
    let corpus = Corpus::open(&config)?;
    let (docs, _) = corpus
        .for_each(|doc| f(CorpusDocument { id: &doc.id, lang: &doc.lang, title: &doc.title, body: &doc.body }))?;
    Ok((docs, corpus.selection_text()))
}

/// Runs every engine. `config.dir` is used as is and left in place.
pub fn run(config: &SearchBenchConfig) -> Result<SearchBenchReport, BenchError> {
    if !config.corpus.is_file() {
        return Err(BenchError(format!("corpus {} does not exist or is not a file", config.corpus.display())));
    }
    std::fs::create_dir_all(&config.dir)
        .map_err(|e| BenchError(format!("cannot create {}: {e}", config.dir.display())))?;
    let queries = queries()?;
    let rounds = Rounds { warmup: config.warmup, rounds: config.rounds.max(1) };
    let corpus = Corpus::open(config)?;

    let started = Instant::now();
    let mut docs_by_lang: BTreeMap<String, usize> = BTreeMap::new();
    let (docs, bytes) = corpus.for_each(|doc| {
        *docs_by_lang.entry(doc.lang.clone()).or_default() += 1;
        Ok(())
    })?;
    let read_seconds = started.elapsed().as_secs_f64();
    if docs == 0 {
        return Err(BenchError(format!("corpus {} holds no document", config.corpus.display())));
    }

    let runs = vec![
        progress(EVIDENT, || evident(&config.dir.join(EVIDENT), &corpus, &queries, rounds))?,
        progress(TANTIVY, || bare_tantivy(&config.dir.join(TANTIVY), &corpus, &queries, rounds))?,
        progress(FTS5_UNICODE61, || fts5(&config.dir.join(FTS5_UNICODE61), "unicode61", &corpus, &queries, rounds))?,
        progress(FTS5_TRIGRAM, || fts5(&config.dir.join(FTS5_TRIGRAM), "trigram", &corpus, &queries, rounds))?,
    ];

    let mut queries_by_lang: BTreeMap<String, usize> = BTreeMap::new();
    for query in &queries {
        *queries_by_lang.entry(query.lang.clone()).or_default() += 1;
    }
    let mut query_reports: Vec<QueryReport> = queries
        .iter()
        .map(|q| QueryReport { lang: q.lang.clone(), query: q.query.clone(), engines: BTreeMap::new() })
        .collect();
    let mut engines = Vec::new();
    let mut profile = None;
    for (key, mut run) in ENGINES.iter().zip(runs) {
        profile = profile.or(run.profile.take());
        let medians: Vec<f64> = run.results.iter().map(|r| r.median_ms).collect();
        let mut zero_hit_queries: BTreeMap<String, usize> =
            queries_by_lang.keys().map(|lang| (lang.clone(), 0)).collect();
        for (query, result) in queries.iter().zip(&run.results) {
            if result.hits == 0 {
                *zero_hit_queries.entry(query.lang.clone()).or_default() += 1;
            }
        }
        let index_seconds = run.index_time.as_secs_f64();
        engines.push(EngineReport {
            key: (*key).to_owned(),
            name: engine_name(key).to_owned(),
            docs_indexed: run.docs_indexed,
            index_seconds,
            index_mb_per_s: bytes as f64 / MB / index_seconds.max(1e-9),
            size_bytes: run.size_bytes,
            segments: run.segments,
            checkpoint_seconds: run.checkpoint_seconds,
            merge_seconds: run.merge_seconds,
            latency_ms: latency(&medians),
            zero_hit_queries,
            errors: run.results.iter().filter(|r| r.error.is_some()).count(),
        });
        for (report, result) in query_reports.iter_mut().zip(run.results) {
            report.engines.insert((*key).to_owned(), result);
        }
    }

    let engine = |key: &str| engines.iter().find(|e| e.key == key);
    let mut ratios = Vec::new();
    if let (Some(ev), Some(tv), Some(fts)) = (engine(EVIDENT), engine(TANTIVY), engine(FTS5_UNICODE61)) {
        let fts_over_evident = fts.latency_ms.p50 / ev.latency_ms.p50.max(1e-9);
        ratios.push(Ratio {
            name: "FTS5 unicode61 p50 / Evident p50".to_owned(),
            value: fts_over_evident,
            aim: ">= 10".to_owned(),
            met: fts_over_evident >= 10.0,
        });
        let evident_over_tantivy = ev.latency_ms.p50 / tv.latency_ms.p50.max(1e-9);
        ratios.push(Ratio {
            name: "Evident p50 / tantivy p50".to_owned(),
            value: evident_over_tantivy,
            aim: "<= 1.5".to_owned(),
            met: evident_over_tantivy <= 1.5,
        });
        let speed = ev.index_mb_per_s / fts.index_mb_per_s.max(1e-9);
        ratios.push(Ratio {
            name: "Evident MB/s / FTS5 unicode61 MB/s".to_owned(),
            value: speed,
            aim: ">= 1".to_owned(),
            met: speed >= 1.0,
        });
    }

    Ok(SearchBenchReport {
        corpus: config.corpus.display().to_string(),
        docs,
        bytes,
        docs_by_lang,
        selection: corpus.selection_text(),
        read_seconds,
        writer_threads: writer_threads(),
        writer_memory_mb: WRITER_MEMORY / (1024 * 1024),
        rounds: rounds.rounds,
        warmup: rounds.warmup,
        engines,
        queries: query_reports,
        queries_by_lang,
        ratios,
        profile,
    })
}

/// A display name for an engine key.
pub fn engine_name(key: &str) -> &'static str {
    match key {
        EVIDENT => "Evident (SearchIndex)",
        TANTIVY => "tantivy (default tokenizer)",
        FTS5_UNICODE61 => "SQLite FTS5 unicode61",
        FTS5_TRIGRAM => "SQLite FTS5 trigram",
        _ => "?",
    }
}

fn progress(key: &str, f: impl FnOnce() -> Result<EngineRun, BenchError>) -> Result<EngineRun, BenchError> {
    eprintln!("bench search: {} ...", engine_name(key));
    let started = Instant::now();
    let run = f().map_err(|e| BenchError(format!("{}: {}", engine_name(key), e.0)))?;
    let merged =
        run.merge_seconds.map(|seconds| format!(", merges finished in {seconds:.1} s more")).unwrap_or_default();
    eprintln!(
        "bench search: {} indexed in {:.1} s{merged}, done in {:.1} s",
        engine_name(key),
        run.index_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(run)
}

/// What one engine did.
struct EngineRun {
    index_time: Duration,
    docs_indexed: u64,
    size_bytes: u64,
    segments: Option<usize>,
    checkpoint_seconds: Option<f64>,
    merge_seconds: Option<f64>,
    results: Vec<QueryResult>,
    /// Evident's phases, when [`PROFILE_VARIABLE`] asks for them
    profile: Option<Vec<PhaseProfile>>,
}

/// How the query list is run.
#[derive(Clone, Copy, Debug)]
struct Rounds {
    warmup: bool,
    rounds: usize,
}

/// One query's outcome on an engine: hits, or a refusal; and a note.
struct Outcome {
    hits: Result<u64, String>,
    note: Option<String>,
}

fn writer_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 2)
}

fn evident(dir: &Path, corpus: &Corpus, queries: &[BenchQuery], rounds: Rounds) -> Result<EngineRun, BenchError> {
    let started = Instant::now();
    let mut index = SearchIndex::open_or_create(dir)?;
    let mut number = 0usize;
    let (docs, _) = corpus.for_each(|doc| {
        number += 1;
        index.upsert(&IndexDoc {
            id: doc.id.clone(),
            kind: "item".to_owned(),
            title: doc.title.clone(),
            body: doc.body.clone(),
            langs: vec![doc.lang.clone()],
            access: if number % SEALED_EVERY == 1 { Access::Sealed } else { Access::Restricted },
            date: None,
            facets: Vec::new(),
        })?;
        Ok(())
    })?;
    index.commit(docs as u64)?;
    let index_time = started.elapsed();
    // The merges the writer started, waited for as `evident reindex` waits
    // for them (and bare tantivy's below): timed apart, like FTS5's
    // checkpoint, and the queries run on the merged index.
    let merging = Instant::now();
    index.finish_merges()?;
    let merge_seconds = merging.elapsed().as_secs_f64();
    drop(index);

    let segments = Index::open_in_dir(dir)?.searchable_segment_ids()?.len();
    let index = SearchIndex::open_or_create(dir)?;
    let requests: Vec<SearchRequest> = queries
        .iter()
        .map(|q| {
            let mut request = SearchRequest::new(q.query.clone(), Access::Restricted);
            request.limit = 10;
            request.facets = vec!["lang".into(), "kind".into()];
            request
        })
        .collect();
    let results = measure(requests.len(), rounds, |i| match index.search(&requests[i]) {
        Ok(found) => {
            Outcome { hits: Ok(found.total as u64), note: (!found.notes.is_empty()).then(|| found.notes.join("; ")) }
        }
        Err(e) => Outcome { hits: Err(e.to_string()), note: None },
    });
    let profile = if std::env::var_os(PROFILE_VARIABLE).is_some_and(|value| !value.is_empty() && value != "0") {
        let profile = profile(&index.handle(), queries, &requests, rounds.rounds.max(1))?;
        print_profile(&profile);
        Some(profile)
    } else {
        None
    };
    Ok(EngineRun {
        index_time,
        docs_indexed: index.doc_count(),
        size_bytes: dir_size(dir)?,
        segments: Some(segments),
        checkpoint_seconds: None,
        merge_seconds: Some(merge_seconds),
        results,
        profile,
    })
}

/// Where Evident's searches spend their time: the list run `rounds` times
/// more, each search timed phase by phase, then the collectors of each
/// query once more, each on its own; per language, the median over the
/// queries of each query's median.
fn profile(
    handle: &SearchHandle,
    queries: &[BenchQuery],
    requests: &[SearchRequest],
    rounds: usize,
) -> Result<Vec<PhaseProfile>, BenchError> {
    // Round by round over the whole list, as the measured rounds run, so
    // that no query finds its own documents still in the caches.
    let mut per_query: Vec<(String, Vec<Timings>)> =
        queries.iter().map(|query| (query.lang.clone(), Vec::with_capacity(rounds))).collect();
    for _ in 0..rounds {
        for (request, (_, runs)) in requests.iter().zip(per_query.iter_mut()) {
            let mut timings = Timings::default();
            handle.search_timed(request, &mut Some(&mut timings))?;
            runs.push(timings);
        }
        for (request, (_, runs)) in requests.iter().zip(per_query.iter_mut()) {
            if let Some(timings) = runs.last_mut() {
                handle.time_collectors(request, timings)?;
            }
        }
    }
    type Phase = fn(&Timings) -> Duration;
    let phases: [(&str, Phase); 7] = [
        ("parse+compile", |t| t.parse_compile),
        ("collect (top+count+facets)", |t| t.collect),
        ("fetch stored docs", |t| t.fetch),
        ("snippets", |t| t.snippets),
        ("top-k alone", |t| t.top_alone),
        ("count alone", |t| t.count_alone),
        ("facets alone", |t| t.facets_alone),
    ];
    let mut langs: Vec<String> = per_query.iter().map(|(lang, _)| lang.clone()).collect();
    langs.sort();
    langs.dedup();
    langs.push("all".to_owned());
    let mut profile = Vec::new();
    for lang in langs {
        let chosen: Vec<&Vec<Timings>> =
            per_query.iter().filter(|(l, _)| lang == "all" || *l == lang).map(|(_, runs)| runs).collect();
        for (phase, pick) in phases {
            let medians: Vec<f64> = chosen
                .iter()
                .map(|runs| median(runs.iter().map(|t| pick(t).as_secs_f64() * 1000.0).collect()))
                .collect();
            let total = medians.len();
            profile.push(PhaseProfile {
                lang: lang.clone(),
                phase: phase.to_owned(),
                queries: total,
                median_ms: median(medians.clone()),
                mean_ms: medians.iter().sum::<f64>() / total.max(1) as f64,
                p99_ms: latency(&medians).p99,
            });
        }
    }
    Ok(profile)
}

fn print_profile(profile: &[PhaseProfile]) {
    eprintln!("bench search: Evident profile ({PROFILE_VARIABLE}): per phase, over the queries' medians, ms");
    eprintln!("  {:<5} {:<28} {:>7} {:>9} {:>9} {:>9}", "lang", "phase", "queries", "median", "mean", "p99");
    for phase in profile {
        eprintln!(
            "  {:<5} {:<28} {:>7} {:>9.3} {:>9.3} {:>9.3}",
            phase.lang, phase.phase, phase.queries, phase.median_ms, phase.mean_ms, phase.p99_ms
        );
    }
}

fn bare_tantivy(dir: &Path, corpus: &Corpus, queries: &[BenchQuery], rounds: Rounds) -> Result<EngineRun, BenchError> {
    std::fs::create_dir_all(dir)?;
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STRING | STORED);
    let title = builder.add_text_field("title", TEXT | STORED);
    let body = builder.add_text_field("body", TEXT | STORED);
    let schema = builder.build();

    let started = Instant::now();
    let index = Index::create_in_dir(dir, schema)?;
    let threads = writer_threads();
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, WRITER_MEMORY * threads)?;
    corpus.for_each(|doc| {
        let mut document = TantivyDocument::default();
        document.add_text(id, &doc.id);
        document.add_text(title, &doc.title);
        document.add_text(body, &doc.body);
        writer.add_document(document)?;
        Ok(())
    })?;
    writer.commit()?;
    let index_time = started.elapsed();
    let merging = Instant::now();
    writer.wait_merging_threads()?;
    let merge_seconds = merging.elapsed().as_secs_f64();

    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    let searcher = reader.searcher();
    let mut parser = QueryParser::for_index(&index, vec![title, body]);
    parser.set_conjunction_by_default();
    let results = measure(queries.len(), rounds, |i| {
        let (query, errors) = parser.parse_query_lenient(&queries[i].query);
        let note = (!errors.is_empty()).then(|| errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "));
        let found = searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count));
        let hits = found.map_err(|e| e.to_string()).and_then(|(top, count)| {
            let mut ids = Vec::with_capacity(top.len());
            for (_, address) in top {
                let document: TantivyDocument = searcher.doc(address).map_err(|e| e.to_string())?;
                ids.push(document.get_first(id).and_then(|v| v.as_str()).unwrap_or("").to_owned());
            }
            Ok(count as u64)
        });
        Outcome { hits, note }
    });
    Ok(EngineRun {
        index_time,
        docs_indexed: searcher.num_docs(),
        size_bytes: dir_size(dir)?,
        segments: Some(searcher.segment_readers().len()),
        checkpoint_seconds: None,
        merge_seconds: Some(merge_seconds),
        results,
        profile: None,
    })
}

fn fts5(
    dir: &Path,
    tokenizer: &str,
    corpus: &Corpus,
    queries: &[BenchQuery],
    rounds: Rounds,
) -> Result<EngineRun, BenchError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("index.db");
    let started = Instant::now();
    let connection = Connection::open(&path)?;
    let mode: String = connection.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(BenchError(format!("journal_mode is {mode}, not wal")));
    }
    connection.execute_batch(&format!(
        "PRAGMA synchronous=NORMAL;
         CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, title, body, tokenize='{tokenizer}');"
    ))?;
    let transaction = connection.unchecked_transaction()?;
    {
        let mut insert = transaction.prepare("INSERT INTO t(id, title, body) VALUES (?1, ?2, ?3)")?;
        corpus.for_each(|doc| {
            insert.execute((&doc.id, &doc.title, &doc.body))?;
            Ok(())
        })?;
    }
    transaction.commit()?;
    let index_time = started.elapsed();

    let checkpoint = Instant::now();
    connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let checkpoint_seconds = checkpoint.elapsed().as_secs_f64();
    let mut size_bytes = std::fs::metadata(&path)?.len();
    if let Ok(wal) = std::fs::metadata(dir.join("index.db-wal")) {
        size_bytes += wal.len();
    }
    let docs_indexed: i64 = connection.query_row("SELECT count(*) FROM t", [], |row| row.get(0))?;

    let mut top = connection.prepare("SELECT id FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT 10")?;
    let mut count = connection.prepare("SELECT count(*) FROM t WHERE t MATCH ?1")?;
    let matches: Vec<String> = queries.iter().map(|q| fts5_query(&q.query)).collect();
    let results = measure(queries.len(), rounds, |i| {
        let mut run = || -> Result<u64, rusqlite::Error> {
            let ids = top.query_map([&matches[i]], |row| row.get::<_, String>(0))?;
            let ids: Vec<String> = ids.collect::<Result<_, _>>()?;
            drop(ids);
            let n: i64 = count.query_row([&matches[i]], |row| row.get(0))?;
            Ok(n.max(0) as u64)
        };
        Outcome { hits: run().map_err(|e| e.to_string()), note: None }
    });
    Ok(EngineRun {
        index_time,
        docs_indexed: docs_indexed.max(0) as u64,
        size_bytes,
        segments: None,
        checkpoint_seconds: Some(checkpoint_seconds),
        merge_seconds: None,
        results,
        profile: None,
    })
}

/// A query for FTS5: every unquoted word and every `"quoted phrase"` becomes
/// one FTS5 string (wrapped in double quotes, embedded quotes doubled), so
/// punctuation cannot break the syntax; strings side by side are ANDed.
pub fn fts5_query(query: &str) -> String {
    let mut units: Vec<&str> = Vec::new();
    let mut rest = query;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(inner) = rest.strip_prefix('"') {
            // A phrase, to the closing quote or the end.
            let end = inner.find('"').unwrap_or(inner.len());
            units.push(&inner[..end]);
            rest = inner.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
            units.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    units
        .iter()
        .filter(|unit| !unit.trim().is_empty())
        .map(|unit| format!("\"{}\"", unit.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `count` queries: the list once to warm up (if asked), then the rounds;
/// per query the median time and the hits of the last round.
fn measure(count: usize, rounds: Rounds, mut query: impl FnMut(usize) -> Outcome) -> Vec<QueryResult> {
    let Rounds { warmup, rounds } = rounds;
    if warmup {
        for i in 0..count {
            query(i);
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); count];
    let mut outcomes: Vec<Option<Outcome>> = (0..count).map(|_| None).collect();
    for _ in 0..rounds.max(1) {
        for i in 0..count {
            let started = Instant::now();
            let outcome = query(i);
            times[i].push(started.elapsed().as_secs_f64() * 1000.0);
            outcomes[i] = Some(outcome);
        }
    }
    times
        .into_iter()
        .zip(outcomes)
        .map(|(runs, outcome)| {
            let (hits, error, note) = match outcome {
                Some(Outcome { hits: Ok(hits), note }) => (hits, None, note),
                Some(Outcome { hits: Err(error), note }) => (0, Some(error), note),
                None => (0, None, None),
            };
            QueryResult { hits, median_ms: median(runs), error, note }
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Nearest-rank percentiles and the mean.
pub fn latency(values: &[f64]) -> Latency {
    if values.is_empty() {
        return Latency::default();
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    Latency {
        p50: rank(0.50),
        p99: rank(0.99),
        mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        max: sorted[sorted.len() - 1],
    }
}

fn dir_size(dir: &Path) -> Result<u64, BenchError> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += dir_size(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// One line of the corpus.
#[derive(Debug, Deserialize)]
struct CorpusDoc {
    id: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// The corpus and which of its lines to take.
struct Corpus {
    path: PathBuf,
    /// lines in the corpus, and how many of them taken evenly spread;
    /// `None`: all of them
    sample: Option<(usize, usize)>,
    /// a sample's lines, uncompressed, read instead of the corpus
    sample_file: Option<PathBuf>,
}

impl Corpus {
    fn open(config: &SearchBenchConfig) -> Result<Corpus, BenchError> {
        let mut corpus = Corpus { path: config.corpus.clone(), sample: None, sample_file: None };
        if config.max_docs.is_none() && config.max_mb.is_none() {
            return Ok(corpus);
        }
        // Count the lines and their bytes, to spread the sample evenly.
        let (mut lines, mut bytes) = (0usize, 0u64);
        corpus.for_each_line(|line| {
            lines += 1;
            bytes += line.len() as u64;
            Ok(())
        })?;
        let mut take = config.max_docs.unwrap_or(lines).min(lines);
        if let Some(max_mb) = config.max_mb {
            let share = (max_mb as f64 * MB / bytes.max(1) as f64).min(1.0);
            take = take.min((share * lines as f64).ceil() as usize);
        }
        if take >= lines {
            return Ok(corpus);
        }
        // The sample's lines, written once, so that every engine reads a
        // small plain file rather than decoding the whole corpus again.
        corpus.sample = Some((lines, take));
        let path = config.dir.join("sample.jsonl");
        let mut out = std::io::BufWriter::new(
            File::create(&path).map_err(|e| BenchError(format!("cannot create {}: {e}", path.display())))?,
        );
        let mut index = 0usize;
        corpus.for_each_line(|line| {
            if (index + 1) * take / lines > index * take / lines {
                out.write_all(line)?;
                if !line.ends_with(b"\n") {
                    out.write_all(b"\n")?;
                }
            }
            index += 1;
            Ok(())
        })?;
        out.flush()?;
        corpus.sample_file = Some(path);
        Ok(corpus)
    }

    fn selection_text(&self) -> String {
        match self.sample {
            None => "every line".to_owned(),
            Some((lines, take)) => {
                format!("{take} of {lines} lines, evenly spread (every {:.1}th)", lines as f64 / take as f64)
            }
        }
    }

    fn reader(&self) -> Result<Box<dyn BufRead>, BenchError> {
        if let Some(sample) = &self.sample_file {
            let file = File::open(sample).map_err(|e| BenchError(format!("cannot open {}: {e}", sample.display())))?;
            return Ok(Box::new(BufReader::with_capacity(1 << 20, file)));
        }
        let file =
            File::open(&self.path).map_err(|e| BenchError(format!("cannot open {}: {e}", self.path.display())))?;
        let frames = ZstdFrames::new(BufReader::with_capacity(1 << 20, file))
            .map_err(|e| BenchError(format!("{}: not zstd: {e}", self.path.display())))?;
        Ok(Box::new(BufReader::with_capacity(1 << 20, frames)))
    }

    /// Every non-blank line, in order.
    fn for_each_line(&self, mut f: impl FnMut(&[u8]) -> Result<(), BenchError>) -> Result<(), BenchError> {
        let mut reader = self.reader()?;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| BenchError(format!("reading {}: {e}", self.path.display())))?;
            if n == 0 {
                return Ok(());
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            f(&line)?;
        }
    }

    /// Every selected document, in order; returns their count and bytes of
    /// title + body.
    fn for_each(&self, mut f: impl FnMut(&CorpusDoc) -> Result<(), BenchError>) -> Result<(usize, u64), BenchError> {
        let (mut index, mut docs, mut bytes) = (0usize, 0usize, 0u64);
        self.for_each_line(|line| {
            index += 1;
            let doc: CorpusDoc = serde_json::from_slice(line)
                .map_err(|e| BenchError(format!("{} line {index}: {e}", self.path.display())))?;
            docs += 1;
            bytes += (doc.title.len() + doc.body.len()) as u64;
            f(&doc)
        })?;
        Ok((docs, bytes))
    }
}

type Frame = ruzstd::decoding::StreamingDecoder<BufReader<File>, ruzstd::decoding::FrameDecoder>;

/// A zstd stream of one or more frames.
struct ZstdFrames {
    frame: Option<Frame>,
}

impl ZstdFrames {
    fn new(source: BufReader<File>) -> Result<ZstdFrames, std::io::Error> {
        let frame = ruzstd::decoding::StreamingDecoder::new(source).map_err(std::io::Error::other)?;
        Ok(ZstdFrames { frame: Some(frame) })
    }
}

impl Read for ZstdFrames {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(frame) = self.frame.as_mut() else { return Ok(0) };
            let n = frame.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This frame is done: another may follow.
            let Some(frame) = self.frame.take() else { return Ok(0) };
            let mut source = frame.into_inner();
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.frame = Some(ruzstd::decoding::StreamingDecoder::new(source).map_err(std::io::Error::other)?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_list_has_enough_english_and_chinese() {
        let list = queries().unwrap();
        assert!(list.iter().filter(|q| q.lang == "en").count() >= 60);
        assert!(list.iter().filter(|q| q.lang == "zh").count() >= 60);
        assert!(list.iter().all(|q| (q.lang == "en" || q.lang == "zh") && !q.query.is_empty()));
        let mut seen = std::collections::HashSet::new();
        assert!(list.iter().all(|q| seen.insert(&q.query)), "a query is listed twice");
    }

    #[test]
    fn fts5_queries_quote_every_term() {
        assert_eq!(fts5_query("nuclear weapons"), r#""nuclear" "weapons""#);
        assert_eq!(fts5_query(r#""united nations""#), r#""united nations""#);
        assert_eq!(fts5_query("Côte d'Ivoire"), r#""Côte" "d'Ivoire""#);
        assert_eq!(fts5_query(r#"say "hi"there "c d"#), r#""say" "hi" "there" "c d""#);
        assert_eq!(fts5_query("  人权  "), r#""人权""#);
        assert_eq!(fts5_query(r#""""#), "");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=200).map(f64::from).collect();
        let l = latency(&values);
        assert_eq!((l.p50, l.p99, l.max), (100.0, 198.0, 200.0));
        assert_eq!(l.mean, 100.5);
        assert_eq!(latency(&[3.0]).p99, 3.0);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn a_small_run_measures_every_engine() {
        let corpus =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/corpus/mixed-en-zh-udhr.jsonl.zst");
        let temp = tempfile::tempdir().unwrap();
        let report = run(&SearchBenchConfig {
            corpus,
            dir: temp.path().to_owned(),
            max_docs: Some(40),
            max_mb: None,
            rounds: 1,
            warmup: false,
        })
        .unwrap();
        assert_eq!(report.docs, 40);
        assert!(report.docs_by_lang.get("zh").copied().unwrap_or(0) > 0, "{:?}", report.docs_by_lang);
        assert_eq!(report.engines.len(), 4);
        for engine in &report.engines {
            assert_eq!(engine.docs_indexed, 40, "{}", engine.key);
            assert!(engine.size_bytes > 0 && engine.latency_ms.p50 > 0.0, "{}", engine.key);
        }
        assert_eq!(report.ratios.len(), 3);
    }
}
