//! Reading WHO-ONT GODT exports and plain `year,value` CSV files.
//!
//! The GODT files differ from one release to the next: the 2018 export is
//! comma-separated with decimal points and a `REPORTYEAR` column; the
//! 2020-2024 one is semicolon-separated with decimal commas, a `year`
//! column, and renamed columns (`Total Heart` became `Total Heart TX`).
//! Missing values are `NA`, `#N/A` or empty. Columns are matched
//! ignoring case and white space so that one name works on both files.

use crate::AnalysisError;
use crate::series::{RawValue, Series};

/// A GODT table: one row per country and year, the numeric columns kept.
#[derive(Debug, Clone)]
pub struct GodtTable {
    columns: Vec<String>,
    rows: Vec<GodtRow>,
}

#[derive(Debug, Clone)]
pub struct GodtRow {
    pub country: String,
    pub year: i32,
    pub line: u64,
    pub values: Vec<RawValue>,
}

/// Columns that are not counts of donors or transplants: population,
/// development indices and the per-million-population copies of the
/// counts. They are kept in the table but left out of repeated-row checks
/// and of `scan`, since they change for reasons of their own (population)
/// or merely restate other columns (`pmp_`).
pub fn is_count_column(name: &str) -> bool {
    let key = normalise(name);
    !(key == "population" || key == "idh" || key == "idx_region" || key.starts_with("pmp_"))
}

/// Lower case, white space removed: `TOTAL Liver TX` and `total livertx` match.
pub fn normalise(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

fn detect_separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    if header.matches(';').count() > header.matches(',').count() { b';' } else { b',' }
}

/// Whether a CSV's header names a country column and a year column, as
/// the GODT exports do; a plain `year,value` file has no country column.
pub fn is_godt(text: &str) -> bool {
    let separator = detect_separator(text);
    let mut reader = csv::ReaderBuilder::new().delimiter(separator).flexible(true).from_reader(text.as_bytes());
    let Ok(headers) = reader.headers() else { return false };
    let names: Vec<String> = headers.iter().map(normalise).collect();
    names.iter().any(|n| n == "country") && names.iter().any(|n| n == "year" || n == "reportyear")
}

/// Parses one cell. With `;` as separator a comma is a decimal comma; with
/// `,` as separator a comma can only appear in a quoted cell, where it is
/// ambiguous (decimal comma or thousands separator?) and so refused.
pub fn parse_cell(text: &str, separator: u8) -> RawValue {
    let trimmed = text.trim();
    let upper = trimmed.to_ascii_uppercase();
    if trimmed.is_empty() || matches!(upper.as_str(), "NA" | "#N/A" | "N/A" | "NAN" | "-" | "..") {
        return RawValue::Missing(trimmed.to_owned());
    }
    let candidate = if separator == b';' && trimmed.matches(',').count() == 1 && !trimmed.contains('.') {
        trimmed.replace(',', ".")
    } else {
        trimmed.to_owned()
    };
    match candidate.parse::<f64>() {
        Ok(value) if value.is_finite() => RawValue::Number(value),
        _ => RawValue::Invalid(trimmed.to_owned()),
    }
}

/// Reads a GODT export (either release). Text columns (region,
/// development level) are dropped; every other column is kept, cells
/// parsed with [`parse_cell`].
pub fn read_godt(text: &str) -> Result<GodtTable, AnalysisError> {
    let separator = detect_separator(text);
    let mut reader = csv::ReaderBuilder::new().delimiter(separator).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| AnalysisError::Csv(e.to_string()))?.clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
    let find = |wanted: &[&str], what: &str| {
        names
            .iter()
            .position(|n| wanted.contains(&normalise(n).as_str()))
            .ok_or_else(|| AnalysisError::MissingColumn { what: what.to_owned(), columns: names.join(", ") })
    };
    let country_index = find(&["country"], "country")?;
    let year_index = find(&["reportyear", "year"], "year (REPORTYEAR or year)")?;
    let mut raw_rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AnalysisError::Csv(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let year_text = record.get(year_index).unwrap_or("").trim();
        let year = year_text.parse::<i32>().map_err(|_| AnalysisError::BadYear { line, text: year_text.to_owned() })?;
        let country = record.get(country_index).unwrap_or("").trim().to_owned();
        let cells: Vec<RawValue> =
            (0..names.len()).map(|i| parse_cell(record.get(i).unwrap_or(""), separator)).collect();
        raw_rows.push((country, year, line, cells));
    }
    // A column is numeric unless most of its non-missing cells are text.
    let keep: Vec<usize> = (0..names.len())
        .filter(|&i| i != country_index && i != year_index)
        .filter(|&i| {
            let (mut numbers, mut texts) = (0, 0);
            for (_, _, _, cells) in &raw_rows {
                match cells[i] {
                    RawValue::Number(_) => numbers += 1,
                    RawValue::Invalid(_) => texts += 1,
                    RawValue::Missing(_) => {}
                }
            }
            numbers >= texts && !(numbers == 0 && texts > 0)
        })
        .collect();
    let columns = keep.iter().map(|&i| names[i].clone()).collect();
    let rows = raw_rows
        .into_iter()
        .map(|(country, year, line, cells)| GodtRow {
            country,
            year,
            line,
            values: keep.iter().map(|&i| cells[i].clone()).collect(),
        })
        .collect();
    Ok(GodtTable { columns, rows })
}

