//! Records over the API: create, edit, retract, their history, the
//! findings table and exports.
//!
//! Writing needs a role that may write records (admin, investigator):
//! the public gets 401, reviewers and intake 403. A record the caller may
//! not see cannot be edited, retracted or read: it answers 404 as if it
//! did not exist. Nothing above the caller's own level can be made over
//! the API (a sealed record would vanish from its maker's sight).
//!
//! Sealed fields (a person's names and the like, `docs/sealing.md`) read as
//! `{"sealed": true}` for every caller without a grant on the record, and
//! opened for one with a grant ([`record_for`]); a record sealed as a whole
//! is a 404 without one.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use evident_archive::{Access, Archive, ArchiveError, FieldChange, Format, RecordKind, RecordView};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::api::{ApiJson, ApiPath, ApiQuery, require_role, visible, with_archive};
use crate::auth::Caller;
use crate::error::ApiError;

/// `POST /api/v1/records`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    kind: String,
    fields: Map<String, Value>,
    reason: String,
}

/// `PATCH /api/v1/records/{id}`: `null` removes a field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordEdit {
    set: Map<String, Value>,
    reason: String,
}

/// `POST /api/v1/records/{id}/retract`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retraction {
    reason: String,
}

/// The level a record's `sensitivity` field gives it (absent: restricted);
/// refused if the caller could not see the result.
fn check_level(fields: &Map<String, Value>, access: Access) -> Result<(), ApiError> {
    let level = match fields.get("sensitivity") {
        None | Some(Value::Null) => Access::Restricted,
        Some(Value::String(text)) => match Access::parse(text) {
            Ok(level) => level,
            // The record's field table reports the bad value.
            Err(_) => return Ok(()),
        },
        Some(_) => return Ok(()),
    };
    if level > access {
        return Err(ApiError::bad_request(format!(
            "sensitivity `{level}` is above what you may see; it is not yet supported over the API"
        )));
    }
    Ok(())
}

/// The record as it stands, with the warnings of the change that made it.
fn view_after(archive: &Archive, id: &str, warnings: Vec<String>) -> Result<Value, ApiError> {
    let view = archive.record(id)?;
    let mut value = serde_json::to_value(&view).map_err(|e| ApiError::internal(e.to_string()))?;
    value["warnings"] = json!(warnings);
    Ok(value)
}

/// Whether the caller holds a grant on `id` (`evident grant`), which lets
/// them open its sealed fields and see it if it is sealed as a whole.
pub(crate) fn granted(archive: &Archive, caller: &Caller, id: &str) -> Result<bool, ApiError> {
    match &caller.principal {
        Some(principal) => Ok(archive.may_open_sealed(&principal.user, principal.role, id)?),
        None => Ok(false),
    }
}

/// A record as `caller` may see it, noted in the audit trail as a `read`:
/// not found if they may not see it (a record with `sensitivity: sealed`
/// for everyone without a grant on it); sealed fields as `{"sealed": true}`
/// unless they hold a grant, then opened (and noted as a `reveal`).
pub(crate) fn record_for(archive: &mut Archive, caller: &Caller, id: &str) -> Result<(RecordView, Access), ApiError> {
    let granted = granted(archive, caller, id)?;
    let level = match archive.access_of(id) {
        Ok(level) if level <= caller.access() || granted => level,
        Ok(_) | Err(ArchiveError::NotFound(_)) => return Err(ApiError::not_found("record")),
        Err(other) => return Err(other.into()),
    };
    crate::audit::note(archive, caller, "read", id, level)?;
    let view = match (&caller.principal, granted) {
        (Some(principal), true) => archive.record_revealed(id, &principal.user, principal.role)?,
        _ => archive.record(id).map_err(|_| ApiError::not_found("record"))?,
    };
    Ok((view, level))
}

/// `GET /api/v1/records/{id}`: the record as it stands. Sealed fields are
/// `{"sealed": true}` unless the caller holds a grant on the record; a
/// record sealed as a whole is a 404 without one. Audited as `read`.
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    with_archive(&state, move |archive| {
        let (view, _) = record_for(archive, &caller, &id)?;
        Ok(Json(serde_json::to_value(&view).map_err(|e| ApiError::internal(e.to_string()))?))
    })
    .await
}

