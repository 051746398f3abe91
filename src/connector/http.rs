//! The outbound HTTP client for identity providers (BR-09): redirects off, short
//! timeouts, https unless allowed otherwise, a cap on response size, and the CA
//! bundle of `esia.ca_bundle` (ESIA's chain ends in the Russian Trusted Root CA),
//! added to the system's roots or, with `esia.ca_bundle_only`, instead of them.

use super::ConnectorError;
use super::config::EsiaConfig;
use std::time::Duration;

/// An answer read in full (up to the cap).
pub struct Answer {
    pub status: u16,
    pub json: bool,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    max_bytes: usize,
}

impl HttpClient {
    pub fn new(cfg: &EsiaConfig) -> Result<Self, ConnectorError> {
        // Another part of the process may have installed it first; that is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder();
        if let Some(path) = &cfg.ca_bundle {
            let roots = ca_bundle(path)?;
            builder = if cfg.ca_bundle_only { builder.tls_certs_only(roots) } else { builder.tls_certs_merge(roots) };
        }
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .read_timeout(Duration::from_millis(cfg.timeout_ms))
            .timeout(Duration::from_millis(cfg.timeout_ms))
            .https_only(!cfg.allow_http)
            .user_agent(concat!("propusk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Internal(format!("http client: {e}")))?;
        Ok(Self { client, max_bytes: cfg.max_response_bytes })
    }

    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    /// Whether `url` answers at all (any HTTP status): `propusk check`'s probe of ESIA.
    pub async fn probe(&self, url: &str) -> Result<u16, ConnectorError> {
        let resp = self.client.get(url).send().await.map_err(|e| ConnectorError::Unavailable(describe(&e)))?;
        Ok(resp.status().as_u16())
    }

    /// Sends and reads the body, refusing bodies over the cap.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, ConnectorError> {
        let mut resp = req.send().await.map_err(|e| ConnectorError::Unavailable(describe(&e)))?;
        let status = resp.status().as_u16();
        let json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        if resp.content_length().is_some_and(|n| n as usize > self.max_bytes) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| ConnectorError::Unavailable(describe(&e)))? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, json, body })
    }
}

/// The CA certificates of a PEM bundle; an unreadable file, or one without a
/// certificate, is an error naming `esia.ca_bundle`.
pub fn ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, ConnectorError> {
    let bad = |why: String| ConnectorError::Internal(format!("esia.ca_bundle {}: {why}", path.display()));
    let pem = crate::connector::files::read(path).map_err(|e| bad(e.to_string()))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(format!("not a PEM bundle ({e})")))?;
    if roots.is_empty() {
        return Err(bad("no certificate in it".into()));
    }
    Ok(roots)
}

fn too_big() -> ConnectorError {
    ConnectorError::Protocol { code: None, message: "response exceeds the size limit".into() }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "transport error".into()
    }
}

#[cfg(test)]
#[path = "http_tls_tests.rs"]
mod tls_tests;
