//! Putting the tests together: the report on one series (with its
//! comparison group) and the scan of a whole GODT file.

use serde::Serialize;

use crate::AnalysisError;
use crate::consistency::ConsistencyReport;
use crate::fit::{Fit, Model, fit_all};
use crate::ratios::{RatioComparison, compare_ratio, default_ratios};
use crate::repeats::{Repeat, identical_runs, repeated_rows};
use crate::series::Series;
use crate::table::{GodtTable, is_count_column};

/// Which countries a series is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonGroup {
    /// Every other country with data in the same column and years.
    All,
    /// These countries (names matched ignoring case and white space).
    Countries(Vec<String>),
}

impl ComparisonGroup {
    /// `all`, or a comma-separated list of countries.
    pub fn parse(text: &str) -> ComparisonGroup {
        if text.trim().eq_ignore_ascii_case("all") {
            ComparisonGroup::All
        } else {
            ComparisonGroup::Countries(text.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        }
    }
}

/// One value per model, written in JSON as `{"linear", "quadratic", "cubic", "quadratic_origin"}`.
#[derive(Debug, Clone, Serialize)]
pub struct PerModel<T> {
    pub linear: Option<T>,
    pub quadratic: Option<T>,
    pub cubic: Option<T>,
    pub quadratic_origin: Option<T>,
}

impl<T: Copy> PerModel<T> {
    /// Builds the value of each model from `value`.
    pub fn from_fn(mut value: impl FnMut(Model) -> Option<T>) -> PerModel<T> {
        PerModel {
            linear: value(Model::Linear),
            quadratic: value(Model::Quadratic),
            cubic: value(Model::Cubic),
            quadratic_origin: value(Model::QuadraticOrigin),
        }
    }

