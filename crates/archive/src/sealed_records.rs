//! Sealed record fields (witness protection, issue 6): the fields of a
//! record that name or locate a person, and every field of a record with
//! `sensitivity: sealed`, are stored as sealed boxes (`docs/sealing.md`,
//! "Sealed record fields").
//!
//! A record with sealed fields has its own data key, stored only wrapped
//! under the archive's key-encryption key (KEK) in the store's
//! `sealed_record_key`. Each sealed field's value (its canonical JSON) is a
//! field box bound to the record id and the field's name, and the field is
//! stored as `{"sealed": "<base64 of the box>"}`: in the version documents
//! whose SHA-256 the log holds, in the store, and in exports. So the log
//! covers ciphertext (a guessed name cannot be tested against it, and a KEK
//! rotation re-wraps the record's key without re-hashing anything), and no
//! sealed plaintext reaches the store, its WAL, the index, the log or an
//! export that does not ask for it.
//!
//! Which fields are sealed is [`evident_core::fields_to_seal`]. A field
//! that stays sealed and is not given a new value keeps its box, and a new
//! value equal to the sealed one keeps it too, so history shows no change
//! that was not made. Reading ([`Archive::record`]) shows a sealed field as
//! `{"sealed": true}`; [`Archive::reveal_record`] (the CLI's operator) and
//! [`Archive::record_revealed`] (a named person, for the server) open it,
//! each noted in the audit trail.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use evident_core::{RecordId, RecordKind, fields_to_seal, sealed_box, sealed_placeholder};
use evident_seal::{DataKey, ObjectId, WrappedKey};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::records::{PreparedVersion, RecordView, reprepare};
use crate::seal::{object_id, seal_error};
use crate::{Archive, ArchiveError, AuditEvent, Result, Role};

/// How a sealed field is shown as text to whoever may not open it.
pub const SEALED_FIELD_TEXT: &str = "[sealed]";

/// The field of an exported record that carries the record's wrapped data
/// key (base64), so that a dump re-imports with its sealed fields intact
/// into an archive with the same KEK.
pub const SEALED_KEY_FIELD: &str = "sealed_key";

/// Replaces every sealed box among `fields` with the placeholder
/// `{"sealed": true}`.
pub fn mask_sealed_fields(fields: &mut Map<String, Value>) {
    for value in fields.values_mut() {
        if sealed_box(value).is_some() {
            *value = sealed_placeholder();
        }
    }
}

/// Whether any of `fields` is a sealed box.
pub(crate) fn has_sealed_fields(fields: &Map<String, Value>) -> bool {
    fields.values().any(|value| sealed_box(value).is_some())
}

/// Seals one field's value: `{"sealed": "<base64 of the box>"}`.
fn seal_value(key: &DataKey, object: &ObjectId, name: &str, value: &Value) -> Result<Value> {
    let plaintext = Zeroizing::new(serde_json::to_vec(value).map_err(|e| ArchiveError::Invalid(e.to_string()))?);
    let sealed = evident_seal::seal_field(key, object, name, &plaintext).map_err(seal_error)?;
    let mut map = Map::new();
    map.insert(evident_core::SEALED_KEY.to_owned(), Value::String(BASE64.encode(sealed)));
    Ok(Value::Object(map))
}

/// Opens one sealed field (the base64 text of its box).
fn open_value(key: &DataKey, object: &ObjectId, name: &str, text: &str) -> Result<Value> {
    let corrupted =
        |detail: String| ArchiveError::Corrupted { what: format!("sealed field {name} of {object}"), detail };
    let sealed = BASE64.decode(text).map_err(|e| corrupted(format!("not base64: {e}")))?;
    let plaintext = evident_seal::open_field(key, object, name, &sealed).map_err(|e| corrupted(e.to_string()))?;
    serde_json::from_slice(&plaintext).map_err(|e| corrupted(format!("not JSON: {e}")))
}

/// Opens every sealed box among `fields` in place.
pub(crate) fn open_fields(key: &DataKey, object: &ObjectId, fields: &mut Map<String, Value>) -> Result<()> {
    for (name, value) in fields.iter_mut() {
        if let Some(text) = sealed_box(value) {
            *value = open_value(key, object, name, text)?;
        }
    }
    Ok(())
}

/// Whether bringing `fields` into their stored form needs the record's
/// key: a field to seal that is not a box yet, or a box to open (a field
/// that is no longer to be sealed).
pub(crate) fn needs_key(kind: RecordKind, fields: &Map<String, Value>) -> bool {
    let to_seal = fields_to_seal(kind, fields);
    fields.iter().any(|(name, value)| to_seal.contains(name) != sealed_box(value).is_some())
}

