//! Records with sealed fields: the SQLite side of
//! [`MetadataStore::put_sealed_record_keys`](crate::MetadataStore::put_sealed_record_keys) and
//! [`MetadataStore::sealed_record_key`](crate::MetadataStore::sealed_record_key). A record's
//! data key is stored only wrapped under the archive's key-encryption key
//! (`docs/sealing.md`, "Sealed record fields").

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::{Store, StoreError};

impl Store {
    /// Stores records' wrapped data keys in one durable transaction, each
    /// replacing the record's stored key if it has one.
    pub fn put_sealed_record_keys(&mut self, rows: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO sealed_record_key (record_id, wrapped_key) VALUES (?1, ?2)
                 ON CONFLICT (record_id) DO UPDATE SET wrapped_key = excluded.wrapped_key",
            )?;
            for (record_id, wrapped_key) in rows {
                insert.execute(params![record_id, wrapped_key])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// A record's wrapped data key, if it has sealed fields.
    pub fn sealed_record_key(&self, record_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut statement =
            self.connection.prepare_cached("SELECT wrapped_key FROM sealed_record_key WHERE record_id = ?1")?;
        Ok(statement.query_row([record_id], |row| row.get(0)).optional()?)
    }
}