    pub fn get(&self, model: Model) -> Option<T> {
        match model {
            Model::Linear => self.linear,
            Model::Quadratic => self.quadratic,
            Model::Cubic => self.cubic,
            Model::QuadraticOrigin => self.quadratic_origin,
        }
    }
}

/// R² per model.
pub type ModelR2 = PerModel<f64>;
/// A rank (or a count) per model.
pub type Rank = PerModel<usize>;

impl ModelR2 {
    fn from_fits(fits: &[Fit]) -> ModelR2 {
        PerModel::from_fn(|m| fits.iter().find(|f| f.model == m).and_then(|f| f.r2))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ComparisonSeries {
    pub name: String,
    pub r2: ModelR2,
}

/// The same fits on every comparison series, and where this series ranks
/// by R² (1 = closest to a perfect fit) among those where the model is
/// meaningful, this series included.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub method: String,
    pub series: Vec<ComparisonSeries>,
    pub rank: Rank,
    /// How many series (this one included) have a meaningful R² per model.
    pub ranked_out_of: Rank,
    /// Countries left out, with the reason.
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeriesReport {
    pub name: String,
    pub years: Vec<i32>,
    pub values: Vec<f64>,
    pub method: String,
    pub caveats: Vec<String>,
    pub fits: Vec<Fit>,
    pub repeated: Vec<Repeat>,
    pub comparison: Option<Comparison>,
    pub ratios: Vec<RatioComparison>,
    /// The comparison with a second source of the same quantity, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<ConsistencyReport>,
}

const FIT_METHOD: &str = "least squares on k = year − first year + 1 (Householder QR on centred, scaled k; \
    y = a·k² in closed form); R² = 1 − SS_res/SS_tot with SS_tot about the mean for every model; \
    adjusted R² = 1 − (SS_res/(n − p))/(SS_tot/(n − 1)), p = number of parameters";

fn caveats_of(series: &Series) -> Vec<String> {
    let mut caveats = series.notes().to_vec();
    let n = series.points().len();
    if n < 10 {
        caveats.push(format!(
            "short series ({n} points): a smooth curve fits few points closely by chance, so a high R² alone is weak evidence"
        ));
    }
    if let Some(reason) = crate::fit::series_not_meaningful(&series.values()) {
        caveats.push(format!("no fit is meaningful: {reason}"));
    } else if series.values().iter().any(|&v| v < crate::fit::SMALL_COUNT_MEAN) {
        caveats.push("some values are below 10: chance variation is large in those years".to_owned());
    }
    caveats
}

/// The report on a series with no table behind it (a plain CSV): fits and
/// runs of identical values, no comparison.
pub fn analyze_series(series: &Series) -> SeriesReport {
    SeriesReport {
        name: series.name().to_owned(),
        years: series.years(),
        values: series.values(),
        method: FIT_METHOD.to_owned(),
        caveats: caveats_of(series),
        fits: fit_all(series),
        repeated: identical_runs(series),
        comparison: None,
        ratios: Vec::new(),
        consistency: None,
    }
}

fn rank_of(this: &ModelR2, others: &[ComparisonSeries], model: Model) -> (Option<usize>, Option<usize>) {
    let scores: Vec<f64> = others.iter().filter_map(|s| s.r2.get(model)).collect();
    match this.get(model) {
        Some(r2) => (Some(1 + scores.iter().filter(|&&s| s > r2).count()), Some(scores.len() + 1)),
        None => (None, Some(scores.len())),
    }
}

/// The report on one country's series in one column of a GODT table,
/// optionally restricted to `first..=last`, compared with `group`.
pub fn analyze_godt_series(
    table: &GodtTable,
    country: &str,
    column: &str,
    years: Option<(i32, i32)>,
    group: &ComparisonGroup,
) -> Result<SeriesReport, AnalysisError> {
    let country = table.country_name(country)?;
    let mut series = table.series(&country, column)?;
    if let Some((first, last)) = years {
        series = series.window(first, last)?;
    }
    let mut report = analyze_series(&series);
    report.repeated.extend(
        repeated_rows(table, &country).into_iter().filter(|r| r.years.iter().any(|y| series.years().contains(y))),
    );
    let members: Vec<String> = match group {
        ComparisonGroup::All => table.countries().into_iter().filter(|c| *c != country).collect(),
        ComparisonGroup::Countries(names) => {
            names.iter().map(|n| table.country_name(n)).collect::<Result<Vec<_>, _>>()?
        }
    };
    let wanted_years = series.years();
    let (first, last) = (wanted_years[0], *wanted_years.last().unwrap_or(&wanted_years[0]));
    let mut compared = Vec::new();
    let mut left_out = Vec::new();
    for member in &members {
        let candidate = table.series(member, column).and_then(|s| s.window(first, last));
        match candidate {
            Ok(s) if s.years() == wanted_years => {
                compared.push(ComparisonSeries { name: member.clone(), r2: ModelR2::from_fits(&fit_all(&s)) });
            }
            Ok(_) => {
                if matches!(group, ComparisonGroup::Countries(_)) {
                    left_out.push(format!("{member}: not every year {first}–{last} reported"));
                }
            }
            Err(e) => {
                if matches!(group, ComparisonGroup::Countries(_)) {
                    left_out.push(format!("{member}: {e}"));
                }
            }
        }
    }
    let this = ModelR2::from_fits(&report.fits);
    let ranks = PerModel::from_fn(|m| Some(rank_of(&this, &compared, m)));
    let (rank, ranked_out_of) =
        (PerModel::from_fn(|m| ranks.get(m).and_then(|r| r.0)), PerModel::from_fn(|m| ranks.get(m).and_then(|r| r.1)));
    report.comparison = Some(Comparison {
        method: format!(
            "the same fits on every comparison country with a value in every year of this series ({first}–{last}) \
             in the same column; rank 1 = highest R²; countries whose series is not meaningful for a model \
             (constant, small counts) are not ranked for it"
        ),
        series: compared,
        rank,
        ranked_out_of,
        left_out,
    });
    for spec in default_ratios() {
        // A file without the ratio's columns simply has no such ratio.
        if let Ok(ratio) = compare_ratio(table, &spec, &country, &members, first, last) {
            report.ratios.push(ratio);
        }
    }
    Ok(report)
}

/// Linear interpolation between order statistics (numpy's default) of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let position = q * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    Some(sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64))
}

pub const QUANTILES: [f64; 7] = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0];

/// Which kind of test a distribution is of; it decides which end of the
/// distribution is notable and how the chart's axis is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// R² of a fit: the notable end is high (close to a perfect fit).
    R2,
    /// The longest run of identical values, in years: the notable end is high.
    LongestRun,
    /// The coefficient of variation of an internal ratio: the notable end is low.
    RatioCv,
}

