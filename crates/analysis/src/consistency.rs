//! Consistency between two sources of the same quantity: the year-by-year
//! differences of two series, what each source has that the other lacks,
//! how far apart they are on average, and the years where they agree to
//! the unit.
//!
//! Two independent counts of the same thing (a registry's and a
//! ministry's, say) differ a little from year to year: different cut-off
//! dates, late reports, corrections. Large differences show that at least
//! one source is wrong or counts something else; identical figures year
//! after year show that the sources are not independent at all — one
//! copies the other, or both restate one origin — so that citing both is
//! citing one twice.

use serde::Serialize;

use crate::AnalysisError;
use crate::fit::SMALL_COUNT_MEAN;
use crate::ratios::{Consistency, MIN_COMMON_YEARS, consistency};
use crate::series::Series;

/// One of the two sources, as read.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// Where the figures come from (a file name, an item).
    pub label: String,
    /// The series within it (e.g. `China: TOTAL Actual DD`).
    pub series: String,
    pub years: Vec<i32>,
    pub values: Vec<f64>,
    /// Gaps and missing values noted while reading.
    pub notes: Vec<String>,
}

impl Source {
    fn of(label: &str, series: &Series) -> Source {
        Source {
            label: label.to_owned(),
            series: series.name().to_owned(),
            years: series.years(),
            values: series.values(),
            notes: series.notes().to_vec(),
        }
    }

    /// `label (series)`, or the label alone when they are the same.
    pub fn title(&self) -> String {
        if self.label == self.series || self.label.is_empty() {
            self.series.clone()
        } else {
            format!("{} ({})", self.label, self.series)
        }
    }
}

/// The consistency of two sources with its method, findings and caveats.
/// In JSON the year-by-year comparison (`years`, `only_in_first`,
/// `only_in_second`, `summary`) sits at the top level of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ConsistencyReport {
    pub method: String,
    pub first: Source,
    pub second: Source,
    #[serde(flatten)]
    pub consistency: Consistency,
    /// What stands out, in sentences.
    pub findings: Vec<String>,
    pub caveats: Vec<String>,
}

pub const CONSISTENCY_METHOD: &str = "the two series matched by year; difference = second − first; relative \
    difference = (second − first) / first, with the first source as the reference and none where the first is 0; \
    over the common years with a relative difference: the mean of |relative difference|, the mean of the signed \
    relative differences (above 0 when the second source is mostly higher) and the largest |relative difference| and \
    |difference| with their years, given only with at least 3 common years; identical = the same non-zero figure in \
    both sources";

fn span(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(first), Some(last)) if first == last => format!("{first} (1 year)"),
        (Some(first), Some(last)) => format!("{first}–{last} ({} years)", years.len()),
        _ => "no years".to_owned(),
    }
}

pub(crate) fn years_list(years: &[i32]) -> String {
    years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
}

pub(crate) fn percent(fraction: f64) -> String {
    let pct = fraction * 100.0;
    if pct == 0.0 {
        "0 %".to_owned()
    } else if pct.abs() < 0.01 {
        format!("{pct:+.2e} %")
    } else {
        format!("{pct:+.2} %")
    }
}

