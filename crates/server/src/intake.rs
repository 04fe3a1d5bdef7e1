//! Safe testimony intake (issue 6; `docs/api.md`): a public form at
//! `/intake` for a testimony and attachments, no account, no JavaScript
//! needed, no cookies. Everything a witness sends becomes a sealed item
//! (encrypted as it arrives: the plaintext is never written to disk, not
//! even to staging), grouped in an intake case; the witness gets a receipt
//! per item (a tlog-proof whose entry holds only salted commitments) and a
//! follow-up code to add to the case later (`/intake/follow-up`). Only the
//! `intake` role reads cases (`/intake/cases`); to everyone else they do
//! not exist.
//!
//! A witness's safety beats our curiosity: the log's actor is `intake`, the
//! audit trail notes each submission by case with the client address
//! `withheld`, and the address is used only in memory, for the rate limit
//! ([`IntakeLimiter`]), and forgotten when its window passes. Nothing about
//! a submission is logged by tracing.
//!
//! A submission is all or nothing: every part is staged (encrypted) first,
//! and only then are all its items added in one batch; if anything fails
//! (too large, too many files, malformed multipart, a wrong code), nothing
//! is stored.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::multipart::Field;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use evident_archive::{Access, AuditEvent, INTAKE_ACTOR, Role, SealedUpload};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::AppState;
use crate::api::with_archive;
use crate::api_items::{
    SEALED_STAGING_NAME, Staging, check_multipart_headers, decrypt_sealed, limited_multipart, multipart_error,
    sanitise_file_name, stage_sealed_bytes, stage_sealed_field,
};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::security::CspNonce;
use crate::ui::{Lang, Layout, PageError, page};

/// The most files one submission may attach.
pub const MAX_INTAKE_FILES: usize = 20;

/// The longest testimony typed into the form, in bytes of UTF-8 (about
/// 85,000 Chinese characters); longer texts can be attached as files.
pub const MAX_TESTIMONY_BYTES: usize = 256 * 1024;

/// Submissions (and wrong follow-up codes) one client address may make in
/// [`INTAKE_WINDOW`].
pub const INTAKE_LIMIT: usize = 10;

/// The rate limit's window.
pub const INTAKE_WINDOW: Duration = Duration::from_secs(600);

/// How long a wrong follow-up code waits before its answer, so that codes
/// cannot be tried quickly (the rate limit bounds how many).
pub const WRONG_CODE_DELAY: Duration = Duration::from_millis(750);

/// The largest testimony shown inline on a case page; longer texts are
/// downloaded.
const MAX_SHOWN_TEXT_BYTES: u64 = 1 << 20;

/// The name of the item a typed testimony becomes.
const TESTIMONY_NAME: &str = "testimony.txt";

/// Attempts per client address in the last [`INTAKE_WINDOW`], in memory
/// only: never logged, never stored.
#[derive(Default)]
pub struct IntakeLimiter {
    attempts: HashMap<String, VecDeque<Instant>>,
}

impl IntakeLimiter {
    /// Whether `client` has used up its window (nothing counted).
    pub(crate) fn blocked(&mut self, client: &str) -> bool {
        let now = Instant::now();
        self.attempts.get_mut(client).is_some_and(|times| {
            times.retain(|at| now.duration_since(*at) < INTAKE_WINDOW);
            times.len() >= INTAKE_LIMIT
        })
    }

