//! The sandbox's single sign-on, as ESIA's: after a login it remembers the browser
//! (a random cookie on the sandbox's path) for `esia.sandbox.sso_secs`, so a second
//! `/ac` skips the password and goes straight to the consent; `/idp/ext/Logout` ends
//! it (the record is removed, the cookie cleared). `sso_secs = 0`: no SSO.

use super::state::{SandboxState, lock};
use crate::crypto::{random_token, token_hash};
use axum::http::{HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::sync::Mutex;

const COOKIE: &str = "esia_sandbox_sso";

/// Live SSO sessions: hash of the cookie value → (persona index, expiry).
#[derive(Debug, Default)]
pub(super) struct Sessions(Mutex<HashMap<String, (usize, i64)>>);

impl SandboxState {
    /// The persona this browser is still signed in as, if any.
    pub(super) fn sso_persona(&self, headers: &HeaderMap) -> Option<usize> {
        let value = crate::web::cookie::read(headers, COOKIE)?;
        let now = self.now();
        let mut live = lock(&self.0.sso.0);
        live.retain(|_, (_, exp)| *exp > now);
        live.get(&token_hash(&value)).map(|(persona, _)| *persona)
    }

    /// Remembers the browser after a login; the cookie to set (none when SSO is off).
    pub(super) fn sso_begin(&self, persona: usize) -> Option<HeaderValue> {
        let ttl = self.0.cfg.sso_secs;
        if ttl <= 0 {
            return None;
        }
        let value = random_token();
        lock(&self.0.sso.0).insert(token_hash(&value), (persona, self.now() + ttl));
        self.sso_cookie(&value, ttl)
    }

    /// Ends this browser's SSO; the cookie that clears it.
    pub(super) fn sso_end(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let value = crate::web::cookie::read(headers, COOKIE)?;
        lock(&self.0.sso.0).remove(&token_hash(&value));
        self.sso_cookie("", 0)
    }

    fn sso_cookie(&self, value: &str, max_age: i64) -> Option<HeaderValue> {
        let path = url::Url::parse(self.base()).map(|u| u.path().trim_end_matches('/').to_owned()).unwrap_or_default();
        let path = if path.is_empty() { "/".to_owned() } else { path };
        let cookie = format!("{COOKIE}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax");
        HeaderValue::from_str(&cookie).ok()
    }
}
