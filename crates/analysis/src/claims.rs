//! Claim candidates: the figures in a Chinese or English text that an
//! investigator may want to record as claims — waiting times for an organ,
//! prices, transplant volumes, bed counts and bed utilisation — each
//! normalised and with its exact span, so that it can be shown highlighted
//! in its document and checked by a person before it becomes a claim.
//!
//! The finder is a hand-written set of regular expressions, one small
//! family per kind, run sentence by sentence. They match full-width digits
//! and percent signs, Chinese numerals (一百二十, 两千零五, 十二万) and
//! traditional characters (等待時間, 腎臟, 張) directly, so every offset is
//! an offset into the text as given.
//!
//! What counts, and how it is normalised:
//!
//! - **waiting time**: a duration that the sentence presents as a wait for
//!   an organ or a transplant — it says "waiting time" (等待时间, 等候時間),
//!   or it names an organ, a donor, a transplant, the operation or the
//!   patient and says wait (等待, waited) or a speed or finding (最快, 以内,
//!   within, find, get); a question just before (需要等多久？) counts as part
//!   of the sentence. Durations of a hospital stay or of recovery (术后,
//!   住院, discharged, recover) and durations "ago" (两周前) are not waits.
//!   The value is in days (a week is 7, a month 30, a year 365); a range
//!   gives its low end as `value` and its high end as `value_high`; a bound
//!   (两周以内, within two weeks, 不超过两周) gives the bound as `value`.
//! - **price**: every amount of money stated with a currency, a bed fee as
//!   much as the price of a liver. The value is in units of the stated
//!   currency with 万, 千, 亿, thousand, million and billion multiplied out
//!   (16万元 → 160000 CNY); `¥`, 元 and RMB are CNY, a bare `$` is USD.
//! - **volume**: a count of transplants (例 or 台 next to 移植, "N liver
//!   transplants", "N cases of kidney transplantation"); "1000余例" is 1000.
//!   The unit names the organ when it is stated ("liver transplants").
//! - **beds**: a count of beds (床位46张, 46张床位, 46 beds, a 500-bed unit).
//! - **utilisation**: a bed-use percentage (使用率130%, 百分之一百三十,
//!   occupancy of 130%).
//!
//! A candidate also carries the year or range of years its sentence states
//! nearest to it (2005年, in 2005, 2003年至2006年), as the period it may refer
//! to. The finder never fails: text without figures gives no candidates.

use std::sync::LazyLock;

use regex::{Captures, Match, Regex};
use serde::Serialize;

/// What a candidate figure measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    WaitingTime,
    Price,
    Volume,
    Beds,
    Utilisation,
}

/// One figure found in a text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub kind: ClaimKind,
    /// the exact matched text, `&text[start..end]`
    pub text: String,
    /// byte offsets into the input
    pub start: usize,
    pub end: usize,
    /// the same span in characters (Unicode scalar values)
    pub char_start: usize,
    pub char_end: usize,
    /// normalised: days for a waiting time (the low end of a range), units of
    /// the currency for a price, a count for volumes and beds, percent for
    /// utilisation
    pub value: f64,
    /// the upper end of a range (一到两周 → 14 days, with `value` 7)
    pub value_high: Option<f64>,
    /// "days", a currency code ("USD", "CNY", "EUR", "HKD", "TWD", "GBP",
    /// "JPY"), "transplants" or "liver transplants" and the like, "beds",
    /// "percent"
    pub unit: String,
    /// the year ("2005") or range of years ("2003-2006") stated in the same
    /// sentence nearest to the figure
    pub period: Option<String>,
    /// the sentence the figure was found in, trimmed
    pub sentence: String,
}

/// Every candidate claim in `text`, in text order and non-overlapping.
pub fn find_candidates(text: &str) -> Vec<Candidate> {
    let Some(patterns) = PATTERNS.as_ref() else {
        return Vec::new();
    };
    let mut candidates = Vec::new();
    let mut chars = CharCounter::default();
    let mut question: Option<&str> = None;
    for (sentence_start, sentence_end) in sentences(text) {
        let sentence = &text[sentence_start..sentence_end];
        let periods = periods(patterns, sentence);
        for found in find_in_sentence(patterns, sentence, question) {
            let (start, end) = (sentence_start + found.start, sentence_start + found.end);
            let char_start = chars.at(text, start);
            let char_end = chars.at(text, end);
            candidates.push(Candidate {
                kind: found.kind,
                text: text[start..end].to_string(),
                start,
                end,
                char_start,
                char_end,
                value: found.value,
                value_high: found.value_high,
                unit: found.unit,
                period: nearest_period(&periods, found.start, found.end),
                sentence: sentence.to_string(),
            });
        }
        question = sentence.ends_with(['?', '？']).then_some(sentence);
    }
    candidates
}

/// A figure found in one sentence, offsets relative to the sentence.
#[derive(Clone, Debug, PartialEq)]
struct Found {
    kind: ClaimKind,
    start: usize,
    end: usize,
    value: f64,
    value_high: Option<f64>,
    unit: String,
}

impl Found {
    fn new(kind: ClaimKind, span: Match<'_>, value: f64, value_high: Option<f64>, unit: &str) -> Option<Found> {
        if !value.is_finite() {
            return None;
        }
        let value_high = value_high.filter(|high| high.is_finite() && *high > value);
        Some(Found { kind, start: span.start(), end: span.end(), value, value_high, unit: unit.to_string() })
    }
}

/// All kinds in one sentence, overlaps resolved: the earlier match wins, and
/// of two starting together the longer. A question just before the sentence
/// is context for its waiting times (需要等多久？一般两到三周).
fn find_in_sentence(patterns: &Patterns, sentence: &str, question: Option<&str>) -> Vec<Found> {
    let mut found = Vec::new();
    prices(patterns, sentence, &mut found);
    volumes(patterns, sentence, &mut found);
    beds(patterns, sentence, &mut found);
    utilisation(patterns, sentence, &mut found);
    waiting_times(patterns, sentence, question, &mut found);
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.last().is_none_or(|last| f.start >= last.end) {
            kept.push(f);
        }
    }
    kept
}

// ---------------------------------------------------------------------------
// The patterns
// ---------------------------------------------------------------------------

