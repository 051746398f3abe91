//! The end of a flow: the step dispatcher that every page calls after it made
//! progress — the code (`oidc::code`) and the browser back to the relying party with
//! `code`, `state` and `iss` (RFC 9207), or the consent page — and the end with an error.

use super::Flow;
use crate::app::App;
use crate::oidc::code::issue_code;
use crate::oidc::error::ErrorCode;
use crate::oidc::prompt::{Facts, Step, next_step};
use crate::web::error_page::PageError;
use crate::web::redirect::{error_url, redirect};
use axum::http::HeaderValue;
use axum::response::Response;

/// After a page made progress (login, consent): decides the next step of a flow
/// whose person authenticated in it, and answers with the matching redirect.
pub async fn advance(app: &App, mut flow: Flow, set_cookies: &[HeaderValue]) -> Result<Response, PageError> {
    let Some(auth) = flow.login.clone() else {
        let url = format!("/login?flow={}", app.cookies.sign("flow", &flow.id));
        return Ok(redirect(&url, true, set_cookies));
    };
    let Some(request) = flow.request.as_ref() else {
        // A sign-in without a relying party (the login page opened directly).
        app.store.delete_flow(&flow.id).await?;
        let to = crate::web::redirect::local_path(&app.config.issuer, flow.return_to.as_deref());
        return Ok(redirect(&to, true, set_cookies));
    };
    let client = app.clients.get(&request.client_id).await?.ok_or_else(PageError::not_found)?;
    let remembered = app.store.consent(&auth.account_id, &client.id).await?;
    let facts = Facts {
        request,
        consent_mode: client.consent,
        auth: Some((&auth, true)),
        remembered_consent: remembered.as_ref().map(|c| c.scope.as_str()),
        consented_now: flow.consented,
        // The person acted in this flow (a login or the consent page): NA-04 is satisfied.
        confirm_sso: false,
        now: app.clock.now(),
    };
    match next_step(&facts) {
        Step::Issue => {
            let (store, ttl) = (&*app.store, app.config.tokens.code_ttl_secs);
            let url = match issue_code(store, &*app.clock, &app.config.issuer, ttl, request, &auth).await {
                Ok(url) => url,
                // The session ended meanwhile (a logout or an unlink): no session, no code.
                Err(crate::store::StoreError::NotFound) => {
                    return Err(PageError::bad_request(
                        "Сеанс входа завершён. Вернитесь в приложение и войдите снова.",
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            app.store.delete_flow(&flow.id).await?;
            Ok(redirect(&url, true, set_cookies))
        }
        Step::Consent | Step::Login => {
            super::save(app, &mut flow).await?;
            let url = format!("/consent?flow={}", app.cookies.sign("flow", &flow.id));
            Ok(redirect(&url, true, set_cookies))
        }
    }
}

/// Ends a flow with an error sent to the relying party (e.g. `access_denied`).
pub async fn abort(app: &App, flow: &Flow, code: ErrorCode, description: &str) -> Result<Response, PageError> {
    app.store.delete_flow(&flow.id).await?;
    let r = flow.rp()?;
    let url = error_url(&app.config.issuer, &r.redirect_uri, r.state.as_deref(), code, description);
    Ok(redirect(&url, true, &[]))
}
