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

fn godt_file(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/godt").join(name);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// The derived_from of a report saved by `command`, read back with `show`.
fn saved_provenance(archive: &TestArchive, output: &std::process::Output) -> (String, Value) {
    assert!(output.status.success(), "{}", stderr(output));
    let item = stderr(output).split("saved the report as item ").nth(1).unwrap().trim().to_owned();
    let shown: Value = serde_json::from_str(&stdout(&archive.run(&["show", &item, "--json"]))).unwrap();
    (item, shown["file"]["provenance"]["derived_from"].clone())
}

/// China's heart transplants in 2016: GODT has 368, Huang Jiefu gave 380
/// on CCTV (claims_published_figures.csv, C07). Checked by hand: difference
/// 380 − 368 = 12, relative 12 / 368 = 0.0326…, to 1e-9.
#[test]
fn consistency_of_godt_with_published_figures() {
    let archive = TestArchive::new();
    let published = archive.write_input("published-heart.csv", b"year,value\n2016,380\n");
    let output = evident_command()
        .args(["analyze", "consistency"])
        .arg(godt())
        .arg(&published)
        .args(["--country", "China", "--column", "Total Heart", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let c = &report["consistency"];
    let year = &c["years"][0];
    assert_eq!(c["years"].as_array().unwrap().len(), 1);
    assert_eq!(
        (year["year"].as_i64(), year["first"].as_f64(), year["second"].as_f64()),
        (Some(2016), Some(368.0), Some(380.0))
    );
    assert_eq!(year["difference"], 12.0);
    let relative = year["relative_difference"].as_f64().unwrap();
    assert!((relative - 12.0 / 368.0).abs() <= 1e-9 * (12.0 / 368.0), "{relative}");
    assert_eq!(c["only_in_first"], serde_json::json!([2004, 2008, 2009, 2010, 2011, 2012, 2013, 2014, 2015]));
    assert_eq!(c["only_in_second"], serde_json::json!([]));
    assert_eq!(c["summary"]["common_years"], 1);
    assert!(c["summary"]["mean_absolute_relative_difference"].is_null(), "not meaningful on one year");
    assert!(c["summary"]["not_meaningful"].as_str().unwrap().contains("1 common year"));
    assert!(c["method"].as_str().unwrap().contains("relative difference = (second − first) / first"));

    let output = evident_command()
        .args(["analyze", "consistency"])
        .arg(godt())
        .arg(&published)
        .args(["--country", "china", "--column", "total heart"])
        .output()
        .unwrap();
    let md = stdout(&output);
    assert!(md.contains("| 2016 | 368 | 380 | +12 | +3.26 % |"), "{md}");
    assert!(md.contains("- years only in the first source: 2004, 2008, 2009"), "{md}");
    assert!(md.contains("summary statistics not meaningful: 1 common year(s)"), "{md}");

    let output = evident_command()
        .args(["analyze", "consistency"])
        .arg(godt())
        .arg(&published)
        .args(["--country", "China", "--column", "Total Heart", "--format", "html"])
        .output()
        .unwrap();
    let html = stdout(&output);
    assert_eq!(html.matches("<svg").count(), 1, "a chart of both sources");
    assert!(html.contains("class=\"first-source\"") && html.contains("class=\"second-source\""));
    assert!(!html.contains("<script"));
}

/// Two files of one GODT release (the 2018 export and its China extract)
/// agree in every year: the report says they are one source, not two. And
/// `analyze series --against` carries the same comparison, with the
/// second file's country and column defaulting to the series'.
#[test]
fn identical_sources_are_called_one_source_and_series_takes_against() {
    let output = evident_command()
        .args(["analyze", "consistency"])
        .arg(godt())
        .arg(godt_file("china_rows_2000_2017.csv"))
        .args(["--country", "China", "--column", "DD Kidney Tx", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let summary = &report["consistency"]["summary"];
    assert_eq!(summary["common_years"], 13);
    assert_eq!(summary["identical_years"].as_array().unwrap().len(), 13);
    assert_eq!(summary["mean_absolute_relative_difference"], 0.0);
    let findings = report["consistency"]["findings"][0].as_str().unwrap();
    assert!(findings.contains("identical figures in every common year"), "{findings}");

    let temp = tempfile::tempdir().unwrap();
    let lung = temp.path().join("lung-published.csv");
    std::fs::write(&lung, "year,value\n2016,204\n").unwrap();
    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "TOTAL Lung Tx", "--format", "json", "--against"])
        .arg(&lung)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["fits"].is_array());
    let consistency = &report["consistency"];
    assert_eq!(consistency["years"][0]["year"], 2016);
    assert_eq!(consistency["years"][0]["first"], 204.0);
    assert_eq!(consistency["years"][0]["relative_difference"], 0.0);
    assert_eq!(consistency["summary"]["identical_years"], serde_json::json!([2016]));

    let output = evident_command()
        .args(["analyze", "series"])
        .arg(godt())
        .args(["--country", "China", "--column", "TOTAL Lung Tx", "--format", "html", "--against"])
        .arg(&lung)
        .output()
        .unwrap();
    let html = stdout(&output);
    assert!(html.contains("<h2>Consistency with a second source</h2>"), "{}", &html[..html.len().min(300)]);
    assert!(html.contains("class=\"consistency\""));
}

#[test]
fn consistency_refuses_bad_input_clearly() {
    let temp = tempfile::tempdir().unwrap();
    // C27: 5,146 deceased donors in 2017, a year GODT's 2018 export lacks for China
    let donors = temp.path().join("donors-2017.csv");
    std::fs::write(&donors, "year,value\n2017,5146\n").unwrap();
    let text = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let (godt, later) = (text(&godt()), text(&godt_file("df_transplants_godt_hdro_2020_2024.csv")));
    let missing = text(&temp.path().join("missing.csv"));
    let donors = text(&donors);
    let dd = ["--country", "China", "--column", "TOTAL Actual DD"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&["analyze", "consistency", &godt, &donors][..], &dd[..]].concat(),
            "has years 2015–2016 (2 years), donors-2017.csv has 2017 (1 year): no year in common",
        ),
        (
            [&["analyze", "consistency", &godt, &later][..], &dd[..]].concat(),
            "has 2020–2024 (5 years): no year in common",
        ),
        ([&["analyze", "series", &godt, "--against", &donors][..], &dd[..]].concat(), "no year in common"),
        (vec!["analyze", "consistency", &missing, &donors], "cannot read"),
        (vec!["analyze", "consistency", &godt, &donors], "is a GODT file (it has country and year columns)"),
        (
            [&["analyze", "consistency", &godt, &donors, "--second-country", "China"][..], &dd[..]].concat(),
            "is a year,value file (it has no country column): --second-country and --second-column are for GODT",
        ),
        (
            vec!["analyze", "consistency", &godt, &later, "--country", "China", "--column", "Total Heart"],
            "no column matches \"Total Heart\"; close names:",
        ),
        ([&["analyze", "consistency", &godt, &donors, "--format", "pdf"][..], &dd[..]].concat(), "unknown format"),
    ];
    for (args, expected) in cases {
        let output = evident_command().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stdout(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

/// One run of the scan over the whole 2018 export: the HTML has one chart
/// per test with China (the country with the most repeated figures)
/// marked, and --save keeps it as an item with its input and parameters.
#[test]
fn scan_charts_and_saved_scan() {
    let archive = TestArchive::new();
    let output =
        archive.command().args(["analyze", "scan"]).arg(godt()).args(["--format", "html", "--save"]).output().unwrap();
    let (item, derived) = saved_provenance(&archive, &output);
    let html = stdout(&output);
    let tests = [
        "linear R²",
        "quadratic R²",
        "cubic R²",
        "quadratic_origin R²",
        "longest run of identical values (years)",
        "ratio variability (CV)",
    ];
    assert_eq!(html.matches("<svg").count(), tests.len());
    for test in tests {
        assert!(html.contains(&format!("<title>{test}: distribution across countries</title>")), "{test}");
    }
    for svg in html.split("<svg").skip(1) {
        let svg = svg.split("</svg>").next().unwrap();
        let marked = svg.split("<g class=\"marked\"").nth(1).expect("a marked element in every chart");
        let marked = marked.split("</g>").next().unwrap();
        assert!(marked.contains("data-country=\"China\"") && marked.contains(">China</text>"), "{marked}");
    }
    assert!(html.contains("Marked: China. Why: the most figures repeated from an earlier year"));

    assert_eq!(derived["command"], "analyze scan");
    assert_eq!(derived["parameters"]["format"], "html");
    assert_eq!(derived["parameters"]["file"], "global-organ-donation_2018.csv");
    let input = derived["inputs"][0].as_str().unwrap();
    let input_shown: Value = serde_json::from_str(&stdout(&archive.run(&["show", input, "--json"]))).unwrap();
    assert_eq!(input_shown["file"]["original_name"], "global-organ-donation_2018.csv");
    let shown: Value = serde_json::from_str(&stdout(&archive.run(&["show", &item, "--json"]))).unwrap();
    let printed_sha = {
        use sha2::{Digest, Sha256};
        Sha256::digest(html.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(shown["file"]["sha256"], printed_sha.as_str());
    archive.assert_verifies();
}

#[test]
fn scan_marks_the_named_country_and_refuses_what_it_cannot_read() {
    let china = godt_file("china_rows_2000_2017.csv");
    let output = evident_command().args(["analyze", "scan"]).arg(&china).args(["--format", "json"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["marked"], serde_json::json!(["China"]));
    let output = evident_command().args(["analyze", "scan"]).arg(godt()).args(["--mark", "Chna"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no country matches \"Chna\""), "{}", stderr(&output));
    let temp = tempfile::tempdir().unwrap();
    let plain = temp.path().join("plain.csv");
    std::fs::write(&plain, "year,value\n2010,1\n").unwrap();
    let output = evident_command().args(["analyze", "scan"]).arg(&plain).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not a GODT file"), "{}", stderr(&output));
    let output = evident_command().args(["analyze", "scan"]).arg(temp.path().join("none.csv")).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read"), "{}", stderr(&output));
}

#[test]
fn a_saved_capacity_report_records_its_facilities_series_and_assumptions() {
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
        r#"capacity=[{"measure":"beds","value":46,"date":"2015"},{"measure":"utilisation","value":130,"date":"2015"}]"#,
    ]);
    let official = created(&[
        "create",
        "series",
        "--set",
        "name=Official transplants",
        "--set",
        r#"points=[{"period":"2015","value":10000}]"#,
    ]);
    let output = archive.run(&[
        "analyze",
        "capacity",
        "--facility",
        &a,
        "--stay-days",
        "14-20",
        "--official",
        &official,
        "--format",
        "json",
        "--save",
    ]);
    let (item, derived) = saved_provenance(&archive, &output);
    assert_eq!(derived["command"], "analyze capacity");
    assert_eq!(derived["inputs"], serde_json::json!([a, official]));
    assert_eq!(derived["parameters"]["stay_days"], "14-20");
    assert_eq!(derived["parameters"]["assumptions"]["length_of_stay_days"]["low"], 14.0);
    assert_eq!(derived["parameters"]["facilities"], serde_json::json!([a]));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!((report["total"]["high"].as_f64().unwrap() - 46.0 * 1.3 * 365.0 / 14.0).abs() < 1e-9);
    assert!(archive.run(&["receipt", &item]).status.success());
    archive.assert_verifies();

    // without an archive there is nothing to read, let alone save to
    let output = evident_command().args(["analyze", "capacity", "--all", "--save"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--archive"), "{}", stderr(&output));
}
