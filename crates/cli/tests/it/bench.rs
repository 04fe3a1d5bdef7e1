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

/// `bench http` with the built-in load generator and no nginx, so that it
/// needs neither wrk nor nginx: every target answers, nothing fails, the
/// report names the generator that ran, and `--keep DIR` is reused.
#[test]
fn the_http_benchmark_loads_every_target_and_reuses_a_kept_archive() {
    let corpus =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/corpus/mixed-en-zh-udhr.jsonl.zst");
    let temp = tempfile::tempdir().unwrap();
    let scratch = temp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let keep = temp.path().join("keep");
    let run = |max_docs: &str, keep: Option<&std::path::Path>| {
        let mut command = evident_command();
        command
            .args(["bench", "http", "--duration", "1", "--connections", "4", "--generator", "builtin", "--no-nginx"])
            .args(["--json", "--max-docs", max_docs, "--corpus"])
            .arg(&corpus)
            .env("TMPDIR", &scratch);
        if let Some(keep) = keep {
            command.arg("--keep").arg(keep);
        }
        command.output().unwrap()
    };
    let report = |output: &std::process::Output| -> serde_json::Value {
        assert!(output.status.success(), "{}{}", stdout(output), stderr(output));
        serde_json::from_str(&stdout(output)).unwrap()
    };

    // Built in a temporary directory, which is removed afterwards.
    let first = report(&run("24", None));
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "the temporary archive is left behind");
    assert_eq!(first["generator_kind"], "builtin");
    assert!(first["generator"].as_str().unwrap().contains("not wrk"), "{}", first["generator"]);
    assert_eq!((first["docs"].as_u64(), first["public_items"].as_u64()), (Some(24), Some(6)));
    assert_eq!(first["reused"], false);
    assert!(first["build_seconds"].as_f64().unwrap() > 0.0);
    let targets = first["targets"].as_array().unwrap();
    let keys: Vec<&str> = targets.iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "evident_checkpoint",
            "evident_tile",
            "evident_item_public",
            "evident_item",
            "evident_item_page",
            "evident_search"
        ]
    );
    for target in targets {
        assert!(target["requests"].as_u64().unwrap() > 0, "{target}");
        assert!(target["requests_per_second"].as_f64().unwrap() > 0.0, "{target}");
        assert!(target["p99_ms"].as_f64().unwrap() >= target["p50_ms"].as_f64().unwrap(), "{target}");
        assert_eq!((target["non_2xx"].as_u64(), target["socket_errors"].as_u64()), (Some(0), Some(0)), "{target}");
    }
    // 24 items and their records fill no full tile: the widest partial one is fetched
    assert!(targets[1]["path"].as_str().unwrap().starts_with("/tile/0/000.p/"), "{}", targets[1]);
    assert_eq!(targets[5]["paths_cycled"], 6);
    assert_eq!(first["errors"], 0);
    assert!(first["skipped"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().contains("--no-nginx")));
    // without nginx there is no ratio; the search aim is still judged
    assert!(first["ratios"].as_array().unwrap().iter().all(|r| r["met"].is_null() && r["value"].is_null()));
    assert!(first["aims"][1]["met"].is_boolean(), "{}", first["aims"]);

    // Built in --keep DIR, then reused from there.
    let built = report(&run("24", Some(&keep)));
    assert_eq!(built["reused"], false);
    assert!(keep.join("archive").is_dir() && keep.join("bench-http.json").is_file());
    assert!(!keep.join("staging").exists() && !keep.join("sample.jsonl").exists());
    let reused = report(&run("24", Some(&keep)));
    assert_eq!(reused["reused"], true);
    assert!(reused["build_seconds"].is_null());
    assert_eq!(reused["targets"].as_array().unwrap().len(), 6);
    // ... but not for another selection of the corpus
    let other = run("30", Some(&keep));
    assert!(!other.status.success());
    assert!(stderr(&other).contains("--max-docs 24"), "{}", stderr(&other));
}

#[test]
fn the_seal_benchmark_ingests_and_reads_both_ways_and_prints_its_ratios() {
    let temp = tempfile::tempdir().unwrap();
    let corpus = temp.path().join("corpus");
    std::fs::create_dir_all(corpus.join("sub")).unwrap();
    // one file large enough for the encryption pipeline, two small ones
    std::fs::write(corpus.join("large.bin"), random_bytes(3 * 1024 * 1024 + 17)).unwrap();
    std::fs::write(corpus.join("small.txt"), b"a small testimony").unwrap();
    std::fs::write(corpus.join("sub/other.bin"), random_bytes(70_000)).unwrap();
    let work = temp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let output = evident_command()
        .args(["bench", "seal", "--json", "--corpus"])
        .arg(&corpus)
        .arg("--dir")
        .arg(&work)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["files"], 3, "{report}");
    assert_eq!(report["bytes"], 3 * 1024 * 1024 + 17 + 17 + 70_000, "{report}");
    for key in
        ["ingest_plain_mb_s", "ingest_sealed_mb_s", "ingest_ratio", "read_plain_mb_s", "read_sealed_mb_s", "read_ratio"]
    {
        assert!(report[key].as_f64().is_some_and(|v| v > 0.0), "{key}: {report}");
    }
    // --limit takes the first files; the text report names both ratios
    let output = evident_command()
        .args(["bench", "seal", "--limit", "2", "--corpus"])
        .arg(&corpus)
        .arg("--dir")
        .arg(&work)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("2 files"), "{text}");
    assert_eq!(text.matches("ratio").count(), 3, "{text}");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "it cleans up after itself");
}
