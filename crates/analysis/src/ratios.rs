//! Internal ratios (transplants per donor, liver to kidney) and their
//! variability, and the consistency of two sources of one quantity.
//!
//! Independent counts kept by hospitals vary against each other from year
//! to year; figures derived from one another by formula do not. A ratio
//! whose coefficient of variation (sample standard deviation / mean) is far
//! below other countries' is a sign the figures were not counted
//! separately.

use serde::Serialize;

use crate::AnalysisError;
use crate::series::RawValue;
use crate::table::GodtTable;

/// A ratio of sums of named columns.
#[derive(Debug, Clone, Serialize)]
pub struct RatioSpec {
    pub name: String,
    pub numerator: Vec<String>,
    pub denominator: Vec<String>,
}

/// The ratios reported by default for a GODT file.
pub fn default_ratios() -> Vec<RatioSpec> {
    let spec = |name: &str, numerator: &[&str], denominator: &[&str]| RatioSpec {
        name: name.to_owned(),
        numerator: numerator.iter().map(|s| s.to_string()).collect(),
        denominator: denominator.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        spec(
            "deceased-donor kidney and liver transplants per deceased donor",
            &["DD Kidney Tx", "DD Liver Tx"],
            &["TOTAL Actual DD"],
        ),
        spec("liver to kidney transplants", &["TOTAL Liver TX"], &["TOTAL Kidney Tx"]),
    ]
}

/// The fewest years for a coefficient of variation, and the smallest
/// denominator below which a ratio is mostly noise.
pub const MIN_RATIO_YEARS: usize = 3;
pub const SMALL_DENOMINATOR: f64 = 10.0;

#[derive(Debug, Clone, Serialize)]
pub struct RatioSeries {
    pub country: String,
    pub years: Vec<i32>,
    pub ratios: Vec<f64>,
    /// Coefficient of variation (sample sd / mean), when meaningful.
    pub cv: Option<f64>,
    pub not_meaningful: Option<String>,
}

fn sum_of(row: &crate::table::GodtRow, columns: &[usize]) -> Option<f64> {
    columns
        .iter()
        .map(|&i| match row.values[i] {
            RawValue::Number(v) => Some(v),
            _ => None,
        })
        .sum()
}

/// The ratio for one country over the years `first..=last`.
pub fn ratio_series(
    table: &GodtTable,
    spec: &RatioSpec,
    country: &str,
    first: i32,
    last: i32,
) -> Result<RatioSeries, AnalysisError> {
    let numerator: Vec<usize> = spec.numerator.iter().map(|c| table.column_index(c)).collect::<Result<_, _>>()?;
    let denominator: Vec<usize> = spec.denominator.iter().map(|c| table.column_index(c)).collect::<Result<_, _>>()?;
    let mut years = Vec::new();
    let mut ratios = Vec::new();
    let mut small = false;
    for row in table.rows().iter().filter(|r| r.country == country && r.year >= first && r.year <= last) {
        if let (Some(n), Some(d)) = (sum_of(row, &numerator), sum_of(row, &denominator))
            && d > 0.0
        {
            small |= d < SMALL_DENOMINATOR;
            years.push(row.year);
            ratios.push(n / d);
        }
    }
    let not_meaningful = if ratios.len() < MIN_RATIO_YEARS {
        Some(format!("{} year(s) with both parts reported: at least {MIN_RATIO_YEARS} needed", ratios.len()))
    } else if small {
        Some(format!("a denominator below {SMALL_DENOMINATOR}: the ratio is mostly chance"))
    } else {
        None
    };
    let cv = if not_meaningful.is_none() { coefficient_of_variation(&ratios) } else { None };
    Ok(RatioSeries { country: country.to_owned(), years, ratios, cv, not_meaningful })
}

/// Sample standard deviation over mean; `None` for fewer than two values
/// or a zero mean.
pub fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if mean == 0.0 {
        return None;
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some(variance.sqrt() / mean)
}

/// A ratio for the series' country beside the comparison group's.
#[derive(Debug, Clone, Serialize)]
pub struct RatioComparison {
    pub spec: RatioSpec,
    pub this: RatioSeries,
    /// Comparison countries with a meaningful coefficient of variation.
    pub group_cvs: Vec<(String, f64)>,
    /// 1 = the least variable ratio of all (this series included).
    pub rank_lowest_cv: Option<usize>,
    pub group_median_cv: Option<f64>,
}

pub fn compare_ratio(
    table: &GodtTable,
    spec: &RatioSpec,
    country: &str,
    group: &[String],
    first: i32,
    last: i32,
) -> Result<RatioComparison, AnalysisError> {
    let this = ratio_series(table, spec, country, first, last)?;
    let mut group_cvs = Vec::new();
    for other in group {
        if let Some(cv) = ratio_series(table, spec, other, first, last)?.cv {
            group_cvs.push((other.clone(), cv));
        }
    }
    let rank_lowest_cv = this.cv.map(|cv| 1 + group_cvs.iter().filter(|(_, c)| *c < cv).count());
    let mut cvs: Vec<f64> = group_cvs.iter().map(|(_, c)| *c).collect();
    cvs.sort_by(f64::total_cmp);
    let group_median_cv = crate::report::quantile(&cvs, 0.5);
    Ok(RatioComparison { spec: spec.clone(), this, group_cvs, rank_lowest_cv, group_median_cv })
}

