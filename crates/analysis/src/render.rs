//! Reports as Markdown and as self-contained HTML (no JavaScript, charts
//! as inline SVG). JSON is the serde form of the report types.

use std::fmt::Write;

use crate::consistency::{ConsistencyReport, percent, years_list};
use crate::fit::{Fit, Model};
use crate::repeats::RepeatKind;
use crate::report::{Distribution, QUANTILES, ScanReport, SeriesReport};

fn number(value: Option<f64>) -> String {
    match value {
        Some(v) if v.abs() >= 1e5 || (v != 0.0 && v.abs() < 1e-3) => format!("{v:.6e}"),
        Some(v) => format!("{v:.6}"),
        None => "—".to_owned(),
    }
}

fn years_text(years: &[i32]) -> String {
    years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
}

fn fit_row(fit: &Fit) -> String {
    match &fit.not_meaningful {
        Some(reason) => format!("| {} | `{}` | not meaningful: {reason} | | |", fit.model.name(), fit.formula),
        None => format!(
            "| {} | `{}` | {} | {} | {} |",
            fit.model.name(),
            fit.formula,
            number(fit.r2),
            number(fit.adj_r2),
            fit.coefficients.iter().map(|c| number(Some(*c))).collect::<Vec<_>>().join(", ")
        ),
    }
}