impl TestKind {
    /// Whether a low value is the notable (suspicious) end.
    pub fn low_is_notable(self) -> bool {
        self == TestKind::RatioCv
    }
}

/// A marked country's value in one distribution.
#[derive(Debug, Clone, Serialize)]
pub struct MarkedValue {
    pub country: String,
    pub value: f64,
    /// 1 = the most notable value (highest R² or run, lowest CV).
    pub rank: usize,
}

/// How one test's values are spread over the countries of one column (or,
/// for a ratio, over the countries reporting both of its parts).
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    pub column: String,
    pub test: String,
    pub kind: TestKind,
    pub count: usize,
    /// Values at [`QUANTILES`] (min, 10 %, 25 %, median, 75 %, 90 %, max).
    pub quantiles: Vec<f64>,
    /// The countries with the highest values, highest first (at most 3).
    pub highest: Vec<(String, f64)>,
    /// The countries with the lowest values, lowest first (at most 3).
    pub lowest: Vec<(String, f64)>,
    /// Every country's value, highest first.
    pub values: Vec<(String, f64)>,
    /// The marked countries' values and ranks (absent where the test is not
    /// meaningful for them).
    pub marked: Vec<MarkedValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepeatedRowFlag {
    pub country: String,
    pub years: Vec<i32>,
    pub columns_equal: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub method: String,
    pub repeated_rows: Vec<RepeatedRowFlag>,
    /// The countries marked in the distributions and charts.
    pub marked: Vec<String>,
    /// Why those countries are marked.
    pub marked_because: String,
    pub distributions: Vec<Distribution>,
}

/// Figures copied from an earlier year, per country: for each group of
/// repeated rows, (years − 1) × figures shared. Highest first.
pub fn copied_figures(flags: &[RepeatedRowFlag]) -> Vec<(String, usize)> {
    let mut totals: Vec<(String, usize)> = Vec::new();
    for flag in flags {
        let copied = flag.years.len().saturating_sub(1) * flag.columns_equal;
        match totals.iter_mut().find(|(c, _)| *c == flag.country) {
            Some(total) => total.1 += copied,
            None => totals.push((flag.country.clone(), copied)),
        }
    }
    totals.sort_by_key(|t| std::cmp::Reverse(t.1));
    totals
}

fn distribution(column: &str, test: String, kind: TestKind, mut values: Vec<(String, f64)>) -> Distribution {
    values.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut sorted: Vec<f64> = values.iter().map(|v| v.1).collect();
    sorted.sort_by(f64::total_cmp);
    Distribution {
        column: column.to_owned(),
        test,
        kind,
        count: values.len(),
        quantiles: QUANTILES.iter().filter_map(|&q| quantile(&sorted, q)).collect(),
        highest: values.iter().take(3).cloned().collect(),
        lowest: values.iter().rev().take(3).cloned().collect(),
        values,
        marked: Vec::new(),
    }
}

fn mark(distribution: &mut Distribution, marked: &[String]) {
    let low = distribution.kind.low_is_notable();
    distribution.marked = marked
        .iter()
        .filter_map(|country| {
            let value = distribution.values.iter().find(|(c, _)| c == country)?.1;
            let better = distribution.values.iter().filter(|(_, v)| if low { *v < value } else { *v > value }).count();
            Some(MarkedValue { country: country.clone(), value, rank: better + 1 })
        })
        .collect();
}

impl ScanReport {
    /// Marks `names` (matched ignoring case and white space) instead of the
    /// countries marked by default.
    pub fn mark_countries(&mut self, table: &GodtTable, names: &[String]) -> Result<(), AnalysisError> {
        self.marked = names.iter().map(|n| table.country_name(n)).collect::<Result<Vec<_>, _>>()?;
        self.marked_because = "named with --mark".to_owned();
        for d in &mut self.distributions {
            mark(d, &self.marked);
        }
        Ok(())
    }
}

