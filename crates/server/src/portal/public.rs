//! What the public may see, in one place: a record or item is public when
//! it exists, is not retracted and its `sensitivity` is `public` (for an
//! item, its descriptive record's). Every portal page gathers what it shows
//! through these functions, and anything else answers exactly as a missing
//! id does, so the portal never shows, counts or links a thing that was not
//! published, and ids cannot be probed.
//!
//! *Invariant*: publishing one record publishes nothing else. A finding's
//! page lists only the claims that are public themselves, and under them
//! only the supporting items and records that are public.

use evident_archive::{Access, Archive, ArchiveError, RecordKind, RecordView, display_text};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::ui::fields::{date_start, date_text, ids_in, is_id, name_of_fields, references_in, value_text};

/// The one answer for anything not published, as for a missing id.
pub fn not_found() -> ApiError {
    ApiError::not_found("published item or record")
}

/// A published record, or `None` (missing, retracted, or not public).
pub fn record(archive: &Archive, id: &str) -> Result<Option<RecordView>, ApiError> {
    match archive.record(id) {
        Ok(view) if !view.retracted && view.access() == Access::Public => Ok(Some(view)),
        Ok(_) | Err(ArchiveError::NotFound(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// A published record of `kind`, or not found.
pub fn record_of_kind(archive: &Archive, id: &str, kind: RecordKind) -> Result<RecordView, ApiError> {
    match record(archive, id)? {
        Some(view) if view.kind == kind.name() => Ok(view),
        _ => Err(not_found()),
    }
}

/// A published item: its file's metadata and its (public) descriptive record.
#[derive(Clone, Debug)]
pub struct PublicItem {
    pub id: String,
    pub original_name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub added_at: String,
    pub log_index: u64,
    pub view: RecordView,
}

impl PublicItem {
    /// Its title, else its file name.
    pub fn title(&self) -> String {
        name_of_fields(&self.view.fields).unwrap_or_else(|| self.original_name.clone())
    }
}

/// A published item, or `None` (missing, not an item, or not public).
pub fn item(archive: &Archive, id: &str) -> Result<Option<PublicItem>, ApiError> {
    if !id.starts_with("itm_") {
        return Ok(None);
    }
    let Some(view) = record(archive, id)? else { return Ok(None) };
    match archive.item(id) {
        Ok(item) => Ok(Some(PublicItem {
            id: item.id,
            original_name: item.original_name,
            media_type: item.media_type,
            size: item.size,
            sha256: item.sha256,
            added_at: item.added_at,
            log_index: item.log_index,
            view,
        })),
        Err(ArchiveError::NotFound(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// Every published record of `kind`, in id order.
pub fn records(archive: &Archive, kind: RecordKind) -> Result<Vec<RecordView>, ApiError> {
    Ok(archive.records(kind)?.into_iter().filter(|view| !view.retracted && view.access() == Access::Public).collect())
}

/// Every published item, newest first.
pub fn items(archive: &Archive) -> Result<Vec<PublicItem>, ApiError> {
    let mut found = Vec::new();
    for view in records(archive, RecordKind::Item)? {
        found.extend(item(archive, &view.id)?);
    }
    found.sort_by(|a, b| b.added_at.cmp(&a.added_at).then_with(|| b.id.cmp(&a.id)));
    Ok(found)
}

/// A link to a published item or record on the portal.
#[derive(Clone, Debug)]
pub struct PublicLink {
    pub id: String,
    pub href: String,
    pub label: String,
    /// `item`, `event`, ...
    pub kind: String,
}

/// The portal address of a published thing of `kind`.
pub fn href(kind: &str, id: &str) -> String {
    match kind {
        "item" => format!("/portal/items/{id}"),
        "finding" => format!("/portal/findings/{id}"),
        "series" => format!("/statistics/{id}"),
        "event" => format!("/portal/timeline#{id}"),
        _ => format!("/portal/records/{id}"),
    }
}

/// A link to `id` if it is published, else `None` (left out, as if it did
/// not exist).
pub fn link(archive: &Archive, id: &str) -> Result<Option<PublicLink>, ApiError> {
    if !is_id(id) {
        return Ok(None);
    }
    if id.starts_with("itm_") {
        return Ok(item(archive, id)?.map(|item| PublicLink {
            id: id.to_owned(),
            href: href("item", id),
            label: item.title(),
            kind: "item".to_owned(),
        }));
    }
    Ok(record(archive, id)?.map(|view| PublicLink {
        id: id.to_owned(),
        href: href(&view.kind, id),
        label: name_of_fields(&view.fields).unwrap_or_else(|| view.id.clone()),
        kind: view.kind,
    }))
}

/// Links to those of `ids` that are published, each once, in order.
pub fn links(archive: &Archive, ids: &[String]) -> Result<Vec<PublicLink>, ApiError> {
    let mut found: Vec<PublicLink> = Vec::new();
    for id in ids {
        if found.iter().any(|link| &link.id == id) {
            continue;
        }
        if let Some(link) = link(archive, id)? {
            found.push(link);
        }
    }
    Ok(found)
}

/// One field of a published record as the portal shows it.
#[derive(Clone, Debug)]
pub struct FieldLine {
    pub name: String,
    pub value: String,
}

/// The fields of a published record that hold no references (those are
/// shown as links, and only when the thing they name is published too):
/// their names and values as text. `sensitivity` is left out.
pub fn field_lines(fields: &Map<String, Value>) -> Vec<FieldLine> {
    fields
        .iter()
        .filter(|(name, _)| name.as_str() != "sensitivity")
        .filter(|(name, value)| {
            let single: Map<String, Value> = [((*name).clone(), (*value).clone())].into_iter().collect();
            references_in(&single).is_empty()
        })
        .map(|(name, value)| FieldLine { name: name.replace('_', " "), value: value_text(value) })
        .filter(|line| !line.value.trim().is_empty())
        .collect()
}

/// Every id a published record refers to, in field order.
pub fn referenced_ids(fields: &Map<String, Value>) -> Vec<String> {
    references_in(fields).into_iter().map(|(_, id)| id).collect()
}

/// A text field in the display form findings use (English first).
pub fn text(fields: &Map<String, Value>, name: &str) -> String {
    display_text(fields.get(name))
}

/// The date of an event as recorded, and its first day for sorting.
pub fn event_date(fields: &Map<String, Value>) -> (String, Option<String>) {
    (date_text(fields.get("date")), date_start(fields.get("date")))
}

/// The published records among `ids_in(fields, name)`.
pub fn linked(archive: &Archive, fields: &Map<String, Value>, name: &str) -> Result<Vec<PublicLink>, ApiError> {
    links(archive, &ids_in(fields, name))
}
