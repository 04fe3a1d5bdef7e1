//! `evident bench ingest`: ingest of one large file and many small files,
//! each printed beside the physical limits measured in the same run on the
//! same bytes (SHA-256 throughput, durable write throughput), and batched
//! log appends. `evident add` runs as a child process so that its peak
//! resident memory is its own. `evident bench import`: record import and
//! export beside a plain SQLite insert. `evident bench search`: Evident's
//! search index beside bare tantivy and SQLite FTS5 on a real corpus (the
//! measuring is in `evident_search::bench`). `evident bench http`: the
//! HTTP server under load beside nginx (`bench_http.rs`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Ingest of one large file and many small files, beside SHA-256 and durable-write limits, and log appends
    Ingest {
        /// Where to generate data and archives (default: the system temp dir); use the disk you will archive on
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Size of the large file, MiB
        #[arg(long, default_value_t = 1024)]
        large_mib: u64,
        /// Number of small files (1-64 KiB each)
        #[arg(long, default_value_t = 20_000)]
        small_files: u64,
        /// Entries for the batched log-append measurement
        #[arg(long, default_value_t = 100_000)]
        log_entries: u64,
        /// Keep the generated data and archives
        #[arg(long)]
        keep: bool,
    },
    /// Import and export of generated person, event and relation records, beside a plain SQLite bulk insert
    Import {
        /// Where to generate data and archives (default: the system temp dir)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Number of records (a third each persons, events, relations)
        #[arg(long, default_value_t = 100_000)]
        records: u64,
        #[arg(long)]
        keep: bool,
    },
    /// Search: Evident's index beside bare tantivy and SQLite FTS5 (unicode61, trigram) on a real corpus
    Search {
        /// The corpus: zstd-compressed JSON Lines, {id, lang, title, body} a line
        #[arg(long, value_name = "PATH", default_value = DEFAULT_SEARCH_CORPUS)]
        corpus: PathBuf,
        /// Where to build the indexes (default: the system temp dir)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// At most this many documents, evenly spread over the corpus
        #[arg(long, value_name = "N")]
        max_docs: Option<usize>,
        /// About this many MB of corpus lines at most, evenly spread
        #[arg(long, value_name = "MB")]
        max_mb: Option<u64>,
        /// Measured rounds of the query list after one warm-up round; each query's median is kept
        #[arg(long, default_value_t = evident_search::bench::ROUNDS)]
        rounds: usize,
        /// Skip the warm-up round (quick smoke runs only: the first queries then pay for cold caches)
        #[arg(long)]
        no_warmup: bool,
        /// Print the whole report as JSON
        #[arg(long)]
        json: bool,
        /// Keep the indexes
        #[arg(long)]
        keep: bool,
    },
    /// HTTP: the server under load (checkpoint, tile, item, search) beside nginx serving the same tiles
    Http {
        /// The corpus the archive is built from: zstd-compressed JSON Lines, {id, lang, title, body} a line
        #[arg(long, value_name = "PATH", default_value = DEFAULT_SEARCH_CORPUS)]
        corpus: PathBuf,
        /// At most this many documents, evenly spread over the corpus
        #[arg(long, value_name = "N")]
        max_docs: Option<usize>,
        /// Seconds of load per target
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        duration: u64,
        /// Open connections during the load
        #[arg(long, value_name = "N", default_value_t = 32)]
        connections: usize,
        /// Build the archive in DIR and keep it, or reuse the one a previous run built there
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// The load generator
        #[arg(long, value_enum, default_value_t = crate::bench_http::Generator::Wrk)]
        generator: crate::bench_http::Generator,
        /// Run no nginx beside the server (no peer, no ratios)
        #[arg(long)]
        no_nginx: bool,
        /// Print the whole report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Sealed items against the same items unsealed: ingest and read MB/s and their ratios (aim: 0.8 or more)
    Seal(SealBenchArgs),
}

