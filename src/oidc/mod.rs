//! The relying-party-facing protocol: discovery, JWKS, authorize (validation, the
//! prompt decision, the code), token, userinfo, introspection, revocation and
//! RP-initiated logout. It never imports `flow`: the journey depends on the
//! protocol, not back (the `/authorize` handlers that start a journey are `flow::begin`).

pub mod authorize;
pub mod backchannel;
pub mod backchannel_worker;
pub mod claims;
pub mod client;
pub mod client_assertion;
pub mod client_auth;
pub mod client_change;
pub mod client_jwks;
pub mod client_ops;
pub mod code;
pub mod discovery;
pub mod dpop;
pub mod dpop_http;
pub mod error;
pub mod grant;
pub mod inspect;
pub mod introspect;
pub mod login_hint;
pub mod logo;
pub mod logout;
pub mod logout_upstream;
pub mod par;
pub mod params;
pub mod prompt;
pub mod redirect;
pub mod request;
pub mod resource;
pub mod revocations;
pub mod token;
pub mod userinfo;

use crate::app::App;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// The endpoints relying parties call from their servers (no pages).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery::configuration))
        .route("/jwks", get(discovery::jwks))
        .route("/token", post(token::token))
        .route("/par", post(par::push))
        .route("/userinfo", get(userinfo::userinfo).post(userinfo::userinfo))
        .route("/introspect", post(introspect::introspect))
        .route("/revoke", post(introspect::revoke))
}

/// The endpoint of the protocol the person's browser is sent to (it answers with
/// pages or redirects); `/authorize` is served by `flow::begin`.
pub fn browser_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/logout", get(logout::get).post(logout::post))
        .route("/logout/esia", get(logout_upstream::returned))
}
