//! Charts as inline SVG, written by hand: the series with its fitted
//! curves, the residuals, the comparison group's R² as a strip with this
//! series marked, two sources of one quantity over the years, and a scan's
//! distributions across countries with the marked country named.

use std::fmt::Write;

use crate::consistency::ConsistencyReport;
use crate::fit::Model;
use crate::render::escape;
use crate::report::{Comparison, Distribution, SeriesReport, TestKind};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const MARGIN: f64 = 40.0;

fn colour(model: Model) -> &'static str {
    match model {
        Model::Linear => "#1f77b4",
        Model::Quadratic => "#d62728",
        Model::Cubic => "#2ca02c",
        Model::QuadraticOrigin => "#9467bd",
    }
}

/// Maps data ranges onto the plot area.
struct Scale {
    x: (f64, f64),
    y: (f64, f64),
}

impl Scale {
    fn new(xs: &[f64], ys: &[f64]) -> Scale {
        let range = |v: &[f64]| {
            let low = v.iter().copied().fold(f64::INFINITY, f64::min);
            let high = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !low.is_finite() {
                (0.0, 1.0)
            } else if low == high {
                (low - 1.0, high + 1.0)
            } else {
                (low, high)
            }
        };
        Scale { x: range(xs), y: range(ys) }
    }

    fn x(&self, x: f64) -> f64 {
        MARGIN + (x - self.x.0) / (self.x.1 - self.x.0) * (WIDTH - 2.0 * MARGIN)
    }

    fn y(&self, y: f64) -> f64 {
        HEIGHT - MARGIN - (y - self.y.0) / (self.y.1 - self.y.0) * (HEIGHT - 2.0 * MARGIN)
    }
}

fn open(out: &mut String, title: &str) {
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\">\n<title>{}</title>\n<text x=\"{MARGIN}\" y=\"20\" font-size=\"13\">{}</text>",
        escape(title),
        escape(title)
    );
    let _ = writeln!(
        out,
        "<line x1=\"{MARGIN}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/><line x1=\"{MARGIN}\" y1=\"{MARGIN}\" x2=\"{MARGIN}\" y2=\"{b}\" stroke=\"#888\"/>",
        b = HEIGHT - MARGIN,
        r = WIDTH - MARGIN
    );
}

fn axis_labels(out: &mut String, scale: &Scale, x_label: (&str, &str), y_label: (&str, &str)) {
    let _ = writeln!(
        out,
        "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        HEIGHT - MARGIN + 15.0,
        escape(x_label.0),
        WIDTH - MARGIN,
        HEIGHT - MARGIN + 15.0,
        escape(x_label.1)
    );
    let _ = writeln!(
        out,
        "<text x=\"2\" y=\"{}\" font-size=\"11\">{}</text><text x=\"2\" y=\"{}\" font-size=\"11\">{}</text>",
        scale.y(scale.y.1) + 4.0,
        escape(y_label.1),
        scale.y(scale.y.0) + 4.0,
        escape(y_label.0)
    );
}

fn short(v: f64) -> String {
    if v.abs() >= 1000.0 { format!("{v:.0}") } else { format!("{v:.3}") }
}

/// Observed values as points, each meaningful fit as a smooth curve.
pub fn series_chart(report: &SeriesReport) -> String {
    let mut out = String::new();
    if report.years.is_empty() {
        return out;
    }
    let first = report.years[0];
    let xs: Vec<f64> = report.years.iter().map(|y| f64::from(*y)).collect();
    // Curves drawn at 20 steps per year between the first and last year.
    let last = *report.years.last().unwrap_or(&first);
    let steps = ((last - first).max(1) * 20) as usize;
    let curve = |fit: &crate::fit::Fit, k: f64| -> f64 {
        match fit.model {
            Model::QuadraticOrigin => fit.coefficients[0] * k * k,
            _ => fit.coefficients.iter().enumerate().map(|(i, c)| c * k.powi(i as i32)).sum(),
        }
    };
    let fits: Vec<&crate::fit::Fit> = report.fits.iter().filter(|f| f.not_meaningful.is_none()).collect();
    let mut ys = report.values.clone();
    for fit in &fits {
        ys.extend((0..=steps).map(|s| curve(fit, 1.0 + s as f64 / 20.0)));
    }
    let scale = Scale::new(&xs, &ys);
    open(&mut out, &format!("{}: values and fitted curves", report.name));
    axis_labels(&mut out, &scale, (&first.to_string(), &last.to_string()), (&short(scale.y.0), &short(scale.y.1)));
    for (i, fit) in fits.iter().enumerate() {
        let points: Vec<String> = (0..=steps)
            .map(|s| {
                let k = 1.0 + s as f64 / 20.0;
                format!("{:.1},{:.1}", scale.x(f64::from(first) + k - 1.0), scale.y(curve(fit, k)))
            })
            .collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\">{}</text>",
            colour(fit.model),
            points.join(" "),
            WIDTH - MARGIN - 110.0,
            MARGIN + 12.0 * i as f64,
            colour(fit.model),
            fit.model.name()
        );
    }
    for (x, y) in xs.iter().zip(&report.values) {
        let _ = writeln!(out, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#000\"/>", scale.x(*x), scale.y(*y));
    }
    out.push_str("</svg>\n");
    out
}

