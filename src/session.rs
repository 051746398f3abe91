//! Sessions of the browser, shared by `oidc`, `flow` and `admin`: who authenticated
//! ([`Authenticated`]), opening a new session at a login ([`open_session`], always a
//! new id), the session of a request ([`current_session`]), and the CSRF-checked
//! browser id of a form POST ([`checked_browser`]).

use crate::app::App;
use crate::audit::{AuditEvent, LoginMethod};
use crate::clock::{Clock, UnixTime};
use crate::config::SessionConfig;
use crate::crypto;
use crate::oidc::params::Params;
use crate::store::{Session, Store};
use crate::web::cookie::{self, CookieKit};
use crate::web::error_page::PageError;
use axum::http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

/// Who authenticated, and how (copied into the code and the grant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticated {
    pub account_id: String,
    pub auth_time: UnixTime,
    /// `pwd` or `esia`.
    pub amr: String,
    pub session_hash: Option<String>,
}

impl Authenticated {
    pub fn from_session(s: &Session) -> Self {
        Self {
            account_id: s.account_id.clone(),
            auth_time: s.auth_time,
            amr: s.amr.clone(),
            session_hash: Some(s.id_hash.clone()),
        }
    }
}

/// What opening a session needs.
#[derive(Clone, Copy)]
pub struct Sessions<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub cookies: &'a CookieKit,
    pub config: &'a SessionConfig,
}

impl<'a> Sessions<'a> {
    /// The application's store, clock, cookie kit and session settings.
    pub fn of(app: &'a App) -> Self {
        Self { store: &*app.store, clock: &*app.clock, cookies: &app.cookies, config: &app.config.session }
    }
}

/// Opens a new session (always a new id) and returns its cookie. `upstream`: the
/// ESIA identity an ESIA login came from (the session lives only while it is linked).
pub async fn open_session(
    deps: Sessions<'_>,
    account_id: &str,
    upstream: Option<(String, String)>,
    remember: bool,
    method: LoginMethod,
) -> Result<(Authenticated, HeaderValue), PageError> {
    let amr = if method == LoginMethod::Esia { "esia" } else { "pwd" };
    let now = deps.clock.now();
    let id = crypto::random_token();
    let ttl = if remember { deps.config.persistent_ttl_secs } else { deps.config.ttl_secs };
    let id_hash = crypto::token_hash(&id);
    let session = Session {
        sid: crate::store::logout::public_sid(&id_hash),
        id_hash,
        account_id: account_id.to_owned(),
        auth_time: now,
        amr: amr.to_owned(),
        persistent: remember,
        created_at: now,
        expires_at: now + ttl,
        upstream,
    };
    let event =
        AuditEvent::LoginSucceeded { method, account_id: account_id.to_owned(), session_id: session.id_hash.clone() };
    deps.store.create_session(&session, &event).await?;
    let cookie = deps.cookies.set_session(&id, remember.then_some(ttl));
    Ok((Authenticated::from_session(&session), cookie))
}

/// The session of this request, if its cookie names a live one.
pub async fn current_session(app: &App, headers: &HeaderMap) -> Result<Option<Session>, PageError> {
    match cookie::read(headers, app.cookies.session_name()) {
        Some(id) => Ok(app.store.session(&crypto::token_hash(&id)).await?),
        None => Ok(None),
    }
}

/// The browser-binding id of a form POST whose CSRF token is right (AZ-12).
pub fn checked_browser(cookies: &CookieKit, headers: &HeaderMap, form: &Params) -> Result<String, PageError> {
    let browser_id = cookie::read(headers, cookies.browser_name()).unwrap_or_default();
    if browser_id.is_empty() || !cookies.csrf_ok(&browser_id, form.get("csrf").unwrap_or_default()) {
        return Err(PageError::forbidden("Страница устарела. Обновите её и попробуйте ещё раз."));
    }
    Ok(browser_id)
}
