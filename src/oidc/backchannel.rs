//! OpenID Connect Back-Channel Logout 1.0, the pure part: the registration rule of a
//! `backchannel_logout_uri`, the public `sid` of a session, the claims of a logout
//! token (§2.4), the retry schedule, and [`for_account`], the scope other features
//! name when an account's relying parties must all be logged out.
//!
//! What triggers a logout is decided by the store methods that end sessions and
//! grants (`store::logout`: the notices are written in their transaction); the
//! delivery is `oidc::backchannel_worker`'s.

use crate::clock::UnixTime;
use crate::store::logout::LogoutScope;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// The event a logout token carries (§2.4).
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a logout token is valid (`exp − iat`): the RP checks it on arrival.
pub const LOGOUT_TOKEN_TTL_SECS: i64 = 120;
/// The longest wait between two delivery attempts.
pub const MAX_BACKOFF_SECS: u64 = 3600;

/// `[backchannel]`: the delivery of logout tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackchannelConfig {
    /// Timeout of one POST to a relying party (connect and answer), milliseconds.
    pub timeout_ms: u64,
    /// Failed attempts after which a logout is given up (audited).
    pub max_attempts: u32,
    /// The first retry comes after this; each next one after twice as long (capped at an hour).
    pub backoff_base_secs: u64,
}

impl Default for BackchannelConfig {
    fn default() -> Self {
        Self { timeout_ms: 5000, max_attempts: 8, backoff_base_secs: 30 }
    }
}

impl BackchannelConfig {
    /// The rule of each key, as `(key, reason)`.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(100..=30_000).contains(&self.timeout_ms) {
            return Err(("timeout_ms", "must be 100–30000".into()));
        }
        if !(1..=50).contains(&self.max_attempts) {
            return Err(("max_attempts", "must be 1–50".into()));
        }
        if !(1..=3600).contains(&self.backoff_base_secs) {
            return Err(("backoff_base_secs", "must be 1–3600".into()));
        }
        Ok(())
    }
}

/// When to try again after the `attempts`-th failure (1-based), or `None` to give up:
/// `base × 2^(attempts−1)`, capped at [`MAX_BACKOFF_SECS`].
pub fn next_attempt(cfg: &BackchannelConfig, now: UnixTime, attempts: i64) -> Option<UnixTime> {
    if attempts >= i64::from(cfg.max_attempts) {
        return None;
    }
    let exp = u32::try_from((attempts - 1).clamp(0, 32)).unwrap_or(32);
    let delay = cfg.backoff_base_secs.saturating_mul(2u64.saturating_pow(exp)).min(MAX_BACKOFF_SECS);
    Some(now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX)))
}

/// Why a `backchannel_logout_uri` cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("`{0}` is not an absolute URI")]
    NotAbsolute(String),
    #[error("`{0}` has a fragment")]
    Fragment(String),
    #[error("`{0}` has a user name or password")]
    UserInfo(String),
    #[error("`{0}` must be https (http only on a loopback IP literal)")]
    NotHttps(String),
}

/// Back-Channel Logout §2.2: an absolute `https` URI, or `http` on a loopback IP literal
/// (`127.0.0.1`, `[::1]`: a relying party on the same machine, as in development),
/// without fragment or user information. Checked at registration and again before
/// every delivery.
pub fn validate_uri(uri: &str) -> Result<(), UriError> {
    let owned = || uri.to_owned();
    let url = Url::parse(uri).map_err(|_| UriError::NotAbsolute(owned()))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(UriError::Fragment(owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UriError::UserInfo(owned()));
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(UriError::NotHttps(owned())),
    }
}

/// Every relying party of the account: the scope a change that logs an account out
/// everywhere (an ESIA unlink, a disabled account) passes to `insert_logouts_in`
/// inside its own transaction, so the notices are exactly the clients of the grants
/// and consents it ends.
pub fn for_account(account_id: &str) -> LogoutScope<'_> {
    LogoutScope::Account(account_id)
}

/// What a logout token says beyond its header (§2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutTokenInput<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The client's `sub` of the account (`token::claims::subject`, pairwise aware).
    pub sub: &'a str,
    pub sid: Option<&'a str>,
    /// The notice's id: every attempt of one notice sends the same `jti`.
    pub jti: &'a str,
    pub now: UnixTime,
}

/// The claims of a logout token: `iss`, `aud`, `iat`, `exp`, `jti`, `sub`, `sid` when
/// known, `events` with the back-channel logout event — and never a `nonce` (§2.4).
pub fn logout_claims(input: &LogoutTokenInput<'_>) -> Value {
    let mut claims = json!({
        "iss": input.issuer,
        "aud": input.client_id,
        "iat": input.now,
        "exp": input.now.saturating_add(LOGOUT_TOKEN_TTL_SECS),
        "jti": input.jti,
        "sub": input.sub,
        "events": { LOGOUT_EVENT: {} },
    });
    if let (Some(sid), Some(map)) = (input.sid, claims.as_object_mut()) {
        map.insert("sid".into(), json!(sid));
    }
    claims
}

#[cfg(test)]
#[path = "backchannel_tests.rs"]
mod tests;
