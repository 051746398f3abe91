//! Storage of passwords set by their owners (issue 8): «Сменить пароль» on
//! `/account` and the «Забыли пароль?» reset links ([`PasswordReset`]), with the
//! [`PasswordStore`] trait implemented once for both backends in `store/sql/passwords.rs`.
//!
//! Each operation is one transaction: the new hash, the sessions it ends (and the
//! grants issued from them), the audit event and the email (outbox) commit together.

use super::StoreResult;
use super::outbox::OutboxMessage;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// One «Забыли пароль?» link. The token itself is only in the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// [`crate::crypto::token_hash`] of the token in the link.
    pub token_hash: String,
    pub account_id: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// Set once, by the reset that used the link (or by a later password change).
    pub used_at: Option<UnixTime>,
}

impl PasswordReset {
    /// Not used and not expired at `now`.
    pub fn usable(&self, now: UnixTime) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// «Сменить пароль» by the signed-in owner.
#[derive(Debug, Clone, Copy)]
pub struct PasswordChange<'a> {
    pub account_id: &'a str,
    /// The new hash (argon2id PHC string).
    pub phc: &'a str,
    /// The session the change was made in: it is kept, under a new id.
    pub session_hash: &'a str,
    /// The session's new id hash (the session is rotated).
    pub new_session_hash: &'a str,
}

#[async_trait::async_trait]
pub trait PasswordStore: Send + Sync {
    /// In one transaction: stores the hash; renames the session `session_hash` to
    /// `new_session_hash` (its grants follow it); ends every other session of the
    /// account and revokes every other grant of it with its refresh tokens; marks
    /// the account's unused reset links used; writes `audit` and enqueues `mail`.
    /// Returns how many sessions ended. Fails with [`super::StoreError::NotFound`],
    /// changing nothing, when the account or that session (of that account) is gone
    /// — of two parallel changes in one session exactly one succeeds.
    async fn change_password(
        &self,
        change: &PasswordChange<'_>,
        audit: &AuditEvent,
        mail: Option<&OutboxMessage>,
    ) -> StoreResult<u64>;

    /// Stores a new reset link with its email and `audit`, in one transaction
    /// (and forgets links that expired before now).
    async fn insert_password_reset(
        &self,
        reset: &PasswordReset,
        mail: &OutboxMessage,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// A reset link by its token hash, whatever its state.
    async fn password_reset(&self, token_hash: &str) -> StoreResult<Option<PasswordReset>>;

    /// Uses a reset link of `account_id` and sets the password, in one transaction:
    /// one `UPDATE … WHERE used_at IS NULL AND expires_at > now` spends the link;
    /// then the hash is stored, every session of the account ends, every grant of
    /// it is revoked, its other links are marked used, `audit` is written and
    /// `mail` enqueued. `None` (nothing changed) when the link is unknown, used,
    /// expired or of another account; otherwise how many sessions ended.
    async fn reset_password(
        &self,
        token_hash: &str,
        account_id: &str,
        phc: &str,
        audit: &AuditEvent,
        mail: Option<&OutboxMessage>,
    ) -> StoreResult<Option<u64>>;
}
