//! The JSON API under `/api/v1/`. Anything the caller may not see answers
//! exactly as if it did not exist (404 `not_found`), so ids cannot be
//! probed.
//!
//! Every route is in one table ([`api_routes`]): the router is built from
//! it, and the OpenAPI document (`openapi.json`) must describe exactly its
//! routes (`tests/openapi.rs`). Request bodies, queries and paths are read
//! with [`ApiJson`], [`ApiQuery`] and [`ApiPath`], so that bad input gets
//! the API's JSON error, never axum's plain-text rejection.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use evident_archive::{Access, Archive, Role, SearchRequest, Sort, VerifySummary};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, csrf_token_for};
use crate::error::ApiError;
use crate::{api_items, api_records, openapi};

/// The HTTP methods the API answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Patch,
}

impl Verb {
    /// The method's name, as HTTP and OpenAPI (lower-cased) write it.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Patch => "PATCH",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Patch => MethodFilter::PATCH,
        }
    }
}

/// One route of the JSON API.
pub(crate) struct ApiRoute {
    verb: Verb,
    path: &'static str,
    handler: MethodRouter<AppState>,
}

impl ApiRoute {
    fn new<H, T>(verb: Verb, path: &'static str, handler: H) -> ApiRoute
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        ApiRoute { verb, path, handler: on(verb.filter(), handler) }
    }

    /// Lifts axum's 2 MB default body limit (for uploads, which stream to
    /// disk and check `max_upload` themselves).
    fn without_body_limit(self) -> ApiRoute {
        ApiRoute { handler: self.handler.layer(DefaultBodyLimit::disable()), ..self }
    }
}

/// Every route of the JSON API: the router and the OpenAPI document's test
/// both read this table.
pub(crate) fn api_routes() -> Vec<ApiRoute> {
    use Verb::{Get, Patch, Post};
    vec![
        ApiRoute::new(Get, "/api/v1/openapi.json", openapi::document),
        ApiRoute::new(Post, "/api/v1/login", login),
        ApiRoute::new(Post, "/api/v1/logout", logout),
        ApiRoute::new(Get, "/api/v1/checkpoint", checkpoint),
        ApiRoute::new(Get, "/api/v1/search", search),
        ApiRoute::new(Post, "/api/v1/items", api_items::upload).without_body_limit(),
        ApiRoute::new(Get, "/api/v1/items/{id}", item),
        ApiRoute::new(Get, "/api/v1/items/{id}/file", api_items::file),
        ApiRoute::new(Get, "/api/v1/items/{id}/text", api_items::text),
        ApiRoute::new(Get, "/api/v1/items/{id}/receipt", receipt),
        ApiRoute::new(Get, "/api/v1/records", records),
        ApiRoute::new(Post, "/api/v1/records", api_records::create),
        ApiRoute::new(Get, "/api/v1/records/{id}", api_records::read),
        ApiRoute::new(Patch, "/api/v1/records/{id}", api_records::edit),
        ApiRoute::new(Post, "/api/v1/records/{id}/retract", api_records::retract),
        ApiRoute::new(Get, "/api/v1/records/{id}/history", api_records::history),
        ApiRoute::new(Get, "/api/v1/findings", api_records::findings),
        ApiRoute::new(Get, "/api/v1/export", api_records::export),
        ApiRoute::new(Get, "/api/v1/verify", last_verify),
        ApiRoute::new(Post, "/api/v1/verify", verify_now),
    ]
}

/// The JSON API's routes.
pub fn routes() -> Router<AppState> {
    api_routes().into_iter().fold(Router::new(), |router, route| router.route(route.path, route.handler))
}

/// Every route of the JSON API as (method, path template), in the order
/// the table lists them. The OpenAPI document describes exactly these.
pub fn api_route_list() -> Vec<(&'static str, &'static str)> {
    api_routes().iter().map(|route| (route.verb.name(), route.path)).collect()
}

/// The API's error for a rejected body, query or path: 415 and 413 keep
/// their status, everything else is 400 `bad_request`.
fn rejection_error(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(status, "unsupported_media_type", text),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "too_large", text),
        _ => ApiError::bad_request(text),
    }
}

/// A JSON request body (`Content-Type: application/json`); bad JSON,
/// invalid UTF-8 or the wrong shape answer 400 with the API's JSON error.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<ApiJson<T>, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                let status = rejection.status();
                let text = match rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        "send the body as JSON with Content-Type: application/json".to_owned()
                    }
                    other => other.body_text(),
                };
                Err(rejection_error(status, text))
            }
        }
    }
}

/// Query parameters; unparsable ones answer 400 with the API's JSON error.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiQuery<T>, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(rejection_error(rejection.status(), QueryRejection::body_text(&rejection))),
        }
    }
}

/// Path parameters; a segment that is not valid UTF-8 after
/// percent-decoding answers 404 (it names nothing), never a plain-text 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiPath<T>, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::not_found("such path")),
            Err(rejection) => Err(ApiError::internal(rejection.body_text())),
        }
    }
}

