//! `evident bench http`: the HTTP server under load on loopback, beside
//! nginx serving the same tile files statically in the same run.
//!
//! An archive is built from the search corpus (each document a text file
//! item, every [`PUBLIC_EVERY`]th published through one import of item
//! records with `sensitivity: public`, so the public search has hits),
//! with an admin account and an API token; or reused from `--keep DIR`.
//! The real server runs in this process (`evident_server::serve` on a
//! tokio runtime, as `evident serve` runs it), nginx as a child process
//! with a temporary configuration whose root is the archive's `log/`.
//! The load generator is wrk (`scripts/install-bench-deps`) or, for smoke
//! runs where neither wrk nor nginx is installed, a small built-in one
//! (blocking HTTP/1.1 keep-alive connections, one thread each); the report
//! always names the generator that ran, since their figures do not compare.
//!
//! Every target is first fetched once and must answer 200; a run that
//! then sees any response outside 2xx, or a socket error, fails (exit 1),
//! because its figures would measure error pages.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use evident_archive::{AddConfig, AddOutcome, AddStatus, Archive, Format, ImportConfig, InitConfig, Role};
use serde::{Deserialize, Serialize};

/// Every this-many-th document of the corpus is published.
pub const PUBLIC_EVERY: usize = 4;
/// Files staged and added per `Archive::add` call while building.
const ADD_BATCH: usize = 1_000;
/// The queries the search target cycles through: English and Chinese words
/// of the search benchmark's list (`crates/search/src/bench-queries.txt`).
pub const SEARCH_QUERIES: [&str; 6] = ["refugees", "genocide", "sanctions", "器官", "监狱", "宗教自由"];
/// The aims.
const AIM_TILE_RATIO: f64 = 0.5;
const AIM_SEARCH_PER_SECOND: f64 = 1_000.0;
/// Where Debian puts nginx.
const NGINX: &str = "/usr/sbin/nginx";
/// The marker `--keep DIR` leaves once its archive is complete.
const MARKER: &str = "bench-http.json";
const MARKER_FORMAT: &str = "evident bench http archive 1";
const ADMIN: &str = "bench-admin";

/// The load generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Generator {
    /// wrk (Debian `wrk`; scripts/install-bench-deps)
    Wrk,
    /// a small load generator built in (for smoke runs; its figures do not compare with wrk's)
    Builtin,
}

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct HttpBenchConfig {
    pub corpus: PathBuf,
    pub max_docs: Option<usize>,
    pub duration: Duration,
    pub connections: usize,
    /// build the archive here and leave it, or reuse the one already built here
    pub keep: Option<PathBuf>,
    pub generator: Generator,
    /// run no nginx (no peer, no ratios)
    pub no_nginx: bool,
    pub json: bool,
}

/// What `--keep DIR` remembers about the archive built there.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct BuiltArchive {
    format: String,
    corpus: String,
    max_docs: Option<usize>,
    selection: String,
    docs: usize,
    items: usize,
    duplicates: usize,
    public_items: usize,
    restricted_item: String,
    public_item: String,
}

/// One measured target.
#[derive(Clone, Debug, Serialize)]
pub struct TargetReport {
    /// `evident_tile`, `nginx_tile`, `evident_search`, ...
    pub key: String,
    pub name: String,
    /// the path requested (the first one, when several are cycled)
    pub path: String,
    pub paths_cycled: usize,
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// responses outside 2xx (wrk: outside 2xx and 3xx; every target answered 200 before the run)
    pub non_2xx: u64,
    pub socket_errors: u64,
}

/// A ratio or an aim, with whether it was met (`None`: not measured).
#[derive(Clone, Debug, Serialize)]
pub struct Aim {
    pub name: String,
    pub value: Option<f64>,
    pub aim: String,
    pub met: Option<bool>,
}

/// Search hits of one query for the public, as fetched before the run.
#[derive(Clone, Debug, Serialize)]
pub struct QueryHits {
    pub query: String,
    pub hits: u64,
}

/// The whole report (`--json` prints it).
#[derive(Clone, Debug, Serialize)]
pub struct HttpBenchReport {
    pub corpus: String,
    pub selection: String,
    pub docs: usize,
    pub items: usize,
    pub public_items: usize,
    pub archive: String,
    /// seconds to build the archive; `None` when `--keep DIR` held one
    pub build_seconds: Option<f64>,
    pub reused: bool,
    pub log_size: u64,
    pub generator: String,
    pub generator_kind: String,
    pub nginx: Option<String>,
    pub duration_seconds: f64,
    pub connections: usize,
    pub search_queries: Vec<QueryHits>,
    pub targets: Vec<TargetReport>,
    /// targets not run, and why
    pub skipped: Vec<String>,
    pub ratios: Vec<Aim>,
    pub aims: Vec<Aim>,
    pub errors: u64,
}

