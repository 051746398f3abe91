//! What a staff member may do (pure): the roles `reviewer` and `org-admin` hold for
//! one organisation, `system-admin` for every organisation. The directory's review
//! permission counts as `reviewer` of the account's own organisation. Only an enabled
//! staff account holds any role (docs/admin.md).

use crate::store::model::{Account, Role};
use crate::store::roles::RoleRow;

/// A staff role as `propusk staff grant` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StaffRole {
    /// Reviews the access requests of one organisation.
    Reviewer,
    /// An organisation's staff, accounts and requests.
    OrgAdmin,
    /// The whole installation: clients, keys, audit, every organisation.
    SystemAdmin,
}

impl StaffRole {
    pub const ALL: [Self; 3] = [Self::Reviewer, Self::OrgAdmin, Self::SystemAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reviewer => "reviewer",
            Self::OrgAdmin => "org-admin",
            Self::SystemAdmin => "system-admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role is held for one organisation (else installation-wide).
    pub fn per_organisation(self) -> bool {
        self != Self::SystemAdmin
    }
}

/// One role an account holds, in its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub role: StaffRole,
    /// `None` for `system-admin`.
    pub organisation_id: Option<String>,
}

/// The roles `account` holds: its stored `rows` (unknown role names are ignored) and
/// the directory's review permission. Nothing for a non-staff or disabled account.
pub fn held(account: &Account, rows: &[RoleRow]) -> Vec<Held> {
    if account.role != Role::Staff || account.disabled {
        return Vec::new();
    }
    let mut out: Vec<Held> = rows
        .iter()
        .filter(|r| r.account_id == account.id)
        .filter_map(|r| {
            let role = StaffRole::parse(&r.role)?;
            let organisation_id = role.per_organisation().then(|| r.organisation_id.clone());
            Some(Held { role, organisation_id })
        })
        .collect();
    if account.can_review_requests {
        out.push(Held { role: StaffRole::Reviewer, organisation_id: Some(account.organisation_id.clone()) });
    }
    out
}

/// The admin roles a client holds (the admin API's bearer callers): `system-admin`
/// or `org-admin` of one organisation; any other stored name is ignored.
pub fn client_held(rows: &[RoleRow]) -> Vec<Held> {
    rows.iter()
        .filter_map(|r| match StaffRole::parse(&r.role)? {
            StaffRole::SystemAdmin => Some(Held { role: StaffRole::SystemAdmin, organisation_id: None }),
            StaffRole::OrgAdmin if !r.organisation_id.is_empty() => {
                Some(Held { role: StaffRole::OrgAdmin, organisation_id: Some(r.organisation_id.clone()) })
            }
            _ => None,
        })
        .collect()
}

/// Whether the roles allow reviewing the access requests of `organisation_id`.
pub fn may_review(roles: &[Held], organisation_id: &str) -> bool {
    roles.iter().any(|h| match h.role {
        StaffRole::SystemAdmin => true,
        StaffRole::Reviewer | StaffRole::OrgAdmin => h.organisation_id.as_deref() == Some(organisation_id),
    })
}

/// Whether the roles allow reviewing anything at all (the «Обращения» section).
pub fn reviews_any(roles: &[Held]) -> bool {
    !roles.is_empty()
}

/// Whether the roles include `system-admin` (clients, keys, audit, every organisation).
pub fn is_system_admin(roles: &[Held]) -> bool {
    roles.iter().any(|h| h.role == StaffRole::SystemAdmin)
}

/// Whether the roles allow administering the accounts of `organisation_id`:
/// `org-admin` of it, or `system-admin`.
pub fn administers(roles: &[Held], organisation_id: &str) -> bool {
    roles.iter().any(|h| match h.role {
        StaffRole::SystemAdmin => true,
        StaffRole::OrgAdmin => h.organisation_id.as_deref() == Some(organisation_id),
        StaffRole::Reviewer => false,
    })
}

/// Whether the roles allow administering any organisation's accounts (the
/// «Учетные записи» section).
pub fn administers_any(roles: &[Held]) -> bool {
    roles.iter().any(|h| h.role != StaffRole::Reviewer)
}

