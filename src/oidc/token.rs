//! `POST /token`: authenticates the client, dispatches on `grant_type`, and
//! answers with `Cache-Control: no-store` (TK-01). No resource-owner password
//! grant and no implicit flow (TK-04). A request with a `DPoP` proof (RFC 9449)
//! gets tokens bound to the proof's key (`token_type: DPoP`); a client registered
//! with `dpop_bound_access_tokens` gets none without one.

use super::client_auth;
use super::error::{ErrorCode, OAuthError};
use super::grant;
use super::params::Params;
use crate::app::App;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;

/// RFC 6749 §5.1 (+ `id_token`, OIDC Core §3.1.3.3).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to a proof's key.
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let mut res = Json(self).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        res
    }
}

pub async fn token(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<TokenResponse, OAuthError> {
    let params = Params::parse(&body);
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("parameter `{name}` is repeated")));
    }
    let client = client_auth::authenticate(&app, &headers, &params, "/token").await?;
    let grant_type = params.get("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if !matches!(grant_type, "authorization_code" | "refresh_token" | "client_credentials") {
        return Err(OAuthError::new(ErrorCode::UnsupportedGrantType, "unsupported grant_type"));
    }
    if !client.grant_types.iter().any(|g| g == grant_type) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "grant_type not allowed for this client"));
    }
    let proof = super::dpop_http::at_token(&app, &headers).await?;
    if client.dpop_bound_access_tokens && proof.is_none() {
        return Err(OAuthError::invalid_dpop_proof("this client's tokens need a DPoP proof"));
    }
    let jkt = proof.as_ref().map(|p| p.jkt.as_str());
    let request_id = crate::web::headers::request_id(&headers);
    let rid = request_id.as_deref();
    let response = match grant_type {
        "authorization_code" => grant::authorization_code(&app, &client, &params, jkt, rid).await?,
        "refresh_token" => grant::refresh_token(&app, &client, &params, jkt, rid).await?,
        _ => grant::client_credentials(&app, &client, &params, jkt, rid).await?,
    };
    metrics::counter!("propusk_tokens_total", "grant" => grant_type.to_owned(), "client" => client.id.clone())
        .increment(1);
    Ok(response)
}
