//! Storage of the back-channel logout outbox (OpenID Connect Back-Channel Logout 1.0):
//! the [`LogoutNotice`] record, the [`LogoutScope`] of a change, and the
//! [`LogoutOutbox`] trait, implemented once for both backends in `store/sql/logout.rs`.
//!
//! A notice is the *work* of one logout token — which client, which account, which
//! session (`sid`) — never a signed token: the worker (`crate::oidc::backchannel_worker`)
//! mints the token when it delivers, with the key that signs then, and posts it only to
//! the URI the client has registered then. Notices are written inside the transaction
//! of the change they announce, by the store methods that end sessions or grants
//! (`end_session`, `revoke_consent`, `unlink_account`, `change_password`,
//! `reset_password`): the targets are read in that transaction, never before it.
//! Delivery is at least once, with a lease, as the mail outbox's.

use super::StoreResult;
use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// How long a claim by [`LogoutOutbox::due_logouts`] keeps other workers off a
/// notice; longer than any delivery's timeout.
pub const LOGOUT_LEASE_SECS: i64 = 120;

/// The public session id (`sid` of ID tokens and logout tokens) of the session with
/// this id hash: base64url of SHA-256 over a label and the stored hash.
///
/// Derived rather than stored: every grant and code already carries its session's
/// hash, so the `sid` of a token and of its logout agree without a new column, and
/// stay computable after the session row is gone (the logout is sent after it ends).
/// It reveals nothing of the cookie: the stored hash is already a one-way SHA-256 of
/// the random session id, and the label keeps the `sid` distinct from that hash, so
/// the value seen by relying parties cannot be looked up in the sessions table either.
pub fn public_sid(session_hash: &str) -> String {
    let mut input = b"propusk/sid/v1\0".to_vec();
    input.extend_from_slice(session_hash.as_bytes());
    crate::crypto::b64(&crate::crypto::sha256(&input))
}

/// Whose relying parties a change logs out. Only clients with a registered
/// `backchannel_logout_uri` get a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutScope<'a> {
    /// The session with this id hash: every client that received tokens in it (its
    /// grants, live or not), with the session's `sid`.
    Session(&'a str),
    /// Every client of the account: one notice per session of its live grants (with
    /// that session's `sid`), and one without `sid` for each client it consented to
    /// and holds no live grant of.
    Account(&'a str),
    /// As [`Self::Account`], but not the session with this id hash (a password change
    /// keeps the session it was made in).
    AccountExceptSession(&'a str, &'a str),
    /// As [`Self::Account`], for one client only (its consent revoked).
    AccountClient(&'a str, &'a str),
}

/// One logout token to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutNotice {
    /// A UUID v7 (time-ordered), as text; also the token's `jti`.
    pub id: String,
    pub client_id: String,
    pub account_id: String,
    /// The public session id (`crate::oidc::backchannel::sid`), when the session is known.
    pub sid: Option<String>,
    pub created_at: UnixTime,
    /// Failed delivery attempts so far.
    pub attempts: i64,
    /// When the worker may try next; `None` once it gave up.
    pub next_attempt_at: Option<UnixTime>,
    pub delivered_at: Option<UnixTime>,
    /// Why the last attempt failed (status or transport error; no body).
    pub last_error: Option<String>,
}

impl LogoutNotice {
    /// A new notice, due at once, with a UUID v7 of `now`.
    pub fn new(now: UnixTime, client_id: &str, account_id: &str, sid: Option<String>) -> Self {
        let random = crate::crypto::random_bytes();
        let mut counter = [0u8; 10];
        counter.copy_from_slice(&random[..10]);
        let millis = u64::try_from(now).unwrap_or(0).saturating_mul(1000);
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &counter).into_uuid().to_string();
        Self {
            id,
            client_id: client_id.to_owned(),
            account_id: account_id.to_owned(),
            sid,
            created_at: now,
            attempts: 0,
            next_attempt_at: Some(now),
            delivered_at: None,
            last_error: None,
        }
    }
}

/// The transactional logout outbox.
#[async_trait::async_trait]
pub trait LogoutOutbox: Send + Sync {
    /// Claims up to `limit` undelivered notices with `next_attempt_at <= now` that no
    /// other worker holds, oldest first, for [`LOGOUT_LEASE_SECS`] (as
    /// [`super::outbox::MailOutbox::due_mail`]: two callers never get the same notice).
    async fn due_logouts(&self, limit: i64) -> StoreResult<Vec<LogoutNotice>>;
    /// Marks a notice delivered and writes `audit`, in one transaction.
    async fn mark_logout_delivered(&self, id: &str, audit: &crate::audit::AuditEvent) -> StoreResult<()>;
    /// Counts a failed attempt, keeps `error`, schedules the next attempt (`None`: gives
    /// up) and writes `audit` when given, in one transaction; releases the claim.
    async fn mark_logout_failed(
        &self,
        id: &str,
        error: &str,
        next_attempt_at: Option<UnixTime>,
        audit: Option<&crate::audit::AuditEvent>,
    ) -> StoreResult<()>;
    /// The notices of an account, oldest first, whatever their state (tests, operations).
    async fn logouts_of_account(&self, account_id: &str) -> StoreResult<Vec<LogoutNotice>>;
}