/// Brings validated `fields` into their stored form: every field to seal
/// becomes a box (the box of `previous`, the record's stored fields, when
/// the value is unchanged), every box of a field no longer to seal is
/// opened. `key` is needed only when [`needs_key`] says so.
pub(crate) fn seal_fields(
    kind: RecordKind,
    object: &ObjectId,
    key: Option<&DataKey>,
    fields: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
) -> Result<()> {
    let to_seal = fields_to_seal(kind, fields);
    for (name, value) in fields.iter_mut() {
        let seal = to_seal.contains(name);
        let boxed = sealed_box(value).map(str::to_owned);
        if seal == boxed.is_some() {
            continue;
        }
        let key = key.ok_or_else(|| {
            ArchiveError::Sealed(format!(
                "{object}: field {name} is sealed or to be sealed, which needs the record's key"
            ))
        })?;
        match boxed {
            Some(text) => *value = open_value(key, object, name, &text)?,
            None => {
                let kept = previous.and_then(|previous| previous.get(name)).and_then(|old| {
                    let text = sealed_box(old)?;
                    match open_value(key, object, name, text) {
                        Ok(opened) if opened == *value => Some(Ok(old.clone())),
                        Ok(_) => None,
                        Err(e) => Some(Err(e)),
                    }
                });
                *value = match kept {
                    Some(old) => old?,
                    None => seal_value(key, object, name, value)?,
                };
            }
        }
    }
    Ok(())
}

/// Seals a prepared version's fields with `key` (see [`seal_fields`]) and
/// recomputes its digest and log entry.
pub(crate) fn seal_prepared_with(
    prepared: &mut PreparedVersion,
    key: Option<&DataKey>,
    previous: Option<&Map<String, Value>>,
) -> Result<()> {
    let id = RecordId::parse(&prepared.version.row.id).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
    let mut fields = match serde_json::from_str(&prepared.version.row.fields) {
        Ok(Value::Object(map)) => map,
        _ => return Err(ArchiveError::Invalid(format!("{id}: the fields are not a JSON object"))),
    };
    if !needs_key(id.kind(), &fields) {
        return Ok(());
    }
    seal_fields(id.kind(), &object_id(id.as_str())?, key, &mut fields, previous)?;
    reprepare(prepared, Value::Object(fields))
}

/// Warnings about fields that are sealed say what, never the value: a
/// quoted value in one (`field birth_date: "..." is not a date`) becomes
/// `a sealed value`.
pub(crate) fn scrub_warnings(sealed: &[String], warnings: &mut [String]) {
    for warning in warnings.iter_mut() {
        let about_sealed = sealed.iter().any(|field| {
            warning.starts_with(&format!("field {field}:")) || warning.starts_with(&format!("field {field}["))
        });
        if !about_sealed {
            continue;
        }
        let mut scrubbed = String::with_capacity(warning.len());
        let mut rest = warning.as_str();
        while let Some(start) = rest.find('"') {
            scrubbed.push_str(&rest[..start]);
            match rest[start + 1..].find('"') {
                Some(end) => {
                    scrubbed.push_str("a sealed value");
                    rest = &rest[start + 1 + end + 1..];
                }
                None => {
                    rest = "";
                }
            }
        }
        scrubbed.push_str(rest);
        *warning = scrubbed;
    }
}

/// A record's data key and, when it was made now, its wrapped form to store.
pub(crate) struct RecordKey {
    pub(crate) key: DataKey,
    pub(crate) new_wrapped: Option<Vec<u8>>,
}

impl Archive {
    /// The data key of record `id`: its stored one unwrapped, else (with
    /// `create`) a new one. `None` if it has none and `create` is false.
    /// A clear error naming the KEK options when the KEK cannot be unlocked.
    pub(crate) fn record_key(&self, id: &str, create: bool) -> Result<Option<RecordKey>> {
        let object = object_id(id)?;
        let stored = self.store.sealed_record_key(id)?;
        if stored.is_none() && !create {
            return Ok(None);
        }
        let keyring = self.keyring().map_err(|e| {
            ArchiveError::Sealed(format!("{id} has sealed fields, which need the archive's key-encryption key: {e}"))
        })?;
        match stored {
            Some(bytes) => {
                let wrapped = WrappedKey::parse(&bytes).map_err(|e| ArchiveError::Corrupted {
                    what: format!("the wrapped key of {id}"),
                    detail: e.to_string(),
                })?;
                let key = keyring.unwrap_data_key(&object, &wrapped).map_err(|e| ArchiveError::Corrupted {
                    what: format!("the wrapped key of {id}"),
                    detail: e.to_string(),
                })?;
                Ok(Some(RecordKey { key, new_wrapped: None }))
            }
            None => {
                let (key, wrapped) = keyring.new_data_key(&object).map_err(seal_error)?;
                Ok(Some(RecordKey { key, new_wrapped: Some(wrapped.as_bytes().to_vec()) }))
            }
        }
    }

