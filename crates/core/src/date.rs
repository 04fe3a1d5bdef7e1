//! Uncertain dates: when a source says something happened, kept exactly as the
//! source wrote it and read into the range of days it covers.
//!
//! Sources seldom give a day. They say "June-July 2017", "early 2018",
//! "2018年初" or "before 2010". An [`UncertainDate`] keeps that text for people
//! to read and adds an inclusive start and end day and a [`DatePrecision`], so
//! items can be sorted, filtered and put on a timeline without pretending to
//! know more than the source does.
//!
//! Reading never fails: text that is not understood is kept, with no start or
//! end and precision `unknown`, and [`DateParse::Unparsed`] tells the caller to
//! warn. Reading never guesses either; anything that could mean two things is
//! left unparsed.
//!
//! # What is understood
//!
//! Letters are matched without regard to case, surrounding space is ignored,
//! and month names may be written in full or cut to three letters (`Sept` too).
//!
//! | form | examples | precision |
//! |---|---|---|
//! | year | `2016`, `2017年` | year |
//! | month | `2016-05`, `May 2016`, `2017年6月` | month |
//! | day | `2016-05-17`, `17 May 2016`, `May 17, 2016`, `17th of May 2016`, `2017年6月5日` | day |
//! | part of a year | `early 2018`, `mid-2018`, `late 2018`, `2018年初`, `2018年中`, `2018年底`, `2018年末` | third |
//! | half | `2nd half 2019`, `second half of 2019`, `H2 2019`, `2ndHf2019`, `2018年下半年` | half |
//! | quarter | `Q3 2018`, `2018 Q3`, `3rd quarter 2018`, `3rdQt2018`, `2018年第三季度` | quarter |
//! | range | `1999-2005`, `June–July 2017`, `17-20 May 2016`, `from 1999 to 2005`, `between 1999 and 2005`, `2017年6月至7月`, `1999年至2005年` | the coarser of its two ends |
//! | before | `before 2010`, `2010年以前`, `2010年之前` | before |
//! | after | `after 2015`, `2015年以后`, `2015年之后` | after |
//! | since | `since 2015`, `2015年以来`, `自2015年起` | after |
//! | approximate | `circa 2016`, `c. 2016`, `ca. 2016`, `about 2016`, `约2016年`, `2016年左右` | as without the word |
//!
//! # Conventions
//!
//! - The end day is inclusive: `2016` is 2016-01-01 to 2016-12-31.
//! - Early, mid and late split a year into thirds: January–April,
//!   May–August and September–December. 年初, 年中 and 年底/年末 are read the
//!   same way. The precision of these is `third`.
//! - A range takes the start of its first part and the end of its second, and
//!   the coarser of the two parts' precisions: `June-July 2017` is `month`,
//!   `1999-2005` is `year`, `May 2016 - 2018` is `year`. There is no separate
//!   "range" precision because start and end already say how wide it is;
//!   precision says how finely the ends are known.
//! - A range whose first part does not end before its second part begins
//!   (`2005-1999`, `July-June 2017`, `2016-2016`) is refused, not turned round.
//! - One side of a range may leave out what the other side gives: the year in
//!   `June-July 2017` and `2017年6月至7月`, the month and year in `17-20 May 2016`.
//! - "Before" and "after" exclude the named period: `before 2010` ends on
//!   2009-12-31 with no start, `after 2015` starts on 2016-01-01 with no end.
//!   "Since" includes it: `since 2015` starts on 2015-01-01.
//! - Words like "circa" do not widen the range: `circa 2016` is the year 2016
//!   with precision `year`. The uncertainty stays visible in the text, which
//!   is what people read; widening by a made-up margin would look like
//!   knowledge the source does not give.
//! - Numeric dates are read only in year-month-day order. `05/06/2017` is
//!   left unparsed because it means May in one country and June in another.
//! - Years run from 1000 to 9999, and every start and end lies in them.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

/// How finely a source gives a date. Serialised in lowercase (`"month"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatePrecision {
    /// One day: `2016-05-17`.
    Day,
    /// One calendar month: `May 2016`.
    Month,
    /// One quarter of a year: `Q3 2018` is July–September.
    Quarter,
    /// One third of a year: early (January–April), mid (May–August) or late
    /// (September–December).
    Third,
    /// One half of a year: `2nd half 2019` is July–December.
    Half,
    /// One calendar year: `2016`.
    Year,
    /// Only an end is known: `before 2010`.
    Before,
    /// Only a start is known: `after 2015`, `since 2015`.
    After,
    /// Nothing is known: the text could not be read.
    Unknown,
}

impl DatePrecision {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Month => "month",
            DatePrecision::Quarter => "quarter",
            DatePrecision::Third => "third",
            DatePrecision::Half => "half",
            DatePrecision::Year => "year",
            DatePrecision::Before => "before",
            DatePrecision::After => "after",
            DatePrecision::Unknown => "unknown",
        }
    }

    /// Orders the precisions a bounded span can have, finest first, so a
    /// range can take the coarser of its two ends.
    fn coarseness(self) -> u8 {
        match self {
            DatePrecision::Day => 0,
            DatePrecision::Month => 1,
            DatePrecision::Quarter => 2,
            DatePrecision::Third => 3,
            DatePrecision::Half => 4,
            DatePrecision::Year => 5,
            DatePrecision::Before | DatePrecision::After | DatePrecision::Unknown => 6,
        }
    }
}

impl fmt::Display for DatePrecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether [`UncertainDate::parse`] understood the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateParse {
    /// The text was read into a start and/or an end.
    Parsed,
    /// The text was kept but not understood; the caller should warn.
    Unparsed,
}

