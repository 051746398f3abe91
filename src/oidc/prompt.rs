//! The prompt decision of `/authorize` and of the journey's pages: from the request
//! ([`AuthRequest`]), the client's consent mode and the session alone, [`next_step`]
//! says whether a login, the relying-party consent, or the code comes next (pure).

use crate::clock::UnixTime;
use crate::oidc::request::AuthRequest;
use crate::session::Authenticated;
use crate::store::ConsentMode;

/// The one next thing the browser should see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Login,
    Consent,
    Issue,
}

/// What [`next_step`] decides from.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub request: &'a AuthRequest,
    pub consent_mode: ConsentMode,
    /// The current authentication, and whether it happened in this flow.
    pub auth: Option<(&'a Authenticated, bool)>,
    /// The scope of a remembered consent for this client, if any.
    pub remembered_consent: Option<&'a str>,
    /// Consent was given within this flow.
    pub consented_now: bool,
    /// NA-04: the client can be impersonated (public, with a loopback or private-use
    /// redirect): an earlier session is not used without a confirmation.
    pub confirm_sso: bool,
    pub now: UnixTime,
}

/// Pure: login if there is no usable authentication (none, `prompt=login`,
/// `prompt=select_account` or `max_age` exceeded — unless it happened in this
/// flow); then the relying-party consent for explicit-consent clients when none
/// covering the scope is remembered (or `prompt=consent`), and for clients that can
/// be impersonated when the session is an earlier one (NA-04); then issue.
pub fn next_step(f: &Facts) -> Step {
    let p = &f.request.prompt;
    let needs_login = match f.auth {
        None => true,
        Some((_, true)) => false,
        Some((auth, false)) => {
            p.login || p.select_account || f.request.max_age.is_some_and(|m| f.now - auth.auth_time > m)
        }
    };
    if needs_login {
        return Step::Login;
    }
    let earlier_session = matches!(f.auth, Some((_, false)));
    if f.confirm_sso && earlier_session && !f.consented_now {
        return Step::Consent;
    }
    if f.consent_mode == ConsentMode::Explicit && !f.consented_now {
        let covered = f.remembered_consent.is_some_and(|given| scope_covers(given, &f.request.scope));
        if p.consent || !covered {
            return Step::Consent;
        }
    }
    Step::Issue
}

fn scope_covers(given: &str, wanted: &str) -> bool {
    let given: Vec<&str> = given.split(' ').collect();
    wanted.split(' ').all(|s| given.contains(&s))
}

#[cfg(test)]
#[path = "prompt_tests.rs"]
mod tests;
