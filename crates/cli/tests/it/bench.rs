//! A small run of each benchmark, so that they cannot rot. No timings are
//! asserted, only that every figure and ratio is printed.

use crate::harness::*;

#[test]
fn the_ingest_benchmark_runs_and_prints_its_ratios() {
    let temp = tempfile::tempdir().unwrap();
    let output = evident_command()
        .args(["bench", "ingest", "--large-mib", "8", "--small-files", "50", "--log-entries", "600", "--dir"])
        .arg(temp.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let text = stdout(&output);
    for needle in [
        "sha256 of the same bytes",
        "durable write (write + fdatasync)",
        "x the lower limit",
        "peak RSS",
        "plain copy + one syncfs",
        "x plain copy",
        "entries/s",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    // it cleans up after itself
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}

#[test]
fn the_import_benchmark_runs_and_prints_its_ratio() {
    let temp = tempfile::tempdir().unwrap();
    let output =
        evident_command().args(["bench", "import", "--records", "300", "--dir"]).arg(temp.path()).output().unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let text = stdout(&output);
    for needle in ["plain rusqlite bulk insert", "evident import", "x plain", "evident export", "peak RSS"] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}
