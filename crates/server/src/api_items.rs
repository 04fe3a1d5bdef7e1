//! Items over the API: uploads (`POST /api/v1/items`, multipart, streamed
//! to disk as they arrive), the file itself (`GET /api/v1/items/{id}/file`,
//! streamed from the OCFL object, with single byte ranges for media
//! previews) and its text (`GET /api/v1/items/{id}/text`).
//!
//! Uploaded bytes are never held whole in memory: each `file` field is
//! written to a fresh staging directory under the archive's `tmp/` as its
//! chunks arrive, and only once the whole request has been read (and is
//! within `max_upload`) are the staged files added, with the caller as the
//! actor. Whatever happens, the staging directory is removed ([`Staging`]).
//! File names from the client are untrusted: only a sanitised base name is
//! kept ([`sanitise_file_name`]).

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use evident_archive::{
    Access, AddConfig, AddOutcome, AddStatus, Archive, ArchiveError, SealedUpload, Sensitivity, StagingKey,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::AppState;
use crate::api::{ApiPath, require_role, visible_item, with_archive};
use crate::auth::Caller;
use crate::error::ApiError;

/// The longest file name kept, in bytes (the file system allows 255).
pub const MAX_FILE_NAME_BYTES: usize = 200;

/// The most text `GET /api/v1/items/{id}/text` sends: 1 MiB.
pub const MAX_PREVIEW_TEXT_BYTES: usize = 1 << 20;

/// The name given to an upload whose name is empty once sanitised.
const DEFAULT_NAME: &str = "upload";

/// A file name from a client, made safe to store and to send back: only
/// the part after the last `/` or `\`, without control characters, quotes
/// or characters that other systems refuse in names, without leading dots
/// (no `..`, no hidden files) or surrounding spaces, at most
/// [`MAX_FILE_NAME_BYTES`] bytes (the extension kept when it is cut);
/// `upload` if nothing is left.
pub fn sanitise_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if matches!(c, '"' | ':' | '*' | '?' | '<' | '>' | '|') { '_' } else { c })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim_end_matches(['.', ' ']).trim_start();
    if trimmed.is_empty() {
        return DEFAULT_NAME.to_owned();
    }
    if trimmed.len() <= MAX_FILE_NAME_BYTES {
        return trimmed.to_owned();
    }
    // Keep a short extension, cut the stem at a character boundary.
    let (stem, extension) = match trimmed.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && extension.len() <= 16 => (stem, Some(extension)),
        _ => (trimmed, None),
    };
    let room = MAX_FILE_NAME_BYTES - extension.map_or(0, |e| e.len() + 1);
    let mut end = room.min(stem.len());
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let stem = stem[..end].trim_end_matches(['.', ' ']);
    let stem = if stem.is_empty() { DEFAULT_NAME } else { stem };
    match extension {
        Some(extension) => format!("{stem}.{extension}"),
        None => stem.to_owned(),
    }
}

/// A staging directory that is removed when dropped: on success, on an
/// error, and when the client goes away mid-upload.
pub(crate) struct Staging {
    dir: PathBuf,
}

impl Staging {
    /// Takes charge of a fresh staging directory (`Archive::staging_dir`).
    pub(crate) fn new(dir: PathBuf) -> Staging {
        Staging { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot remove an upload's staging directory")
            }
        }
    }
}

/// Refuses a request whose body is not `multipart/form-data` (415; `how`
/// says how to send it) or that declares more than `max` bytes (413),
/// before a byte of it is read.
pub(crate) fn check_multipart_headers(headers: &HeaderMap, max: u64, how: &str) -> Result<(), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    if !content_type.trim_start().to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", how.to_owned()));
    }
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max) {
        return Err(too_large(max));
    }
    Ok(())
}

/// The multipart body of `request`, cut off after `max` bytes (reading
/// past them fails as 413, see [`multipart_error`]).
pub(crate) async fn limited_multipart(request: Request, state: &AppState, max: u64) -> Result<Multipart, ApiError> {
    let (parts, body) = request.into_parts();
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    let limited = Request::from_parts(parts, Body::new(http_body_util::Limited::new(body, limit)));
    Multipart::from_request(limited, state).await.map_err(|rejection| {
        ApiError::bad_request(format!("not a multipart body: {}; nothing was stored", rejection.body_text()))
    })
}

