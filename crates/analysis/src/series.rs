//! A yearly series, parsed: years unique and ascending, values finite and
//! not negative. Missing values and gaps are allowed but noted, since fits
//! over a series with holes mean less than fits over a complete one.

use serde::Serialize;

use crate::AnalysisError;

/// A cell as read from a file, before it is accepted into a series.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Number(f64),
    /// `NA`, `#N/A`, empty and the like; the text is kept for messages.
    Missing(String),
    /// Anything else that is not a number.
    Invalid(String),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Point {
    pub year: i32,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    name: String,
    points: Vec<Point>,
    /// What was dropped or is missing, in sentences, for the report.
    notes: Vec<String>,
}

impl Series {
    /// Accepts cells into a series. Leading and trailing missing years are
    /// dropped silently (the series starts when reporting starts); missing
    /// years inside the span are dropped with a note. Duplicate years,
    /// text and negative values are errors.
    pub fn parse(name: &str, cells: Vec<(i32, RawValue)>) -> Result<Series, AnalysisError> {
        let mut cells = cells;
        cells.sort_by_key(|(year, _)| *year);
        for pair in cells.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(AnalysisError::DuplicateYear { series: name.to_owned(), year: pair[0].0 });
            }
        }
        let mut points = Vec::new();
        let mut missing = Vec::new();
        for (year, cell) in &cells {
            match cell {
                RawValue::Number(value) if *value < 0.0 => {
                    return Err(AnalysisError::Negative { series: name.to_owned(), year: *year, value: *value });
                }
                RawValue::Number(value) => points.push(Point { year: *year, value: *value }),
                RawValue::Missing(text) => missing.push((*year, text.clone())),
                RawValue::Invalid(text) => {
                    return Err(AnalysisError::NonNumeric { series: name.to_owned(), year: *year, text: text.clone() });
                }
            }
        }
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return Err(AnalysisError::NoValues { series: name.to_owned() });
        };
        let (first, last) = (first.year, last.year);
        let mut series = Series { name: name.to_owned(), points, notes: Vec::new() };
        let inside: Vec<String> = missing
            .iter()
            .filter(|(y, _)| *y > first && *y < last)
            .map(|(y, t)| if t.is_empty() { format!("{y} (empty)") } else { format!("{y} ({t})") })
            .collect();
        if !inside.is_empty() {
            series.notes.push(format!(
                "no value for {}; fits use the remaining years at their own position k",
                inside.join(", ")
            ));
        }
        series.note_gaps();
        Ok(series)
    }

    /// A series from numbers, for callers that already hold them.
    pub fn from_points(name: &str, points: &[(i32, f64)]) -> Result<Series, AnalysisError> {
        Series::parse(name, points.iter().map(|&(y, v)| (y, RawValue::Number(v))).collect())
    }

    fn note_gaps(&mut self) {
        let absent: Vec<String> =
            self.points.windows(2).flat_map(|p| (p[0].year + 1)..p[1].year).map(|y| y.to_string()).collect();
        if !absent.is_empty() && !self.notes.iter().any(|n| n.starts_with("no value")) {
            self.notes.push(format!(
                "years {} are absent; fits use the remaining years at their own position k",
                absent.join(", ")
            ));
        }
    }

    /// The part of the series from `first` to `last` inclusive.
    pub fn window(&self, first: i32, last: i32) -> Result<Series, AnalysisError> {
        let points: Vec<Point> = self.points.iter().filter(|p| p.year >= first && p.year <= last).cloned().collect();
        if points.is_empty() {
            return Err(AnalysisError::EmptyWindow { series: self.name.clone(), first, last });
        }
        let mut series = Series { name: self.name.clone(), points, notes: Vec::new() };
        series.note_gaps();
        Ok(series)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn points(&self) -> &[Point] {
        &self.points
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn years(&self) -> Vec<i32> {
        self.points.iter().map(|p| p.year).collect()
    }

    pub fn values(&self) -> Vec<f64> {
        self.points.iter().map(|p| p.value).collect()
    }

    /// k = year − first year + 1, the regressor of every fit.
    pub fn positions(&self) -> Vec<f64> {
        let first = self.points[0].year;
        self.points.iter().map(|p| f64::from(p.year - first + 1)).collect()
    }

    pub fn has_gaps(&self) -> bool {
        self.points.windows(2).any(|p| p[1].year != p[0].year + 1)
    }
}