/// Sealed against unsealed: the same files ingested into two fresh archives and read back (`evident bench seal`).
#[derive(clap::Args)]
pub struct SealBenchArgs {
    /// The files: one file, or a directory (every regular file under it); default: 8 generated files of
    /// 32 MiB and 256 of 1-64 KiB, random bytes
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// At most this many files (the first, in path order)
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Where to generate data and archives (default: the system temp dir); use the disk you will archive on
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Keep the generated data and archives
    #[arg(long)]
    keep: bool,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

/// The mixed English/Chinese/UDHR corpus, from the repository's directory.
const DEFAULT_SEARCH_CORPUS: &str = "../shared/data/corpus/mixed-en-zh-udhr.jsonl.zst";

const MB: f64 = 1_000_000.0;
const CHUNK: usize = 1 << 20;

pub fn run(which: &BenchCommand) -> Result<ExitCode> {
    match which {
        BenchCommand::Seal(args) => {
            let base = args.dir.clone().unwrap_or_else(std::env::temp_dir);
            let work = tempfile_dir(&base)?;
            let result = seal(&work, args);
            if args.keep {
                eprintln!("kept {}", work.display());
            } else {
                let _ = std::fs::remove_dir_all(&work);
            }
            result.map(|()| ExitCode::SUCCESS)
        }
        BenchCommand::Ingest { dir, large_mib, small_files, log_entries, keep } => {
            let base = dir.clone().unwrap_or_else(std::env::temp_dir);
            let work = tempfile_dir(&base)?;
            let result = ingest(&work, *large_mib, *small_files, *log_entries);
            if *keep {
                eprintln!("kept {}", work.display());
            } else {
                let _ = std::fs::remove_dir_all(&work);
            }
            result.map(|()| ExitCode::SUCCESS)
        }
        BenchCommand::Import { dir, records, keep } => {
            let base = dir.clone().unwrap_or_else(std::env::temp_dir);
            let work = tempfile_dir(&base)?;
            let result = import(&work, *records);
            if *keep {
                eprintln!("kept {}", work.display());
            } else {
                let _ = std::fs::remove_dir_all(&work);
            }
            result.map(|()| ExitCode::SUCCESS)
        }
        BenchCommand::Search { corpus, dir, max_docs, max_mb, rounds, no_warmup, json, keep } => {
            if !corpus.is_file() {
                bail!(
                    "search corpus {} does not exist (relative to {}); pass --corpus PATH",
                    corpus.display(),
                    std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "?".to_owned())
                );
            }
            let base = dir.clone().unwrap_or_else(std::env::temp_dir);
            let work = tempfile_dir(&base)?;
            let config = evident_search::bench::SearchBenchConfig {
                corpus: corpus.clone(),
                dir: work.clone(),
                max_docs: *max_docs,
                max_mb: *max_mb,
                rounds: *rounds,
                warmup: !*no_warmup,
            };
            let result = evident_search::bench::run(&config);
            if *keep {
                eprintln!("kept {}", work.display());
            } else {
                let _ = std::fs::remove_dir_all(&work);
            }
            let report = result.map_err(|e| anyhow::anyhow!("bench search: {e}"))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_search(&report, &work);
            }
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Http { corpus, max_docs, duration, connections, keep, generator, no_nginx, json } => {
            crate::bench_http::run(&crate::bench_http::HttpBenchConfig {
                corpus: corpus.clone(),
                max_docs: *max_docs,
                duration: Duration::from_secs(*duration),
                connections: *connections,
                keep: keep.clone(),
                generator: *generator,
                no_nginx: *no_nginx,
                json: *json,
            })
        }
    }
}

