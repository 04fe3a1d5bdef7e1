//! Who may open what is sealed, and the safe testimony intake's cases
//! (witness protection, issue 6): the tables `sealed_grant`, `intake_case`
//! and `intake_item` of schema version 8.
//!
//! A grant names one person (an account name) for one sealed target (an
//! item or a record); an intake case groups the sealed items of one
//! witness's testimony and its follow-ups, found again by the SHA-256 of
//! the witness's follow-up code (the code itself is never stored).

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::{Store, StoreError};

/// One person's access to one sealed item or record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedGrantRow {
    /// the sealed item (`itm_...`) or record (`per_...`, ...)
    pub target_id: String,
    /// the account granted access
    pub user_name: String,
    /// who granted it
    pub granted_by: String,
    /// when, RFC 3339 UTC
    pub granted_at: String,
}

/// One intake case: a witness's testimony and its follow-ups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntakeCaseRow {
    pub case_id: String,
    /// SHA-256, lowercase hex, of the follow-up code
    pub code_hash: String,
    /// RFC 3339 UTC
    pub created_at: String,
    /// how many items the case holds (ignored when a case is stored)
    pub items: u64,
}

/// One sealed item of an intake case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntakeItemRow {
    pub case_id: String,
    pub item_id: String,
    /// RFC 3339 UTC
    pub added_at: String,
}

impl Store {
    /// Grants `grant.user_name` access to `grant.target_id`, durably.
    /// Returns `false` (and changes nothing) if that person already had it.
    pub fn put_sealed_grant(&mut self, grant: &SealedGrantRow) -> Result<bool, StoreError> {
        let inserted = self.connection.execute(
            "INSERT OR IGNORE INTO sealed_grant (target_id, user_name, granted_by, granted_at) VALUES (?1, ?2, ?3, ?4)",
            params![grant.target_id, grant.user_name, grant.granted_by, grant.granted_at],
        )?;
        Ok(inserted > 0)
    }

    /// Removes one person's access to a target; returns whether there was any.
    pub fn remove_sealed_grant(&mut self, target_id: &str, user_name: &str) -> Result<bool, StoreError> {
        let removed = self
            .connection
            .execute("DELETE FROM sealed_grant WHERE target_id = ?1 AND user_name = ?2", [target_id, user_name])?;
        Ok(removed > 0)
    }

    /// The grants on a target, by user name.
    pub fn sealed_grants(&self, target_id: &str) -> Result<Vec<SealedGrantRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT target_id, user_name, granted_by, granted_at FROM sealed_grant WHERE target_id = ?1 \
             ORDER BY user_name",
        )?;
        let rows = statement
            .query_map([target_id], |row| {
                Ok(SealedGrantRow {
                    target_id: row.get(0)?,
                    user_name: row.get(1)?,
                    granted_by: row.get(2)?,
                    granted_at: row.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Whether `user_name` holds a grant on `target_id`.
    pub fn has_sealed_grant(&self, target_id: &str, user_name: &str) -> Result<bool, StoreError> {
        let mut statement =
            self.connection.prepare_cached("SELECT 1 FROM sealed_grant WHERE target_id = ?1 AND user_name = ?2")?;
        Ok(statement.query_row([target_id, user_name], |_| Ok(())).optional()?.is_some())
    }

    /// Stores intake items in one durable transaction, after creating
    /// `new_case` if one is given. A new case whose id or code hash is
    /// taken is [`StoreError::Duplicate`]; items of a case that does not
    /// exist are [`StoreError::NotFound`]; either way nothing is stored.
    pub fn put_intake(&mut self, new_case: Option<&IntakeCaseRow>, items: &[IntakeItemRow]) -> Result<(), StoreError> {
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(case) = new_case {
            match transaction.execute(
                "INSERT INTO intake_case (case_id, code_hash, created_at) VALUES (?1, ?2, ?3)",
                params![case.case_id, case.code_hash, case.created_at],
            ) {
                Ok(_) => {}
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                    return Err(StoreError::Duplicate(format!(
                        "intake case {} or its code already exists",
                        case.case_id
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
        {
            let mut exists = transaction.prepare_cached("SELECT 1 FROM intake_case WHERE case_id = ?1")?;
            let mut insert = transaction
                .prepare_cached("INSERT OR IGNORE INTO intake_item (case_id, item_id, added_at) VALUES (?1, ?2, ?3)")?;
            for item in items {
                if exists.query_row([&item.case_id], |_| Ok(())).optional()?.is_none() {
                    return Err(StoreError::NotFound(format!("no intake case {}", item.case_id)));
                }
                insert.execute(params![item.case_id, item.item_id, item.added_at])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// The case whose follow-up code has this SHA-256.
    pub fn intake_case_by_code_hash(&self, code_hash: &str) -> Result<Option<IntakeCaseRow>, StoreError> {
        self.intake_case_where("c.code_hash = ?1", code_hash)
    }

    /// One case, with its item count.
    pub fn intake_case(&self, case_id: &str) -> Result<Option<IntakeCaseRow>, StoreError> {
        self.intake_case_where("c.case_id = ?1", case_id)
    }

    fn intake_case_where(&self, condition: &str, value: &str) -> Result<Option<IntakeCaseRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT c.case_id, c.code_hash, c.created_at, \
             (SELECT COUNT(*) FROM intake_item i WHERE i.case_id = c.case_id) \
             FROM intake_case c WHERE {condition}"
        ))?;
        Ok(statement.query_row([value], intake_case_row).optional()?)
    }

    /// Every case with its item count, newest first.
    pub fn intake_cases(&self) -> Result<Vec<IntakeCaseRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT c.case_id, c.code_hash, c.created_at, \
             (SELECT COUNT(*) FROM intake_item i WHERE i.case_id = c.case_id) \
             FROM intake_case c ORDER BY c.created_at DESC, c.case_id DESC",
        )?;
        let rows = statement.query_map([], intake_case_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// A case's items, oldest first.
    pub fn intake_items(&self, case_id: &str) -> Result<Vec<IntakeItemRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT case_id, item_id, added_at FROM intake_item WHERE case_id = ?1 ORDER BY added_at, item_id",
        )?;
        let rows = statement
            .query_map([case_id], |row| {
                Ok(IntakeItemRow { case_id: row.get(0)?, item_id: row.get(1)?, added_at: row.get(2)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The case an item belongs to, if it came in through intake.
    pub fn intake_case_of_item(&self, item_id: &str) -> Result<Option<String>, StoreError> {
        let mut statement = self.connection.prepare_cached("SELECT case_id FROM intake_item WHERE item_id = ?1")?;
        Ok(statement.query_row([item_id], |row| row.get(0)).optional()?)
    }
}

fn intake_case_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<IntakeCaseRow> {
    Ok(IntakeCaseRow {
        case_id: row.get(0)?,
        code_hash: row.get(1)?,
        created_at: row.get(2)?,
        items: row.get::<_, i64>(3)?.try_into().unwrap_or(0),
    })
}
