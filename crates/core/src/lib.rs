//! Evident's domain types: what an item id, a SHA-256 digest and a log entry
//! are, parsed from text and written back. No I/O happens here, so nothing in
//! this crate can fail for reasons other than bad input. Uncertain dates as
//! sources give them ("June-July 2017", "2018年初") are read into day ranges
//! in `date`.
//!
//! The log entry format is specified in `docs/log-entry.md`; the types here
//! are its only implementation, so a change to one is a change to the other.

mod date;
mod digest;
mod entry;
mod id;
mod record;

pub use date::{DateParse, DatePrecision, UncertainDate, UncertainDateError};
pub use digest::Sha256Hex;
pub use entry::ITEM_FORGET;
pub use entry::{
    AUDIT_BATCH, AUDIT_ID, ENTRY_FORMAT_VERSION, EntryCommitment, EntryFile, ITEM_ADD, ITEM_DERIVE, LogEntry,
    LogEntryError, MAX_ENTRY_BYTES, RECORD_VERSION, SEALED_ENTRY_FORMAT_VERSION,
};
pub use id::{ItemId, ItemIdError};
pub use record::{
    CheckedFields, FieldSpec, FieldType, RESERVED_FIELDS, RecordError, RecordId, RecordKind, field_specs,
    json_type_name, validate_fields,
};
pub use record::{
    SEALED_KEY, fields_to_seal, identifying_fields, is_sealed_placeholder, sealed_box, sealed_placeholder,
};
