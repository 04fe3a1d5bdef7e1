//! The statistics pages: every published `series` record, analysed as
//! `evident analyze series` does (fits, R², repeated figures, residuals)
//! with its charts as inline SVG. A series that is not published answers as
//! if it did not exist.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use evident_analysis::render::series_html;
use evident_analysis::{Series, analyze_series};
use evident_archive::{RecordKind, RecordView};
use serde_json::Value;

use super::public;
use super::text::Text;
use crate::AppState;
use crate::api::with_archive;
use crate::error::ApiError;
use crate::ui::{Layout, PageError, page};

/// A published series in the list.
struct SeriesRow {
    id: String,
    name: String,
    points: usize,
    unit: String,
}

#[derive(Template)]
#[template(path = "portal/statistics.html")]
struct StatisticsPage {
    layout: Layout,
    text: Text,
    series: Vec<SeriesRow>,
}

/// `GET /statistics`: the published series, each with its size and a link.
pub async fn statistics(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    let series = with_archive(&state, |archive| {
        Ok(public::records(archive, RecordKind::Series)?
            .iter()
            .map(|view| SeriesRow {
                id: view.id.clone(),
                name: name(view),
                points: points(view).len(),
                unit: view.fields.get("unit").and_then(Value::as_str).unwrap_or("").to_owned(),
            })
            .collect())
    })
    .await?;
    page(&StatisticsPage { text: Text(layout.lang), layout, series })
}

#[derive(Template)]
#[template(path = "portal/series.html")]
struct SeriesPage {
    layout: Layout,
    text: Text,
    name: String,
    /// the analysis as `evident_analysis` renders it: tables, lists and
    /// inline SVG, every value escaped by the renderer
    report: String,
}

/// `GET /statistics/{id}`: one published series, analysed, with its charts.
pub async fn series(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (name, report) = with_archive(&state, move |archive| {
        let view = public::record_of_kind(archive, &id, RecordKind::Series)?;
        let name = name(&view);
        let series = Series::from_points(&name, &points(&view))
            .map_err(|e| ApiError::bad_request(format!("series {id} cannot be analysed: {e}")))?;
        let document = series_html(&analyze_series(&series));
        Ok((name, body_of(&document)?.to_owned()))
    })
    .await?;
    page(&SeriesPage { text: Text(layout.lang), layout, name, report })
}

/// The body of an HTML document `evident_analysis` rendered (its own
/// `<style>` would not apply under the portal's CSP; the shared stylesheet
/// styles its tables and charts instead).
fn body_of(document: &str) -> Result<&str, ApiError> {
    let start = document.find("<body>\n").map(|at| at + "<body>\n".len());
    let end = document.rfind("</body>");
    match (start, end) {
        (Some(start), Some(end)) if start <= end => Ok(&document[start..end]),
        _ => Err(ApiError::internal("the series report has no body")),
    }
}

fn name(view: &RecordView) -> String {
    match view.fields.get("name") {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Object(names)) => names.values().find_map(Value::as_str).unwrap_or(&view.id).to_owned(),
        _ => view.id.clone(),
    }
}

/// (year, value) of each point whose period starts in a known year.
fn points(view: &RecordView) -> Vec<(i32, f64)> {
    let Some(Value::Array(points)) = view.fields.get("points") else {
        return Vec::new();
    };
    points
        .iter()
        .filter_map(|point| {
            let year = point.get("period")?.get("start")?.as_str()?.get(..4)?.parse().ok()?;
            Some((year, point.get("value")?.as_f64()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::body_of;

    #[test]
    fn the_body_is_cut_from_the_document() {
        assert_eq!(body_of("<html><body>\n<h1>x</h1>\n</body></html>").unwrap(), "<h1>x</h1>\n");
        assert!(body_of("<h1>x</h1>").is_err());
    }
}