/// Names in `candidates` that look like `wanted`: containing it, contained
/// in it, or sharing a word with it. Used for "did you mean" messages.
fn close_names<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let key = normalise(wanted);
    let words: Vec<String> = wanted.split_whitespace().map(|w| w.to_lowercase()).filter(|w| w.len() > 2).collect();
    let mut close: Vec<&str> = candidates
        .filter(|c| {
            let ck = normalise(c);
            ck.contains(&key)
                || key.contains(&ck)
                || words.iter().any(|w| c.split_whitespace().any(|cw| cw.to_lowercase() == *w))
        })
        .collect();
    close.dedup();
    if close.is_empty() { "none".to_owned() } else { close.join(", ") }
}

impl GodtTable {
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn rows(&self) -> &[GodtRow] {
        &self.rows
    }

    /// Countries in order of first appearance.
    pub fn countries(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for row in &self.rows {
            if !seen.contains(&row.country) {
                seen.push(row.country.clone());
            }
        }
        seen
    }

    /// The index of a column, matched ignoring case and white space.
    pub fn column_index(&self, wanted: &str) -> Result<usize, AnalysisError> {
        let key = normalise(wanted);
        self.columns.iter().position(|c| normalise(c) == key).ok_or_else(|| AnalysisError::UnknownColumn {
            wanted: wanted.to_owned(),
            close: close_names(wanted, self.columns.iter().map(String::as_str)),
        })
    }

    /// The country's name as the file spells it, matched ignoring case and white space.
    pub fn country_name(&self, wanted: &str) -> Result<String, AnalysisError> {
        let key = normalise(wanted);
        let countries = self.countries();
        countries.iter().find(|c| normalise(c) == key).cloned().ok_or_else(|| AnalysisError::UnknownCountry {
            wanted: wanted.to_owned(),
            close: close_names(wanted, countries.iter().map(String::as_str)),
        })
    }

    /// The raw cells of one country and column, in file order.
    pub fn raw_series(&self, country: &str, column: usize) -> Vec<(i32, RawValue)> {
        self.rows.iter().filter(|r| r.country == country).map(|r| (r.year, r.values[column].clone())).collect()
    }

    /// One country's series in one column, from its first to its last
    /// reported year (missing years inside that span are gaps).
    pub fn series(&self, country: &str, column: &str) -> Result<Series, AnalysisError> {
        let index = self.column_index(column)?;
        let country = self.country_name(country)?;
        let name = format!("{country}: {}", self.columns[index]);
        Series::parse(&name, self.raw_series(&country, index))
    }
}

/// Reads a plain CSV with a year column and a value column: the columns
/// named `year` and `value` if present, otherwise the first two.
/// Separators and decimal commas as for [`read_godt`].
pub fn read_year_value_csv(name: &str, text: &str) -> Result<Series, AnalysisError> {
    let separator = detect_separator(text);
    let mut reader = csv::ReaderBuilder::new().delimiter(separator).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| AnalysisError::Csv(e.to_string()))?.clone();
    let names: Vec<String> = headers.iter().map(normalise).collect();
    if names.len() < 2 {
        return Err(AnalysisError::MissingColumn {
            what: "value".to_owned(),
            columns: headers.iter().collect::<Vec<_>>().join(", "),
        });
    }
    let year_index = names.iter().position(|n| n == "year" || n == "reportyear").unwrap_or(0);
    let value_index = names.iter().position(|n| n == "value").unwrap_or(if year_index == 0 { 1 } else { 0 });
    let mut points = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AnalysisError::Csv(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let year_text = record.get(year_index).unwrap_or("").trim();
        if year_text.is_empty() && record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let year = year_text.parse::<i32>().map_err(|_| AnalysisError::BadYear { line, text: year_text.to_owned() })?;
        points.push((year, parse_cell(record.get(value_index).unwrap_or(""), separator)));
    }
    Series::parse(name, points)
}
