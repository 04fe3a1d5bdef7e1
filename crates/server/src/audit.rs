//! The audit trail's hook: every read of something above public (a
//! restricted item, record, file or receipt) and every export is noted with
//! who, what, when and from where. The archive keeps the trail and commits
//! it to the log (see `evident_archive::audit`).

use evident_archive::{Access, Archive, AuditEvent};

use crate::auth::Caller;
use crate::error::ApiError;

/// Notes that `caller` did `action` (`read`, `download`, `receipt`,
/// `export`, ...) on `target`, whose level is `level`. Public things read
/// by anyone are not noted (the portal is for everyone); everything else is.
pub(crate) fn note(
    archive: &mut Archive,
    caller: &Caller,
    action: &str,
    target: &str,
    level: Access,
) -> Result<(), ApiError> {
    if level == Access::Public && action != "export" {
        return Ok(());
    }
    let (actor, role) = match &caller.principal {
        Some(principal) => (principal.user.clone(), principal.role.name().to_owned()),
        None => ("(public)".to_owned(), "public".to_owned()),
    };
    archive.audit(&AuditEvent {
        actor,
        role,
        action: action.to_owned(),
        target: target.to_owned(),
        client: caller.client.clone(),
    })?;
    Ok(())
}
