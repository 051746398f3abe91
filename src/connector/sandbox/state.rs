//! The sandbox's state: loaded personas, registered clients with their certificate
//! hashes, the token key, the fault knobs tests turn, and the rows (pending logins,
//! issued codes and refresh tokens: in memory, or in the server's database when a
//! server mounts the sandbox, see `rows.rs`).

use super::config::SandboxConfig;
use super::personas::{Persona, PersonaFile};
use super::rows::{MemoryRows, Rows};
use crate::clock::Clock;
use crate::connector::signer::{OpensslSigner, Signer, certificate_hash, load_certificates};
use anyhow::Context as _;
use openssl::x509::X509;
use std::sync::{Arc, Mutex, MutexGuard};

/// Failure injection (tests): applied to the token and REST endpoints. `latency_ms`
/// starts at `esia.sandbox.latency_ms` of the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Added before every token/REST answer.
    pub latency_ms: u64,
    /// Answer 503 with an HTML page.
    pub server_error: bool,
    /// Answer 200 with a body that is not JSON.
    pub malformed_json: bool,
    /// Corrupt the signature of issued tokens.
    pub bad_token_signature: bool,
    /// Change the payload of issued tokens after signing.
    pub tampered_token: bool,
    /// Issue tokens that expired an hour ago.
    pub expired_tokens: bool,
    /// Echo a different `state` from the token endpoint.
    pub wrong_state_echo: bool,
    /// Send the browser straight back from `/ac` with this ESIA code (`ESIA-007055`).
    pub callback_error: Option<String>,
}

pub(super) struct RegisteredClient {
    pub client_id: String,
    /// (uppercase Streebog-256 hex of DER, certificate)
    pub certs: Vec<(String, X509)>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
}

/// A login in progress at the sandbox (between `/ac` and the consent answer).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: String,
    pub persona: Option<usize>,
    pub created_at: i64,
}

/// An issued authorization code or refresh token (spent by taking its row).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub persona: usize,
    pub expires_at: i64,
}

pub(super) struct Inner {
    pub cfg: SandboxConfig,
    pub personas: Vec<Persona>,
    pub clients: Vec<RegisteredClient>,
    pub signer: Arc<dyn Signer>,
    pub token_cert: X509,
    pub clock: Arc<dyn Clock>,
    pub faults: Mutex<Faults>,
    /// Token signers that replaced `signer`, newest last (`signing.rs`).
    pub rotated: Mutex<Vec<Arc<dyn Signer>>>,
}

/// Shared sandbox state; cheap to clone.
#[derive(Clone)]
pub struct SandboxState(pub(super) Arc<Inner>, pub(super) Rows);

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SandboxState {
    /// Loads personas, client certificates and the token key named in `cfg`.
    pub fn new(cfg: SandboxConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let raw = crate::connector::files::read(&cfg.personas_file)
            .with_context(|| format!("reading personas {}", cfg.personas_file.display()))?;
        let file: PersonaFile = serde_json::from_slice(&raw).context("parsing the persona file")?;
        let signer = OpensslSigner::from_files(&cfg.token_key_file, &cfg.token_cert_file)
            .context("loading the sandbox token key")?;
        Self::with_parts(cfg, file.personas, Arc::new(signer), clock)
    }

    /// Same with personas and token signer given (tests).
    pub fn with_parts(
        cfg: SandboxConfig,
        personas: Vec<Persona>,
        signer: Arc<dyn Signer>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let token_cert = X509::from_der(signer.certificate_der()).context("token certificate")?;
        let mut clients = Vec::new();
        for c in &cfg.clients {
            let mut certs = Vec::new();
            for path in &c.certificates {
                // A GOST certificate parses without the engine; only its key cannot be used then.
                for cert in load_certificates(path)? {
                    certs.push((certificate_hash(&cert.to_der()?), cert));
                }
            }
            clients.push(RegisteredClient {
                client_id: c.client_id.clone(),
                certs,
                redirect_uris: c.redirect_uris.clone(),
                scopes: c.scopes.clone(),
            });
        }
        let rows = Rows::new(Arc::new(MemoryRows::new(clock.clone())));
        let faults = Faults { latency_ms: cfg.latency_ms, ..Faults::default() };
        Ok(Self(
            Arc::new(Inner {
                cfg,
                personas,
                clients,
                signer,
                token_cert,
                clock,
                faults: Mutex::new(faults),
                rotated: Mutex::default(),
            }),
            rows,
        ))
    }

    /// The same sandbox keeping its rows in `rows` (the server's database, so that
    /// every node mounting the sandbox shares them) instead of in memory.
    pub fn with_rows(self, rows: Arc<dyn crate::store::sandbox::SandboxRows>) -> Self {
        Self(self.0, Rows::new(rows))
    }

    /// Sets the fault knobs (tests).
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.0.faults) = faults;
    }

    pub fn faults(&self) -> Faults {
        lock(&self.0.faults).clone()
    }

    /// The certificate the sandbox signs tokens with (give it to the connector).
    pub fn token_certificate_pem(&self) -> anyhow::Result<Vec<u8>> {
        Ok(self.0.token_cert.to_pem()?)
    }

    pub fn personas(&self) -> &[Persona] {
        &self.0.personas
    }

    pub(super) fn client(&self, id: &str) -> Option<&RegisteredClient> {
        self.0.clients.iter().find(|c| c.client_id == id)
    }

    pub(super) fn rows(&self) -> &Rows {
        &self.1
    }

    pub(super) fn now(&self) -> i64 {
        self.0.clock.now()
    }

    pub(super) fn base(&self) -> &str {
        self.0.cfg.base_url.trim_end_matches('/')
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
