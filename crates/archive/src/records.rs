//! Records of the evidence model: create, edit, retract, read, history.
//!
//! Every change is a new version (nothing is overwritten): the whole record
//! as it stands after the change, with who, when and why, stored in the
//! store's history and committed to the log as a `record.version` entry
//! whose digest covers the version document (docs/log-entry.md). A change
//! that refers to a record or item that does not exist is refused.

use evident_core::{LogEntry, RecordError, RecordId, RecordKind, Sha256Hex, validate_fields};
use evident_store::{NewRecordVersion, RecordRow, RecordVersionRow, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{Archive, ArchiveError, Result, now_rfc3339};

/// One field change: `Some(value)` sets it, `None` removes it.
pub type FieldChange = (String, Option<Value>);

/// What a change produced: the new version and anything worth saying.
#[derive(Clone, Debug)]
pub struct RecordChange {
    pub id: String,
    pub version: u32,
    pub warnings: Vec<String>,
}

/// A record's state, for display and export.
#[derive(Clone, Debug, Serialize)]
pub struct RecordView {
    pub id: String,
    pub kind: String,
    pub version: u32,
    pub retracted: bool,
    pub updated_at: String,
    pub fields: Map<String, Value>,
}

impl RecordView {
    /// Who may see the record: its `sensitivity` (absent: restricted).
    pub fn access(&self) -> evident_search::Access {
        crate::search::access_of(&self.fields)
    }
}

/// The document a `record.version` entry's digest covers: canonical JSON
/// (keys sorted, no whitespace) of these fields.
#[derive(Serialize)]
struct VersionDocument<'a> {
    actor: &'a str,
    change: &'a str,
    fields: &'a Value,
    id: &'a str,
    kind: &'a str,
    reason: &'a str,
    retracted: bool,
    time: &'a str,
    version: u32,
}

/// SHA-256 of a version's document, lowercase hex.
pub(crate) fn version_digest(row: &RecordVersionRow) -> Result<String> {
    let fields: Value = serde_json::from_str(&row.fields)
        .map_err(|e| ArchiveError::Corrupted { what: format!("{} v{}", row.id, row.version), detail: e.to_string() })?;
    version_digest_with(row, &fields)
}

/// The same, with the row's fields already parsed.
fn version_digest_with(row: &RecordVersionRow, fields: &Value) -> Result<String> {
    let document = VersionDocument {
        actor: &row.actor,
        change: &row.change,
        fields,
        id: &row.id,
        kind: &row.kind,
        reason: &row.reason,
        retracted: row.retracted,
        time: &row.time,
        version: row.version,
    };
    let bytes = serde_json::to_vec(&document).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn invalid_fields(id: &str, errors: Vec<RecordError>) -> ArchiveError {
    ArchiveError::Invalid(format!("{id}: {}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")))
}

fn parse_id(id: &str) -> Result<RecordId> {
    RecordId::parse(id).map_err(|e| ArchiveError::Invalid(e.to_string()))
}

/// What kind of change, by whom and why.
#[derive(Clone, Copy)]
pub(crate) struct Change<'a> {
    /// `create`, `edit` or `retract`
    pub(crate) change: &'a str,
    pub(crate) retracted: bool,
    pub(crate) actor: &'a str,
    pub(crate) reason: &'a str,
}

/// A change to be committed (validated, not yet numbered in the log).
pub(crate) struct PreparedVersion {
    pub(crate) version: NewRecordVersion,
    pub(crate) warnings: Vec<String>,
}

/// Prepares a version of `id` holding `fields` (the whole record).
pub(crate) fn prepare_version(
    id: &RecordId,
    version: u32,
    fields: Map<String, Value>,
    change: &Change<'_>,
) -> Result<PreparedVersion> {
    let Change { change, retracted, actor, reason } = *change;
    if reason.trim().is_empty() {
        return Err(ArchiveError::Invalid("a change needs a reason (--reason TEXT)".to_owned()));
    }
    let kind = id.kind();
    let checked = validate_fields(kind, &fields).map_err(|errors| invalid_fields(id.as_str(), errors))?;
    let time = now_rfc3339();
    let fields = Value::Object(checked.fields);
    let mut row = RecordVersionRow {
        id: id.to_string(),
        version,
        kind: kind.name().to_owned(),
        change: change.to_owned(),
        fields: fields.to_string(),
        actor: actor.to_owned(),
        time: time.clone(),
        reason: reason.trim().to_owned(),
        digest: String::new(),
        log_index: 0,
        retracted,
    };
    row.digest = version_digest_with(&row, &fields)?;
    let digest = Sha256Hex::parse(&row.digest).map_err(ArchiveError::Invalid)?;
    let entry = LogEntry::record_version(id.as_str(), kind.name(), version, time, actor.to_owned(), &digest)
        .encode()
        .map_err(|e| ArchiveError::Invalid(format!("{id}: {e}")))?;
    let references = checked.references.into_iter().map(|(field, to)| (field, to.to_string())).collect();
    Ok(PreparedVersion { version: NewRecordVersion { row, entry, references }, warnings: checked.warnings })
}

