//! Granting and revoking staff roles, shared by `propusk staff grant|revoke` and the
//! admin API (`/admin/api/v1/staff/roles`): the rule of who may hold which role where
//! ([`scope_of`], pure) and one store call each with its audit event (`role_granted`,
//! `role_revoked`, `by`) in the same transaction.

use super::roles::StaffRole;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::store::roles::RoleRow;
use crate::store::{Account, Organisation, Role, Store, StoreError};

/// Why a staff role was not granted or revoked.
#[derive(Debug, thiserror::Error)]
pub enum StaffRoleError {
    #[error("unknown role (reviewer, org-admin or system-admin)")]
    UnknownRole,
    #[error("not a staff account; roles are for staff only")]
    NotStaff,
    #[error("the account is disabled")]
    Disabled,
    #[error("system-admin holds for every organisation")]
    OrgNotAllowed,
    #[error("no such organisation")]
    UnknownOrganisation,
    /// The account does not hold the role in this organisation (its id; empty for
    /// `system-admin`).
    #[error("the account does not hold this role")]
    NotHeld(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The organisation `key` names: its id, or its exact name.
pub fn find_org<'a>(orgs: &'a [Organisation], key: &str) -> Option<&'a Organisation> {
    orgs.iter().find(|o| o.id == key).or_else(|| orgs.iter().find(|o| o.name == key))
}

/// The role `role` of `account` in `org` (pure): the role and the organisation id it
/// holds for — empty for `system-admin`, the account's own when `org` is absent.
pub fn scope_of(
    account: &Account,
    role: &str,
    org: Option<&str>,
    orgs: &[Organisation],
) -> Result<(StaffRole, String), StaffRoleError> {
    let role = StaffRole::parse(role).ok_or(StaffRoleError::UnknownRole)?;
    if account.role != Role::Staff {
        return Err(StaffRoleError::NotStaff);
    }
    if account.disabled {
        return Err(StaffRoleError::Disabled);
    }
    let org = match (role.per_organisation(), org) {
        (false, Some(_)) => return Err(StaffRoleError::OrgNotAllowed),
        (false, None) => String::new(),
        (true, None) => account.organisation_id.clone(),
        (true, Some(o)) => find_org(orgs, o).ok_or(StaffRoleError::UnknownOrganisation)?.id.clone(),
    };
    Ok((role, org))
}

/// Grants `role` (in `org`) to `account`; `false` when it held it already.
pub async fn grant(
    store: &dyn Store,
    now: UnixTime,
    account: &Account,
    role: &str,
    org: Option<&str>,
    by: &str,
) -> Result<(RoleRow, bool), StaffRoleError> {
    let (role, organisation_id) = scope_of(account, role, org, &store.organisations().await?)?;
    let row = RoleRow {
        account_id: account.id.clone(),
        role: role.as_str().to_owned(),
        organisation_id,
        granted_at: now,
        granted_by: by.to_owned(),
    };
    let event = AuditEvent::RoleGranted {
        account_id: account.id.clone(),
        role: row.role.clone(),
        organisation_id: row.organisation_id.clone(),
        by: by.to_owned(),
    };
    let added = store.grant_role(&row, &event).await?;
    Ok((row, added))
}

/// Revokes `role` (in `org`) of `account`: the role and organisation id revoked.
pub async fn revoke(
    store: &dyn Store,
    account: &Account,
    role: &str,
    org: Option<&str>,
    by: &str,
) -> Result<(StaffRole, String), StaffRoleError> {
    let (role, organisation_id) = scope_of(account, role, org, &store.organisations().await?)?;
    let event = AuditEvent::RoleRevoked {
        account_id: account.id.clone(),
        role: role.as_str().to_owned(),
        organisation_id: organisation_id.clone(),
        by: by.to_owned(),
    };
    if !store.revoke_role(&account.id, role.as_str(), &organisation_id, &event).await? {
        return Err(StaffRoleError::NotHeld(organisation_id));
    }
    Ok((role, organisation_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OrgKind;

    fn account(role: Role, disabled: bool) -> Account {
        Account {
            id: "acc".into(),
            subject: "acc".into(),
            organisation_id: "school1".into(),
            login: "petrov.teacher".into(),
            password_hash: String::new(),
            role,
            can_review_requests: false,
            surname: "Петров".into(),
            given_name: "Пётр".into(),
            patronymic: None,
            birth_date: "1979-01-30".into(),
            snils_hash: None,
            match_key: String::new(),
            class_id: None,
            email: None,
            phone: None,
            disabled,
            created_at: 0,
        }
    }

    #[test]
    fn who_may_hold_which_role_where() {
        let orgs = [Organisation {
            id: "gymn2".into(),
            kind: OrgKind::School,
            region: String::new(),
            municipality: String::new(),
            locality: String::new(),
            org_type: String::new(),
            name: "Гимназия №2".into(),
        }];
        let staff = account(Role::Staff, false);
        let ok = |role, org| scope_of(&staff, role, org, &orgs).map(|(r, o)| (r.as_str(), o)).ok();
        assert_eq!(ok("reviewer", None), Some(("reviewer", "school1".into())), "the account's own by default");
        assert_eq!(ok("org-admin", Some("gymn2")), Some(("org-admin", "gymn2".into())));
        assert_eq!(ok("org-admin", Some("Гимназия №2")), Some(("org-admin", "gymn2".into())), "by its exact name");
        assert_eq!(ok("system-admin", None), Some(("system-admin", String::new())));
        let err = |a: &Account, role, org| scope_of(a, role, org, &orgs).err().map(|e| e.to_string());
        let e = |x: StaffRoleError| Some(x.to_string());
        assert_eq!(err(&staff, "root", None), e(StaffRoleError::UnknownRole));
        assert_eq!(err(&staff, "system-admin", Some("gymn2")), e(StaffRoleError::OrgNotAllowed));
        assert_eq!(err(&staff, "reviewer", Some("nowhere")), e(StaffRoleError::UnknownOrganisation));
        assert_eq!(err(&account(Role::Parent, false), "reviewer", None), e(StaffRoleError::NotStaff));
        assert_eq!(err(&account(Role::Staff, true), "reviewer", None), e(StaffRoleError::Disabled));
    }
}
