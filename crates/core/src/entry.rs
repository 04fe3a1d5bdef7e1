//! Log entries: the bytes that become leaves of the transparency log.
//!
//! An entry is one line of canonical JSON (format in `docs/log-entry.md`):
//! fixed key order, no insignificant whitespace, UTF-8. Decoding re-encodes
//! and compares, so every entry has exactly one byte form and a verifier that
//! re-serialises an entry gets the bytes that were hashed.

use serde::{Deserialize, Serialize};

use crate::{ItemId, Sha256Hex};

/// The entry format version written into every entry as `"v"` (except the
/// entries of sealed items, which are [`SEALED_ENTRY_FORMAT_VERSION`]).
pub const ENTRY_FORMAT_VERSION: u32 = 1;

/// The format version of an `item.add` entry for a sealed item: its files
/// are committed to with salted commitments (`commitments`) instead of plain
/// digests (`files`), so that the public log cannot be used to test a guess.
pub const SEALED_ENTRY_FORMAT_VERSION: u32 = 2;

/// C2SP entry bundles prefix each entry with a 16-bit length.
pub const MAX_ENTRY_BYTES: usize = 65_535;

#[derive(Debug, thiserror::Error)]
pub enum LogEntryError {
    #[error("log entry is not valid entry JSON: {0}")]
    Json(String),
    #[error("log entry has format version {0}; this evident reads versions 1 and 2")]
    UnknownVersion(u32),
    #[error("log entry is not in canonical form (it would re-encode to different bytes)")]
    NotCanonical,
    #[error("log entry field {field}: {detail}")]
    Field { field: &'static str, detail: String },
    #[error("log entry is {0} bytes, over the limit of 65535")]
    TooLarge(usize),
}

/// One file of an object version, as the log commits to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryFile {
    /// logical path inside the OCFL object
    pub name: String,
    /// SHA-256 of the file's bytes, lowercase hex
    pub sha256: String,
    pub size: u64,
}

/// One file of a sealed item's version, as the log commits to it: a salted
/// commitment (docs/sealing.md) to the file's plaintext, never its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryCommitment {
    /// logical path inside the OCFL object (the part the commitment covers)
    pub name: String,
    /// the salted commitment, 64 lowercase hex digits
    pub commitment: String,
}

/// A log entry. `kind` is the event; fields appear in the JSON in the order
/// declared here, and optional fields are left out when absent (each event
/// type has exactly one set of fields, so the form stays canonical).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: String,
    /// the item or record the event concerns
    pub id: String,
    /// the version the event created, `v1`, `v2`, ...
    pub version: String,
    /// RFC 3339 UTC time, whole seconds: `2026-11-30T03:45:00Z`
    pub time: String,
    /// who caused the event
    pub actor: String,
    /// `record.version`: the record's kind
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// `item.add`: SHA-256 of the object's root `inventory.json` after the event
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<String>,
    /// `record.version`: SHA-256 of the version document (docs/log-entry.md)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `item.add`: the evidence files the version holds
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<EntryFile>>,
    /// `item.add` of a sealed item (version 2): salted commitments to its
    /// files, in place of `files`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitments: Option<Vec<EntryCommitment>>,
    /// `audit.batch`: the sequence number of the batch's first audit event
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
    /// `audit.batch`: the sequence number of its last audit event
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<u64>,
    /// `item.derive`: the item the derivative (`id`) was made from
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `item.derive`: the log index of the source's `item.add` entry, which
    /// precedes this entry
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_index: Option<u64>,
}

/// The event kind for a newly added item.
pub const ITEM_ADD: &str = "item.add";
/// The event kind for a new version of a record (created, edited or retracted).
pub const RECORD_VERSION: &str = "record.version";
/// The event kind that commits a batch of the audit trail.
pub const AUDIT_BATCH: &str = "audit.batch";
/// The `id` of every `audit.batch` entry.
pub const AUDIT_ID: &str = "audit";
/// The event kind that records the forgetting of a sealed item: its data
/// key was destroyed (crypto-shredding); `digest` is a salted commitment to
/// the reason, which stays in the archive.
pub const ITEM_FORGET: &str = "item.forget";
/// The event kind that links a derivative item (a redacted copy) to the
/// item it was made from.
pub const ITEM_DERIVE: &str = "item.derive";

