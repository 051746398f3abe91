//! `/userinfo` (GET and POST, OIDC Core §5.3): a live access token in the
//! `Authorization: Bearer` header, or in a POST's form body (RFC 6750 §2.2), never
//! in the query string (UI-03) and never two ways at once, with the `openid` scope;
//! the claims of its scopes only (UI-04), `sub` as in the ID token. A DPoP-bound
//! token (`cnf.jkt`, RFC 9449 §7) comes only as `Authorization: DPoP <token>` with a
//! proof of its key for this request (`htm`, `htu`, `ath`; with `tokens.require_dpop_nonce`
//! a server nonce, else 401 `use_dpop_nonce`, RFC 9449 §9); as a bearer token it is refused.

use super::error::BearerError;
use super::inspect::access_live;
use super::params::Params;
use crate::app::App;
use crate::token::Scopes;
use crate::token::claims::subject;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// How the token was presented: `Bearer` (header or form body) or `DPoP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

fn authorization(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return None;
    };
    Some((scheme, token.trim())).filter(|(_, t)| !t.is_empty())
}

/// The token of a form-encoded POST body (`access_token`), if that is how it came.
fn form_token(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<Option<String>, BearerError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if method != Method::POST || !form_encoded {
        return Ok(None);
    }
    let params = Params::parse(body);
    if params.is_repeated("access_token") {
        return Err(BearerError::InvalidRequest("access_token is repeated"));
    }
    Ok(params.get("access_token").filter(|t| !t.is_empty()).map(str::to_owned))
}

/// The one access token presented: in the header or in the form body, not both
/// (RFC 6750 §2: a client uses one method only).
fn presented(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<(Scheme, String), BearerError> {
    match (authorization(headers), form_token(method, headers, body)?) {
        (Some(_), Some(_)) => Err(BearerError::InvalidRequest("the access token was sent in more than one way")),
        (Some((scheme, t)), None) => Ok((scheme, t.to_owned())),
        (None, Some(t)) => Ok((Scheme::Bearer, t)),
        (None, None) => Err(BearerError::InvalidToken),
    }
}

pub async fn userinfo(
    State(app): State<Arc<App>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, BearerError> {
    if query.as_deref().is_some_and(|q| q.contains("access_token=")) {
        return Err(BearerError::InvalidRequest("access tokens are not accepted in the query string"));
    }
    let (scheme, token) = presented(&method, &headers, &body)?;
    let token = token.as_str();
    let claims = app.issuer.verify_access_token(token).map_err(|_| BearerError::InvalidToken)?;
    match (&claims.cnf, scheme) {
        (Some(cnf), Scheme::Dpop) => {
            super::dpop_http::at_resource(&app, &headers, method.as_str(), "/userinfo", token, &cnf.jkt).await?;
        }
        (Some(_), Scheme::Bearer) => return Err(BearerError::DpopBound),
        // A bearer token is not presented as a DPoP one.
        (None, Scheme::Dpop) => return Err(BearerError::InvalidToken),
        (None, Scheme::Bearer) => {}
    }
    if !access_live(&app, &claims).await? {
        return Err(BearerError::InvalidToken);
    }
    let scopes = Scopes::parse(&claims.scope).map_err(|_| BearerError::InvalidToken)?;
    if !scopes.contains("openid") {
        return Err(BearerError::InsufficientScope);
    }
    let client = app.clients.get(&claims.client_id).await?.ok_or(BearerError::InvalidToken)?;
    let account = match &claims.gid {
        Some(gid) => {
            let grant = app.store.grant(gid).await?.ok_or(BearerError::InvalidToken)?;
            app.store.account(&grant.account_id).await?.ok_or(BearerError::InvalidToken)?
        }
        None => return Err(BearerError::InsufficientScope),
    };
    if account.disabled {
        return Err(BearerError::InvalidToken);
    }
    let mut body = super::claims::scope_claims(&app, &scopes, &account, &client).await?;
    body.insert("sub".into(), subject(&account.subject, &client, &app.pairwise_key).into());
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
