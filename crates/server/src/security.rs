//! Security headers on every response, and the per-request CSP nonce.
//!
//! [`headers`] runs around every request: it draws a fresh random nonce,
//! hands it to the handlers (extractor [`CspNonce`]), and sets on the
//! response a strict Content-Security-Policy that allows only scripts
//! carrying that nonce (and what they load, `'strict-dynamic'`), styles
//! from this origin, and nothing inline: no `'unsafe-inline'` anywhere, so
//! an injected `<script>` or `onclick=` does not run even if escaping ever
//! failed. A handler that set its own policy (the file download sets a
//! sandbox) keeps it; the other headers are added only when absent too.

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
        parts.extensions.get::<CspNonce>().cloned().ok_or_else(|| {
            ApiError::internal("no CSP nonce: the security layer is not installed in front of this route")
        })
    }
}

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
    let nonce = match CspNonce::fresh() {
        Ok(nonce) => nonce,
        Err(error) => {
            tracing::error!(%error, "no randomness for a CSP nonce");
            return ApiError::internal("no randomness for the page's security nonce").into_response();
        }
    };
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let policy = content_security_policy(&nonce);
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
    }
}
