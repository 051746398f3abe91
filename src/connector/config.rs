//! The `[esia]` configuration section: where ESIA is, who we are there, how we sign,
//! which ESIA certificates we trust, network limits, and the sandbox.

use super::sandbox::SandboxConfig;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The shortest time a login may take at ESIA (the second factor: SMS, push, ЭП):
/// both `esia.state_ttl_secs` and `session.flow_ttl_secs` are at least this.
pub const MIN_LOGIN_SECS: i64 = 900;

/// The `[esia]` section of the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsiaConfig {
    /// Offer «Через Госуслуги». Off by default; `serve --demo` points it at the sandbox.
    pub enabled: bool,
    /// ESIA base URL: `https://esia.gosuslugi.ru` or `https://esia-portal1.test.gosuslugi.ru`.
    pub base_url: String,
    /// Our IS mnemonic at ESIA.
    pub client_id: String,
    /// Our callback URL, registered at ESIA.
    pub redirect_uri: String,
    /// The `iss` ESIA puts into its tokens (note `http://` and the trailing slash).
    pub issuer: String,
    /// PEM/DER files with ESIA's token-signing certificates (several during rotation).
    pub certificates: Vec<PathBuf>,
    /// A directory of ESIA's certificates (every `.pem`, `.cer`, `.crt`, `.der` file),
    /// re-read without a restart; used together with `certificates`.
    pub certificates_dir: Option<PathBuf>,
    /// How often `certificates_dir` is looked at again (it is also looked at when a
    /// token fits none of the trusted certificates).
    pub certificates_reload_secs: i64,
    /// A PEM bundle of CA certificates trusted for ESIA's TLS (the Russian Trusted Root CA).
    pub ca_bundle: Option<PathBuf>,
    /// Trust only `ca_bundle` for ESIA's TLS, not the system's roots.
    pub ca_bundle_only: bool,
    /// Use the legacy v1 endpoints (`/aas/oauth2/ac`, `/te`) with CMS signatures.
    pub legacy_v1: bool,
    /// `online` or `offline` (the latter asks for a refresh token).
    pub access_type: String,
    pub signer: SignerConfig,
    /// Allow plain http to ESIA (sandbox and tests on loopback only).
    pub allow_http: bool,
    pub connect_timeout_ms: u64,
    /// Whole-request timeout for each call to ESIA.
    pub timeout_ms: u64,
    pub max_response_bytes: usize,
    /// Clock leeway for `exp`/`nbf` of ESIA's tokens.
    pub leeway_secs: i64,
    /// How long a started login may wait for its callback.
    pub state_ttl_secs: i64,
    /// Our logout of a session that came from ESIA also ends the ESIA session (LO-05):
    /// the browser goes through ESIA's logout endpoint and back.
    pub end_session_on_logout: bool,
    /// The ESIA sandbox (`propusk esia-sandbox`, `serve --demo`).
    pub sandbox: SandboxConfig,
}

/// How `client_secret` is signed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignerConfig {
    /// `openssl` (key file in process; GOST needs the engine) or `command`.
    pub kind: String,
    /// PEM private key (`openssl` kind).
    pub key_file: PathBuf,
    /// The certificate registered at ESIA (both kinds; its hash is sent).
    pub cert_file: PathBuf,
    /// `command` kind: signature algorithm of the command, `GOST3410_2012_256` or `RS256`.
    pub algorithm: String,
    /// `command` kind: program and arguments; message on stdin, signature on stdout.
    pub command: Vec<String>,
    /// `raw` or `base64` stdout.
    pub command_output: String,
    /// Reverse the signature bytes (CryptoPro/CryptoAPI order).
    pub reverse_bytes: bool,
    pub command_timeout_ms: u64,
}

impl Default for SignerConfig {
    fn default() -> Self {
        Self {
            kind: "openssl".into(),
            key_file: PathBuf::new(),
            cert_file: PathBuf::new(),
            algorithm: "GOST3410_2012_256".into(),
            command: Vec::new(),
            command_output: "raw".into(),
            reverse_bytes: false,
            command_timeout_ms: 5000,
        }
    }
}