/// Why an uncertain date given as parts (or as a JSON object) was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UncertainDateError {
    #[error("uncertain date field {field} is {value:?}, not a date written YYYY-MM-DD")]
    NotIsoDate { field: &'static str, value: String },
    #[error("uncertain date {date} is outside the years 1000 to 9999 that evident accepts")]
    OutOfRange { date: String },
    #[error(
        "uncertain date starts on {start} but ends earlier, on {end}; the end is inclusive and must not come before the start"
    )]
    StartAfterEnd { start: String, end: String },
    #[error("an uncertain date with precision {precision} needs {needs}")]
    BoundsDoNotFitPrecision { precision: DatePrecision, needs: &'static str },
}

/// A date as a source gives it: the text, and the first and last day it can
/// mean (both inclusive; either may be missing for "before" and "after").
///
/// Invariants: start and end are both missing exactly when precision is
/// `unknown`; only the start is missing for `before` and only the end for
/// `after`; start is not after end; both lie in the years 1000 to 9999.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncertainDate {
    text: String,
    start: Option<Date>,
    end: Option<Date>,
    precision: DatePrecision,
}

impl UncertainDate {
    /// Reads a date as sources write it (see the module documentation for the
    /// forms). Never fails and never panics: text it does not understand is
    /// kept with precision `unknown`, no start and no end, and
    /// [`DateParse::Unparsed`] so the caller can warn.
    pub fn parse(text: &str) -> (UncertainDate, DateParse) {
        match read(&tokenize(text)) {
            Some(bounds) => (
                UncertainDate {
                    text: text.to_owned(),
                    start: bounds.start,
                    end: bounds.end,
                    precision: bounds.precision,
                },
                DateParse::Parsed,
            ),
            None => (
                UncertainDate { text: text.to_owned(), start: None, end: None, precision: DatePrecision::Unknown },
                DateParse::Unparsed,
            ),
        }
    }

    /// Builds a date from parts someone has already worked out, for example
    /// a correction made by hand; the text is not read. Refuses parts that
    /// break the invariants listed on the type.
    pub fn from_parts(
        text: String,
        start: Option<Date>,
        end: Option<Date>,
        precision: DatePrecision,
    ) -> Result<UncertainDate, UncertainDateError> {
        for date in start.into_iter().chain(end) {
            if !in_supported_years(date) {
                return Err(UncertainDateError::OutOfRange { date: iso(date) });
            }
        }
        let (fits, needs) = match precision {
            DatePrecision::Unknown => (start.is_none() && end.is_none(), "no start and no end"),
            DatePrecision::Before => (start.is_none() && end.is_some(), "an end and no start"),
            DatePrecision::After => (start.is_some() && end.is_none(), "a start and no end"),
            _ => (start.is_some() && end.is_some(), "both a start and an end"),
        };
        if !fits {
            return Err(UncertainDateError::BoundsDoNotFitPrecision { precision, needs });
        }
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            return Err(UncertainDateError::StartAfterEnd { start: iso(start), end: iso(end) });
        }
        Ok(UncertainDate { text, start, end, precision })
    }

    /// The text as the source gave it, untouched.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first day the date can mean, if known.
    pub fn start(&self) -> Option<Date> {
        self.start
    }

    /// The last day the date can mean (inclusive), if known.
    pub fn end(&self) -> Option<Date> {
        self.end
    }

    pub fn precision(&self) -> DatePrecision {
        self.precision
    }

    /// True when at least one of start and end is known.
    pub fn is_known(&self) -> bool {
        self.precision != DatePrecision::Unknown
    }
}

impl fmt::Display for UncertainDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The JSON object form:
/// `{"text": "June-July 2017", "start": "2017-06-01", "end": "2017-07-31", "precision": "month"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DateObject {
    text: String,
    start: Option<String>,
    end: Option<String>,
    precision: DatePrecision,
}

impl Serialize for UncertainDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DateObject {
            text: self.text.clone(),
            start: self.start.map(iso),
            end: self.end.map(iso),
            precision: self.precision,
        }
        .serialize(serializer)
    }
}

/// Accepts the full object, checked against the invariants, or a bare string,
/// which is read with [`UncertainDate::parse`]. Needs a self-describing
/// format such as JSON.
impl<'de> Deserialize<'de> for UncertainDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UncertainDateVisitor)
    }
}

struct UncertainDateVisitor;

impl<'de> Visitor<'de> for UncertainDateVisitor {
    type Value = UncertainDate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date as text, or an object with text, start, end and precision")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<UncertainDate, E> {
        Ok(UncertainDate::parse(text).0)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<UncertainDate, A::Error> {
        let object = DateObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let day = |field, value: Option<String>| match value {
            None => Ok(None),
            Some(value) => match parse_iso(&value) {
                Some(date) => Ok(Some(date)),
                None => Err(UncertainDateError::NotIsoDate { field, value }),
            },
        };
        let start = day("start", object.start).map_err(de::Error::custom)?;
        let end = day("end", object.end).map_err(de::Error::custom)?;
        UncertainDate::from_parts(object.text, start, end, object.precision).map_err(de::Error::custom)
    }
}

fn iso(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Reads exactly `YYYY-MM-DD`, refusing signs, spaces and impossible days.
fn parse_iso(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    if !shaped {
        return None;
    }
    let year = text[0..4].parse().ok()?;
    let month = Month::try_from(text[5..7].parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year, month, text[8..10].parse().ok()?).ok()
}

fn in_supported_years(date: Date) -> bool {
    (1000..=9999).contains(&date.year())
}

// ---------------------------------------------------------------------------
// Tokens: the text cut into numbers, known words and marks. Anything else
// becomes `Unknown`, which no form accepts, so unexpected text is never
// skipped over.

/// A run of digits. `digits` tells `2016` from `0216`, and `value` saturates
/// so a long run cannot overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Numeral {
    value: u32,
    digits: usize,
}

impl Numeral {
    const fn small(value: u32) -> Numeral {
        Numeral { value, digits: 1 }
    }