/// Pieces the patterns below are written with; `{NAME}` in a pattern is
/// replaced by its piece (the compound pieces first).
const PIECES: &[(&str, &str)] = &[
    ("{NUM}", "(?:{DIG}|{HAN})"),
    ("{EN_NUM}", r"(?:{DIG}|{EN_WORD}|an?\b)"),
    // Arabic digits, ASCII or full-width, with thousands commas and a decimal part.
    ("{DIG}", r"[0-9０-９]+(?:,[0-9]{3})*(?:[.．][0-9０-９]+)?"),
    // Chinese numerals, simplified and traditional.
    ("{HAN}", "[零〇一二两兩三四五六七八九十百千万萬亿億]+"),
    (
        "{EN_WORD}",
        r"(?:thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|three|seven|eight|four|five|nine|one|two|six|ten)\b",
    ),
    ("{TO}", r"(?:至|到|-|–|—|~|～)"),
    ("{MULT}", r"(?:(?i:million|billion|thousand|mn|bn|k|m)\b|[万萬千亿億]+)"),
    (
        "{CUR_PRE}",
        r"(?:(?-i:US|U\.S\.)\s?\$|(?-i:HK|NT)\$|(?-i:USD|HKD|TWD|RMB|CNY|EUR|GBP|JPY)|人民币|人民幣|[$¥￥€£])",
    ),
    (
        "{ZH_ORGAN}",
        "(?:肝肾联合|肝腎聯合|胰肾联合|胰腎聯合|心肺联合|心肺聯合|肝脏|肝臟|肾脏|腎臟|心脏|心臟|肺脏|肺臟|小肠|小腸|胰腺|角膜|器官|肝|肾|腎|心|肺|胰)",
    ),
    (
        "{EN_ORGAN}",
        r"(?:liver-kidney|kidney-pancreas|heart-lung|kidney|renal|liver|hepatic|heart|cardiac|lung|pancreas|corneal?|small[\s-]bowel|intestine|organ)",
    ),
    ("{ZH_UNIT}", "(?:天|周|週|星期|礼拜|禮拜|月|年|小时|小時)"),
    ("{YEAR}", "(?:19|20)[0-9]{2}"),
];

struct Patterns {
    zh_duration: Regex,
    en_duration: Regex,
    price_prefix: Regex,
    price_between: Regex,
    price_suffix: Regex,
    zh_volume: Regex,
    zh_volume_count_first: Regex,
    en_volume: Regex,
    en_volume_cases: Regex,
    zh_beds: Regex,
    zh_beds_count_first: Regex,
    en_beds: Regex,
    en_bed_capacity: Regex,
    zh_utilisation: Regex,
    en_utilisation: Regex,
    en_utilisation_percent_first: Regex,
    periods: Vec<Regex>,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| Patterns::new().ok());

fn compile(template: &str) -> Result<Regex, regex::Error> {
    let mut pattern = template.to_string();
    for (name, piece) in PIECES {
        pattern = pattern.replace(name, piece);
    }
    Regex::new(&pattern)
}

impl Patterns {
    fn new() -> Result<Patterns, regex::Error> {
        Ok(Patterns {
            // 一周, 7天, 48小时, 一到两周, 两三周, 一个半月, 半个月, 一周至一个月, 两周以内, 最快三天
            zh_duration: compile(
                r"(?x)
                (?P<pre>最快|最短|只需|仅需|僅需|只要|不超过|不超過|不到|少于|少於)?
                (?: (?P<n>{NUM}) (?:\s*{TO}\s*(?P<n2>{NUM}))? \s*(?P<c>[个個])?\s*(?P<h>半)?
                  | (?P<half>半) )
                \s*(?P<c2>[个個])?\s*(?P<u>{ZH_UNIT})
                (?: \s*{TO}\s*(?P<m>{NUM}) \s*(?P<mc>[个個])?\s*(?P<mh>半)?\s*(?P<mu>{ZH_UNIT}) )?
                (?P<post>以内|以內|之内|之內|内|內|左右|上下)?",
            )?,
            // a week, 10 days, 48 hours, 1-2 weeks, one to two weeks, within one week to one month
            en_duration: compile(
                r"(?xi)
                (?P<pre>\b(?:within|in\s+as\s+little\s+as|as\s+little\s+as|as\s+few\s+as|less\s+than|fewer\s+than
                    |under|up\s+to|no\s+more\s+than|at\s+most|about|around|approximately|roughly|between)\s+)?
                \b(?P<n>{EN_NUM}) (?:\s*(?P<to>-|–|—|to|or|and)\s*(?P<n2>{EN_NUM}))?
                [\s-]*(?P<u>hours?|days?|weeks?|months?|years?)\b
                (?: \s*(?:-|–|—|to|or)\s*(?P<m>{EN_NUM})[\s-]*(?P<mu>hours?|days?|weeks?|months?|years?)\b )?",
            )?,
            // US$62,000, USD 130,000-160,000, 人民币16万元, ¥160,000, US$150,000 to US$170,000
            price_prefix: compile(
                r"(?x)
                (?P<cur>{CUR_PRE})\s?(?P<a>{NUM})(?:\s?(?P<am>{MULT}))?
                (?: \s*(?:{TO}|(?i:to)\b)\s*(?P<cur2>{CUR_PRE})?\s?(?P<b>{NUM})(?:\s?(?P<bm>{MULT}))? )?
                (?:\s?(?:元|圆|圓|(?i:yuan)\b))?",
            )?,
            // between $98,000 and $130,000
            price_between: compile(
                r"(?xi)
                \bbetween\s+(?P<cur>{CUR_PRE})\s?(?P<a>{NUM})(?:\s?(?P<am>{MULT}))?
                \s+and\s+(?P<cur2>{CUR_PRE})?\s?(?P<b>{NUM})(?:\s?(?P<bm>{MULT}))?",
            )?,
            // 16万元, 8万到10万元人民币, 30万人民币, 9.8万至13万美元, 10,000 yuan, 180,000 US dollars, 1 million yuan
            price_suffix: compile(
                r"(?x)
                (?P<a>{NUM})(?:\s?(?P<am>{MULT}))?
                (?: \s*(?:{TO}|(?i:to)\b)\s*(?P<b>{NUM})(?:\s?(?P<bm>{MULT}))? )?
                \s?(?P<cur>美元|美金|港元|港币|港幣|新台币|新台幣|台币|台幣|欧元|歐元|英镑|英鎊|日元|日圓|人民币|人民幣|元|圆|圓
                    |(?i:U\.?S\.?\s+dollars?|dollars?|yuan|renminbi|RMB|CNY|USD|EUR|euros?|HKD)\b)
                (?:\s?(?:人民币|人民幣))?",
            )?,
            // 肝移植5192例, 肾移植手术1000余例, 年移植量达4000例, 肝移植手术300余台
            zh_volume: compile(
                r"(?x)
                (?P<organ>{ZH_ORGAN})?(?:移植|移殖)(?:手术|手術|术|術)?(?:量|数量|數量|总量|總量|例数|例數)?
                (?:已|累计|累計|共|达到|達到|达|達|为|為|是|在|超过|超過|逾|近|约|約|高达|高達|\s)*
                (?P<n>{NUM})(?:\s*{TO}\s*(?P<n2>{NUM}))?\s*(?:余|餘|多)?\s*[例台]",
            )?,
            // 5192例肝移植
            zh_volume_count_first: compile(
                r"(?x)
                (?P<n>{NUM})(?:\s*{TO}\s*(?P<n2>{NUM}))?\s*(?:余|餘|多)?\s*例\s*(?P<organ>{ZH_ORGAN})?(?:移植|移殖)",
            )?,
            // 5,192 liver transplants, 60,000 to 100,000 transplants, 380 heart transplant operations
            en_volume: compile(
                r"(?xi)
                \b(?P<n>{DIG})(?:\s*(?:-|–|—|to)\s*(?P<n2>{DIG}))?\s+(?:(?P<organ>{EN_ORGAN})\s+)?
                (?:transplants|transplantations|transplant(?:ation)?\s+(?:operations|surgeries|procedures|cases))\b",
            )?,
            // 2,000 cases of kidney transplantation
            en_volume_cases: compile(
                r"(?xi)
                \b(?P<n>{DIG})\s+cases\s+of\s+(?:(?P<organ>{EN_ORGAN})\s+)?transplant(?:ation)?s?\b",
            )?,
            // 床位46张, 开放床位120张, 编制床位一千二百张, 病床六十张, 床位数1200
            zh_beds: compile(
                r"(?x)
                (?:实际开放|實際開放|开放|開放|编制|編制|核定|设有|設有|拥有|擁有|现有|現有|共有|设置|設置|展开|展開)?
                (?:床位|病床)(?:总数|總數|数|數)?
                (?:共|有|为|為|达到|達到|达|達|约|約|近|逾|超过|超過|\s)*
                (?P<n>{NUM})\s*(?:余|餘|多)?\s*(?P<u>张|張)?",
            )?,
            // 46张床位, 六十张病床
            zh_beds_count_first: compile(r"(?P<n>{NUM})\s*(?:余|餘|多)?\s*(?:张|張)\s*(?:病床|床位|床)")?,
            // 46 beds, 500-bed, 46 approved beds
            en_beds: compile(
                r"(?xi)
                \b(?P<n>{DIG}|{EN_WORD})(?:\s*-\s*|\s+)
                (?:(?:approved|inpatient|hospital|ward|transplant|icu|open|opened|staffed|licensed|designated|dedicated
                    |authori[sz]ed|available|funded|additional|new|surgical|medical|intensive[\s-]care)\s+){0,2}
                beds?\b",
            )?,
            // bed capacity of 120, number of beds: 120
            en_bed_capacity: compile(
                r"(?xi)
                \b(?:bed\s+(?:capacity|count|numbers?)|number\s+of\s+beds)\s*(?:of\s+|is\s+|was\s+|reached\s+|:\s*)?
                (?P<n>{DIG})\b",
            )?,
            // 使用率130%, 床位使用率达１３０％, 使用率长期保持在百分之百; 利用率 is also said
            // of water and equipment, so only 床位利用率 and 病床利用率 count
            zh_utilisation: compile(
                r"(?x)
                (?:(?:床位|病床)(?:使用率|利用率|占用率|佔用率)|使用率|占用率|佔用率|入住率)
                [^，,。；;!?！？0-9０-９%％]{0,8}?
                (?: (?P<n>{DIG})\s*[%％] | 百分之(?P<z>{HAN}|{DIG}) )",
            )?,
            // occupancy of 130%, utilisation rate of 95 percent, bed utilisation exceeded 130%
            en_utilisation: compile(
                r"(?xi)
                \b(?:bed\s+(?:occupancy|utili[sz]ation|usage)|occupancy|utili[sz]ation)(?:\s+rates?)?(?:\s+[a-z]+){0,3}?\s+
                (?P<n>{DIG})\s*(?:%|％|percent\b|per\s+cent\b)",
            )?,
            // 130% occupancy
            en_utilisation_percent_first: compile(
                r"(?xi)
                \b(?P<n>{DIG})\s*(?:%|％|percent|per\s+cent)\s+(?:bed\s+)?(?:occupancy|utili[sz]ation)\b",
            )?,
            // ranges first: of two overlapping periods the earlier-listed pattern wins
            periods: vec![
                compile(r"(?P<y1>{YEAR})\s*年?\s*{TO}\s*(?P<y2>{YEAR})\s*年")?,
                compile(r"(?i)\bbetween\s+(?P<y1>{YEAR})\s+and\s+(?P<y2>{YEAR})\b")?,
                compile(
                    r"(?xi)
                    \b(?:in|for|during|since|by|through|throughout|until|of|as\s+of|year)\s+
                    (?:(?:early|late|mid|january|february|march|april|may|june|july|august|september|october
                        |november|december)\s+)?
                    (?P<y1>{YEAR})(?:\s*(?:-|–|—|to)\s*(?P<y2>{YEAR}))?\b",
                )?,
                compile(r"\b(?P<y1>{YEAR})\s*(?:-|–|—)\s*(?P<y2>{YEAR})\b")?,
                compile(r"(?P<y1>{YEAR})\s*年")?,
            ],
        })
    }
}

