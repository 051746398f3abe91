//! «Сменить пароль»: the signed-in owner sets a new password by typing the current
//! one. Throttled like the login (AB-01: a wrong current password is a failure of
//! that login), checked against [`super::password_policy`], hashed with argon2id
//! off the async runtime, and stored by [`PasswordStore::change_password`] with the
//! audit event and the owner's notice: every other session of the account ends,
//! this one is kept under a new id.

use super::password::{self, PasswordError};
use super::password_mail;
use super::password_policy::{self, PolicyError};
use super::throttle::{Locked, LoginThrottle, login_key};
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::crypto::SecretString;
use crate::store::passwords::PasswordChange;
use crate::store::{Account, Session, Store, StoreError};
use std::net::IpAddr;
use std::time::Duration;

/// Why the password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// A field left empty.
    #[error("missing field")]
    Missing,
    #[error("new password refused: {0:?}")]
    Policy(PolicyError),
    /// The current password is wrong (counted as a failed login).
    #[error("wrong current password")]
    BadCurrent,
    /// Too many failures for this login or from this address.
    #[error("locked, retry after {retry_after:?}")]
    Locked { retry_after: Duration },
    /// The session ended meanwhile (logout, or a change made elsewhere).
    #[error("session gone")]
    SessionGone,
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl From<StoreError> for ChangeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::SessionGone,
            other => Self::Store(other),
        }
    }
}

/// What the person typed, from where, and when.
#[derive(Debug)]
pub struct ChangeRequest {
    pub current: SecretString,
    pub new: SecretString,
    pub repeat: SecretString,
    pub ip: IpAddr,
    pub now: UnixTime,
}

/// Changes the password of `account` from its `session`; the session is renamed to
/// `new_session_hash`. Returns how many other sessions ended.
pub async fn change_password(
    store: &dyn Store,
    throttle: &LoginThrottle,
    account: &Account,
    session: &Session,
    form: &ChangeRequest,
    new_session_hash: &str,
) -> Result<u64, ChangeError> {
    let (ip, now) = (form.ip, form.now);
    if form.current.is_empty() || form.new.is_empty() || form.repeat.is_empty() {
        return Err(ChangeError::Missing);
    }
    let key = login_key(&account.organisation_id, &account.login);
    let refused =
        |reason: &str| AuditEvent::PasswordChangeRefused { account_id: account.id.clone(), reason: reason.to_owned() };
    password_policy::check(form.new.expose(), form.repeat.expose(), &account.login, Some(form.current.expose()))
        .map_err(ChangeError::Policy)?;
    let attempt = match throttle.reserve(store, &key, ip).await? {
        Ok(attempt) => attempt,
        Err(Locked { retry_after }) => {
            store.append_audit(&refused("locked")).await?;
            return Err(ChangeError::Locked { retry_after });
        }
    };
    if !attempt.delay.is_zero() {
        tokio::time::sleep(attempt.delay).await;
    }
    if !password::verify(&account.password_hash, &form.current).await?.ok {
        throttle.failed(store, &attempt).await?;
        store.append_audit(&refused("bad_current")).await?;
        return Err(ChangeError::BadCurrent);
    }
    let phc = password::hash(&form.new).await?;
    let change =
        PasswordChange { account_id: &account.id, phc: &phc, session_hash: &session.id_hash, new_session_hash };
    let audit = AuditEvent::PasswordChanged { account_id: account.id.clone(), by: "owner".into() };
    let notice = account.email.as_deref().map(|to| password_mail::changed(account).message(now, to));
    let ended = store.change_password(&change, &audit, notice.as_ref()).await?;
    throttle.succeeded(store, &attempt).await?;
    Ok(ended)
}
