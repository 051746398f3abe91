//! The end of a flow: mint the authorization code and send the browser back to
//! the relying party with `code`, `state` and `iss` (RFC 9207) — or with an error.
//! Also the step dispatcher that every page calls after it made progress.

use super::{Authenticated, Facts, Flow, Step, next_step};
use crate::app::App;
use crate::crypto;
use crate::oidc::error::ErrorCode;
use crate::oidc::request::AuthRequest;
use crate::store::AuthCode;
use crate::web::error_page::PageError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A redirect. After a form POST it is 303 (never 307, which would replay the
/// password to the relying party: AZ-09); after a GET, 302.
pub fn redirect(url: &str, after_post: bool, set_cookies: &[HeaderValue]) -> Response {
    let status = if after_post { StatusCode::SEE_OTHER } else { StatusCode::FOUND };
    let mut res = status.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(url) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for c in set_cookies {
        h.append(header::SET_COOKIE, c.clone());
    }
    res
}

/// `redirect_uri` with `params` appended to its query (keeping a registered query).
pub fn client_url(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

/// The error response to a validated redirect URI: `error`, `error_description`, `state`, `iss`.
pub fn error_url(issuer: &str, redirect_uri: &str, state: Option<&str>, code: ErrorCode, description: &str) -> String {
    let mut params = vec![("error", code.as_str()), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    client_url(redirect_uri, &params)
}

/// Mints a code for `request` and returns the success URL.
pub async fn issue_code(app: &App, request: &AuthRequest, auth: &Authenticated) -> Result<String, PageError> {
    let code = crypto::random_token();
    let now = app.clock.now();
    let record = AuthCode {
        code_hash: crypto::token_hash(&code),
        grant_id: uuid::Uuid::now_v7().to_string(),
        client_id: request.client_id.clone(),
        account_id: auth.account_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: auth.auth_time,
        amr: auth.amr.clone(),
        acr: None,
        session_hash: auth.session_hash.clone(),
        require_auth_time: request.max_age.is_some(),
        created_at: now,
        expires_at: now + app.config.tokens.code_ttl_secs,
        consumed_at: None,
    };
    app.store.insert_code(&record).await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &request.state {
        params.push(("state", s.as_str()));
    }
    params.push(("iss", app.config.issuer.as_str()));
    Ok(client_url(&request.redirect_uri, &params))
}

/// After a page made progress (login, consent): decides the next step of a flow
/// whose person authenticated in it, and answers with the matching redirect.
pub async fn advance(app: &App, flow: Flow, set_cookies: &[HeaderValue]) -> Result<Response, PageError> {
    let Some(auth) = flow.login.clone() else {
        let url = format!("/login?flow={}", app.cookies.sign("flow", &flow.id));
        return Ok(redirect(&url, true, set_cookies));
    };
    let Some(request) = flow.request.as_ref() else {
        // A sign-in without a relying party (the login page opened directly).
        app.store.delete_flow(&flow.id).await?;
        let to = super::login::local_path(flow.return_to.as_deref());
        return Ok(redirect(to, true, set_cookies));
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
            let url = issue_code(app, request, &auth).await?;
            app.store.delete_flow(&flow.id).await?;
            Ok(redirect(&url, true, set_cookies))
        }
        Step::Consent | Step::Login => {
            super::save(app, &flow).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_04_error_url_carries_iss_and_state() {
        let u = error_url("https://id.example", "https://rp/cb?x=1", Some("s t"), ErrorCode::AccessDenied, "no");
        assert_eq!(
            u,
            "https://rp/cb?x=1&error=access_denied&error_description=no&state=s+t&iss=https%3A%2F%2Fid.example"
        );
    }

    #[test]
    fn az_09_redirect_after_post_is_303() {
        assert_eq!(redirect("/x", true, &[]).status(), StatusCode::SEE_OTHER);
        assert_eq!(redirect("/x", false, &[]).status(), StatusCode::FOUND);
    }
}
