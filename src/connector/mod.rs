//! Upstream identity providers (ESIA). No axum, no sqlx here: connectors take plain
//! inputs and return plain data ([`UpstreamIdentity`]); the ESIA sandbox in
//! `sandbox/` is the one part that serves HTTP.
//!
//! Use: build an [`esia::EsiaConnector`] from the `[esia]` config section, call
//! [`Connector::start`] to get the ESIA URL and a [`Pending`] (store it server-side in
//! the flow), then [`Connector::finish`] with the callback's query parameters.

mod config;
mod error;
pub mod esia;
pub mod files;
pub(crate) mod http;
pub mod jwt;
pub mod oidc;
pub mod sandbox;
pub mod signer;
mod types;

pub use config::{EsiaConfig, MIN_LOGIN_SECS, SignerConfig};
pub use error::ConnectorError;
pub use types::{
    AccountLevel, Callback, Child, Contact, ContactKind, Document, Gender, Pending, StartRequest, UpstreamIdentity,
};

/// An upstream identity provider: start a login, finish it from the callback.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// The URL to send the browser to, and what the caller must keep server-side
    /// (bound to the browser session) until the callback arrives.
    async fn start(&self, req: StartRequest) -> Result<(url::Url, Pending), ConnectorError>;

    /// Checks the callback against `pending`, redeems the code, verifies the tokens
    /// and reads the person. The caller must consume `pending` (one use).
    async fn finish(&self, pending: &Pending, callback: Callback) -> Result<UpstreamIdentity, ConnectorError>;
}