/// `POST /api/v1/records` `{"kind", "fields": {...}, "reason"}`: 201 with
/// the new record.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(request): ApiJson<NewRecord>,
) -> Result<Response, ApiError> {
    let principal = require_role(&caller, |role| role.may_write_records(), "write records")?.clone();
    caller.check_csrf(Caller::csrf_header(&headers))?;
    let kind = RecordKind::parse(&request.kind).map_err(|e| ApiError::bad_request(e.to_string()))?;
    check_level(&request.fields, caller.access())?;
    let view = with_archive(&state, move |archive| {
        let change = archive.create_record(kind, request.fields, &principal.user, &request.reason)?;
        view_after(archive, &change.id, change.warnings)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `PATCH /api/v1/records/{id}` `{"set": {"field": value or null}, "reason"}`:
/// the record after the change. An item id describes the item (its first
/// edit creates the item's record).
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<RecordEdit>,
) -> Result<Json<Value>, ApiError> {
    let principal = require_role(&caller, |role| role.may_write_records(), "write records")?.clone();
    caller.check_csrf(Caller::csrf_header(&headers))?;
    let access = caller.access();
    check_level(&request.set, access)?;
    with_archive(&state, move |archive| {
        visible(archive, &id, access, "record")?;
        let changes: Vec<FieldChange> = request
            .set
            .into_iter()
            .map(|(field, value)| (field, if value.is_null() { None } else { Some(value) }))
            .collect();
        let change = archive.edit_record(&id, &changes, &principal.user, &request.reason)?;
        Ok(Json(view_after(archive, &change.id, change.warnings)?))
    })
    .await
}

/// `POST /api/v1/records/{id}/retract` `{"reason"}`: the record, retracted.
pub async fn retract(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<Retraction>,
) -> Result<Json<Value>, ApiError> {
    let principal = require_role(&caller, |role| role.may_write_records(), "write records")?.clone();
    caller.check_csrf(Caller::csrf_header(&headers))?;
    let access = caller.access();
    with_archive(&state, move |archive| {
        visible(archive, &id, access, "record")?;
        let change = archive.retract_record(&id, &principal.user, &request.reason)?;
        Ok(Json(view_after(archive, &change.id, change.warnings)?))
    })
    .await
}

/// `GET /api/v1/records/{id}/history`: every version, oldest first, with
/// who, when, why and the log entry that commits to it. Audited as `read`.
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let access = caller.access();
    with_archive(&state, move |archive| {
        let level = visible(archive, &id, access, "record")?;
        crate::audit::note(archive, &caller, "read", &id, level)?;
        let mut versions = Vec::new();
        for row in archive.record_history(&id)? {
            let fields: Value = serde_json::from_str(&row.fields).map_err(|e| {
                tracing::error!(id = %row.id, version = row.version, error = %e, "stored record version is not JSON");
                ApiError::internal("a stored version cannot be read; run `evident verify`")
            })?;
            versions.push(json!({
                "version": row.version, "change": row.change, "actor": row.actor, "time": row.time,
                "reason": row.reason, "retracted": row.retracted, "fields": fields,
                "digest": row.digest, "log_index": row.log_index,
            }));
        }
        Ok(Json(json!({"id": id, "versions": versions})))
    })
    .await
}

/// `GET /api/v1/findings`: the findings table, only findings the caller
/// may see; within them, only the claims (and the items and records they
/// cite) the caller may see.
pub async fn findings(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let access = caller.access();
    with_archive(&state, move |archive| {
        let may_see = |id: &str| archive.access_of(id).is_ok_and(|level| level <= access);
        let mut shown = Vec::new();
        for mut finding in archive.findings()? {
            if !may_see(&finding.id) {
                continue;
            }
            finding.claims.retain(|claim| may_see(&claim.id));
            for claim in &mut finding.claims {
                claim.supporting.retain(|id| may_see(id));
                claim.contradicting.retain(|id| may_see(id));
            }
            shown.push(finding);
        }
        Ok(Json(json!({"findings": shown})))
    })
    .await
}

/// `GET /api/v1/export` parameters.
#[derive(Deserialize)]
pub struct ExportParams {
    /// a record kind, or `all` (the default)
    kind: Option<String>,
    /// `jsonl` (the default), `csv` or `geojson`
    format: Option<String>,
}

/// `GET /api/v1/export?kind=KIND&format=jsonl|csv|geojson`: the records
/// the caller may see, as `evident export` writes them, as an attachment.
/// For roles that read restricted material; audited as `export` of the kind.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    require_role(&caller, |role| role.access() >= Access::Restricted, "export")?;
    let access = caller.access();
    let kind_name = params.kind.unwrap_or_else(|| "all".to_owned());
    let kind = match kind_name.as_str() {
        "all" => None,
        name => Some(RecordKind::parse(name).map_err(|e| ApiError::bad_request(e.to_string()))?),
    };
    let format_name = params.format.unwrap_or_else(|| "jsonl".to_owned());
    let format = Format::parse(&format_name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (content_type, extension) = match format {
        Format::Jsonl => ("application/jsonl; charset=utf-8", "jsonl"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::GeoJson => ("application/geo+json", "geojson"),
    };
    let target = kind.map_or("all", |kind| kind.name()).to_owned();
    let file_name = format!("evident-{target}.{extension}");
    let file = with_archive(&state, move |archive| {
        crate::audit::note(archive, &caller, "export", &target, Access::Restricted)?;
        // Written to a staging file, not held in memory; the file is
        // unlinked once open, so it goes away when the answer is sent.
        let dir = archive.staging_dir()?;
        let path = dir.join("export");
        let result = (|| -> Result<std::fs::File, ApiError> {
            let out = std::fs::File::create(&path)
                .map_err(|e| ApiError::internal(format!("cannot create the export file: {e}")))?;
            archive.export_visible(kind, format, access, Box::new(out))?;
            std::fs::File::open(&path).map_err(|e| ApiError::internal(format!("cannot reopen the export file: {e}")))
        })();
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot remove an export's staging directory");
        }
        result
    })
    .await?;
    let length = file.metadata().map_err(|e| ApiError::internal(e.to_string()))?.len();
    let stream = futures_util::stream::try_unfold(tokio::fs::File::from_std(file), |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0u8; 64 * 1024];
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buffer.truncate(read);
        Ok(Some((axum::body::Bytes::from(buffer), file)))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
            .map_err(|e| ApiError::internal(e.to_string()))?,
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
