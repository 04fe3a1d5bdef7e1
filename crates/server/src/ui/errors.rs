//! HTML error pages for browser paths.
//!
//! Handlers (pages and API alike) fail with [`ApiError`], which answers
//! JSON. [`html_errors`] looks at every response to a path outside the API
//! and the log (`/api/`, `/checkpoint`, `/tile/`): an error becomes an HTML
//! page in the reader's language (404, 403, 500, ...), and "log in first"
//! (401) becomes a redirect to the log-in page that comes back here after.
//! An unknown or expired session cookie is cleared on the way, so the
//! log-in page itself never loops.

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Lang, Layout, login_url, page_with_status};
use crate::AppState;
use crate::auth::Caller;
use crate::security::CspNonce;

/// Bodies of error responses larger than this are not read for a message.
const MAX_ERROR_BODY: usize = 64 * 1024;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: &'static str,
    help: &'static str,
    message: String,
}

/// Whether errors on `path` are answered as HTML pages.
pub fn is_browser_path(path: &str) -> bool {
    !(path.starts_with("/api/") || path == "/api" || path == "/checkpoint" || path.starts_with("/tile/"))
}

/// The middleware (see the module docs).
pub async fn html_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_browser_path(request.uri().path()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let mut saved = Request::from_parts(parts.clone(), ()).into_parts().0;
    let request = Request::from_parts(parts, body);
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_html(&response) {
        return response;
    }
    let (code, message) = error_of(response).await;
    let path = saved.uri.path_and_query().map_or_else(|| saved.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    if status == StatusCode::UNAUTHORIZED {
        let next_path = if method == Method::GET { path } else { String::new() };
        let mut target = login_url(&next_path);
        let mut redirect = Redirect::to(&target).into_response();
        if code == "invalid_credential" {
            target = format!("{target}{}expired=1", if target.contains('?') { '&' } else { '?' });
            redirect = Redirect::to(&target).into_response();
            redirect.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_static("evident_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
            );
        }
        return redirect;
    }
    let lang = Lang::of_request(saved.uri.query(), &saved.headers);
    let nonce = CspNonce::from_request_parts(&mut saved, &state).await.map(|n| n.0).unwrap_or_default();
    // The header shows who is signed in; a credential that fails here was
    // already refused above, so it is read as nobody.
    let caller = Caller::from_request_parts(&mut saved, &state).await.unwrap_or(Caller {
        principal: None,
        token: None,
        via_cookie: false,
        client: String::new(),
    });
    let layout = Layout { lang, nonce, caller, path };
    let (heading, help) = match status.as_u16() {
        400 | 405 | 415 | 422 => ("error.400", ""),
        403 if code == "csrf" => ("error.403", "error.csrf"),
        403 => ("error.403", "error.403.help"),
        404 => ("error.404", "error.404.help"),
        413 => ("error.413", ""),
        429 => ("error.429", ""),
        500..=599 => ("error.500", "error.500.help"),
        _ => ("error.title", ""),
    };
    let page = ErrorPage {
        status: status.as_u16(),
        heading: layout.t(heading),
        help: if help.is_empty() { "" } else { layout.t(help) },
        // A 404's or a 500's message adds nothing for the reader (and a 404
        // must look the same whatever the reason).
        message: if matches!(status.as_u16(), 404 | 500..=599) || code == "csrf" { String::new() } else { message },
        layout,
    };
    match page_with_status(status, &page) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

/// The error's code and message: from the API's JSON error, else the plain
/// text an extractor answered with.
async fn error_of(response: Response) -> (String, String) {
    let body = axum::body::to_bytes(Body::new(response.into_body()), MAX_ERROR_BODY).await.unwrap_or_default();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) {
        let code = value["error"]["code"].as_str().unwrap_or("").to_owned();
        let message = value["error"]["message"].as_str().unwrap_or("").to_owned();
        return (code, message);
    }
    (String::new(), String::from_utf8_lossy(&body).chars().take(500).collect())
}
