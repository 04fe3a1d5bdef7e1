//! Record pages: `/records?kind=` (the list), `/records/{id}` (the record,
//! its history, what it refers to and what refers to it, and for a person
//! or facility the relation view: who, where, when, on what evidence), and
//! the forms `/records/new?kind=` and `/records/{id}/edit` (fields as a
//! JSON object and the reason the history needs; posted with the page's
//! CSRF token; an error shows the form again with the message and the
//! input as typed).
//!
//! Reading is for the roles that see restricted material; writing for the
//! roles that may write records. A record the caller may not see answers
//! as one that does not exist.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use evident_archive::{Access, Archive, ArchiveError, FieldChange, RecordKind, RecordView, SEALED_FIELD_TEXT};
use evident_core::{FieldType, field_specs};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::fields::{Link, date_start, date_text, display_name, ids_in, link, links, references_in, value_text};
use super::{Layout, PageError, page, page_with_status};
use crate::AppState;
use crate::api::{visible, visible_item, with_archive};
use crate::error::ApiError;

/// Records shown per page of the list.
const PAGE_SIZE: usize = 100;

/// The kinds the list and the new-record form offer (items are added by
/// upload and described from their own page).
const KINDS: [RecordKind; 8] = [
    RecordKind::Person,
    RecordKind::Facility,
    RecordKind::Event,
    RecordKind::Relation,
    RecordKind::Source,
    RecordKind::Claim,
    RecordKind::Finding,
    RecordKind::Series,
];

/// One field of a record, for display.
pub struct FieldRow {
    pub name: String,
    /// the value as text (empty when it is only links)
    pub text: String,
    /// the items and records it names that the caller may see
    pub links: Vec<Link>,
}

/// Every field of a record as rows: references become links (those the
/// caller may see), everything else text.
pub fn field_rows(archive: &Archive, fields: &Map<String, Value>, access: Access) -> Vec<FieldRow> {
    fields
        .iter()
        .map(|(name, value)| {
            let mut single = Map::new();
            single.insert(name.clone(), value.clone());
            let ids: Vec<String> = references_in(&single).into_iter().map(|(_, id)| id).collect();
            let only_ids = match value {
                Value::String(_) => !ids.is_empty(),
                Value::Array(list) => !ids.is_empty() && list.iter().all(Value::is_string),
                _ => false,
            };
            if evident_core::is_sealed_placeholder(value) {
                return FieldRow { name: name.clone(), text: SEALED_FIELD_TEXT.to_owned(), links: Vec::new() };
            }
            FieldRow {
                name: name.clone(),
                text: if only_ids { String::new() } else { value_text(value) },
                links: links(archive, &ids, access),
            }
        })
        .collect()
}

/// One version of a record, for the history table.
pub struct VersionRow {
    pub version: u32,
    /// `create`, `edit`, `retract`
    pub change: String,
    pub actor: String,
    pub time: String,
    pub reason: String,
    pub digest: String,
    pub log_index: u64,
}

/// A record's history (as `Archive::record_history` gives it), newest first.
macro_rules! version_rows {
    ($history:expr) => {
        $history
            .iter()
            .rev()
            .map(|row| crate::ui::records::VersionRow {
                version: row.version,
                change: row.change.clone(),
                actor: row.actor.clone(),
                time: row.time.clone(),
                reason: row.reason.clone(),
                digest: row.digest.clone(),
                log_index: row.log_index,
            })
            .collect::<Vec<_>>()
    };
}
pub(crate) use version_rows;

/// One record in the list.
struct ListRow {
    id: String,
    name: String,
    version: u32,
    updated_at: String,
    retracted: bool,
    access: Access,
}

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage {
    layout: Layout,
    kinds: Vec<&'static str>,
    kind: &'static str,
    rows: Vec<ListRow>,
    total: usize,
    previous: Option<usize>,
    next: Option<usize>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    kind: Option<String>,
    offset: Option<usize>,
}