// ---------------------------------------------------------------------------
// Waiting times
// ---------------------------------------------------------------------------

// Word lists, `|`-separated. Chinese words match anywhere; English words
// match as whole words or with an inflection (see `mentions`).

/// The term itself: a duration in a sentence that says "waiting time" is one.
const WAIT_TERMS: &str = "等待时间|等待時間|等候时间|等候時間|等待期|waiting time|waiting period|wait time";
/// Waiting: with an organ word, a duration in the sentence is a wait.
const WAIT_WORDS: &str = "等待|等候|等了|等到|等多久|等多长|等多長|要等|需等|排队|排隊|wait|queue";
/// An organ, a donor, a transplant, the operation or the patient. "Heart",
/// "donor", "graft" and "operation" are left out in English: in speeches and
/// reports they are mostly figurative or about something else.
const ORGAN_WORDS: &str = "移植|肾源|腎源|肝源|供体|供體|供肝|供肾|供腎|器官|配型|肾|腎|肝|心脏|心臟|肺|角膜|手术|手術|\
    患者|病人|病患|kidney|liver|lung|cornea|organ|transplant|surgery|patient";
/// Speed or finding: with an organ word, a duration is how soon one is had.
const SPEED_WORDS: &str = "最快|最短|只需|仅需|僅需|只要|就能|就可|即可|可以|找到|配上|获得|獲得|得到|到位|\
    within|as little as|as fast as|as quickly as|find|found|get|got|obtain|receive|available|arrange|promise|\
    guarantee|match|provide|supplied|supply";
/// A stay in hospital or recovery: such a duration is not a wait unless the sentence says wait.
const STAY_WORDS: &str = "术后|術後|住院|出院|康复|康復|恢复|恢復|下床|复查|複查|\
    recover|discharge|stay|hospitalised|hospitalized|post-operative|postoperative|\
    after the transplant|after the operation|after surgery|after transplant";
/// Right after a duration: it is a time ago, not a wait.
const AGO_WORDS: &str = "前|以前|之前|ago|earlier|old|long";
/// Right after a duration: a time after something, a wait only if the sentence says wait.
const AFTER_WORDS: &str = "后|後|以后|之后|later|after";
/// The endings an English word may carry and still be that word.
const INFLECTIONS: &[&str] = &["", "s", "es", "d", "ed", "ing", "ation", "ations", "y"];

fn waiting_times(patterns: &Patterns, sentence: &str, question: Option<&str>, out: &mut Vec<Found>) {
    let lower = format!("{}\n{}", question.unwrap_or(""), sentence).to_lowercase();
    for caps in patterns.zh_duration.captures_iter(sentence) {
        if let Some((found, bounded)) = zh_duration(&caps)
            && is_wait(sentence, &lower, &found, bounded)
        {
            out.push(found);
        }
    }
    for caps in patterns.en_duration.captures_iter(sentence) {
        if let Some((found, bounded)) = en_duration(&caps)
            && is_wait(sentence, &lower, &found, bounded)
        {
            out.push(found);
        }
    }
}

