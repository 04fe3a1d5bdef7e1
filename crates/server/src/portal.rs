//! The public portal (no login): published findings with the evidence they
//! rest on, published items, a timeline of published events, the
//! statistical series analysed with inline SVG charts, and the verification
//! page where the browser checks a file and its receipt against the log's
//! published key and checkpoint (`static/verify.js`).
//!
//! Nothing is public until an investigator or admin publishes it
//! (`evident publish ID`, or `POST /api/v1/records/{id}/publish`): see
//! `evident_archive::publish`. Every page gathers what it shows through
//! [`public`], so anything that is not published (restricted, sealed,
//! retracted, or missing) is left out of lists and answers 404 by id,
//! exactly like an id that does not exist.
//!
//! Pages use the shared layout (`templates/base.html`, [`crate::ui::Layout`])
//! and the portal's own strings ([`text`]) in English and Chinese.

mod pages;
mod public;
mod publishing;
mod statistics;
mod text;
mod verify;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The portal's routes, and the API routes that publish and unpublish.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(pages::home))
        .route("/portal/findings", get(pages::findings))
        .route("/portal/findings/{id}", get(pages::finding))
        .route("/portal/items", get(pages::items))
        .route("/portal/items/{id}", get(pages::item))
        .route("/portal/records/{id}", get(pages::record))
        .route("/portal/timeline", get(pages::timeline))
        .route("/statistics", get(statistics::statistics))
        .route("/statistics/{id}", get(statistics::series))
        .route("/verify", get(verify::verify_page))
        .route("/api/v1/records/{id}/publish", post(publishing::publish_record))
        .route("/api/v1/records/{id}/unpublish", post(publishing::unpublish_record))
        .route("/api/v1/items/{id}/publish", post(publishing::publish_item))
        .route("/api/v1/items/{id}/unpublish", post(publishing::unpublish_item))
}
