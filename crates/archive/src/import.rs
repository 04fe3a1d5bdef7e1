//! `evident import` and `evident export`: records in and out as JSON Lines,
//! CSV and GeoJSON, streaming and uncapped.
//!
//! Import reads the file twice and never holds it in memory. The first
//! pass parses and validates every row and collects the ids it declares and
//! the references it makes; references are then resolved against the file
//! and the archive. If any row is bad, nothing is imported (unless
//! `skip_bad`, which drops bad rows, and rows that refer to them, and says
//! so). The second pass re-reads the file and streams the good rows into
//! one store transaction, which commits only if everything holds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use evident_core::{RecordId, RecordKind, validate_fields};
use evident_formats::{ExportRecord, Format, RawRecord, ReadOptions, RecordWriter, read_records};
use evident_store::{NewRecordVersion, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::records::{Change, parse_fields, prepare_version};
use crate::sealed_records::{SEALED_KEY_FIELD, has_sealed_fields, needs_key, open_fields, seal_prepared_with};
use crate::{Archive, ArchiveError, AuditEvent, Result};

/// Settings for one import.
#[derive(Clone, Debug)]
pub struct ImportConfig {
    /// the kind of rows that do not name one
    pub kind: Option<RecordKind>,
    /// import the good rows and report the bad ones, instead of all-or-nothing
    pub skip_bad: bool,
    pub actor: String,
    /// the reason recorded in each record's first version
    pub reason: String,
}

/// One row that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// `line 12` or `feature 3`
    pub at: String,
    pub field: Option<String>,
    pub message: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub format: String,
    pub encoding: String,
    pub separator: Option<String>,
    /// rows read
    pub rows: u64,
    /// records created
    pub imported: u64,
    /// true when the records were committed (false: nothing was imported)
    pub committed: bool,
    pub problems: Vec<RowProblem>,
    /// what was done to the data, with counts: cleaned values, warnings
    pub notes: BTreeMap<String, u64>,
}

/// A problem with a row: the field (if one) and what is wrong.
type FieldProblem = (Option<String>, String);

/// What pass one learned about a good row.
struct RowPlan {
    id: RecordId,
    references: Vec<(String, String)>,
    /// the record's data key, if it has fields to seal
    key: Option<evident_seal::DataKey>,
    /// its wrapped key, to store before the import commits
    wrapped_key: Option<Vec<u8>>,
}

fn open_reader(path: &Path, format: Format, kind: Option<RecordKind>) -> Result<evident_formats::RecordReader> {
    let file = std::fs::File::open(path).map_err(ArchiveError::io("open", path))?;
    let options = ReadOptions { kind: kind.map(|k| k.name().to_owned()), ..ReadOptions::default() };
    read_records(Box::new(std::io::BufReader::new(file)), format, options)
        .map_err(|e| ArchiveError::Invalid(format!("{}: {e}", path.display())))
}

/// The format named, or the one the file name implies.
pub fn import_format(path: &Path, format: Option<Format>) -> Result<Format> {
    format.or_else(|| Format::from_path(path)).ok_or_else(|| {
        ArchiveError::Invalid(format!(
            "cannot tell the format of {} from its name; give --format jsonl, csv or geojson",
            path.display()
        ))
    })
}

fn row_kind(raw: &RawRecord, default: Option<RecordKind>) -> std::result::Result<RecordKind, String> {
    match (&raw.kind, &raw.id, default) {
        (Some(kind), _, _) => RecordKind::parse(kind).map_err(|e| e.to_string()),
        (None, Some(id), _) => RecordId::parse(id).map(|id| id.kind()).map_err(|e| e.to_string()),
        (None, None, Some(kind)) => Ok(kind),
        (None, None, None) => Err("the row names no kind: add a kind column or field, or pass --kind".to_owned()),
    }
}

