//! Who may open what is sealed (witness protection, issue 6): a sealed
//! item or record is readable only by the people named for it, one grant
//! per person (`evident seal grant ITEM USER`), and by the `intake` role
//! for the items of its intake cases. Roles alone never open anything
//! sealed: an admin who needs to read a sealed item grants it to herself,
//! and that grant is in the audit trail.

use evident_store::SealedGrantRow;

use crate::{Archive, ArchiveError, AuditEvent, Result, Role, now_rfc3339};

impl Archive {
    /// Grants `user` access to the sealed item or record `target`, as
    /// `by`. Audited (`seal.grant`, target `TARGET USER`). Returns `false`
    /// if `user` had it already. The target must be a sealed item or a
    /// record, the user an account.
    pub fn grant_sealed(&mut self, target: &str, user: &str, by: &str) -> Result<bool> {
        self.grant_sealed_from(target, user, by, "cli", "cli")
    }

    /// As [`Archive::grant_sealed`], noting the granting account's role and
    /// client address in the audit trail (the server: an uploader is
    /// granted their own sealed upload).
    pub fn grant_sealed_from(&mut self, target: &str, user: &str, by: &str, role: &str, client: &str) -> Result<bool> {
        self.check_grant_target(target)?;
        if self.store.user(user)?.is_none() {
            return Err(ArchiveError::NotFound(format!("no account {user:?}; create it with `evident user add`")));
        }
        let grant = SealedGrantRow {
            target_id: target.to_owned(),
            user_name: user.to_owned(),
            granted_by: by.to_owned(),
            granted_at: now_rfc3339(),
        };
        let added = self.store.put_sealed_grant(&grant)?;
        self.audit_grant("seal.grant", target, user, (by, role, client))?;
        Ok(added)
    }

    /// Takes `user`'s access to `target` away, as `by`. Audited
    /// (`seal.revoke`). Returns `false` if there was none.
    pub fn revoke_sealed(&mut self, target: &str, user: &str, by: &str) -> Result<bool> {
        let removed = self.store.remove_sealed_grant(target, user)?;
        self.audit_grant("seal.revoke", target, user, (by, "cli", "cli"))?;
        Ok(removed)
    }

    /// The grants on a target, by user name.
    pub fn sealed_grants(&self, target: &str) -> Result<Vec<SealedGrantRow>> {
        Ok(self.store.sealed_grants(target)?)
    }

    /// Whether `user` (with `role`) may open the sealed `target`: a grant
    /// names them, or the role is `intake` and the target belongs to an
    /// intake case.
    pub fn may_open_sealed(&self, user: &str, role: Role, target: &str) -> Result<bool> {
        if self.store.has_sealed_grant(target, user)? {
            return Ok(true);
        }
        Ok(role == Role::Intake && self.store.intake_case_of_item(target)?.is_some())
    }

    fn check_grant_target(&self, target: &str) -> Result<()> {
        if target.starts_with("itm_") && self.store.item(target)?.is_some() {
            if self.store.sealed_item(target)?.is_none() {
                return Err(ArchiveError::Invalid(format!(
                    "{target} is not sealed; grants are only for sealed items and records"
                )));
            }
            return Ok(());
        }
        if self.record(target).is_ok() {
            return Ok(());
        }
        Err(ArchiveError::NotFound(format!("no sealed item or record {target} in this archive")))
    }

    fn audit_grant(&mut self, action: &str, target: &str, user: &str, by: (&str, &str, &str)) -> Result<()> {
        let (actor, role, client) = by;
        self.audit(&AuditEvent {
            actor: actor.to_owned(),
            role: role.to_owned(),
            action: action.to_owned(),
            target: format!("{target} {user}"),
            client: client.to_owned(),
        })?;
        Ok(())
    }
}