/// Writes `count` records as JSON Lines: persons, then events naming them,
/// then relations between them. Returns the file's size.
fn write_records(path: &Path, count: u64) -> Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let persons = count.div_ceil(3);
    let person_id = |i: u64| format!("per_{}", ulid_like(i));
    let statuses = ["detained", "released", "disappeared", "deceased", "unknown"];
    let events = ["arrest", "detention", "blood_test", "ultrasound", "x_ray", "transfer"];
    for i in 0..count {
        let line = if i < persons {
            serde_json::json!({"kind": "person", "id": person_id(i), "names": [{"name": format!("Person {i}"), "lang": "en"}, {"name": format!("人{i}"), "script": "Hans"}], "birth_year": 1950 + i % 50, "status": statuses[(i % 5) as usize]})
        } else if i < 2 * persons {
            serde_json::json!({"kind": "event", "event_type": events[(i % 6) as usize], "date": format!("{} {}", ["early", "mid", "late"][(i % 3) as usize], 2000 + i % 20), "participants": [{"record": person_id(i % persons), "role": "detainee"}]})
        } else {
            serde_json::json!({"kind": "relation", "from": person_id(i % persons), "to": person_id((i * 7 + 1) % persons), "relation_type": "relative", "certainty": "probable", "date": format!("{}", 1990 + i % 30)})
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// A valid ULID body that encodes `i` (time part zero, counter in the random part).
fn ulid_like(i: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut text = String::from("0000000000");
    let mut value = i;
    let mut tail = [b'0'; 16];
    for slot in tail.iter_mut().rev() {
        *slot = ALPHABET[(value % 32) as usize];
        value /= 32;
    }
    text.push_str(std::str::from_utf8(&tail).unwrap_or("0000000000000000"));
    text
}

fn import(work: &Path, records: u64) -> Result<()> {
    let data = work.join("records.jsonl");
    let bytes = write_records(&data, records)?;
    println!(
        "evident bench import: {records} records (persons, events, relations), {:.1} MB of JSON Lines",
        bytes as f64 / MB
    );
    println!("work dir {}", work.display());

    let peer = evident_store::bench::plain_insert(&work.join("plain.db"), &data)?;
    let archive = work.join("archive");
    init_archive(&archive)?;
    let (import_time, import_rss) = run_evident(&archive, &["import", "--json", "--actor", "bench"], &data)?;
    let (export_time, export_rss) =
        run_evident(&archive, &["export", "--kind", "all", "--format", "jsonl", "-o"], &work.join("export.jsonl"))?;
    let n = records as f64;
    println!();
    println!("  plain rusqlite bulk insert (one transaction)   {:9.0} records/s", n / peer.as_secs_f64());
    println!(
        "  evident import (validation, history, log)      {:9.0} records/s   {:.2} x plain   peak RSS {:.1} MB",
        n / import_time.as_secs_f64(),
        peer.as_secs_f64() / import_time.as_secs_f64(),
        import_rss as f64 / MB
    );
    println!(
        "  evident export (jsonl)                         {:9.0} records/s   peak RSS {:.1} MB",
        n / export_time.as_secs_f64(),
        export_rss as f64 / MB
    );
    Ok(())
}

fn tempfile_dir(base: &Path) -> Result<PathBuf> {
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let dir = base.join(format!("evident-bench-{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn ingest(work: &Path, large_mib: u64, small_files: u64, log_entries: u64) -> Result<()> {
    let mut pattern = vec![0u8; CHUNK];
    getrandom::fill(&mut pattern).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    println!(
        "evident bench ingest: {large_mib} MiB file, {small_files} small files of 1-64 KiB, {log_entries} log entries"
    );
    println!("work dir {} (same file system for data, peers and archives)", work.display());

    // One large file.
    let large = work.join("data/large.bin");
    std::fs::create_dir_all(large.parent().unwrap_or(work))?;
    let large_bytes = write_large(&large, large_mib, &mut pattern)?;
    // The limits are the better of two runs each: a first large write on a
    // fresh machine also pays for growing the page cache.
    let sha = best_of_two(|| sha256_file(&large).map(|_| ()))?;
    let write = best_of_two(|| {
        let copy = work.join("peer-copy.bin");
        let result = durable_copy(&large, &copy);
        let _ = std::fs::remove_file(&copy);
        result
    })?;
    let archive = work.join("archive");
    init_archive(&archive)?;
    let (add_time, add_rss) = run_add(&archive, &large)?;
    let sha_mbs = large_bytes as f64 / MB / sha.as_secs_f64();
    let write_mbs = large_bytes as f64 / MB / write.as_secs_f64();
    let add_mbs = large_bytes as f64 / MB / add_time.as_secs_f64();
    let limit = sha_mbs.min(write_mbs);
    println!();
    println!("large file ({:.1} MB)", large_bytes as f64 / MB);
    println!("  sha256 of the same bytes (in process)    {sha_mbs:9.1} MB/s");
    println!("  durable write (write + fdatasync)        {write_mbs:9.1} MB/s");
    println!(
        "  evident add                              {add_mbs:9.1} MB/s   {:.2} x the lower limit   peak RSS {:.1} MB",
        add_mbs / limit,
        add_rss as f64 / MB
    );

    // Many small files.
    let small_dir = work.join("data/small");
    let small_bytes = write_small(&small_dir, small_files, &pattern)?;
    let small_sha = time(|| {
        for entry in walk(&small_dir)? {
            sha256_file(&entry)?;
        }
        Ok(())
    })?;
    let copy_dir = work.join("peer-small");
    let small_copy = time(|| {
        std::fs::create_dir_all(&copy_dir)?;
        for entry in walk(&small_dir)? {
            let name = entry.file_name().context("a file name")?;
            std::fs::copy(&entry, copy_dir.join(name))?;
        }
        syncfs(&copy_dir)
    })?;
    let _ = std::fs::remove_dir_all(&copy_dir);
    let (small_time, small_rss) = run_add(&archive, &small_dir)?;
    let files = small_files as f64;
    println!();
    println!("small files ({small_files} files, {:.1} MB)", small_bytes as f64 / MB);
    println!("  sha256 of the same files                 {:9.0} files/s", files / small_sha.as_secs_f64());
    println!("  plain copy + one syncfs                  {:9.0} files/s", files / small_copy.as_secs_f64());
    println!(
        "  evident add                              {:9.0} files/s   {:.1} MB/s   {:.2} x plain copy   peak RSS {:.1} MB",
        files / small_time.as_secs_f64(),
        small_bytes as f64 / MB / small_time.as_secs_f64(),
        small_copy.as_secs_f64() / small_time.as_secs_f64(),
        small_rss as f64 / MB
    );

    // Batched log appends.
    let report = evident_archive::bench::log_append(&work.join("log-archive"), log_entries, 4096)?;
    println!();
    println!("log appends ({log_entries} entries, batches of 4096)");
    println!(
        "  store commit {:.2} s + tiles, bundles and checkpoint {:.2} s   {:9.0} entries/s",
        report.commit.as_secs_f64(),
        report.publish.as_secs_f64(),
        report.entries_per_second()
    );
    Ok(())
}

fn best_of_two(mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    let first = time(&mut f)?;
    Ok(first.min(time(&mut f)?))
}

fn time(f: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed())
}

fn write_large(path: &Path, mib: u64, pattern: &mut [u8]) -> Result<u64> {
    let mut file = std::fs::File::create(path)?;
    for chunk in 0..mib {
        pattern[..8].copy_from_slice(&chunk.to_le_bytes());
        file.write_all(pattern)?;
    }
    file.sync_all()?;
    Ok(mib * CHUNK as u64)
}

fn write_small(dir: &Path, count: u64, pattern: &[u8]) -> Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut total = 0;
    for i in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let size = 1024 + (state % (63 * 1024)) as usize;
        let offset = (state >> 20) as usize % (pattern.len() - size);
        let mut body = pattern[offset..offset + size].to_vec();
        body[..8].copy_from_slice(&i.to_le_bytes());
        std::fs::write(dir.join(format!("{i:06}.bin")), &body)?;
        total += size as u64;
    }
    syncfs(dir)?;
    Ok(total)
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    paths.sort();
    Ok(paths)
}

fn sha256_file(path: &Path) -> Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().into())
}

