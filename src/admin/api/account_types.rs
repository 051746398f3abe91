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

/// A search's accounts by name, at most `limit`: `limited` says more matched (narrow
/// the query); a search has no further page, so `next_cursor` is always `null`.
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
