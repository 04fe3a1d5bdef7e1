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

#[test]
fn the_search_benchmark_measures_every_engine_on_the_real_corpus() {
    let corpus =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/corpus/mixed-en-zh-udhr.jsonl.zst");
    let temp = tempfile::tempdir().unwrap();
    let output = evident_command()
        .args(["bench", "search", "--max-docs", "200", "--rounds", "1", "--no-warmup", "--json", "--corpus"])
        .arg(&corpus)
        .arg("--dir")
        .arg(temp.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["docs"], 200);
    // an even spread of the corpus, not only its first (English) lines
    assert!(report["docs_by_lang"]["zh"].as_u64().unwrap() > 20, "{}", report["docs_by_lang"]);
    let engines = report["engines"].as_array().unwrap();
    let keys: Vec<&str> = engines.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["evident", "tantivy", "fts5_unicode61", "fts5_trigram"]);
    for engine in engines {
        assert_eq!(engine["docs_indexed"], 200, "{engine}");
        assert!(engine["size_bytes"].as_u64().unwrap() > 0, "{engine}");
        assert!(engine["index_mb_per_s"].as_f64().unwrap() > 0.0, "{engine}");
        assert!(engine["latency_ms"]["p50"].as_f64().unwrap() > 0.0, "{engine}");
        assert!(engine["latency_ms"]["p99"].as_f64().unwrap() >= engine["latency_ms"]["p50"].as_f64().unwrap());
    }
    let queries = report["queries"].as_array().unwrap();
    assert!(queries.len() >= 100, "{} queries", queries.len());
    let found = |key: &str| {
        queries.iter().filter(|q| q["lang"] == "zh" && q["engines"][key]["hits"].as_u64().unwrap() > 0).count()
    };
    assert!(found("evident") >= found("fts5_unicode61"), "{} < {}", found("evident"), found("fts5_unicode61"));
    assert!(found("evident") > 0);
    let ratios = report["ratios"].as_array().unwrap();
    assert_eq!(ratios.len(), 3);
    assert!(ratios.iter().all(|r| r["value"].as_f64().unwrap() > 0.0 && r["met"].is_boolean()));
    // it cleans up after itself
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}

#[test]
fn the_search_benchmark_names_a_missing_corpus() {
    let temp = tempfile::tempdir().unwrap();
    let missing = temp.path().join("no-such-corpus.jsonl.zst");
    let output = evident_command().args(["bench", "search", "--corpus"]).arg(&missing).output().unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("no-such-corpus.jsonl.zst"), "{}", stderr(&output));
}