/// Residuals of each meaningful fit against the year, with the zero line.
pub fn residual_chart(report: &SeriesReport) -> String {
    let mut out = String::new();
    let fits: Vec<&crate::fit::Fit> = report.fits.iter().filter(|f| f.not_meaningful.is_none()).collect();
    if fits.is_empty() {
        return out;
    }
    let xs: Vec<f64> = report.years.iter().map(|y| f64::from(*y)).collect();
    let mut ys: Vec<f64> = fits.iter().flat_map(|f| f.residuals.iter().copied()).collect();
    ys.push(0.0);
    let scale = Scale::new(&xs, &ys);
    open(&mut out, &format!("{}: residuals (observed − fitted)", report.name));
    let (first, last) = (report.years[0], *report.years.last().unwrap_or(&report.years[0]));
    axis_labels(&mut out, &scale, (&first.to_string(), &last.to_string()), (&short(scale.y.0), &short(scale.y.1)));
    let _ = writeln!(
        out,
        "<line x1=\"{MARGIN}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>",
        WIDTH - MARGIN,
        y = scale.y(0.0)
    );
    for fit in fits {
        let points: Vec<String> =
            xs.iter().zip(&fit.residuals).map(|(x, r)| format!("{:.1},{:.1}", scale.x(*x), scale.y(*r))).collect();
        let _ =
            writeln!(out, "<polyline fill=\"none\" stroke=\"{}\" points=\"{}\"/>", colour(fit.model), points.join(" "));
    }
    out.push_str("</svg>\n");
    out
}