    /// Brings a prepared version (create, edit, retract, publish) into its
    /// stored form: seals what is to be sealed, opens what no longer is.
    /// Returns a new wrapped key to store before the version commits.
    ///
    /// In an archive without a KEK (made before sealing existed, no
    /// `seal.json`) nothing can be encrypted: the fields stay open, with a
    /// warning that says how to give it one (a record with `sensitivity:
    /// sealed` is still hidden from every role by its level).
    pub(crate) fn seal_prepared(&self, prepared: &mut PreparedVersion) -> Result<Option<(String, Vec<u8>)>> {
        let id = prepared.version.row.id.clone();
        let kind = RecordId::parse(&id).map_err(|e| ArchiveError::Invalid(e.to_string()))?.kind();
        let fields = match serde_json::from_str(&prepared.version.row.fields) {
            Ok(Value::Object(map)) => map,
            _ => return Err(ArchiveError::Invalid(format!("{id}: the fields are not a JSON object"))),
        };
        if !needs_key(kind, &fields) {
            return Ok(None);
        }
        if !self.sealing_set_up() && !has_sealed_fields(&fields) {
            prepared.warnings.push(format!(
                "{} of {id} stay unsealed: this archive has no key-encryption key; give it one with `evident seal \
                 init`, and the next edit seals them",
                fields_to_seal(kind, &fields).join(", ")
            ));
            return Ok(None);
        }
        scrub_warnings(&fields_to_seal(kind, &fields), &mut prepared.warnings);
        let record_key = self.record_key(&id, true)?.ok_or_else(|| ArchiveError::Sealed(format!("{id} has no key")))?;
        let previous = match self.store.record(&id)? {
            Some(row) => Some(crate::records::parse_fields(&row)?),
            None => None,
        };
        seal_prepared_with(prepared, Some(&record_key.key), previous.as_ref())?;
        Ok(record_key.new_wrapped.map(|wrapped| (id, wrapped)))
    }

    /// A record with its sealed fields opened, for the operator who holds
    /// the KEK (`evident show RECORD --reveal`). Noted in the audit trail as
    /// a `reveal` by `actor`.
    pub fn reveal_record(&mut self, id: &str, actor: &str) -> Result<RecordView> {
        self.reveal_as(id, actor, "cli", "cli")
    }

    /// A record with its sealed fields opened, for `user` (with `role`),
    /// who must be allowed to open it ([`Archive::may_open_sealed`]);
    /// otherwise `NotFound` for a record with `sensitivity: sealed` (its
    /// existence is sealed too) and `Invalid` for one with sealed fields.
    /// Noted in the audit trail as a `reveal` by `user`.
    pub fn record_revealed(&mut self, id: &str, user: &str, role: Role) -> Result<RecordView> {
        let view = self.record(id)?;
        if !self.may_open_sealed(user, role, id)? {
            if view.access() == evident_search::Access::Sealed {
                return Err(ArchiveError::NotFound(format!("no record {id} in this archive")));
            }
            return Err(ArchiveError::Invalid(format!("{user} may not open the sealed fields of {id}")));
        }
        self.reveal_as(id, user, role.name(), "server")
    }

    fn reveal_as(&mut self, id: &str, actor: &str, role: &str, client: &str) -> Result<RecordView> {
        let row =
            self.store.record(id)?.ok_or_else(|| ArchiveError::NotFound(format!("no record {id} in this archive")))?;
        let mut fields = crate::records::parse_fields(&row)?;
        if has_sealed_fields(&fields) {
            let record_key = self.record_key(id, false)?.ok_or_else(|| ArchiveError::Corrupted {
                what: id.to_owned(),
                detail: "sealed fields but no key".into(),
            })?;
            open_fields(&record_key.key, &object_id(id)?, &mut fields)?;
            self.audit(&AuditEvent {
                actor: actor.to_owned(),
                role: role.to_owned(),
                action: "reveal".to_owned(),
                target: id.to_owned(),
                client: client.to_owned(),
            })?;
        }
        Ok(RecordView {
            id: row.id,
            kind: row.kind,
            version: row.version,
            retracted: row.retracted,
            updated_at: row.updated_at,
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_about_sealed_fields_lose_their_values() {
        let mut warnings = vec![
            r#"field birth_date: "the day after Canary" is not a date Evident can read; kept as text"#.to_owned(),
            r#"field note: "someday" is fine to show"#.to_owned(),
        ];
        scrub_warnings(&["birth_date".to_owned()], &mut warnings);
        assert_eq!(warnings[0], "field birth_date: a sealed value is not a date Evident can read; kept as text");
        assert!(warnings[1].contains("someday"), "open fields keep their warnings as they are");
    }
}
