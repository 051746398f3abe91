//! Pushed authorization requests (RFC 9126): `POST /par` authenticates the client
//! as `/token` does, checks the pushed parameters with the very checks of
//! `/authorize` (`request::validate`) and keeps them server-side under a random
//! `request_uri` (its hash in the store, single use, short-lived). `/authorize`
//! then takes them ([`at_authorize`]) and runs its normal path on the pushed
//! parameters only; an unusable `request_uri` is an HTML page (invariant 4).
//! A `DPoP` proof at the push (RFC 9449 §10.1), checked as at `/token`, binds the
//! code to its key as a `dpop_jkt` parameter would; both given must agree.

use super::client_auth;
use super::error::OAuthError;
use super::params::Params;
use super::request::{self, Rejection};
use crate::app::App;
use crate::crypto::{random_token, token_hash};
use crate::store::Client;
use crate::web::error_page::PageError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The prefix of every `request_uri` we answer (RFC 9126 §2.2).
pub const URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// POST /par
pub async fn push(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthError> {
    let params = Params::parse(&body);
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("parameter `{name}` is repeated")));
    }
    let now = app.clock.now();
    let client = client_auth::authenticate(&app, &headers, &params, "/par").await?;
    if params.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request("request_uri is not allowed in a pushed request (RFC 9126 §2.1)"));
    }
    let req = request::validate(&params, Some(&client), &app.config.issuer).map_err(refusal)?;
    let proof = super::dpop_http::at_par(&app, &headers).await?;
    let proved = proved_key(req.dpop_jkt.as_deref(), proof.map(|p| p.jkt))?;
    let uri = format!("{URI_PREFIX}{}", random_token());
    let ttl = app.config.tokens.par_ttl_secs;
    let form = stored_form(&body, &client.id, proved.as_deref());
    app.store.put_pushed(&token_hash(&uri), &client.id, &form, now + ttl).await?;
    let mut res =
        (StatusCode::CREATED, Json(serde_json::json!({ "request_uri": uri, "expires_in": ttl }))).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// An `/authorize` refusal as the push's JSON error.
fn refusal(r: Rejection) -> OAuthError {
    match r {
        Rejection::Page(_) => {
            OAuthError::invalid_request("redirect_uri is missing, repeated or not registered for this client")
        }
        Rejection::Redirect { code, description, .. } => OAuthError::new(code, description),
    }
}

/// RFC 9449 §10.1: the thumbprint of the push's proof becomes the request's
/// `dpop_jkt` when it has none (the key to add to the stored form); with both,
/// "the authorization server MUST reject the request if the JWK Thumbprint in
/// dpop_jkt does not match the public key in the DPoP header".
fn proved_key(given: Option<&str>, proved: Option<String>) -> Result<Option<String>, OAuthError> {
    match (given, proved) {
        (Some(given), Some(proved)) if given != proved => {
            Err(OAuthError::invalid_dpop_proof("dpop_jkt is not the thumbprint of the DPoP proof's key"))
        }
        (None, proved) => Ok(proved),
        (Some(_), _) => Ok(None),
    }
}

/// The pushed form without credentials, with the authenticated `client_id` and the
/// `dpop_jkt` of the push's proof, if it is to be added.
fn stored_form(body: &[u8], client_id: &str, dpop_jkt: Option<&str>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(body) {
        // Client credentials: checked at the push, never stored with the request.
        if !client_auth::CREDENTIALS.contains(&k.as_ref()) {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair("client_id", client_id);
    if let Some(jkt) = dpop_jkt {
        out.append_pair("dpop_jkt", jkt);
    }
    out.finish()
}

/// The parameters `/authorize` goes on with: with a `request_uri`, the pushed ones
/// (taken once; anything given beside it is ignored, RFC 9126 §4); without one, the
/// given ones, unless pushing is required (installation-wide or for the client).
pub async fn at_authorize(app: &App, params: Params, client: Option<&Client>) -> Result<Params, PageError> {
    // A `request_uri` of another kind (a request object by reference) is refused
    // by `request::validate` once the redirect URI is trusted.
    let Some(uri) =
        params.get("request_uri").filter(|u| u.starts_with(URI_PREFIX) || params.is_repeated("request_uri"))
    else {
        if app.config.tokens.require_par || client.is_some_and(|c| c.require_pushed_authorization_requests) {
            return Err(PageError::bad_request(
                "Приложение должно передавать запрос входа заранее (PAR, RFC 9126). Обратитесь к разработчикам приложения.",
            ));
        }
        return Ok(params);
    };
    let client = client.ok_or_else(|| PageError::bad_request("Приложение, запросившее вход, не зарегистрировано."))?;
    if params.is_repeated("request_uri") {
        return Err(unusable());
    }
    match app.store.take_pushed(&token_hash(uri), &client.id, app.clock.now()).await? {
        Some(form) => Ok(Params::parse(form.as_bytes())),
        None => Err(unusable()),
    }
}

fn unusable() -> PageError {
    PageError::bad_request(
        "Ссылка на запрос входа недействительна, устарела или уже использована. Вернитесь в приложение и войдите снова.",
    )
}

#[cfg(test)]
#[path = "par_tests.rs"]
mod tests;