/// Runs the benchmark; exit 1 when a target answered with errors.
pub fn run(config: &HttpBenchConfig) -> Result<ExitCode> {
    if config.connections == 0 {
        bail!("--connections must be at least 1");
    }
    if config.duration.is_zero() {
        bail!("--duration must be at least 1 second");
    }
    if !config.corpus.is_file() {
        bail!(
            "corpus {} does not exist (relative to {}); pass --corpus PATH",
            config.corpus.display(),
            std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "?".to_owned())
        );
    }
    // Check the tools before spending minutes on the archive.
    let wrk_version = match config.generator {
        Generator::Wrk => Some(wrk_version()?),
        Generator::Builtin => None,
    };
    let nginx_version = if config.no_nginx { None } else { Some(nginx_version()?) };

    let (work, temporary) = match &config.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            (dir.clone(), None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("evident-bench-http-")
                .tempdir()
                .context("cannot create a temporary directory")?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let result = run_in(config, &work, wrk_version, nginx_version);
    match temporary {
        Some(temp) => {
            let _ = temp.close();
        }
        None => eprintln!("kept {}", work.display()),
    }
    let report = result?;
    if config.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if report.errors > 0 {
        eprintln!(
            "evident bench http: {} requests failed or answered outside 2xx; the figures above are not valid",
            report.errors
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_in(
    config: &HttpBenchConfig,
    work: &Path,
    wrk_version: Option<String>,
    nginx_version: Option<String>,
) -> Result<HttpBenchReport> {
    let archive_dir = work.join("archive");
    let started = Instant::now();
    let (built, reused) = match read_marker(work, config)? {
        Some(built) => {
            eprintln!("reusing the archive in {} ({} documents)", archive_dir.display(), built.docs);
            (built, true)
        }
        None => {
            if archive_dir.exists() {
                bail!(
                    "{} holds an archive without {MARKER} (a build that did not finish?): remove it or pick another \
                     --keep DIR",
                    archive_dir.display()
                );
            }
            (build_archive(config, work, &archive_dir)?, false)
        }
    };
    let build_seconds = (!reused).then(|| started.elapsed().as_secs_f64());

    let mut archive = Archive::open(&archive_dir, None)
        .map_err(|e| anyhow!("cannot open the benchmark archive {}: {e}", archive_dir.display()))?;
    let token = archive
        .create_api_token(ADMIN, Some("evident bench http"))
        .map_err(|e| anyhow!("cannot create an API token for {ADMIN}: {e}"))?;
    let checkpoint = archive.checkpoint().map_err(|e| anyhow!("cannot read the checkpoint: {e}"))?;
    let log_size: u64 = checkpoint
        .lines()
        .nth(1)
        .and_then(|line| line.parse().ok())
        .ok_or_else(|| anyhow!("the checkpoint names no tree size"))?;
    let log_dir = archive.dir().join("log");
    let tile = tile_to_fetch(&log_dir)?;

    // The server, as `evident serve` runs it, in this process.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the tokio runtime")?;
    let listener = runtime
        .block_on(evident_server::bind(SocketAddr::from(([127, 0, 0, 1], 0))))
        .context("cannot bind 127.0.0.1:0")?;
    let evident_addr = listener.local_addr()?;
    let server = runtime.spawn(evident_server::serve(archive, listener));
    let nginx = match &nginx_version {
        Some(_) => Some(Nginx::start(&work.join("nginx"), &log_dir)?),
        None => None,
    };
    let outcome = measure(config, &built, evident_addr, nginx.as_ref(), &token, &tile, wrk_version.as_deref(), work);
    drop(nginx);
    server.abort();
    runtime.shutdown_timeout(Duration::from_secs(10));
    let (targets, skipped, search_queries) = outcome?;

    let (ratios, aims) = judge(&targets, config.no_nginx);
    let errors = targets.iter().map(|t| t.non_2xx + t.socket_errors).sum();
    let (generator, generator_kind) = match &wrk_version {
        Some(version) => (format!("{version} ({} threads)", wrk_threads(config.connections)), "wrk".to_owned()),
        None => (
            "built-in (Rust, one thread and one blocking HTTP/1.1 keep-alive connection each; not wrk: for smoke \
             runs, its figures do not compare with wrk's)"
                .to_owned(),
            "builtin".to_owned(),
        ),
    };
    Ok(HttpBenchReport {
        corpus: config.corpus.display().to_string(),
        selection: built.selection.clone(),
        docs: built.docs,
        items: built.items,
        public_items: built.public_items,
        archive: archive_dir.display().to_string(),
        build_seconds,
        reused,
        log_size,
        generator,
        generator_kind,
        nginx: nginx_version.map(|v| format!("{v} (2 workers, sendfile, access log off)")),
        duration_seconds: config.duration.as_secs_f64(),
        connections: config.connections,
        search_queries,
        targets,
        skipped,
        ratios,
        aims,
        errors,
    })
}

/// The targets, measured one after the other.
#[allow(clippy::too_many_arguments)]
fn measure(
    config: &HttpBenchConfig,
    built: &BuiltArchive,
    evident: SocketAddr,
    nginx: Option<&Nginx>,
    token: &str,
    tile: &str,
    wrk: Option<&str>,
    work: &Path,
) -> Result<(Vec<TargetReport>, Vec<String>, Vec<QueryHits>)> {
    wait_until_listening(evident, None)?;
    let search_paths: Vec<String> =
        SEARCH_QUERIES.iter().map(|q| format!("/api/v1/search?q={}", percent_encode(q))).collect();
    let mut search_queries = Vec::new();
    for (query, path) in SEARCH_QUERIES.iter().zip(&search_paths) {
        let body = fetch_ok(evident, path, None)?;
        let results: serde_json::Value =
            serde_json::from_slice(&body).with_context(|| format!("{path} did not answer JSON"))?;
        search_queries.push(QueryHits { query: (*query).to_owned(), hits: results["total"].as_u64().unwrap_or(0) });
    }

    let mut plan: Vec<Plan> = Vec::new();
    let log_files = [("checkpoint", "/checkpoint".to_owned()), ("tile", format!("/{tile}"))];
    for (what, path) in &log_files {
        plan.push(Plan::new(&format!("evident_{what}"), &format!("evident GET {path}"), evident, vec![path.clone()]));
        if let Some(nginx) = nginx {
            plan.push(Plan::new(
                &format!("nginx_{what}"),
                &format!("nginx GET {path}"),
                nginx.addr,
                vec![path.clone()],
            ));
        }
    }
    let public_item = format!("/api/v1/items/{}", built.public_item);
    plan.push(Plan::new(
        "evident_item_public",
        "evident GET /api/v1/items/{id} (public item, anonymous)",
        evident,
        vec![public_item],
    ));
    let restricted_item = format!("/api/v1/items/{}", built.restricted_item);
    let mut item = Plan::new(
        "evident_item",
        "evident GET /api/v1/items/{id} (restricted, admin token, audited)",
        evident,
        vec![restricted_item],
    );
    item.bearer = Some(token.to_owned());
    plan.push(item);
    let mut page = Plan::new(
        "evident_item_page",
        "evident GET /items/{id} (HTML page, admin token, audited)",
        evident,
        vec![format!("/items/{}", built.restricted_item)],
    );
    page.bearer = Some(token.to_owned());
    plan.push(page);
    plan.push(Plan::new(
        "evident_search",
        &format!("evident GET /api/v1/search?q= ({} queries cycled, public)", SEARCH_QUERIES.len()),
        evident,
        search_paths,
    ));

    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for target in &plan {
        if let Some(nginx) = nginx {
            nginx.check_running()?;
        }
        // The HTML item page is measured only if this build of the server has it.
        let status = fetch(target.addr, &target.paths[0], target.bearer.as_deref())?.0;
        if target.key == "evident_item_page" && status == 404 {
            skipped.push(format!("{}: the server has no such page (404)", target.name));
            continue;
        }
        for path in &target.paths {
            fetch_ok(target.addr, path, target.bearer.as_deref())
                .with_context(|| format!("{} before the run", target.name))?;
        }
        eprintln!("running {} for {} s: {}", generator_name(wrk), config.duration.as_secs(), target.name);
        let load = match wrk {
            Some(_) => run_wrk(target, config.connections, config.duration, work)?,
            None => run_builtin(target, config.connections, config.duration)?,
        };
        targets.push(TargetReport {
            key: target.key.clone(),
            name: target.name.clone(),
            path: target.paths[0].clone(),
            paths_cycled: target.paths.len(),
            requests: load.requests,
            requests_per_second: load.requests_per_second,
            p50_ms: load.p50_ms,
            p99_ms: load.p99_ms,
            non_2xx: load.non_2xx,
            socket_errors: load.socket_errors,
        });
    }
    if nginx.is_none() {
        skipped.push("nginx GET /checkpoint and the tile: --no-nginx".to_owned());
    }
    Ok((targets, skipped, search_queries))
}

fn generator_name(wrk: Option<&str>) -> &'static str {
    if wrk.is_some() { "wrk" } else { "the built-in load generator" }
}

/// The ratios to nginx and the aims.
fn judge(targets: &[TargetReport], no_nginx: bool) -> (Vec<Aim>, Vec<Aim>) {
    let rate = |key: &str| targets.iter().find(|t| t.key == key).map(|t| t.requests_per_second);
    let ratio = |a: &str, b: &str| match (rate(a), rate(b)) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let not_measured = if no_nginx { " (nginx not run)" } else { "" };
    let tile = ratio("evident_tile", "nginx_tile");
    let checkpoint = ratio("evident_checkpoint", "nginx_checkpoint");
    let ratios = vec![
        Aim {
            name: format!("evident tile / nginx tile, requests/s{not_measured}"),
            value: tile,
            aim: format!(">= {AIM_TILE_RATIO}"),
            met: tile.map(|r| r >= AIM_TILE_RATIO),
        },
        Aim {
            name: format!("evident checkpoint / nginx checkpoint, requests/s{not_measured}"),
            value: checkpoint,
            aim: format!(">= {AIM_TILE_RATIO} (the tiles' aim)"),
            met: checkpoint.map(|r| r >= AIM_TILE_RATIO),
        },
    ];
    let search = rate("evident_search");
    let aims = vec![
        Aim {
            name: "full tile within 2x of nginx".to_owned(),
            value: tile,
            aim: format!("ratio >= {AIM_TILE_RATIO}"),
            met: tile.map(|r| r >= AIM_TILE_RATIO),
        },
        Aim {
            name: "search API requests/s".to_owned(),
            value: search,
            aim: format!(">= {AIM_SEARCH_PER_SECOND}"),
            met: search.map(|r| r >= AIM_SEARCH_PER_SECOND),
        },
    ];
    (ratios, aims)
}

fn print_report(report: &HttpBenchReport) {
    println!(
        "evident bench http: {} documents ({}), {} items, {} public; log size {}",
        report.docs, report.selection, report.items, report.public_items, report.log_size
    );
    println!("corpus {}", report.corpus);
    match report.build_seconds {
        Some(seconds) => println!("archive {} (built in {seconds:.1} s)", report.archive),
        None => println!("archive {} (reused)", report.archive),
    }
    println!("load generator: {}", report.generator);
    println!(
        "evident: in this process, tokio multi-thread runtime; nginx: {}",
        report.nginx.as_deref().unwrap_or("not run (--no-nginx)")
    );
    println!(
        "{} connections, {} s per target, one target at a time, all on loopback",
        report.connections, report.duration_seconds
    );
    let queries: Vec<String> = report.search_queries.iter().map(|q| format!("{} ({} hits)", q.query, q.hits)).collect();
    println!("search queries (public hits): {}", queries.join(", "));
    println!();
    println!("  {:<66} {:>11} {:>9} {:>9} {:>7}", "target", "requests/s", "p50 ms", "p99 ms", "errors");
    for target in &report.targets {
        println!(
            "  {:<66} {:>11.0} {:>9.3} {:>9.3} {:>7}",
            target.name,
            target.requests_per_second,
            target.p50_ms,
            target.p99_ms,
            target.non_2xx + target.socket_errors
        );
    }
    for skipped in &report.skipped {
        println!("  skipped: {skipped}");
    }
    let show = |aim: &Aim| {
        let value =
            aim.value.map_or("-".to_owned(), |v| if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") });
        let met = match aim.met {
            Some(true) => "met",
            Some(false) => "not met",
            None => "not measured",
        };
        println!("  {:<62} {:>9}   aim {:<28} {met}", aim.name, value, aim.aim);
    };
    println!();
    println!("ratios");
    report.ratios.iter().for_each(show);
    println!();
    println!("aims (issue 5)");
    report.aims.iter().for_each(show);
}

// ---------------------------------------------------------------------------
// The archive

fn read_marker(work: &Path, config: &HttpBenchConfig) -> Result<Option<BuiltArchive>> {
    let path = work.join(MARKER);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let built: BuiltArchive =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a benchmark marker", path.display()))?;
    if built.format != MARKER_FORMAT {
        bail!("{} is of format {:?}, not {MARKER_FORMAT:?}: remove the directory", path.display(), built.format);
    }
    let corpus = corpus_name(&config.corpus);
    if built.corpus != corpus || built.max_docs != config.max_docs {
        bail!(
            "{} holds an archive built from {} with --max-docs {}, not {} with --max-docs {}: pass the same, or \
             another --keep DIR",
            work.display(),
            built.corpus,
            built.max_docs.map_or("(all)".to_owned(), |n| n.to_string()),
            corpus,
            config.max_docs.map_or("(all)".to_owned(), |n| n.to_string())
        );
    }
    Ok(Some(built))
}

fn corpus_name(corpus: &Path) -> String {
    std::fs::canonicalize(corpus).unwrap_or_else(|_| corpus.to_owned()).display().to_string()
}

/// Builds the archive: every document a text item (added in batches), every
/// [`PUBLIC_EVERY`]th published by one import of item records, an admin.
fn build_archive(config: &HttpBenchConfig, work: &Path, archive_dir: &Path) -> Result<BuiltArchive> {
    Archive::init(archive_dir, &InitConfig { origin: "bench.example/http".to_owned(), key_file: None })
        .map_err(|e| anyhow!("cannot create the benchmark archive {}: {e}", archive_dir.display()))?;
    let mut archive = Archive::open(archive_dir, None)
        .map_err(|e| anyhow!("cannot open the benchmark archive {}: {e}", archive_dir.display()))?;
    let staging = work.join("staging");
    std::fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    let mut build = Build {
        archive: &mut archive,
        config: AddConfig { actor: "bench".to_owned(), unpack: false, ..AddConfig::default() },
        titles: Vec::new(),
        items: Vec::new(),
        duplicates: 0,
        batch: Vec::new(),
        started: Instant::now(),
    };

    eprintln!("building the benchmark archive in {}", archive_dir.display());
    let mut failure: Option<anyhow::Error> = None;
    let read = evident_search::bench::for_each_document(&config.corpus, work, config.max_docs, |doc| {
        build.stage(&staging, doc).map_err(|e| {
            let message = format!("{e:#}");
            failure = Some(e);
            evident_search::bench::BenchError(message)
        })
    });
    let (docs, selection) = match (read, failure) {
        (_, Some(error)) => return Err(error),
        (Err(error), None) => bail!("reading the corpus: {error}"),
        (Ok(read), None) => read,
    };
    build.add_batch()?;
    let Build { titles, items, duplicates, started, .. } = build;
    let _ = std::fs::remove_dir_all(&staging);
    let _ = std::fs::remove_file(work.join("sample.jsonl"));

    // Publish every PUBLIC_EVERY-th document through one import: one store
    // transaction, one checkpoint, one index update (publishing each item
    // alone would publish and re-index once per item).
    let public: Vec<(usize, &String)> = items
        .iter()
        .enumerate()
        .filter(|(n, _)| n % PUBLIC_EVERY == 0)
        .filter_map(|(n, i)| Some((n, i.as_ref()?)))
        .collect();
    let records = work.join("public-items.jsonl");
    {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&records).with_context(|| format!("cannot create {}", records.display()))?,
        );
        for (n, id) in &public {
            let mut row = serde_json::json!({"kind": "item", "id": id, "sensitivity": "public"});
            if !titles[*n].trim().is_empty() {
                row["title"] = serde_json::Value::String(titles[*n].trim().to_owned());
            }
            serde_json::to_writer(&mut out, &row)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    eprintln!("  publishing {} items", public.len());
    let import = ImportConfig {
        kind: None,
        skip_bad: false,
        actor: "bench".to_owned(),
        reason: "published: evident bench http".to_owned(),
    };
    let report = archive
        .import(&records, Some(Format::Jsonl), &import)
        .map_err(|e| anyhow!("publishing the benchmark's public items: {e}"))?;
    if !report.committed || report.imported as usize != public.len() {
        let first = report.problems.first().map(|p| format!("{}: {}", p.at, p.message)).unwrap_or_default();
        bail!("publishing the benchmark's public items imported {} of {}: {first}", report.imported, public.len());
    }
    let _ = std::fs::remove_file(&records);

    let mut password = [0u8; 18];
    getrandom::fill(&mut password).map_err(|e| anyhow!("no randomness for a password: {e}"))?;
    let password: String = password.iter().map(|b| format!("{b:02x}")).collect();
    archive.add_user(ADMIN, Role::Admin, &password).map_err(|e| anyhow!("cannot add the user {ADMIN}: {e}"))?;

    let restricted_item = items
        .iter()
        .enumerate()
        .find_map(|(n, item)| (n % PUBLIC_EVERY != 0).then_some(item.clone()).flatten())
        .ok_or_else(|| anyhow!("the corpus selection gave no restricted item: raise --max-docs"))?;
    let public_item = public.first().map(|(_, id)| (*id).clone()).ok_or_else(|| anyhow!("no public item"))?;
    let built = BuiltArchive {
        format: MARKER_FORMAT.to_owned(),
        corpus: corpus_name(&config.corpus),
        max_docs: config.max_docs,
        selection,
        docs,
        items: items.iter().flatten().count(),
        duplicates,
        public_items: public.len(),
        restricted_item,
        public_item,
    };
    drop(archive);
    let marker = work.join(MARKER);
    std::fs::write(&marker, serde_json::to_vec_pretty(&built)?)
        .with_context(|| format!("cannot write {}", marker.display()))?;
    eprintln!("  built in {:.0} s", started.elapsed().as_secs_f64());
    Ok(built)
}

/// The archive as it is built: documents staged as files and added in batches.
struct Build<'a> {
    archive: &'a mut Archive,
    config: AddConfig,
    /// per document number: its title, and its item (`None` for a duplicate)
    titles: Vec<String>,
    items: Vec<Option<String>>,
    duplicates: usize,
    /// staged and not yet added: document number and file
    batch: Vec<(usize, PathBuf)>,
    started: Instant,
}

impl Build<'_> {
    /// Writes one document as `<n>.txt` (title, blank line, body) and adds
    /// the batch once it is full.
    fn stage(&mut self, staging: &Path, doc: evident_search::bench::CorpusDocument<'_>) -> Result<()> {
        let n = self.titles.len();
        let path = staging.join(format!("{n:06}.txt"));
        let text = if doc.title.is_empty() { doc.body.to_owned() } else { format!("{}\n\n{}", doc.title, doc.body) };
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        self.titles.push(doc.title.chars().take(200).collect());
        self.items.push(None);
        self.batch.push((n, path));
        if self.batch.len() >= ADD_BATCH { self.add_batch() } else { Ok(()) }
    }

    /// Adds the staged files with one `Archive::add` and removes them.
    fn add_batch(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let paths: Vec<PathBuf> = self.batch.iter().map(|(_, path)| path.clone()).collect();
        let mut outcomes: Vec<AddOutcome> = Vec::new();
        self.archive
            .add(&paths, &self.config, &mut |outcome: &AddOutcome| outcomes.push(outcome.clone()))
            .map_err(|e| anyhow!("adding {} corpus documents: {e}", paths.len()))?;
        let numbers: std::collections::HashMap<String, usize> =
            self.batch.iter().map(|(n, path)| (path.to_string_lossy().into_owned(), *n)).collect();
        for outcome in outcomes {
            let Some(&n) = numbers.get(&outcome.path) else {
                bail!("add reported {}, which was not in its batch", outcome.path);
            };
            match outcome.status {
                AddStatus::Added => self.items[n] = outcome.item,
                AddStatus::Duplicate => self.duplicates += 1,
                AddStatus::Rejected => {
                    bail!("corpus document {n} was rejected: {}", outcome.error.unwrap_or_default())
                }
            }
        }
        for (_, path) in self.batch.drain(..) {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
        eprintln!(
            "  {} documents added ({:.0} s)",
            self.items.iter().flatten().count(),
            self.started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

/// The tile to fetch: the first full level-0 tile, else the widest partial one.
fn tile_to_fetch(log_dir: &Path) -> Result<String> {
    if log_dir.join("tile/0/000").is_file() {
        return Ok("tile/0/000".to_owned());
    }
    let partial = log_dir.join("tile/0/000.p");
    let widest = std::fs::read_dir(&partial)
        .with_context(|| format!("no level-0 tile in {}", log_dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u16>().ok())
        .max()
        .ok_or_else(|| anyhow!("no level-0 tile in {}", log_dir.display()))?;
    Ok(format!("tile/0/000.p/{widest}"))
}

// ---------------------------------------------------------------------------
// nginx

/// nginx serving the log directory, stopped (SIGTERM to its master, by
/// pid) when dropped.
struct Nginx {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

fn nginx_version() -> Result<String> {
    if !Path::new(NGINX).is_file() {
        bail!("nginx is not installed ({NGINX}): run scripts/install-bench-deps, or pass --no-nginx");
    }
    let output = Command::new(NGINX).arg("-v").output().with_context(|| format!("cannot run {NGINX} -v"))?;
    let text = String::from_utf8_lossy(&output.stderr);
    Ok(text.trim().trim_start_matches("nginx version:").trim().to_owned())
}

impl Nginx {
    fn start(dir: &Path, root: &Path) -> Result<Nginx> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let quoted = |path: &Path| -> Result<String> {
            let text = path.to_str().ok_or_else(|| anyhow!("{} is not UTF-8", path.display()))?;
            if text.contains(['"', '\\', '$']) {
                bail!("{text}: nginx needs a path without quotes, backslashes or dollars");
            }
            Ok(format!("\"{text}\""))
        };
        let d = |name: &str| quoted(&dir.join(name));
        // As root, nginx's workers would switch to `nobody`, who cannot
        // read a private temporary directory.
        // SAFETY: geteuid has no preconditions.
        let user = if unsafe { libc::geteuid() } == 0 { "user root;" } else { "" };
        let conf = format!(
            "daemon off;\nworker_processes 2;\n{user}\npid {pid};\nerror_log {error} warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n  \
             default_type application/octet-stream;\n  client_body_temp_path {body};\n  proxy_temp_path {proxy};\n  \
             fastcgi_temp_path {fastcgi};\n  uwsgi_temp_path {uwsgi};\n  scgi_temp_path {scgi};\n  \
             server {{\n    listen {addr};\n    root {root};\n    \
             location = /checkpoint {{ default_type \"text/plain; charset=utf-8\"; }}\n  }}\n}}\n",
            pid = d("nginx.pid")?,
            error = d("error.log")?,
            body = d("body")?,
            proxy = d("proxy")?,
            fastcgi = d("fastcgi")?,
            uwsgi = d("uwsgi")?,
            scgi = d("scgi")?,
            root = quoted(root)?,
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).with_context(|| format!("cannot write {}", conf_path.display()))?;
        let child = Command::new(NGINX)
            .arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {NGINX}"))?;
        let mut nginx = Nginx { child, addr, dir: dir.to_owned() };
        wait_until_listening(addr, Some(&mut nginx))?;
        Ok(nginx)
    }

    /// Fails, with nginx's error log, if nginx has exited.
    fn check_running(&self) -> Result<()> {
        // SAFETY: kill with signal 0 only checks that the process exists.
        let alive = unsafe { libc::kill(self.child.id() as libc::pid_t, 0) } == 0;
        if alive { Ok(()) } else { bail!("nginx exited: {}", self.error_log()) }
    }

    fn error_log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("; ")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master, which stops its workers; SIGKILL would
        // leave the workers behind.
        // SAFETY: the pid is our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits up to 10 s until `addr` accepts connections (failing early if the
/// nginx given has exited).
fn wait_until_listening(addr: SocketAddr, mut nginx: Option<&mut Nginx>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(nginx) = nginx.as_deref_mut()
            && let Ok(Some(status)) = nginx.child.try_wait()
        {
            bail!("nginx exited ({status}) before listening on {addr}: {}", nginx.error_log());
        }
        if Instant::now() > deadline {
            bail!("nothing listens on {addr} after 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// Load generators

/// One target as a load generator sees it.
struct Plan {
    key: String,
    name: String,
    addr: SocketAddr,
    /// cycled in order
    paths: Vec<String>,
    bearer: Option<String>,
}

impl Plan {
    fn new(key: &str, name: &str, addr: SocketAddr, paths: Vec<String>) -> Plan {
        Plan { key: key.to_owned(), name: name.to_owned(), addr, paths, bearer: None }
    }
}

/// What a load generator measured.
#[derive(Clone, Debug, PartialEq)]
struct Load {
    requests: u64,
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
    socket_errors: u64,
}

fn wrk_threads(connections: usize) -> usize {
    connections.clamp(1, 2)
}

fn wrk_version() -> Result<String> {
    // `wrk --version` prints its name and version, then its usage, and exits 1.
    let output = Command::new("wrk")
        .arg("--version")
        .output()
        .map_err(|e| anyhow!("cannot run wrk ({e}): run scripts/install-bench-deps, or pass --generator builtin"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or("wrk");
    Ok(first.split(" Copyright").next().unwrap_or(first).trim().to_owned())
}

fn run_wrk(target: &Plan, connections: usize, duration: Duration, work: &Path) -> Result<Load> {
    // A script that cycles the paths (wrk.format keeps the -H headers).
    let mut script = String::from("local paths = {\n");
    for path in &target.paths {
        if !path.is_ascii() || path.contains(['"', '\\']) {
            bail!("path {path:?} cannot go into a wrk script");
        }
        script.push_str(&format!("  \"{path}\",\n"));
    }
    script.push_str(
        "}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(nil, paths[(i % #paths) + 1])\nend\n",
    );
    let script_path = work.join(format!("wrk-{}.lua", target.key));
    std::fs::write(&script_path, script).with_context(|| format!("cannot write {}", script_path.display()))?;
    let mut command = Command::new("wrk");
    command
        .arg("-t")
        .arg(wrk_threads(connections).to_string())
        .arg("-c")
        .arg(connections.to_string())
        .arg("-d")
        .arg(format!("{}s", duration.as_secs().max(1)))
        .args(["--timeout", "10s", "--latency", "-s"])
        .arg(&script_path);
    if let Some(token) = &target.bearer {
        command.arg("-H").arg(format!("Authorization: Bearer {token}"));
    }
    command.arg(format!("http://{}{}", target.addr, target.paths[0]));
    let output = command.stdin(Stdio::null()).output().context("cannot run wrk")?;
    let _ = std::fs::remove_file(&script_path);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}) on {}: {}{}",
            output.status,
            target.name,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&stdout).with_context(|| format!("cannot read wrk's report on {}:\n{stdout}", target.name))
}

/// Reads wrk's report (with `--latency`).
fn parse_wrk(text: &str) -> Result<Load> {
    let mut load =
        Load { requests: 0, requests_per_second: -1.0, p50_ms: -1.0, p99_ms: -1.0, non_2xx: 0, socket_errors: 0 };
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            load.requests_per_second = rest.trim().parse().context("Requests/sec")?;
        } else if let Some(rest) = line.strip_prefix("50%") {
            load.p50_ms = wrk_time_ms(rest.trim())?;
        } else if let Some(rest) = line.strip_prefix("99%") {
            load.p99_ms = wrk_time_ms(rest.trim())?;
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            load.non_2xx = rest.trim().parse().context("Non-2xx or 3xx responses")?;
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            for part in rest.split(',') {
                let count = part.split_whitespace().last().unwrap_or("0");
                load.socket_errors += count.parse::<u64>().with_context(|| format!("socket errors {part:?}"))?;
            }
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            load.requests = count.trim().parse().context("requests in")?;
        }
    }
    if load.requests_per_second < 0.0 || load.p99_ms < 0.0 || load.p50_ms < 0.0 {
        bail!("no Requests/sec or latency distribution");
    }
    Ok(load)
}

/// `465.36us`, `1.56ms`, `2.01s`, `1.00m` in milliseconds.
fn wrk_time_ms(text: &str) -> Result<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(|| anyhow!("no unit in {text:?}"))?;
    let (value, unit) = text.split_at(split);
    let value: f64 = value.trim().parse().with_context(|| format!("not a time: {text:?}"))?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => bail!("unknown unit in {text:?}"),
    };
    Ok(value * factor)
}

/// What one built-in connection saw.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    non_2xx: u64,
    socket_errors: u64,
}

/// The built-in load generator: one thread per connection, each sending
/// its next request when the previous answer has been read (as wrk does),
/// until the duration has passed.
fn run_builtin(target: &Plan, connections: usize, duration: Duration) -> Result<Load> {
    let requests: Vec<Vec<u8>> =
        target.paths.iter().map(|path| request_bytes(target.addr, path, target.bearer.as_deref())).collect();
    let started = Instant::now();
    let deadline = started + duration;
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..connections)
            .map(|first| {
                let requests = &requests;
                scope.spawn(move || builtin_connection(target.addr, requests, first, deadline))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().map_err(|_| anyhow!("a load thread panicked")))
            .collect::<Result<Vec<Tally>>>()
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = Vec::new();
    let (mut non_2xx, mut socket_errors) = (0, 0);
    for tally in tallies {
        latencies.extend(tally.latencies_ms);
        non_2xx += tally.non_2xx;
        socket_errors += tally.socket_errors;
    }
    let requests = latencies.len() as u64;
    let latency = if latencies.is_empty() {
        evident_search::bench::Latency { p50: 0.0, p99: 0.0, mean: 0.0, max: 0.0 }
    } else {
        evident_search::bench::latency(&latencies)
    };
    Ok(Load {
        requests,
        requests_per_second: requests as f64 / elapsed.max(1e-9),
        p50_ms: latency.p50,
        p99_ms: latency.p99,
        non_2xx,
        socket_errors,
    })
}

fn builtin_connection(addr: SocketAddr, requests: &[Vec<u8>], first: usize, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut connection: Option<BufReader<TcpStream>> = None;
    let mut body = Vec::new();
    let mut next = first;
    while Instant::now() < deadline {
        let stream = match connection.as_mut() {
            Some(stream) => stream,
            None => match connect(addr) {
                Ok(stream) => connection.insert(stream),
                Err(_) => {
                    tally.socket_errors += 1;
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            },
        };
        let request = &requests[next % requests.len()];
        next += 1;
        let sent = Instant::now();
        match exchange(stream, request, &mut body) {
            Ok(response) => {
                tally.latencies_ms.push(sent.elapsed().as_secs_f64() * 1_000.0);
                if !(200..300).contains(&response.status) {
                    tally.non_2xx += 1;
                }
                if response.close {
                    connection = None;
                }
            }
            Err(_) => {
                tally.socket_errors += 1;
                connection = None;
            }
        }
    }
    tally
}

fn connect(addr: SocketAddr) -> std::io::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    Ok(BufReader::with_capacity(64 * 1024, stream))
}

fn request_bytes(addr: SocketAddr, path: &str, bearer: Option<&str>) -> Vec<u8> {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: evident-bench\r\n");
    if let Some(token) = bearer {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// The status line and what matters of the headers of one response.
struct Response {
    status: u16,
    /// the server closes the connection after this response
    close: bool,
}

/// Sends one request and reads its whole response (Content-Length,
/// chunked, or until the server closes) into `body`.
fn exchange(stream: &mut BufReader<TcpStream>, request: &[u8], body: &mut Vec<u8>) -> std::io::Result<Response> {
    use std::io::{Error, ErrorKind};
    stream.get_mut().write_all(request)?;
    let mut line = Vec::new();
    let read_line = |stream: &mut BufReader<TcpStream>, line: &mut Vec<u8>| -> std::io::Result<()> {
        line.clear();
        if stream.read_until(b'\n', line)? == 0 {
            return Err(Error::new(ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        Ok(())
    };
    read_line(stream, &mut line)?;
    let status: u16 = std::str::from_utf8(&line)
        .ok()
        .and_then(|text| text.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| Error::new(ErrorKind::InvalidData, "not an HTTP status line"))?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    loop {
        read_line(stream, &mut line)?;
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let Some((name, value)) = text.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<u64>().map_err(|_| Error::new(ErrorKind::InvalidData, "content-length"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    body.clear();
    if chunked {
        loop {
            read_line(stream, &mut line)?;
            let size_text = String::from_utf8_lossy(&line);
            let size = u64::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| Error::new(ErrorKind::InvalidData, "chunk size"))?;
            if size == 0 {
                // trailers, then the empty line
                loop {
                    read_line(stream, &mut line)?;
                    if line.is_empty() {
                        break;
                    }
                }
                break;
            }
            read_exactly(stream, size, body)?;
            read_line(stream, &mut line)?;
        }
    } else if let Some(length) = length {
        read_exactly(stream, length, body)?;
    } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
        stream.read_to_end(body)?;
        close = true;
    }
    Ok(Response { status, close })
}

fn read_exactly(stream: &mut BufReader<TcpStream>, count: u64, body: &mut Vec<u8>) -> std::io::Result<()> {
    let read = stream.by_ref().take(count).read_to_end(body)?;
    if (read as u64) < count {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the body was cut short"));
    }
    Ok(())
}

/// One request on a fresh connection: the status and the body.
fn fetch(addr: SocketAddr, path: &str, bearer: Option<&str>) -> Result<(u16, Vec<u8>)> {
    let mut stream = connect(addr).with_context(|| format!("cannot connect to {addr}"))?;
    let mut body = Vec::new();
    let response = exchange(&mut stream, &request_bytes(addr, path, bearer), &mut body)
        .with_context(|| format!("GET http://{addr}{path}"))?;
    Ok((response.status, body))
}

/// [`fetch`], failing unless the answer is 200.
fn fetch_ok(addr: SocketAddr, path: &str, bearer: Option<&str>) -> Result<Vec<u8>> {
    let (status, body) = fetch(addr, path, bearer)?;
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        bail!("GET http://{addr}{path} answered {status}: {}", text.chars().take(300).collect::<String>());
    }
    Ok(body)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wrk 4.1.0's report (Debian's, captured on this machine against a
    /// server answering 404).
    const WRK_REPORT: &str = "Running 1s test @ http://127.0.0.1:18081/missing
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.48ms    2.46ms  25.50ms   87.52%
    Req/Sec   602.81    224.39     1.27k    80.95%
  Latency Distribution
     50%    2.95ms
     75%    3.97ms
     90%    5.64ms
     99%   15.34ms
  1265 requests in 1.10s, 642.56KB read
  Non-2xx or 3xx responses: 1265
Requests/sec:   1148.97
Transfer/sec:    583.63KB
";

    #[test]
    fn wrk_reports_are_read() {
        let load = parse_wrk(WRK_REPORT).unwrap();
        assert_eq!(load.requests, 1_265);
        assert_eq!(load.requests_per_second, 1_148.97);
        assert!((load.p50_ms - 2.95).abs() < 1e-9, "{}", load.p50_ms);
        assert!((load.p99_ms - 15.34).abs() < 1e-9, "{}", load.p99_ms);
        assert_eq!((load.non_2xx, load.socket_errors), (1_265, 0));
        // socket errors, in the line wrk prints when there are any (src/wrk.c)
        let failing =
            WRK_REPORT.replace("  Non-2xx", "  Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx");
        assert_eq!(parse_wrk(&failing).unwrap().socket_errors, 3);
        // a clean run has neither line
        let clean: String = WRK_REPORT.lines().filter(|l| !l.contains("Non-2xx")).map(|l| format!("{l}\n")).collect();
        assert_eq!(parse_wrk(&clean).unwrap().non_2xx, 0);
        // no latency distribution (wrk run without --latency) is refused
        let bare: String = WRK_REPORT.lines().filter(|l| !l.contains('%')).map(|l| format!("{l}\n")).collect();
        assert!(parse_wrk(&bare).is_err());
    }

    #[test]
    fn wrk_times_are_converted_to_milliseconds() {
        assert_eq!(wrk_time_ms("250.00us").unwrap(), 0.25);
        assert_eq!(wrk_time_ms("1.56ms").unwrap(), 1.56);
        assert_eq!(wrk_time_ms("2.00s").unwrap(), 2_000.0);
        assert_eq!(wrk_time_ms("1.50m").unwrap(), 90_000.0);
        assert!(wrk_time_ms("12").is_err());
        assert!(wrk_time_ms("1.0parsecs").is_err());
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(percent_encode("refugees"), "refugees");
        assert_eq!(percent_encode("器官"), "%E5%99%A8%E5%AE%98");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn the_aims_are_judged_on_requests_per_second() {
        let target = |key: &str, rate: f64| TargetReport {
            key: key.to_owned(),
            name: key.to_owned(),
            path: "/".to_owned(),
            paths_cycled: 1,
            requests: 1,
            requests_per_second: rate,
            p50_ms: 1.0,
            p99_ms: 1.0,
            non_2xx: 0,
            socket_errors: 0,
        };
        let targets = [target("evident_tile", 400.0), target("nginx_tile", 1_000.0), target("evident_search", 1_500.0)];
        let (ratios, aims) = judge(&targets, false);
        assert_eq!(ratios[0].value, Some(0.4));
        assert_eq!(ratios[0].met, Some(false));
        assert_eq!(ratios[1].met, None, "no checkpoint was measured");
        assert_eq!(aims[1].met, Some(true));
        let (ratios, _) = judge(&targets[..1], true);
        assert_eq!(ratios[0].met, None);
        assert!(ratios[0].name.contains("nginx not run"));
    }
}
