//! `/authorize` (GET and POST, AZ-08): validates the client and redirect URI
//! first, then the rest; answers at once when a session makes interaction
//! unnecessary (SSO, `prompt=none`), otherwise stores a [`Flow`] and sends the
//! browser to the login or consent page.

use super::error::ErrorCode;
use super::params::Params;
use super::request::{self, Rejection};
use crate::app::App;
use crate::flow::finish::{error_url, issue_code, redirect};
use crate::flow::journey::Stage;
use crate::flow::login::current_session;
use crate::flow::{Authenticated, Facts, Flow, Step, next_step};
use crate::web::cookie;
use crate::web::error_page::PageError;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

pub async fn get(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    authorize(&app, &headers, Params::parse(q.unwrap_or_default().as_bytes()), false).await
}

pub async fn post(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    authorize(&app, &headers, Params::parse(&body), true).await
}

async fn authorize(app: &App, headers: &HeaderMap, params: Params, after_post: bool) -> Result<Response, PageError> {
    let client_id = request::client_id(&params).map_err(reject_page)?;
    let client = app.clients.get(client_id).await?;
    let req = match request::validate(&params, client.as_deref()) {
        Ok(r) => r,
        Err(Rejection::Page(msg)) => return Err(PageError::bad_request(msg)),
        Err(Rejection::Redirect { redirect_uri, state, code, description }) => {
            let url = error_url(&app.config.issuer, &redirect_uri, state.as_deref(), code, description);
            return Ok(redirect(&url, after_post, &[]));
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
        confirm_sso: client.secret_hash.is_none()
            && super::redirect::can_be_impersonated(&req.redirect_uri, &app.config.issuer),
        now,
    });
    let fail = |code: ErrorCode, d: &str| {
        let url = error_url(&app.config.issuer, &req.redirect_uri, req.state.as_deref(), code, d);
        Ok(redirect(&url, after_post, &[]))
    };
    match (step, auth) {
        (Step::Issue, Some(auth)) => {
            let url = issue_code(app, &req, &auth).await?;
            Ok(redirect(&url, after_post, &[]))
        }
        // AZ-11: prompt=none never shows a page.
        (Step::Login, _) if req.prompt.none => fail(ErrorCode::LoginRequired, "the user is not signed in"),
        (Step::Consent, _) if req.prompt.none => fail(ErrorCode::ConsentRequired, "consent is required"),
        (step, auth) => {
            let (browser_id, set_browser) = cookie::browser_id(&app.cookies, headers);
            // A session that needs no new login (consent only) carries over.
            let stage = if step == Step::Consent { Stage::SignedIn } else { Stage::Login };
            let mut flow = Flow::new(&browser_id, Some(req), stage, now);
            flow.login = auth.filter(|_| step == Step::Consent);
            crate::flow::save(app, &flow).await?;
            let page = if step == Step::Consent { "consent" } else { "login" };
            let url = format!("/{page}?flow={}", app.cookies.sign("flow", &flow.id));
            Ok(redirect(&url, after_post, &set_browser.into_iter().collect::<Vec<_>>()))
        }
    }
}

fn reject_page(r: Rejection) -> PageError {
    match r {
        Rejection::Page(msg) => PageError::bad_request(msg),
        Rejection::Redirect { .. } => PageError::bad_request("Неверный запрос входа."),
    }
}