impl Archive {
    /// Imports records from a file. Problems with the file as a whole are
    /// `Err`; problems with rows are in the report.
    pub fn import(&mut self, path: &Path, format: Option<Format>, config: &ImportConfig) -> Result<ImportReport> {
        let format = import_format(path, format)?;
        if config.reason.trim().is_empty() {
            return Err(ArchiveError::Invalid("an import needs a reason".to_owned()));
        }
        let mut report = ImportReport { format: format.name().to_owned(), ..ImportReport::default() };

        // Pass one: read, validate, plan ids and references.
        let mut plans: HashMap<u64, RowPlan> = HashMap::new();
        let mut declared: HashSet<String> = HashSet::new();
        let mut reader = open_reader(path, format, config.kind)?;
        for row in &mut reader {
            report.rows += 1;
            let raw = match row {
                Ok(raw) => raw,
                Err(e) => {
                    report.problems.push(RowProblem {
                        at: format!("{} {}", e.unit, e.line),
                        field: e.field.clone(),
                        message: e.message.clone(),
                    });
                    continue;
                }
            };
            let at = format!("{} {}", if format == Format::GeoJson { "feature" } else { "line" }, raw.line);
            match self.plan_row(&raw, config.kind, &declared) {
                Ok((plan, warnings)) => {
                    for warning in warnings {
                        *report.notes.entry(generalise(&warning)).or_default() += 1;
                    }
                    declared.insert(plan.id.to_string());
                    plans.insert(raw.line, plan);
                }
                Err(problems) => {
                    for (field, message) in problems {
                        report.problems.push(RowProblem { at: at.clone(), field, message });
                    }
                }
            }
        }
        let read = reader.report().clone();
        report.encoding = read.encoding.to_owned();
        report.separator = read.separator.map(|c| if c == '\t' { "tab".to_owned() } else { c.to_string() });
        for (note, count) in read.notes {
            *report.notes.entry(note).or_default() += count;
        }

        // References: to a row of the file that is good, or to the archive.
        // Dropping a row can strand rows that refer to it: repeat until stable.
        let unit = if format == Format::GeoJson { "feature" } else { "line" };
        loop {
            let mut dropped = Vec::new();
            for (line, plan) in &plans {
                for (field, to) in &plan.references {
                    if !declared.contains(to) && !self.exists(to)? {
                        dropped.push((*line, field.clone(), to.clone()));
                    }
                }
            }
            if dropped.is_empty() {
                break;
            }
            for (line, field, to) in dropped {
                if let Some(plan) = plans.remove(&line) {
                    declared.remove(plan.id.as_str());
                    report.problems.push(RowProblem {
                        at: format!("{unit} {line}"),
                        field: Some(field),
                        message: format!("refers to {to}, which is neither a good row of this file nor in the archive"),
                    });
                }
            }
        }
        report.problems.sort_by_key(|p| (p.at.split(' ').nth(1).and_then(|n| n.parse::<u64>().ok()), p.field.clone()));
        if !report.problems.is_empty() && !config.skip_bad {
            return Ok(report);
        }

        // The keys of records with sealed fields go in first (a key left by
        // an import that then fails belongs to no record and is used again).
        let keys: Vec<(String, Vec<u8>)> = plans
            .values()
            .filter_map(|plan| plan.wrapped_key.as_ref().map(|key| (plan.id.to_string(), key.clone())))
            .collect();
        if !keys.is_empty() {
            self.store.put_sealed_record_keys(&keys)?;
        }

        // Pass two: re-read the file and stream the planned rows into one
        // transaction. Rows are read, checked, sealed and digested on a
        // second thread while this one writes them to the store.
        let planned = plans.len() as u64;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<std::result::Result<NewRecordVersion, String>>(1024);
        let actor = config.actor.clone();
        let reason = config.reason.clone();
        let kind = config.kind;
        let imported = std::thread::scope(|scope| {
            scope.spawn(move || {
                let reader = match open_reader(path, format, kind) {
                    Ok(reader) => reader,
                    Err(e) => {
                        let _ = sender.send(Err(e.to_string()));
                        return;
                    }
                };
                for mut raw in reader.filter_map(|row| row.ok()) {
                    let Some(plan) = plans.remove(&raw.line) else { continue };
                    raw.fields.remove(SEALED_KEY_FIELD);
                    let create = Change { change: "create", retracted: false, actor: &actor, reason: &reason };
                    let first = prepare_version(&plan.id, 1, raw.fields.clone(), &create).and_then(|mut p| {
                        if plan.key.is_some() {
                            seal_prepared_with(&mut p, plan.key.as_ref(), None)?;
                        }
                        Ok(p.version)
                    });
                    let sealed_first: Option<Map<String, Value>> = match &first {
                        Ok(version) if plan.key.is_some() => serde_json::from_str(&version.row.fields).ok(),
                        _ => None,
                    };
                    let mut versions = vec![first];
                    if raw.retracted {
                        let retract = Change {
                            change: "retract",
                            retracted: true,
                            actor: &actor,
                            reason: "retracted in the imported data",
                        };
                        versions.push(prepare_version(&plan.id, 2, raw.fields, &retract).and_then(|mut p| {
                            if plan.key.is_some() {
                                seal_prepared_with(&mut p, plan.key.as_ref(), sealed_first.as_ref())?;
                            }
                            Ok(p.version)
                        }));
                    }
                    for version in versions {
                        if sender.send(version.map_err(|e| e.to_string())).is_err() {
                            return; // the store stopped; its error is reported
                        }
                    }
                }
                // A row planned in pass one but not met in pass two means the
                // file changed under the import: abort, so that nothing lands.
                if !plans.is_empty() {
                    let _ =
                        sender
                            .send(Err("the file changed between the two passes of the import; nothing was imported"
                                .to_owned()));
                }
            });
            self.store.import_record_versions(&mut receiver.into_iter())
        });
        imported.map_err(|e| match e {
            StoreError::NotFound(message) | StoreError::Aborted(message) => ArchiveError::Invalid(message),
            other => other.into(),
        })?;
        report.imported = planned;
        report.committed = true;
        self.publish()?;
        self.update_index_quietly();
        Ok(report)
    }