/// The comparison group's R² for one model as a strip of ticks on a
/// 0..1 axis (values below 0 drawn at 0), this series as a red bar.
pub fn comparison_strip(report: &SeriesReport, comparison: &Comparison, model: Model) -> String {
    let mut out = String::new();
    let scores: Vec<f64> = comparison.series.iter().filter_map(|s| s.r2.get(model)).collect();
    let this = report.fits.iter().find(|f| f.model == model).and_then(|f| f.r2);
    let scale = Scale { x: (0.0, 1.0), y: (0.0, 1.0) };
    open(&mut out, &format!("{} R² of {} comparison series; this series in red", model.name(), scores.len()));
    axis_labels(&mut out, &scale, ("R² 0", "1"), ("", ""));
    for score in &scores {
        let x = scale.x(score.clamp(0.0, 1.0));
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#555\" stroke-opacity=\"0.6\"/>",
            scale.y(0.2),
            scale.y(0.7)
        );
    }
    match this {
        Some(r2) => {
            let x = scale.x(r2.clamp(0.0, 1.0));
            let _ = writeln!(
                out,
                "<line class=\"this-series\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#d00\" stroke-width=\"3\"/><text x=\"{x:.1}\" y=\"{}\" font-size=\"11\" fill=\"#d00\" text-anchor=\"middle\">this series {:.4}</text>",
                scale.y(0.0),
                scale.y(0.9),
                scale.y(0.95),
                r2
            );
        }
        None => {
            let _ = writeln!(
                out,
                "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"11\">this series: not meaningful for this model</text>",
                scale.y(0.95)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

const FIRST_COLOUR: &str = "#1f77b4";
const SECOND_COLOUR: &str = "#e8710a";

fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Room under the plot of the consistency chart for its legend.
const LEGEND_HEIGHT: f64 = 30.0;

/// Both sources of a consistency report over the years: the first as
/// rings joined by a line, the second as dots joined by a dashed line, so
/// that a year where they agree shows a dot inside a ring. Lines break
/// where a source has no figure for a year. The legend is under the plot.
pub fn consistency_chart(report: &ConsistencyReport) -> String {
    let mut out = String::new();
    let (first, second) = (&report.first, &report.second);
    let xs: Vec<f64> = first.years.iter().chain(&second.years).map(|y| f64::from(*y)).collect();
    let Some((low, high)) = xs.iter().copied().fold(None, |range: Option<(f64, f64)>, x| match range {
        Some((l, h)) => Some((l.min(x), h.max(x))),
        None => Some((x, x)),
    }) else {
        return out;
    };
    let mut ys: Vec<f64> = first.values.iter().chain(&second.values).copied().collect();
    ys.push(0.0);
    let scale = Scale::new(&xs, &ys);
    let title = format!("{} and {} by year", first.series, second.series);
    let height = HEIGHT + LEGEND_HEIGHT;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" class=\"consistency\">\n<title>{}</title>\n<text x=\"{MARGIN}\" y=\"20\" font-size=\"13\">{}</text>",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<line x1=\"{MARGIN}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/><line x1=\"{MARGIN}\" y1=\"{MARGIN}\" x2=\"{MARGIN}\" y2=\"{b}\" stroke=\"#888\"/>",
        b = HEIGHT - MARGIN,
        r = WIDTH - MARGIN
    );
    axis_labels(
        &mut out,
        &scale,
        (&format!("{low:.0}"), &format!("{high:.0}")),
        (&short(scale.y.0), &short(scale.y.1)),
    );
    let sources = [(first, FIRST_COLOUR, "first-source", "first"), (second, SECOND_COLOUR, "second-source", "second")];
    for (i, (source, colour, class, which)) in sources.iter().enumerate() {
        let _ = writeln!(out, "<g class=\"{class}\">");
        let dash = if i == 1 { " stroke-dasharray=\"5 3\"" } else { "" };
        // one polyline per run of consecutive years
        let mut runs: Vec<Vec<String>> = Vec::new();
        let mut previous: Option<i32> = None;
        for (y, v) in source.years.iter().zip(&source.values) {
            let point = format!("{:.1},{:.1}", scale.x(f64::from(*y)), scale.y(*v));
            match (previous, runs.last_mut()) {
                (Some(p), Some(run)) if p + 1 == *y => run.push(point),
                _ => runs.push(vec![point]),
            }
            previous = Some(*y);
        }
        for run in runs.iter().filter(|r| r.len() > 1) {
            let _ = writeln!(
                out,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"{dash} points=\"{}\"/>",
                run.join(" ")
            );
        }
        for (y, v) in source.years.iter().zip(&source.values) {
            let (cx, cy) = (scale.x(f64::from(*y)), scale.y(*v));
            let shape = if i == 0 {
                format!(
                    "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\">"
                )
            } else {
                format!("<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"2.5\" fill=\"{colour}\">")
            };
            let _ = writeln!(out, "{shape}<title>{which}, {y}: {v}</title></circle>");
        }
        let legend_y = HEIGHT + 13.0 * i as f64;
        let marker = if i == 0 {
            format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>",
                MARGIN + 5.0,
                legend_y - 4.0
            )
        } else {
            format!("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{colour}\"/>", MARGIN + 5.0, legend_y - 4.0)
        };
        let _ = writeln!(
            out,
            "{marker}<text x=\"{}\" y=\"{legend_y}\" font-size=\"11\" fill=\"{colour}\">{which}: {}</text>\n</g>",
            MARGIN + 16.0,
            escape(&shortened(&source.title(), 90))
        );
    }
    out.push_str("</svg>\n");
    out
}

const STRIP_WIDTH: f64 = 720.0;
const STRIP_LEFT: f64 = 200.0;
const STRIP_RIGHT: f64 = 30.0;
const STRIP_TOP: f64 = 48.0;
const STRIP_ROW: f64 = 18.0;
const MARK_COLOUR: &str = "#d00";
const FLAG_COLOUR: &str = "#e69f00";

/// The axis of one test's strips: values mapped to a coordinate `t` that
/// is drawn linearly between `t0` and `t1`.
struct StripAxis {
    kind: TestKind,
    t0: f64,
    t1: f64,
}

/// 1 − R² below this is drawn as this (a perfect fit has no logarithm).
const R2_FLOOR: f64 = 1e-12;
/// A coefficient of variation below this is drawn as this.
const CV_FLOOR: f64 = 1e-6;
/// The right end of the R² axis, −log10(1 − R²): R² = 0.999999.
const R2_AXIS_MAX: f64 = 6.0;
/// The left end of the CV axis, log10 CV: 0.001.
const CV_AXIS_MIN: f64 = -3.0;

impl StripAxis {
    fn transform(kind: TestKind, value: f64) -> f64 {
        match kind {
            // −log10(1 − R²): 0 at R² ≤ 0, 1 at 0.9, 2 at 0.99, …
            TestKind::R2 => -(1.0 - value).clamp(R2_FLOOR, 1.0).log10(),
            TestKind::LongestRun => value,
            TestKind::RatioCv => value.max(CV_FLOOR).log10(),
        }
    }

    fn new(kind: TestKind, values: &[f64]) -> StripAxis {
        let ts: Vec<f64> = values.iter().map(|v| StripAxis::transform(kind, *v)).collect();
        let low = ts.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // The log axes stop at R² = 0.999999 and CV = 0.001: the odd exact
        // fit or constant ratio would otherwise squeeze every other country
        // into a corner. Values beyond are drawn at the edge.
        let (t0, t1) = match kind {
            TestKind::R2 => (0.0, high.ceil().clamp(1.0, R2_AXIS_MAX)),
            TestKind::LongestRun => (1.0, high.max(2.0)),
            TestKind::RatioCv if low.is_finite() => {
                let t0 = low.floor().max(CV_AXIS_MIN);
                (t0, high.ceil().max(t0 + 1.0))
            }
            TestKind::RatioCv => (-2.0, 0.0),
        };
        StripAxis { kind, t0, t1 }
    }

    fn x(&self, value: f64) -> f64 {
        let t = StripAxis::transform(self.kind, value);
        let fraction = ((t - self.t0) / (self.t1 - self.t0)).clamp(0.0, 1.0);
        STRIP_LEFT + fraction * (STRIP_WIDTH - STRIP_LEFT - STRIP_RIGHT)
    }

    /// Gridlines: (coordinate t, label).
    fn ticks(&self) -> Vec<(f64, String)> {
        let integers = |step: i64| {
            let (first, last) = (self.t0.ceil() as i64, self.t1.floor() as i64);
            (first..=last).filter(move |i| (i - first) % step == 0)
        };
        match self.kind {
            TestKind::R2 => integers(1)
                .map(|j| {
                    let label = match j {
                        0 => "≤ 0".to_owned(),
                        1..=6 => format!("0.{}", "9".repeat(j as usize)),
                        _ => format!("1 − 1e-{j}"),
                    };
                    // values beyond the end of the axis are drawn at it
                    let beyond = if j as f64 == R2_AXIS_MAX { "≥ " } else { "" };
                    (j as f64, format!("{beyond}{label}"))
                })
                .collect(),
            TestKind::LongestRun => {
                let step = ((self.t1 - self.t0) / 10.0).ceil().max(1.0) as i64;
                integers(step).map(|j| (j as f64, j.to_string())).collect()
            }
            TestKind::RatioCv => integers(1)
                .map(|j| {
                    let label = if j >= 0 {
                        format!("1{}", "0".repeat(j as usize))
                    } else {
                        format!("0.{}1", "0".repeat((-j - 1) as usize))
                    };
                    let beyond = if j as f64 == CV_AXIS_MIN { "≤ " } else { "" };
                    (j as f64, format!("{beyond}{label}"))
                })
                .collect(),
        }
    }

    fn x_of_t(&self, t: f64) -> f64 {
        STRIP_LEFT + (t - self.t0) / (self.t1 - self.t0) * (STRIP_WIDTH - STRIP_LEFT - STRIP_RIGHT)
    }

    fn caption(&self) -> &'static str {
        match self.kind {
            TestKind::R2 => {
                "each tick a country; 1 − R² on a log scale, labelled in R²; right = closer to a perfect fit"
            }
            TestKind::LongestRun => "each tick a country; the longest run of identical non-zero values, in years",
            TestKind::RatioCv => {
                "each tick a country; coefficient of variation on a log scale; left = the ratio hardly varies"
            }
        }
    }
}

