//! The ESIA sandbox: ESIA's paths and parameter names, as strict as ESIA about
//! client id, certificate hash, signature, timestamp, redirect URI and state;
//! personas from JSON, login and consent pages, ESIA-shaped tokens and REST
//! answers limited to granted scopes, and fault knobs for tests.
//!
//! Mount [`router`] under any prefix (e.g. `/esia-sandbox`); every link and form
//! action is built from [`SandboxConfig::base_url`].

mod authorize;
mod config;
mod pages;
pub mod personas;
mod rest;
mod rows;
mod signing;
mod sso;
mod state;
mod token;
mod verify;

pub use config::{SandboxClient, SandboxConfig};
pub use personas::{AccountType, Persona, PersonaFile};
pub use rows::MemoryRows;
pub use state::{Faults, SandboxState};

use axum::Router;
use axum::routing::{get, post};
use std::net::SocketAddr;

/// The sandbox's routes, relative to its mount point.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route("/aas/oauth2/v2/ac", get(authorize::authorize_v2))
        .route("/aas/oauth2/ac", get(authorize::authorize_v1))
        .route("/aas/oauth2/login", post(authorize::login))
        .route("/aas/oauth2/consent", post(authorize::consent))
        .route("/aas/oauth2/sandbox.css", get(pages::stylesheet))
        .route("/aas/oauth2/v3/te", post(token::token_v3))
        .route("/aas/oauth2/te", post(token::token_v1))
        .route("/idp/ext/Logout", get(authorize::logout))
        .route("/rs/prns/{oid}", get(rest::person))
        .route("/rs/prns/{oid}/{collection}", get(rest::collection))
        .route("/rs/prns/{oid}/{collection}/{id}", get(rest::element))
        .route("/public/esia.pem", get(rest::certificate))
        .with_state(state)
}

/// Runs the sandbox alone (`propusk esia-sandbox`).
/// With the default `base_url`, links and form actions point at the bound address.
pub async fn serve(listen: SocketAddr, mut config: SandboxConfig) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    if config.base_url == SandboxConfig::default().base_url {
        config.base_url = format!("http://{}", listener.local_addr()?);
    }
    let state = SandboxState::new(config, std::sync::Arc::new(crate::clock::SystemClock))?;
    tracing::info!(addr = %listener.local_addr()?, "ESIA sandbox listening");
    axum::serve(listener, router(state)).await?;
    Ok(())
}