    /// Counts one attempt from `client`; `false` (and not counted) if the
    /// address already made [`INTAKE_LIMIT`] in the window.
    pub(crate) fn admit(&mut self, client: &str) -> bool {
        let now = Instant::now();
        if self.attempts.len() > 10_000 {
            // Forget addresses whose window has passed, so a flood from
            // many addresses cannot grow this map for ever.
            self.attempts.retain(|_, times| times.back().is_some_and(|last| now.duration_since(*last) < INTAKE_WINDOW));
        }
        let times = self.attempts.entry(client.to_owned()).or_default();
        while times.front().is_some_and(|first| now.duration_since(*first) >= INTAKE_WINDOW) {
            times.pop_front();
        }
        if times.len() >= INTAKE_LIMIT {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// The intake routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/intake", get(form_page).post(submit).layer(DefaultBodyLimit::disable()))
        .route("/intake/follow-up", get(follow_up_page).post(follow_up).layer(DefaultBodyLimit::disable()))
        .route("/intake/receipt", post(receipt))
        .route("/intake/cases", get(cases_page))
        .route("/intake/cases/{case}", get(case_page))
}

/// The page layout for a witness: nobody is signed in, whatever cookie the
/// browser sends (witness pages never read credentials).
fn witness_layout(uri: &Uri, headers: &HeaderMap, nonce: CspNonce) -> Layout {
    Layout {
        lang: Lang::of_request(uri.query(), headers),
        nonce: nonce.0,
        caller: Caller { principal: None, token: None, via_cookie: false, client: String::new() },
        path: uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned()),
    }
}

/// The client's address, for the rate limit only.
fn client_of(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}

fn rate_limited() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        format!(
            "too many submissions from this connection: at most {INTAKE_LIMIT} in {} minutes. Nothing of this one \
             was stored; what you sent before is kept. Please wait and try again.",
            INTAKE_WINDOW.as_secs() / 60
        ),
    )
}

fn admit(state: &AppState, client: &str) -> Result<(), ApiError> {
    let mut limiter = state.intake_limiter.lock().map_err(|_| ApiError::internal("intake limiter poisoned"))?;
    if limiter.admit(client) { Ok(()) } else { Err(rate_limited()) }
}

/// Refuses (409 `sealing_unavailable`) before reading a submission if this
/// server cannot seal it.
async fn check_sealing(state: &AppState) -> Result<(), ApiError> {
    with_archive(state, |archive| archive.check_sealing().map_err(crate::api_items::sealing_unavailable)).await
}

fn wrong_code() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "wrong_code",
        "this follow-up code is not right: check it (letters and digits; spaces and dashes do not matter) and try \
         again. Nothing was stored.",
    )
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    layout: Layout,
    /// the follow-up form (with a code field) rather than a new testimony
    follow_up: bool,
    /// `?lang=..` for the form's action, so the answer keeps the language
    lang_query: String,
    max_files: usize,
}

/// One stored item, as the witness's answer lists it.
struct StoredItem {
    id: String,
    /// `testimony.txt` or the attachment's name, as the witness sent it
    name: String,
}

#[derive(Template)]
#[template(path = "intake_done.html")]
struct DonePage {
    layout: Layout,
    /// the new follow-up code (a new case only)
    new_code: Option<String>,
    /// the code for the receipt forms (new or typed)
    code: String,
    items: Vec<StoredItem>,
    lang_query: String,
}

fn lang_query(layout: &Layout) -> String {
    format!("?lang={}", layout.lang.code())
}

/// `GET /intake`.
pub async fn form_page(nonce: CspNonce, uri: Uri, headers: HeaderMap) -> Result<Response, PageError> {
    let layout = witness_layout(&uri, &headers, nonce);
    no_cookies(page(&IntakePage {
        lang_query: lang_query(&layout),
        layout,
        follow_up: false,
        max_files: MAX_INTAKE_FILES,
    }))
}

/// `GET /intake/follow-up`.
pub async fn follow_up_page(nonce: CspNonce, uri: Uri, headers: HeaderMap) -> Result<Response, PageError> {
    let layout = witness_layout(&uri, &headers, nonce);
    no_cookies(page(&IntakePage {
        lang_query: lang_query(&layout),
        layout,
        follow_up: true,
        max_files: MAX_INTAKE_FILES,
    }))
}

/// Makes sure a witness's answer sets no cookie (a layer might add one).
fn no_cookies(response: Result<Response, PageError>) -> Result<Response, PageError> {
    response.map(|mut response| {
        response.headers_mut().remove(header::SET_COOKIE);
        response
    })
}

/// What a submission sent, staged encrypted.
struct Received {
    uploads: Vec<SealedUpload>,
    code: Option<Zeroizing<String>>,
    /// removes the staged ciphertext when dropped
    _staging: Staging,
}

