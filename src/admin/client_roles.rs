//! Admin roles of clients, the admin API's bearer callers: `system-admin` or
//! `org-admin` of one organisation (never `reviewer`). Granted and revoked by
//! `propusk clients grant-role|revoke-role` and by a system admin through the API,
//! both through [`grant`] and [`revoke`]: one store call each, with its audit event
//! (`client_role_granted`, `client_role_revoked`, `by`) in the same transaction.

use super::roles::StaffRole;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::store::roles::RoleRow;
use crate::store::{Store, StoreError};

/// Why a client's role was not granted or revoked.
#[derive(Debug, thiserror::Error)]
pub enum ClientRoleError {
    #[error("a client's role is system-admin or org-admin")]
    UnknownRole,
    #[error("org-admin needs an organisation (--org)")]
    OrgRequired,
    #[error("system-admin holds for the installation: no organisation")]
    OrgNotAllowed,
    #[error("no such organisation")]
    UnknownOrganisation,
    #[error("no such client")]
    NoClient,
    #[error("the client does not hold this role")]
    NotHeld,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The role `role` in the scope `org` asks for (pure): the role and its stored
/// organisation id (empty for `system-admin`).
pub fn scope_of(role: &str, org: Option<&str>) -> Result<(StaffRole, String), ClientRoleError> {
    let org = org.map(str::trim).filter(|o| !o.is_empty());
    match (StaffRole::parse(role), org) {
        (Some(StaffRole::SystemAdmin), None) => Ok((StaffRole::SystemAdmin, String::new())),
        (Some(StaffRole::SystemAdmin), Some(_)) => Err(ClientRoleError::OrgNotAllowed),
        (Some(StaffRole::OrgAdmin), Some(o)) => Ok((StaffRole::OrgAdmin, o.to_owned())),
        (Some(StaffRole::OrgAdmin), None) => Err(ClientRoleError::OrgRequired),
        (Some(StaffRole::Reviewer) | None, _) => Err(ClientRoleError::UnknownRole),
    }
}

/// Grants `role` (in `org`) to client `client_id`; `false` when it held it already.
pub async fn grant(
    store: &dyn Store,
    now: UnixTime,
    client_id: &str,
    role: &str,
    org: Option<&str>,
    by: &str,
) -> Result<(RoleRow, bool), ClientRoleError> {
    let (role, organisation_id) = scope_of(role, org)?;
    if !organisation_id.is_empty() && store.organisation(&organisation_id).await?.is_none() {
        return Err(ClientRoleError::UnknownOrganisation);
    }
    if store.client(client_id).await?.is_none() {
        return Err(ClientRoleError::NoClient);
    }
    let row = RoleRow {
        account_id: client_id.to_owned(),
        role: role.as_str().to_owned(),
        organisation_id,
        granted_at: now,
        granted_by: by.to_owned(),
    };
    let event = AuditEvent::ClientRoleGranted {
        client_id: client_id.to_owned(),
        role: row.role.clone(),
        organisation_id: row.organisation_id.clone(),
        by: by.to_owned(),
    };
    let added = store.grant_client_role(&row, &event).await?;
    Ok((row, added))
}

/// Revokes `role` (in `org`) of client `client_id`.
pub async fn revoke(
    store: &dyn Store,
    client_id: &str,
    role: &str,
    org: Option<&str>,
    by: &str,
) -> Result<(), ClientRoleError> {
    let (role, organisation_id) = scope_of(role, org)?;
    let event = AuditEvent::ClientRoleRevoked {
        client_id: client_id.to_owned(),
        role: role.as_str().to_owned(),
        organisation_id: organisation_id.clone(),
        by: by.to_owned(),
    };
    if !store.revoke_client_role(client_id, role.as_str(), &organisation_id, &event).await? {
        return Err(ClientRoleError::NotHeld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_system_admin_alone_or_org_admin_of_one_organisation() {
        assert!(matches!(scope_of("system-admin", None), Ok((StaffRole::SystemAdmin, o)) if o.is_empty()));
        assert!(matches!(scope_of("system-admin", Some(" ")), Ok((StaffRole::SystemAdmin, _))));
        assert!(matches!(scope_of("org-admin", Some("school1")), Ok((StaffRole::OrgAdmin, o)) if o == "school1"));
        assert!(matches!(scope_of("system-admin", Some("school1")), Err(ClientRoleError::OrgNotAllowed)));
        assert!(matches!(scope_of("org-admin", None), Err(ClientRoleError::OrgRequired)));
        assert!(matches!(scope_of("reviewer", Some("school1")), Err(ClientRoleError::UnknownRole)));
        assert!(matches!(scope_of("root", None), Err(ClientRoleError::UnknownRole)));
    }
}