/// The organisations whose accounts the roles administer: `None` for every
/// organisation (`system-admin`), else those of `org-admin` (sorted, once each).
pub fn administered(roles: &[Held]) -> Option<Vec<String>> {
    if is_system_admin(roles) {
        return None;
    }
    let mut orgs: Vec<String> =
        roles.iter().filter(|h| h.role == StaffRole::OrgAdmin).filter_map(|h| h.organisation_id.clone()).collect();
    orgs.sort();
    orgs.dedup();
    Some(orgs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn staff(org: &str, permission: bool) -> Account {
        Account {
            id: "acc".into(),
            subject: "acc".into(),
            organisation_id: org.into(),
            login: "petrov.teacher".into(),
            password_hash: String::new(),
            role: Role::Staff,
            can_review_requests: permission,
            surname: "Петров".into(),
            given_name: "Пётр".into(),
            patronymic: None,
            birth_date: "1979-01-30".into(),
            snils_hash: None,
            match_key: String::new(),
            class_id: None,
            email: None,
            phone: None,
            disabled: false,
            created_at: 0,
        }
    }

    fn row(role: &str, org: &str) -> RoleRow {
        RoleRow {
            account_id: "acc".into(),
            role: role.into(),
            organisation_id: org.into(),
            granted_at: 0,
            granted_by: "cli".into(),
        }
    }

    #[test]
    fn role_names_round_trip() {
        for r in StaffRole::ALL {
            assert_eq!(StaffRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(StaffRole::parse("admin"), None);
        assert_eq!(StaffRole::parse("Reviewer"), None);
    }

    /// (account org, directory permission, stored roles, organisation asked, may review)
    type Case = (&'static str, bool, &'static [(&'static str, &'static str)], &'static str, bool);

    #[test]
    fn may_review_table() {
        let cases: &[Case] = &[
            ("a", false, &[], "a", false),
            ("a", true, &[], "a", true),
            ("a", true, &[], "b", false),
            ("a", false, &[("reviewer", "a")], "a", true),
            ("a", false, &[("reviewer", "b")], "a", false),
            ("a", false, &[("reviewer", "b")], "b", true),
            ("a", false, &[("org-admin", "a")], "a", true),
            ("a", false, &[("org-admin", "a")], "b", false),
            ("a", false, &[("system-admin", "")], "b", true),
            ("a", false, &[("system-admin", "")], "a", true),
            ("a", false, &[("superuser", "")], "a", false),
        ];
        for (i, (org, permission, rows, asked, want)) in cases.iter().enumerate() {
            let rows: Vec<RoleRow> = rows.iter().map(|(r, o)| row(r, o)).collect();
            let roles = held(&staff(org, *permission), &rows);
            assert_eq!(may_review(&roles, asked), *want, "case {i}");
        }
    }

    #[test]
    fn who_administers_what() {
        let roles = |rows: &[(&str, &str)]| {
            let rows: Vec<RoleRow> = rows.iter().map(|(r, o)| row(r, o)).collect();
            held(&staff("a", false), &rows)
        };
        let reviewer = roles(&[("reviewer", "a")]);
        assert!(!administers(&reviewer, "a") && !administers_any(&reviewer) && !is_system_admin(&reviewer));
        let org_admin = roles(&[("org-admin", "a")]);
        assert!(administers(&org_admin, "a") && !administers(&org_admin, "b"));
        assert!(administers_any(&org_admin) && !is_system_admin(&org_admin));
        let system = roles(&[("system-admin", "")]);
        assert!(administers(&system, "a") && administers(&system, "b") && is_system_admin(&system));
        assert!(!administers_any(&roles(&[])));
    }

    #[test]
    fn administered_organisations() {
        let roles = |rows: &[(&str, &str)]| {
            let rows: Vec<RoleRow> = rows.iter().map(|(r, o)| row(r, o)).collect();
            held(&staff("a", true), &rows)
        };
        assert_eq!(administered(&roles(&[("reviewer", "b")])), Some(vec![]));
        assert_eq!(administered(&roles(&[("org-admin", "c"), ("org-admin", "b")])), Some(vec!["b".into(), "c".into()]));
        assert_eq!(administered(&roles(&[("org-admin", "b"), ("system-admin", "")])), None);
    }

    #[test]
    fn a_disabled_or_non_staff_account_holds_nothing() {
        let rows = vec![row("system-admin", "")];
        let mut a = staff("a", true);
        a.disabled = true;
        assert!(held(&a, &rows).is_empty());
        let mut p = staff("a", true);
        p.role = Role::Parent;
        assert!(held(&p, &rows).is_empty());
        assert!(!reviews_any(&held(&p, &rows)));
    }
}
