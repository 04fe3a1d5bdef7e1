//! Facility capacity: annual transplant capacity estimated from beds and
//! utilisation, the way Kilgour, Gutmann and Matas (2016) estimated national
//! volume hospital by hospital, with every assumption a stated parameter and
//! the result a low–high range.
//!
//! annual transplants = beds × utilisation × 365 ÷ average length of stay (days) × share of beds used for transplant
//!
//! The low end takes the longer stay, the lower share and the lower
//! utilisation; the high end the opposite.

use serde::Serialize;

/// A low–high pair of an assumption.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Range {
    pub low: f64,
    pub high: f64,
}

/// The assumptions, stated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CapacityParameters {
    /// average length of stay per transplant patient, days (low estimate uses `high`)
    pub length_of_stay_days: Range,
    /// share of the counted beds used for transplant patients
    pub transplant_share: Range,
    /// bed utilisation to assume where a facility states none (1.0 = 100 %)
    pub default_utilisation: Range,
}

impl Default for CapacityParameters {
    fn default() -> CapacityParameters {
        CapacityParameters {
            length_of_stay_days: Range { low: 21.0, high: 30.0 },
            transplant_share: Range { low: 1.0, high: 1.0 },
            default_utilisation: Range { low: 0.8, high: 1.0 },
        }
    }
}

