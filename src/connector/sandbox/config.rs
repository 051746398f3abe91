//! Sandbox configuration: its public base URL, token issuer and key, persona file,
//! the registered information systems (client id, certificates, redirect URIs).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxConfig {
    /// Public URL of the sandbox root (links, form actions, REST element URLs).
    pub base_url: String,
    /// `iss` of the tokens it issues.
    pub issuer: String,
    pub personas_file: PathBuf,
    /// Key and certificate the sandbox signs tokens with (RSA → RS256, GOST → GOST3410_2012_256).
    pub token_key_file: PathBuf,
    pub token_cert_file: PathBuf,
    pub clients: Vec<SandboxClient>,
    /// Accepted distance between a request's `timestamp` and now (ESIA-007015).
    pub timestamp_window_secs: i64,
    pub code_ttl_secs: i64,
    pub access_ttl_secs: i64,
    pub id_ttl_secs: i64,
    /// How long the sandbox remembers a signed-in browser (a second `/ac` asks no
    /// password) until `/idp/ext/Logout`; 0: no SSO.
    pub sso_secs: i64,
    /// A slow upstream: milliseconds added before every token and REST answer (the
    /// initial value of the `latency_ms` fault knob; the load bench's S8 sets 200).
    pub latency_ms: u64,
}

/// An information system registered at the sandbox (as on ESIA's tech portal).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxClient {
    pub client_id: String,
    /// Certificates whose keys may sign `client_secret` (GOST and, for tests, RSA).
    pub certificates: Vec<PathBuf>,
    /// Exact redirect URIs allowed (ESIA-007023 otherwise).
    pub redirect_uris: Vec<String>,
    /// Scopes the IS is approved for; empty = all known (ESIA-007019 otherwise).
    pub scopes: Vec<String>,
}

impl Default for SandboxClient {
    fn default() -> Self {
        Self {
            client_id: "PROPUSK".into(),
            certificates: vec!["keys/test-rp-rsa.crt".into(), "keys/test-rp-gost.crt".into()],
            redirect_uris: Vec::new(),
            scopes: Vec::new(),
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8090".into(),
            issuer: "http://esia-portal1.test.gosuslugi.ru/".into(),
            personas_file: "config/esia-personas.json".into(),
            token_key_file: "keys/test-esia-sandbox-rsa.key".into(),
            token_cert_file: "keys/test-esia-sandbox-rsa.crt".into(),
            clients: vec![SandboxClient {
                redirect_uris: vec!["http://127.0.0.1:8080/login/esia/callback".into()],
                ..SandboxClient::default()
            }],
            timestamp_window_secs: 300,
            code_ttl_secs: 240,
            access_ttl_secs: 3600,
            id_ttl_secs: 10800,
            sso_secs: 0,
            latency_ms: 0,
        }
    }
}

impl SandboxConfig {
    /// The demo set-up: sandbox at `base_url`, client `PROPUSK` with the test
    /// certificates of `keys/`, one redirect URI.
    pub fn demo(base_url: &str, redirect_uri: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            clients: vec![SandboxClient { redirect_uris: vec![redirect_uri.to_string()], ..SandboxClient::default() }],
            ..Self::default()
        }
    }
}