/// `GET /records?kind=person&offset=0`.
pub async fn records_page(
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    layout.require_restricted()?;
    let kind = match query.kind.as_deref().filter(|kind| !kind.is_empty()) {
        Some(kind) => RecordKind::parse(kind).map_err(|e| ApiError::bad_request(e.to_string()))?,
        None => KINDS[0],
    };
    let access = layout.access();
    let offset = query.offset.unwrap_or(0);
    let (rows, total) = with_archive(&state, move |archive| {
        let visible: Vec<RecordView> =
            archive.records(kind)?.into_iter().filter(|view| view.access() <= access).collect();
        let total = visible.len();
        let rows = visible
            .into_iter()
            .skip(offset)
            .take(PAGE_SIZE)
            .map(|view| ListRow {
                name: display_name(&view),
                access: view.access(),
                id: view.id,
                version: view.version,
                updated_at: view.updated_at,
                retracted: view.retracted,
            })
            .collect();
        Ok((rows, total))
    })
    .await?;
    page(&RecordsPage {
        layout,
        kinds: KINDS.iter().map(|kind| kind.name()).collect(),
        kind: kind.name(),
        rows,
        total,
        previous: (offset > 0).then(|| offset.saturating_sub(PAGE_SIZE)),
        next: (offset + PAGE_SIZE < total).then_some(offset + PAGE_SIZE),
    })
}

/// A record that refers to this one, and in which field.
pub struct Citation {
    pub link: Link,
    pub field: String,
}

/// One line of the relation view.
pub struct RelationRow {
    /// the event or relation record itself
    pub record: Link,
    /// its type (`blood test`, `detained at`, ...) and role
    pub what: String,
    pub who: Vec<Link>,
    pub place: String,
    pub places: Vec<Link>,
    pub when: String,
    pub certainty: String,
    pub evidence: Vec<Link>,
    /// for ordering by date
    sort_key: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    layout: Layout,
    id: String,
    kind: String,
    name: String,
    version: u32,
    updated_at: String,
    retracted: bool,
    access: Access,
    saved: Option<u32>,
    fields: Vec<FieldRow>,
    history: Vec<VersionRow>,
    refers_to: Vec<Citation>,
    cited_by: Vec<Citation>,
    /// `Some` for a person or facility
    relations: Option<Vec<RelationRow>>,
}

#[derive(Deserialize)]
pub struct RecordQuery {
    saved: Option<u32>,
}

/// `GET /records/{id}`.
pub async fn record_page(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
    Query(query): Query<RecordQuery>,
) -> Result<Response, PageError> {
    layout.require_restricted()?;
    if id.starts_with("itm_") {
        return Ok(Redirect::to(&format!("/items/{}", super::percent_encode(&id))).into_response());
    }
    let access = layout.access();
    let caller = layout.caller.clone();
    let (view, fields, history, refers_to, cited_by, relations) = with_archive(&state, move |archive| {
        // sealed fields shown as [sealed], or opened for a caller with a grant
        let (view, _) = crate::api_records::record_for(archive, &caller, &id)?;
        let history = version_rows!(archive.record_history(&id)?);
        let fields = field_rows(archive, &view.fields, access);
        let refers_to = references_in(&view.fields)
            .into_iter()
            .filter_map(|(field, target)| link(archive, &target, access).map(|link| Citation { link, field }))
            .collect();
        let citing = archive.references_to(&id)?;
        let cited_by = citing
            .iter()
            .filter_map(|(from, field)| link(archive, from, access).map(|link| Citation { link, field: field.clone() }))
            .collect();
        let relations = matches!(view.kind.as_str(), "person" | "facility")
            .then(|| relation_view(archive, &id, &citing, access))
            .transpose()?;
        Ok((view, fields, history, refers_to, cited_by, relations))
    })
    .await?;
    page(&RecordPage {
        layout,
        name: display_name(&view),
        access: view.access(),
        id: view.id,
        kind: view.kind,
        version: view.version,
        updated_at: view.updated_at,
        retracted: view.retracted,
        saved: query.saved,
        fields,
        history,
        refers_to,
        cited_by,
        relations,
    })
}

