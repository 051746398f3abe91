//! The console's frame (pure): its sections, which roles open each, the navigation
//! every admin page shows, and the fresh-login rule (`admin.max_age_secs`).

use super::roles::{self, Held};
use crate::clock::UnixTime;

/// A section of the console (`/admin/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// «Обращения»: access requests (any staff role, per organisation).
    Requests,
    /// «Учетные записи»: accounts, their links, sessions and grants (`org-admin` of the
    /// account's organisation, or `system-admin`).
    Accounts,
    /// «Клиенты»: relying parties and their consents (`system-admin`).
    Clients,
    /// «Ключи»: signing keys (`system-admin`).
    Keys,
    /// «Аудит»: the audit log (`system-admin`).
    Audit,
}

impl Section {
    pub const ALL: [Self; 5] = [Self::Requests, Self::Accounts, Self::Clients, Self::Keys, Self::Audit];

    pub fn label(self) -> &'static str {
        match self {
            Self::Requests => "Обращения",
            Self::Accounts => "Учетные записи",
            Self::Clients => "Клиенты",
            Self::Keys => "Ключи",
            Self::Audit => "Аудит",
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            Self::Requests => "/admin/requests",
            Self::Accounts => "/admin/accounts",
            Self::Clients => "/admin/clients",
            Self::Keys => "/admin/keys",
            Self::Audit => "/admin/audit",
        }
    }

    /// Whether `roles` open this section at all (per-object checks come after).
    pub fn opens(self, roles: &[Held]) -> bool {
        match self {
            Self::Requests => roles::reviews_any(roles),
            Self::Accounts => roles::administers_any(roles),
            Self::Clients | Self::Keys | Self::Audit => roles::is_system_admin(roles),
        }
    }

    /// The page shown to staff whose roles do not open this section.
    pub fn refusal(self) -> &'static str {
        match self {
            Self::Requests => {
                "Раздел «Обращения» доступен только сотрудникам организации, которым поручено рассматривать обращения."
            }
            Self::Accounts => "Раздел «Учетные записи» доступен только администраторам организации.",
            Self::Clients | Self::Keys | Self::Audit => "Этот раздел доступен только администратору системы.",
        }
    }
}

/// One link of the console's navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// The sections `roles` open, `current` marked.
pub fn nav(roles: &[Held], current: Section) -> Vec<NavLink> {
    Section::ALL
        .into_iter()
        .filter(|s| s.opens(roles))
        .map(|s| NavLink { label: s.label(), href: s.href(), current: s == current })
        .collect()
}

/// Where `/admin` lands: the first section the roles open.
pub fn landing(roles: &[Held]) -> Section {
    Section::ALL.into_iter().find(|s| s.opens(roles)).unwrap_or(Section::Requests)
}

/// Whether a sign-in at `auth_time` is fresh enough for an admin page at `now`.
pub fn fresh(auth_time: UnixTime, now: UnixTime, max_age_secs: u64) -> bool {
    now.saturating_sub(auth_time) <= i64::try_from(max_age_secs).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::roles::StaffRole;

    fn held(role: StaffRole, org: Option<&str>) -> Held {
        Held { role, organisation_id: org.map(str::to_owned) }
    }

    #[test]
    fn each_role_sees_its_sections() {
        let labels = |roles: &[Held]| nav(roles, Section::Requests).iter().map(|l| l.label).collect::<Vec<_>>();
        assert_eq!(labels(&[held(StaffRole::Reviewer, Some("a"))]), ["Обращения"]);
        assert_eq!(labels(&[held(StaffRole::OrgAdmin, Some("a"))]), ["Обращения", "Учетные записи"]);
        assert_eq!(
            labels(&[held(StaffRole::SystemAdmin, None)]),
            ["Обращения", "Учетные записи", "Клиенты", "Ключи", "Аудит"]
        );
        assert!(labels(&[]).is_empty());
        assert_eq!(landing(&[held(StaffRole::OrgAdmin, Some("a"))]), Section::Requests);
    }

    #[test]
    fn the_current_section_is_marked() {
        let links = nav(&[held(StaffRole::SystemAdmin, None)], Section::Keys);
        let current: Vec<_> = links.iter().filter(|l| l.current).map(|l| l.href).collect();
        assert_eq!(current, ["/admin/keys"]);
    }

    #[test]
    fn a_sign_in_is_fresh_up_to_max_age() {
        assert!(fresh(1_000, 1_000, 1800));
        assert!(fresh(1_000, 2_800, 1800));
        assert!(!fresh(1_000, 2_801, 1800));
        // A clock that went back is not a reason to refuse.
        assert!(fresh(2_000, 1_000, 60));
    }
}
