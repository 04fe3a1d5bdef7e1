//! `evident analyze series` on the real WHO-ONT (GODT) data in ../shared/data.

use std::path::PathBuf;

use serde_json::Value;

use crate::harness::*;

fn godt() -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/godt/global-organ-donation_2018.csv");
    assert!(path.exists(), "{} is missing", path.display());
    path
}

#[test]
fn china_kidney_series_fits_repeats_and_ranks() {
    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "DD Kidney Tx", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let models: Vec<&str> = report["fits"].as_array().unwrap().iter().map(|f| f["model"].as_str().unwrap()).collect();
    assert_eq!(models, vec!["linear", "quadratic", "cubic", "quadratic_origin"]);
    for fit in report["fits"].as_array().unwrap() {
        assert!(fit["r2"].is_number() && fit["adj_r2"].is_number() && fit["coefficients"].is_array(), "{fit}");
    }
    let repeated: Vec<Vec<u64>> = report["repeated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["years"].as_array().unwrap().iter().map(|y| y.as_u64().unwrap()).collect())
        .collect();
    assert!(repeated.contains(&vec![2008, 2009]), "{repeated:?}");
    assert!(repeated.contains(&vec![2010, 2011, 2012, 2013, 2014]), "{repeated:?}");
    assert!(
        report["comparison"]["rank"].is_object() || report["comparison"]["rank"].is_number(),
        "{}",
        report["comparison"]
    );
    assert!(!report["comparison"]["series"].as_array().unwrap().is_empty());

    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "DD Kidney Tx", "--format", "html"])
        .output()
        .unwrap();
    let html = stdout(&output);
    assert!(html.contains("<svg") && !html.contains("<script"), "{}", &html[..html.len().min(500)]);
}

#[test]
fn an_unknown_column_names_the_close_ones() {
    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "Total Heart TX"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Total Heart"), "{}", stderr(&output));
}

#[test]
fn the_2004_to_2008_kidney_series_is_an_almost_perfect_quadratic_and_ranks_first() {
    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "DD Kidney Tx", "--years", "2004-2008", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["years"], serde_json::json!([2004, 2005, 2006, 2007, 2008]));
    let quadratic = report["fits"].as_array().unwrap().iter().find(|f| f["model"] == "quadratic").unwrap();
    assert!(quadratic["r2"].as_f64().unwrap() > 0.999, "{quadratic}");
    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "DD Kidney Tx", "--years", "2008-2004"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("first year is after the last"), "{}", stderr(&output));
}

#[test]
fn a_saved_report_is_an_item_that_records_its_input_and_parameters() {
    let archive = TestArchive::new();
    let output = archive
        .command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "DD Kidney Tx", "--years", "2004-2008", "--format", "json", "--save"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report_item = stderr(&output).split("saved the report as item ").nth(1).unwrap().trim().to_owned();
    let shown: Value = serde_json::from_str(&stdout(&archive.run(&["show", &report_item, "--json"]))).unwrap();
    let derived = &shown["file"]["provenance"]["derived_from"];
    assert_eq!(derived["command"], "analyze series");
    assert_eq!(derived["parameters"]["column"], "DD Kidney Tx");
    assert_eq!(derived["parameters"]["years"], serde_json::json!([2004, 2008]));
    let input = derived["inputs"][0].as_str().unwrap();
    let input_shown: Value = serde_json::from_str(&stdout(&archive.run(&["show", input, "--json"]))).unwrap();
    assert_eq!(input_shown["file"]["original_name"], "global-organ-donation_2018.csv");
    // the report's bytes are what was printed, and it has a receipt like any item
    let printed_sha = {
        use sha2::{Digest, Sha256};
        Sha256::digest(stdout(&output).as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(shown["file"]["sha256"], printed_sha.as_str());
    assert!(archive.run(&["receipt", &report_item]).status.success());
    archive.assert_verifies();

    // without an archive, --save is a clear error
    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "DD Kidney Tx", "--save"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--save needs an archive"), "{}", stderr(&output));
}

#[test]
fn capacity_is_estimated_from_beds_and_utilisation_with_stated_parameters() {
    let archive = TestArchive::new();
    let created = |args: &[&str]| -> String {
        let output = archive.run(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output).split_whitespace().next().unwrap().to_owned()
    };
    let a = created(&[
        "create",
        "facility",
        "--set",
        "name_en=Hospital A",
        "--set",
        r#"capacity=[{"measure":"beds","value":200,"date":"2005"},{"measure":"beds","value":500,"date":"2006"},{"measure":"utilisation","value":130,"date":"2006"}]"#,
    ]);
    let b = created(&[
        "create",
        "facility",
        "--set",
        "name_zh=乙医院",
        "--set",
        r#"capacity=[{"measure":"beds","value":100,"date":"2010"}]"#,
    ]);
    created(&["create", "facility", "--set", "name_en=No figures"]);
    let official = created(&[
        "create",
        "series",
        "--set",
        "name=Official transplants",
        "--set",
        r#"points=[{"period":"2005","value":9000},{"period":"2006","value":10000}]"#,
    ]);
    let output =
        archive.run(&["analyze", "capacity", "--all", "--official", &official, "--year", "2006", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let find = |id: &str| report["facilities"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap().clone();
    let estimate_a = find(&a);
    assert_eq!(estimate_a["beds"], 500.0, "the latest bed count is used");
    let low = estimate_a["annual"]["low"].as_f64().unwrap();
    assert!((low - 500.0 * 1.3 * 365.0 / 30.0).abs() < 1e-6, "{estimate_a}");
    let estimate_b = find(&b);
    assert!((estimate_b["annual"]["high"].as_f64().unwrap() - 100.0 * 365.0 / 21.0).abs() < 1e-6, "{estimate_b}");
    assert_eq!(report["estimated"], 2);
    assert_eq!(report["official"][1], 10000.0);
    assert!(report["ratio_to_official"]["low"].as_f64().unwrap() > 0.0);

    let output = archive.run(&["analyze", "capacity", "--facility", &a, "--stay-days", "14-20"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let md = stdout(&output);
    assert!(md.contains("length of stay 14–20 days"), "{md}");
    assert!(md.contains("| Hospital A"), "{md}");

    for (args, expected) in [
        (vec!["analyze", "capacity", "--all", "--stay-days", "30-20"], "LOW is above HIGH"),
        (vec!["analyze", "capacity"], "--facility ID"),
        (vec!["analyze", "capacity", "--facility", official.as_str()], "not a facility"),
    ] {
        let output = archive.run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}