/// The events and relations that cite `id`, as who, where, when, on what
/// evidence; oldest first, undated last. Only what `access` may see.
fn relation_view(
    archive: &Archive,
    id: &str,
    citing: &[(String, String)],
    access: Access,
) -> Result<Vec<RelationRow>, ApiError> {
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (from, _) in citing {
        if !seen.insert(from.clone()) {
            continue;
        }
        let Some(record) = link(archive, from, access) else { continue };
        if record.retracted || !matches!(record.kind.as_str(), "event" | "relation") {
            continue;
        }
        let view = archive.record(from)?;
        let fields = &view.fields;
        let text = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or("").replace('_', " ");
        let others = |ids: Vec<String>| -> Vec<String> { ids.into_iter().filter(|other| other != id).collect() };
        let (what, who_ids, place_ids, place) = if view.kind == "event" {
            let mut what = text("event_type");
            let roles: Vec<String> = match fields.get("participants") {
                Some(Value::Array(list)) => list
                    .iter()
                    .filter(|p| p.get("record").and_then(Value::as_str) == Some(id))
                    .filter_map(|p| p.get("role").and_then(Value::as_str).map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            if !roles.is_empty() {
                what = format!("{what} ({})", roles.join(", "));
            }
            (what, others(ids_in(fields, "participants")), others(ids_in(fields, "facility")), text("place"))
        } else {
            let role = text("role");
            let what =
                if role.is_empty() { text("relation_type") } else { format!("{} ({role})", text("relation_type")) };
            let parties = others([ids_in(fields, "from"), ids_in(fields, "to")].concat());
            let (places, people): (Vec<String>, Vec<String>) =
                parties.into_iter().partition(|party| party.starts_with("fac_"));
            (what, people, places, String::new())
        };
        let date = fields.get("date");
        rows.push(RelationRow {
            what,
            who: links(archive, &who_ids, access),
            place,
            places: links(archive, &place_ids, access),
            when: date_text(date),
            certainty: text("certainty"),
            evidence: links(archive, &ids_in(fields, "items"), access),
            sort_key: date_start(date).unwrap_or_else(|| "~".to_owned()),
            record,
        });
    }
    rows.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    Ok(rows)
}

/// The record form (new or edit), as shown and as shown again after an error.
#[derive(Template)]
#[template(path = "record_form.html")]
struct RecordForm {
    layout: Layout,
    /// `None` for a new record
    id: Option<String>,
    name: String,
    kind: &'static str,
    kinds: Vec<&'static str>,
    /// the version the form was loaded at (edits only)
    version: u32,
    fields_json: String,
    reason: String,
    hints: Vec<FieldHint>,
    problem: String,
}

/// A field the kind knows, for the form's help list.
struct FieldHint {
    name: &'static str,
    required: bool,
    what: String,
}

fn hints(kind: RecordKind) -> Vec<FieldHint> {
    field_specs(kind)
        .iter()
        .map(|spec| FieldHint { name: spec.name, required: spec.required, what: type_hint(&spec.ty) })
        .collect()
}

fn type_hint(ty: &FieldType) -> String {
    match ty {
        FieldType::Text => "text".to_owned(),
        FieldType::Texts => "text, or {\"en\": …, \"zh\": …}".to_owned(),
        FieldType::TextList => "[text, …]".to_owned(),
        FieldType::Integer => "integer".to_owned(),
        FieldType::Number => "number".to_owned(),
        FieldType::Date => "date (\"2017-06\", \"June-July 2017\")".to_owned(),
        FieldType::Choice(choices) => choices.join(" | "),
        FieldType::Ref(kinds) => ref_hint(kinds),
        FieldType::Refs(kinds) => format!("[{}, …]", ref_hint(kinds)),
        FieldType::Objects(specs) => {
            format!("[{{{}}}, …]", specs.iter().map(|spec| spec.name).collect::<Vec<_>>().join(", "))
        }
        FieldType::Object => "{…}".to_owned(),
    }
}

fn ref_hint(kinds: &[RecordKind]) -> String {
    if kinds.is_empty() {
        "id".to_owned()
    } else {
        format!("id of {}", kinds.iter().map(|kind| kind.name()).collect::<Vec<_>>().join(" / "))
    }
}

/// The starting fields of a new record: its required fields, empty, and
/// `sensitivity: restricted`.
fn skeleton(kind: RecordKind) -> String {
    let mut fields = Map::new();
    for spec in field_specs(kind).iter().filter(|spec| spec.required) {
        let empty = match &spec.ty {
            FieldType::TextList | FieldType::Refs(_) => Value::Array(Vec::new()),
            FieldType::Objects(specs) => {
                let mut first = Map::new();
                if let Some(spec) = specs.first() {
                    first.insert(spec.name.to_owned(), Value::String(String::new()));
                }
                Value::Array(vec![Value::Object(first)])
            }
            FieldType::Integer | FieldType::Number => Value::Null,
            FieldType::Object => Value::Object(Map::new()),
            _ => Value::String(String::new()),
        };
        fields.insert(spec.name.to_owned(), empty);
    }
    fields.insert("sensitivity".to_owned(), Value::String("restricted".to_owned()));
    pretty(&fields)
}

fn pretty(fields: &Map<String, Value>) -> String {
    serde_json::to_string_pretty(fields).unwrap_or_else(|_| "{}".to_owned())
}

/// Fails unless the caller may write records (the public is sent to log in).
fn require_writer(layout: &Layout) -> Result<(), PageError> {
    layout.require_account()?;
    if layout.may_write_records() { Ok(()) } else { Err(ApiError::forbidden("this role may not write records").into()) }
}

#[derive(Deserialize)]
pub struct NewQuery {
    kind: Option<String>,
}

/// `GET /records/new?kind=person`.
pub async fn new_page(layout: Layout, Query(query): Query<NewQuery>) -> Result<Response, PageError> {
    require_writer(&layout)?;
    let kind = match query.kind.as_deref().filter(|kind| !kind.is_empty()) {
        Some(kind) => new_kind(kind)?,
        None => KINDS[0],
    };
    page(&RecordForm {
        layout,
        id: None,
        name: String::new(),
        kind: kind.name(),
        kinds: KINDS.iter().map(|kind| kind.name()).collect(),
        version: 0,
        fields_json: skeleton(kind),
        reason: String::new(),
        hints: hints(kind),
        problem: String::new(),
    })
}

fn new_kind(text: &str) -> Result<RecordKind, ApiError> {
    match RecordKind::parse(text) {
        Ok(RecordKind::Item) => Err(ApiError::bad_request("items are added by upload, then described on their page")),
        Ok(kind) => Ok(kind),
        Err(e) => Err(ApiError::bad_request(e.to_string())),
    }
}

/// What the record forms post.
#[derive(Deserialize)]
pub struct RecordFormData {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    fields: String,
    #[serde(default)]
    reason: String,
    /// the version the edit form was loaded at
    #[serde(default)]
    version: Option<u32>,
}

/// `POST /records`: creates a record from the new-record form.
pub async fn create(
    State(state): State<AppState>,
    layout: Layout,
    Form(form): Form<RecordFormData>,
) -> Result<Response, PageError> {
    layout.require_account()?;
    layout.caller.check_csrf(Some(&form.csrf))?;
    require_writer(&layout)?;
    let kind = new_kind(&form.kind)?;
    let again = |layout: Layout, problem: String, form: RecordFormData| {
        page_with_status(
            StatusCode::BAD_REQUEST,
            &RecordForm {
                layout,
                id: None,
                name: String::new(),
                kind: kind.name(),
                kinds: KINDS.iter().map(|kind| kind.name()).collect(),
                version: 0,
                fields_json: form.fields,
                reason: form.reason,
                hints: hints(kind),
                problem,
            },
        )
    };
    let fields = match parse_fields(&form.fields) {
        Ok(fields) => fields,
        Err(problem) => return again(layout.clone(), format!("{}: {problem}", layout.t("form.bad_json")), form),
    };
    if form.reason.trim().is_empty() {
        return again(layout.clone(), layout.t("form.no_reason").to_owned(), form);
    }
    let actor = layout.user().unwrap_or_default().to_owned();
    let reason = form.reason.clone();
    let outcome =
        with_archive(&state, move |archive| Ok(archive.create_record(kind, fields, &actor, reason.trim()))).await?;
    match outcome {
        Ok(change) => Ok(Redirect::to(&format!("/records/{}?saved={}", change.id, change.version)).into_response()),
        Err(ArchiveError::Invalid(message) | ArchiveError::NotFound(message)) => again(layout, message, form),
        Err(other) => Err(ApiError::from(other).into()),
    }
}

/// `GET /records/{id}/edit` (an item's id edits its description).
pub async fn edit_page(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    require_writer(&layout)?;
    let access = layout.access();
    let caller = layout.caller.clone();
    let target = id.clone();
    let (kind, name, version, fields) = with_archive(&state, move |archive| {
        let (kind, name, version, fields) = current(archive, &target, access)?;
        let level = archive.access_of(&target)?;
        crate::audit::note(archive, &caller, "read", &target, level)?;
        Ok((kind, name, version, fields))
    })
    .await?;
    page(&RecordForm {
        layout,
        id: Some(id),
        name,
        kind: kind.name(),
        kinds: Vec::new(),
        version,
        fields_json: pretty(&fields),
        reason: String::new(),
        hints: hints(kind),
        problem: String::new(),
    })
}

/// A record (or an item's description) as it stands, if `access` may see
/// it: kind, name, version (0: an item not yet described), fields.
fn current(
    archive: &Archive,
    id: &str,
    access: Access,
) -> Result<(RecordKind, String, u32, Map<String, Value>), ApiError> {
    if id.starts_with("itm_") {
        visible_item(archive, id, access)?;
        let item = archive.item(id).map_err(|_| ApiError::not_found("item"))?;
        return Ok(match archive.record(id) {
            Ok(view) => (RecordKind::Item, display_name(&view), view.version, view.fields),
            Err(_) => (RecordKind::Item, item.original_name, 0, Map::new()),
        });
    }
    visible(archive, id, access, "record")?;
    let view = archive.record(id).map_err(|_| ApiError::not_found("record"))?;
    let kind = RecordKind::parse(&view.kind).map_err(|e| ApiError::internal(e.to_string()))?;
    if view.retracted {
        return Err(ApiError::bad_request(format!("{id} is retracted; it cannot be edited")));
    }
    Ok((kind, display_name(&view), view.version, view.fields))
}

/// `POST /records/{id}`: saves the edit form as a new version, with the
/// reason. Fields left out of the JSON are removed; a form loaded at an
/// older version than the record's is refused (someone changed it since).
pub async fn update(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
    Form(form): Form<RecordFormData>,
) -> Result<Response, PageError> {
    layout.require_account()?;
    layout.caller.check_csrf(Some(&form.csrf))?;
    require_writer(&layout)?;
    let access = layout.access();
    let lookup = id.clone();
    let (kind, name, version, fields) = with_archive(&state, move |archive| current(archive, &lookup, access)).await?;
    let again = |layout: Layout, problem: String, form: RecordFormData| {
        page_with_status(
            StatusCode::BAD_REQUEST,
            &RecordForm {
                layout,
                id: Some(id.clone()),
                name: name.clone(),
                kind: kind.name(),
                kinds: Vec::new(),
                version: form.version.unwrap_or(version),
                fields_json: form.fields,
                reason: form.reason,
                hints: hints(kind),
                problem,
            },
        )
    };
    let wanted = match parse_fields(&form.fields) {
        Ok(fields) => fields,
        Err(problem) => return again(layout.clone(), format!("{}: {problem}", layout.t("form.bad_json")), form),
    };
    if form.reason.trim().is_empty() {
        return again(layout.clone(), layout.t("form.no_reason").to_owned(), form);
    }
    if let Some(loaded) = form.version
        && loaded != version
    {
        let problem = format!(
            "{id} was changed (now version {version}) after this form was loaded (version {loaded}); \
             copy your changes, reload the page and apply them again"
        );
        return again(layout, problem, form);
    }
    let changes = changes(&fields, &wanted);
    if changes.is_empty() {
        return again(layout.clone(), layout.t("form.no_change").to_owned(), form);
    }
    let actor = layout.user().unwrap_or_default().to_owned();
    let (target, reason) = (id.clone(), form.reason.trim().to_owned());
    let outcome =
        with_archive(&state, move |archive| Ok(archive.edit_record(&target, &changes, &actor, &reason))).await?;
    match outcome {
        Ok(change) => {
            let page = if id.starts_with("itm_") { format!("/items/{id}") } else { format!("/records/{id}") };
            Ok(Redirect::to(&format!("{page}?saved={}", change.version)).into_response())
        }
        Err(ArchiveError::Invalid(message) | ArchiveError::NotFound(message)) => again(layout, message, form),
        Err(other) => Err(ApiError::from(other).into()),
    }
}

/// The form's JSON, which must be one object.
fn parse_fields(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err("expected { … }".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// The changes that turn `current` into `wanted`: changed and new fields
/// set, missing ones removed. A sealed field (shown as `{"sealed": true}`)
/// is unchanged unless a new value is typed: left as it is or left out, it
/// keeps its sealed value, so an edit by someone who cannot open it can
/// neither erase nor leak it.
fn changes(current: &Map<String, Value>, wanted: &Map<String, Value>) -> Vec<FieldChange> {
    let mut changes: Vec<FieldChange> = wanted
        .iter()
        .filter(|(name, value)| current.get(*name) != Some(*value) && !evident_core::is_sealed_placeholder(value))
        .map(|(name, value)| (name.clone(), Some(value.clone())))
        .collect();
    changes.extend(
        current
            .iter()
            .filter(|(name, value)| !wanted.contains_key(*name) && !evident_core::is_sealed_placeholder(value))
            .map(|(name, _)| (name.clone(), None)),
    );
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_set_what_differs_and_remove_what_is_gone() {
        let current = json!({"name": "A", "note": "x", "reliability": "b"});
        let wanted = json!({"name": "A", "note": "y", "url": "https://example.org"});
        let mut found = changes(current.as_object().unwrap(), wanted.as_object().unwrap());
        found.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            found,
            vec![
                ("note".to_owned(), Some(json!("y"))),
                ("reliability".to_owned(), None),
                ("url".to_owned(), Some(json!("https://example.org"))),
            ]
        );
        assert!(parse_fields("[1]").is_err());
        assert!(parse_fields("{").is_err());
    }

    #[test]
    fn a_sealed_field_is_unchanged_unless_a_value_is_typed() {
        let current = json!({"names": {"sealed": true}, "aliases": {"sealed": true}, "status": "detained"});
        let wanted = json!({"aliases": {"sealed": true}, "status": "released"});
        assert_eq!(
            changes(current.as_object().unwrap(), wanted.as_object().unwrap()),
            vec![("status".to_owned(), Some(json!("released")))],
            "left out or left as the placeholder, a sealed field is kept"
        );
        let typed = json!({"names": [{"name": "New"}], "aliases": {"sealed": true}, "status": "detained"});
        assert_eq!(
            changes(current.as_object().unwrap(), typed.as_object().unwrap()),
            vec![("names".to_owned(), Some(json!([{"name": "New"}])))]
        );
    }

    #[test]
    fn a_new_person_starts_with_its_required_names() {
        let skeleton: Value = serde_json::from_str(&skeleton(RecordKind::Person)).unwrap();
        assert_eq!(skeleton, json!({"names": [{"name": ""}], "sensitivity": "restricted"}));
    }
}
