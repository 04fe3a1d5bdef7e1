//! The OpenAPI 3.1 document of the JSON API, served at
//! `GET /api/v1/openapi.json`. It is written by hand (`openapi.json` beside
//! this file) and must describe exactly the routes of
//! [`api_route_list`](crate::api::api_route_list): `tests/openapi.rs`
//! checks both directions, and `tests/schemathesis.rs` runs schemathesis
//! against it.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Response {
    let mut response = OPENAPI_JSON.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