impl Default for EsiaConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: "https://esia-portal1.test.gosuslugi.ru".into(),
            client_id: String::new(),
            redirect_uri: String::new(),
            issuer: "http://esia-portal1.test.gosuslugi.ru/".into(),
            certificates: Vec::new(),
            certificates_dir: None,
            certificates_reload_secs: 30,
            ca_bundle: None,
            ca_bundle_only: false,
            legacy_v1: false,
            access_type: "online".into(),
            signer: SignerConfig::default(),
            allow_http: false,
            connect_timeout_ms: 3000,
            timeout_ms: 10_000,
            max_response_bytes: 1 << 20,
            leeway_secs: 60,
            state_ttl_secs: 900,
            end_session_on_logout: true,
            sandbox: SandboxConfig::default(),
        }
    }
}

impl EsiaConfig {
    /// The connector settings that talk to a sandbox at `sandbox_base`
    /// (e.g. `{issuer}/esia-sandbox`) with the test RSA key of `keys/`.
    pub fn for_sandbox(sandbox_base: &str, redirect_uri: &str) -> Self {
        let sandbox = SandboxConfig::demo(sandbox_base, redirect_uri);
        Self {
            enabled: true,
            base_url: sandbox_base.trim_end_matches('/').to_string(),
            client_id: sandbox.clients.first().map(|c| c.client_id.clone()).unwrap_or_default(),
            redirect_uri: redirect_uri.to_string(),
            issuer: sandbox.issuer.clone(),
            certificates: vec![sandbox.token_cert_file.clone()],
            allow_http: true,
            signer: SignerConfig {
                kind: "openssl".into(),
                key_file: "keys/test-rp-rsa.key".into(),
                cert_file: "keys/test-rp-rsa.crt".into(),
                ..SignerConfig::default()
            },
            sandbox,
            ..Self::default()
        }
    }

    /// Checks the section; on error returns (key within `esia.`, reason).
    pub fn validate(&self, demo: bool) -> Result<(), (String, String)> {
        let err = |k: &str, r: &str| Err((k.to_string(), r.to_string()));
        if !self.enabled {
            return Ok(());
        }
        let base = match url::Url::parse(&self.base_url) {
            Ok(u) => u,
            Err(_) => return err("base_url", "not an absolute URL"),
        };
        if base.scheme() != "https" {
            let loopback = matches!(base.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if !(self.allow_http && (demo || loopback)) {
                return err("base_url", "must be https (http only with allow_http for a loopback sandbox or demo)");
            }
        }
        if self.client_id.trim().is_empty() {
            return err("client_id", "required when esia.enabled");
        }
        if url::Url::parse(&self.redirect_uri).is_err() {
            return err("redirect_uri", "not an absolute URL");
        }
        if self.issuer.is_empty() {
            return err("issuer", "required");
        }
        if self.certificates.is_empty() && self.certificates_dir.is_none() {
            return err(
                "certificates",
                "at least one ESIA certificate (or esia.certificates_dir) is required to verify tokens",
            );
        }
        if !(1..=86_400).contains(&self.certificates_reload_secs) {
            return err("certificates_reload_secs", "between 1 and 86400");
        }
        if self.ca_bundle_only && self.ca_bundle.is_none() {
            return err("ca_bundle_only", "needs esia.ca_bundle");
        }
        if !matches!(self.access_type.as_str(), "online" | "offline") {
            return err("access_type", "online or offline");
        }
        match self.signer.kind.as_str() {
            "openssl" if self.signer.key_file.as_os_str().is_empty() => err("signer.key_file", "required")?,
            "command" if self.signer.command.is_empty() => err("signer.command", "required")?,
            "openssl" | "command" => {}
            _ => err("signer.kind", "openssl or command")?,
        }
        if self.signer.cert_file.as_os_str().is_empty() {
            return err("signer.cert_file", "required");
        }
        if self.connect_timeout_ms == 0 || self.timeout_ms == 0 || self.signer.command_timeout_ms == 0 {
            return err("timeout_ms", "timeouts must be positive");
        }
        if self.max_response_bytes < 4096 {
            return err("max_response_bytes", "at least 4096");
        }
        if !(0..=300).contains(&self.leeway_secs) {
            return err("leeway_secs", "between 0 and 300");
        }
        if self.state_ttl_secs < MIN_LOGIN_SECS {
            return err("state_ttl_secs", "at least 900: ESIA's second factor can take minutes");
        }
        Ok(())
    }
}
