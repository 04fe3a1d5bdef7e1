//! The last verification's summary, kept at `state/last-verify.json` so
//! that the web UI and `GET /api/v1/verify` can say when the archive was
//! last checked and what was found, without checking it again.
//!
//! The file is a convenience, not evidence: it is rewritten after every
//! `evident verify` (and `POST /api/v1/verify`), durably (temp file, fsync,
//! rename, fsync of the directory). Format `evident-verify-summary/1`:
//! the members of [`VerifySummary`].

use std::fs;
use std::path::PathBuf;

use evident_objects::write_file_durably;
use serde::{Deserialize, Serialize};

use crate::{Archive, ArchiveError, Result, VerifyReport, now_rfc3339};

/// The summary file's format tag.
pub const VERIFY_SUMMARY_FORMAT: &str = "evident-verify-summary/1";

/// At most this many problems are kept in the summary (the count is kept
/// whole); `evident verify` lists them all.
pub const MAX_SAVED_PROBLEMS: usize = 100;

/// What the last verification found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifySummary {
    /// [`VERIFY_SUMMARY_FORMAT`]
    pub format: String,
    /// when it finished, RFC 3339 UTC
    pub time: String,
    /// no problem found
    pub ok: bool,
    pub items: u64,
    pub records: u64,
    pub record_versions: u64,
    pub objects: u64,
    pub log_size: u64,
    /// audit events noted, and how many of them the log commits to
    #[serde(default)]
    pub audit_events: u64,
    #[serde(default)]
    pub audit_committed: u64,
    /// how many problems were found
    pub problem_count: u64,
    /// the first [`MAX_SAVED_PROBLEMS`] of them
    pub problems: Vec<VerifyProblem>,
}

/// One problem as the summary keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyProblem {
    /// what it concerns: an item id, a path under the archive, a tile
    pub what: String,
    pub detail: String,
}

impl VerifySummary {
    /// The summary of a report, timed now.
    pub fn of(report: &VerifyReport) -> VerifySummary {
        VerifySummary {
            format: VERIFY_SUMMARY_FORMAT.to_owned(),
            time: now_rfc3339(),
            ok: report.ok(),
            items: report.items,
            audit_events: report.audit_events,
            audit_committed: report.audit_committed,
            records: report.records,
            record_versions: report.record_versions,
            objects: report.objects,
            log_size: report.log_size,
            problem_count: report.problems.len() as u64,
            problems: report
                .problems
                .iter()
                .take(MAX_SAVED_PROBLEMS)
                .map(|problem| VerifyProblem { what: problem.what.clone(), detail: problem.detail.clone() })
                .collect(),
        }
    }
}

impl Archive {
    fn verify_summary_file(&self) -> PathBuf {
        self.dir().join("state").join("last-verify.json")
    }

    /// Saves the summary of a verification as the last one; returns it.
    pub fn save_verify_summary(&self, report: &VerifyReport) -> Result<VerifySummary> {
        let summary = VerifySummary::of(report);
        let path = self.verify_summary_file();
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(ArchiveError::io("create", dir))?;
        }
        let mut json = serde_json::to_vec_pretty(&summary).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        json.push(b'\n');
        write_file_durably(&path, &json)?;
        Ok(summary)
    }

    /// The last verification's summary, or `None` if the archive was never
    /// verified (since summaries were kept).
    pub fn last_verify(&self) -> Result<Option<VerifySummary>> {
        let path = self.verify_summary_file();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ArchiveError::Io { action: "read", path, source: e }),
        };
        let summary: VerifySummary = serde_json::from_slice(&bytes)
            .map_err(|e| ArchiveError::Corrupted { what: path.display().to_string(), detail: e.to_string() })?;
        if summary.format != VERIFY_SUMMARY_FORMAT {
            return Err(ArchiveError::Corrupted {
                what: path.display().to_string(),
                detail: format!("format {:?}; this evident reads {VERIFY_SUMMARY_FORMAT}", summary.format),
            });
        }
        Ok(Some(summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InitConfig, Problem};

    #[test]
    fn a_saved_summary_reads_back_and_keeps_the_count_of_problems_it_cuts() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("archive");
        Archive::init(&dir, &InitConfig { origin: "test.example/evident".into(), key_file: None }).unwrap();
        let archive = Archive::open(&dir, None).unwrap();
        assert_eq!(archive.last_verify().unwrap(), None);

        let report = archive.verify(None, &mut |_| {}).unwrap();
        let saved = archive.save_verify_summary(&report).unwrap();
        assert!(saved.ok);
        assert_eq!(archive.last_verify().unwrap(), Some(saved));

        let many = VerifyReport {
            problems: (0..MAX_SAVED_PROBLEMS + 5)
                .map(|n| Problem { what: format!("itm_{n}"), detail: "damaged".into() })
                .collect(),
            ..VerifyReport::default()
        };
        let saved = archive.save_verify_summary(&many).unwrap();
        let read = archive.last_verify().unwrap().unwrap();
        assert!(!read.ok);
        assert_eq!(read.problem_count, MAX_SAVED_PROBLEMS as u64 + 5);
        assert_eq!(read.problems.len(), MAX_SAVED_PROBLEMS);
        assert_eq!(read, saved);

        std::fs::write(dir.join("state/last-verify.json"), b"{\"format\": 1}").unwrap();
        assert!(matches!(archive.last_verify(), Err(ArchiveError::Corrupted { .. })));
    }
}