impl LogEntry {
    /// The entry for a newly added item.
    pub fn item_add(
        id: &ItemId,
        time: String,
        actor: String,
        inventory: &Sha256Hex,
        files: Vec<EntryFile>,
    ) -> LogEntry {
        LogEntry {
            v: ENTRY_FORMAT_VERSION,
            kind: ITEM_ADD.to_owned(),
            id: id.as_str().to_owned(),
            version: "v1".to_owned(),
            time,
            actor,
            record: None,
            inventory: Some(inventory.as_str().to_owned()),
            digest: None,
            files: Some(files),
            commitments: None,
            first: None,
            last: None,
            source: None,
            source_index: None,
        }
    }

    /// The entry for a newly added sealed item (format version 2): salted
    /// commitments to its files instead of their digests and sizes.
    pub fn sealed_item_add(
        id: &ItemId,
        time: String,
        actor: String,
        inventory: &Sha256Hex,
        commitments: Vec<EntryCommitment>,
    ) -> LogEntry {
        LogEntry {
            v: SEALED_ENTRY_FORMAT_VERSION,
            kind: ITEM_ADD.to_owned(),
            id: id.as_str().to_owned(),
            version: "v1".to_owned(),
            time,
            actor,
            record: None,
            inventory: Some(inventory.as_str().to_owned()),
            digest: None,
            files: None,
            commitments: Some(commitments),
            first: None,
            last: None,
            source: None,
            source_index: None,
        }
    }

    /// The entry for a new version of a record.
    pub fn record_version(
        id: &str,
        kind: &str,
        version: u32,
        time: String,
        actor: String,
        digest: &Sha256Hex,
    ) -> LogEntry {
        LogEntry {
            v: ENTRY_FORMAT_VERSION,
            kind: RECORD_VERSION.to_owned(),
            id: id.to_owned(),
            version: format!("v{version}"),
            time,
            actor,
            record: Some(kind.to_owned()),
            inventory: None,
            digest: Some(digest.as_str().to_owned()),
            files: None,
            commitments: None,
            first: None,
            last: None,
            source: None,
            source_index: None,
        }
    }

    /// The entry committing audit events `first..=last` as batch `batch`
    /// (`digest`: SHA-256 of their canonical lines, docs/log-entry.md).
    pub fn audit_batch(batch: u64, time: String, actor: String, digest: &Sha256Hex, first: u64, last: u64) -> LogEntry {
        LogEntry {
            v: ENTRY_FORMAT_VERSION,
            kind: AUDIT_BATCH.to_owned(),
            id: AUDIT_ID.to_owned(),
            version: format!("v{batch}"),
            time,
            actor,
            record: None,
            inventory: None,
            digest: Some(digest.as_str().to_owned()),
            files: None,
            commitments: None,
            first: Some(first),
            last: Some(last),
            source: None,
            source_index: None,
        }
    }

    /// The entry linking a derivative item (`id`, a redacted copy, whose own
    /// `item.add` entry precedes this one) to the item it was made from and
    /// that item's `item.add` entry (`source_index`).
    pub fn item_derive(id: &ItemId, time: String, actor: String, source: &ItemId, source_index: u64) -> LogEntry {
        LogEntry {
            v: ENTRY_FORMAT_VERSION,
            kind: ITEM_DERIVE.to_owned(),
            id: id.as_str().to_owned(),
            version: "v1".to_owned(),
            time,
            actor,
            record: None,
            inventory: None,
            digest: None,
            files: None,
            commitments: None,
            first: None,
            last: None,
            source: Some(source.as_str().to_owned()),
            source_index: Some(source_index),
        }
    }

    /// The entry recording that a sealed item was forgotten, as the item's
    /// version `version` (2 or more; its `item.add` was `v1`). `digest` is
    /// the salted digest of the forgetting (docs/log-entry.md), never the
    /// reason itself.
    pub fn item_forget(id: &ItemId, version: u32, time: String, actor: String, digest: &Sha256Hex) -> LogEntry {
        // Every other field absent: built on the audit batch's, whose other
        // optional fields are absent too.
        LogEntry {
            kind: ITEM_FORGET.to_owned(),
            id: id.as_str().to_owned(),
            version: format!("v{version}"),
            first: None,
            last: None,
            ..LogEntry::audit_batch(0, time, actor, digest, 0, 0)
        }
    }