/// A Chinese duration in days, and whether it carries a speed or bound
/// qualifier (最快, 以内).
fn zh_duration(caps: &Captures<'_>) -> Option<(Found, bool)> {
    let whole = caps.get(0)?;
    let unit = caps.name("u")?.as_str();
    let counted = caps.name("c").or(caps.name("c2")).is_some();
    let half = caps.name("h").is_some();
    let (low, high) = match caps.name("n") {
        Some(n) => {
            let (low, high) = number_or_range(n.as_str())?;
            let high = match caps.name("n2") {
                Some(n2) => Some(parse_number(n2.as_str())?),
                None => high,
            };
            // 三月 and 3月 are March: a month count needs 个 (两个月, 一个半月)
            if unit == "月" && !counted {
                return None;
            }
            // 2005年 is a date, and 05年 too: years only as small counts
            if unit == "年" && (low > 30.0 || n.as_str().starts_with(['0', '０'])) {
                return None;
            }
            (low + if half { 0.5 } else { 0.0 }, high)
        }
        None => (0.5, None), // 半个月, 半年
    };
    let days = zh_unit_days(unit);
    let mut value_high = high.map(|h| h * days);
    if let (Some(m), Some(mu)) = (caps.name("m"), caps.name("mu")) {
        if mu.as_str() == "月" && caps.name("mc").is_none() {
            return None;
        }
        let m = parse_number(m.as_str())? + if caps.name("mh").is_some() { 0.5 } else { 0.0 };
        value_high = Some(m * zh_unit_days(mu.as_str()));
    }
    let bounded =
        caps.name("pre").is_some() || caps.name("post").is_some_and(|p| !matches!(p.as_str(), "左右" | "上下"));
    Some((Found::new(ClaimKind::WaitingTime, whole, low * days, value_high, "days")?, bounded))
}

fn zh_unit_days(unit: &str) -> f64 {
    match unit {
        "天" => 1.0,
        "小时" | "小時" => 1.0 / 24.0,
        "月" => 30.0,
        "年" => 365.0,
        _ => 7.0, // 周 週 星期 礼拜 禮拜
    }
}

/// An English duration in days, and whether it carries a speed or bound
/// qualifier (within, as little as).
fn en_duration(caps: &Captures<'_>) -> Option<(Found, bool)> {
    let whole = caps.get(0)?;
    let pre = caps.name("pre").map(|p| p.as_str().trim().to_lowercase());
    // "and" joins a range only after "between"
    if caps.name("to").is_some_and(|t| t.as_str().eq_ignore_ascii_case("and")) && pre.as_deref() != Some("between") {
        return None;
    }
    let days = en_unit_days(caps.name("u")?.as_str());
    let low = parse_number(caps.name("n")?.as_str())? * days;
    let mut high = match caps.name("n2") {
        Some(n2) => Some(parse_number(n2.as_str())? * days),
        None => None,
    };
    if let (Some(m), Some(mu)) = (caps.name("m"), caps.name("mu")) {
        high = Some(parse_number(m.as_str())? * en_unit_days(mu.as_str()));
    }
    let bounded =
        pre.as_deref().is_some_and(|p| !matches!(p, "about" | "around" | "approximately" | "roughly" | "between"));
    Some((Found::new(ClaimKind::WaitingTime, whole, low, high, "days")?, bounded))
}

fn en_unit_days(unit: &str) -> f64 {
    let unit = unit.to_ascii_lowercase();
    if unit.starts_with("hour") {
        1.0 / 24.0
    } else if unit.starts_with("day") {
        1.0
    } else if unit.starts_with("month") {
        30.0
    } else if unit.starts_with("year") {
        365.0
    } else {
        7.0
    }
}

/// Whether the sentence presents the duration as a wait for an organ: it
/// says "waiting time", or it names an organ (a donor, a transplant, the
/// operation, the patient) and either waiting or a speed or finding, and the
/// duration is not a time ago, a hospital stay or a recovery.
fn is_wait(sentence: &str, lower: &str, found: &Found, bounded: bool) -> bool {
    let before = &sentence[..found.start];
    if before.ends_with(['第', '每']) || before.to_lowercase().trim_end().ends_with("every") {
        return false; // 第一周 (the first week), 每两周 (every two weeks)
    }
    let after = sentence[found.end..].trim_start().to_lowercase();
    if starts_with_word(&after, AGO_WORDS) {
        return false;
    }
    let organ = mentions(lower, ORGAN_WORDS);
    if mentions(lower, WAIT_TERMS) || (organ && mentions(lower, WAIT_WORDS)) {
        return true;
    }
    if starts_with_word(&after, AFTER_WORDS) || mentions(lower, STAY_WORDS) {
        return false;
    }
    organ && (bounded || mentions(lower, SPEED_WORDS))
}

/// Whether `lower` mentions one of the `|`-separated `words`. A Chinese word
/// matches anywhere; an English word must start a word and end it, but for an
/// inflection (organs, waiting, matched, transplantation), so that "organ"
/// is not found in "organization" nor "get" in "target".
fn mentions(lower: &str, words: &str) -> bool {
    words.split('|').any(|word| {
        if !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return lower.contains(word);
        }
        lower.match_indices(word).any(|(at, _)| {
            let starts_word = !lower[..at].chars().next_back().is_some_and(char::is_alphanumeric);
            let rest = &lower[at + word.len()..];
            let ending = &rest[..rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len())];
            starts_word && INFLECTIONS.contains(&ending)
        })
    })
}

/// Whether `text` starts with one of the `|`-separated `words`, as a whole
/// word when the word is English.
fn starts_with_word(text: &str, words: &str) -> bool {
    words.split('|').any(|word| {
        text.strip_prefix(word).is_some_and(|rest| {
            !word.starts_with(|c: char| c.is_ascii_alphabetic()) || !rest.starts_with(|c: char| c.is_alphanumeric())
        })
    })
}

// ---------------------------------------------------------------------------
// Prices
// ---------------------------------------------------------------------------

fn prices(patterns: &Patterns, sentence: &str, out: &mut Vec<Found>) {
    for regex in [&patterns.price_between, &patterns.price_prefix, &patterns.price_suffix] {
        for caps in regex.captures_iter(sentence) {
            if let Some(found) = price(sentence, &caps) {
                out.push(found);
            }
        }
    }
}

fn price(sentence: &str, caps: &Captures<'_>) -> Option<Found> {
    let whole = caps.get(0)?;
    let cur = caps.name("cur")?;
    // A$, C$, S$ are other dollars
    if cur.as_str() == "$" && sentence[..cur.start()].ends_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let a = caps.name("a")?.as_str();
    // 一元化, 二元: a lone Chinese digit before a bare 元 is a word, not a price
    if matches!(cur.as_str(), "元" | "圆" | "圓") && a.chars().count() == 1 && !starts_with_digit(a) {
        return None;
    }
    let currency = currency(cur.as_str())?;
    let a_multiplier = caps.name("am").map_or(Some(1.0), |m| multiplier(m.as_str()))?;
    let mut low = parse_number(a)? * a_multiplier;
    let mut high = None;
    if let Some(b) = caps.name("b") {
        let b_multiplier = caps.name("bm").map_or(Some(1.0), |m| multiplier(m.as_str()))?;
        let b_value = parse_number(b.as_str())? * b_multiplier;
        // 15-20万元, $5 to 10 million: the multiplier of the high end applies to a bare low end
        let shared = b_multiplier * trailing_multiplier(b.as_str());
        if caps.name("am").is_none() && trailing_multiplier(a) == 1.0 && shared > 1.0 && low * shared <= b_value {
            low *= shared;
        }
        high = Some(b_value);
    }
    if low <= 0.0 {
        return None;
    }
    high = high.filter(|h| *h > low);
    Found::new(ClaimKind::Price, whole, low, high, currency)
}

