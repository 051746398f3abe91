//! Storage of the console's «Учетные записи» ([`AccountConsole`]): search by the
//! folded name (`accounts.name_key`) or the login, an account's live sessions and
//! grants, and what an administrator does to them — each change one transaction with
//! its audit event; implemented once for both backends in `store/sql/console.rs`.

use super::{Account, Grant, Session, StoreResult};
use crate::audit::AuditEvent;

/// What a console search asks for.
#[derive(Debug, Clone, Copy)]
pub struct AccountSearch<'a> {
    /// The organisations searched; `None`: every organisation (a system admin).
    pub organisations: Option<&'a [String]>,
    /// The query's words folded by `account::names_key::search_words`: each must be a
    /// prefix of some word of the name. Empty: no condition on the name.
    pub words: &'a [String],
    /// The query as typed, lower-cased: a prefix of the login also finds the account.
    /// Empty: no condition on the login.
    pub login: &'a str,
    /// At most this many accounts, by name.
    pub limit: i64,
    /// Only accounts after this one in the search's order: the next page.
    pub after: Option<&'a SearchKey>,
}

/// An account's place in a search's order — `name_key`, then `login`, then `id` (unique,
/// so no two accounts share a place). A page that starts after the previous page's last
/// key (keyset paging) neither repeats nor skips an account when accounts are added or
/// removed meanwhile: each one is either before the key or after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchKey {
    /// `accounts.name_key`, as every writer computes it ([`crate::account::names_key::name_key`]).
    pub name_key: String,
    pub login: String,
    pub id: String,
}

impl SearchKey {
    /// The place of `a` in the order of a search.
    pub fn of(a: &Account) -> Self {
        Self {
            name_key: crate::account::names_key::name_key(&a.surname, &a.given_name, a.patronymic.as_deref()),
            login: a.login.clone(),
            id: a.id.clone(),
        }
    }
}

/// What [`AccountConsole::set_account_disabled`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disabled {
    /// The flag changed (it was not already so).
    pub changed: bool,
    pub sessions_ended: u64,
    pub grants_revoked: u64,
}

#[async_trait::async_trait]
pub trait AccountConsole: Send + Sync {
    /// Accounts of `search.organisations` whose name matches every word or whose
    /// login starts with `search.login`, by name ([`SearchKey`]'s order), after
    /// `search.after` when given, at most `search.limit`. With neither words nor login:
    /// the organisations' first accounts by name.
    async fn search_accounts(&self, search: &AccountSearch<'_>) -> StoreResult<Vec<Account>>;
    /// The account's sessions that have not expired, newest first.
    async fn sessions_of_account(&self, account_id: &str) -> StoreResult<Vec<Session>>;
    /// The account's grants neither revoked nor expired, by client then newest first.
    async fn live_grants_of_account(&self, account_id: &str) -> StoreResult<Vec<Grant>>;
    /// Ends every session of the account, with `audit`, in one transaction (the
    /// grants stay: revoking them is [`Self::revoke_grants_of_account`]). Returns how
    /// many sessions ended.
    async fn end_sessions_of_account(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<u64>;
    /// Revokes the account's live grants — of one `client`, or all — with their
    /// refresh tokens, and spends its unused codes (of that client), with `audit`, in
    /// one transaction. Returns how many grants were revoked.
    async fn revoke_grants_of_account(
        &self,
        account_id: &str,
        client: Option<&str>,
        audit: &AuditEvent,
    ) -> StoreResult<u64>;
    /// Sets `accounts.disabled`; disabling also ends every session of the account,
    /// revokes every grant and spends every unused code, all with `audit` in one
    /// transaction. [`super::StoreError::NotFound`] (nothing written) for an unknown account.
    async fn set_account_disabled(&self, account_id: &str, disabled: bool, audit: &AuditEvent)
    -> StoreResult<Disabled>;
}
