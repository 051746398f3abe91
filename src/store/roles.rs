//! Roles of staff accounts ([`RoleStore`]): granted and revoked with their audit
//! event in one transaction; implemented once for both backends in `store/sql/roles.rs`.
//! What a role allows is decided by `admin::roles` (pure).

use super::StoreResult;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;

/// One role of one account (or, for [`RoleStore::client_admin_roles`], of one
/// client: its id in `account_id`), as stored. `organisation_id` is empty for an
/// installation-wide role (`system-admin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub account_id: String,
    pub role: String,
    pub organisation_id: String,
    pub granted_at: UnixTime,
    /// Who granted it: `cli` or the account id of a system admin.
    pub granted_by: String,
}

#[async_trait::async_trait]
pub trait RoleStore: Send + Sync {
    /// Stores the role with `audit`, in one transaction. `false` (and no event) when
    /// the account holds that role already.
    async fn grant_role(&self, role: &RoleRow, audit: &AuditEvent) -> StoreResult<bool>;
    /// Removes the role with `audit`, in one transaction. `false` (and no event) when
    /// the account did not hold it.
    async fn revoke_role(
        &self,
        account_id: &str,
        role: &str,
        organisation_id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// The roles of one account.
    async fn roles_of(&self, account_id: &str) -> StoreResult<Vec<RoleRow>>;
    /// Every role granted, by account.
    async fn all_roles(&self) -> StoreResult<Vec<RoleRow>>;
    /// Stores a client's admin role (`account_id` of `role` is the client id) with
    /// `audit`, in one transaction. `false` (and no event) when it holds it already or
    /// there is no such client.
    async fn grant_client_role(&self, role: &RoleRow, audit: &AuditEvent) -> StoreResult<bool>;
    /// Removes a client's admin role with `audit`, in one transaction. `false` (and no
    /// event) when the client did not hold it.
    async fn revoke_client_role(
        &self,
        client_id: &str,
        role: &str,
        organisation_id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// The admin roles of one client (its id in `account_id`).
    async fn client_admin_roles(&self, client_id: &str) -> StoreResult<Vec<RoleRow>>;
}
