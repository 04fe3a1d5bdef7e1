//! Who is calling: a bearer token (`Authorization: Bearer evk_…` or
//! `evs_…`) or the session cookie; nobody (the public) when neither is
//! sent. A credential that is sent but not valid is refused, never read as
//! "public", so a stale session cannot silently show less than expected.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use evident_archive::{Access, Principal};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::api::with_archive;
use crate::error::ApiError;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "evident_session";

/// The header an API call authenticated by the session cookie must carry
/// on every state-changing request (forms send the same value in a field
/// named `csrf`).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Option<Principal>,
    /// the credential the caller sent (for logout)
    pub token: Option<String>,
    /// whether the credential came in the session cookie (then
    /// state-changing requests need the CSRF token) rather than a bearer
    /// header (which a browser never adds on its own)
    pub via_cookie: bool,
    /// the peer's address, for the audit trail (`unknown` when the server
    /// was not started with connect info, as in tests)
    pub client: String,
}

impl Caller {
    /// The CSRF token of the caller's session: derived from the session
    /// token, which only the browser holding the cookie knows, so a page on
    /// another site cannot compute it. `None` for the public.
    pub fn csrf_token(&self) -> Option<String> {
        self.token.as_deref().map(csrf_token_for)
    }

    /// Refuses a state-changing request that came with the session cookie
    /// but without its CSRF token (header [`CSRF_HEADER`] or form field
    /// `csrf`). Bearer-token calls need none.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), ApiError> {
        if !self.via_cookie {
            return Ok(());
        }
        match (self.csrf_token(), sent) {
            (Some(expected), Some(sent)) if constant_time_eq(expected.as_bytes(), sent.trim().as_bytes()) => Ok(()),
            _ => Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "this request needs the page's CSRF token; reload the page and try again",
            )),
        }
    }

    /// The CSRF token sent in the [`CSRF_HEADER`] header, if any.
    pub fn csrf_header(headers: &HeaderMap) -> Option<&str> {
        headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok())
    }

    /// What the caller may see: the role's level, or public.
    pub fn access(&self) -> Access {
        self.principal.as_ref().map_or(Access::Public, |principal| principal.role.access())
    }

    pub fn require(&self) -> Result<&Principal, ApiError> {
        self.principal.as_ref().ok_or_else(ApiError::unauthorized)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
        let Some((token, via_cookie)) = credential(&parts.headers) else {
            return Ok(Caller { principal: None, token: None, via_cookie: false, client });
        };
        let lookup = token.clone();
        let principal =
            with_archive(state, move |archive| archive.authenticate(&lookup).map_err(ApiError::from)).await?;
        match principal {
            Some(principal) => Ok(Caller { principal: Some(principal), token: Some(token), via_cookie, client }),
            None => Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_credential",
                "the session or token is unknown, expired or revoked; log in again",
            )),
        }
    }
}

/// The CSRF token belonging to a session token.
pub fn csrf_token_for(session_token: &str) -> String {
    let digest = Sha256::new().chain_update(b"evident csrf\0").chain_update(session_token.as_bytes()).finalize();
    hex::encode(&digest[..16])
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bearer token (and `false`), else the session cookie (and `true`).
fn credential(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some((token.trim().to_owned(), false));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|cookie| cookie.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('=').map(str::to_owned))
        .filter(|token| !token.is_empty())
        .map(|token| (token, true))
}
