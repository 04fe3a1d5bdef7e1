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
use evident_analysis::table::is_godt;
use evident_analysis::{
    ComparisonGroup, Series, analyze_godt_series, analyze_series, compare_sources, read_godt, read_year_value_csv, scan,
};
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
        /// A second source of the same quantity to check this series against, year by year: a year,value
        /// CSV, or a GODT file (the same country and column unless --against-country/--against-column)
        #[arg(long, value_name = "FILE")]
        against: Option<PathBuf>,
        /// The country in the --against GODT file (default: --country)
        #[arg(long, requires = "against")]
        against_country: Option<String>,
        /// The column in the --against GODT file (default: --column)
        #[arg(long, requires = "against")]
        against_column: Option<String>,
        /// Also keep the report in the archive (--archive) as an item, with the input file as an item
        /// and the parameters recorded in its provenance
        #[arg(long)]
        save: bool,
    },
    /// Consistency of two sources of the same quantity: per year both values, the difference and relative
    /// difference, years only in one source, summary statistics, identical figures, caveats
    Consistency {
        /// The first source, the reference for relative differences: a GODT file (with --country and
        /// --column) or a year,value CSV
        first: PathBuf,
        /// The second source: a GODT file (the same country and column unless --second-country and
        /// --second-column) or a year,value CSV
        second: PathBuf,
        /// The country, for a GODT file (case and spaces ignored)
        #[arg(long)]
        country: Option<String>,
        /// The column, for a GODT file (case and spaces ignored)
        #[arg(long)]
        column: Option<String>,
        /// The country in the second source, if it is a GODT file (default: --country)
        #[arg(long)]
        second_country: Option<String>,
        /// The column in the second source, if it is a GODT file (default: --column)
        #[arg(long)]
        second_column: Option<String>,
        /// Only these years of both sources, e.g. 2010-2016
        #[arg(long, value_name = "FIRST-LAST")]
        years: Option<String>,
        /// md, html or json
        #[arg(long, default_value = "md")]
        format: String,
        /// Write the report here instead of standard output
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Also keep the report in the archive (--archive) as an item, with both input files as items
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
        /// Also keep the report in the archive as an item, with the facility and series records as
        /// its inputs and the parameters recorded in its provenance
        #[arg(long)]
        save: bool,
    },
    /// Every test over every country and column of a GODT file
    Scan {
        file: PathBuf,
        /// Mark this country in the distributions and charts (repeatable; default: the country with the
        /// most figures repeated from an earlier year)
        #[arg(long, value_name = "COUNTRY")]
        mark: Vec<String>,
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
        AnalyzeCommand::Series {
            series,
            country,
            column,
            compare,
            years,
            format,
            output,
            against,
            against_country,
            against_column,
            save,
        } => {
            check_format(format)?;
            let years = years.as_deref().map(parse_years).transpose()?;
            let text = read_text(series)?;
            let name = series.file_name().map_or("series".into(), |n| n.to_string_lossy().into_owned());
            let mut report = match (country, column) {
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
            if let Some(against) = against {
                let points: Vec<(i32, f64)> = report.years.iter().copied().zip(report.values.iter().copied()).collect();
                let this = Series::from_points(&report.name, &points)?;
                let other = load_source(
                    against,
                    (against_country.as_deref(), against_column.as_deref()),
                    (country.as_deref(), column.as_deref()),
                    ("--against-country", "--against-column"),
                )?;
                let other = cut(other, years)?;
                report.consistency = Some(compare_sources(&this, &name, &other, &file_name(against))?);
            }
            let text = match format.as_str() {
                "json" => serde_json::to_string_pretty(&report)? + "\n",
                "html" => render::series_html(&report),
                _ => render::series_markdown(&report),
            };
            write_output(output.as_deref(), &text)?;
            if *save {
                let parameters = serde_json::json!({
                    "country": country, "column": column, "years": years.map(|(a, b)| [a, b]),
                    "compare": compare, "format": format, "against": against.as_deref().map(file_name),
                    "against_country": against_country, "against_column": against_column,
                });
                let name = format!("analysis-{}.{}", slug(&report.name), extension(format));
                let files: Vec<&Path> = std::iter::once(series.as_path()).chain(against.as_deref()).collect();
                let mut archive = open_for_save(archive, key_file)?;
                let item = save_report(&mut archive, &files, &[], &name, &text, "analyze series", parameters)?;
                eprintln!("saved the report as item {item}");
            }
            Ok(ExitCode::SUCCESS)
        }
        AnalyzeCommand::Consistency {
            first,
            second,
            country,
            column,
            second_country,
            second_column,
            years,
            format,
            output,
            save,
        } => {
            check_format(format)?;
            let window = years.as_deref().map(parse_years).transpose()?;
            let one =
                load_source(first, (country.as_deref(), column.as_deref()), (None, None), ("--country", "--column"))?;
            let two = load_source(
                second,
                (second_country.as_deref(), second_column.as_deref()),
                (country.as_deref(), column.as_deref()),
                ("--second-country", "--second-column"),
            )?;
            let report =
                compare_sources(&cut(one, window)?, &file_name(first), &cut(two, window)?, &file_name(second))?;
            let text = match format.as_str() {
                "json" => serde_json::to_string_pretty(&serde_json::json!({ "consistency": report }))? + "\n",
                "html" => render::consistency_html(&report),
                _ => render::consistency_markdown(&report),
            };
            write_output(output.as_deref(), &text)?;
            if *save {
                let parameters = serde_json::json!({
                    "first": file_name(first), "second": file_name(second),
                    "country": country, "column": column,
                    "second_country": second_country, "second_column": second_column,
                    "years": window.map(|(a, b)| [a, b]), "format": format,
                });
                let name = format!("consistency-{}.{}", slug(&report.first.series), extension(format));
                let mut archive = open_for_save(archive, key_file)?;
                let files = [first.as_path(), second.as_path()];
                let item = save_report(&mut archive, &files, &[], &name, &text, "analyze consistency", parameters)?;
                eprintln!("saved the report as item {item}");
            }
            Ok(ExitCode::SUCCESS)
        }
        AnalyzeCommand::Capacity {
            facilities,
            all,
            stay_days,
            share,
            utilisation,
            official,
            year,
            format,
            output,
            save,
        } => {
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
            let mut archive = evident_archive::Archive::open(dir, key_file)?;
            let records = if *all {
                archive.records(RecordKind::Facility)?.into_iter().filter(|r| !r.retracted).collect()
            } else if facilities.is_empty() {
                bail!("name facilities with --facility ID, or pass --all");
            } else {
                facilities.iter().map(|id| archive.record(id)).collect::<Result<Vec<_>, _>>()?
            };
            let inputs = records.iter().map(facility_input).collect::<Result<Vec<_>>>()?;
            let official_total = match official {
                Some(id) => Some(official_total(&archive.record(id)?, *year)?),
                None => None,
            };
            let report = estimate_capacity(&inputs, &parameters, official_total);
            let text = if format == "json" {
                serde_json::to_string_pretty(&report)? + "\n"
            } else {
                capacity_markdown(&report)
            };
            write_output(output.as_deref(), &text)?;
            if *save {
                let parameters = serde_json::json!({
                    "facilities": facilities, "all": all, "stay_days": stay_days, "share": share,
                    "utilisation": utilisation, "official": official, "year": year, "format": format,
                    "assumptions": parameters,
                });
                let inputs: Vec<String> =
                    records.iter().map(|r| r.id.clone()).chain(official.iter().cloned()).collect();
                let name = format!("analysis-capacity.{}", extension(format));
                let item = save_report(&mut archive, &[], &inputs, &name, &text, "analyze capacity", parameters)?;
                eprintln!("saved the report as item {item}");
            }
            Ok(ExitCode::SUCCESS)
        }
        AnalyzeCommand::Scan { file, mark, format, output, save } => {
            check_format(format)?;
            let text = read_text(file)?;
            if !is_godt(&text) {
                bail!(
                    "{} is not a GODT file (no country and year columns); analyze scan reads GODT exports, \
                     analyze series reads year,value files",
                    file.display()
                );
            }
            let table = read_godt(&text).with_context(|| format!("reading {}", file.display()))?;
            // An unknown country is reported before the slow part.
            for name in mark {
                table.country_name(name)?;
            }
            let mut report = scan(&table);
            if !mark.is_empty() {
                report.mark_countries(&table, mark)?;
            }
            let text = match format.as_str() {
                "json" => serde_json::to_string_pretty(&report)? + "\n",
                "html" => render::scan_html(&report),
                _ => render::scan_markdown(&report),
            };
            write_output(output.as_deref(), &text)?;
            if *save {
                let parameters = serde_json::json!({ "file": file_name(file), "mark": mark, "format": format });
                let name = format!("scan-{}.{}", slug(&file_name(file)), extension(format));
                let mut archive = open_for_save(archive, key_file)?;
                let item = save_report(&mut archive, &[file], &[], &name, &text, "analyze scan", parameters)?;
                eprintln!("saved the report as item {item}");
            }
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

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// A series from a file given as a source. A GODT file needs a country and
/// a column: the ones `given` for this source, else those `inherited` from
/// the other source. A year,value file takes neither.
fn load_source(
    path: &Path,
    given: (Option<&str>, Option<&str>),
    inherited: (Option<&str>, Option<&str>),
    flags: (&str, &str),
) -> Result<Series> {
    let text = read_text(path)?;
    if is_godt(&text) {
        let (Some(country), Some(column)) = (given.0.or(inherited.0), given.1.or(inherited.1)) else {
            bail!(
                "{} is a GODT file (it has country and year columns): name the series with {} and {}",
                path.display(),
                flags.0,
                flags.1
            );
        };
        let table = read_godt(&text).with_context(|| format!("reading {}", path.display()))?;
        Ok(table.series(country, column).with_context(|| format!("in {}", path.display()))?)
    } else {
        if given.0.is_some() || given.1.is_some() {
            bail!(
                "{} is a year,value file (it has no country column): {} and {} are for GODT files",
                path.display(),
                flags.0,
                flags.1
            );
        }
        Ok(read_year_value_csv(&file_name(path), &text).with_context(|| format!("reading {}", path.display()))?)
    }
}

/// The series cut to `window`, if one is given.
fn cut(series: Series, window: Option<(i32, i32)>) -> Result<Series> {
    match window {
        Some((first, last)) => Ok(series.window(first, last)?),
        None => Ok(series),
    }
}

fn open_for_save(archive: Option<&Path>, key_file: Option<&Path>) -> Result<evident_archive::Archive> {
    let dir = archive.context("--save needs an archive: pass --archive DIR or set EVIDENT_ARCHIVE")?;
    evident_archive::Archive::open(dir, key_file).with_context(|| format!("cannot open the archive {}", dir.display()))
}

/// Keeps a report as evidence: each input file becomes (or already is) an
/// item, and the report becomes an item whose provenance records the
/// command, its parameters and the inputs — those items and the `records`
/// (facilities, series) the report was computed from — so the analysis has
/// a receipt like any other item. Returns the report's item id.
fn save_report(
    archive: &mut evident_archive::Archive,
    files: &[&Path],
    records: &[String],
    name: &str,
    report: &str,
    command: &str,
    parameters: serde_json::Value,
) -> Result<String> {
    use evident_archive::{AddConfig, AddOutcome, AddStatus, Archive};
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
    let mut inputs = Vec::new();
    for file in files {
        inputs.push(add_one(archive, file, &plain)?);
    }
    inputs.extend(records.iter().cloned());
    let scratch = std::env::temp_dir().join(format!("evident-report-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let path = scratch.join(name);
    std::fs::write(&path, report).with_context(|| format!("cannot write {}", path.display()))?;
    let derived = AddConfig {
        derived_from: Some(serde_json::json!({"command": command, "parameters": parameters, "inputs": inputs})),
        ..plain
    };
    let result = add_one(archive, &path, &derived);
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
