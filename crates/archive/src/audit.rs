//! The audit trail: reads of restricted material and exports, noted by the
//! server (who, what, when, from where).

use serde::Serialize;

use crate::{Archive, Result};

/// One audited act.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// the account (or `(public)`)
    pub actor: String,
    /// the account's role when it acted
    pub role: String,
    /// `read`, `download`, `receipt`, `export`, ...
    pub action: String,
    /// the item or record id, or what was exported
    pub target: String,
    /// the client's address
    pub client: String,
}

impl Archive {
    /// Notes an audited act.
    pub fn audit(&mut self, event: &AuditEvent) -> Result<()> {
        tracing::info!(actor = %event.actor, action = %event.action, target = %event.target, "audit");
        Ok(())
    }
}
