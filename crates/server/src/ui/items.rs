//! `/items/{id}`: an item's preview (its text, or the image, audio or
//! video itself, fetched from the API by the browser), its file's
//! metadata, its description, the history of that description, the records
//! that cite it, and its receipt. For the roles that see restricted
//! material; anything else answers as if it did not exist.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::fields::{Link, link, size_text};
use super::records::{FieldRow, VersionRow, field_rows, version_rows};
use super::{Layout, PageError, page};
use crate::AppState;
use crate::api::{visible_item, with_archive};
use crate::error::ApiError;

/// How the file is previewed.
#[derive(Debug, PartialEq, Eq)]
enum Preview {
    Image,
    Audio,
    Video,
    /// the extracted text, loaded by `static/item.js`
    Text,
    None,
}

/// A record that cites the item, and in which field.
struct Citation {
    link: Link,
    field: String,
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    layout: Layout,
    id: String,
    title: String,
    access: evident_archive::Access,
    preview: Preview,
    original_name: String,
    media_type: String,
    size: String,
    size_bytes: u64,
    sha256: String,
    added_at: String,
    added_by: String,
    log_index: u64,
    text_status: String,
    text_lang: String,
    fields: Vec<FieldRow>,
    history: Vec<VersionRow>,
    cited_by: Vec<Citation>,
    /// the original it was redacted from, and the redacted copies made from it
    derivations: super::redact::Derivations,
}

/// `GET /items/{id}`.
pub async fn item_page(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    layout.require_account()?;
    let (check_caller, check_id) = (layout.caller.clone(), id.clone());
    let sealed =
        with_archive(&state, move |archive| crate::api_items::may_open_sealed_item(archive, &check_caller, &check_id))
            .await?;
    if sealed {
        return sealed_item_page(state, layout, id).await;
    }
    layout.require_restricted()?;
    let access = layout.access();
    let caller = layout.caller.clone();
    let (item, record, text, history, cited_by, level) = with_archive(&state, move |archive| {
        let level = visible_item(archive, &id, access)?;
        crate::audit::note(archive, &caller, "read", &id, level)?;
        let item = archive.item(&id).map_err(|_| ApiError::not_found("item"))?;
        let record = archive.record(&id).ok();
        let text = archive.item_text(&id)?;
        let history = archive.record_history(&id)?;
        let cited_by = archive
            .references_to(&id)?
            .into_iter()
            .filter_map(|(from, field)| link(archive, &from, access).map(|link| Citation { link, field }))
            .collect::<Vec<_>>();
        let fields = record.as_ref().map(|record| field_rows(archive, &record.fields, access)).unwrap_or_default();
        let derivations = super::redact::derivations(archive, &id, access)?;
        Ok((item, (record, fields, derivations), text, version_rows!(history), cited_by, level))
    })
    .await?;
    let (record, fields, derivations) = record;
    let title = record
        .as_ref()
        .and_then(|record| super::fields::name_of_fields(&record.fields))
        .unwrap_or_else(|| item.original_name.clone());
    let media = item.media_type.to_ascii_lowercase();
    let text_status = text.as_ref().map(|text| text.status.clone()).unwrap_or_default();
    let preview = if media.starts_with("image/") {
        Preview::Image
    } else if media.starts_with("audio/") {
        Preview::Audio
    } else if media.starts_with("video/") {
        Preview::Video
    } else if text_status == "extracted" {
        Preview::Text
    } else {
        Preview::None
    };
    page(&ItemPage {
        id: item.id,
        title,
        access: level,
        preview,
        original_name: item.original_name,
        media_type: item.media_type,
        size: size_text(item.size),
        size_bytes: item.size,
        sha256: item.sha256,
        added_at: item.added_at,
        added_by: item.added_by,
        log_index: item.log_index,
        text_status,
        text_lang: text.and_then(|text| text.lang).unwrap_or_default(),
        fields,
        history,
        cited_by,
        derivations,
        layout,
    })
}

#[derive(Template)]
#[template(path = "item_sealed.html")]
struct SealedItemPage {
    layout: Layout,
    id: String,
    original_name: String,
    media_type: String,
    size: String,
    size_bytes: u64,
    sha256: String,
    added_at: String,
    added_by: String,
    log_index: u64,
    grants: Vec<String>,
}

/// A sealed item's page for a caller who may open it (a grant names them,
/// or the `intake` role for an intake item): its metadata opened with the
/// server's KEK, audited as `sealed.read`. Its file downloads decrypted.
async fn sealed_item_page(state: AppState, layout: Layout, id: String) -> Result<Response, PageError> {
    let caller = layout.caller.clone();
    let (item, view, grants) = with_archive(&state, move |archive| {
        crate::audit::note(archive, &caller, "sealed.read", &id, evident_archive::Access::Sealed)?;
        let item = archive.item(&id)?;
        let view = archive.sealed_item(&id)?;
        let grants = archive.sealed_grants(&id)?.into_iter().map(|grant| grant.user_name).collect::<Vec<_>>();
        Ok((item, view, grants))
    })
    .await?;
    page(&SealedItemPage {
        id: item.id,
        original_name: view.original_name.clone(),
        media_type: view.media_type.clone(),
        size: size_text(view.size),
        size_bytes: view.size,
        sha256: view.sha256.clone(),
        added_at: item.added_at,
        added_by: item.added_by,
        log_index: item.log_index,
        grants,
        layout,
    })
}