    /// A year is written with four digits, 1000 to 9999.
    fn year(self) -> Option<i32> {
        (self.digits == 4 && (1000..=9999).contains(&self.value)).then_some(self.value as i32)
    }

    /// A month, day or ordinal is written with one or two digits.
    fn at_most(self, max: u8) -> Option<u8> {
        (self.digits <= 2 && (1..=u32::from(max)).contains(&self.value)).then_some(self.value as u8)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Number(Numeral),
    /// `1st`, `second`, `三`: the number of a half, a quarter or a day.
    Ordinal(Numeral),
    MonthName(u8),
    /// early (1), mid (2) or late (3) in the year.
    PartOfYear(u8),
    Half,
    /// The `H` of `H1 2019`.
    HalfLetter,
    Quarter,
    /// The `Q` of `Q3 2018`.
    QuarterLetter,
    /// 年, 月 and 日 after a Chinese year, month and day.
    YearMark,
    MonthMark,
    DayMark,
    /// A hyphen or dash: both the ISO separator and a range separator.
    Dash,
    /// A word or mark that only separates a range: `to`, `~`, 至, 到.
    To,
    And,
    From,
    Between,
    Before,
    After,
    Since,
    Circa,
    Unknown,
}

const fn ordinal(value: u32) -> Token {
    Token::Ordinal(Numeral::small(value))
}

/// Chinese words, longest first where one begins another (季度 before 季).
const CHINESE_WORDS: &[(&str, &[Token])] = &[
    ("上半年", &[ordinal(1), Token::Half]),
    ("下半年", &[ordinal(2), Token::Half]),
    ("以前", &[Token::Before]),
    ("之前", &[Token::Before]),
    ("以后", &[Token::After]),
    ("之后", &[Token::After]),
    ("以後", &[Token::After]),
    ("之後", &[Token::After]),
    ("以来", &[Token::Since]),
    ("以來", &[Token::Since]),
    ("大约", &[Token::Circa]),
    ("大約", &[Token::Circa]),
    ("左右", &[Token::Circa]),
    ("季度", &[Token::Quarter]),
    ("季", &[Token::Quarter]),
    ("年", &[Token::YearMark]),
    ("月", &[Token::MonthMark]),
    ("日", &[Token::DayMark]),
    ("号", &[Token::DayMark]),
    ("號", &[Token::DayMark]),
    ("初", &[Token::PartOfYear(1)]),
    ("中", &[Token::PartOfYear(2)]),
    ("底", &[Token::PartOfYear(3)]),
    ("末", &[Token::PartOfYear(3)]),
    ("至", &[Token::To]),
    ("到", &[Token::To]),
    ("起", &[Token::Since]),
    ("自", &[Token::From]),
    ("从", &[Token::From]),
    ("從", &[Token::From]),
    ("约", &[Token::Circa]),
    ("約", &[Token::Circa]),
    ("一", &[ordinal(1)]),
    ("二", &[ordinal(2)]),
    ("三", &[ordinal(3)]),
    ("四", &[ordinal(4)]),
    // 第 marks an ordinal (第三季度) that the numeral already is.
    ("第", &[]),
];

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() || c == ',' || c == '，' {
            rest = &rest[c.len_utf8()..];
        } else if digit_value(c).is_some() {
            let (number, after) = take_number(rest);
            rest = after;
            // An ordinal suffix may run straight into the next word, as in
            // "2ndHf2019", so only its two letters are taken.
            let suffix = rest.get(..2).map(str::to_ascii_lowercase);
            if matches!(suffix.as_deref(), Some("st" | "nd" | "rd" | "th")) {
                tokens.push(Token::Ordinal(number));
                rest = &rest[2..];
            } else {
                tokens.push(Token::Number(number));
            }
        } else if c.is_ascii_alphabetic() {
            let end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
            let word = rest[..end].to_ascii_lowercase();
            // A full stop after a word marks an abbreviation: "c.", "ca.", "Sept.".
            rest = rest[end..].strip_prefix('.').unwrap_or(&rest[end..]);
            tokens.extend(english_word(&word));
        } else if let Some((word, meaning)) = CHINESE_WORDS.iter().find(|(word, _)| rest.starts_with(word)) {
            tokens.extend_from_slice(meaning);
            rest = &rest[word.len()..];
        } else {
            tokens.push(match c {
                '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '－' => Token::Dash,
                '~' | '～' | '〜' => Token::To,
                _ => Token::Unknown,
            });
            rest = &rest[c.len_utf8()..];
        }
    }
    tokens
}

/// ASCII digits and the full-width digits common in Chinese text.
fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn take_number(text: &str) -> (Numeral, &str) {
    let mut number = Numeral { value: 0, digits: 0 };
    for (index, c) in text.char_indices() {
        let Some(digit) = digit_value(c) else {
            return (number, &text[index..]);
        };
        number.value = number.value.saturating_mul(10).saturating_add(digit);
        number.digits += 1;
    }
    (number, "")
}

