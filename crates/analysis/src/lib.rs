//! Forensic tests of official statistics, the part of Evident that
//! researchers of transplant numbers otherwise do with one-off scripts.
//!
//! Given a yearly series (from a WHO-ONT GODT file, with its quirks, or a
//! plain `year,value` CSV) this crate fits linear, quadratic, cubic and
//! one-parameter quadratic-through-the-origin curves by least squares
//! ([`fit`]), looks for runs of identical values and for whole rows that
//! repeat an earlier year's figures ([`repeats`]), measures how stable
//! internal ratios are ([`ratios`]), compares the series with every other
//! country's ([`report`]), measures how far two sources of the same
//! quantity agree year by year ([`consistency`]), and writes the result as
//! JSON, Markdown or a self-contained HTML page with inline SVG charts
//! ([`render`], [`svg`]).
//! It also finds the figures in Chinese and English text that may become
//! claims — waiting times, prices, transplant volumes, beds and bed
//! utilisation — normalised and with their exact spans ([`claims`]).
//!
//! The crate is pure computation: it reads CSV text and documents' text
//! handed to it and does no other I/O. Every number in a report carries its method, and a test
//! that is not meaningful on the data (too few points, a constant series,
//! small counts) says so instead of printing a number.

pub mod capacity;
pub mod claims;
pub mod consistency;
pub mod fit;
pub mod ratios;
pub mod render;
pub mod repeats;
pub mod report;
pub mod series;
pub mod svg;
pub mod table;

pub use claims::{Candidate, ClaimKind, find_candidates};
pub use consistency::{ConsistencyReport, compare_sources};
pub use fit::{Fit, Model, fit_all};
pub use report::{Comparison, ComparisonGroup, ScanReport, SeriesReport, analyze_godt_series, analyze_series, scan};
pub use series::{RawValue, Series};
pub use table::{GodtTable, read_godt, read_year_value_csv};

/// What went wrong reading or selecting a series. Messages are lower-case,
/// say what failed and what to do.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnalysisError {
    #[error("cannot read the csv: {0}")]
    Csv(String),
    #[error("the csv has no {what} column (columns are: {columns}); name it or pass a plain year,value file")]
    MissingColumn { what: String, columns: String },
    #[error("no column matches {wanted:?}; close names: {close}")]
    UnknownColumn { wanted: String, close: String },
    #[error("no country matches {wanted:?}; close names: {close}")]
    UnknownCountry { wanted: String, close: String },
    #[error("line {line}: year {text:?} is not a whole number")]
    BadYear { line: u64, text: String },
    #[error("year {year} appears more than once in {series}; remove the duplicate row")]
    DuplicateYear { series: String, year: i32 },
    #[error("{series}, year {year}: {text:?} is not a number; use a number, or NA for a missing value")]
    NonNumeric { series: String, year: i32, text: String },
    #[error("{series}, year {year}: negative value {value} cannot be a count")]
    Negative { series: String, year: i32, value: f64 },
    #[error("{series} has no values (every year is missing)")]
    NoValues { series: String },
    #[error(
        "{first} has years {first_years}, {second} has {second_years}: no year in common, nothing to compare; \
         check the country, the column and the years"
    )]
    NoCommonYears { first: String, first_years: String, second: String, second_years: String },
    #[error("the years {first}..={last} select no values of {series}")]
    EmptyWindow { series: String, first: i32, last: i32 },
}