fn currency(symbol: &str) -> Option<&'static str> {
    let lower = symbol.to_lowercase();
    let code = match lower.as_str() {
        "元" | "圆" | "圓" | "人民币" | "人民幣" | "¥" | "￥" | "yuan" | "renminbi" | "rmb" | "cny" => "CNY",
        "美元" | "美金" | "$" | "usd" | "dollar" | "dollars" => "USD",
        "港元" | "港币" | "港幣" | "hk$" | "hkd" => "HKD",
        "新台币" | "新台幣" | "台币" | "台幣" | "nt$" | "twd" => "TWD",
        "欧元" | "歐元" | "€" | "eur" | "euro" | "euros" => "EUR",
        "英镑" | "英鎊" | "£" | "gbp" => "GBP",
        "日元" | "日圓" | "jpy" => "JPY",
        other if other.starts_with("us") || other.starts_with("u.s") => "USD",
        _ => return None,
    };
    Some(code)
}

/// The factor of a multiplier word or of Chinese multiplier characters (千万 = 10⁷).
fn multiplier(text: &str) -> Option<f64> {
    match text.to_ascii_lowercase().as_str() {
        "k" | "thousand" => Some(1e3),
        "m" | "mn" | "million" => Some(1e6),
        "bn" | "billion" => Some(1e9),
        other => other.chars().map(han_multiplier).product(),
    }
}

fn han_multiplier(c: char) -> Option<f64> {
    match c {
        '百' => Some(1e2),
        '千' => Some(1e3),
        '万' | '萬' => Some(1e4),
        '亿' | '億' => Some(1e8),
        _ => None,
    }
}

/// The factor of the Chinese multipliers a number ends with (二十万 → 10⁴), 1 if none.
fn trailing_multiplier(text: &str) -> f64 {
    let mut factor = 1.0;
    for c in text.chars().rev() {
        match c {
            '万' | '萬' | '亿' | '億' => factor *= han_multiplier(c).unwrap_or(1.0),
            _ => break,
        }
    }
    factor
}

// ---------------------------------------------------------------------------
// Volumes, beds, utilisation
// ---------------------------------------------------------------------------

fn volumes(patterns: &Patterns, sentence: &str, out: &mut Vec<Found>) {
    for regex in [&patterns.zh_volume, &patterns.zh_volume_count_first, &patterns.en_volume, &patterns.en_volume_cases]
    {
        for caps in regex.captures_iter(sentence) {
            if let Some(found) = count(ClaimKind::Volume, &caps, &organ_unit(caps.name("organ").map(|o| o.as_str()))) {
                out.push(found);
            }
        }
    }
}

/// The unit of a volume: the organ if stated.
fn organ_unit(organ: Option<&str>) -> String {
    let organ = organ.unwrap_or("").to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| organ.contains(w));
    let name = if has(&["肝肾", "肝腎", "liver-kidney"]) {
        "liver-kidney "
    } else if has(&["胰肾", "胰腎", "kidney-pancreas"]) {
        "kidney-pancreas "
    } else if has(&["心肺", "heart-lung"]) {
        "heart-lung "
    } else if has(&["肝", "liver", "hepatic"]) {
        "liver "
    } else if has(&["肾", "腎", "kidney", "renal"]) {
        "kidney "
    } else if has(&["心", "heart", "cardiac"]) {
        "heart "
    } else if has(&["肺", "lung"]) {
        "lung "
    } else if has(&["胰", "pancreas"]) {
        "pancreas "
    } else if has(&["角膜", "cornea"]) {
        "cornea "
    } else if has(&["小肠", "小腸", "bowel", "intestine"]) {
        "small bowel "
    } else {
        ""
    };
    format!("{name}transplants")
}

/// A count from the `n` (and range end `n2`) groups of a match.
fn count(kind: ClaimKind, caps: &Captures<'_>, unit: &str) -> Option<Found> {
    let (low, high) = number_or_range(caps.name("n")?.as_str())?;
    let high = match caps.name("n2") {
        Some(n2) => Some(parse_number(n2.as_str())?),
        None => high,
    };
    if low <= 0.0 {
        return None;
    }
    Found::new(kind, caps.get(0)?, low, high, unit)
}

fn beds(patterns: &Patterns, sentence: &str, out: &mut Vec<Found>) {
    for caps in patterns.zh_beds.captures_iter(sentence) {
        let Some(n) = caps.name("n") else { continue };
        let rest = &sentence[n.end()..];
        // 床位一般: Chinese numerals need 张; 床位100% is not a count
        let han = !starts_with_digit(n.as_str());
        if (han && caps.name("u").is_none()) || rest.trim_start().starts_with(['%', '％']) {
            continue;
        }
        out.extend(count(ClaimKind::Beds, &caps, "beds"));
    }
    for regex in [&patterns.zh_beds_count_first, &patterns.en_beds, &patterns.en_bed_capacity] {
        for caps in regex.captures_iter(sentence) {
            out.extend(count(ClaimKind::Beds, &caps, "beds"));
        }
    }
}

fn utilisation(patterns: &Patterns, sentence: &str, out: &mut Vec<Found>) {
    for regex in [&patterns.zh_utilisation, &patterns.en_utilisation, &patterns.en_utilisation_percent_first] {
        for caps in regex.captures_iter(sentence) {
            let Some(whole) = caps.get(0) else { continue };
            let Some(value) = caps.name("n").or(caps.name("z")).and_then(|n| parse_number(n.as_str())) else {
                continue;
            };
            out.extend(Found::new(ClaimKind::Utilisation, whole, value, None, "percent"));
        }
    }
}

// ---------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------

/// The years and ranges of years a sentence states: (start, end, "2005" or "2003-2006").
fn periods(patterns: &Patterns, sentence: &str) -> Vec<(usize, usize, String)> {
    let mut periods: Vec<(usize, usize, String)> = Vec::new();
    for regex in &patterns.periods {
        for caps in regex.captures_iter(sentence) {
            let (Some(whole), Some(y1)) = (caps.get(0), caps.name("y1")) else { continue };
            // a year is not part of a longer number (a phone number, 12005)
            let digit_before = sentence[..y1.start()].ends_with(|c: char| c.is_ascii_digit());
            let digit_after = sentence[y1.end()..].starts_with(|c: char| c.is_ascii_digit());
            let overlaps = periods.iter().any(|(s, e, _)| whole.start() < *e && *s < whole.end());
            if digit_before || digit_after || overlaps {
                continue;
            }
            let text = match caps.name("y2") {
                Some(y2) if y2.as_str() != y1.as_str() => format!("{}-{}", y1.as_str(), y2.as_str()),
                _ => y1.as_str().to_string(),
            };
            periods.push((whole.start(), whole.end(), text));
        }
    }
    periods
}

