//! `/userinfo` (GET and POST, OIDC Core §5.3): a live access token in the
//! `Authorization: Bearer` header (never in the query string, UI-03) with the
//! `openid` scope; the claims of its scopes only (UI-04), `sub` as in the ID token.

use super::error::BearerError;
use super::inspect::access_live;
use crate::app::App;
use crate::token::Scopes;
use crate::token::claims::subject;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

pub async fn userinfo(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, BearerError> {
    if query.as_deref().is_some_and(|q| q.contains("access_token=")) {
        return Err(BearerError::InvalidRequest("access tokens are not accepted in the query string"));
    }
    let token = bearer(&headers).ok_or(BearerError::InvalidToken)?;
    let claims = app.issuer.verify_access_token(token).map_err(|_| BearerError::InvalidToken)?;
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
