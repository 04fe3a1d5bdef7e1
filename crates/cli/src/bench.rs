//! `evident bench ingest`: ingest of one large file and many small files,
//! each printed beside the physical limits measured in the same run on the
//! same bytes (SHA-256 throughput, durable write throughput), and batched
//! log appends. `evident add` runs as a child process so that its peak
//! resident memory is its own.

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
}

const MB: f64 = 1_000_000.0;
const CHUNK: usize = 1 << 20;

pub fn run(which: &BenchCommand) -> Result<ExitCode> {
    match which {
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
