//! Client authentication at the back-channel endpoints (RFC 6749 §2.3):
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2,
//! OIDC Core §9: checked by [`super::client_assertion`], its `jti` recorded once across
//! nodes), or `none` for public clients. Exactly one method per request (TK-02), the
//! one the client registered.

use super::client::verify_secret;
use super::client_assertion::{self, ASSERTION_TYPE};
use super::error::OAuthError;
use super::params::Params;
use crate::app::App;
use crate::store::seen::Seen;
use crate::store::{AuthMethod, Client};
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use std::sync::Arc;

/// The credentials a request presented, before they are checked.
#[derive(Debug, PartialEq, Eq)]
struct Presented {
    id: String,
    secret: Option<String>,
    /// The `client_assertion` of `private_key_jwt`.
    assertion: Option<String>,
    method: AuthMethod,
}

/// The form parameters that carry client credentials (also kept out of a pushed request).
pub const CREDENTIALS: [&str; 4] = ["client_id", "client_secret", "client_assertion", "client_assertion_type"];

fn presented(headers: &HeaderMap, form: &Params) -> Result<Presented, OAuthError> {
    let basic = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let form_id = form.get("client_id");
    let form_secret = form.get("client_secret");
    if CREDENTIALS.iter().any(|name| form.is_repeated(name)) {
        return Err(OAuthError::invalid_request("repeated client credentials"));
    }
    if let Some(p) = by_assertion(basic.is_some(), form)? {
        return Ok(p);
    }
    match basic {
        Some(value) => {
            if form_secret.is_some() {
                return Err(OAuthError::invalid_request("more than one client authentication method"));
            }
            let (id, secret) = decode_basic(value).ok_or_else(|| OAuthError::invalid_client(true))?;
            if form_id.is_some_and(|f| f != id) {
                return Err(OAuthError::invalid_client(true));
            }
            Ok(Presented { id, secret: Some(secret), assertion: None, method: AuthMethod::ClientSecretBasic })
        }
        None => {
            let id = form_id.ok_or_else(|| OAuthError::invalid_client(false))?.to_owned();
            match form_secret {
                Some(s) => Ok(Presented {
                    id,
                    secret: Some(s.to_owned()),
                    assertion: None,
                    method: AuthMethod::ClientSecretPost,
                }),
                None => Ok(Presented { id, secret: None, assertion: None, method: AuthMethod::None }),
            }
        }
    }
}

/// RFC 7521 §4.2, RFC 7523 §2.2: `client_assertion_type` + `client_assertion`; with a
/// secret too (Basic or `client_secret`) that is two methods at once (TK-02). The
/// client is the `client_id` given, else the one the assertion names (checked later).
fn by_assertion(basic: bool, form: &Params) -> Result<Option<Presented>, OAuthError> {
    let (kind, assertion) = (form.get("client_assertion_type"), form.get("client_assertion"));
    if kind.is_none() && assertion.is_none() {
        return Ok(None);
    }
    if basic || form.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request("more than one client authentication method"));
    }
    let (Some(kind), Some(assertion)) = (kind, assertion) else {
        return Err(OAuthError::invalid_request("client_assertion and client_assertion_type go together"));
    };
    if kind != ASSERTION_TYPE {
        return Err(OAuthError::invalid_client(false));
    }
    let id = match form.get("client_id") {
        Some(id) => id.to_owned(),
        None => client_assertion::claimed_client(assertion).ok_or_else(|| OAuthError::invalid_client(false))?,
    };
    Ok(Some(Presented { id, secret: None, assertion: Some(assertion.to_owned()), method: AuthMethod::PrivateKeyJwt }))
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`; both parts are
/// form-url-decoded (RFC 6749 §2.3.1).
fn decode_basic(value: &str) -> Option<(String, String)> {
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    // form-url-decoding ('+' is a space, %XX an octet); '&' and '=' are data here.
    let decode = |s: &str| -> Option<String> {
        let escaped = s.replace('&', "%26").replace('=', "%3D");
        url::form_urlencoded::parse(format!("x={escaped}").as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

/// Authenticates the calling client at the endpoint `path` (`/token`, `/par`, …).
/// Any failure is `invalid_client` (401, with a Basic challenge when Basic was used);
/// which part failed is not revealed.
pub async fn authenticate(
    app: &App,
    headers: &HeaderMap,
    form: &Params,
    path: &str,
) -> Result<Arc<Client>, OAuthError> {
    let now = app.clock.now();
    let p = presented(headers, form)?;
    let basic = p.method == AuthMethod::ClientSecretBasic;
    let client = app.clients.get(&p.id).await?.ok_or_else(|| OAuthError::invalid_client(basic))?;
    if client.auth_method != p.method {
        return Err(OAuthError::invalid_client(basic));
    }
    if let Some(assertion) = &p.assertion {
        return by_key(app, client, assertion, path).await;
    }
    match (&client.secret_hash, &p.secret) {
        (Some(hash), Some(secret)) if verify_secret(hash, secret) => Ok(client),
        // A rotation's overlap: the previous secret until the chosen time.
        (Some(_), Some(secret)) if super::client_change::previous_secret_accepted(&client, secret, now) => Ok(client),
        (None, None) if client.auth_method == AuthMethod::None => Ok(client),
        _ => Err(OAuthError::invalid_client(basic)),
    }
}

/// `private_key_jwt`: the assertion checked against the client's keys, `aud` the
/// issuer, the token endpoint or this endpoint; then its `jti` recorded, so an
/// assertion is used once whichever node sees it first (RFC 7523 §3 item 7).
async fn by_key(app: &App, client: Arc<Client>, assertion: &str, path: &str) -> Result<Arc<Client>, OAuthError> {
    let issuer = &app.config.issuer;
    let audiences = [issuer.clone(), format!("{issuer}/token"), format!("{issuer}{path}")];
    let expected = client_assertion::Expected { client_id: &client.id, audiences: &audiences, now: app.clock.now() };
    let jwks = client.jwks.as_deref().unwrap_or_default();
    let checked = client_assertion::check(assertion, jwks, &expected).map_err(|why| {
        tracing::info!(client_id = %client.id, why, "client assertion refused");
        OAuthError::invalid_client(false)
    })?;
    if !app.store.record_once(Seen::ClientAssertion, &checked.replay_key(&client.id), checked.replay_until()).await? {
        tracing::info!(client_id = %client.id, "client assertion refused: its jti was used before");
        return Err(OAuthError::invalid_client(false));
    }
    Ok(client)
}

#[cfg(test)]
#[path = "client_auth_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "client_auth_proptests.rs"]
mod proptests;
