//! The relying-party-facing protocol: discovery, JWKS, authorize, token, userinfo,
//! introspection, revocation and RP-initiated logout.

pub mod authorize;
pub mod claims;
pub mod client;
pub mod client_auth;
pub mod discovery;
pub mod error;
pub mod grant;
pub mod inspect;
pub mod introspect;
pub mod logout;
pub mod params;
pub mod redirect;
pub mod request;
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
        .route("/userinfo", get(userinfo::userinfo).post(userinfo::userinfo))
        .route("/introspect", post(introspect::introspect))
        .route("/revoke", post(introspect::revoke))
}

/// The endpoints the person's browser is sent to (they answer with pages or redirects).
pub fn browser_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/authorize", get(authorize::get).post(authorize::post))
        .route("/logout", get(logout::get).post(logout::post))
}
