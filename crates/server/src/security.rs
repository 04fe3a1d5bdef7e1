//! Security headers on every response, and the per-request CSP nonce.
//!
//! [`headers`] runs around every request: it offers the handlers a fresh
//! random nonce (extractor [`CspNonce`], drawn on first use) and sets on
//! the response a strict Content-Security-Policy that allows only scripts
//! carrying that nonce (and what they load, `'strict-dynamic'`), styles
//! from this origin, and nothing inline: no `'unsafe-inline'` anywhere, so
//! an injected `<script>` or `onclick=` does not run even if escaping ever
//! failed. A response whose handler never asked for a nonce (the log's
//! tiles, JSON) gets the same policy with no script allowed at all, and
//! costs no random draw. A handler that set its own policy (the file
//! download sets a sandbox) keeps it; the other headers are added only
//! when absent too.

use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The nonce of this request's Content-Security-Policy: put it on every
/// `<script>` as `nonce="…"`. Available to every handler behind
/// [`headers`]; 22+ characters of base64-safe text (hex), fresh per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(pub String);

impl CspNonce {
    /// A fresh nonce: 16 random bytes, hex.
    fn fresh() -> Result<CspNonce, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(CspNonce(hex::encode(bytes)))
    }

    /// The nonce as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CspNonce {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<CspNonce, ApiError> {
        let slot = parts.extensions.get::<NonceSlot>().ok_or_else(|| {
            ApiError::internal("no CSP nonce: the security layer is not installed in front of this route")
        })?;
        if let Some(nonce) = slot.0.get() {
            return Ok(nonce.clone());
        }
        let fresh = CspNonce::fresh().map_err(|error| {
            tracing::error!(%error, "no randomness for a CSP nonce");
            ApiError::internal("no randomness for the page's security nonce")
        })?;
        Ok(slot.0.get_or_init(|| fresh).clone())
    }
}

/// Where a request's nonce is kept once a handler asks for one.
#[derive(Clone, Default)]
struct NonceSlot(Arc<OnceLock<CspNonce>>);

/// The policy of a response that runs no script (no nonce was asked for).
pub const NO_SCRIPT_POLICY: &str = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy for a response whose scripts carry `nonce`.
pub fn content_security_policy(nonce: &CspNonce) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{}' 'strict-dynamic'; style-src 'self'; img-src 'self' data:; \
         media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        nonce.as_str()
    )
}

/// The middleware: a nonce for the handlers, the security headers on the
/// response (each only if the handler did not set it).
pub async fn headers(mut request: Request, next: Next) -> Response {
    let slot = NonceSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let policy = slot.0.get().map(content_security_policy);
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in fixed {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let Some(policy) = policy else {
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(NO_SCRIPT_POLICY));
            return response;
        };
        match HeaderValue::from_str(&policy) {
            Ok(value) => {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
            Err(error) => {
                tracing::error!(%error, "the content security policy is not a valid header value");
                return ApiError::internal("the page's security policy could not be set").into_response();
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_fresh_and_the_policy_allows_nothing_inline() {
        let one = CspNonce::fresh().unwrap();
        let two = CspNonce::fresh().unwrap();
        assert_ne!(one, two);
        assert_eq!(one.as_str().len(), 32);
        let policy = content_security_policy(&one);
        assert!(policy.contains(&format!("'nonce-{}'", one.as_str())), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(!NO_SCRIPT_POLICY.contains("unsafe") && NO_SCRIPT_POLICY.contains("script-src 'none'"));
        assert_eq!(
            policy.replace(&format!("'nonce-{}' 'strict-dynamic'", one.as_str()), "'none'"),
            NO_SCRIPT_POLICY,
            "the two policies differ only in what scripts they allow"
        );
    }
}