/// Reads a text field into memory (wiped when dropped), refusing more
/// than `limit` bytes or text that is not UTF-8.
async fn secret_text(field: &mut Field<'_>, name: &str, limit: usize, max: u64) -> Result<Zeroizing<String>, ApiError> {
    let mut bytes = Zeroizing::new(Vec::new());
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::bad_request(format!(
                "the field `{name}` is longer than {limit} bytes; attach a long text as a file instead. Nothing was \
                 stored."
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_request(format!("the field `{name}` is not UTF-8 text; nothing was stored")))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Reads and stages (encrypted) a submission's multipart body.
async fn receive(state: &AppState, request: Request, follow_up: bool) -> Result<Received, ApiError> {
    let max = state.config.max_upload;
    check_multipart_headers(
        request.headers(),
        max,
        "send the form as multipart/form-data (the page's form does); nothing was stored",
    )?;
    let mut multipart = limited_multipart(request, state, max).await?;
    let staging = Staging::new(with_archive(state, |archive| Ok(archive.staging_dir()?)).await?);
    let mut testimony: Option<Zeroizing<String>> = None;
    let mut code: Option<Zeroizing<String>> = None;
    let mut files: Vec<SealedUpload> = Vec::new();
    let mut slot = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "testimony" if testimony.is_none() => {
                testimony = Some(secret_text(&mut field, "testimony", MAX_TESTIMONY_BYTES, max).await?);
            }
            "code" if follow_up && code.is_none() => code = Some(secret_text(&mut field, "code", 128, max).await?),
            "file" => {
                let sent_name = field.file_name().unwrap_or("").to_owned();
                slot += 1;
                let dir = staging.path().join(slot.to_string());
                tokio::fs::create_dir(&dir).await.map_err(crate::api_items::staging_error)?;
                let path = dir.join(SEALED_STAGING_NAME);
                let (key, length) = stage_sealed_field(&mut field, &path, max).await?;
                if sent_name.is_empty() && length == 0 {
                    // A browser sends an empty part for a file input left empty.
                    continue;
                }
                if files.len() >= MAX_INTAKE_FILES {
                    return Err(ApiError::bad_request(format!(
                        "at most {MAX_INTAKE_FILES} files per submission; send more with the follow-up code. Nothing \
                         was stored."
                    )));
                }
                files.push(SealedUpload { name: sanitise_file_name(&sent_name), path, key });
            }
            "testimony" | "code" => {
                return Err(ApiError::bad_request(format!("the field `{name}` is given twice; nothing was stored")));
            }
            other => {
                let shown: String = other.chars().take(64).collect();
                let allowed = if follow_up { "`code`, `testimony` and `file`" } else { "`testimony` and `file`" };
                return Err(ApiError::bad_request(format!(
                    "unknown form field {shown:?}; send {allowed}. Nothing was stored."
                )));
            }
        }
    }
    let mut uploads = Vec::with_capacity(files.len() + 1);
    if let Some(text) = testimony.filter(|text| !text.trim().is_empty()) {
        let dir = staging.path().join("testimony");
        tokio::fs::create_dir(&dir).await.map_err(crate::api_items::staging_error)?;
        let path = dir.join(SEALED_STAGING_NAME);
        let key = stage_sealed_bytes(text.as_bytes(), &path).await?;
        uploads.push(SealedUpload { name: TESTIMONY_NAME.to_owned(), path, key });
    }
    uploads.extend(files);
    if uploads.is_empty() {
        return Err(ApiError::bad_request("write a testimony or attach at least one file; nothing was stored"));
    }
    if follow_up && code.as_ref().is_none_or(|code| code.trim().is_empty()) {
        return Err(ApiError::bad_request("enter your follow-up code; nothing was stored"));
    }
    Ok(Received { uploads, code, _staging: staging })
}

