//! `/admin/audit`: the audit trail for admins: who read which restricted
//! item or record, downloaded a file or exported, when and from where, and
//! the log entry that commits to each event (or that it still waits for
//! the next batch). Newest page last; `?from=N` pages through it.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use evident_archive::{AuditRecord, Role};
use serde::Deserialize;

use super::{Layout, PageError, page};
use crate::AppState;
use crate::api::with_archive;
use crate::error::ApiError;

/// Events per page.
const PAGE: usize = 200;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    events: Vec<AuditRecord>,
    previous: Option<u64>,
    next: Option<u64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    from: Option<u64>,
}

/// `GET /admin/audit[?from=N]`.
pub async fn audit_page(
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    layout.require_account()?;
    if layout.role() != Some(Role::Admin) {
        return Err(ApiError::forbidden("only admins may read the audit trail").into());
    }
    let from = query.from.unwrap_or(1).max(1);
    let mut events = with_archive(&state, move |archive| Ok(archive.audit_trail(from, PAGE + 1)?)).await?;
    let next = (events.len() > PAGE).then_some(from + PAGE as u64);
    events.truncate(PAGE);
    let previous = (from > 1).then(|| from.saturating_sub(PAGE as u64).max(1));
    page(&AuditPage { layout, events, previous, next })
}