/// The meaning of a lowercase English word; `None` for words that carry no
/// meaning here ("of", "the").
fn english_word(word: &str) -> Option<Token> {
    let token = match word {
        "jan" | "january" => Token::MonthName(1),
        "feb" | "february" => Token::MonthName(2),
        "mar" | "march" => Token::MonthName(3),
        "apr" | "april" => Token::MonthName(4),
        "may" => Token::MonthName(5),
        "jun" | "june" => Token::MonthName(6),
        "jul" | "july" => Token::MonthName(7),
        "aug" | "august" => Token::MonthName(8),
        "sep" | "sept" | "september" => Token::MonthName(9),
        "oct" | "october" => Token::MonthName(10),
        "nov" | "november" => Token::MonthName(11),
        "dec" | "december" => Token::MonthName(12),
        "early" | "beginning" | "start" => Token::PartOfYear(1),
        "mid" | "middle" => Token::PartOfYear(2),
        "late" | "end" => Token::PartOfYear(3),
        "first" => ordinal(1),
        "second" => ordinal(2),
        "third" => ordinal(3),
        "fourth" => ordinal(4),
        "half" | "hf" => Token::Half,
        "h" => Token::HalfLetter,
        "quarter" | "qtr" | "qt" => Token::Quarter,
        "q" => Token::QuarterLetter,
        "before" => Token::Before,
        "after" => Token::After,
        "since" => Token::Since,
        "circa" | "c" | "ca" | "about" | "around" | "approx" | "approximately" | "roughly" => Token::Circa,
        "to" | "until" | "till" | "through" | "thru" => Token::To,
        "and" => Token::And,
        "from" => Token::From,
        "between" => Token::Between,
        "of" | "the" | "in" | "on" => return None,
        _ => Token::Unknown,
    };
    Some(token)
}

// ---------------------------------------------------------------------------
// Forms: token sequences matched against fixed patterns.

/// The bounds a text was read into.
struct Bounds {
    start: Option<Date>,
    end: Option<Date>,
    precision: DatePrecision,
}

/// A bounded stretch of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: Date,
    end: Date,
    precision: DatePrecision,
}

impl From<Span> for Bounds {
    fn from(span: Span) -> Bounds {
        Bounds { start: Some(span.start), end: Some(span.end), precision: span.precision }
    }
}

/// A whole date or one side of a range, before a side is completed from the
/// other: the `June` of `June-July 2017` has no year yet.
#[derive(Clone, Copy, Debug)]
struct Side {
    year: Option<i32>,
    unit: Unit,
}

#[derive(Clone, Copy, Debug)]
enum Unit {
    Year,
    PartOfYear(u8),
    Half(u8),
    Quarter(u8),
    Month(u8),
    Day { month: Option<u8>, day: u8 },
}

impl Side {
    /// The days a complete side covers; `None` if it lacks a year or month,
    /// or names a day that does not exist (2017-02-30).
    fn span(self) -> Option<Span> {
        let year = self.year?;
        match self.unit {
            Unit::Year => months(year, 1, 12, DatePrecision::Year),
            Unit::PartOfYear(part) => months(year, 4 * part - 3, 4 * part, DatePrecision::Third),
            Unit::Half(half) => months(year, 6 * half - 5, 6 * half, DatePrecision::Half),
            Unit::Quarter(quarter) => months(year, 3 * quarter - 2, 3 * quarter, DatePrecision::Quarter),
            Unit::Month(month) => months(year, month, month, DatePrecision::Month),
            Unit::Day { month, day } => {
                let date = Date::from_calendar_date(year, Month::try_from(month?).ok()?, day).ok()?;
                Some(Span { start: date, end: date, precision: DatePrecision::Day })
            }
        }
    }

    fn month(self) -> Option<u8> {
        match self.unit {
            Unit::Month(month) | Unit::Day { month: Some(month), .. } => Some(month),
            _ => None,
        }
    }
}

fn months(year: i32, first: u8, last: u8, precision: DatePrecision) -> Option<Span> {
    let (first, last) = (Month::try_from(first).ok()?, Month::try_from(last).ok()?);
    Some(Span {
        start: Date::from_calendar_date(year, first, 1).ok()?,
        end: Date::from_calendar_date(year, last, last.length(year)).ok()?,
        precision,
    })
}

/// The whole text: an optional "circa", then a point, a before/after/since,
/// or a range.
fn read(tokens: &[Token]) -> Option<Bounds> {
    use Token::*;
    if tokens.contains(&Unknown) {
        return None;
    }
    let tokens = match tokens {
        [Circa, rest @ ..] | [rest @ .., Circa] => rest,
        _ => tokens,
    };
    match tokens {
        [Before, rest @ ..] | [rest @ .., Before] => {
            let end = point(rest)?.start.previous_day().filter(|day| in_supported_years(*day))?;
            Some(Bounds { start: None, end: Some(end), precision: DatePrecision::Before })
        }
        [After, rest @ ..] | [rest @ .., After] => {
            let start = point(rest)?.end.next_day().filter(|day| in_supported_years(*day))?;
            Some(Bounds { start: Some(start), end: None, precision: DatePrecision::After })
        }
        [Since, rest @ ..] | [From, rest @ .., Since] | [rest @ .., Since] => {
            let start = point(rest)?.start;
            Some(Bounds { start: Some(start), end: None, precision: DatePrecision::After })
        }
        _ => point(tokens).or_else(|| range(tokens)).map(Bounds::from),
    }
}

/// A single complete date of any precision.
fn point(tokens: &[Token]) -> Option<Span> {
    side(tokens)?.span()
}

/// Two sides around a separator. Every separator is tried, and if two splits
/// give different ranges the text is refused rather than one picked.
fn range(tokens: &[Token]) -> Option<Span> {
    use Token::*;
    let (body, separates): (&[Token], fn(Token) -> bool) = match tokens {
        [Between, rest @ ..] => (rest, |token| token == And),
        [From, rest @ ..] => (rest, |token| token == To || token == Dash),
        _ => (tokens, |token| token == To || token == Dash),
    };
    let mut found = None;
    for (index, token) in body.iter().enumerate() {
        if !separates(*token) {
            continue;
        }
        let Some(candidate) = range_at(&body[..index], &body[index + 1..]) else {
            continue;
        };
        match found {
            None => found = Some(candidate),
            Some(earlier) if earlier != candidate => return None,
            Some(_) => {}
        }
    }
    found
}