pub(crate) fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the upload is larger than this server's limit of {max} bytes per request; nothing was stored"),
    )
}

pub(crate) fn staging_error(error: std::io::Error) -> ApiError {
    tracing::error!(%error, "cannot write an upload to its staging directory");
    ApiError::internal("the upload could not be staged; the server log says why")
}

pub(crate) fn multipart_error(error: MultipartError, max: u64) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max)
    } else {
        ApiError::bad_request(format!("the multipart body cannot be read: {}", error.body_text()))
    }
}

/// A small text field (`sensitivity`, `csrf`), refused if longer than `limit` bytes.
async fn small_text(field: &mut Field<'_>, name: &str, limit: usize, max: u64) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > limit {
            return Err(ApiError::bad_request(format!("the field `{name}` is longer than {limit} bytes")));
        }
    }
    String::from_utf8(bytes).map_err(|_| ApiError::bad_request(format!("the field `{name}` is not UTF-8 text")))
}

/// One file of an upload, staged.
struct StagedUpload {
    name: String,
    path: PathBuf,
}

/// The name of a sealed upload's staged file: never the client's file name,
/// which is sealed too.
pub(crate) const SEALED_STAGING_NAME: &str = "sealed.staging";

/// Streams a multipart field into `path` encrypted under a fresh staging
/// key as its chunks arrive, so that not a byte of its plaintext reaches
/// the disk (`evident_archive::StagingKey`). Returns the key and the
/// plaintext length.
pub(crate) async fn stage_sealed_field(
    field: &mut Field<'_>,
    path: &Path,
    max: u64,
) -> Result<(StagingKey, u64), ApiError> {
    let key = StagingKey::generate()?;
    let mut encryptor = key.encryptor()?;
    let mut out = tokio::fs::File::create(path).await.map_err(staging_error)?;
    let mut length = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
        length += chunk.len() as u64;
        let sealed = encryptor.update(&chunk)?;
        if !sealed.is_empty() {
            out.write_all(&sealed).await.map_err(staging_error)?;
        }
    }
    out.write_all(&encryptor.finish()?).await.map_err(staging_error)?;
    out.flush().await.map_err(staging_error)?;
    Ok((key, length))
}

/// Writes bytes already in memory (a testimony typed into a form) to
/// `path`, encrypted under a fresh staging key.
pub(crate) async fn stage_sealed_bytes(bytes: &[u8], path: &Path) -> Result<StagingKey, ApiError> {
    let key = StagingKey::generate()?;
    let mut encryptor = key.encryptor()?;
    let mut sealed = encryptor.update(bytes)?;
    sealed.extend(encryptor.finish()?);
    let mut out = tokio::fs::File::create(path).await.map_err(staging_error)?;
    out.write_all(&sealed).await.map_err(staging_error)?;
    out.flush().await.map_err(staging_error)?;
    Ok(key)
}

/// The answer when this server cannot seal (no KEK, or it cannot unlock
/// it): 409 (the archive's state, not the request, is what is missing;
/// and not a 5xx, which would read as a crash), without the server's
/// paths; the log says more.
pub(crate) fn sealing_unavailable(error: ArchiveError) -> ApiError {
    tracing::error!(%error, "sealed data was sent, but this server cannot seal");
    ApiError::new(
        StatusCode::CONFLICT,
        "sealing_unavailable",
        "this server cannot seal data now (no key-encryption key, or it cannot unlock it); ask its administrator. \
         Nothing was stored.",
    )
}

/// The `sensitivity` field of an upload, for a caller with `role`.
fn upload_sensitivity(text: &str, role: evident_archive::Role) -> Result<Sensitivity, ApiError> {
    match text.trim() {
        "" | "restricted" => Ok(Sensitivity::Restricted),
        "public" if role.may_write_records() => Ok(Sensitivity::Public),
        "public" => Err(ApiError::forbidden(format!(
            "the {} role may not publish; upload as restricted and ask an investigator",
            role.name()
        ))),
        "sealed" => Ok(Sensitivity::Sealed),
        other => {
            let shown: String = other.chars().take(32).collect();
            Err(ApiError::bad_request(format!(
                "unknown sensitivity {shown:?} in the field `sensitivity`; use `restricted` (the default), `public` \
                 or `sealed`"
            )))
        }
    }
}