/// Replaces a prepared version's fields (with their stored form: sealed
/// fields as boxes) and recomputes its digest and log entry.
pub(crate) fn reprepare(prepared: &mut PreparedVersion, fields: Value) -> Result<()> {
    let row = &mut prepared.version.row;
    row.fields = fields.to_string();
    row.digest = version_digest_with(row, &fields)?;
    let digest = Sha256Hex::parse(&row.digest).map_err(ArchiveError::Invalid)?;
    prepared.version.entry =
        LogEntry::record_version(&row.id, &row.kind, row.version, row.time.clone(), row.actor.clone(), &digest)
            .encode()
            .map_err(|e| ArchiveError::Invalid(format!("{}: {e}", row.id)))?;
    Ok(())
}

/// Refuses sealed boxes given by a caller: only the archive makes them
/// (an import of a dump brings its own, checked against its key).
fn refuse_boxes<'a>(id: &str, values: impl IntoIterator<Item = (&'a String, &'a Value)>) -> Result<()> {
    for (field, value) in values {
        if evident_core::sealed_box(value).is_some() {
            return Err(ArchiveError::Invalid(format!(
                "{id}: field {field} is given as a sealed box; give its value (the archive seals it)"
            )));
        }
    }
    Ok(())
}

impl Archive {
    /// Commits prepared versions in one transaction and publishes a checkpoint.
    pub(crate) fn commit_versions(&mut self, mut prepared: Vec<PreparedVersion>) -> Result<Vec<RecordChange>> {
        let mut versions: Vec<NewRecordVersion> = Vec::with_capacity(prepared.len());
        let mut warnings = Vec::with_capacity(prepared.len());
        // Sealed fields become boxes before anything is stored; a record's
        // new key is stored before the version that first uses it.
        let mut new_keys = Vec::new();
        for p in &mut prepared {
            new_keys.extend(self.seal_prepared(p)?);
        }
        if !new_keys.is_empty() {
            self.store.put_sealed_record_keys(&new_keys)?;
        }
        for p in prepared {
            versions.push(p.version);
            warnings.push(p.warnings);
        }
        self.store.commit_record_versions(&mut versions).map_err(|e| match e {
            StoreError::NotFound(message) => ArchiveError::Invalid(message),
            StoreError::Conflict { .. } => ArchiveError::Invalid(e.to_string()),
            other => other.into(),
        })?;
        self.publish()?;
        self.update_index_quietly();
        Ok(versions
            .into_iter()
            .zip(warnings)
            .map(|(v, warnings)| RecordChange { id: v.row.id, version: v.row.version, warnings })
            .collect())
    }

    pub(crate) fn new_record_id(kind: RecordKind) -> Result<RecordId> {
        let mut random = [0u8; 10];
        getrandom::fill(&mut random)
            .map_err(|e| ArchiveError::Invalid(format!("no randomness for a record id: {e}")))?;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Ok(RecordId::new(kind, millis, random))
    }

    /// Creates a record of `kind` (not `item`: item records follow their
    /// items, see [`Archive::edit_record`]).
    pub fn create_record(
        &mut self,
        kind: RecordKind,
        fields: Map<String, Value>,
        actor: &str,
        reason: &str,
    ) -> Result<RecordChange> {
        if kind == RecordKind::Item {
            return Err(ArchiveError::Invalid(
                "items are created by `evident add`; describe one with `evident edit ITEM --set ...`".to_owned(),
            ));
        }
        let id = Archive::new_record_id(kind)?;
        refuse_boxes(id.as_str(), &fields)?;
        let prepared = prepare_version(&id, 1, fields, &Change { change: "create", retracted: false, actor, reason })?;
        Ok(self.commit_versions(vec![prepared])?.remove(0))
    }

