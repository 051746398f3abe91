//! `/logout`: OpenID Connect RP-Initiated Logout 1.0. With a valid `id_token_hint`
//! and a registered `post_logout_redirect_uri` (exact match) the person is signed
//! out and sent back with `state` (LO-01); otherwise a confirmation page «Выйти из
//! системы?» and, after it, a plain "signed out" page (LO-02).
//! A session that came from ESIA ends ESIA's too, through its logout endpoint
//! (LO-05, `logout_upstream`).

use super::logout_upstream;
use super::params::Params;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::session::{checked_browser, current_session};
use crate::token::claims::subject;
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::pages::{self, LoggedOutPage, LogoutPage};
use crate::web::redirect::{client_url, redirect};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use std::sync::Arc;

/// Where to send the browser after logout, if the request earned it: the hint
/// verifies, names the client, and the URI is registered for that client.
/// Also whether the hint's subject is the signed-in person.
async fn return_target(
    app: &App,
    p: &Params,
    session_account: Option<&str>,
) -> Result<Option<(String, bool)>, PageError> {
    let (Some(hint), Some(uri)) = (p.get("id_token_hint"), p.get("post_logout_redirect_uri")) else {
        return Ok(None);
    };
    let Ok(claims) = app.issuer.verify_id_token_hint(hint) else { return Ok(None) };
    let client_id = match p.get("client_id") {
        Some(id) if claims.aud.iter().any(|a| a == id) => id.to_owned(),
        Some(_) => return Ok(None),
        None => match claims.aud.first() {
            Some(a) => a.clone(),
            None => return Ok(None),
        },
    };
    let Some(client) = app.clients.get(&client_id).await? else { return Ok(None) };
    if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        return Ok(None);
    }
    let same_person = match session_account {
        None => true,
        Some(id) => {
            app.store.account(id).await?.is_some_and(|a| subject(&a.subject, &client, &app.pairwise_key) == claims.sub)
        }
    };
    let mut params = Vec::new();
    if let Some(s) = p.get("state") {
        params.push(("state", s));
    }
    Ok(Some((client_url(uri, &params), same_person)))
}

/// Ends this browser's session; also says whether ESIA's must end too (LO-05).
async fn end_session(app: &App, headers: &HeaderMap) -> Result<(HeaderValue, bool), PageError> {
    let mut esia = false;
    if let Some(id) = cookie::read(headers, app.cookies.session_name()) {
        let hash = crypto::token_hash(&id);
        if let Some(s) = app.store.session(&hash).await? {
            esia = logout_upstream::ends_esia(app, &s);
            let event = AuditEvent::Logout { account_id: s.account_id, session_id: hash.clone() };
            app.store.end_session(&hash, &event).await?;
        }
    }
    Ok((app.cookies.clear_session(), esia))
}

/// GET /logout
pub async fn get(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let p = Params::parse(q.unwrap_or_default().as_bytes());
    let session = current_session(&app, &headers).await?;
    let target = return_target(&app, &p, session.as_ref().map(|s| s.account_id.as_str())).await?;
    if let Some((url, true)) = target {
        let (clear, esia) = end_session(&app, &headers).await?;
        if esia {
            return logout_upstream::through_esia(&app, Some(url), clear).await;
        }
        return Ok(redirect(&url, false, &[clear]));
    }
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, &headers);
    let page = LogoutPage {
        csrf: app.cookies.csrf_token(&browser_id),
        id_token_hint: p.get("id_token_hint").map(str::to_owned),
        post_logout_redirect_uri: p.get("post_logout_redirect_uri").map(str::to_owned),
        state: p.get("state").map(str::to_owned),
        client_id: p.get("client_id").map(str::to_owned),
    };
    let mut res = pages::html(&page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// POST /logout (the confirmation form, or an RP posting the same parameters).
pub async fn post(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    checked_browser(&app.cookies, &headers, &p)?;
    let target = return_target(&app, &p, None).await?;
    let (clear, esia) = end_session(&app, &headers).await?;
    if esia {
        return logout_upstream::through_esia(&app, target.map(|(url, _)| url), clear).await;
    }
    match target {
        Some((url, _)) => Ok(redirect(&url, true, &[clear])),
        None => {
            // Signed out now: the page header shows no one (web::viewer).
            let mut res = crate::web::viewer::render_as(None, || pages::html(&LoggedOutPage {}));
            res.headers_mut().append(header::SET_COOKIE, clear);
            Ok(res)
        }
    }
}