/// `POST /api/v1/items`: multipart/form-data with one or more fields
/// `file`, an optional `sensitivity` (`restricted`, the default, or
/// `public`, which needs a role that may write records) and, for a
/// session-cookie caller without the `X-CSRF-Token` header, a field
/// `csrf`. Answers 201 with each file's outcome.
pub async fn upload(State(state): State<AppState>, caller: Caller, request: Request) -> Result<Response, ApiError> {
    let principal = require_role(&caller, |role| role.may_upload(), "upload items")?.clone();
    let max = state.config.max_upload;
    let headers = request.headers();
    check_multipart_headers(headers, max, "send the files as multipart/form-data, one field named `file` per file")?;
    let header_csrf = Caller::csrf_header(headers).map(str::to_owned);
    if header_csrf.is_some() {
        caller.check_csrf(header_csrf.as_deref())?;
    }

    let mut multipart = limited_multipart(request, &state, max).await?;

    let staging = Staging { dir: with_archive(&state, |archive| Ok(archive.staging_dir()?)).await? };
    let mut files: Vec<StagedUpload> = Vec::new();
    let mut sealed_files: Vec<SealedUpload> = Vec::new();
    let mut sensitivity: Option<Sensitivity> = None;
    let mut form_csrf: Option<String> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, max))? {
        let field_name = field.name().unwrap_or("").to_owned();
        match field_name.as_str() {
            "file" if sensitivity == Some(Sensitivity::Sealed) => {
                // Encrypted as it arrives: the plaintext never reaches the disk.
                let name = sanitise_file_name(field.file_name().unwrap_or(""));
                let dir = staging.path().join(sealed_files.len().to_string());
                tokio::fs::create_dir(&dir).await.map_err(staging_error)?;
                let path = dir.join(SEALED_STAGING_NAME);
                let (key, _) = stage_sealed_field(&mut field, &path, max).await?;
                files.push(StagedUpload { name: name.clone(), path: path.clone() });
                sealed_files.push(SealedUpload { name, path, key });
            }
            "file" => {
                let name = sanitise_file_name(field.file_name().unwrap_or(""));
                // Each file in a directory of its own: two files may share a name.
                let dir = staging.path().join(files.len().to_string());
                tokio::fs::create_dir(&dir).await.map_err(staging_error)?;
                let path = dir.join(&name);
                let mut out = tokio::fs::File::create(&path).await.map_err(staging_error)?;
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, max))? {
                    out.write_all(&chunk).await.map_err(staging_error)?;
                }
                // tokio writes in the background: wait until the bytes are in the file.
                out.flush().await.map_err(staging_error)?;
                files.push(StagedUpload { name, path });
            }
            "sensitivity" => {
                // Decided before any file arrives, so that a sealed file can be
                // encrypted from its first byte.
                if sensitivity.is_some() {
                    return Err(ApiError::bad_request("the field `sensitivity` is given twice; nothing was stored"));
                }
                let text = small_text(&mut field, "sensitivity", 64, max).await?;
                let chosen = upload_sensitivity(&text, principal.role)?;
                if chosen == Sensitivity::Sealed {
                    if !files.is_empty() {
                        return Err(ApiError::bad_request(
                            "the field `sensitivity` must come before the first `file` field when it is `sealed` \
                             (a sealed file is encrypted from its first byte); nothing was stored",
                        ));
                    }
                    with_archive(&state, |archive| archive.check_sealing().map_err(sealing_unavailable)).await?;
                }
                sensitivity = Some(chosen);
            }
            "csrf" => form_csrf = Some(small_text(&mut field, "csrf", 256, max).await?),
            other => {
                let shown: String = other.chars().take(64).collect();
                return Err(ApiError::bad_request(format!(
                    "unknown form field {shown:?}; send `file` (one or more), optionally `sensitivity`"
                )));
            }
        }
    }
    if header_csrf.is_none() {
        caller.check_csrf(form_csrf.as_deref())?;
    }
    if files.is_empty() {
        return Err(ApiError::bad_request("no file: send each file in a multipart field named `file`"));
    }
    if sensitivity == Some(Sensitivity::Sealed) {
        return upload_sealed(&state, &caller, principal, sealed_files, staging).await;
    }
    let public = sensitivity == Some(Sensitivity::Public);

    let user = principal.user.clone();
    let paths: Vec<PathBuf> = files.iter().map(|file| file.path.clone()).collect();
    let outcomes = with_archive(&state, move |archive| {
        let mut outcomes: Vec<AddOutcome> = Vec::with_capacity(paths.len());
        for path in &paths {
            // One upload is one item: containers are kept whole, not
            // unpacked. Its path is recorded as the uploaded file name
            // alone, never the server's staging directory.
            let config = AddConfig {
                actor: user.clone(),
                unpack: false,
                relative_to: path.parent().map(std::path::Path::to_path_buf),
                ..AddConfig::default()
            };
            archive
                .add(std::slice::from_ref(path), &config, &mut |outcome: &AddOutcome| outcomes.push(outcome.clone()))?;
        }
        let mut results = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let size = match &outcome.item {
                Some(id) => Some(archive.item(id)?.size),
                None => None,
            };
            if public
                && outcome.status == AddStatus::Added
                && let Some(id) = &outcome.item
            {
                archive.publish_record(id, &user, "uploaded as public")?;
            }
            results.push((outcome, size));
        }
        Ok(results)
    })
    .await?;
    drop(staging);

    if outcomes.len() != files.len() {
        tracing::error!(files = files.len(), outcomes = outcomes.len(), "an upload's outcomes do not match its files");
        return Err(ApiError::internal("the upload's outcomes do not match its files; the server log says more"));
    }
    let items: Vec<Value> = files
        .iter()
        .zip(&outcomes)
        .map(|(file, (outcome, size))| {
            let mut entry = json!({
                "id": outcome.item,
                "status": outcome.status,
                "name": file.name,
                "sha256": outcome.sha256,
                "size": size,
            });
            if let Some(error) = &outcome.error {
                entry["error"] = json!(error);
            }
            entry
        })
        .collect();
    let mut answer = json!({"items": items});
    if let [(single, _)] = outcomes.as_slice() {
        answer["id"] = json!(single.item);
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Adds staged sealed uploads, all or nothing, grants the uploader access
/// to each, and answers 201 with their ids (no digest, no size: those are
/// sealed).
async fn upload_sealed(
    state: &AppState,
    caller: &Caller,
    principal: evident_archive::Principal,
    uploads: Vec<SealedUpload>,
    staging: Staging,
) -> Result<Response, ApiError> {
    let names: Vec<String> = uploads.iter().map(|upload| upload.name.clone()).collect();
    let client = caller.client.clone();
    let ids = with_archive(state, move |archive| {
        let ids = archive.add_sealed_uploads(&uploads, &principal.user)?;
        for id in &ids {
            archive.grant_sealed_from(id, &principal.user, &principal.user, principal.role.name(), &client)?;
        }
        Ok(ids)
    })
    .await?;
    drop(staging);
    let items: Vec<Value> = names
        .iter()
        .zip(&ids)
        .map(|(name, id)| {
            json!({"id": id, "status": AddStatus::Added, "name": name, "sha256": null, "size": null,
                   "sensitivity": Sensitivity::Sealed.name()})
        })
        .collect();
    let mut answer = json!({"items": items});
    if let [single] = ids.as_slice() {
        answer["id"] = json!(single);
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Whether the caller may open `id` as a sealed item: it is a sealed item
/// and a grant names the caller (or the caller has the `intake` role and
/// the item is an intake item). `false` for anything else, the public
/// included.
pub(crate) fn may_open_sealed_item(archive: &Archive, caller: &Caller, id: &str) -> Result<bool, ApiError> {
    let Some(principal) = caller.principal.as_ref() else { return Ok(false) };
    if !id.starts_with("itm_") {
        return Ok(false);
    }
    match archive.is_sealed(id) {
        Ok(true) => Ok(archive.may_open_sealed(&principal.user, principal.role, id)?),
        Ok(false) | Err(ArchiveError::NotFound(_)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// [`visible_item`] and the audit note of `action`, except that a sealed
/// item the caller may open is [`Access::Sealed`] and noted as
/// `sealed.ACTION`. Anything else the caller may not see is a 404.
pub(crate) fn visible_item_noted(
    archive: &mut Archive,
    caller: &Caller,
    id: &str,
    action: &str,
) -> Result<Access, ApiError> {
    if may_open_sealed_item(archive, caller, id)? {
        crate::audit::note(archive, caller, &format!("sealed.{action}"), id, Access::Sealed)?;
        return Ok(Access::Sealed);
    }
    let level = visible_item(archive, id, caller.access())?;
    crate::audit::note(archive, caller, action, id, level)?;
    Ok(level)
}

/// A sealed item's description for `GET /api/v1/items/{id}`, opened with
/// the server's KEK (only for a caller [`may_open_sealed_item`]).
pub(crate) fn sealed_item_json(archive: &Archive, id: &str) -> Result<Value, ApiError> {
    let item = archive.item(id)?;
    let view = archive.sealed_item(id)?;
    Ok(json!({
        "id": id,
        "kind": "item",
        "sensitivity": Sensitivity::Sealed.name(),
        "file": {
            "sha256": view.sha256, "size": view.size, "media_type": view.media_type,
            "original_name": view.original_name, "added_at": item.added_at, "added_by": item.added_by,
            "log_index": item.log_index,
        },
        "fields": {},
        "text": null,
    }))
}

/// The largest sealed file served decrypted over HTTP (it is decrypted and
/// checked whole in memory before a byte is sent); larger ones are read
/// with `evident unseal`.
pub const MAX_SEALED_DOWNLOAD_BYTES: u64 = 512 << 20;

/// A sealed item decrypted whole into memory, every chunk authenticated and
/// its size checked before anything is sent: its bytes, name and media type.
/// (The plaintext lives only in memory, never on disk.)
pub(crate) fn decrypt_sealed(archive: &Archive, id: &str) -> Result<(Vec<u8>, String, String), ApiError> {
    let view = archive.sealed_item(id)?;
    if view.size > MAX_SEALED_DOWNLOAD_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("this sealed file is larger than {MAX_SEALED_DOWNLOAD_BYTES} bytes; read it with `evident unseal`"),
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(view.size).unwrap_or(0));
    archive.read_sealed(id, &mut bytes)?;
    Ok((bytes, view.original_name.clone(), view.media_type.clone()))
}

/// The response for a decrypted sealed file: the whole file (no ranges),
/// with the same headers as every download.
pub(crate) fn sealed_file_response(bytes: Vec<u8>, name: &str, media_type: &str) -> Result<Response, ApiError> {
    let content_type = HeaderValue::from_str(media_type)
        .ok()
        .filter(|_| !media_type.is_empty() && media_type.contains('/'))
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let length = bytes.len();
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_DISPOSITION, header_value(&attachment_disposition(name))?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// `GET` of a sealed item's file for a caller who may open it: decrypted,
/// audited as `sealed.download` (the route is [`file`]'s).
pub(crate) async fn sealed_file(state: &AppState, caller: Caller, id: String) -> Result<Response, ApiError> {
    let (bytes, name, media_type) = with_archive(state, move |archive| {
        crate::audit::note(archive, &caller, "sealed.download", &id, Access::Sealed)?;
        decrypt_sealed(archive, &id)
    })
    .await?;
    sealed_file_response(bytes, &name, &media_type)
}

/// A `Range` request as this server answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// no range, or one this server ignores (several ranges, another unit,
    /// bad syntax): the whole file, 200
    Whole,
    /// bytes `start..=end`, 206
    Part { start: u64, end: u64 },
    /// a range outside the file: 416
    Unsatisfiable,
}

/// Reads a single `Range: bytes=` request (`a-b`, `a-` or `-n`) against a
/// file of `length` bytes. Anything else is ignored, as RFC 9110 allows.
pub fn byte_range(header: Option<&str>, length: u64) -> ByteRange {
    let Some(spec) = header.and_then(|value| value.trim().strip_prefix("bytes=")) else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) { None } else { text.parse().ok() }
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `-n`: the last n bytes
        (true, _, Some(suffix)) => {
            if suffix == 0 || length == 0 {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Part { start: length.saturating_sub(suffix), end: length - 1 }
            }
        }
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if end.is_some_and(|end| end < start) {
                return ByteRange::Whole;
            }
            if start >= length {
                return ByteRange::Unsatisfiable;
            }
            ByteRange::Part { start, end: end.map_or(length - 1, |end| end.min(length - 1)) }
        }
        _ => ByteRange::Whole,
    }
}

/// `Content-Disposition: attachment` with the name as RFC 6266 and RFC
/// 8187 write it: an ASCII fallback and the UTF-8 name percent-encoded.
pub fn attachment_disposition(name: &str) -> String {
    let name = sanitise_file_name(name);
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '\\' && c != '%' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// The bytes `start..start+length` of a file, read in chunks as the
/// client takes them.
fn file_body(file: tokio::fs::File, length: u64) -> Body {
    const CHUNK: u64 = 64 * 1024;
    let stream = futures_util::stream::try_unfold((file, length), |(mut file, remaining)| async move {
        if remaining == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        let mut buffer = vec![0u8; remaining.min(CHUNK) as usize];
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file is shorter than its size"));
        }
        buffer.truncate(read);
        Ok(Some((Bytes::from(buffer), (file, remaining - read as u64))))
    });
    Body::from_stream(stream)
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(|e| ApiError::internal(format!("header value {text:?}: {e}")))
}

/// `GET /api/v1/items/{id}/file`: the item's bytes, as an attachment that
/// cannot run in the site's origin (`Content-Security-Policy: sandbox`,
/// `nosniff`). One byte range (`Range: bytes=…`) answers 206, so audio and
/// video previews can seek. Every request is audited as `download`.
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let access = caller.access();
    let (check_caller, check_id) = (caller.clone(), id.clone());
    let sealed = with_archive(&state, move |archive| may_open_sealed_item(archive, &check_caller, &check_id)).await?;
    if sealed {
        return sealed_file(&state, caller, id).await;
    }
    let (path, media_type, name, level) = with_archive(&state, move |archive| {
        let level = visible_item(archive, &id, access)?;
        crate::audit::note(archive, &caller, "download", &id, level)?;
        let item = archive.item(&id)?;
        let path = archive.item_content_path(&id)?;
        Ok((path, item.media_type, item.original_name, level))
    })
    .await?;
    let open_error = |error: std::io::Error| {
        tracing::error!(path = %path.display(), %error, "cannot read an item's content file");
        ApiError::internal("the item's file cannot be read; run `evident verify`")
    };
    let mut file = tokio::fs::File::open(&path).await.map_err(open_error)?;
    let length = file.metadata().await.map_err(open_error)?.len();
    let range = byte_range(headers.get(header::RANGE).and_then(|value| value.to_str().ok()), length);

    let content_type = HeaderValue::from_str(&media_type)
        .ok()
        .filter(|_| !media_type.is_empty() && media_type.contains('/'))
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = match range {
        ByteRange::Unsatisfiable => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the file is {length} bytes long"),
            )
            .into_response();
            response.headers_mut().insert(header::CONTENT_RANGE, header_value(&format!("bytes */{length}"))?);
            return Ok(response);
        }
        ByteRange::Whole => {
            let mut response = Response::new(file_body(file, length));
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            response
        }
        ByteRange::Part { start, end } => {
            file.seek(SeekFrom::Start(start)).await.map_err(open_error)?;
            let part = end - start + 1;
            let mut response = Response::new(file_body(file, part));
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(part));
            headers.insert(header::CONTENT_RANGE, header_value(&format!("bytes {start}-{end}/{length}"))?);
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_DISPOSITION, header_value(&attachment_disposition(&name))?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let cache = if level == Access::Public { "public, max-age=300" } else { "private, no-store" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// `GET /api/v1/items/{id}/text`: the text extraction finds in the item,
/// as `text/plain`, for previews. At most [`MAX_PREVIEW_TEXT_BYTES`];
/// `X-Evident-Truncated: true` when cut (here or by the extractor's own
/// limit). `X-Evident-Text-Status` says `extracted`, `no_text` (images,
/// audio, video: an empty body), `failed` or `too_large`. Audited as `read`.
pub async fn text(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let access = caller.access();
    let content = with_archive(&state, move |archive| {
        let level = visible_item(archive, &id, access)?;
        crate::audit::note(archive, &caller, "read", &id, level)?;
        Ok(archive.item_text_content(&id)?)
    })
    .await?;
    let mut text = content.text;
    let mut truncated = content.truncated;
    if text.len() > MAX_PREVIEW_TEXT_BYTES {
        let mut end = MAX_PREVIEW_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        truncated = true;
    }
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert("x-evident-text-status", header_value(&content.status)?);
    if truncated {
        headers.insert("x-evident-truncated", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_a_safe_base_name() {
        for (raw, expected) in [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("..\\x", "x"),
            ("/absolute/path/证词.txt", "证词.txt"),
            ("C:\\Users\\w\\notes.txt", "notes.txt"),
            ("..", DEFAULT_NAME),
            ("...", DEFAULT_NAME),
            ("", DEFAULT_NAME),
            ("dir/", DEFAULT_NAME),
            (".hidden", "hidden"),
            ("a\u{0}b\nc\u{7f}.txt", "abc.txt"),
            ("  spaced name .txt  ", "spaced name .txt"),
            ("quote\"and:colon.txt", "quote_and_colon.txt"),
        ] {
            assert_eq!(sanitise_file_name(raw), expected, "{raw:?}");
        }
        let long = format!("{}.mp4", "长".repeat(200));
        let cut = sanitise_file_name(&long);
        assert!(cut.len() <= MAX_FILE_NAME_BYTES && cut.ends_with("长.mp4"), "{cut}");
        let no_extension = "x".repeat(500);
        assert_eq!(sanitise_file_name(&no_extension).len(), MAX_FILE_NAME_BYTES);
    }

    #[test]
    fn single_byte_ranges_are_read_and_the_rest_ignored() {
        let part = |start, end| ByteRange::Part { start, end };
        for (header, expected) in [
            (None, ByteRange::Whole),
            (Some("bytes=0-99"), part(0, 99)),
            (Some("bytes=10-"), part(10, 999)),
            (Some("bytes=-100"), part(900, 999)),
            (Some("bytes=-5000"), part(0, 999)),
            (Some("bytes=990-2000"), part(990, 999)),
            (Some("bytes=1000-"), ByteRange::Unsatisfiable),
            (Some("bytes=-0"), ByteRange::Unsatisfiable),
            (Some("bytes=0-1,5-6"), ByteRange::Whole),
            (Some("bytes=9-3"), ByteRange::Whole),
            (Some("bytes=a-b"), ByteRange::Whole),
            (Some("bytes=+1-2"), ByteRange::Whole),
            (Some("items=0-1"), ByteRange::Whole),
            (Some("bytes=99999999999999999999999-"), ByteRange::Whole),
        ] {
            assert_eq!(byte_range(header, 1000), expected, "{header:?}");
        }
        assert_eq!(byte_range(Some("bytes=0-"), 0), ByteRange::Unsatisfiable);
    }

    #[test]
    fn the_attachment_name_is_encoded_for_any_script() {
        assert_eq!(
            attachment_disposition("证词 1.txt"),
            "attachment; filename=\"__ 1.txt\"; filename*=UTF-8''%E8%AF%81%E8%AF%8D%201.txt"
        );
        assert_eq!(
            attachment_disposition("../a\"b;c.txt"),
            "attachment; filename=\"a_b;c.txt\"; filename*=UTF-8''a_b%3Bc.txt"
        );
    }
}