/// `POST /intake`: a new testimony (multipart: `testimony`, `file`...).
pub async fn submit(State(state): State<AppState>, nonce: CspNonce, request: Request) -> Result<Response, PageError> {
    let layout = witness_layout(request.uri(), request.headers(), nonce);
    admit(&state, &client_of(&request))?;
    check_sealing(&state).await?;
    let received = receive(&state, request, false).await?;
    let names: Vec<String> = received.uploads.iter().map(|upload| upload.name.clone()).collect();
    let submission = with_archive(&state, move |archive| {
        let submission = archive.intake_submit(&received.uploads)?;
        drop(received);
        Ok(submission)
    })
    .await?;
    let code = submission.code.as_ref().map(|code| code.to_string()).unwrap_or_default();
    let items = names.into_iter().zip(submission.items).map(|(name, id)| StoredItem { id, name }).collect();
    let page = DonePage { lang_query: lang_query(&layout), layout, new_code: Some(code.clone()), code, items };
    no_cookies(page_created(&page))
}

/// `POST /intake/follow-up`: more testimony for a case (multipart: `code`,
/// `testimony`, `file`...). A wrong code is a 403 after [`WRONG_CODE_DELAY`].
pub async fn follow_up(
    State(state): State<AppState>,
    nonce: CspNonce,
    request: Request,
) -> Result<Response, PageError> {
    let layout = witness_layout(request.uri(), request.headers(), nonce);
    admit(&state, &client_of(&request))?;
    check_sealing(&state).await?;
    let received = receive(&state, request, true).await?;
    let names: Vec<String> = received.uploads.iter().map(|upload| upload.name.clone()).collect();
    let code = received.code.clone().unwrap_or_default();
    let lookup = code.clone();
    let submission = with_archive(&state, move |archive| {
        let submission = archive.intake_follow_up(&lookup, &received.uploads)?;
        drop(received);
        Ok(submission)
    })
    .await?;
    let Some(submission) = submission else {
        tokio::time::sleep(WRONG_CODE_DELAY).await;
        return Err(wrong_code().into());
    };
    let items = names.into_iter().zip(submission.items).map(|(name, id)| StoredItem { id, name }).collect();
    let page =
        DonePage { lang_query: lang_query(&layout), layout, new_code: None, code: code.trim().to_owned(), items };
    no_cookies(page_created(&page))
}

