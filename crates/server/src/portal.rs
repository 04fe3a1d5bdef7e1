//! The public portal's statistics pages (no login): every `series` record
//! whose sensitivity is `public`, analysed as `evident analyze series` does
//! (fits, repeated figures, residuals) with its charts as inline SVG. A
//! series that is not public answers as if it did not exist.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use evident_analysis::render::{escape, series_html};
use evident_analysis::{Series, analyze_series};
use evident_archive::{Access, RecordKind, RecordView};
use serde_json::Value;

use crate::AppState;
use crate::api::with_archive;
use crate::error::ApiError;

/// The public portal's routes (no login).
pub fn routes() -> Router<AppState> {
    Router::new().route("/statistics", get(statistics)).route("/statistics/{id}", get(series))
}

/// `GET /statistics`: the public series, each with its source and a link.
pub async fn statistics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rows = with_archive(&state, |archive| {
        let mut rows = String::new();
        for view in archive.records(RecordKind::Series)? {
            if view.retracted || view.access() != Access::Public {
                continue;
            }
            let points = points(&view).len();
            rows.push_str(&format!(
                "<li><a href=\"/statistics/{id}\">{name}</a> ({points} points{unit})</li>\n",
                id = escape(&view.id),
                name = escape(&name(&view)),
                unit = view
                    .fields
                    .get("unit")
                    .and_then(Value::as_str)
                    .map(|u| format!(", {}", escape(u)))
                    .unwrap_or_default(),
            ));
        }
        Ok(rows)
    })
    .await?;
    let body = if rows.is_empty() {
        "<p>No statistical series has been published yet.</p>\n".to_owned()
    } else {
        format!("<ul>\n{rows}</ul>\n")
    };
    Ok(html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Statistics</title>\n</head>\n<body>\n<h1>Published statistical series</h1>\n<p>Each series is tested as in the published forensic analyses: least-squares fits with R², runs of repeated figures, residuals.</p>\n{body}</body>\n</html>\n"
    )))
}

/// `GET /statistics/{id}`: one public series, analysed, with its charts.
pub async fn series(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let page = with_archive(&state, move |archive| {
        let view = archive.record(&id).map_err(|_| ApiError::not_found("published series"))?;
        if view.kind != "series" || view.retracted || view.access() != Access::Public {
            return Err(ApiError::not_found("published series"));
        }
        let series = Series::from_points(&name(&view), &points(&view))
            .map_err(|e| ApiError::bad_request(format!("series {id} cannot be analysed: {e}")))?;
        Ok(series_html(&analyze_series(&series)))
    })
    .await?;
    Ok(html(page))
}

fn html(page: String) -> Response {
    let mut response = page.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response
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
