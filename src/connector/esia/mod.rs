//! The ESIA connector: `/aas/oauth2/v2/ac` + `/aas/oauth2/v3/te` (or legacy v1 with
//! CMS), signed with a [`Signer`], tokens verified against pinned ESIA certificates,
//! then the person read from `/rs/prns/{oid}` according to the granted scopes.

pub mod api;
pub mod errors;
mod person;
#[cfg(test)]
mod proptests;
pub mod protocol;
mod token;
pub mod trust;

use super::config::EsiaConfig;
use super::http::HttpClient;
use super::signer::{SignError, Signer, certificate_hash, sign_blocking};
use super::{Callback, Connector, ConnectorError, Pending, StartRequest, UpstreamIdentity};
use crate::clock::Clock;
use crate::crypto::{b64, ct_eq};
use protocol::{AC_V1, AC_V2, LOGOUT, new_state, signed_string_v1, signed_string_v2, timestamp};
use std::sync::Arc;

/// Talks to ESIA (or the sandbox) as one registered information system.
pub struct EsiaConnector {
    cfg: EsiaConfig,
    base: url::Url,
    signer: Arc<dyn Signer>,
    cert_hash: String,
    trust: trust::TrustStore,
    http: HttpClient,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for EsiaConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsiaConnector")
            .field("base", &self.base.as_str())
            .field("client_id", &self.cfg.client_id)
            .finish()
    }
}

impl EsiaConnector {
    /// Builds the connector from config, loading the signer and ESIA's certificates.
    pub fn new(cfg: EsiaConfig, clock: Arc<dyn Clock>) -> Result<Self, ConnectorError> {
        let signer = super::signer::from_config(&cfg.signer).map_err(sign_err)?;
        Self::with_signer(cfg, signer, clock)
    }

    /// Same with a ready signer (tests, HSM integrations).
    pub fn with_signer(
        cfg: EsiaConfig,
        signer: Arc<dyn Signer>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConnectorError> {
        let base = url::Url::parse(cfg.base_url.trim_end_matches('/'))
            .map_err(|e| ConnectorError::Internal(format!("esia.base_url: {e}")))?;
        if base.scheme() != "https" && !cfg.allow_http {
            return Err(ConnectorError::Internal("esia.base_url must be https".into()));
        }
        let trust = trust::TrustStore::load(&cfg, clock.now())?;
        let cert_hash = certificate_hash(signer.certificate_der());
        let http = HttpClient::new(&cfg)?;
        Ok(Self { cfg, base, signer, cert_hash, trust, http, clock })
    }

    /// `client_certificate_hash` we send (Streebog-256 of our certificate, uppercase hex).
    pub fn certificate_hash(&self) -> &str {
        &self.cert_hash
    }

    /// SHA-256 fingerprints of the ESIA certificates trusted now.
    pub fn trusted_fingerprints(&self) -> Vec<String> {
        self.trust.fingerprints()
    }

    /// ESIA's logout URL (RP-initiated logout); `redirect_url` must be registered at ESIA.
    pub fn logout_url(&self, redirect_url: &str) -> url::Url {
        let mut u = self.endpoint(LOGOUT);
        u.query_pairs_mut().append_pair("client_id", &self.cfg.client_id).append_pair("redirect_url", redirect_url);
        u
    }

    fn endpoint(&self, path: &str) -> url::Url {
        let mut u = self.base.clone();
        let joined = format!("{}{path}", self.base.path().trim_end_matches('/'));
        u.set_path(&joined);
        u.set_query(None);
        u
    }

    /// `client_secret` over `message`: raw signature (v2) or detached CMS (v1), base64url.
    async fn client_secret(&self, message: String) -> Result<String, ConnectorError> {
        let sig =
            sign_blocking(self.signer.clone(), message.into_bytes(), self.cfg.legacy_v1).await.map_err(sign_err)?;
        Ok(b64(&sig))
    }
}

fn sign_err(e: SignError) -> ConnectorError {
    ConnectorError::Internal(e.to_string())
}

#[async_trait::async_trait]
impl Connector for EsiaConnector {
    async fn start(&self, req: StartRequest) -> Result<(url::Url, Pending), ConnectorError> {
        let redirect_uri = if req.redirect_uri.is_empty() { self.cfg.redirect_uri.clone() } else { req.redirect_uri };
        let scopes: Vec<String> = req.scopes.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if scopes.is_empty() {
            return Err(ConnectorError::Internal("no ESIA scopes requested".into()));
        }
        let scope = scopes.join(" ");
        let state = new_state();
        let now = self.clock.now();
        let ts = timestamp(now);
        let id = &self.cfg.client_id;
        let (path, message) = if self.cfg.legacy_v1 {
            (AC_V1, signed_string_v1(id, &scope, &ts, &state))
        } else {
            (AC_V2, signed_string_v2(id, &scope, &ts, &state, &redirect_uri, ""))
        };
        let secret = self.client_secret(message).await?;
        let mut url = self.endpoint(path);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", id)
                .append_pair("client_secret", &secret)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("scope", &scope)
                .append_pair("response_type", "code")
                .append_pair("state", &state)
                .append_pair("timestamp", &ts)
                .append_pair("access_type", &self.cfg.access_type);
            if !self.cfg.legacy_v1 {
                q.append_pair("client_certificate_hash", &self.cert_hash);
            }
        }
        let pending = Pending { connector: "esia".into(), state, scopes, redirect_uri, created_at: now };
        Ok((url, pending))
    }

    async fn finish(&self, pending: &Pending, callback: Callback) -> Result<UpstreamIdentity, ConnectorError> {
        if let Some(error) = callback.error.as_deref() {
            return Err(ConnectorError::from_esia(error, callback.error_description.as_deref()));
        }
        let state = callback.state.as_deref().unwrap_or_default();
        if !ct_eq(state.as_bytes(), pending.state.as_bytes()) || pending.connector != "esia" {
            return Err(ConnectorError::StateMismatch);
        }
        if self.clock.now() - pending.created_at > self.cfg.state_ttl_secs {
            return Err(ConnectorError::StateMismatch);
        }
        let code = callback
            .code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ConnectorError::Protocol { code: None, message: "callback without code".into() })?;
        let tokens = self.exchange(pending, &code).await?;
        self.read_person(pending, tokens).await
    }
}
