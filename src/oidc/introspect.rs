//! `/introspect` (RFC 7662) and `/revoke` (RFC 7009). Both need client
//! authentication; a client only learns about, and only revokes, its own tokens.

use super::client_auth;
use super::error::OAuthError;
use super::inspect::{Found, find};
use super::params::Params;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::store::AuthMethod;
use crate::token::AccessClaims;
use crate::token::claims::subject;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// POST /introspect. IN-01: anonymous and public callers get 401; IN-02: anything
/// not live, or not the caller's, is `{"active": false}` and nothing else.
pub async fn introspect(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthError> {
    let params = Params::parse(&body);
    let client = client_auth::authenticate(&app, &headers, &params, "/introspect").await?;
    if client.auth_method == AuthMethod::None {
        return Err(OAuthError::invalid_client(false));
    }
    let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let found = match find(&app, token, params.get("token_type_hint")).await? {
        Some(found) if found.live() && found.client_id() == client.id => Some(found),
        _ => None,
    };
    // The `sub` of a refresh token: the account's, as the ID token says it.
    let refresh_sub = match &found {
        Some(Found::Refresh { grant, .. }) => {
            app.store.account(&grant.account_id).await?.map(|a| subject(&a.subject, &client, &app.pairwise_key))
        }
        _ => None,
    };
    let body = match (found, refresh_sub) {
        (Some(Found::Access { claims, .. }), _) => access_json(claims),
        (Some(Found::Refresh { token, grant, .. }), Some(sub)) => json!({
            "active": true,
            "scope": grant.scope,
            "client_id": token.client_id,
            "sub": sub,
            "exp": token.expires_at,
            "iat": token.created_at,
            "iss": app.config.issuer,
            "token_type": "refresh_token",
        }),
        // Nothing live of the caller's, or a refresh token whose account is gone.
        _ => json!({ "active": false }),
    };
    Ok(no_store(Json(body).into_response()))
}

/// An active access token's answer; a DPoP-bound one names its key and type (RFC 9449 §6.2).
fn access_json(claims: AccessClaims) -> serde_json::Value {
    let mut v = json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "exp": claims.exp,
        "iat": claims.iat,
        "aud": claims.aud.as_json(),
        "iss": claims.iss,
        "jti": claims.jti,
        "token_type": if claims.cnf.is_some() { "DPoP" } else { "Bearer" },
    });
    if let Some(cnf) = claims.cnf {
        v["cnf"] = json!(cnf);
    }
    v
}

/// POST /revoke. RV-02: unknown or invalid tokens answer 200. RV-01: another
/// client's token is left alone. RV-03: revoking a refresh token revokes its whole
/// grant (and so every access token of it); revoking an access token revokes only it.
/// RV-05: a storage failure answers 503/500, never 200.
pub async fn revoke(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthError> {
    let params = Params::parse(&body);
    let client = client_auth::authenticate(&app, &headers, &params, "/revoke").await?;
    let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    match find(&app, token, params.get("token_type_hint")).await? {
        Some(Found::Refresh { grant, .. }) if grant.client_id == client.id => {
            let event = AuditEvent::TokenRevoked {
                client_id: client.id.clone(),
                grant_id: Some(grant.id.clone()),
                token_id: None,
            };
            app.store.revoke_grant(&grant.id, &event).await?;
        }
        Some(Found::Access { claims, live: true }) if claims.client_id == client.id => {
            let event = AuditEvent::TokenRevoked {
                client_id: client.id.clone(),
                grant_id: claims.gid.clone(),
                token_id: Some(claims.jti.clone()),
            };
            app.store.revoke_token_id(&claims.jti, claims.exp, &event).await?;
        }
        _ => {}
    }
    Ok(no_store(StatusCode::OK.into_response()))
}
