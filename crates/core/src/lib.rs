//! Evident's domain types: what an item id, a SHA-256 digest and a log entry
//! are, parsed from text and written back. No I/O happens here, so nothing in
//! this crate can fail for reasons other than bad input.
//!
//! The log entry format is specified in `docs/log-entry.md`; the types here
//! are its only implementation, so a change to one is a change to the other.

mod digest;
mod entry;
mod id;

pub use digest::Sha256Hex;
pub use entry::{ENTRY_FORMAT_VERSION, EntryFile, ITEM_ADD, LogEntry, LogEntryError, MAX_ENTRY_BYTES};
pub use id::{ItemId, ItemIdError};