/// What is known of one facility.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FacilityInput {
    pub id: String,
    pub name: String,
    /// beds, with the date text of the figure
    pub beds: Option<(f64, String)>,
    /// utilisation as a fraction (1.3 = 130 %), with its date text
    pub utilisation: Option<(f64, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FacilityEstimate {
    pub id: String,
    pub name: String,
    pub beds: Option<f64>,
    pub utilisation: Option<Range>,
    /// annual transplants, low and high; None when the facility states no beds
    pub annual: Option<Range>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityReport {
    pub method: String,
    pub parameters: CapacityParameters,
    pub facilities: Vec<FacilityEstimate>,
    /// sum over facilities with an estimate
    pub total: Range,
    pub estimated: usize,
    /// an official total to compare with: (label, value)
    pub official: Option<(String, f64)>,
    /// total ÷ official, low and high
    pub ratio_to_official: Option<Range>,
}

pub const CAPACITY_METHOD: &str = "annual transplants = beds × utilisation × 365 ÷ average length of stay (days) × share of beds used for transplant; low = longer stay, lower share, lower utilisation; high = the opposite";

/// Reads a utilisation figure: a fraction (0.9), or a percentage (90, 130).
pub fn utilisation_fraction(value: f64) -> f64 {
    if value > 3.0 { value / 100.0 } else { value }
}

pub fn estimate_capacity(
    inputs: &[FacilityInput],
    parameters: &CapacityParameters,
    official: Option<(String, f64)>,
) -> CapacityReport {
    let mut facilities = Vec::with_capacity(inputs.len());
    let mut total = Range { low: 0.0, high: 0.0 };
    let mut estimated = 0;
    for input in inputs {
        let mut notes = Vec::new();
        let utilisation = match &input.utilisation {
            Some((value, date)) => {
                notes.push(format!("utilisation {:.0} % as stated ({date})", value * 100.0));
                Range { low: *value, high: *value }
            }
            None => {
                notes.push(format!(
                    "no stated utilisation: assumed {:.0}–{:.0} %",
                    parameters.default_utilisation.low * 100.0,
                    parameters.default_utilisation.high * 100.0
                ));
                parameters.default_utilisation
            }
        };
        let annual = match &input.beds {
            Some((beds, date)) if *beds > 0.0 => {
                notes.push(format!("{beds} beds ({date})"));
                let per_bed = |utilisation: f64, stay: f64, share: f64| utilisation * 365.0 / stay * share;
                let low = beds
                    * per_bed(utilisation.low, parameters.length_of_stay_days.high, parameters.transplant_share.low);
                let high = beds
                    * per_bed(utilisation.high, parameters.length_of_stay_days.low, parameters.transplant_share.high);
                total.low += low;
                total.high += high;
                estimated += 1;
                Some(Range { low, high })
            }
            _ => {
                notes.push("no bed count: not estimated".to_owned());
                None
            }
        };
        facilities.push(FacilityEstimate {
            id: input.id.clone(),
            name: input.name.clone(),
            beds: input.beds.as_ref().map(|(b, _)| *b),
            utilisation: Some(utilisation),
            annual,
            notes,
        });
    }
    let ratio_to_official = official
        .as_ref()
        .filter(|(_, value)| *value > 0.0)
        .map(|(_, value)| Range { low: total.low / value, high: total.high / value });
    CapacityReport {
        method: CAPACITY_METHOD.to_owned(),
        parameters: *parameters,
        facilities,
        total,
        estimated,
        official,
        ratio_to_official,
    }
}

/// The report as Markdown.
pub fn capacity_markdown(report: &CapacityReport) -> String {
    let p = &report.parameters;
    let mut out = String::from("# Transplant capacity estimate\n\n");
    out.push_str(&format!("Method: {}.\n\n", report.method));
    out.push_str(&format!(
        "Parameters: length of stay {}–{} days; transplant share of beds {:.0}–{:.0} %; utilisation where none is stated {:.0}–{:.0} %.\n\n",
        p.length_of_stay_days.low,
        p.length_of_stay_days.high,
        p.transplant_share.low * 100.0,
        p.transplant_share.high * 100.0,
        p.default_utilisation.low * 100.0,
        p.default_utilisation.high * 100.0
    ));
    out.push_str("| facility | beds | utilisation | annual transplants (low–high) | notes |\n|---|---|---|---|---|\n");
    for f in &report.facilities {
        let beds = f.beds.map(|b| format!("{b}")).unwrap_or_else(|| "—".to_owned());
        let utilisation = f
            .utilisation
            .map(|u| {
                if u.low == u.high {
                    format!("{:.0} %", u.low * 100.0)
                } else {
                    format!("{:.0}–{:.0} %", u.low * 100.0, u.high * 100.0)
                }
            })
            .unwrap_or_default();
        let annual =
            f.annual.map(|a| format!("{:.0}–{:.0}", a.low, a.high)).unwrap_or_else(|| "not estimated".to_owned());
        out.push_str(&format!(
            "| {} ({}) | {beds} | {utilisation} | {annual} | {} |\n",
            crate::render::escape(&f.name),
            f.id,
            crate::render::escape(&f.notes.join("; "))
        ));
    }
    out.push_str(&format!(
        "\nTotal over {} facilities with a bed count: {:.0}–{:.0} transplants a year.\n",
        report.estimated, report.total.low, report.total.high
    ));
    if let (Some((label, value)), Some(ratio)) = (&report.official, &report.ratio_to_official) {
        out.push_str(&format!(
            "\nOfficial total ({}): {value:.0}. The estimate is {:.1}–{:.1} times the official total.\n",
            crate::render::escape(label),
            ratio.low,
            ratio.high
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formula_and_its_range() {
        let inputs = vec![
            FacilityInput {
                id: "fac_a".into(),
                name: "A".into(),
                beds: Some((500.0, "2006".into())),
                utilisation: Some((1.3, "2006".into())),
            },
            FacilityInput {
                id: "fac_b".into(),
                name: "B".into(),
                beds: Some((100.0, "2010".into())),
                utilisation: None,
            },
            FacilityInput { id: "fac_c".into(), name: "C".into(), beds: None, utilisation: None },
        ];
        let report =
            estimate_capacity(&inputs, &CapacityParameters::default(), Some(("official 2006".into(), 10_000.0)));
        let a = report.facilities[0].annual.unwrap();
        assert!((a.low - 500.0 * 1.3 * 365.0 / 30.0).abs() < 1e-9);
        assert!((a.high - 500.0 * 1.3 * 365.0 / 21.0).abs() < 1e-9);
        let b = report.facilities[1].annual.unwrap();
        assert!((b.low - 100.0 * 0.8 * 365.0 / 30.0).abs() < 1e-9);
        assert!((b.high - 100.0 * 1.0 * 365.0 / 21.0).abs() < 1e-9);
        assert!(report.facilities[2].annual.is_none());
        assert_eq!(report.estimated, 2);
        assert!((report.total.low - (a.low + b.low)).abs() < 1e-9);
        assert!((report.ratio_to_official.unwrap().high - (a.high + b.high) / 10_000.0).abs() < 1e-12);
        let md = capacity_markdown(&report);
        assert!(md.contains("| A (fac_a) | 500 | 130 % |"), "{md}");
        assert!(md.contains("not estimated"));
        assert!(md.contains("times the official total"));
        assert_eq!(utilisation_fraction(130.0), 1.3);
        assert_eq!(utilisation_fraction(0.9), 0.9);
    }
}
