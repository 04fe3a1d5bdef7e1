//! The JSON API under `/api/v1/`. Anything the caller may not see answers
//! exactly as if it did not exist (404 `not_found`), so ids cannot be
//! probed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use evident_archive::{Access, Archive, SearchRequest, Sort};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, csrf_token_for};
use crate::error::ApiError;

/// The JSON API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/checkpoint", get(checkpoint))
        .route("/api/v1/search", get(search))
        .route("/api/v1/items/{id}", get(item))
        .route("/api/v1/items/{id}/receipt", get(receipt))
        .route("/api/v1/records", get(records))
        .route("/api/v1/records/{id}", get(record))
}

/// Runs `work` on the archive on tokio's blocking pool.
pub(crate) async fn with_archive<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut Archive) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let archive = state.archive.clone();
    tokio::task::spawn_blocking(move || {
        let mut archive = archive.lock().map_err(|_| ApiError::internal("archive lock poisoned"))?;
        work(&mut archive)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

/// Fails as not found unless `access` may see `id`; else `id`'s level.
pub(crate) fn visible(archive: &Archive, id: &str, access: Access, what: &str) -> Result<Access, ApiError> {
    match archive.access_of(id) {
        Ok(level) if level <= access => Ok(level),
        Ok(_) | Err(evident_archive::ArchiveError::NotFound(_)) => Err(ApiError::not_found(what)),
        Err(other) => Err(other.into()),
    }
}

/// Fails as not found unless `id` is an item `access` may see; else its level.
pub(crate) fn visible_item(archive: &Archive, id: &str, access: Access) -> Result<Access, ApiError> {
    if !id.starts_with("itm_") {
        return Err(ApiError::not_found("item"));
    }
    visible(archive, id, access, "item")
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("such path")
}

/// Failed logins per user name: after [`MAX_FAILURES`] in [`WINDOW`], that
/// name is refused until the window has passed.
#[derive(Default)]
pub struct LoginLimiter {
    failures: HashMap<String, Vec<Instant>>,
}

const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(300);

impl LoginLimiter {
    fn blocked(&mut self, name: &str) -> bool {
        let now = Instant::now();
        let failures = self.failures.entry(name.to_owned()).or_default();
        failures.retain(|at| now.duration_since(*at) < WINDOW);
        failures.len() >= MAX_FAILURES
    }

    fn failed(&mut self, name: &str) {
        self.failures.entry(name.to_owned()).or_default().push(Instant::now());
    }

    fn succeeded(&mut self, name: &str) {
        self.failures.remove(name);
    }
}

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// `POST /api/v1/login` with `{"username", "password"}`: sets the session
/// cookie and returns the same session as a bearer token.
pub async fn login(State(state): State<AppState>, Json(login): Json<Login>) -> Result<Response, ApiError> {
    let limited =
        || ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many failed logins; wait a few minutes");
    if state.limiter.lock().map_err(|_| ApiError::internal("limiter lock poisoned"))?.blocked(&login.username) {
        return Err(limited());
    }
    let name = login.username.clone();
    let outcome = with_archive(&state, move |archive| Ok(archive.login(&login.username, &login.password))).await?;
    let mut limiter = state.limiter.lock().map_err(|_| ApiError::internal("limiter lock poisoned"))?;
    let (principal, token) = match outcome {
        Ok(session) => {
            limiter.succeeded(&name);
            session
        }
        Err(evident_archive::ArchiveError::Invalid(message)) => {
            limiter.failed(&name);
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "login_failed", message));
        }
        Err(other) => return Err(other.into()),
    };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200");
    let mut response = Json(json!({
        "token": token, "user": principal.user, "role": principal.role.name(), "csrf": csrf_token_for(&token),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?);
    Ok(response)
}

/// `POST /api/v1/logout`: revokes the session or token used and clears the cookie.
pub async fn logout(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    caller.require()?;
    caller.check_csrf(Caller::csrf_header(&headers))?;
    if let Some(token) = caller.token {
        with_archive(&state, move |archive| archive.logout(&token).map_err(ApiError::from)).await?;
    }
    let mut response = Json(json!({"ok": true})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("evident_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

/// `GET /api/v1/checkpoint`: the latest signed checkpoint and the verifier key.
pub async fn checkpoint(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    with_archive(&state, |archive| {
        let checkpoint = archive.checkpoint()?;
        let size = checkpoint.lines().nth(1).and_then(|line| line.parse::<u64>().ok());
        Ok(Json(json!({"checkpoint": checkpoint, "size": size, "verifier_key": archive.verifier_key()})))
    })
    .await
}

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
    offset: Option<usize>,
    sort: Option<String>,
    /// comma-separated facet names to count
    facets: Option<String>,
}

/// `GET /api/v1/search?q=...&limit=&offset=&sort=&facets=lang,kind`: only
/// what the caller's role may see is matched, counted or shown.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> Result<Json<Value>, ApiError> {
    let mut request = SearchRequest::new(params.q, caller.access());
    request.limit = params.limit.unwrap_or(10);
    request.offset = params.offset.unwrap_or(0);
    if let Some(sort) = params.sort {
        request.sort = Sort::parse(&sort).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    request.facets = params
        .facets
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    with_archive(&state, move |archive| {
        let results = archive.search(&request)?;
        Ok(Json(serde_json::to_value(&results).map_err(|e| ApiError::internal(e.to_string()))?))
    })
    .await
}

/// `GET /api/v1/items/{id}`: the file's metadata, its record and what text
/// extraction made of it.
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = caller.access();
    with_archive(&state, move |archive| {
        let level = visible_item(archive, &id, access)?;
        crate::audit::note(archive, &caller, "read", &id, level)?;
        let item = archive.item(&id).map_err(|_| ApiError::not_found("item"))?;
        let record = archive.record(&id).ok();
        let text = archive.item_text(&id)?;
        Ok(Json(json!({
            "id": item.id,
            "kind": "item",
            "file": {
                "sha256": item.sha256, "size": item.size, "media_type": item.media_type,
                "original_name": item.original_name, "added_at": item.added_at, "added_by": item.added_by,
                "log_index": item.log_index,
            },
            "fields": record.map(|record| record.fields).unwrap_or_default(),
            "text": text.map(|text| json!({"status": text.status, "format": text.format, "lang": text.lang, "chars": text.chars})),
        })))
    })
    .await
}

/// `GET /api/v1/items/{id}/receipt`: the item's c2sp.org/tlog-proof.
pub async fn receipt(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let access = caller.access();
    let proof = with_archive(&state, move |archive| {
        let level = visible_item(archive, &id, access)?;
        crate::audit::note(archive, &caller, "receipt", &id, level)?;
        Ok(archive.receipt(&id)?)
    })
    .await?;
    let mut response = proof.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    Ok(response)
}

/// `GET /api/v1/records/{id}`.
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let access = caller.access();
    with_archive(&state, move |archive| {
        let level = visible(archive, &id, access, "record")?;
        crate::audit::note(archive, &caller, "read", &id, level)?;
        let view = archive.record(&id).map_err(|_| ApiError::not_found("record"))?;
        Ok(Json(serde_json::to_value(&view).map_err(|e| ApiError::internal(e.to_string()))?))
    })
    .await
}

#[derive(Deserialize)]
pub struct RecordsParams {
    kind: String,
}

/// `GET /api/v1/records?kind=facility`: the records of a kind the caller may see.
pub async fn records(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<RecordsParams>,
) -> Result<Json<Value>, ApiError> {
    let access = caller.access();
    with_archive(&state, move |archive| {
        let kind =
            evident_archive::RecordKind::parse(&params.kind).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let mut visible_records = Vec::new();
        for view in archive.records(kind)? {
            if view.access() <= access {
                visible_records.push(view);
            }
        }
        Ok(Json(json!({"records": visible_records})))
    })
    .await
}
