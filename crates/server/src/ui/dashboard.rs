//! `/`: the investigators' dashboard (recent items, the log's size and
//! checkpoint, the last verification). The public goes to the portal; the
//! intake role, which reads nothing restricted, to the upload page.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use evident_archive::{SearchRequest, Sort, VerifySummary};

use super::{Layout, PageError, page};
use crate::AppState;
use crate::api::with_archive;

/// One recent item.
struct Recent {
    id: String,
    title: String,
    date: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    layout: Layout,
    recent: Vec<Recent>,
    items: u64,
    log_size: Option<u64>,
    checkpoint: String,
    /// `None`: never verified (or the summary could not be read)
    verify: Option<VerifySummary>,
}

/// `GET /`.
pub async fn dashboard(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    if layout.user().is_none() {
        return Ok(Redirect::to("/portal").into_response());
    }
    if !layout.sees_restricted() {
        return Ok(Redirect::to("/upload").into_response());
    }
    let access = layout.access();
    let (recent, items, checkpoint, verify) = with_archive(&state, move |archive| {
        let mut request = SearchRequest::new("kind:item", access);
        request.sort = Sort::Newest;
        request.limit = 10;
        let recent = archive
            .search(&request)?
            .hits
            .into_iter()
            .map(|hit| Recent { id: hit.id, title: hit.title, date: hit.date.unwrap_or_default() })
            .collect::<Vec<_>>();
        let verify = archive.last_verify().unwrap_or_else(|error| {
            tracing::warn!(%error, "the last verification's summary could not be read");
            None
        });
        Ok((recent, archive.item_count()?, archive.checkpoint()?, verify))
    })
    .await?;
    let log_size = checkpoint.lines().nth(1).and_then(|line| line.parse().ok());
    page(&Dashboard { layout, recent, items, log_size, checkpoint, verify })
}