/// One test's values across countries, one strip per column (or ratio):
/// a tick per country, the countries with repeated rows in orange and the
/// marked countries in red, named, each in a `<g class="marked">`.
pub fn distribution_chart(test: &str, rows: &[&Distribution], flagged: &[String]) -> String {
    let mut out = String::new();
    let Some(kind) = rows.first().map(|d| d.kind) else { return out };
    let all: Vec<f64> = rows.iter().flat_map(|d| d.values.iter().map(|(_, v)| *v)).collect();
    let axis = StripAxis::new(kind, &all);
    let bottom = STRIP_TOP + STRIP_ROW * rows.len() as f64;
    let height = bottom + 52.0;
    let title = format!("{test}: distribution across countries");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{STRIP_WIDTH}\" height=\"{height}\" viewBox=\"0 0 {STRIP_WIDTH} {height}\" role=\"img\" class=\"distribution\">\n<title>{}</title>\n<text x=\"10\" y=\"18\" font-size=\"13\">{}</text>\n<text x=\"10\" y=\"34\" font-size=\"11\" fill=\"#555\">{}</text>",
        escape(&title),
        escape(&title),
        escape(axis.caption())
    );
    for (t, label) in axis.ticks() {
        let x = axis.x_of_t(t);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{STRIP_TOP}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"#ddd\"/><text x=\"{x:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            bottom + 14.0,
            escape(&label)
        );
    }
    for (i, d) in rows.iter().enumerate() {
        let y = STRIP_TOP + STRIP_ROW * (i as f64 + 0.5);
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\"><title>{}</title>{}</text>",
            STRIP_LEFT - 8.0,
            y + 4.0,
            escape(&d.column),
            escape(&shortened(&d.column, 30))
        );
        let marked: Vec<&str> = d.marked.iter().map(|m| m.country.as_str()).collect();
        let mut plain = String::new();
        let mut orange = String::new();
        for (country, value) in &d.values {
            if marked.contains(&country.as_str()) {
                continue;
            }
            let path = if flagged.contains(country) { &mut orange } else { &mut plain };
            let _ = write!(path, "M{:.1} {:.1}v10", axis.x(*value), y - 5.0);
        }
        if !plain.is_empty() {
            let _ = writeln!(out, "<path d=\"{plain}\" stroke=\"#555\" stroke-opacity=\"0.5\"/>");
        }
        if !orange.is_empty() {
            let _ = writeln!(out, "<path d=\"{orange}\" stroke=\"{FLAG_COLOUR}\" stroke-width=\"1.5\"/>");
        }
        for m in &d.marked {
            let x = axis.x(m.value);
            let _ = writeln!(
                out,
                "<g class=\"marked\" data-country=\"{c}\"><title>{c}: {} (rank {} of {})</title><line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{MARK_COLOUR}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"{MARK_COLOUR}\">{c}</text></g>",
                format!("{:.6}", m.value).trim_end_matches('0').trim_end_matches('.'),
                m.rank,
                d.count,
                y - 7.0,
                y + 7.0,
                x + 4.0,
                y - 1.0,
                c = escape(&m.country)
            );
        }
    }
    let legend_y = bottom + 34.0;
    let _ = writeln!(
        out,
        "<path d=\"M10 {a:.1}v10\" stroke=\"#555\"/><text x=\"16\" y=\"{b:.1}\" font-size=\"11\">a country</text>\
         <path d=\"M100 {a:.1}v10\" stroke=\"{FLAG_COLOUR}\" stroke-width=\"1.5\"/><text x=\"106\" y=\"{b:.1}\" font-size=\"11\">a country with repeated rows</text>\
         <path d=\"M290 {a:.1}v10\" stroke=\"{MARK_COLOUR}\" stroke-width=\"3\"/><text x=\"298\" y=\"{b:.1}\" font-size=\"11\">marked</text>",
        a = legend_y - 9.0,
        b = legend_y
    );
    out.push_str("</svg>\n");
    out
}
