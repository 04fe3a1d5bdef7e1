//! The audit trail's hook: every read of something above public (a
//! restricted item, record, file or receipt) and every export is noted with
//! who, what, when and from where. The archive keeps the trail and commits
//! it to the log (see `evident_archive::audit`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use evident_archive::{Access, Archive, AuditEvent, Role};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::{ApiQuery, with_archive};
use crate::auth::Caller;
use crate::error::ApiError;

/// Notes that `caller` did `action` (`read`, `download`, `receipt`,
/// `export`, ...) on `target`, whose level is `level`. Public things read
/// by anyone are not noted (the portal is for everyone); everything else is.
pub(crate) fn note(
    archive: &mut Archive,
    caller: &Caller,
    action: &str,
    target: &str,
    level: Access,
) -> Result<(), ApiError> {
    if level == Access::Public && action != "export" {
        return Ok(());
    }
    let (actor, role) = match &caller.principal {
        Some(principal) => (principal.user.clone(), principal.role.name().to_owned()),
        None => ("(public)".to_owned(), "public".to_owned()),
    };
    archive.audit(&AuditEvent {
        actor,
        role,
        action: action.to_owned(),
        target: target.to_owned(),
        client: caller.client.clone(),
    })?;
    Ok(())
}

/// The audit trail's route: `GET /api/v1/audit?from=N&limit=N` (admins only).
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(trail))
}

#[derive(Deserialize)]
pub struct TrailParams {
    from: Option<u64>,
    limit: Option<usize>,
}

/// `GET /api/v1/audit`: events oldest first from `from` (default 1), at
/// most `limit` (default 100, at most 1000), each with the log entry that
/// commits to it (`null` while it waits for the next batch).
pub async fn trail(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<TrailParams>,
) -> Result<Json<Value>, ApiError> {
    let principal = caller.require()?;
    if principal.role != Role::Admin {
        return Err(ApiError::forbidden("only admins may read the audit trail"));
    }
    let from = params.from.unwrap_or(1);
    let limit = params.limit.unwrap_or(100).min(1000);
    with_archive(&state, move |archive| {
        let events = archive.audit_trail(from, limit)?;
        Ok(Json(json!({"events": events})))
    })
    .await
}

/// Commits waiting audit events to the log every [`COMMIT_EVERY`] while the
/// server runs (the archive also commits when a batch fills up, and at the
/// next start if the server stopped first).
pub(crate) async fn commit_periodically(state: AppState) {
    let mut ticks = tokio::time::interval(COMMIT_EVERY);
    loop {
        ticks.tick().await;
        commit_now(&state).await;
    }
}

/// How often waiting audit events are committed while serving.
pub const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Commits waiting audit events now (logging, not failing, if it cannot).
pub(crate) async fn commit_now(state: &AppState) {
    if let Err(error) = with_archive(state, |archive| archive.commit_audit().map_err(ApiError::from)).await {
        tracing::error!(error = %error.message, "could not commit the audit trail to the log");
    }
}
