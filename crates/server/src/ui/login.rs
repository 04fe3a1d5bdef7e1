//! `GET /login`, `POST /login`, `POST /logout`: the same session cookie
//! and the same rate limit as the API's log-in.
//!
//! Log-in CSRF (another site signing a browser in to an account of its
//! choosing) is refused by checking that the form came from this site:
//! `Sec-Fetch-Site: same-origin` when the browser sends it, else `Origin`
//! (or, without it, `Referer`) naming this site whenever one is sent. After log-in
//! the browser goes to `next`, which must be a path on this site.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Lang, Layout, PageError, page, page_with_status};
use crate::AppState;
use crate::api::with_archive;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::ApiError;
use crate::security::CspNonce;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    username: String,
    /// a catalog key, or empty
    problem: &'static str,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

/// `GET /login`: the form (or, when already signed in, on to `next`).
pub async fn login_page(layout: Layout, Query(query): Query<LoginQuery>) -> Result<Response, PageError> {
    let next = safe_next(query.next.as_deref());
    if layout.user().is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let problem = if query.expired.is_some() { "login.expired" } else { "" };
    page(&LoginPage { layout, next, username: String::new(), problem })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// the one-time code, for an account with a second factor
    #[serde(default)]
    totp: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: signs in and goes on to `next`, or shows the form again
/// with what went wrong.
pub async fn login(
    State(state): State<AppState>,
    nonce: CspNonce,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(Some(&form.next));
    let anonymous = Caller { principal: None, token: None, via_cookie: false, client: String::new() };
    let again = |problem: &'static str, status: StatusCode, username: String| {
        let layout = Layout { lang, nonce: nonce.0.clone(), caller: anonymous.clone(), path: "/login".to_owned() };
        page_with_status(status, &LoginPage { layout, next: next.clone(), username, problem })
    };
    if !same_site(&headers) {
        return again("login.cross_site", StatusCode::FORBIDDEN, String::new());
    }
    if form.username.trim().is_empty() || form.password.is_empty() {
        return again("login.missing", StatusCode::BAD_REQUEST, form.username);
    }
    let blocked =
        state.limiter.lock().map_err(|_| ApiError::internal("limiter lock poisoned"))?.blocked(&form.username);
    if blocked {
        return again("login.rate_limited", StatusCode::TOO_MANY_REQUESTS, form.username);
    }
    let (name, password, code) = (form.username.clone(), form.password, form.totp);
    let outcome = with_archive(&state, move |archive| {
        Ok(archive.login_with_totp(&name, &password, Some(code.as_str()).filter(|code| !code.trim().is_empty())))
    })
    .await?;
    let token = {
        let mut limiter = state.limiter.lock().map_err(|_| ApiError::internal("limiter lock poisoned"))?;
        match outcome {
            Ok((_, token)) => {
                limiter.succeeded(&form.username);
                token
            }
            Err(evident_archive::ArchiveError::Invalid(_)) => {
                limiter.failed(&form.username);
                drop(limiter);
                return again("login.failed", StatusCode::UNAUTHORIZED, form.username);
            }
            Err(evident_archive::ArchiveError::TotpRequired) => {
                drop(limiter);
                return again("login.totp_required", StatusCode::UNAUTHORIZED, form.username);
            }
            Err(other) => return Err(ApiError::from(other).into()),
        }
    };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200");
    let mut response = Redirect::to(&next).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?);
    Ok(response)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout` (form field `csrf`): revokes the session and clears the
/// cookie.
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    caller.require()?;
    caller.check_csrf(Some(&form.csrf))?;
    if let Some(token) = caller.token {
        with_archive(&state, move |archive| archive.logout(&token).map_err(ApiError::from)).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("evident_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

/// `next` if it is a path on this site, else `/`. Refused: absolute and
/// scheme-relative URLs (`//host`, `/\host`), anything with a scheme, and
/// control characters.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.starts_with("/\\")
                && !next.chars().any(|c| c.is_control() || c == '\\')
                && next.len() <= 2048 =>
        {
            next.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Whether the request comes from this site's own pages. The browser's
/// `Sec-Fetch-Site` says so when it sends one (it must be `same-origin`);
/// else `Origin`, else `Referer`, when present, must name this site (the
/// `Host` the browser addressed). Our pages send no referrer
/// (`Referrer-Policy: no-referrer`), so browsers send `Origin: null` on
/// their own forms: that is accepted only with `Sec-Fetch-Site:
/// same-origin`.
fn same_site(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site.eq_ignore_ascii_case("same-origin");
    }
    let Some(host) = header("host") else {
        // Without a Host nothing can be compared; a browser always sends it.
        return header("origin").is_none() && header("referer").is_none();
    };
    let origin_host = |url: &str| -> Option<String> {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
        Some(rest.split(['/', '?', '#']).next().unwrap_or("").to_ascii_lowercase())
    };
    let host = host.to_ascii_lowercase();
    if let Some(origin) = header("origin") {
        return origin_host(origin).is_some_and(|origin| origin == host);
    }
    if let Some(referer) = header("referer") {
        return origin_host(referer).is_some_and(|referer| referer == host);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/records/per_1?x=1")), "/records/per_1?x=1");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil.example", "records", "", "/a\nb"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn origin_must_be_this_host_when_sent() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("archive.example:8080"));
        assert!(same_site(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://archive.example:8080"));
        assert!(same_site(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!same_site(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_site(&headers));
        headers.remove(header::ORIGIN);
        headers.insert(header::REFERER, HeaderValue::from_static("https://evil.example/archive.example:8080"));
        assert!(!same_site(&headers));
        headers.insert(header::REFERER, HeaderValue::from_static("http://archive.example:8080/login?next=/"));
        assert!(same_site(&headers));
        // What a browser sends from our own form, whose page sends no referrer.
        headers.remove(header::REFERER);
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_site(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_site(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://archive.example:8080"));
        assert!(!same_site(&headers), "the browser's own word wins");
    }
}