fn nearest_period(periods: &[(usize, usize, String)], start: usize, end: usize) -> Option<String> {
    let distance = |(s, e, _): &&(usize, usize, String)| {
        if *e <= start {
            start - e
        } else if *s >= end {
            s - end
        } else {
            0
        }
    };
    periods.iter().min_by_key(distance).map(|(_, _, text)| text.clone())
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// The value of a number as written: Arabic digits (ASCII or full-width,
/// with thousands commas), Arabic digits with Chinese multipliers (1.5万, 3千),
/// Chinese numerals (十二, 一百二十, 两千零五, 二〇〇五) or an English number word.
fn parse_number(text: &str) -> Option<f64> {
    let ascii: String = text.trim().chars().filter(|c| *c != ',').map(fullwidth_to_ascii).collect();
    let digits_end = ascii.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(ascii.len());
    let value = if digits_end > 0 {
        let base: f64 = ascii[..digits_end].parse().ok()?;
        let rest = &ascii[digits_end..];
        if rest.is_empty() { base } else { base * multiplier(rest)? }
    } else if let Some(value) = english_number(&ascii) {
        value
    } else {
        han_number(&ascii)?
    };
    value.is_finite().then_some(value)
}

/// A number that may be two adjacent Chinese digits meaning a range (两三 → 2 to 3).
fn number_or_range(text: &str) -> Option<(f64, Option<f64>)> {
    let mut chars = text.chars();
    if let (Some(a), Some(b), None) = (chars.next(), chars.next(), chars.next())
        && let (Some(low), Some(high)) = (han_digit(a), han_digit(b))
        && low >= 1.0
        && high > low
    {
        return Some((low, Some(high)));
    }
    Some((parse_number(text)?, None))
}

/// Whether `text` starts with an Arabic digit, ASCII or full-width.
fn starts_with_digit(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '．' => '.',
        _ => c,
    }
}

fn english_number(word: &str) -> Option<f64> {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    const TENS: [&str; 7] = ["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    let word = word.to_ascii_lowercase();
    if word == "a" || word == "an" {
        return Some(1.0);
    }
    if let Some(i) = WORDS.iter().position(|w| *w == word) {
        return Some(i as f64);
    }
    TENS.iter().position(|w| *w == word).map(|i| (i as f64 + 3.0) * 10.0)
}

fn han_digit(c: char) -> Option<f64> {
    let digit = match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '贰' | '貳' | '两' | '兩' => 2,
        '三' | '叁' | '參' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    };
    Some(f64::from(digit))
}

fn han_unit(c: char) -> Option<f64> {
    match c {
        '十' | '拾' => Some(1e1),
        '百' | '佰' => Some(1e2),
        '千' | '仟' => Some(1e3),
        '万' | '萬' => Some(1e4),
        '亿' | '億' => Some(1e8),
        _ => None,
    }
}

/// Chinese numerals: 十二, 二十, 一百零八, 一千二百, 十五万, 一亿五千万; without any
/// unit character they are read digit by digit (二〇〇五 → 2005).
fn han_number(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    if !text.chars().any(|c| han_unit(c).is_some()) {
        return text.chars().try_fold(0.0, |value, c| Some(value * 10.0 + han_digit(c)?));
    }
    let (mut total, mut section, mut digit) = (0.0, 0.0, None::<f64>);
    for c in text.chars() {
        if let Some(d) = han_digit(c) {
            digit = Some(d);
            continue;
        }
        let unit = han_unit(c)?;
        if unit < 1e4 {
            section += digit.unwrap_or(1.0) * unit;
        } else {
            section += digit.unwrap_or(0.0);
            if section == 0.0 {
                section = 1.0;
            }
            if unit >= 1e8 {
                total = (total + section) * unit;
            } else {
                total += section * unit;
            }
            section = 0.0;
        }
        digit = None;
    }
    Some(total + section + digit.unwrap_or(0.0))
}

// ---------------------------------------------------------------------------
// Sentences and offsets
// ---------------------------------------------------------------------------

/// Sentences as trimmed, non-empty byte ranges. A sentence ends at 。！？；!?;
/// or a line break (kept with the sentence), or at a full stop followed by
/// white space that does not end an abbreviation (U.S., Dr., e.g.).
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((at, c)) = iter.next() {
        let end = at + c.len_utf8();
        let boundary = match c {
            '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n' | '\r' => true,
            '.' | '．' => {
                iter.peek().is_none_or(|(_, next)| next.is_whitespace()) && !ends_abbreviation(&text[start..at])
            }
            _ => false,
        };
        if boundary {
            push_trimmed(text, start, end, &mut ranges);
            start = end;
        }
    }
    push_trimmed(text, start, text.len(), &mut ranges);
    ranges
}

