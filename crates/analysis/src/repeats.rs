//! Figures that repeat: runs of identical values within one series, and
//! whole rows of a GODT table that repeat an earlier year's figures.
//!
//! Real counts of donors and transplants almost never stay exactly equal
//! from one year to the next, and a row of twenty counts that equals an
//! earlier row is a copied row, not a coincidence. Zero is left out of
//! runs: a long run of zeros is a country without that programme.

use serde::Serialize;

use crate::series::Series;
use crate::table::{GodtTable, is_count_column};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RepeatKind {
    /// Consecutive years of one series with the same value.
    IdenticalValues,
    /// Years whose figures in every count column equal an earlier year's.
    RepeatedRow,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Repeat {
    pub kind: RepeatKind,
    /// All years of the run, the first being the original.
    pub years: Vec<i32>,
    /// The repeated value (runs of identical values only).
    pub value: Option<f64>,
    /// Number of columns that hold the same figures (repeated rows only).
    pub columns_equal: Option<usize>,
}

/// Runs of two or more consecutive years with the same non-zero value.
pub fn identical_runs(series: &Series) -> Vec<Repeat> {
    let mut runs = Vec::new();
    let points = series.points();
    let mut start = 0;
    for i in 1..=points.len() {
        let continues =
            i < points.len() && points[i].value == points[start].value && points[i].year == points[i - 1].year + 1;
        if !continues {
            if i - start >= 2 && points[start].value != 0.0 {
                runs.push(Repeat {
                    kind: RepeatKind::IdenticalValues,
                    years: points[start..i].iter().map(|p| p.year).collect(),
                    value: Some(points[start].value),
                    columns_equal: None,
                });
            }
            start = i;
        }
    }
    runs
}

/// The fewest non-zero figures two rows must share before their equality
/// counts as a repeat; rows of a country that reports one or two numbers
/// match by chance.
pub const MIN_SHARED_FIGURES: usize = 3;

/// Compares two rows on the count columns. `NA` and 0 are treated alike,
/// because GODT switches between them for "nothing reported" (China's 2014
/// row has 0 where 2010–2013 have NA). Returns the number of non-zero
/// figures that agree, or `None` if any figure differs.
fn rows_match(a: &[Option<f64>], b: &[Option<f64>]) -> Option<usize> {
    let mut shared = 0;
    for (x, y) in a.iter().zip(b) {
        let x = x.unwrap_or(0.0);
        let y = y.unwrap_or(0.0);
        if x != y {
            return None;
        }
        if x != 0.0 {
            shared += 1;
        }
    }
    Some(shared)
}

/// For one country, the groups of years whose rows repeat an earlier
/// year's: each group's first year is the original.
pub fn repeated_rows(table: &GodtTable, country: &str) -> Vec<Repeat> {
    let columns: Vec<usize> =
        table.columns().iter().enumerate().filter(|(_, c)| is_count_column(c)).map(|(i, _)| i).collect();
    let mut rows: Vec<(i32, Vec<Option<f64>>)> = table
        .rows()
        .iter()
        .filter(|r| r.country == country)
        .map(|r| {
            let figures = columns
                .iter()
                .map(|&i| match r.values[i] {
                    crate::series::RawValue::Number(v) => Some(v),
                    _ => None,
                })
                .collect();
            (r.year, figures)
        })
        .collect();
    rows.sort_by_key(|(year, _)| *year);
    let mut groups: Vec<Repeat> = Vec::new();
    let mut grouped = vec![false; rows.len()];
    for i in 0..rows.len() {
        if grouped[i] {
            continue;
        }
        let mut years = vec![rows[i].0];
        let mut columns_equal = 0;
        for j in (i + 1)..rows.len() {
            if grouped[j] || rows[j].0 == rows[i].0 {
                continue;
            }
            if let Some(shared) = rows_match(&rows[i].1, &rows[j].1)
                && shared >= MIN_SHARED_FIGURES
            {
                grouped[j] = true;
                years.push(rows[j].0);
                columns_equal = shared;
            }
        }
        if years.len() >= 2 {
            groups.push(Repeat {
                kind: RepeatKind::RepeatedRow,
                years,
                value: None,
                columns_equal: Some(columns_equal),
            });
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_identical_values_skip_zero_and_gaps() {
        let series = Series::from_points(
            "s",
            &[(2000, 0.0), (2001, 0.0), (2002, 5.0), (2003, 5.0), (2004, 5.0), (2006, 5.0), (2007, 9.0)],
        )
        .unwrap();
        let runs = identical_runs(&series);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].years, vec![2002, 2003, 2004]);
        assert_eq!(runs[0].value, Some(5.0));
    }

    #[test]
    fn repeated_rows_treat_na_and_zero_alike() {
        let text = "COUNTRY,REPORTYEAR,POPULATION,A,B,C,D\n\
                    X,2010,1,10,20,30,NA\n\
                    X,2011,2,10,20,30,0\n\
                    X,2012,3,10,20,31,NA\n\
                    X,2013,3,NA,NA,NA,NA\n\
                    X,2014,3,NA,NA,NA,NA\n";
        let table = crate::read_godt(text).unwrap();
        let repeats = repeated_rows(&table, "X");
        assert_eq!(repeats.len(), 1, "{repeats:?}");
        assert_eq!(repeats[0].years, vec![2010, 2011]);
        assert_eq!(repeats[0].columns_equal, Some(3));
    }
}
