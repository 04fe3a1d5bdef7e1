//! `/verify`: the verification page. The browser checks a file and its
//! receipt (or a receipt alone) against the log's verifier key, which the
//! page carries, and the current checkpoint and tiles, which it fetches
//! from this server's C2SP paths: `static/verify.js`, with WebCrypto only.
//! Nothing is uploaded, and nothing the server sends is trusted without the
//! signature.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::text::Text;
use crate::AppState;
use crate::api::with_archive;
use crate::ui::{Layout, PageError, page};

#[derive(Template)]
#[template(path = "portal/verify.html")]
struct VerifyPage {
    layout: Layout,
    text: Text,
    verifier_key: String,
    /// the check's messages in the page's language, JSON for `verify.js`
    messages: String,
}

/// `GET /verify`.
pub async fn verify_page(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    let verifier_key = with_archive(&state, |archive| Ok(archive.verifier_key())).await?;
    let text = Text(layout.lang);
    let messages = text.verify_messages_json();
    page(&VerifyPage { layout, text, verifier_key, messages })
}