    /// Changes fields of a record (or describes an item: its first edit
    /// creates the item's record). Other fields keep their values.
    pub fn edit_record(
        &mut self,
        id: &str,
        changes: &[FieldChange],
        actor: &str,
        reason: &str,
    ) -> Result<RecordChange> {
        let parsed = parse_id(id)?;
        let (mut fields, version) = match self.store.record(id)? {
            Some(row) if row.retracted => {
                return Err(ArchiveError::Invalid(format!("{id} is retracted; it cannot be edited")));
            }
            Some(row) => (parse_fields(&row)?, row.version),
            None if parsed.kind() == RecordKind::Item && self.store.item(id)?.is_some() => (Map::new(), 0),
            None => return Err(ArchiveError::NotFound(format!("no record {id} in this archive"))),
        };
        if changes.is_empty() {
            return Err(ArchiveError::Invalid("nothing to change: give --set FIELD=VALUE".to_owned()));
        }
        refuse_boxes(id, changes.iter().filter_map(|(field, value)| value.as_ref().map(|value| (field, value))))?;
        for (field, value) in changes {
            match value {
                // the placeholder of a sealed field (a form or a view sent back): unchanged
                Some(value) if evident_core::is_sealed_placeholder(value) => None,
                Some(value) => fields.insert(field.clone(), value.clone()),
                None => fields.remove(field),
            };
        }
        let change = if version == 0 { "create" } else { "edit" };
        let prepared =
            prepare_version(&parsed, version + 1, fields, &Change { change, retracted: false, actor, reason })?;
        Ok(self.commit_versions(vec![prepared])?.remove(0))
    }

    /// Retracts a record: a new version that marks it retracted, with the
    /// reason. Nothing is deleted; the history keeps every earlier version.
    pub fn retract_record(&mut self, id: &str, actor: &str, reason: &str) -> Result<RecordChange> {
        let parsed = parse_id(id)?;
        let row =
            self.store.record(id)?.ok_or_else(|| ArchiveError::NotFound(format!("no record {id} in this archive")))?;
        if row.retracted {
            return Err(ArchiveError::Invalid(format!("{id} is already retracted")));
        }
        let fields = parse_fields(&row)?;
        let prepared = prepare_version(
            &parsed,
            row.version + 1,
            fields,
            &Change { change: "retract", retracted: true, actor, reason },
        )?;
        Ok(self.commit_versions(vec![prepared])?.remove(0))
    }

    /// A record as it stands.
    pub fn record(&self, id: &str) -> Result<RecordView> {
        let row =
            self.store.record(id)?.ok_or_else(|| ArchiveError::NotFound(format!("no record {id} in this archive")))?;
        view(row)
    }

    /// Every record of a kind as it stands, in id order (retracted ones included).
    pub fn records(&self, kind: RecordKind) -> Result<Vec<RecordView>> {
        let mut rows = Vec::new();
        self.store.for_each_record(Some(kind.name()), &mut |row| {
            rows.push(row);
            Ok(true)
        })?;
        rows.into_iter().map(view).collect()
    }

    /// Every version of a record, oldest first. Sealed fields are shown as
    /// `{"sealed": true}` (the stored form, whose digest the log holds, is
    /// what `verify` reads).
    pub fn record_history(&self, id: &str) -> Result<Vec<RecordVersionRow>> {
        let mut rows = self.store.record_history(id)?;
        for row in &mut rows {
            if let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(&row.fields)
                && crate::sealed_records::has_sealed_fields(&fields)
            {
                crate::sealed_records::mask_sealed_fields(&mut fields);
                row.fields = Value::Object(fields).to_string();
            }
        }
        Ok(rows)
    }

    /// Records that refer to `id`: (from id, field).
    pub fn references_to(&self, id: &str) -> Result<Vec<(String, String)>> {
        Ok(self.store.references_to(id)?)
    }
}

pub(crate) fn parse_fields(row: &RecordRow) -> Result<Map<String, Value>> {
    match serde_json::from_str(&row.fields) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ArchiveError::Corrupted {
            what: row.id.clone(),
            detail: "stored fields are not a JSON object".to_owned(),
        }),
    }
}

/// A record as shown: sealed fields as `{"sealed": true}`.
pub(crate) fn view(row: RecordRow) -> Result<RecordView> {
    let mut fields = parse_fields(&row)?;
    crate::sealed_records::mask_sealed_fields(&mut fields);
    Ok(RecordView {
        id: row.id,
        kind: row.kind,
        version: row.version,
        retracted: row.retracted,
        updated_at: row.updated_at,
        fields,
    })
}
