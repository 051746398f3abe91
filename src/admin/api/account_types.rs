//! The admin API's account bodies with their OpenAPI schemas (ids and names only:
//! never a password hash, SNILS hash or match key).

use crate::account::names::full_name;
use crate::store::Account;
use serde::Serialize;
use utoipa::ToSchema;

/// An account as a search lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub login: String,
    pub organisation_id: String,
    /// `parent`, `pupil` or `staff`.
    pub role: String,
    pub name: String,
    pub disabled: bool,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.clone(),
            login: a.login.clone(),
            organisation_id: a.organisation_id.clone(),
            role: a.role.as_str().to_owned(),
            name: full_name(&a.surname, &a.given_name, a.patronymic.as_deref()),
            disabled: a.disabled,
        }
    }
}

/// A page of a search's accounts by name, at most `limit`: `limited` says more matched,
/// and `next_cursor` (`?cursor=`, with the same `q`) asks for the next page; `null` on
/// the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub accounts: Vec<AccountView>,
    pub limited: bool,
    pub next_cursor: Option<String>,
}

/// One ESIA link of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    /// `auto`, `credentials`, `account` or `staff`.
    pub method: String,
    pub created_at: i64,
}

/// One live session of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// `pwd` or `esia`.
    pub amr: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// One live grant of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub client_id: String,
    pub scope: String,
    pub created_at: i64,
}

/// An account with its links, live sessions and live grants.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDetail {
    pub account: AccountView,
    pub links: Vec<LinkView>,
    pub sessions: Vec<SessionView>,
    pub grants: Vec<GrantView>,
}

/// What an account action did: `count` links removed, sessions ended or grants
/// revoked (0 for disable and enable).
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDone {
    pub account_id: String,
    pub action: String,
    pub count: u64,
}

/// `revoke-grants`: of one client, or (absent) every grant.
#[derive(Debug, Default, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeGrants {
    pub client_id: Option<String>,
}

/// One staff role as stored: `organisation_id` `null` for `system-admin`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffRoleView {
    pub account_id: String,
    pub role: String,
    pub organisation_id: Option<String>,
    pub granted_at: i64,
    /// `cli`, an admin's account id or `client:ID`.
    pub granted_by: String,
}

impl From<crate::store::roles::RoleRow> for StaffRoleView {
    fn from(r: crate::store::roles::RoleRow) -> Self {
        Self {
            account_id: r.account_id,
            role: r.role,
            organisation_id: Some(r.organisation_id).filter(|o| !o.is_empty()),
            granted_at: r.granted_at,
            granted_by: r.granted_by,
        }
    }
}

/// One page of staff roles by account, role and organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffRoleList {
    pub roles: Vec<StaffRoleView>,
    pub next_cursor: Option<String>,
}

/// A staff role to grant or revoke: `reviewer` and `org-admin` in `org` (id or exact
/// name; absent: the account's own organisation), `system-admin` without.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffRoleChange {
    pub account_id: String,
    pub role: String,
    #[serde(default)]
    pub org: Option<String>,
}

/// A staff role granted; `granted` is `false` when the account held it already.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffRoleGranted {
    pub role: StaffRoleView,
    pub granted: bool,
}
