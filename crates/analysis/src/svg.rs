//! Charts as inline SVG, written by hand: the series with its fitted
//! curves, the residuals, and the comparison group's R² as a strip with
//! this series marked.

use std::fmt::Write;

use crate::fit::Model;
use crate::render::escape;
use crate::report::{Comparison, SeriesReport};

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
