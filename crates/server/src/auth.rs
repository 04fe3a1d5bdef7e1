//! Who is calling: a bearer token (`Authorization: Bearer evk_…` or
//! `evs_…`) or the session cookie; nobody (the public) when neither is
//! sent. A credential that is sent but not valid is refused, never read as
//! "public", so a stale session cannot silently show less than expected.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use evident_archive::{Access, Principal};

use crate::AppState;
use crate::api::with_archive;
use crate::error::ApiError;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "evident_session";

/// The caller of a request.
pub struct Caller {
    pub principal: Option<Principal>,
    /// the credential the caller sent (for logout)
    pub token: Option<String>,
}

impl Caller {
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
        let Some(token) = credential(&parts.headers) else {
            return Ok(Caller { principal: None, token: None });
        };
        let lookup = token.clone();
        let principal =
            with_archive(state, move |archive| archive.authenticate(&lookup).map_err(ApiError::from)).await?;
        match principal {
            Some(principal) => Ok(Caller { principal: Some(principal), token: Some(token) }),
            None => Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_credential",
                "the session or token is unknown, expired or revoked; log in again",
            )),
        }
    }
}

/// The bearer token, else the session cookie.
fn credential(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|cookie| cookie.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('=').map(str::to_owned))
        .filter(|token| !token.is_empty())
}