    /// The files of an `item.add` entry (none for other events).
    pub fn files(&self) -> &[EntryFile] {
        self.files.as_deref().unwrap_or(&[])
    }

    /// The salted commitments of a sealed item's `item.add` entry (none for
    /// other entries).
    pub fn commitments(&self) -> &[EntryCommitment] {
        self.commitments.as_deref().unwrap_or(&[])
    }

    /// Whether this is the entry of a sealed item (it carries commitments,
    /// not digests).
    pub fn is_sealed(&self) -> bool {
        self.commitments.is_some()
    }

    /// The canonical bytes. Fails only if the entry would be too large for a
    /// bundle or a field is invalid, so nothing invalid reaches the log.
    pub fn encode(&self) -> Result<Vec<u8>, LogEntryError> {
        self.check_fields()?;
        let bytes = serde_json::to_vec(self).map_err(|e| LogEntryError::Json(e.to_string()))?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(LogEntryError::TooLarge(bytes.len()));
        }
        Ok(bytes)
    }

    /// Parses entry bytes; refuses unknown versions, unknown fields and any
    /// byte form other than the canonical one.
    pub fn decode(bytes: &[u8]) -> Result<LogEntry, LogEntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(LogEntryError::TooLarge(bytes.len()));
        }
        let version: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| LogEntryError::Json(e.to_string()))?;
        match version.get("v").and_then(|v| v.as_u64()) {
            Some(1 | 2) => {}
            Some(other) => return Err(LogEntryError::UnknownVersion(u32::try_from(other).unwrap_or(u32::MAX))),
            None => return Err(LogEntryError::Field { field: "v", detail: "missing or not a number".to_owned() }),
        }
        let entry: LogEntry = serde_json::from_slice(bytes).map_err(|e| LogEntryError::Json(e.to_string()))?;
        if entry.encode()? != bytes {
            return Err(LogEntryError::NotCanonical);
        }
        Ok(entry)
    }

    fn check_fields(&self) -> Result<(), LogEntryError> {
        let field = |field, detail: String| Err(LogEntryError::Field { field, detail });
        if self.v != ENTRY_FORMAT_VERSION && self.v != SEALED_ENTRY_FORMAT_VERSION {
            return Err(LogEntryError::UnknownVersion(self.v));
        }
        // Version 2 is exactly the sealed item.add; nothing else uses it.
        let sealed = self.commitments.is_some();
        if sealed != (self.v == SEALED_ENTRY_FORMAT_VERSION) {
            return field("v", "commitments appear in version 2 item.add entries, and only there".to_owned());
        }
        if self.kind.is_empty() {
            return field("type", "empty".to_owned());
        }
        if self.time.len() != 20 || !self.time.ends_with('Z') {
            return field("time", format!("{:?} is not RFC 3339 UTC with whole seconds", self.time));
        }
        match self.kind.as_str() {
            ITEM_ADD => {
                ItemId::parse(&self.id).map_err(|e| LogEntryError::Field { field: "id", detail: e.to_string() })?;
                let inventory = self
                    .inventory
                    .as_deref()
                    .ok_or(LogEntryError::Field { field: "inventory", detail: "missing".to_owned() })?;
                Sha256Hex::parse(inventory).map_err(|detail| LogEntryError::Field { field: "inventory", detail })?;
                if sealed {
                    if self.files.is_some() {
                        return field("files", "a sealed item.add entry carries commitments, not files".to_owned());
                    }
                    for file in self.commitments() {
                        if file.name.is_empty() {
                            return field("commitments.name", "empty".to_owned());
                        }
                        Sha256Hex::parse(&file.commitment)
                            .map_err(|detail| LogEntryError::Field { field: "commitments.commitment", detail })?;
                    }
                } else {
                    let files = self
                        .files
                        .as_deref()
                        .ok_or(LogEntryError::Field { field: "files", detail: "missing".to_owned() })?;
                    for file in files {
                        Sha256Hex::parse(&file.sha256)
                            .map_err(|detail| LogEntryError::Field { field: "files.sha256", detail })?;
                    }
                }
                if self.record.is_some() || self.digest.is_some() || self.first.is_some() || self.last.is_some() {
                    return field("type", "an item.add entry has no record, digest, first or last field".to_owned());
                }
            }
            RECORD_VERSION => {
                let id = crate::RecordId::parse(&self.id)
                    .map_err(|e| LogEntryError::Field { field: "id", detail: e.to_string() })?;
                let kind = self
                    .record
                    .as_deref()
                    .ok_or(LogEntryError::Field { field: "record", detail: "missing".to_owned() })?;
                if kind != id.kind().name() {
                    return field("record", format!("{kind:?} is not the kind of {id}"));
                }
                let digest = self
                    .digest
                    .as_deref()
                    .ok_or(LogEntryError::Field { field: "digest", detail: "missing".to_owned() })?;
                Sha256Hex::parse(digest).map_err(|detail| LogEntryError::Field { field: "digest", detail })?;
                if self.inventory.is_some() || self.files.is_some() || self.first.is_some() || self.last.is_some() {
                    return field(
                        "type",
                        "a record.version entry has no inventory, files, first or last field".to_owned(),
                    );
                }
            }
            AUDIT_BATCH => {
                if self.id != AUDIT_ID {
                    return field("id", format!("{:?}: an audit.batch entry's id is \"audit\"", self.id));
                }
                let digest = self
                    .digest
                    .as_deref()
                    .ok_or(LogEntryError::Field { field: "digest", detail: "missing".to_owned() })?;
                Sha256Hex::parse(digest).map_err(|detail| LogEntryError::Field { field: "digest", detail })?;
                match (self.first, self.last) {
                    (Some(first), Some(last)) if first <= last => {}
                    _ => return field("first", "an audit.batch entry needs first <= last".to_owned()),
                }
                if self.record.is_some() || self.inventory.is_some() || self.files.is_some() {
                    return field("type", "an audit.batch entry has no record, inventory or files field".to_owned());
                }
            }
            ITEM_DERIVE => {
                ItemId::parse(&self.id).map_err(|e| LogEntryError::Field { field: "id", detail: e.to_string() })?;
                let source = self
                    .source
                    .as_deref()
                    .ok_or(LogEntryError::Field { field: "source", detail: "missing".to_owned() })?;
                ItemId::parse(source).map_err(|e| LogEntryError::Field { field: "source", detail: e.to_string() })?;
                if source == self.id {
                    return field("source", "an item is not derived from itself".to_owned());
                }
                if self.source_index.is_none() {
                    return field("source_index", "missing".to_owned());
                }
                if self.record.is_some()
                    || self.inventory.is_some()
                    || self.digest.is_some()
                    || self.files.is_some()
                    || self.first.is_some()
                    || self.last.is_some()
                {
                    return field("type", "an item.derive entry has only source and source_index".to_owned());
                }
            }
            ITEM_FORGET => {
                ItemId::parse(&self.id).map_err(|e| LogEntryError::Field { field: "id", detail: e.to_string() })?;
                let digest = self
                    .digest
                    .as_deref()
                    .ok_or(LogEntryError::Field { field: "digest", detail: "missing".to_owned() })?;
                Sha256Hex::parse(digest).map_err(|detail| LogEntryError::Field { field: "digest", detail })?;
                if self.version.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()).is_none_or(|n| n < 2) {
                    return field("version", format!("{:?}: an item.forget entry is v2 or later", self.version));
                }
                if self.record.is_some()
                    || self.inventory.is_some()
                    || self.files.is_some()
                    || self.first.is_some()
                    || self.last.is_some()
                {
                    return field(
                        "type",
                        "an item.forget entry has no record, inventory, files, first or last field".to_owned(),
                    );
                }
            }
            _ => {}
        }
        if self.kind != ITEM_DERIVE && (self.source.is_some() || self.source_index.is_some()) {
            return field("source", "only item.derive entries have source and source_index".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LogEntry {
        LogEntry::item_add(
            &ItemId::new(1_700_000_000_000, [7; 10]),
            "2026-11-30T03:45:00Z".to_owned(),
            "investigator".to_owned(),
            &Sha256Hex::from_bytes([1; 32]),
            vec![EntryFile { name: "file.pdf".to_owned(), sha256: "ab".repeat(32), size: 12 }],
        )
    }

    #[test]
    fn encodes_in_the_documented_order() {
        let text = String::from_utf8(sample().encode().unwrap()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"v\":1,\"type\":\"item.add\",\"id\":\"{}\",\"version\":\"v1\",\"time\":\"2026-11-30T03:45:00Z\",\"actor\":\"investigator\",\"inventory\":\"{}\",\"files\":[{{\"name\":\"file.pdf\",\"sha256\":\"{}\",\"size\":12}}]}}",
                sample().id,
                "01".repeat(32),
                "ab".repeat(32)
            )
        );
        assert_eq!(LogEntry::decode(text.as_bytes()).unwrap(), sample());
    }

    #[test]
    fn refuses_non_canonical_and_unknown_input() {
        let text = String::from_utf8(sample().encode().unwrap()).unwrap();
        let spaced = text.replace("\"v\":1", "\"v\": 1");
        assert!(matches!(LogEntry::decode(spaced.as_bytes()), Err(LogEntryError::NotCanonical)));
        let extra = text.replacen('{', "{\"x\":1,", 1);
        assert!(matches!(LogEntry::decode(extra.as_bytes()), Err(LogEntryError::Json(_))));
        let v3 = text.replace("\"v\":1", "\"v\":3");
        assert!(matches!(LogEntry::decode(v3.as_bytes()), Err(LogEntryError::UnknownVersion(3))));
        // version 2 is only the sealed item.add, which carries commitments, not files
        let v2 = text.replace("\"v\":1", "\"v\":2");
        assert!(matches!(LogEntry::decode(v2.as_bytes()), Err(LogEntryError::Field { field: "v", .. })));
        let upper = text.replace(&"ab".repeat(32), &"AB".repeat(32));
        assert!(matches!(LogEntry::decode(upper.as_bytes()), Err(LogEntryError::Field { field: "files.sha256", .. })));
        assert!(LogEntry::decode(b"not json").is_err());
    }

    fn sealed_sample() -> LogEntry {
        LogEntry::sealed_item_add(
            &ItemId::new(1_700_000_000_000, [7; 10]),
            "2026-11-30T03:45:00Z".to_owned(),
            "intake".to_owned(),
            &Sha256Hex::from_bytes([1; 32]),
            vec![EntryCommitment { name: "file.evseal".to_owned(), commitment: "cd".repeat(32) }],
        )
    }

    #[test]
    fn sealed_item_entries_are_version_2_with_commitments_only() {
        let entry = sealed_sample();
        let text = String::from_utf8(entry.encode().unwrap()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"v\":2,\"type\":\"item.add\",\"id\":\"{}\",\"version\":\"v1\",\"time\":\"2026-11-30T03:45:00Z\",\"actor\":\"intake\",\"inventory\":\"{}\",\"commitments\":[{{\"name\":\"file.evseal\",\"commitment\":\"{}\"}}]}}",
                entry.id,
                "01".repeat(32),
                "cd".repeat(32)
            )
        );
        let decoded = LogEntry::decode(text.as_bytes()).unwrap();
        assert!(decoded.is_sealed() && decoded.files().is_empty());
        assert_eq!(decoded.commitments()[0].commitment, "cd".repeat(32));
        // a sealed entry claiming version 1, or carrying files as well, is refused
        let v1 = text.replace("\"v\":2", "\"v\":1");
        assert!(matches!(LogEntry::decode(v1.as_bytes()), Err(LogEntryError::Field { field: "v", .. })));
        let mut both = sealed_sample();
        both.files = Some(vec![]);
        assert!(matches!(both.encode(), Err(LogEntryError::Field { field: "files", .. })));
        let bad = text.replace(&"cd".repeat(32), "cd");
        assert!(matches!(
            LogEntry::decode(bad.as_bytes()),
            Err(LogEntryError::Field { field: "commitments.commitment", .. })
        ));
        // version 1 entries stay readable
        assert!(!LogEntry::decode(&sample().encode().unwrap()).unwrap().is_sealed());
    }

    #[test]
    fn derive_entries_encode_in_the_documented_order_and_are_checked() {
        let derivative = ItemId::parse("itm_01jdx4m6q8c1v7yb2k9e3r5t0b").unwrap();
        let source = ItemId::parse("itm_01jdx4m6q8c1v7yb2k9e3r5t0a").unwrap();
        let entry =
            LogEntry::item_derive(&derivative, "2026-11-30T03:45:00Z".to_owned(), "alice".to_owned(), &source, 7);
        let bytes = entry.encode().unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"v":1,"type":"item.derive","id":"itm_01jdx4m6q8c1v7yb2k9e3r5t0b","version":"v1","time":"2026-11-30T03:45:00Z","actor":"alice","source":"itm_01jdx4m6q8c1v7yb2k9e3r5t0a","source_index":7}"#
        );
        assert_eq!(LogEntry::decode(&bytes).unwrap(), entry);
        let mut own = entry.clone();
        own.source = Some(derivative.as_str().to_owned());
        assert!(own.encode().is_err());
        let mut no_index = entry.clone();
        no_index.source_index = None;
        assert!(no_index.encode().is_err());
        let mut with_files = entry.clone();
        with_files.files = Some(Vec::new());
        assert!(with_files.encode().is_err());
        let mut stray = sample();
        stray.source = Some(source.as_str().to_owned());
        assert!(stray.encode().is_err());
    }

    #[test]
    fn audit_batches_encode_in_the_documented_order_and_are_checked() {
        let entry = LogEntry::audit_batch(
            3,
            "2026-11-30T03:45:00Z".to_owned(),
            "evident".to_owned(),
            &Sha256Hex::from_bytes([2; 32]),
            41,
            57,
        );
        let text = String::from_utf8(entry.encode().unwrap()).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"v\":1,\"type\":\"audit.batch\",\"id\":\"audit\",\"version\":\"v3\",\"time\":\"2026-11-30T03:45:00Z\",\"actor\":\"evident\",\"digest\":\"{}\",\"first\":41,\"last\":57}}",
                "02".repeat(32)
            )
        );
        assert_eq!(LogEntry::decode(text.as_bytes()).unwrap(), entry);
        let backwards = text.replace("\"first\":41", "\"first\":58");
        assert!(matches!(LogEntry::decode(backwards.as_bytes()), Err(LogEntryError::Field { field: "first", .. })));
        let other_id = text.replace("\"id\":\"audit\"", "\"id\":\"itm_x\"");
        assert!(matches!(LogEntry::decode(other_id.as_bytes()), Err(LogEntryError::Field { field: "id", .. })));
        let mut with_first = sample();
        with_first.first = Some(1);
        assert!(with_first.encode().is_err());
    }

    #[test]
    fn forget_entries_encode_in_the_documented_order_and_are_checked() {
        let id = ItemId::new(1_700_000_000_000, [7; 10]);
        let digest = Sha256Hex::from_bytes([3; 32]);
        let entry = LogEntry::item_forget(&id, 2, "2026-11-30T12:00:00Z".to_owned(), "alice".to_owned(), &digest);
        let bytes = entry.encode().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            format!(
                "{{\"v\":1,\"type\":\"item.forget\",\"id\":\"{id}\",\"version\":\"v2\",\"time\":\"2026-11-30T12:00:00Z\",\"actor\":\"alice\",\"digest\":\"{}\"}}",
                digest.as_str()
            )
        );
        assert_eq!(LogEntry::decode(&bytes).unwrap(), entry);
        let mut first = entry.clone();
        first.version = "v1".to_owned();
        assert!(first.encode().is_err());
        let mut no_digest = entry.clone();
        no_digest.digest = None;
        assert!(no_digest.encode().is_err());
        let mut with_inventory = entry;
        with_inventory.inventory = Some(digest.as_str().to_owned());
        assert!(with_inventory.encode().is_err());
    }
}
