//! `evident analyze`: forensic tests of official statistics on a CSV file
//! (a GODT export selected with --country and --column, or a plain
//! year,value file), written as Markdown, HTML or JSON.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use evident_analysis::capacity::{
    CapacityParameters, FacilityInput, Range, capacity_markdown, estimate_capacity, utilisation_fraction,
};
use evident_analysis::render;
use evident_analysis::{ComparisonGroup, analyze_godt_series, analyze_series, read_godt, read_year_value_csv, scan};
use evident_core::RecordKind;
use serde_json::Value;

#[derive(clap::Subcommand)]
pub enum AnalyzeCommand {
    /// Fits (linear, quadratic, cubic, a·k²), repeated figures, ratios and the comparison group of one series
    Series {
        /// A CSV file: a GODT export (with --country and --column) or year,value columns
        series: PathBuf,
        /// The country, for a GODT file (case and spaces ignored)
        #[arg(long)]
        country: Option<String>,
        /// The column, for a GODT file (case and spaces ignored)
        #[arg(long)]
        column: Option<String>,
        /// Compare with `all` other countries (the default) or a comma-separated list
        #[arg(long, value_name = "GROUP")]
        compare: Option<String>,
        /// Only these years, e.g. 2004-2008 (comparison series are cut the same way)
        #[arg(long, value_name = "FIRST-LAST")]
        years: Option<String>,
        /// md, html or json
        #[arg(long, default_value = "md")]
        format: String,
        /// Write the report here instead of standard output
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Also keep the report in the archive (--archive) as an item, with the input file as an item
        /// and the parameters recorded in its provenance
        #[arg(long)]
        save: bool,
    },
    /// Annual transplant capacity of facilities from their beds and utilisation, with the assumptions as parameters
    Capacity {
        /// A facility id (repeatable)
        #[arg(long = "facility", value_name = "ID")]
        facilities: Vec<String>,
        /// Every facility in the archive that is not retracted
        #[arg(long, conflicts_with = "facilities")]
        all: bool,
        /// Average length of stay of a transplant patient, days, LOW-HIGH
        #[arg(long, default_value = "21-30")]
        stay_days: String,
        /// Share of the counted beds used for transplant patients, LOW-HIGH
        #[arg(long, default_value = "1-1")]
        share: String,
        /// Utilisation to assume where a facility states none, LOW-HIGH (1 = 100 %)
        #[arg(long, default_value = "0.8-1")]
        utilisation: String,
        /// A series record with the official national total to compare with
        #[arg(long, value_name = "SERIES")]
        official: Option<String>,
        /// The year of the official total to use (default: the series' latest point)
        #[arg(long)]
        year: Option<i32>,
        /// md or json
        #[arg(long, default_value = "md")]
        format: String,
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Every test over every country and column of a GODT file
    Scan {
        file: PathBuf,
        /// md, html or json
        #[arg(long, default_value = "md")]
        format: String,
        /// Write the report here instead of standard output
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
}

fn check_format(format: &str) -> Result<()> {
    if !matches!(format, "md" | "html" | "json") {
        bail!("unknown format {format:?}: use md, html or json");
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text; save it as UTF-8 CSV", path.display()))
}

fn write_output(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

pub fn run(cmd: &AnalyzeCommand, archive: Option<&Path>, key_file: Option<&Path>) -> Result<ExitCode> {
    match cmd {
        AnalyzeCommand::Series { series, country, column, compare, years, format, output, save } => {
            check_format(format)?;
            let years = years.as_deref().map(parse_years).transpose()?;
            let text = read_text(series)?;
            let name = series.file_name().map_or("series".into(), |n| n.to_string_lossy().into_owned());
            let report = match (country, column) {
                (Some(country), Some(column)) => {
                    let table = read_godt(&text).with_context(|| format!("reading {}", series.display()))?;
                    let group = compare.as_deref().map_or(ComparisonGroup::All, ComparisonGroup::parse);
                    analyze_godt_series(&table, country, column, years, &group)?
                }
                (None, None) => {
                    if compare.is_some() || years.is_some() {
                        bail!("--compare and --years need a GODT file with --country and --column");
                    }
                    analyze_series(&read_year_value_csv(&name, &text)?)
                }
                _ => bail!("--country and --column go together: give both for a GODT file, neither for year,value"),
            };
            let text = match format.as_str() {
                "json" => serde_json::to_string_pretty(&report)? + "\n",
                "html" => render::series_html(&report),
                _ => render::series_markdown(&report),
            };
            write_output(output.as_deref(), &text)?;
            if *save {
                let parameters = serde_json::json!({
                    "country": country, "column": column, "years": years.map(|(a, b)| [a, b]),
                    "compare": compare, "format": format,
                });
                let name = format!("analysis-{}.{}", slug(&report.name), extension(format));
                let item = save_report(archive, key_file, series, &name, &text, "analyze series", parameters)?;
                eprintln!("saved the report as item {item}");
            }
            Ok(ExitCode::SUCCESS)
        }
        AnalyzeCommand::Capacity { facilities, all, stay_days, share, utilisation, official, year, format, output } => {
            if format != "md" && format != "json" {
                bail!("--format {format:?}: use md or json");
            }
            let parameters = CapacityParameters {
                length_of_stay_days: parse_range("--stay-days", stay_days)?,
                transplant_share: parse_range("--share", share)?,
                default_utilisation: parse_range("--utilisation", utilisation)?,
            };
            let dir =
                archive.context("analyze capacity reads the archive: pass --archive DIR or set EVIDENT_ARCHIVE")?;
            let archive = evident_archive::Archive::open(dir, key_file)?;
            let records = if *all {
                archive.records(RecordKind::Facility)?.into_iter().filter(|r| !r.retracted).collect()
            } else if facilities.is_empty() {
                bail!("name facilities with --facility ID, or pass --all");
            } else {
                facilities.iter().map(|id| archive.record(id)).collect::<Result<Vec<_>, _>>()?
            };
            let inputs = records.iter().map(facility_input).collect::<Result<Vec<_>>>()?;
            let official = match official {
                Some(id) => Some(official_total(&archive.record(id)?, *year)?),
                None => None,
            };
            let report = estimate_capacity(&inputs, &parameters, official);
            let text = if format == "json" {
                serde_json::to_string_pretty(&report)? + "\n"
            } else {
                capacity_markdown(&report)
            };
            write_output(output.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        AnalyzeCommand::Scan { file, format, output } => {
            check_format(format)?;
            let table = read_godt(&read_text(file)?).with_context(|| format!("reading {}", file.display()))?;
            let report = scan(&table);
            let text = match format.as_str() {
                "json" => serde_json::to_string_pretty(&report)? + "\n",
                "html" => render::scan_html(&report),
                _ => render::scan_markdown(&report),
            };
            write_output(output.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `2004-2008` (or `2004..2008`, `2004–2008`) as the first and last year.
fn parse_years(text: &str) -> Result<(i32, i32)> {
    let parts: Vec<&str> = text.split(['-', '–']).filter(|p| !p.is_empty()).collect();
    let parts = if parts.len() == 1 { text.split("..").collect() } else { parts };
    match parts.as_slice() {
        [first, last] => {
            let first: i32 =
                first.trim().parse().with_context(|| format!("--years {text:?}: {first:?} is not a year"))?;
            let last: i32 = last.trim().parse().with_context(|| format!("--years {text:?}: {last:?} is not a year"))?;
            if first > last {
                bail!("--years {text:?}: the first year is after the last");
            }
            Ok((first, last))
        }
        _ => bail!("--years {text:?}: expected FIRST-LAST, e.g. 2004-2008"),
    }
}

fn extension(format: &str) -> &'static str {
    match format {
        "json" => "json",
        "html" => "html",
        _ => "md",
    }
}

fn slug(text: &str) -> String {
    let slug: String = text.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    slug.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// Keeps a report as evidence: the input file becomes (or already is) an
/// item, and the report becomes an item whose provenance records the
/// command, its parameters and the input item, so the analysis has a
/// receipt like any other item. Returns the report's item id.
fn save_report(
    archive: Option<&Path>,
    key_file: Option<&Path>,
    input: &Path,
    name: &str,
    report: &str,
    command: &str,
    parameters: serde_json::Value,
) -> Result<String> {
    use evident_archive::{AddConfig, AddOutcome, AddStatus, Archive};
    let dir = archive.context("--save needs an archive: pass --archive DIR or set EVIDENT_ARCHIVE")?;
    let mut archive =
        Archive::open(dir, key_file).with_context(|| format!("cannot open the archive {}", dir.display()))?;
    let actor = crate::default_actor();
    let add_one = |archive: &mut Archive, path: &Path, config: &AddConfig| -> Result<String> {
        let mut outcomes: Vec<AddOutcome> = Vec::new();
        archive.add(&[path.to_path_buf()], config, &mut |o: &AddOutcome| outcomes.push(o.clone()))?;
        match outcomes.as_slice() {
            [AddOutcome { status: AddStatus::Added | AddStatus::Duplicate, item: Some(item), .. }] => Ok(item.clone()),
            [AddOutcome { error: Some(error), .. }] => bail!("cannot add {}: {error}", path.display()),
            _ => bail!("cannot add {}", path.display()),
        }
    };
    let plain = AddConfig { actor: actor.clone(), unpack: false, ..AddConfig::default() };
    let input_item = add_one(&mut archive, input, &plain)?;
    let scratch = std::env::temp_dir().join(format!("evident-report-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let path = scratch.join(name);
    std::fs::write(&path, report).with_context(|| format!("cannot write {}", path.display()))?;
    let derived = AddConfig {
        derived_from: Some(serde_json::json!({"command": command, "parameters": parameters, "inputs": [input_item]})),
        ..plain
    };
    let result = add_one(&mut archive, &path, &derived);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn parse_range(flag: &str, text: &str) -> Result<Range> {
    let (low, high) = text.split_once('-').unwrap_or((text, text));
    let parse = |part: &str| -> Result<f64> {
        let value: f64 = part.trim().parse().with_context(|| format!("{flag} {text:?}: {part:?} is not a number"))?;
        if !value.is_finite() || value <= 0.0 {
            bail!("{flag} {text:?}: values must be positive");
        }
        Ok(value)
    };
    let range = Range { low: parse(low)?, high: parse(high)? };
    if range.low > range.high {
        bail!("{flag} {text:?}: LOW is above HIGH");
    }
    Ok(range)
}

/// The latest figure of a capacity measure: (value, date text).
fn latest_capacity(fields: &serde_json::Map<String, Value>, measure: &str) -> Option<(f64, String)> {
    let entries = fields.get("capacity")?.as_array()?;
    entries
        .iter()
        .filter(|e| e["measure"] == measure)
        .filter_map(|e| {
            let value = e["value"].as_f64()?;
            let end = e["date"]["end"].as_str().unwrap_or("").to_owned();
            let text = e["date"]["text"].as_str().unwrap_or("undated").to_owned();
            Some((end, value, text))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, value, text)| (value, text))
}

fn facility_input(record: &evident_archive::RecordView) -> Result<FacilityInput> {
    if record.kind != "facility" {
        bail!("{} is a {}, not a facility", record.id, record.kind);
    }
    let name = ["name_en", "name_zh"]
        .iter()
        .find_map(|field| record.fields.get(*field).and_then(Value::as_str))
        .unwrap_or(&record.id)
        .to_owned();
    Ok(FacilityInput {
        id: record.id.clone(),
        name,
        beds: latest_capacity(&record.fields, "beds"),
        utilisation: latest_capacity(&record.fields, "utilisation").map(|(v, d)| (utilisation_fraction(v), d)),
    })
}

/// The official total from a series record: the point of `year`, or the latest.
fn official_total(series: &evident_archive::RecordView, year: Option<i32>) -> Result<(String, f64)> {
    if series.kind != "series" {
        bail!("{} is a {}, not a series", series.id, series.kind);
    }
    let name = evident_archive::display_text(series.fields.get("name"));
    let points = series.fields.get("points").and_then(Value::as_array).cloned().unwrap_or_default();
    let point = points
        .iter()
        .filter(|p| p["value"].is_number())
        .filter(|p| year.is_none_or(|y| p["period"]["start"].as_str().is_some_and(|s| s.starts_with(&y.to_string()))))
        .max_by(|a, b| a["period"]["end"].as_str().unwrap_or("").cmp(b["period"]["end"].as_str().unwrap_or("")))
        .with_context(|| match year {
            Some(y) => format!("series {} has no value for {y}", series.id),
            None => format!("series {} has no values", series.id),
        })?;
    let period = point["period"]["text"].as_str().unwrap_or("").to_owned();
    Ok((format!("{name}, {period}"), point["value"].as_f64().unwrap_or(0.0)))
}