/// Compares two sources of the same quantity. `first_label` and
/// `second_label` say where each comes from. Two series with no year in
/// common are an error, since there is nothing to compare.
pub fn compare_sources(
    first: &Series,
    first_label: &str,
    second: &Series,
    second_label: &str,
) -> Result<ConsistencyReport, AnalysisError> {
    let first_source = Source::of(first_label, first);
    let second_source = Source::of(second_label, second);
    let consistency = consistency(first, second);
    if consistency.years.is_empty() {
        return Err(AnalysisError::NoCommonYears {
            first: first_source.title(),
            first_years: span(&first_source.years),
            second: second_source.title(),
            second_years: span(&second_source.years),
        });
    }
    let summary = &consistency.summary;
    let common = consistency.years.len();
    let mut findings = Vec::new();
    let identical = &summary.identical_years;
    if !identical.is_empty() && identical.len() + summary.both_zero_years.len() == common {
        findings.push(format!(
            "the two sources give identical figures in every common year ({}): independent counts seldom agree to \
             the unit, so one source very likely copies the other or both restate one origin — they are one \
             source, not two confirmations",
            years_list(identical)
        ));
    } else if !identical.is_empty() {
        findings.push(format!(
            "identical figures in {} of {common} common years ({}): notable in two supposedly independent sources, \
             which seldom agree to the unit; those years may be copied from one to the other",
            identical.len(),
            years_list(identical)
        ));
    }
    if let (Some(mean), Some(signed), Some(max)) =
        (summary.mean_absolute_relative_difference, summary.mean_relative_difference, summary.max_relative_difference)
    {
        findings.push(format!(
            "mean absolute relative difference {} over {} years (mean signed {}); the largest is {} in {}",
            percent(mean).trim_start_matches('+'),
            consistency.years.iter().filter(|d| d.relative_difference.is_some()).count(),
            percent(signed),
            percent(max.value),
            max.year
        ));
        let differing: Vec<f64> = consistency.years.iter().map(|d| d.difference).filter(|d| *d != 0.0).collect();
        if differing.len() >= MIN_COMMON_YEARS {
            if differing.iter().all(|d| *d > 0.0) {
                findings.push("the second source is higher in every year the two differ".to_owned());
            } else if differing.iter().all(|d| *d < 0.0) {
                findings.push("the second source is lower in every year the two differ".to_owned());
            }
        }
    }
    let mut caveats = Vec::new();
    if let Some(reason) = &summary.not_meaningful {
        caveats.push(format!("summary statistics not meaningful: {reason}"));
    }
    let small: Vec<i32> = consistency
        .years
        .iter()
        .filter(|d| d.first.min(d.second) < SMALL_COUNT_MEAN && (d.first != 0.0 || d.second != 0.0))
        .map(|d| d.year)
        .collect();
    if !small.is_empty() {
        caveats.push(format!(
            "years {}: a figure below {SMALL_COUNT_MEAN}; relative differences of small counts are large by chance",
            years_list(&small)
        ));
    }
    let zero_first: Vec<i32> = consistency
        .years
        .iter()
        .filter(|d| d.relative_difference.is_none() && d.second != 0.0)
        .map(|d| d.year)
        .collect();
    if !zero_first.is_empty() {
        caveats.push(format!(
            "years {}: the first source gives 0 and the second does not, so there is no relative difference",
            years_list(&zero_first)
        ));
    }
    if !summary.both_zero_years.is_empty() {
        caveats.push(format!(
            "years {}: both sources give 0; counted as agreement but not as identical figures",
            years_list(&summary.both_zero_years)
        ));
    }
    for (which, source) in [("first", &first_source), ("second", &second_source)] {
        for note in &source.notes {
            // The series' notes speak of fits; here only the gap matters.
            let note = note.split("; fits").next().unwrap_or(note);
            caveats.push(format!("{which} source: {note}"));
        }
    }
    caveats.push(
        "years are matched by number only: check that both sources count the same thing (definitions, what is \
         included, calendar or reporting year) before reading a difference as a discrepancy"
            .to_owned(),
    );
    Ok(ConsistencyReport {
        method: CONSISTENCY_METHOD.to_owned(),
        first: first_source,
        second: second_source,
        consistency,
        findings,
        caveats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs()
    }

    /// Hand-computed: common years 2011–2014.
    /// 2011: 100 → 110, +10, +0.1; 2012: 200 → 190, −10, −0.05;
    /// 2013: 400 → 400, identical; 2014: 50 → 60, +10, +0.2.
    /// mean |rel| = (0.1 + 0.05 + 0 + 0.2) / 4 = 0.0875;
    /// mean signed = (0.1 − 0.05 + 0 + 0.2) / 4 = 0.0625;
    /// largest |rel| 0.2 in 2014; largest |difference| 10, first in 2011.
    #[test]
    fn a_hand_computed_comparison() {
        let a = Series::from_points("a", &[(2010, 5.0), (2011, 100.0), (2012, 200.0), (2013, 400.0), (2014, 50.0)])
            .unwrap();
        let b = Series::from_points("b", &[(2011, 110.0), (2012, 190.0), (2013, 400.0), (2014, 60.0), (2016, 70.0)])
            .unwrap();
        let report = compare_sources(&a, "file a", &b, "file b").unwrap();
        let c = &report.consistency;
        assert_eq!(c.only_in_first, vec![2010]);
        assert_eq!(c.only_in_second, vec![2016]);
        let years: Vec<i32> = c.years.iter().map(|d| d.year).collect();
        assert_eq!(years, vec![2011, 2012, 2013, 2014]);
        let expected = [(10.0, 0.1), (-10.0, -0.05), (0.0, 0.0), (10.0, 0.2)];
        for (d, (difference, relative)) in c.years.iter().zip(expected) {
            assert_eq!(d.difference, difference);
            let r = d.relative_difference.unwrap();
            assert!((r - relative).abs() <= 1e-9 * relative.abs().max(1e-300), "{} {r}", d.year);
        }
        let s = &c.summary;
        assert!(close(s.mean_absolute_relative_difference.unwrap(), 0.0875));
        assert!(close(s.mean_relative_difference.unwrap(), 0.0625));
        assert_eq!(s.max_relative_difference.unwrap().year, 2014);
        assert!(close(s.max_relative_difference.unwrap().value, 0.2));
        assert_eq!(s.max_difference, Some(crate::ratios::YearValue { year: 2011, value: 10.0 }));
        assert_eq!(s.identical_years, vec![2013]);
        assert!(report.findings.iter().any(|f| f.contains("identical figures in 1 of 4 common years (2013)")));
        assert!(report.findings.iter().any(|f| f.contains("mean absolute relative difference 8.75 %")));
        // the first source has a gap (2010, then 2011–2014 is continuous; b has 2015 absent)
        assert!(report.caveats.iter().any(|c| c.starts_with("second source: years 2015 are absent")));
        assert!(report.consistency.summary.not_meaningful.is_none());
    }

    #[test]
    fn identical_sources_are_called_one_source() {
        let a = Series::from_points("a", &[(2015, 2766.0), (2016, 4080.0), (2017, 5146.0)]).unwrap();
        let report = compare_sources(&a, "x", &a, "y").unwrap();
        assert!(report.findings[0].contains("identical figures in every common year"), "{:?}", report.findings);
        assert_eq!(report.consistency.summary.mean_absolute_relative_difference, Some(0.0));
    }

    #[test]
    fn few_common_years_and_small_counts_are_caveats() {
        let a = Series::from_points("a", &[(2015, 4.0), (2016, 8.0)]).unwrap();
        let b = Series::from_points("b", &[(2015, 5.0), (2016, 8.0)]).unwrap();
        let report = compare_sources(&a, "x", &b, "y").unwrap();
        let s = &report.consistency.summary;
        assert!(s.mean_absolute_relative_difference.is_none() && s.max_relative_difference.is_none());
        assert!(s.not_meaningful.as_ref().unwrap().contains("2 common year(s)"));
        assert!(report.caveats.iter().any(|c| c.contains("not meaningful")));
        assert!(report.caveats.iter().any(|c| c.contains("years 2015, 2016: a figure below 10")));
    }

    #[test]
    fn no_common_year_is_an_error() {
        let a = Series::from_points("China: TOTAL Actual DD", &[(2015, 2766.0), (2016, 4080.0)]).unwrap();
        let b = Series::from_points("published", &[(2017, 5146.0)]).unwrap();
        let e = compare_sources(&a, "godt.csv", &b, "published").unwrap_err();
        assert_eq!(
            e.to_string(),
            "godt.csv (China: TOTAL Actual DD) has years 2015–2016 (2 years), published has 2017 (1 year): no year in \
             common, nothing to compare; check the country, the column and the years"
        );
    }
}