fn page_created(template: &impl Template) -> Result<Response, PageError> {
    let mut response = page(template)?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

#[derive(Deserialize)]
pub struct ReceiptForm {
    code: String,
    item: String,
}

/// `POST /intake/receipt` (form fields `code`, `item`): the item's receipt
/// (c2sp.org/tlog-proof) as a download, for the witness who holds the
/// case's code. A wrong code or an item of another case is a 403 after
/// [`WRONG_CODE_DELAY`] and counts against the rate limit.
pub async fn receipt(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let client = client_of(&request);
    let blocked =
        state.intake_limiter.lock().map_err(|_| ApiError::internal("intake limiter poisoned"))?.blocked(&client);
    if blocked {
        return Err(rate_limited());
    }
    let Form(form) = Form::<ReceiptForm>::from_request(request, &state).await.map_err(|rejection| {
        ApiError::bad_request(format!("send the fields `code` and `item`: {}", rejection.body_text()))
    })?;
    let code = Zeroizing::new(form.code);
    let item = form.item.clone();
    let proof = with_archive(&state, move |archive| {
        let Some(case) = archive.intake_case_for_code(&code)? else { return Ok(None) };
        if !case.items.iter().any(|row| row.item_id == item) {
            return Ok(None);
        }
        archive.audit(&AuditEvent {
            actor: INTAKE_ACTOR.to_owned(),
            role: "public".to_owned(),
            action: "intake.receipt".to_owned(),
            target: item.clone(),
            client: "withheld".to_owned(),
        })?;
        Ok(Some(archive.receipt(&item)?))
    })
    .await?;
    let Some(proof) = proof else {
        tokio::time::sleep(WRONG_CODE_DELAY).await;
        admit(&state, &client)?;
        return Err(wrong_code());
    };
    let mut response = proof.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    let disposition = format!("attachment; filename=\"{}.tlog-proof\"", sanitise_file_name(&form.item));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Fails as "not found" unless the caller has the `intake` role.
fn require_intake(layout: &Layout) -> Result<(), PageError> {
    if layout.role() == Some(Role::Intake) { Ok(()) } else { Err(ApiError::not_found("page").into()) }
}

struct CaseRow {
    case_id: String,
    created_at: String,
    items: u64,
}

#[derive(Template)]
#[template(path = "intake_cases.html")]
struct CasesPage {
    layout: Layout,
    cases: Vec<CaseRow>,
}

/// `GET /intake/cases`: every case, newest first (the `intake` role only).
pub async fn cases_page(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    require_intake(&layout)?;
    let caller = layout.caller.clone();
    let cases = with_archive(&state, move |archive| {
        crate::audit::note(archive, &caller, "read", "intake/cases", Access::Sealed)?;
        Ok(archive.intake_cases()?)
    })
    .await?;
    let cases = cases
        .into_iter()
        .map(|case| CaseRow { case_id: case.case_id, created_at: case.created_at, items: case.items })
        .collect();
    page(&CasesPage { layout, cases })
}

/// One item of a case, opened.
struct CaseItem {
    id: String,
    name: String,
    media_type: String,
    size: u64,
    added_at: String,
    /// why the item cannot be opened (it was forgotten)
    unreadable: Option<String>,
    /// the text, for a text item (any `text/` type: shown as text, escaped by
    /// the template) small enough to show
    text: Option<String>,
}

#[derive(Template)]
#[template(path = "intake_case.html")]
struct CasePage {
    layout: Layout,
    case_id: String,
    created_at: String,
    items: Vec<CaseItem>,
}

/// `GET /intake/cases/{case}`: the case's items opened with the KEK, texts
/// shown (escaped), attachments downloadable (the `intake` role only; each
/// view audited, and each item opened as a `sealed.read`).
pub async fn case_page(
    State(state): State<AppState>,
    layout: Layout,
    Path(case_id): Path<String>,
) -> Result<Response, PageError> {
    require_intake(&layout)?;
    let caller = layout.caller.clone();
    let (case, items) = with_archive(&state, move |archive| {
        let case = archive.intake_case(&case_id)?.ok_or_else(|| ApiError::not_found("case"))?;
        crate::audit::note(archive, &caller, "read", &case_id, Access::Sealed)?;
        let mut items = Vec::with_capacity(case.items.len());
        for row in &case.items {
            crate::audit::note(archive, &caller, "sealed.read", &row.item_id, Access::Sealed)?;
            let view = match archive.sealed_item(&row.item_id) {
                Ok(view) => view,
                // Forgotten (its key destroyed): listed, with why, and nothing to open.
                Err(evident_archive::ArchiveError::Invalid(why)) => {
                    items.push(CaseItem {
                        id: row.item_id.clone(),
                        name: String::new(),
                        media_type: String::new(),
                        size: 0,
                        added_at: row.added_at.clone(),
                        text: None,
                        unreadable: Some(why),
                    });
                    continue;
                }
                Err(other) => return Err(other.into()),
            };
            let text = if view.media_type.starts_with("text/") && view.size <= MAX_SHOWN_TEXT_BYTES {
                let (bytes, _, _) = decrypt_sealed(archive, &row.item_id)?;
                let bytes = Zeroizing::new(bytes);
                Some(String::from_utf8_lossy(&bytes).into_owned())
            } else {
                None
            };
            items.push(CaseItem {
                id: row.item_id.clone(),
                name: view.original_name.clone(),
                media_type: view.media_type.clone(),
                size: view.size,
                added_at: row.added_at.clone(),
                text,
                unreadable: None,
            });
        }
        Ok((case.case, items))
    })
    .await?;
    page(&CasePage { layout, case_id: case.case_id, created_at: case.created_at, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_admits_a_window_full_per_address() {
        let mut limiter = IntakeLimiter::default();
        for _ in 0..INTAKE_LIMIT {
            assert!(limiter.admit("192.0.2.1"));
        }
        assert!(!limiter.admit("192.0.2.1"));
        assert!(!limiter.admit("192.0.2.1"), "a refused attempt does not reset the window");
        assert!(limiter.admit("192.0.2.2"), "another address has its own window");
    }
}
