//! Benchmarks that need the archive's insides. The ingest benchmark itself
//! runs `evident add` as a child process (see the CLI's `bench` command) so
//! that its peak memory is measured alone.

use std::path::Path;
use std::time::{Duration, Instant};

use evident_core::{EntryFile, ItemId, LogEntry, Sha256Hex};

use crate::{Archive, ArchiveError, InitConfig, Result};

/// Timings of appending synthetic entries to a fresh archive's log.
#[derive(Clone, Debug)]
pub struct LogAppendReport {
    pub entries: u64,
    /// committing the entries to the store (one transaction per batch)
    pub commit: Duration,
    /// writing tiles and bundles, one sync, signing the checkpoint
    pub publish: Duration,
}

impl LogAppendReport {
    pub fn entries_per_second(&self) -> f64 {
        self.entries as f64 / (self.commit + self.publish).as_secs_f64().max(1e-9)
    }
}

/// Creates an archive in `dir` (which must not exist or be empty) and
/// appends `entries` entries in batches of `batch`, publishing after each
/// batch, as `add` does.
pub fn log_append(dir: &Path, entries: u64, batch: u64) -> Result<LogAppendReport> {
    Archive::init(dir, &InitConfig { origin: "bench.example/log".to_owned(), key_file: None })?;
    let mut archive = Archive::open(dir, None)?;
    let inventory = Sha256Hex::from_bytes([7; 32]);
    let mut report = LogAppendReport { entries, commit: Duration::ZERO, publish: Duration::ZERO };
    let mut done = 0u64;
    while done < entries {
        let count = batch.min(entries - done);
        let mut rows = Vec::with_capacity(count as usize);
        for i in done..done + count {
            let mut random = [0u8; 10];
            random[..8].copy_from_slice(&i.to_be_bytes());
            let id = ItemId::new(1_700_000_000_000 + i, random);
            let file = EntryFile {
                name: "file.txt".to_owned(),
                sha256: Sha256Hex::from_bytes([(i % 251) as u8; 32]).to_string(),
                size: i,
            };
            let entry =
                LogEntry::item_add(&id, "2026-11-30T00:00:00Z".to_owned(), "bench".to_owned(), &inventory, vec![file])
                    .encode()
                    .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
            rows.push((id.to_string(), entry));
        }
        let started = Instant::now();
        archive.store.append_log_entries(&rows)?;
        report.commit += started.elapsed();
        let started = Instant::now();
        archive.publish()?;
        report.publish += started.elapsed();
        done += count;
    }
    Ok(report)
}
