//! `/authorize` (GET and POST, AZ-08), the protocol part: validates the client and
//! redirect URI first, then the rest; answers at once when a session makes
//! interaction unnecessary (SSO: the code; `prompt=none`: an error), otherwise says
//! which page is needed ([`Decision::Interact`]) — the journey (`flow::begin`) stores
//! the flow and sends the browser there.

use super::code::issue_code;
use super::error::ErrorCode;
use super::params::Params;
use super::prompt::{Facts, Step, next_step};
use super::request::{self, AuthRequest, Rejection};
use crate::app::App;
use crate::clock::UnixTime;
use crate::session::{Authenticated, current_session};
use crate::store::StoreError;
use crate::web::error_page::PageError;
use crate::web::redirect::{error_url, redirect};
use axum::http::HeaderMap;
use axum::response::Response;

/// What `/authorize` decided.
#[derive(Debug)]
pub enum Decision {
    /// Answered without a page: the code, or an error sent back to the relying party.
    Answer(Response),
    /// A login or consent page is needed for this validated request.
    Interact {
        /// Boxed: the request is most of the decision's size.
        request: Box<AuthRequest>,
        step: Step,
        /// The session's authentication, if there is one.
        auth: Option<Authenticated>,
        /// The time the decision was made at.
        now: UnixTime,
    },
}

/// Validates the request (client and `redirect_uri` first, invariant 4) and decides
/// from the session whether the browser needs a page.
pub async fn decide(app: &App, headers: &HeaderMap, params: Params, after_post: bool) -> Result<Decision, PageError> {
    let client_id = request::client_id(&params).map_err(reject_page)?;
    let client = app.clients.get(client_id).await?;
    let params = super::par::at_authorize(app, params, client.as_deref()).await?;
    let req = match request::validate(&params, client.as_deref(), &app.config.issuer) {
        Ok(r) => r,
        Err(Rejection::Page(msg)) => return Err(PageError::bad_request(msg)),
        Err(Rejection::Redirect { redirect_uri, state, code, description }) => {
            let url = error_url(&app.config.issuer, &redirect_uri, state.as_deref(), code, description);
            return Ok(Decision::Answer(redirect(&url, after_post, &[])));
        }
    };
    let Some(client) = client else { return Err(PageError::not_found()) };

    let session = current_session(app, headers).await?;
    let auth = session.as_ref().map(Authenticated::from_session);
    let remembered = match &auth {
        Some(a) if client.consent == crate::store::ConsentMode::Explicit => {
            app.store.consent(&a.account_id, &client.id).await?
        }
        _ => None,
    };
    let now = app.clock.now();
    let step = next_step(&Facts {
        request: &req,
        consent_mode: client.consent,
        auth: auth.as_ref().map(|a| (a, false)),
        remembered_consent: remembered.as_ref().map(|c| c.scope.as_str()),
        consented_now: false,
        confirm_sso: client.is_public() && super::redirect::can_be_impersonated(&req.redirect_uri, &app.config.issuer),
        now,
    });
    let fail = |code: ErrorCode, d: &str| {
        let url = error_url(&app.config.issuer, &req.redirect_uri, req.state.as_deref(), code, d);
        Ok(Decision::Answer(redirect(&url, after_post, &[])))
    };
    match (step, auth) {
        (Step::Issue, Some(auth)) => {
            let (store, ttl) = (&*app.store, app.config.tokens.code_ttl_secs);
            match issue_code(store, &*app.clock, &app.config.issuer, ttl, &req, &auth).await {
                Ok(url) => Ok(Decision::Answer(redirect(&url, after_post, &[]))),
                // The session ended meanwhile (a logout or an unlink): no session, no code.
                Err(StoreError::NotFound) if req.prompt.none => fail(ErrorCode::LoginRequired, "the session ended"),
                Err(StoreError::NotFound) => {
                    Ok(Decision::Interact { request: Box::new(req), step: Step::Login, auth: None, now })
                }
                Err(e) => Err(e.into()),
            }
        }
        // AZ-11: prompt=none never shows a page.
        (Step::Login, _) if req.prompt.none => fail(ErrorCode::LoginRequired, "the user is not signed in"),
        (Step::Consent, _) if req.prompt.none => fail(ErrorCode::ConsentRequired, "consent is required"),
        (step, auth) => Ok(Decision::Interact { request: Box::new(req), step, auth, now }),
    }
}

fn reject_page(r: Rejection) -> PageError {
    match r {
        Rejection::Page(msg) => PageError::bad_request(msg),
        Rejection::Redirect { .. } => PageError::bad_request("Неверный запрос входа."),
    }
}
