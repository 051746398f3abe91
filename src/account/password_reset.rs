//! «Забыли пароль?»: a one-time link by email to set a new password.
//!
//! [`request_reset`] answers the same, in the same time, whether or not the login
//! exists or has an email (AB-03); it counts every request against the login and
//! the client address ([`reset_throttle`]) before looking anything up. The link carries a
//! 256-bit token stored only as its hash, lives [`RESET_TTL_SECS`] and is spent by
//! [`complete_reset`] in the same transaction that sets the password and ends
//! every session of the account.

use super::password::{self, PasswordError};
use super::password_mail;
use super::password_policy::{self, PolicyError};
use super::throttle::{Locked, LoginThrottle, login_key};
use crate::audit::AuditEvent;
use crate::clock::{Clock, UnixTime};
use crate::config::LoginConfig;
use crate::crypto::{self, SecretString};
use crate::store::passwords::PasswordReset;
use crate::store::{Account, Store, StoreError};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a reset link works: 30 minutes.
pub const RESET_TTL_SECS: i64 = 30 * 60;
/// Reset requests per login (in an organisation) per [`RESET_WINDOW_SECS`].
pub const RESET_MAX_PER_LOGIN: u32 = 3;
/// Reset requests per client address per [`RESET_WINDOW_SECS`].
pub const RESET_MAX_PER_IP: u32 = 20;
/// The throttle window, and how long a limit holds once reached: one hour.
pub const RESET_WINDOW_SECS: u64 = 3600;

/// The counters of reset requests (in the store, like the login's; a busy address
/// is refused: a reset signs no one in).
pub fn reset_throttle(clock: Arc<dyn Clock>, key: [u8; 32]) -> LoginThrottle {
    let config = LoginConfig {
        max_failures_per_login: RESET_MAX_PER_LOGIN,
        max_failures_per_ip: RESET_MAX_PER_IP,
        lock_secs: RESET_WINDOW_SECS,
        delay_step_ms: 0,
        ..LoginConfig::default()
    };
    LoginThrottle::new(&config, clock, key, "reset").refusing_busy_addresses()
}

/// Why a reset request was not taken.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("too many reset requests, retry after {retry_after:?}")]
    Locked { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// «Забыли пароль?» for `login` in `org_id`: counts the request, then looks the
/// account up and, when it exists, is not disabled and has an email, stores a new
/// link and mails it ([`send_link`]) — in a task of its own, so that the answer
/// takes the same time whatever the login (AB-03). `reset_url` is the page's
/// address; the token is appended. The task's handle is returned for tests.
pub async fn request_reset(
    store: Arc<dyn Store>,
    throttle: &LoginThrottle,
    org_id: &str,
    login: &str,
    ip: IpAddr,
    reset_url: &str,
    now: UnixTime,
) -> Result<tokio::task::JoinHandle<()>, RequestError> {
    let key = login_key(org_id, login);
    // Every request counts, known login or not: the limit reveals nothing.
    let attempt = match throttle.reserve(&*store, &key, ip).await? {
        Ok(attempt) => attempt,
        Err(Locked { retry_after }) => return Err(RequestError::Locked { retry_after }),
    };
    throttle.failed(&*store, &attempt).await?;
    if !attempt.delay.is_zero() {
        tokio::time::sleep(attempt.delay).await;
    }
    let (org_id, login, reset_url) = (org_id.to_owned(), login.trim().to_owned(), reset_url.to_owned());
    Ok(tokio::spawn(async move {
        if let Err(error) = send_link(&*store, &org_id, &login, &reset_url, now).await {
            tracing::warn!(%error, "password reset link not stored");
        }
    }))
}

/// The lookup and the link of [`request_reset`]: does nothing, silently, unless the
/// account exists, is not disabled and has an email.
pub async fn send_link(
    store: &dyn Store,
    org_id: &str,
    login: &str,
    reset_url: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    let Some(account) = store.account_by_login(org_id, login).await? else {
        return Ok(());
    };
    let Some(to) = account.email.as_deref().filter(|e| !e.is_empty() && !account.disabled) else {
        return Ok(());
    };
    let token = crypto::random_token();
    let reset = PasswordReset {
        token_hash: crypto::token_hash(&token),
        account_id: account.id.clone(),
        created_at: now,
        expires_at: now + RESET_TTL_SECS,
        used_at: None,
    };
    let link = format!("{reset_url}?token={token}");
    let mail = password_mail::reset_link(&account, &link, RESET_TTL_SECS / 60).message(now, to);
    let audit = AuditEvent::PasswordResetRequested { account_id: account.id.clone() };
    store.insert_password_reset(&reset, &mail, &audit).await
}

/// The account a link may still reset (unused, unexpired, account not disabled).
pub async fn link_target(store: &dyn Store, token: &str, now: UnixTime) -> Result<Option<Account>, StoreError> {
    if token.is_empty() {
        return Ok(None);
    }
    let Some(reset) = store.password_reset(&crypto::token_hash(token)).await? else {
        return Ok(None);
    };
    if !reset.usable(now) {
        return Ok(None);
    }
    Ok(store.account(&reset.account_id).await?.filter(|a| !a.disabled))
}

/// Why a new password was not set through a link.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Unknown, used or expired link (nothing changed).
    #[error("the link cannot be used")]
    Invalid,
    #[error("new password refused: {0:?}")]
    Policy(PolicyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// Sets the password through the link with `token`: checks the policy (and that
/// the new password is not the old one), hashes it, then spends the link, stores
/// the hash and ends every session in one transaction. Of parallel uses of one
/// link exactly one succeeds; the others get [`ResetError::Invalid`].
pub async fn complete_reset(
    store: &dyn Store,
    token: &str,
    new: &SecretString,
    repeat: &SecretString,
    now: UnixTime,
) -> Result<Account, ResetError> {
    let account = link_target(store, token, now).await?.ok_or(ResetError::Invalid)?;
    password_policy::check(new.expose(), repeat.expose(), &account.login, None).map_err(ResetError::Policy)?;
    // A stored hash that cannot be checked is not "the same password".
    if password::verify(&account.password_hash, new).await.is_ok_and(|v| v.ok) {
        return Err(ResetError::Policy(PolicyError::SameAsOld));
    }
    let phc = password::hash(new).await?;
    let audit = AuditEvent::PasswordReset { account_id: account.id.clone() };
    let notice = account.email.as_deref().map(|to| password_mail::changed(&account).message(now, to));
    let token_hash = crypto::token_hash(token);
    match store.reset_password(&token_hash, &account.id, &phc, &audit, notice.as_ref()).await? {
        Some(_) => Ok(account),
        None => Err(ResetError::Invalid),
    }
}