pub fn series_markdown(report: &SeriesReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Series analysis: {}\n", report.name);
    let _ = writeln!(out, "Years {}; {} points.\n", years_text(&report.years), report.years.len());
    let _ = writeln!(out, "## Caveats\n");
    if report.caveats.is_empty() {
        let _ = writeln!(out, "- none found\n");
    } else {
        for caveat in &report.caveats {
            let _ = writeln!(out, "- {caveat}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Fits\n\nMethod: {}.\n", report.method);
    let _ = writeln!(out, "| model | formula | R² | adjusted R² | coefficients (c0, c1, …) |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for fit in &report.fits {
        let _ = writeln!(out, "{}", fit_row(fit));
    }
    let _ = writeln!(out, "\n### Residuals (observed − fitted)\n");
    let _ = write!(out, "| year | value |");
    let fitted: Vec<&Fit> = report.fits.iter().filter(|f| f.not_meaningful.is_none()).collect();
    for fit in &fitted {
        let _ = write!(out, " {} |", fit.model.name());
    }
    let _ = writeln!(out, "\n|---|---|{}", "---|".repeat(fitted.len()));
    for (i, (year, value)) in report.years.iter().zip(&report.values).enumerate() {
        let _ = write!(out, "| {year} | {value} |");
        for fit in &fitted {
            let _ = write!(out, " {} |", number(fit.residuals.get(i).copied()));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n## Repeated figures\n\nMethod: runs of two or more consecutive years with the same non-zero value in this \
         series; rows of the same country whose figures in every count column equal an earlier year's (NA and 0 \
         treated alike).\n"
    );
    if report.repeated.is_empty() {
        let _ = writeln!(out, "- none found");
    }
    for repeat in &report.repeated {
        match repeat.kind {
            RepeatKind::IdenticalValues => {
                let _ = writeln!(
                    out,
                    "- identical values: {} in years {}",
                    number(repeat.value),
                    years_text(&repeat.years)
                );
            }
            RepeatKind::RepeatedRow => {
                let _ = writeln!(
                    out,
                    "- repeated row: years {} have the same {} figures",
                    years_text(&repeat.years),
                    repeat.columns_equal.unwrap_or(0)
                );
            }
        }
    }
    if let Some(comparison) = &report.comparison {
        let _ = writeln!(out, "\n## Comparison\n\nMethod: {}.\n", comparison.method);
        let _ = writeln!(out, "| model | rank of this series | ranked series |");
        let _ = writeln!(out, "|---|---|---|");
        for model in Model::ALL {
            let rank = comparison.rank.get(model).map_or("not ranked (not meaningful)".to_owned(), |r| r.to_string());
            let of = comparison.ranked_out_of.get(model).map_or("0".to_owned(), |r| r.to_string());
            let _ = writeln!(out, "| {} | {rank} | {of} |", model.name());
        }
        let _ = writeln!(out, "\n| series | linear | quadratic | cubic | quadratic_origin |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for s in &comparison.series {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                s.name,
                number(s.r2.linear),
                number(s.r2.quadratic),
                number(s.r2.cubic),
                number(s.r2.quadratic_origin)
            );
        }
        for left in &comparison.left_out {
            let _ = writeln!(out, "- left out: {left}");
        }
    }
    if !report.ratios.is_empty() {
        let _ = writeln!(
            out,
            "\n## Internal ratios\n\nMethod: ratio of summed columns per year; variability as the coefficient of \
             variation (sample sd / mean) over the same years, compared with the comparison group (rank 1 = least \
             variable).\n"
        );
        let _ = writeln!(out, "| ratio | years | CV | rank (lowest CV) | group median CV | group size |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for ratio in &report.ratios {
            let cv = match (&ratio.this.not_meaningful, ratio.this.cv) {
                (Some(reason), _) => format!("not meaningful: {reason}"),
                (None, cv) => number(cv),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {cv} | {} | {} | {} |",
                ratio.spec.name,
                years_text(&ratio.this.years),
                ratio.rank_lowest_cv.map_or("—".to_owned(), |r| r.to_string()),
                number(ratio.group_median_cv),
                ratio.group_cvs.len()
            );
        }
    }
    if let Some(consistency) = &report.consistency {
        let _ = writeln!(out, "\n## Consistency with a second source\n");
        consistency_body(&mut out, consistency, "###");
    }
    out
}

/// A count as written (no decimals when whole), other numbers in full.
fn plain(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{value:.0}") } else { format!("{value}") }
}

fn signed(value: f64) -> String {
    if value > 0.0 { format!("+{}", plain(value)) } else { plain(value) }
}

fn consistency_body(out: &mut String, report: &ConsistencyReport, heading: &str) {
    for (which, source) in [("First", &report.first), ("Second", &report.second)] {
        let _ = writeln!(
            out,
            "- {which} source: {}, years {}",
            source.title(),
            if source.years.is_empty() { "none".to_owned() } else { years_list(&source.years) }
        );
    }
    let c = &report.consistency;
    let s = &c.summary;
    let _ = writeln!(out, "\n{heading} Findings\n");
    if report.findings.is_empty() {
        let _ = writeln!(out, "- nothing stands out");
    }
    for finding in &report.findings {
        let _ = writeln!(out, "- {finding}");
    }
    let _ = writeln!(out, "\n{heading} Caveats\n");
    for caveat in &report.caveats {
        let _ = writeln!(out, "- {caveat}");
    }
    let _ = writeln!(out, "\n{heading} Year by year\n\nMethod: {}.\n", report.method);
    let _ = writeln!(out, "| year | first | second | difference (second − first) | relative difference |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for d in &c.years {
        let relative = d.relative_difference.map_or("— (first is 0)".to_owned(), percent);
        let same = if d.first == d.second && d.first != 0.0 { " (identical)" } else { "" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}{same} | {relative} |",
            d.year,
            plain(d.first),
            plain(d.second),
            signed(d.difference)
        );
    }
    out.push('\n');
    let only = |years: &[i32]| if years.is_empty() { "none".to_owned() } else { years_list(years) };
    let _ = writeln!(out, "- years only in the first source: {}", only(&c.only_in_first));
    let _ = writeln!(out, "- years only in the second source: {}", only(&c.only_in_second));
    let _ = writeln!(out, "\n{heading} Summary\n");
    let _ = writeln!(out, "| statistic | value |");
    let _ = writeln!(out, "|---|---|");
    let _ = writeln!(out, "| common years | {} |", s.common_years);
    let _ = writeln!(out, "| years with identical non-zero figures | {} |", only(&s.identical_years));
    match &s.not_meaningful {
        Some(reason) => {
            let _ = writeln!(out, "| mean and largest differences | not meaningful: {reason} |");
        }
        None => {
            let at = |v: Option<crate::ratios::YearValue>, show: fn(f64) -> String| {
                v.map_or("—".to_owned(), |v| format!("{} in {}", show(v.value), v.year))
            };
            let mean = s.mean_absolute_relative_difference.map_or("—".to_owned(), |m| percent(m).replace('+', ""));
            let _ = writeln!(out, "| mean absolute relative difference | {mean} |");
            let signed_mean = s.mean_relative_difference.map_or("—".to_owned(), percent);
            let _ = writeln!(out, "| mean relative difference (signed) | {signed_mean} |");
            let _ = writeln!(out, "| largest relative difference | {} |", at(s.max_relative_difference, percent));
            let _ = writeln!(out, "| largest difference | {} |", at(s.max_difference, signed));
        }
    }
}

/// A consistency report on its own, as Markdown.
pub fn consistency_markdown(report: &ConsistencyReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Consistency of two sources: {}\n", report.first.series);
    consistency_body(&mut out, report, "##");
    out
}

/// A consistency report on its own, as HTML with a chart of both sources.
pub fn consistency_html(report: &ConsistencyReport) -> String {
    let mut body = markdown_to_html(&consistency_markdown(report));
    body.push_str("<h2>Chart</h2>\n");
    body.push_str(&crate::svg::consistency_chart(report));
    page(&format!("Consistency of two sources: {}", report.first.series), &body)
}

pub fn scan_markdown(report: &ScanReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Scan\n\nMethod: {}\n", report.method);
    let _ = writeln!(out, "## Rows that repeat an earlier year's figures\n");
    if report.repeated_rows.is_empty() {
        let _ = writeln!(out, "- none found");
    }
    for flag in &report.repeated_rows {
        let _ = writeln!(
            out,
            "- {}: years {} have the same {} figures",
            flag.country,
            years_text(&flag.years),
            flag.columns_equal
        );
    }
    let _ = writeln!(out, "\n## How each test's values are distributed across countries\n");
    if report.marked.is_empty() {
        let _ = writeln!(out, "Marked: none. Why: {}.\n", report.marked_because);
    } else {
        let _ = writeln!(out, "Marked: {}. Why: {}.\n", report.marked.join(", "), report.marked_because);
    }
    let labels: Vec<String> = QUANTILES.iter().map(|q| format!("q{:.0}", q * 100.0)).collect();
    let _ = writeln!(
        out,
        "| column | test | countries | {} | most notable (highest R² or run, lowest CV) | marked (rank) |",
        labels.join(" | ")
    );
    let _ = writeln!(out, "|---|---|---|{}---|---|", "---|".repeat(labels.len()));
    for d in &report.distributions {
        let quantiles: Vec<String> = d.quantiles.iter().map(|q| number(Some(*q))).collect();
        let notable = if d.kind.low_is_notable() { &d.lowest } else { &d.highest };
        let notable: Vec<String> = notable.iter().map(|(c, v)| format!("{c} {}", number(Some(*v)))).collect();
        let marked: Vec<String> = report
            .marked
            .iter()
            .map(|country| match d.marked.iter().find(|m| m.country == *country) {
                Some(m) => format!("{country} {} ({} of {})", number(Some(m.value)), m.rank, d.count),
                None => format!("{country} not meaningful or not reported"),
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            d.column,
            d.test,
            d.count,
            quantiles.join(" | "),
            notable.join("; "),
            if marked.is_empty() { "—".to_owned() } else { marked.join("; ") }
        );
    }
    out
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Markdown tables and lists turned into minimal HTML; enough for our own
/// reports, which use nothing else.
fn markdown_to_html(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_table = false;
    let mut in_list = false;
    for line in markdown.lines() {
        if line.starts_with('|') {
            if line.starts_with("|---") {
                continue;
            }
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            if !in_table {
                out.push_str("<table>\n<tr>");
                for c in &cells {
                    let _ = write!(out, "<th>{}</th>", escape(c));
                }
                out.push_str("</tr>\n");
                in_table = true;
            } else {
                out.push_str("<tr>");
                for c in &cells {
                    let _ = write!(out, "<td>{}</td>", escape(c.trim_matches('`')));
                }
                out.push_str("</tr>\n");
            }
            continue;
        }
        if in_table {
            out.push_str("</table>\n");
            in_table = false;
        }
        if let Some(item) = line.strip_prefix("- ") {
            if !in_list {
                out.push_str("<ul>\n");
                in_list = true;
            }
            let _ = writeln!(out, "<li>{}</li>", escape(item));
            continue;
        }
        if in_list {
            out.push_str("</ul>\n");
            in_list = false;
        }
        if let Some(h) = line.strip_prefix("### ") {
            let _ = writeln!(out, "<h3>{}</h3>", escape(h));
        } else if let Some(h) = line.strip_prefix("## ") {
            let _ = writeln!(out, "<h2>{}</h2>", escape(h));
        } else if let Some(h) = line.strip_prefix("# ") {
            let _ = writeln!(out, "<h1>{}</h1>", escape(h));
        } else if !line.trim().is_empty() {
            let _ = writeln!(out, "<p>{}</p>", escape(line));
        }
    }
    if in_table {
        out.push_str("</table>\n");
    }
    if in_list {
        out.push_str("</ul>\n");
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}\n\
         table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}}\n\
         svg{{display:block;margin:1rem 0}}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

pub fn series_html(report: &SeriesReport) -> String {
    let mut body = markdown_to_html(&series_markdown(report));
    body.push_str("<h2>Charts</h2>\n");
    body.push_str(&crate::svg::series_chart(report));
    body.push_str(&crate::svg::residual_chart(report));
    if let Some(comparison) = &report.comparison {
        for model in [Model::Quadratic, Model::Linear] {
            body.push_str(&crate::svg::comparison_strip(report, comparison, model));
        }
    }
    if let Some(consistency) = &report.consistency {
        body.push_str(&crate::svg::consistency_chart(consistency));
    }
    page(&format!("Series analysis: {}", report.name), &body)
}

/// The scan with one chart per test: each column's (or ratio's) values
/// across countries, the countries with repeated rows and the marked ones
/// picked out.
pub fn scan_html(report: &ScanReport) -> String {
    let mut body = markdown_to_html(&scan_markdown(report));
    body.push_str("<h2>Charts: each test's values across countries</h2>\n");
    let flagged: Vec<String> =
        crate::report::copied_figures(&report.repeated_rows).into_iter().map(|(c, _)| c).collect();
    let mut tests: Vec<&str> = Vec::new();
    for d in &report.distributions {
        if !tests.contains(&d.test.as_str()) {
            tests.push(&d.test);
        }
    }
    for test in tests {
        let rows: Vec<&Distribution> = report.distributions.iter().filter(|d| d.test == test).collect();
        body.push_str(&crate::svg::distribution_chart(test, &rows, &flagged));
    }
    page("Scan", &body)
}
