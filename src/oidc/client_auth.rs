//! Client authentication at the back-channel endpoints (RFC 6749 §2.3):
//! `client_secret_basic`, `client_secret_post`, or `none` for public clients.
//! Exactly one method per request (TK-02), the one the client registered.

use super::client::{ClientRegistry, verify_secret};
use super::error::OAuthError;
use super::params::Params;
use crate::store::{AuthMethod, Client};
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use std::sync::Arc;

/// The credentials a request presented, before they are checked.
#[derive(Debug, PartialEq, Eq)]
struct Presented {
    id: String,
    secret: Option<String>,
    method: AuthMethod,
}

fn presented(headers: &HeaderMap, form: &Params) -> Result<Presented, OAuthError> {
    let basic = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let form_id = form.get("client_id");
    let form_secret = form.get("client_secret");
    if form.is_repeated("client_id") || form.is_repeated("client_secret") {
        return Err(OAuthError::invalid_request("repeated client credentials"));
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
            Ok(Presented { id, secret: Some(secret), method: AuthMethod::ClientSecretBasic })
        }
        None => {
            let id = form_id.ok_or_else(|| OAuthError::invalid_client(false))?.to_owned();
            match form_secret {
                Some(s) => Ok(Presented { id, secret: Some(s.to_owned()), method: AuthMethod::ClientSecretPost }),
                None => Ok(Presented { id, secret: None, method: AuthMethod::None }),
            }
        }
    }
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

/// Authenticates the calling client. Any failure is `invalid_client` (401, with a
/// Basic challenge when Basic was used); which part failed is not revealed.
pub async fn authenticate(
    registry: &ClientRegistry,
    headers: &HeaderMap,
    form: &Params,
    now: crate::clock::UnixTime,
) -> Result<Arc<Client>, OAuthError> {
    let p = presented(headers, form)?;
    let basic = p.method == AuthMethod::ClientSecretBasic;
    let client = registry.get(&p.id).await?.ok_or_else(|| OAuthError::invalid_client(basic))?;
    if client.auth_method != p.method {
        return Err(OAuthError::invalid_client(basic));
    }
    match (&client.secret_hash, &p.secret) {
        (Some(hash), Some(secret)) if verify_secret(hash, secret) => Ok(client),
        // A rotation's overlap: the previous secret until the chosen time.
        (Some(_), Some(secret)) if super::client_change::previous_secret_accepted(&client, secret, now) => Ok(client),
        (None, None) => Ok(client),
        _ => Err(OAuthError::invalid_client(basic)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {enc}")).unwrap());
        h
    }

    #[test]
    fn tk_02_basic_is_form_url_decoded() {
        let p = presented(&basic("my%20app", "a%2Bb%3Ac"), &Params::default()).unwrap();
        assert_eq!(p.id, "my app");
        assert_eq!(p.secret.as_deref(), Some("a+b:c"));
        assert_eq!(p.method, AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn tk_02_two_methods_rejected() {
        let form = Params::parse(b"client_id=app&client_secret=x");
        assert!(presented(&basic("app", "x"), &form).is_err());
    }

    #[test]
    fn post_and_none_methods() {
        let p = presented(&HeaderMap::new(), &Params::parse(b"client_id=app&client_secret=x")).unwrap();
        assert_eq!(p.method, AuthMethod::ClientSecretPost);
        let p = presented(&HeaderMap::new(), &Params::parse(b"client_id=app")).unwrap();
        assert_eq!(p.method, AuthMethod::None);
        assert!(presented(&HeaderMap::new(), &Params::default()).is_err());
    }
}

#[cfg(test)]
#[path = "client_auth_proptests.rs"]
mod proptests;