fn range_at(left: &[Token], right: &[Token]) -> Option<Span> {
    let (mut left, mut right) = (side(left)?, side(right)?);
    left.year = left.year.or(right.year);
    right.year = right.year.or(left.year);
    if let Unit::Day { month: None, day } = left.unit {
        left.unit = Unit::Day { month: right.month(), day };
    }
    if let Unit::Day { month: None, day } = right.unit {
        right.unit = Unit::Day { month: left.month(), day };
    }
    let (first, last) = (left.span()?, right.span()?);
    if first.end >= last.start {
        return None;
    }
    let precision =
        if first.precision.coarseness() >= last.precision.coarseness() { first.precision } else { last.precision };
    Some(Span { start: first.start, end: last.end, precision })
}

/// One date or one side of a range. Each pattern accepts a distinct shape,
/// so a pattern that matches but holds impossible numbers ends the search.
fn side(tokens: &[Token]) -> Option<Side> {
    use Token::*;
    let with_year = |year: Numeral, unit: Unit| Some(Side { year: Some(year.year()?), unit });
    let without_year = |unit: Unit| Some(Side { year: None, unit });
    let month = |number: Numeral| number.at_most(12);
    let day = |month: Option<u8>, number: Numeral| Some(Unit::Day { month, day: number.at_most(31)? });
    let nth = |token: Token, max: u8| match token {
        Number(number) | Ordinal(number) => number.at_most(max),
        _ => None,
    };
    match *tokens {
        // 2016, 2017年; a lone day only means something inside a range, as the
        // 17 of "17-20 May 2016".
        [Number(year)] if year.digits == 4 => with_year(year, Unit::Year),
        [Number(number) | Ordinal(number)] => without_year(day(None, number)?),
        [Number(year), YearMark] => with_year(year, Unit::Year),

        // 2016-05, 2016-05-17
        [Number(year), Dash, Number(m)] => with_year(year, Unit::Month(month(m)?)),
        [Number(year), Dash, Number(m), Dash, Number(d)] => with_year(year, day(Some(month(m)?), d)?),

        // May, May 2016, May 17, 2016 May, 17 May
        [MonthName(m)] => without_year(Unit::Month(m)),
        [MonthName(m), Number(year)] if year.digits == 4 => with_year(year, Unit::Month(m)),
        [MonthName(m), Number(d) | Ordinal(d)] => without_year(day(Some(m), d)?),
        [Number(year), MonthName(m)] if year.digits == 4 => with_year(year, Unit::Month(m)),
        [Number(d) | Ordinal(d), MonthName(m)] => without_year(day(Some(m), d)?),

        // 17 May 2016, 2016 May 17, May 17 2016, and the "20, 2016" of "May 17-20, 2016"
        [Number(d) | Ordinal(d), MonthName(m), Number(year)] if year.digits == 4 => with_year(year, day(Some(m), d)?),
        [Number(year), MonthName(m), Number(d) | Ordinal(d)] => with_year(year, day(Some(m), d)?),
        [MonthName(m), Number(d) | Ordinal(d), Number(year)] => with_year(year, day(Some(m), d)?),
        [Number(d) | Ordinal(d), Number(year)] => with_year(year, day(None, d)?),

        // 2017年6月, 6月, 2017年6月5日, 6月5日, 5日
        [Number(year), YearMark, Number(m), MonthMark] => with_year(year, Unit::Month(month(m)?)),
        [Number(m), MonthMark] => without_year(Unit::Month(month(m)?)),
        [Number(year), YearMark, Number(m), MonthMark, Number(d), DayMark] => with_year(year, day(Some(month(m)?), d)?),
        [Number(m), MonthMark, Number(d), DayMark] => without_year(day(Some(month(m)?), d)?),
        [Number(d), DayMark] => without_year(day(None, d)?),

        // early 2018, mid-2018, 2018年初, and "early" alone in "early-mid 2018"
        [PartOfYear(part), Number(year)]
        | [PartOfYear(part), Dash, Number(year)]
        | [Number(year), YearMark, PartOfYear(part)] => with_year(year, Unit::PartOfYear(part)),
        [PartOfYear(part)] => without_year(Unit::PartOfYear(part)),

        // 2nd half 2019, H2 2019, 2019 H2, 2019年下半年
        [n @ (Number(_) | Ordinal(_)), Half, Number(year)]
        | [HalfLetter, n @ Number(_), Number(year)]
        | [Number(year), HalfLetter, n @ Number(_)]
        | [Number(year), YearMark, n @ (Number(_) | Ordinal(_)), Half] => with_year(year, Unit::Half(nth(n, 2)?)),
        [n @ (Number(_) | Ordinal(_)), Half] | [HalfLetter, n @ Number(_)] => without_year(Unit::Half(nth(n, 2)?)),

        // 3rd quarter 2018, Q3 2018, 2018 Q3, 2018年第三季度
        [n @ (Number(_) | Ordinal(_)), Quarter, Number(year)]
        | [QuarterLetter, n @ Number(_), Number(year)]
        | [Number(year), QuarterLetter, n @ Number(_)]
        | [Number(year), YearMark, n @ (Number(_) | Ordinal(_)), Quarter] => with_year(year, Unit::Quarter(nth(n, 4)?)),
        [n @ (Number(_) | Ordinal(_)), Quarter] | [QuarterLetter, n @ Number(_)] => {
            without_year(Unit::Quarter(nth(n, 4)?))
        }

        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parses `text` and writes the result as `start..end precision`, with an
    /// empty side for a missing bound, or `unparsed`.
    fn describe(text: &str) -> String {
        let (date, status) = UncertainDate::parse(text);
        match status {
            DateParse::Unparsed => {
                assert_eq!((date.start(), date.end(), date.precision()), (None, None, DatePrecision::Unknown));
                "unparsed".to_owned()
            }
            DateParse::Parsed => format!(
                "{}..{} {}",
                date.start().map(iso).unwrap_or_default(),
                date.end().map(iso).unwrap_or_default(),
                date.precision()
            ),
        }
    }

    /// Checks every `(text, expected)` pair and reports all mismatches at once.
    fn check(table: &[(&str, &str)]) {
        let wrong: Vec<String> = table
            .iter()
            .filter_map(|(text, expected)| {
                let got = describe(text);
                (got != *expected).then(|| format!("{text:?}: expected {expected}, got {got}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), table.len(), wrong.join("\n"));
    }

    #[test]
    fn reads_english_forms() {
        check(&[
            ("2016", "2016-01-01..2016-12-31 year"),
            ("  2016\t", "2016-01-01..2016-12-31 year"),
            ("2016-05", "2016-05-01..2016-05-31 month"),
            ("2016-02", "2016-02-01..2016-02-29 month"),
            ("2016-05-17", "2016-05-17..2016-05-17 day"),
            ("May 2016", "2016-05-01..2016-05-31 month"),
            ("may 2016", "2016-05-01..2016-05-31 month"),
            ("SEPT. 2016", "2016-09-01..2016-09-30 month"),
            ("Feb 2017", "2017-02-01..2017-02-28 month"),
            ("December 2016", "2016-12-01..2016-12-31 month"),
            ("17 May 2016", "2016-05-17..2016-05-17 day"),
            ("17 Nov 2016", "2016-11-17..2016-11-17 day"),
            ("May 17, 2016", "2016-05-17..2016-05-17 day"),
            ("May 17th, 2016", "2016-05-17..2016-05-17 day"),
            ("the 17th of May 2016", "2016-05-17..2016-05-17 day"),
            ("2016 May 17", "2016-05-17..2016-05-17 day"),
            ("June-July 2017", "2017-06-01..2017-07-31 month"),
            ("June–July 2017", "2017-06-01..2017-07-31 month"),
            ("June — July 2017", "2017-06-01..2017-07-31 month"),
            ("jun to jul 2017", "2017-06-01..2017-07-31 month"),
            ("early 2018", "2018-01-01..2018-04-30 third"),
            ("mid 2018", "2018-05-01..2018-08-31 third"),
            ("mid-2018", "2018-05-01..2018-08-31 third"),
            ("late 2018", "2018-09-01..2018-12-31 third"),
            ("the end of 2018", "2018-09-01..2018-12-31 third"),
            ("early-mid 2018", "2018-01-01..2018-08-31 third"),
            ("2nd half 2019", "2019-07-01..2019-12-31 half"),
            ("second half of 2019", "2019-07-01..2019-12-31 half"),
            ("2ndHf2019", "2019-07-01..2019-12-31 half"),
            ("1stHf2019", "2019-01-01..2019-06-30 half"),
            ("H1 2019", "2019-01-01..2019-06-30 half"),
            ("2019 H2", "2019-07-01..2019-12-31 half"),
            ("3rdQt2018", "2018-07-01..2018-09-30 quarter"),
            ("Q3 2018", "2018-07-01..2018-09-30 quarter"),
            ("q4 2018", "2018-10-01..2018-12-31 quarter"),
            ("2018Q1", "2018-01-01..2018-03-31 quarter"),
            ("3rd quarter 2018", "2018-07-01..2018-09-30 quarter"),
            ("third quarter of 2018", "2018-07-01..2018-09-30 quarter"),
            ("Q1-Q3 2018", "2018-01-01..2018-09-30 quarter"),
            ("1999-2005", "1999-01-01..2005-12-31 year"),
            ("1999 – 2005", "1999-01-01..2005-12-31 year"),
            ("from 1999 to 2005", "1999-01-01..2005-12-31 year"),
            ("between 1999 and 2005", "1999-01-01..2005-12-31 year"),
            ("May 2016 - 2018", "2016-05-01..2018-12-31 year"),
            ("June 2016 to March 2017", "2016-06-01..2017-03-31 month"),
            ("17-20 May 2016", "2016-05-17..2016-05-20 day"),
            ("May 17-20, 2016", "2016-05-17..2016-05-20 day"),
            ("17 May - 3 June 2016", "2016-05-17..2016-06-03 day"),
            ("2016-05-17 to 2016-06-01", "2016-05-17..2016-06-01 day"),
            ("2016-05-17-20", "2016-05-17..2016-05-20 day"),
            ("Dec 2016 - Jan 2017", "2016-12-01..2017-01-31 month"),
            ("late 2017 - early 2018", "2017-09-01..2018-04-30 third"),
            ("before 2010", "..2009-12-31 before"),
            ("Before May 2010", "..2010-04-30 before"),
            ("after 2015", "2016-01-01.. after"),
            ("after mid-2015", "2015-09-01.. after"),
            ("since 2015", "2015-01-01.. after"),
            ("circa 2016", "2016-01-01..2016-12-31 year"),
            ("c. 2016", "2016-01-01..2016-12-31 year"),
            ("c.2016", "2016-01-01..2016-12-31 year"),
            ("ca. 2016", "2016-01-01..2016-12-31 year"),
            ("about 2016", "2016-01-01..2016-12-31 year"),
            ("Circa May 2016", "2016-05-01..2016-05-31 month"),
            ("c. 1999-2005", "1999-01-01..2005-12-31 year"),
            ("1000", "1000-01-01..1000-12-31 year"),
            ("9999", "9999-01-01..9999-12-31 year"),
        ]);
    }

    #[test]
    fn reads_chinese_forms() {
        check(&[
            ("2017年", "2017-01-01..2017-12-31 year"),
            ("2017年6月", "2017-06-01..2017-06-30 month"),
            ("２０１７年６月", "2017-06-01..2017-06-30 month"),
            ("2017年6月5日", "2017-06-05..2017-06-05 day"),
            ("2017年6月5号", "2017-06-05..2017-06-05 day"),
            ("2017年6月至7月", "2017-06-01..2017-07-31 month"),
            ("2017年6月-7月", "2017-06-01..2017-07-31 month"),
            ("2017年6月到7月", "2017-06-01..2017-07-31 month"),
            ("2017年6月5日至8日", "2017-06-05..2017-06-08 day"),
            ("2018年初", "2018-01-01..2018-04-30 third"),
            ("2018年中", "2018-05-01..2018-08-31 third"),
            ("2018年底", "2018-09-01..2018-12-31 third"),
            ("2018年末", "2018-09-01..2018-12-31 third"),
            ("2018年上半年", "2018-01-01..2018-06-30 half"),
            ("2018年下半年", "2018-07-01..2018-12-31 half"),
            ("2018年第三季度", "2018-07-01..2018-09-30 quarter"),
            ("2018年第3季度", "2018-07-01..2018-09-30 quarter"),
            ("2018年一季度", "2018-01-01..2018-03-31 quarter"),
            ("2010年以前", "..2009-12-31 before"),
            ("2010年之前", "..2009-12-31 before"),
            ("2015年以后", "2016-01-01.. after"),
            ("2015年之后", "2016-01-01.. after"),
            ("2015年以来", "2015-01-01.. after"),
            ("自2015年起", "2015-01-01.. after"),
            ("1999年至2005年", "1999-01-01..2005-12-31 year"),
            ("从1999年到2005年", "1999-01-01..2005-12-31 year"),
            ("约2016年", "2016-01-01..2016-12-31 year"),
            ("2016年左右", "2016-01-01..2016-12-31 year"),
        ]);
    }

    #[test]
    fn leaves_unclear_text_unparsed() {
        check(&[
            ("", "unparsed"),
            ("   ", "unparsed"),
            ("sometime", "unparsed"),
            ("the", "unparsed"),
            ("May", "unparsed"),
            ("early", "unparsed"),
            // reversed or overlapping ranges are never turned round
            ("2005-1999", "unparsed"),
            ("July-June 2017", "unparsed"),
            ("Dec-Jan 2017", "unparsed"),
            ("2016-2016", "unparsed"),
            ("2016 - May 2016", "unparsed"),
            ("2017年7月至6月", "unparsed"),
            // days that do not exist
            ("2017-02-30", "unparsed"),
            ("2017-02-29", "unparsed"),
            ("30 February 2016", "unparsed"),
            ("2017年2月30日", "unparsed"),
            ("2016-13", "unparsed"),
            ("2016-00", "unparsed"),
            ("2016-05-00", "unparsed"),
            // years outside 1000..=9999, and bounds that would leave them
            ("999", "unparsed"),
            ("0999", "unparsed"),
            ("10000", "unparsed"),
            ("before 1000", "unparsed"),
            ("after 9999", "unparsed"),
            // ambiguous or unknown forms
            ("05/06/2017", "unparsed"),
            ("2016-17", "unparsed"),
            ("2016.05.17", "unparsed"),
            ("Q5 2018", "unparsed"),
            ("3rd half 2019", "unparsed"),
            ("early 2018 or so", "unparsed"),
            ("10年前", "unparsed"),
            ("2017年6月中旬", "unparsed"),
            ("from 2015", "unparsed"),
            ("1999 and 2005", "unparsed"),
            ("circa", "unparsed"),
            ("before", "unparsed"),
            ("before 1999-2005", "unparsed"),
            ("99999999999999999999", "unparsed"),
        ]);
    }

    #[test]
    fn keeps_the_text_as_given() {
        let (date, status) = UncertainDate::parse("  June–July 2017 ");
        assert_eq!(status, DateParse::Parsed);
        assert_eq!(date.text(), "  June–July 2017 ");
        assert_eq!(date.to_string(), "  June–July 2017 ");
        assert!(date.is_known());
        let (date, status) = UncertainDate::parse("sometime in the 90s");
        assert_eq!(status, DateParse::Unparsed);
        assert_eq!(date.to_string(), "sometime in the 90s");
        assert!(!date.is_known());
    }

    #[test]
    fn json_has_the_documented_shape_and_round_trips() {
        for (text, json) in [
            (
                "June-July 2017",
                r#"{"text":"June-July 2017","start":"2017-06-01","end":"2017-07-31","precision":"month"}"#,
            ),
            ("sometime", r#"{"text":"sometime","start":null,"end":null,"precision":"unknown"}"#),
            ("before 2010", r#"{"text":"before 2010","start":null,"end":"2009-12-31","precision":"before"}"#),
            ("2018年初", r#"{"text":"2018年初","start":"2018-01-01","end":"2018-04-30","precision":"third"}"#),
        ] {
            let date = UncertainDate::parse(text).0;
            assert_eq!(serde_json::to_string(&date).unwrap(), json);
            assert_eq!(serde_json::from_str::<UncertainDate>(json).unwrap(), date);
        }
    }

    #[test]
    fn json_object_is_taken_as_given_not_reread() {
        let json = r#"{"text":"spring 2017","start":"2017-03-01","end":"2017-05-31","precision":"quarter"}"#;
        let date: UncertainDate = serde_json::from_str(json).unwrap();
        assert_eq!(date.text(), "spring 2017");
        assert_eq!(date.start(), Some(time::macros::date!(2017 - 03 - 01)));
        assert_eq!(date.end(), Some(time::macros::date!(2017 - 05 - 31)));
        assert_eq!(date.precision(), DatePrecision::Quarter);
    }

    #[test]
    fn json_bare_string_is_parsed() {
        let date: UncertainDate = serde_json::from_str(r#""June–July 2017""#).unwrap();
        assert_eq!(date, UncertainDate::parse("June–July 2017").0);
        assert_eq!(date.precision(), DatePrecision::Month);
        let date: UncertainDate = serde_json::from_str(r#""sometime""#).unwrap();
        assert_eq!((date.text(), date.precision()), ("sometime", DatePrecision::Unknown));
    }

    #[test]
    fn json_refuses_objects_that_break_the_invariants() {
        let object = |start: &str, end: &str, precision: &str| {
            format!(r#"{{"text":"x","start":{start},"end":{end},"precision":"{precision}"}}"#)
        };
        let cases = [
            (object(r#""2017-07-31""#, r#""2017-06-01""#, "month"), "starts on 2017-07-31 but ends earlier"),
            (
                object(r#""2017-02-30""#, r#""2017-03-01""#, "day"),
                "start is \"2017-02-30\", not a date written YYYY-MM-DD",
            ),
            (object(r#""2017-6-01""#, r#""2017-07-01""#, "day"), "not a date written YYYY-MM-DD"),
            (object(r#""2017-06-01""#, r#""+017-07-01""#, "day"), "end is \"+017-07-01\""),
            (object(r#""0999-01-01""#, r#""2017-07-01""#, "year"), "outside the years 1000 to 9999"),
            (object(r#""2017-06-01""#, r#""2017-07-01""#, "unknown"), "precision unknown needs no start and no end"),
            (object("null", "null", "year"), "precision year needs both a start and an end"),
            (object(r#""2017-06-01""#, r#""2017-07-01""#, "before"), "precision before needs an end and no start"),
            (object("null", "null", "range"), "unknown variant `range`"),
            (r#"{"text":"x","start":null,"end":null}"#.to_owned(), "missing field `precision`"),
            (
                r#"{"text":"x","start":null,"end":null,"precision":"unknown","when":1}"#.to_owned(),
                "unknown field `when`",
            ),
            ("2016".to_owned(), "a date as text, or an object"),
        ];
        for (json, expected) in cases {
            let error = serde_json::from_str::<UncertainDate>(&json).unwrap_err().to_string();
            assert!(error.contains(expected), "{json}: expected an error containing {expected:?}, got {error:?}");
        }
    }

    const MONTH_NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];

    /// Text built from the words and marks the parser knows, so generated
    /// cases reach the forms rather than stopping at the first unknown token.
    fn date_like_text() -> impl Strategy<Value = String> {
        let mut words: Vec<&str> = "2016 1999 2005 1000 9999 0999 05 5 17 31 30 2 3rd 1st - – , . May jun Sept \
            early mid late half Hf H Q quarter before after since circa c. to and from between of \
            年 月 日 初 中 底 至 以前 以后 以来 上半年 第 三 季度 约 左右 自 起 /"
            .split_whitespace()
            .collect();
        words.push(" ");
        let pieces = prop::sample::select(words);
        prop::collection::vec(pieces, 0..10).prop_map(|pieces| pieces.concat())
    }

    fn any_supported_date() -> impl Strategy<Value = Date> {
        let first = time::macros::date!(1000 - 01 - 01).to_julian_day();
        let last = time::macros::date!(9999 - 12 - 31).to_julian_day();
        (first..=last).prop_map(|day| Date::from_julian_day(day).unwrap())
    }

    /// What every parse must satisfy, whatever the input.
    fn check_invariants(text: &str) -> Result<(), TestCaseError> {
        let (date, status) = UncertainDate::parse(text);
        prop_assert_eq!(date.text(), text);
        prop_assert_eq!(status == DateParse::Parsed, date.is_known());
        if let (Some(start), Some(end)) = (date.start(), date.end()) {
            prop_assert!(start <= end, "{text:?} gave {start} after {end}");
        }
        // Everything parse produces satisfies from_parts, so it survives JSON.
        let json = serde_json::to_string(&date).unwrap();
        prop_assert_eq!(serde_json::from_str::<UncertainDate>(&json).unwrap(), date);
        Ok(())
    }

    fn expect(text: &str, start: Date, end: Date, precision: DatePrecision) -> Result<(), TestCaseError> {
        let (date, status) = UncertainDate::parse(text);
        prop_assert_eq!(status, DateParse::Parsed, "{:?} was not parsed", text);
        prop_assert_eq!(
            (date.start(), date.end(), date.precision()),
            (Some(start), Some(end), precision),
            "{:?}",
            text
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_any_string(text in any::<String>()) {
            check_invariants(&text)?;
        }

        #[test]
        fn parse_never_panics_on_any_characters(chars in prop::collection::vec(any::<char>(), 0..40)) {
            check_invariants(&chars.into_iter().collect::<String>())?;
        }

        #[test]
        fn parse_keeps_invariants_on_date_like_text(text in date_like_text()) {
            check_invariants(&text)?;
        }

        #[test]
        fn written_dates_read_back(date in any_supported_date(), abbreviated in any::<bool>(), shouting in any::<bool>()) {
            let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
            let first_of_month = date.replace_day(1).unwrap();
            let last_of_month = date.replace_day(date.month().length(year)).unwrap();
            let first_of_year = Date::from_calendar_date(year, Month::January, 1).unwrap();
            let last_of_year = Date::from_calendar_date(year, Month::December, 31).unwrap();
            let mut name = MONTH_NAMES[usize::from(month - 1)].to_owned();
            if abbreviated {
                name.truncate(3);
            }
            if shouting {
                name = name.to_uppercase();
            }
            expect(&format!("{year:04}-{month:02}-{day:02}"), date, date, DatePrecision::Day)?;
            expect(&format!("{year:04}-{month:02}"), first_of_month, last_of_month, DatePrecision::Month)?;
            expect(&format!("{year:04}"), first_of_year, last_of_year, DatePrecision::Year)?;
            expect(&format!("{day} {name} {year}"), date, date, DatePrecision::Day)?;
            expect(&format!("{name} {day}, {year}"), date, date, DatePrecision::Day)?;
            expect(&format!("{name} {year}"), first_of_month, last_of_month, DatePrecision::Month)?;
            expect(&format!("{year}年{month}月{day}日"), date, date, DatePrecision::Day)?;
        }
    }
}