    /// Checks one row: its kind, id and fields. Returns the plan and the
    /// warnings, or every problem as (field, message).
    fn plan_row(
        &self,
        raw: &RawRecord,
        default_kind: Option<RecordKind>,
        declared: &HashSet<String>,
    ) -> std::result::Result<(RowPlan, Vec<String>), Vec<FieldProblem>> {
        let kind = row_kind(raw, default_kind).map_err(|m| vec![(Some("kind".to_owned()), m)])?;
        let id = match &raw.id {
            Some(text) => {
                let id = RecordId::parse(text).map_err(|e| vec![(Some("id".to_owned()), e.to_string())])?;
                if id.kind() != kind {
                    return Err(vec![(
                        Some("id".to_owned()),
                        format!("{id} is a {} id, but the row is a {kind}", id.kind()),
                    )]);
                }
                if declared.contains(id.as_str()) {
                    return Err(vec![(Some("id".to_owned()), format!("{id} appears earlier in the file"))]);
                }
                let exists = self.store.record(id.as_str()).map_err(|e| vec![(None, e.to_string())])?.is_some();
                if exists {
                    return Err(vec![(
                        Some("id".to_owned()),
                        format!("{id} is already in the archive; change it with evident edit"),
                    )]);
                }
                if kind == RecordKind::Item
                    && self.store.item(id.as_str()).map_err(|e| vec![(None, e.to_string())])?.is_none()
                {
                    return Err(vec![(
                        Some("id".to_owned()),
                        format!("no item {id} in this archive; add its file first"),
                    )]);
                }
                id
            }
            None if kind == RecordKind::Item => {
                return Err(vec![(
                    Some("id".to_owned()),
                    "an item row needs the id of an item in the archive".to_owned(),
                )]);
            }
            None => Archive::new_record_id(kind).map_err(|e| vec![(None, e.to_string())])?,
        };
        let mut fields = raw.fields.clone();
        let dump_key = fields.remove(SEALED_KEY_FIELD);
        let checked = validate_fields(kind, &fields).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| match e {
                    evident_core::RecordError::Field { field, detail } => (Some(field), detail),
                    other => (None, other.to_string()),
                })
                .collect::<Vec<_>>()
        })?;
        let mut warnings = checked.warnings;
        crate::sealed_records::scrub_warnings(&evident_core::fields_to_seal(kind, &checked.fields), &mut warnings);
        let (key, wrapped_key) = self
            .plan_sealing(&id, &checked.fields, dump_key.as_ref(), &mut warnings)
            .map_err(|e| vec![(None, e.to_string())])?;
        let references = checked.references.into_iter().map(|(field, to)| (field, to.to_string())).collect();
        Ok((RowPlan { id, references, key, wrapped_key }, warnings))
    }

    /// The key that seals a row's fields, if it has any to seal, and the
    /// wrapped key to store. A row exported with sealed fields carries its
    /// record's wrapped key (`sealed_key`): it must unwrap under this
    /// archive's KEK (an archive sharing the KEK), and every box must open.
    fn plan_sealing(
        &self,
        id: &RecordId,
        fields: &Map<String, Value>,
        dump_key: Option<&Value>,
        warnings: &mut Vec<String>,
    ) -> Result<(Option<evident_seal::DataKey>, Option<Vec<u8>>)> {
        let boxes = has_sealed_fields(fields);
        if !boxes && !needs_key(id.kind(), fields) {
            return Ok((None, None));
        }
        let dump_key = match dump_key {
            None => None,
            Some(Value::String(text)) => Some(
                BASE64
                    .decode(text.trim())
                    .map_err(|e| ArchiveError::Invalid(format!("{id}: {SEALED_KEY_FIELD} is not base64 ({e})")))?,
            ),
            Some(_) => return Err(ArchiveError::Invalid(format!("{id}: {SEALED_KEY_FIELD} must be base64 text"))),
        };
        if boxes && dump_key.is_none() {
            return Err(ArchiveError::Invalid(format!(
                "{id} has sealed fields but no {SEALED_KEY_FIELD}: export it with `evident export` from its archive"
            )));
        }
        if !self.sealing_set_up() {
            if boxes {
                return Err(ArchiveError::Sealed(format!(
                    "{id} has sealed fields, but this archive has no key-encryption key (no seal.json); give it one \
                     with `evident seal init`"
                )));
            }
            warnings.push(
                "fields to seal stay unsealed: this archive has no key-encryption key (evident seal init)".to_owned(),
            );
            return Ok((None, None));
        }
        let object = crate::seal::object_id(id.as_str())?;
        let Some(bytes) = dump_key else {
            let record_key = self
                .record_key(id.as_str(), true)?
                .ok_or_else(|| ArchiveError::Sealed(format!("{id}: no key for its sealed fields")))?;
            return Ok((Some(record_key.key), record_key.new_wrapped));
        };
        let keyring = self.keyring().map_err(|e| {
            ArchiveError::Sealed(format!("{id} has sealed fields, which need the archive's key-encryption key: {e}"))
        })?;
        let wrapped = evident_seal::WrappedKey::parse(&bytes)
            .map_err(|e| ArchiveError::Invalid(format!("{id}: {SEALED_KEY_FIELD} is not a wrapped key: {e}")))?;
        let key = keyring.unwrap_data_key(&object, &wrapped).map_err(|e| {
            ArchiveError::Sealed(format!(
                "the sealed fields of {id} cannot be opened with this archive's key-encryption key ({e}); import the \
                 dump into an archive that holds its key, or export it with --reveal"
            ))
        })?;
        let mut opened = fields.clone();
        open_fields(&key, &object, &mut opened)
            .map_err(|e| ArchiveError::Invalid(format!("{id}: a sealed field does not open with its key: {e}")))?;
        Ok((Some(key), Some(bytes)))
    }

    /// A record's sealed fields as exported: opened (`reveal`), or as they
    /// are with the record's wrapped key beside them.
    fn export_sealed_fields(&self, id: &str, fields: &mut Map<String, Value>, reveal: bool) -> Result<()> {
        if reveal {
            let record_key = self.record_key(id, false)?.ok_or_else(|| ArchiveError::Corrupted {
                what: id.to_owned(),
                detail: "sealed fields but no key".to_owned(),
            })?;
            return open_fields(&record_key.key, &crate::seal::object_id(id)?, fields);
        }
        let wrapped = self.store.sealed_record_key(id)?.ok_or_else(|| ArchiveError::Corrupted {
            what: id.to_owned(),
            detail: "sealed fields but no key".to_owned(),
        })?;
        fields.insert(SEALED_KEY_FIELD.to_owned(), Value::String(BASE64.encode(wrapped)));
        Ok(())
    }

    fn exists(&self, id: &str) -> Result<bool> {
        Ok(self.store.record(id)?.is_some() || self.store.item(id)?.is_some())
    }

    /// Writes the records of a kind (or all kinds) to `out`; returns how many.
    /// Sealed fields are written as their boxes, with the record's wrapped
    /// key (`sealed_key`): both ciphertext, so the dump re-imports intact
    /// into an archive with the same key-encryption key.
    pub fn export(&self, kind: Option<RecordKind>, format: Format, out: Box<dyn std::io::Write>) -> Result<u64> {
        self.export_with(kind, format, out, false)
    }

    /// [`Archive::export`] with sealed fields opened (`evident export
    /// --reveal`): plaintext, for a named person; needs the KEK. Noted in the
    /// audit trail as a `reveal` by `actor`.
    pub fn export_revealed(
        &mut self,
        kind: Option<RecordKind>,
        format: Format,
        out: Box<dyn std::io::Write>,
        actor: &str,
    ) -> Result<u64> {
        self.audit(&AuditEvent {
            actor: actor.to_owned(),
            role: "cli".to_owned(),
            action: "reveal".to_owned(),
            target: format!("export kind={}", kind.map(|k| k.name()).unwrap_or("all")),
            client: "cli".to_owned(),
        })?;
        self.export_with(kind, format, out, true)
    }

    fn export_with(
        &self,
        kind: Option<RecordKind>,
        format: Format,
        out: Box<dyn std::io::Write>,
        reveal: bool,
    ) -> Result<u64> {
        let mut writer = RecordWriter::new(out, format, kind).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let mut failure = None;
        self.store.for_each_record(kind.map(|k| k.name()), &mut |row| {
            let fields: Map<String, Value> = match parse_fields(&row).and_then(|mut fields| {
                if has_sealed_fields(&fields) {
                    self.export_sealed_fields(&row.id, &mut fields, reveal)?;
                }
                Ok(fields)
            }) {
                Ok(fields) => fields,
                Err(e) => {
                    failure = Some(e);
                    return Ok(false);
                }
            };
            let record = ExportRecord { id: row.id, kind: row.kind, retracted: row.retracted, fields };
            if let Err(e) = writer.write(&record) {
                failure = Some(ArchiveError::Invalid(format!("writing the export: {e}")));
                return Ok(false);
            }
            Ok(true)
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        writer.finish().map_err(|e| ArchiveError::Invalid(format!("writing the export: {e}")))
    }
}

/// Warnings name fields with row-specific paths (`participants[3].role`);
/// the report counts them by kind of warning.
fn generalise(warning: &str) -> String {
    let mut out = String::with_capacity(warning.len());
    let mut in_brackets = false;
    for c in warning.chars() {
        match c {
            '[' => {
                in_brackets = true;
                out.push_str("[]");
            }
            ']' => in_brackets = false,
            _ if in_brackets => {}
            _ => out.push(c),
        }
    }
    if let Some(start) = out.find(": \"")
        && let Some(end) = out[start + 3..].find('"')
    {
        out.replace_range(start..start + 3 + end + 1, ": a value");
    }
    out
}