/// Two sources of the same quantity, year by year.
#[derive(Debug, Clone, Serialize)]
pub struct Consistency {
    /// The years both sources give a figure for, in order.
    pub years: Vec<YearDifference>,
    pub only_in_first: Vec<i32>,
    pub only_in_second: Vec<i32>,
    pub summary: ConsistencySummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearDifference {
    pub year: i32,
    pub first: f64,
    pub second: f64,
    /// second − first
    pub difference: f64,
    /// (second − first) / first; absent when first is 0.
    pub relative_difference: Option<f64>,
}

/// A signed difference and the year it occurs in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct YearValue {
    pub year: i32,
    pub value: f64,
}

/// The fewest common years for which an average agreement means something.
pub const MIN_COMMON_YEARS: usize = 3;

/// How far apart two sources are over their common years. The averages
/// and extremes are given only with at least [`MIN_COMMON_YEARS`] common
/// years; `not_meaningful` says why they are absent.
#[derive(Debug, Clone, Serialize)]
pub struct ConsistencySummary {
    pub common_years: usize,
    /// Years where both sources give the same non-zero figure.
    pub identical_years: Vec<i32>,
    /// Years where both sources give 0 (agreement, but not a notable one).
    pub both_zero_years: Vec<i32>,
    /// Mean of |relative difference| over the common years that have one.
    pub mean_absolute_relative_difference: Option<f64>,
    /// Mean of the signed relative differences: above 0 when the second
    /// source is mostly the higher.
    pub mean_relative_difference: Option<f64>,
    /// The relative difference largest in absolute value (sign kept).
    pub max_relative_difference: Option<YearValue>,
    /// The difference largest in absolute value (sign kept).
    pub max_difference: Option<YearValue>,
    pub not_meaningful: Option<String>,
}

/// The extreme of `values` by absolute value; the earlier year on a tie.
fn largest_by_magnitude(values: impl Iterator<Item = (i32, f64)>) -> Option<YearValue> {
    values.fold(None, |best: Option<YearValue>, (year, value)| match best {
        Some(b) if b.value.abs() >= value.abs() => Some(b),
        _ => Some(YearValue { year, value }),
    })
}

pub fn consistency(first: &crate::Series, second: &crate::Series) -> Consistency {
    let mut years = Vec::new();
    let mut only_in_first = Vec::new();
    for p in first.points() {
        match second.points().iter().find(|q| q.year == p.year) {
            Some(q) => years.push(YearDifference {
                year: p.year,
                first: p.value,
                second: q.value,
                difference: q.value - p.value,
                relative_difference: (p.value != 0.0).then(|| (q.value - p.value) / p.value),
            }),
            None => only_in_first.push(p.year),
        }
    }
    let only_in_second =
        second.points().iter().filter(|q| !first.points().iter().any(|p| p.year == q.year)).map(|q| q.year).collect();
    let summary = summarise(&years);
    Consistency { years, only_in_first, only_in_second, summary }
}

fn summarise(years: &[YearDifference]) -> ConsistencySummary {
    let identical_years = years.iter().filter(|d| d.first == d.second && d.first != 0.0).map(|d| d.year).collect();
    let both_zero_years = years.iter().filter(|d| d.first == 0.0 && d.second == 0.0).map(|d| d.year).collect();
    let relative: Vec<(i32, f64)> = years.iter().filter_map(|d| d.relative_difference.map(|r| (d.year, r))).collect();
    let not_meaningful = if years.len() < MIN_COMMON_YEARS {
        Some(format!(
            "{} common year(s): at least {MIN_COMMON_YEARS} are needed for an average agreement; read the years one by one",
            years.len()
        ))
    } else if relative.len() < MIN_COMMON_YEARS {
        Some(format!(
            "the first source is 0 in all but {} common year(s), so there are too few relative differences \
             (at least {MIN_COMMON_YEARS} needed)",
            relative.len()
        ))
    } else {
        None
    };
    let mut summary = ConsistencySummary {
        common_years: years.len(),
        identical_years,
        both_zero_years,
        mean_absolute_relative_difference: None,
        mean_relative_difference: None,
        max_relative_difference: None,
        max_difference: None,
        not_meaningful,
    };
    if summary.not_meaningful.is_none() {
        let n = relative.len() as f64;
        summary.mean_absolute_relative_difference = Some(relative.iter().map(|(_, r)| r.abs()).sum::<f64>() / n);
        summary.mean_relative_difference = Some(relative.iter().map(|(_, r)| r).sum::<f64>() / n);
        summary.max_relative_difference = largest_by_magnitude(relative.iter().copied());
        summary.max_difference = largest_by_magnitude(years.iter().map(|d| (d.year, d.difference)));
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_is_sample_sd_over_mean() {
        // mean 2, sample variance ((1)+(0)+(1))/2 = 1
        assert_eq!(coefficient_of_variation(&[1.0, 2.0, 3.0]), Some(0.5));
        assert_eq!(coefficient_of_variation(&[4.0]), None);
    }

    #[test]
    fn consistency_lists_differences_and_unmatched_years() {
        let a = crate::Series::from_points("a", &[(2015, 100.0), (2016, 200.0), (2017, 300.0)]).unwrap();
        let b = crate::Series::from_points("b", &[(2016, 210.0), (2017, 300.0), (2018, 5.0)]).unwrap();
        let c = consistency(&a, &b);
        assert_eq!(c.years.len(), 2);
        assert_eq!(c.years[0].difference, 10.0);
        assert_eq!(c.years[0].relative_difference, Some(0.05));
        assert_eq!(c.only_in_first, vec![2015]);
        assert_eq!(c.only_in_second, vec![2018]);
    }
}