/// Refuses the public (401) and roles without `allowed` (403, saying
/// `what` they may not do); else the caller's principal.
pub(crate) fn require_role<'c>(
    caller: &'c Caller,
    allowed: impl Fn(Role) -> bool,
    what: &str,
) -> Result<&'c evident_archive::Principal, ApiError> {
    let principal = caller.require()?;
    if !allowed(principal.role) {
        return Err(ApiError::forbidden(format!("the {} role may not {what}", principal.role.name())));
    }
    Ok(principal)
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
    pub(crate) fn blocked(&mut self, name: &str) -> bool {
        let now = Instant::now();
        let failures = self.failures.entry(name.to_owned()).or_default();
        failures.retain(|at| now.duration_since(*at) < WINDOW);
        failures.len() >= MAX_FAILURES
    }

    pub(crate) fn failed(&mut self, name: &str) {
        self.failures.entry(name.to_owned()).or_default().push(Instant::now());
    }

    pub(crate) fn succeeded(&mut self, name: &str) {
        self.failures.remove(name);
    }
}

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
    /// the one-time code of an account with a second factor
    #[serde(default)]
    totp: Option<String>,
}

/// `POST /api/v1/login` with `{"username", "password"}` (and `"totp"`, the
/// one-time code, for an account with a second factor: without it the
/// answer is 401 `totp_required`): sets the session cookie and returns the
/// same session as a bearer token.
pub async fn login(State(state): State<AppState>, ApiJson(login): ApiJson<Login>) -> Result<Response, ApiError> {
    let limited =
        || ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many failed logins; wait a few minutes");
    if state.limiter.lock().map_err(|_| ApiError::internal("limiter lock poisoned"))?.blocked(&login.username) {
        return Err(limited());
    }
    let name = login.username.clone();
    let outcome = with_archive(&state, move |archive| {
        Ok(archive.login_with_totp(&login.username, &login.password, login.totp.as_deref()))
    })
    .await?;
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
        Err(required @ evident_archive::ArchiveError::TotpRequired) => {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "totp_required", required.to_string()));
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
    ApiQuery(params): ApiQuery<SearchParams>,
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
    let results = search_concurrently(&state, request).await??;
    Ok(Json(serde_json::to_value(&results).map_err(|e| ApiError::internal(e.to_string()))?))
}

/// Runs a search without holding the archive: the archive lock is held
/// only to bring the index up to date and take a handle on it, and the
/// search itself runs on the blocking pool beside other searches and
/// archive calls. The outer error is the server's; the inner one is the
/// search's (a bad query, say), for the caller to show as it likes.
pub(crate) async fn search_concurrently(
    state: &AppState,
    request: SearchRequest,
) -> Result<Result<evident_archive::SearchResults, evident_archive::ArchiveError>, ApiError> {
    let handle = with_archive(state, |archive| Ok(archive.search_handle())).await?;
    let handle = match handle {
        Ok(handle) => handle,
        Err(error) => return Ok(Err(error)),
    };
    tokio::task::spawn_blocking(move || Archive::search_on(&handle, &request))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `GET /api/v1/items/{id}`: the file's metadata, its record and what text
/// extraction made of it.
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    with_archive(&state, move |archive| {
        let level = api_items::visible_item_noted(archive, &caller, &id, "read")?;
        if level == Access::Sealed {
            return Ok(Json(api_items::sealed_item_json(archive, &id)?));
        }
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
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let proof = with_archive(&state, move |archive| {
        api_items::visible_item_noted(archive, &caller, &id, "receipt")?;
        Ok(archive.receipt(&id)?)
    })
    .await?;
    let mut response = proof.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    Ok(response)
}

#[derive(Deserialize)]
pub struct RecordsParams {
    kind: String,
}

/// `GET /api/v1/records?kind=facility`: the records of a kind the caller may see.
pub async fn records(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<RecordsParams>,
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

/// The summary as the API shows it: callers who may not read restricted
/// material get the counts but not the problems (which name items).
fn verify_view(summary: Option<VerifySummary>, access: Access) -> Result<Json<Value>, ApiError> {
    let Some(summary) = summary else {
        return Ok(Json(json!({"verified": null})));
    };
    let mut view = serde_json::to_value(&summary).map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some(object) = view.as_object_mut() {
        object.remove("format");
        if access < Access::Restricted {
            object.remove("problems");
        }
    }
    Ok(Json(json!({"verified": view})))
}

/// `GET /api/v1/verify`: when the archive was last verified and what was
/// found (`{"verified": null}` if never).
pub async fn last_verify(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let access = caller.access();
    let summary = with_archive(&state, |archive| Ok(archive.last_verify()?)).await?;
    verify_view(summary, access)
}

/// `POST /api/v1/verify` (admin): verifies the whole archive now, saves
/// the summary as the last one and returns it.
pub async fn verify_now(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    require_role(&caller, |role| role == Role::Admin, "run a verification")?;
    caller.check_csrf(Caller::csrf_header(&headers))?;
    let access = caller.access();
    let summary = with_archive(&state, |archive| {
        let report = archive.verify(None, &mut |_| {})?;
        Ok(archive.save_verify_summary(&report)?)
    })
    .await?;
    verify_view(Some(summary), access)
}