/// Every test over every country and count column of a GODT table, each
/// country's series taken over all its reported years. The country with
/// the most figures repeated from an earlier year is marked
/// ([`ScanReport::mark_countries`] marks others).
pub fn scan(table: &GodtTable) -> ScanReport {
    let countries = table.countries();
    let mut repeated = Vec::new();
    for country in &countries {
        for r in repeated_rows(table, country) {
            repeated.push(RepeatedRowFlag {
                country: country.clone(),
                years: r.years,
                columns_equal: r.columns_equal.unwrap_or(0),
            });
        }
    }
    let copied = copied_figures(&repeated);
    let (marked, marked_because) = match copied.first() {
        Some((_, most)) if *most > 0 => {
            let top: Vec<String> = copied.iter().filter(|(_, n)| n == most).map(|(c, _)| c.clone()).collect();
            let others: Vec<String> =
                copied.iter().filter(|(c, _)| !top.contains(c)).map(|(c, n)| format!("{c} {n}")).collect();
            let because = format!(
                "the most figures repeated from an earlier year: {most} (for each group of repeated rows, the years \
                 after the first × the figures they share); other countries with repeated rows: {}",
                if others.is_empty() { "none".to_owned() } else { others.join(", ") }
            );
            (top, because)
        }
        _ => (Vec::new(), "no country has repeated rows, so none is marked".to_owned()),
    };
    let mut distributions = Vec::new();
    for column in table.columns().iter().filter(|c| is_count_column(c)) {
        let mut per_test: Vec<(String, TestKind, CountryValues)> = Model::ALL
            .iter()
            .map(|m| (format!("{} R²", m.name()), TestKind::R2, Vec::new()))
            .chain([("longest run of identical values (years)".to_owned(), TestKind::LongestRun, Vec::new())])
            .collect();
        for country in &countries {
            let Ok(series) = table.series(country, column) else { continue };
            for (i, fit) in fit_all(&series).iter().enumerate() {
                if let Some(r2) = fit.r2 {
                    per_test[i].2.push((country.clone(), r2));
                }
            }
            if crate::fit::series_not_meaningful(&series.values()).is_none() {
                let longest = identical_runs(&series).iter().map(|r| r.years.len()).max().unwrap_or(1);
                per_test[4].2.push((country.clone(), longest as f64));
            }
        }
        for (test, kind, values) in per_test {
            if !values.is_empty() {
                distributions.push(distribution(column, test, kind, values));
            }
        }
    }
    for spec in default_ratios() {
        let mut values = Vec::new();
        for country in &countries {
            // A file without the ratio's columns has no such ratio.
            let Ok(ratio) = crate::ratios::ratio_series(table, &spec, country, i32::MIN, i32::MAX) else { break };
            if let Some(cv) = ratio.cv {
                values.push((country.clone(), cv));
            }
        }
        if !values.is_empty() {
            distributions.push(distribution(&spec.name, RATIO_TEST.to_owned(), TestKind::RatioCv, values));
        }
    }
    for d in &mut distributions {
        mark(d, &marked);
    }
    ScanReport {
        method: format!(
            "every count column, every country over all its reported years; fits as in `analyze series` \
             ({FIT_METHOD}); a fit that is not meaningful for a country (fewer points than the model needs, \
             constant, mean below 10) is left out of that test's distribution. A repeated row is a year whose \
             figures in every count column equal an earlier year's, with NA and 0 treated alike and at least {} \
             non-zero figures shared. Ratio variability: the coefficient of variation (sample sd / mean) of each \
             internal ratio over the country's years with both parts reported, where there are at least {} such \
             years and no denominator below {}; low values mean figures that move in lockstep. Ranks: 1 = the \
             most notable value (highest R², longest run, lowest CV), ties sharing the better rank.",
            crate::repeats::MIN_SHARED_FIGURES,
            crate::ratios::MIN_RATIO_YEARS,
            crate::ratios::SMALL_DENOMINATOR
        ),
        repeated_rows: repeated,
        marked,
        marked_because,
        distributions,
    }
}

/// Each country's value of one test.
type CountryValues = Vec<(String, f64)>;

/// The test name of the ratio-variability distributions.
pub const RATIO_TEST: &str = "ratio variability (CV)";
