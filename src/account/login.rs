//! The legacy-credential check (organisation, login, password), used by the login
//! form and by account linking: throttled (AB-01), and silent about whether a login
//! exists (AB-03). Sessions and the `login_succeeded` event are the caller's job.

use super::password::{self, PasswordError};
use super::throttle::{Locked, LoginThrottle, login_key};
use crate::audit::{AuditEvent, LoginMethod};
use crate::crypto::SecretString;
use crate::store::{Account, Store, StoreError};
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong password, unknown login or disabled account: one answer for all three.
    #[error("bad credentials")]
    BadCredentials,
    /// Too many failures for this login or from this address.
    #[error("locked, retry after {retry_after:?}")]
    Locked { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored hash cannot be used (unsupported or malformed), or hashing failed.
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// Checks legacy credentials and returns the account. See the module docs.
pub async fn verify_legacy(
    store: &dyn Store,
    throttle: &LoginThrottle,
    org_id: &str,
    login: &str,
    password: &SecretString,
    ip: IpAddr,
) -> Result<Account, LoginError> {
    let key = login_key(org_id, login);
    let failed = |reason: &str| AuditEvent::LoginFailed {
        method: LoginMethod::Password,
        reason: reason.to_owned(),
        organisation_id: Some(org_id.to_owned()),
    };
    let attempt = match throttle.reserve(store, &key, ip).await? {
        Ok(attempt) => attempt,
        Err(Locked { retry_after }) => {
            store.append_audit(&failed("locked")).await?;
            return Err(LoginError::Locked { retry_after });
        }
    };
    if !attempt.delay.is_zero() {
        tokio::time::sleep(attempt.delay).await;
    }

    let Some(account) = store.account_by_login(org_id, login.trim()).await? else {
        password::burn(password).await;
        throttle.failed(store, &attempt).await?;
        store.append_audit(&failed("bad_credentials")).await?;
        return Err(LoginError::BadCredentials);
    };

    let verified = password::verify(&account.password_hash, password).await?;
    if !verified.ok || account.disabled {
        throttle.failed(store, &attempt).await?;
        let reason = if verified.ok { "disabled" } else { "bad_credentials" };
        store.append_audit(&failed(reason)).await?;
        return Err(LoginError::BadCredentials);
    }

    throttle.succeeded(store, &attempt).await?;
    if verified.needs_rehash {
        rehash(store, &account, password).await;
    }
    Ok(account)
}

/// Replaces a legacy hash with argon2id. A failure here does not fail the login:
/// the old hash still works and the next login tries again.
async fn rehash(store: &dyn Store, account: &Account, password: &SecretString) {
    let result = match password::hash(password).await {
        Ok(phc) => {
            let audit = AuditEvent::PasswordRehashed { account_id: account.id.clone() };
            store.set_password_hash(&account.id, &phc, &audit).await.map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = result {
        tracing::warn!(account_id = %account.id, %error, "password rehash failed");
    }
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