fn ends_abbreviation(before: &str) -> bool {
    const ABBREVIATIONS: &[&str] = &[
        "mr", "mrs", "ms", "dr", "prof", "no", "st", "vs", "etc", "approx", "fig", "al", "inc", "ltd", "co", "jan",
        "feb",
    ];
    let word = before.rsplit(|c: char| c.is_whitespace()).next().unwrap_or("");
    word.chars().count() == 1 || word.contains('.') || ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

fn push_trimmed(text: &str, start: usize, end: usize, ranges: &mut Vec<(usize, usize)>) {
    let slice = &text[start..end];
    let trimmed = slice.trim();
    if !trimmed.is_empty() {
        let lead = slice.len() - slice.trim_start().len();
        ranges.push((start + lead, start + lead + trimmed.len()));
    }
}

/// Byte offsets to character offsets, for offsets asked in increasing order.
#[derive(Default)]
struct CharCounter {
    byte: usize,
    chars: usize,
}

impl CharCounter {
    fn at(&mut self, text: &str, byte: usize) -> usize {
        if byte < self.byte {
            *self = CharCounter::default();
        }
        self.chars += text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(text: &str) -> Candidate {
        let found = find_candidates(text);
        assert_eq!(found.len(), 1, "{text}: {found:#?}");
        found.into_iter().next().unwrap()
    }

    fn values(text: &str) -> Vec<(ClaimKind, f64, Option<f64>, String)> {
        find_candidates(text).into_iter().map(|c| (c.kind, c.value, c.value_high, c.unit)).collect()
    }

    fn wait(low: f64, high: Option<f64>) -> Vec<(ClaimKind, f64, Option<f64>, String)> {
        vec![(ClaimKind::WaitingTime, low, high, "days".into())]
    }

    #[test]
    fn the_patterns_compile() {
        if let Err(e) = Patterns::new() {
            panic!("{e}");
        }
    }

    #[test]
    fn chinese_numerals() {
        for (text, value) in [
            ("一", 1.0),
            ("十", 10.0),
            ("十二", 12.0),
            ("二十", 20.0),
            ("二十五", 25.0),
            ("一百", 100.0),
            ("百", 100.0),
            ("一百零八", 108.0),
            ("一百二十", 120.0),
            ("一千二百", 1200.0),
            ("两千零五", 2005.0),
            ("二〇〇五", 2005.0),
            ("十二万", 120_000.0),
            ("十五万", 150_000.0),
            ("一万", 10_000.0),
            ("一千二百万", 12_000_000.0),
            ("一亿五千万", 150_000_000.0),
            ("兩萬", 20_000.0),
            ("１３０", 130.0),
            ("16万", 160_000.0),
            ("1.5万", 15_000.0),
            ("3千", 3000.0),
            ("5,192", 5192.0),
            ("98.5", 98.5),
            ("９８．５", 98.5),
            ("twelve", 12.0),
            ("thirty", 30.0),
            ("a", 1.0),
        ] {
            assert_eq!(parse_number(text), Some(value), "{text}");
        }
        for text in ["", "abc", "一x", "万亿x", "1.2.3"] {
            assert_eq!(parse_number(text), None, "{text}");
        }
        assert_eq!(number_or_range("两三"), Some((2.0, Some(3.0))));
        assert_eq!(number_or_range("三五"), Some((3.0, Some(5.0))));
        assert_eq!(number_or_range("二十"), Some((20.0, None)));
        // overflow gives no number rather than infinity
        assert_eq!(parse_number(&"亿".repeat(100)), None);
        assert_eq!(parse_number(&"9".repeat(400)), None);
    }

    #[test]
    fn chinese_waiting_times() {
        assert_eq!(values("肝移植等待时间一般为一周。"), wait(7.0, None));
        assert_eq!(values("等待时间一到两周。"), wait(7.0, Some(14.0)));
        assert_eq!(values("等待时间1-2周。"), wait(7.0, Some(14.0)));
        assert_eq!(values("等待时间为7天。"), wait(7.0, None));
        assert_eq!(values("一般两周以内就能等到供体。"), wait(14.0, None));
        assert_eq!(values("平均等待时间一周左右。"), wait(7.0, None));
        assert_eq!(values("最快三天就能做肝移植。"), wait(3.0, None));
        assert_eq!(values("肾源一般半个月就能找到。"), wait(15.0, None));
        assert_eq!(values("等待时间约一个半月。"), wait(45.0, None));
        assert_eq!(values("等待两三周即可手术。"), wait(14.0, Some(21.0)));
        assert_eq!(values("国外患者需要等待数年，在本中心只需要一到两个星期。"), wait(7.0, Some(14.0)));
        assert_eq!(values("肾移植等待时间一周至一个月。"), wait(7.0, Some(30.0)));
        assert_eq!(values("肝移植等待时间一至两个月。"), wait(30.0, Some(60.0)));
        assert_eq!(values("等候時間約為兩週。"), wait(14.0, None));
        assert_eq!(values("等待时间为十二天。"), wait(12.0, None));
        assert_eq!(values("等待時間２０天。"), wait(20.0, None));
        assert_eq!(values("最快48小时就能找到肾源。"), wait(2.0, None));
        assert_eq!(values("心脏移植需要等多久？一般两到三周。"), wait(14.0, Some(21.0)));
        assert_eq!(values("医院在哪里？一般两到三周。"), vec![]);
        let c = only("最快三天即可找到肾源");
        assert_eq!(c.text, "最快三天");
        let c = only("一般两周以内就能等到供体");
        assert_eq!(c.text, "两周以内");
    }

    #[test]
    fn durations_that_are_not_waits() {
        for text in [
            "肝移植术后一周即可下床活动。",
            "患者术后住院时间约为两周。",
            "我两周前去过那家医院。",
            "三月份等待的病人很多。",
            "2005年等待肝移植的病人很多。",
            "移植后第一周要每天复查。",
            "肝移植患者每两周复查一次。",
            "The office is open 7 days a week.",
            "Two weeks ago I visited the transplant ward.",
            "Patients recover for about two weeks after the transplant.",
            "The patient was discharged after 10 days.",
            "The conference lasted two weeks.",
            "在会议上，他发言长达两个小时。",
            "I waited three hours at the reception desk.",
            "We waited two weeks for the visa.",
            "Patients stayed in hospital for two weeks.",
            "The Organization has been in operation for only three years.",
            "The World Trade Organization ended less than a month ago.",
            "We hope that one day the promise in the hearts of many will be delivered.",
        ] {
            assert_eq!(values(text), vec![], "{text}");
        }
    }

    #[test]
    fn english_waiting_times() {
        assert_eq!(values("A liver transplant could be arranged within two weeks."), wait(14.0, None));
        assert_eq!(values("Expect a wait of 1-2 weeks for a liver."), wait(7.0, Some(14.0)));
        assert_eq!(values("The waiting time is one to two weeks."), wait(7.0, Some(14.0)));
        assert_eq!(values("Foreigners could get a kidney in a week."), wait(7.0, None));
        assert_eq!(values("The waiting time is 10 days."), wait(10.0, None));
        assert_eq!(values("Some patients received a kidney within 48 hours."), wait(2.0, None));
        assert_eq!(values("How long is the wait for a kidney? Usually two weeks."), wait(14.0, None));
        assert_eq!(values("Patients wait between 3 and 5 years for a kidney."), wait(1095.0, Some(1825.0)));
        assert_eq!(values("A kidney could be found within one week to one month."), wait(7.0, Some(30.0)));
        assert_eq!(only("Kidneys were available within a week.").text, "within a week");
    }

    #[test]
    fn prices() {
        let price = |v: f64, high: Option<f64>, unit: &str| vec![(ClaimKind::Price, v, high, unit.to_string())];
        assert_eq!(values("The price was US$62,000."), price(62_000.0, None, "USD"));
        assert_eq!(values("The price was $62,000."), price(62_000.0, None, "USD"));
        assert_eq!(values("The price was USD 62,000."), price(62_000.0, None, "USD"));
        assert_eq!(values("The price was US $62k."), price(62_000.0, None, "USD"));
        assert_eq!(values("费用16万元。"), price(160_000.0, None, "CNY"));
        assert_eq!(values("费用人民币16万元。"), price(160_000.0, None, "CNY"));
        assert_eq!(values("费用30万人民币。"), price(300_000.0, None, "CNY"));
        assert_eq!(values("费用十二万美元。"), price(120_000.0, None, "USD"));
        assert_eq!(values("It cost RMB 160,000."), price(160_000.0, None, "CNY"));
        assert_eq!(values("It cost ¥160,000."), price(160_000.0, None, "CNY"));
        assert_eq!(values("It cost ￥１６０,000."), price(160_000.0, None, "CNY"));
        assert_eq!(values("It cost €50,000."), price(50_000.0, None, "EUR"));
        assert_eq!(values("It cost HK$50,000."), price(50_000.0, None, "HKD"));
        assert_eq!(values("It cost 10,000 yuan."), price(10_000.0, None, "CNY"));
        assert_eq!(values("It cost 1 million yuan."), price(1_000_000.0, None, "CNY"));
        assert_eq!(values("He paid 180,000 US dollars."), price(180_000.0, None, "USD"));
        assert_eq!(values("床位费每天50元。"), price(50.0, None, "CNY"));
        assert_eq!(values("费用在15-20万元之间。"), price(150_000.0, Some(200_000.0), "CNY"));
        assert_eq!(values("费用十五到二十万元。"), price(150_000.0, Some(200_000.0), "CNY"));
        assert_eq!(values("肝移植9.8万至13万美元。"), price(98_000.0, Some(130_000.0), "USD"));
        assert_eq!(values("Cost USD 130,000-160,000."), price(130_000.0, Some(160_000.0), "USD"));
        assert_eq!(values("Cost US$150,000 to US$170,000."), price(150_000.0, Some(170_000.0), "USD"));
        assert_eq!(values("A liver cost between $98,000 and $130,000."), price(98_000.0, Some(130_000.0), "USD"));
        assert_eq!(values("It cost $5 to 10 million."), price(5e6, Some(1e7), "USD"));
        assert_eq!(only("费用约为人民币16万元。").text, "人民币16万元");
        assert_eq!(only("费用在8万到10万元人民币。").text, "8万到10万元人民币");
        for text in ["占地面积12万平方米。", "实行一元化管理。", "It cost A$50,000.", "电话024-83282114。"]
        {
            assert_eq!(values(text), vec![], "{text}");
        }
    }

    #[test]
    fn volumes() {
        let volume = |v: f64, unit: &str| (ClaimKind::Volume, v, None, unit.to_string());
        assert_eq!(values("2005年完成肝移植5192例。"), vec![volume(5192.0, "liver transplants")]);
        assert_eq!(values("完成肾移植手术1000余例。"), vec![volume(1000.0, "kidney transplants")]);
        assert_eq!(values("年移植量达4000例。"), vec![volume(4000.0, "transplants")]);
        assert_eq!(values("每年肝移植数量在500例以上。"), vec![volume(500.0, "liver transplants")]);
        assert_eq!(values("完成腎臟移植二千余例。"), vec![volume(2000.0, "kidney transplants")]);
        assert_eq!(values("每年完成肝移植手术300余台。"), vec![volume(300.0, "liver transplants")]);
        assert_eq!(values("当年完成5192例肝移植。"), vec![volume(5192.0, "liver transplants")]);
        assert_eq!(
            values("心脏移植380例、肺移植204例。"),
            vec![volume(380.0, "heart transplants"), volume(204.0, "lung transplants")]
        );
        assert_eq!(
            values("China performed 5,192 liver transplants in 2005."),
            vec![volume(5192.0, "liver transplants")]
        );
        assert_eq!(values("It performed 10,000 kidney transplants."), vec![volume(10_000.0, "kidney transplants")]);
        assert_eq!(values("About 10,000 transplants a year."), vec![volume(10_000.0, "transplants")]);
        assert_eq!(
            values("It reported 2,000 cases of kidney transplantation."),
            vec![volume(2000.0, "kidney transplants")]
        );
        assert_eq!(
            values("An estimated 60,000 to 100,000 transplants per year."),
            vec![(ClaimKind::Volume, 60_000.0, Some(100_000.0), "transplants".into())]
        );
        for text in ["每例肝移植十二万美元。", "目前有300名患者在等待肾移植。", "124,770 transplant publications."]
        {
            assert!(values(text).iter().all(|v| v.0 != ClaimKind::Volume), "{text}");
        }
    }

    #[test]
    fn beds() {
        let beds = |v: f64| vec![(ClaimKind::Beds, v, None, "beds".to_string())];
        assert_eq!(values("现有床位46张。"), beds(46.0));
        assert_eq!(values("设有46张床位。"), beds(46.0));
        assert_eq!(values("开放床位120张。"), beds(120.0));
        assert_eq!(values("编制床位一千二百张。"), beds(1200.0));
        assert_eq!(values("病床六十张。"), beds(60.0));
        assert_eq!(values("床位五十張。"), beds(50.0));
        assert_eq!(values("床位数1200。"), beds(1200.0));
        assert_eq!(values("The department has 46 beds."), beds(46.0));
        assert_eq!(values("It has 46 approved beds."), beds(46.0));
        assert_eq!(values("A 500-bed facility."), beds(500.0));
        assert_eq!(values("A bed capacity of 120."), beds(120.0));
        assert_eq!(only("开放床位120张").text, "开放床位120张");
        for text in ["床位一般不够。", "床位费每天50元。", "3 patients per bed."] {
            assert!(values(text).iter().all(|v| v.0 != ClaimKind::Beds), "{text}");
        }
    }

    #[test]
    fn utilisation() {
        let percent = |v: f64| vec![(ClaimKind::Utilisation, v, None, "percent".to_string())];
        assert_eq!(values("使用率130%。"), percent(130.0));
        assert_eq!(values("床位使用率达130%。"), percent(130.0));
        assert_eq!(values("床位使用率达１３０％。"), percent(130.0));
        assert_eq!(values("病床使用率为98.5%。"), percent(98.5));
        assert_eq!(values("使用率长期保持在百分之百以上。"), percent(100.0));
        assert_eq!(values("病床使用率高达百分之一百三十。"), percent(130.0));
        assert_eq!(values("The ward reported an occupancy of 130%."), percent(130.0));
        assert_eq!(values("A utilisation rate of 95 percent."), percent(95.0));
        assert_eq!(values("Bed utilization exceeded 130%."), percent(130.0));
        assert_eq!(values("It ran at 130% occupancy."), percent(130.0));
        assert_eq!(values("病床利用率为105%。"), percent(105.0));
        assert_eq!(only("床位使用率达130%").text, "床位使用率达130%");
        assert_eq!(values("工业用水重复利用率低于40%的城市。"), vec![]);
    }

    #[test]
    fn periods_and_offsets() {
        let text = "报告称：2005年全国完成肝移植5192例。China performed 647 liver transplants in 2003-2006.";
        let found = find_candidates(text);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].period.as_deref(), Some("2005"));
        assert_eq!(found[0].text, "肝移植5192例");
        assert_eq!(found[0].sentence, "报告称：2005年全国完成肝移植5192例。");
        assert_eq!(found[1].period.as_deref(), Some("2003-2006"));
        for c in &found {
            assert_eq!(&text[c.start..c.end], c.text);
            let chars: Vec<char> = text.chars().collect();
            assert_eq!(chars[c.char_start..c.char_end].iter().collect::<String>(), c.text);
        }
        assert_eq!(only("2003年至2006年间，该院完成腎臟移植二千余例。").period.as_deref(), Some("2003-2006"));
        assert_eq!(only("Only 118 liver transplants were acknowledged for 1999.").period.as_deref(), Some("1999"));
        assert_eq!(only("The hospital performed 10,000 kidney transplants.").period, None);
    }

    #[test]
    fn sentences_split_at_stops_but_not_abbreviations() {
        let text = " 等待时间为7天。 It cost 180,000 U.S. dollars. The wait was 2 weeks!\n第二句";
        let parts: Vec<&str> = sentences(text).into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(parts, ["等待时间为7天。", "It cost 180,000 U.S. dollars.", "The wait was 2 weeks!", "第二句"]);
        assert_eq!(values("It cost 180,000 U.S. dollars."), vec![(ClaimKind::Price, 180_000.0, None, "USD".into())]);
    }

    #[test]
    fn serialises_kinds_in_snake_case() {
        let json = serde_json::to_value(only("等待时间为7天。")).unwrap();
        assert_eq!(json["kind"], "waiting_time");
        assert_eq!(json["unit"], "days");
        assert_eq!(serde_json::to_value(ClaimKind::Utilisation).unwrap(), "utilisation");
    }
}
