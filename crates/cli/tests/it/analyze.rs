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
