//! Publishing over the API: `POST /api/v1/records/{id}/publish` and
//! `POST /api/v1/items/{id}/publish` with `{"reason": "…"}` (optional), and
//! the same with `/unpublish` (reason required). Admins and investigators
//! only; a caller with the session cookie sends the CSRF token. Each call
//! is one logged record version (`Archive::publish_record`,
//! `Archive::unpublish_record`); the answer names its log entry.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use evident_archive::{Access, Archive, RecordChange};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::{ApiJson, ApiPath, require_role, visible, visible_item, with_archive};
use crate::auth::Caller;
use crate::error::ApiError;

/// The body of a publishing call.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// why: recorded as `published: REASON` (or `unpublished: REASON`)
    #[serde(default)]
    reason: String,
}

/// Publishing or taking down.
#[derive(Clone, Copy)]
enum Direction {
    Publish,
    Unpublish,
}

/// `POST /api/v1/records/{id}/publish`.
pub async fn publish_record(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<PublishRequest>,
) -> Result<Json<Value>, ApiError> {
    change(state, caller, headers, id, false, Direction::Publish, body).await
}

/// `POST /api/v1/records/{id}/unpublish`.
pub async fn unpublish_record(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<PublishRequest>,
) -> Result<Json<Value>, ApiError> {
    change(state, caller, headers, id, false, Direction::Unpublish, body).await
}

/// `POST /api/v1/items/{id}/publish`: publishes the item's descriptive record.
pub async fn publish_item(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<PublishRequest>,
) -> Result<Json<Value>, ApiError> {
    change(state, caller, headers, id, true, Direction::Publish, body).await
}

/// `POST /api/v1/items/{id}/unpublish`.
pub async fn unpublish_item(
    state: State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: ApiJson<PublishRequest>,
) -> Result<Json<Value>, ApiError> {
    change(state, caller, headers, id, true, Direction::Unpublish, body).await
}

async fn change(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    id: String,
    item: bool,
    direction: Direction,
    ApiJson(request): ApiJson<PublishRequest>,
) -> Result<Json<Value>, ApiError> {
    let what = match direction {
        Direction::Publish => "publish",
        Direction::Unpublish => "unpublish",
    };
    let principal = require_role(&caller, |role| role.may_write_records(), what)?.clone();
    caller.check_csrf(Caller::csrf_header(&headers))?;
    let access = caller.access();
    with_archive(&state, move |archive| {
        if item {
            visible_item(archive, &id, access)?;
        } else {
            visible(archive, &id, access, "record")?;
        }
        let change = match direction {
            Direction::Publish => archive.publish_record(&id, &principal.user, &request.reason)?,
            Direction::Unpublish => archive.unpublish_record(&id, &principal.user, &request.reason)?,
        };
        answer(archive, &change)
    })
    .await
}

/// `{"id", "version", "sensitivity", "reason", "log_index", "warnings"}`.
fn answer(archive: &Archive, change: &RecordChange) -> Result<Json<Value>, ApiError> {
    let history = archive.record_history(&change.id)?;
    let version = history
        .iter()
        .find(|row| row.version == change.version)
        .ok_or_else(|| ApiError::internal(format!("{} has no version {}", change.id, change.version)))?;
    let sensitivity = match archive.access_of(&change.id)? {
        Access::Public => "public",
        Access::Restricted => "restricted",
        _ => "sealed",
    };
    Ok(Json(json!({
        "id": change.id,
        "version": change.version,
        "sensitivity": sensitivity,
        "reason": version.reason,
        "log_index": version.log_index,
        "warnings": change.warnings,
    })))
}
