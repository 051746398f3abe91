//! `/.well-known/openid-configuration` (built once at start, truthful: only what
//! propusk implements, DS-02) and `/jwks` (the key ring's pre-serialised set).

use super::request::SUPPORTED_SCOPES;
use crate::app::App;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The discovery document for `issuer` (`require_par`: `tokens.require_par`).
pub fn document(issuer: &str, require_par: bool) -> serde_json::Value {
    let at = |path: &str| format!("{issuer}{path}");
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": at("/authorize"),
        "token_endpoint": at("/token"),
        "userinfo_endpoint": at("/userinfo"),
        "jwks_uri": at("/jwks"),
        "end_session_endpoint": at("/logout"),
        "introspection_endpoint": at("/introspect"),
        "revocation_endpoint": at("/revoke"),
        "pushed_authorization_request_endpoint": at("/par"),
        "require_pushed_authorization_requests": require_par,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        // RFC 8414 §2: the algorithms of `private_key_jwt` assertions (asymmetric only).
        "token_endpoint_auth_signing_alg_values_supported": super::client_assertion::ALGS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": super::client_assertion::ALGS,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": super::client_assertion::ALGS,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": super::dpop::ALGS,
        "scopes_supported": SUPPORTED_SCOPES,
        "claims_supported": crate::token::claims::supported_claims(),
        "claim_types_supported": ["normal"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["ru"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}

fn json_body(body: Arc<str>, max_age: &'static str) -> Response {
    let mut res = body.to_string().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(max_age));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    res
}

pub async fn configuration(State(app): State<Arc<App>>) -> Response {
    json_body(app.discovery.clone(), "public, max-age=3600")
}

pub async fn jwks(State(app): State<Arc<App>>) -> Response {
    json_body(app.keys.jwks_json(), "public, max-age=300")
}
