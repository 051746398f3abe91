//! The sandbox's single sign-on, as ESIA's: after a login it remembers the browser
//! (a random cookie on the sandbox's path) for `esia.sandbox.sso_secs`, so a second
//! `/ac` skips the password and goes straight to the consent; `/idp/ext/Logout` ends
//! it (the row is taken, the cookie cleared). `sso_secs = 0`: no SSO. The rows live
//! where the sandbox's other rows do (the database when a server mounts it), so
//! every node behind a balancer knows the browser.

use super::rows::Kind;
use super::state::SandboxState;
use crate::crypto::{random_token, token_hash};
use axum::http::{HeaderMap, HeaderValue};

const COOKIE: &str = "esia_sandbox_sso";

impl SandboxState {
    /// The persona this browser is still signed in as, if any (a row that cannot
    /// be read counts as none: the password is asked again).
    pub(super) async fn sso_persona(&self, headers: &HeaderMap) -> Option<usize> {
        let value = crate::web::cookie::read(headers, COOKIE)?;
        match self.rows().get::<usize>(Kind::Sso, &token_hash(&value), self.now()).await {
            Ok(persona) => persona.filter(|&p| p < self.0.personas.len()),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "ESIA sandbox: SSO row unreadable");
                None
            }
        }
    }

    /// Remembers the browser after a login; the cookie to set (none when SSO is off).
    pub(super) async fn sso_begin(&self, persona: usize) -> anyhow::Result<Option<HeaderValue>> {
        let ttl = self.0.cfg.sso_secs;
        if ttl <= 0 {
            return Ok(None);
        }
        let value = random_token();
        self.rows().put(Kind::Sso, &token_hash(&value), &persona, self.now() + ttl).await?;
        Ok(self.sso_cookie(&value, ttl))
    }

    /// Ends this browser's SSO; the cookie that clears it.
    pub(super) async fn sso_end(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let value = crate::web::cookie::read(headers, COOKIE)?;
        if let Err(e) = self.rows().take::<usize>(Kind::Sso, &token_hash(&value), self.now()).await {
            tracing::warn!(error = %format!("{e:#}"), "ESIA sandbox: SSO row not removed");
        }
        self.sso_cookie("", 0)
    }

    fn sso_cookie(&self, value: &str, max_age: i64) -> Option<HeaderValue> {
        let path = url::Url::parse(self.base()).map(|u| u.path().trim_end_matches('/').to_owned()).unwrap_or_default();
        let path = if path.is_empty() { "/".to_owned() } else { path };
        let cookie = format!("{COOKIE}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax");
        HeaderValue::from_str(&cookie).ok()
    }
}
