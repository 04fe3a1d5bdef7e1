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

use crate::records::{Change, parse_fields, prepare_version};
use crate::{Archive, ArchiveError, Result};

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

        // Pass two: re-read the file and stream the planned rows into one
        // transaction. Rows are read, checked and digested on a second
        // thread while this one writes them to the store.
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
                for raw in reader.filter_map(|row| row.ok()) {
                    let Some(plan) = plans.remove(&raw.line) else { continue };
                    let create = Change { change: "create", retracted: false, actor: &actor, reason: &reason };
                    let first = prepare_version(&plan.id, 1, raw.fields.clone(), &create).map(|p| p.version);
                    let mut versions = vec![first];
                    if raw.retracted {
                        let retract = Change {
                            change: "retract",
                            retracted: true,
                            actor: &actor,
                            reason: "retracted in the imported data",
                        };
                        versions.push(prepare_version(&plan.id, 2, raw.fields, &retract).map(|p| p.version));
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
        let checked = validate_fields(kind, &raw.fields).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| match e {
                    evident_core::RecordError::Field { field, detail } => (Some(field), detail),
                    other => (None, other.to_string()),
                })
                .collect::<Vec<_>>()
        })?;
        let references = checked.references.into_iter().map(|(field, to)| (field, to.to_string())).collect();
        Ok((RowPlan { id, references }, checked.warnings))
    }

    fn exists(&self, id: &str) -> Result<bool> {
        Ok(self.store.record(id)?.is_some() || self.store.item(id)?.is_some())
    }

    /// Writes the records of a kind (or all kinds) to `out`; returns how many.
    pub fn export(&self, kind: Option<RecordKind>, format: Format, out: Box<dyn std::io::Write>) -> Result<u64> {
        let mut writer = RecordWriter::new(out, format, kind).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let mut failure = None;
        self.store.for_each_record(kind.map(|k| k.name()), &mut |row| {
            let fields: Map<String, Value> = match parse_fields(&row) {
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