fn durable_copy(from: &Path, to: &Path) -> Result<()> {
    let mut source = std::fs::File::open(from)?;
    let mut target = std::fs::File::create(to)?;
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = source.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        target.write_all(&buffer[..n])?;
    }
    target.sync_data()?;
    Ok(())
}

fn syncfs(path: &Path) -> Result<()> {
    let dir = std::fs::File::open(path)?;
    // SAFETY: syncfs takes a valid, open file descriptor and nothing else.
    let rc = unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&dir)) };
    if rc != 0 {
        bail!("syncfs {}: {}", path.display(), std::io::Error::last_os_error());
    }
    Ok(())
}

fn init_archive(dir: &Path) -> Result<()> {
    let status = Command::new(std::env::current_exe()?)
        .arg("init")
        .arg(dir)
        .args(["--origin", "bench.example/ingest"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("evident init {} failed", dir.display());
    }
    Ok(())
}

/// Runs `evident add` on `path` and returns its wall time and peak RSS in bytes.
fn run_add(archive: &Path, path: &Path) -> Result<(Duration, u64)> {
    run_evident(archive, &["add", "--json", "--actor", "bench"], path)
}

/// Runs `evident --archive ARCHIVE ARGS... PATH` as a child process and
/// returns its wall time and peak RSS in bytes.
fn run_evident(archive: &Path, args: &[&str], path: &Path) -> Result<(Duration, u64)> {
    let started = Instant::now();
    let child = Command::new(std::env::current_exe()?)
        .arg("--archive")
        .arg(archive)
        .args(args)
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let (status, peak_kib) = wait_with_rusage(child.id())?;
    let elapsed = started.elapsed();
    if status != 0 {
        bail!("evident {} {} exited with status {status}", args[0], path.display());
    }
    Ok((elapsed, peak_kib * 1024))
}

/// waits for a child and returns its exit status and peak RSS in KiB (ru_maxrss).
fn wait_with_rusage(pid: u32) -> Result<(i32, u64)> {
    let mut status = 0;
    // SAFETY: rusage is plain data, zero is a valid value for it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; status and usage are valid pointers.
    let rc = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if rc < 0 {
        bail!("wait4: {}", std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    Ok((code, usage.ru_maxrss as u64))
}

fn print_search(report: &evident_search::bench::SearchBenchReport, work: &Path) {
    use evident_search::bench::{EVIDENT, FTS5_TRIGRAM, FTS5_UNICODE61, TANTIVY, engine_name};
    let langs: Vec<String> = {
        let mut by_count: Vec<(&String, &usize)> = report.docs_by_lang.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let mut shown: Vec<String> = by_count.iter().take(3).map(|(lang, n)| format!("{lang} {n}")).collect();
        let rest: usize = by_count.iter().skip(3).map(|(_, n)| **n).sum();
        if rest > 0 {
            shown.push(format!("{} other languages {rest}", by_count.len() - 3));
        }
        shown
    };
    let queries: Vec<String> = report.queries_by_lang.iter().map(|(lang, n)| format!("{n} {lang}")).collect();
    println!(
        "evident bench search: {} documents ({}), {:.1} MB of title+body; {} queries ({})",
        report.docs,
        langs.join(", "),
        report.bytes as f64 / MB,
        report.queries.len(),
        queries.join(", ")
    );
    println!("corpus {} ({})", report.corpus, report.selection);
    println!(
        "work dir {}; tantivy writers: {} threads x {} MB; latency: {}median of {} rounds per query",
        work.display(),
        report.writer_threads,
        report.writer_memory_mb,
        if report.warmup { "1 warm-up round, then " } else { "no warm-up, " },
        report.rounds
    );
    println!(
        "reading the corpus alone (zstd decode + JSON parse): {:.1} s; each indexing time includes one such read",
        report.read_seconds
    );
    println!();
    println!(
        "  {:<28} {:>7} {:>9} {:>8} {:>9} {:>5} {:>9} {:>9} {:>9}",
        "engine", "docs", "index s", "MB/s", "size MB", "segs", "p50 ms", "p99 ms", "mean ms"
    );
    for engine in &report.engines {
        println!(
            "  {:<28} {:>7} {:>9.1} {:>8.2} {:>9.1} {:>5} {:>9.3} {:>9.3} {:>9.3}",
            engine.name,
            engine.docs_indexed,
            engine.index_seconds,
            engine.index_mb_per_s,
            engine.size_bytes as f64 / MB,
            engine.segments.map_or("-".to_owned(), |n| n.to_string()),
            engine.latency_ms.p50,
            engine.latency_ms.p99,
            engine.latency_ms.mean
        );
    }
    for engine in report.engines.iter().filter(|e| e.checkpoint_seconds.is_some()) {
        println!(
            "  ({}: WAL checkpoint after the load {:.1} s, not in its index time)",
            engine.name,
            engine.checkpoint_seconds.unwrap_or(0.0)
        );
    }

    let order = [EVIDENT, TANTIVY, FTS5_UNICODE61, FTS5_TRIGRAM];
    let hits = |query: &evident_search::bench::QueryReport, key: &str| query.engines.get(key).map_or(0, |r| r.hits);
    println!();
    println!(
        "Chinese queries: total hits (u: FTS5 unicode61 finds 0 and Evident finds some; t: the same for FTS5 trigram)"
    );
    println!("  {} {:>9} {:>9} {:>10} {:>10}", pad("query", 16), "Evident", "tantivy", "FTS5 u61", "FTS5 tri");
    for query in report.queries.iter().filter(|q| q.lang == "zh") {
        let evident = hits(query, EVIDENT);
        let mark_u = if hits(query, FTS5_UNICODE61) == 0 && evident > 0 { "u" } else { " " };
        let mark_t = if hits(query, FTS5_TRIGRAM) == 0 && evident > 0 { "t" } else { " " };
        println!(
            "  {} {:>9} {:>9} {:>10} {:>10}  {mark_u}{mark_t}",
            pad(&query.query, 16),
            evident,
            hits(query, TANTIVY),
            hits(query, FTS5_UNICODE61),
            hits(query, FTS5_TRIGRAM)
        );
    }
    let zero = |key: &str, lang: &str| {
        report.engines.iter().find(|e| e.key == key).and_then(|e| e.zero_hit_queries.get(lang).copied()).unwrap_or(0)
    };
    for (lang, name) in [("zh", "Chinese"), ("en", "English")] {
        println!(
            "{name} queries with zero hits (of {}): FTS5 unicode61 {}, FTS5 trigram {}, tantivy default {}, Evident {}",
            report.queries_by_lang.get(lang).copied().unwrap_or(0),
            zero(FTS5_UNICODE61, lang),
            zero(FTS5_TRIGRAM, lang),
            zero(TANTIVY, lang),
            zero(EVIDENT, lang)
        );
    }
    let english_zero: Vec<String> = order
        .iter()
        .filter_map(|key| {
            let queries: Vec<String> = report
                .queries
                .iter()
                .filter(|q| q.lang == "en" && hits(q, key) == 0)
                .map(|q| format!("{:?}", q.query))
                .collect();
            (!queries.is_empty()).then(|| format!("{}: {}", engine_name(key), queries.join(", ")))
        })
        .collect();
    if !english_zero.is_empty() {
        println!("  English queries with zero hits: {}", english_zero.join("; "));
    }
    for key in order {
        let errors: Vec<String> = report
            .queries
            .iter()
            .filter_map(|q| q.engines.get(key).and_then(|r| r.error.as_ref()).map(|e| format!("{:?}: {e}", q.query)))
            .collect();
        if !errors.is_empty() {
            println!(
                "{} refused {} queries (counted as 0 hits): {}",
                engine_name(key),
                errors.len(),
                errors.join("; ")
            );
        }
    }

    println!();
    println!("ratios");
    for ratio in &report.ratios {
        println!(
            "  {:<38} {:>8.2} x   aim {:<6} x   {}",
            ratio.name,
            ratio.value,
            ratio.aim,
            if ratio.met { "met" } else { "missed" }
        );
    }
}

/// `text` padded with spaces to `width` columns, Han and other wide characters counting two.
fn pad(text: &str, width: usize) -> String {
    let columns: usize = text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(columns)))
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// `evident bench seal`: the files (given or generated), both runs, the report.
fn seal(work: &Path, args: &SealBenchArgs) -> Result<()> {
    let mut files = match &args.corpus {
        Some(corpus) if corpus.is_dir() => {
            let mut files = Vec::new();
            let mut stack = vec![corpus.clone()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
                    let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
                    let kind = entry.file_type()?;
                    if kind.is_dir() {
                        stack.push(entry.path());
                    } else if kind.is_file() {
                        files.push(entry.path());
                    }
                }
            }
            files.sort();
            files
        }
        Some(corpus) if corpus.is_file() => vec![corpus.clone()],
        Some(corpus) => bail!("the corpus {} is neither a file nor a directory", corpus.display()),
        None => generate_seal_inputs(&work.join("input"), args.limit)?,
    };
    if let Some(limit) = args.limit {
        files.truncate(limit);
    }
    if files.is_empty() {
        bail!("no files to ingest");
    }
    let report = evident_archive::bench::seal_ingest(work, &files)?;
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["ingest_plain_mb_s"] = report.ingest_plain_mb_s().into();
        value["ingest_sealed_mb_s"] = report.ingest_sealed_mb_s().into();
        value["ingest_ratio"] = report.ingest_ratio().into();
        value["read_plain_mb_s"] = report.read_plain_mb_s().into();
        value["read_sealed_mb_s"] = report.read_sealed_mb_s().into();
        value["read_ratio"] = report.read_ratio().into();
        println!("{value}");
        return Ok(());
    }
    println!(
        "sealed vs unsealed: {} files, {:.1} MB (best of {} alternating rounds)",
        report.files,
        report.bytes as f64 / MB,
        evident_archive::bench::SEAL_BENCH_ROUNDS
    );
    println!(
        "  ingest  unsealed {:>8.1} MB/s   sealed {:>8.1} MB/s   ratio {:.2}",
        report.ingest_plain_mb_s(),
        report.ingest_sealed_mb_s(),
        report.ingest_ratio()
    );
    println!(
        "  read    unsealed {:>8.1} MB/s   sealed {:>8.1} MB/s   ratio {:.2}",
        report.read_plain_mb_s(),
        report.read_sealed_mb_s(),
        report.read_ratio()
    );
    println!(
        "  (read: the plain file with its SHA-256 checked vs every chunk authenticated and decrypted, size checked)"
    );
    println!("  aim: ratio 0.80 or more");
    Ok(())
}

/// 8 files of 32 MiB and 256 of 1-64 KiB of random bytes (fewer with `limit`).
fn generate_seal_inputs(dir: &Path, limit: Option<usize>) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut pattern = vec![0u8; CHUNK];
    getrandom::fill(&mut pattern).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let sizes = (0..8).map(|_| 32 * CHUNK).chain((0..256).map(|i| 1024 + (i * 7919) % (63 * 1024)));
    let mut files = Vec::new();
    for (i, size) in sizes.take(limit.unwrap_or(usize::MAX)).enumerate() {
        let path = dir.join(format!("file-{i:04}.bin"));
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
        );
        let mut left = size;
        let mut round = 0u64;
        while left > 0 {
            // every chunk distinct, so no file repeats another (duplicates would not be stored twice)
            let mut chunk = pattern.clone();
            chunk[..8].copy_from_slice(&(i as u64).to_le_bytes());
            chunk[8..16].copy_from_slice(&round.to_le_bytes());
            let n = left.min(CHUNK);
            out.write_all(&chunk[..n])?;
            left -= n;
            round += 1;
        }
        out.flush()?;
        files.push(path);
    }
    Ok(files)
}
