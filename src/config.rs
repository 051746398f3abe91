//! Configuration: built-in defaults → TOML file → `PROPUSK_*` environment,
//! parsed and validated once at start. A bad value is a [`ConfigError`] naming the key.

use crate::crypto::SecretString;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod admin;
mod audit;
mod edge;
pub mod paths;
mod upstream;
mod validate;
pub use admin::AdminConfig;
pub use audit::AuditConfig;
pub use edge::OpsConfig;
pub use validate::is_loopback_host;

/// A bad configuration: which key, and why. Printed as one line; exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key `{key}`: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { key: key.into(), reason: reason.into() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The issuer identifier; never derived from the request's Host header.
    pub issuer: String,
    /// Seed the demo data set and mount the ESIA sandbox.
    pub demo: bool,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub keys: KeysConfig,
    pub tokens: TokensConfig,
    pub session: SessionConfig,
    pub login: LoginConfig,
    pub clients: ClientsConfig,
    pub log: LogConfig,
    pub esia: crate::connector::EsiaConfig,
    /// The generic OIDC upstream behind «Через Госуслуги» (instead of `esia`).
    pub oidc: crate::connector::oidc::OidcConfig,
    pub mail: crate::mail::MailConfig,
    pub ops: OpsConfig,
    pub audit: AuditConfig,
    /// The staff console (`/admin`).
    pub admin: AdminConfig,
    /// Back-Channel Logout: the delivery of logout tokens to relying parties.
    pub backchannel: crate::oidc::backchannel::BackchannelConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    /// Whole-request timeout.
    pub request_timeout_secs: u64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Tokio worker threads (0 = one per core).
    pub worker_threads: usize,
    /// Peers (CIDRs or addresses) whose forwarding header names the client (AB-04);
    /// a list, or one string of comma-separated entries (for the environment).
    #[serde(deserialize_with = "list_or_csv")]
    pub trusted_proxies: Vec<String>,
    /// The header those proxies write: `x-forwarded-for` or `forwarded` (RFC 7239).
    pub client_address_header: String,
    /// A request head (a new connection's first, or the next on a kept-alive one once its
    /// first byte came) must be complete within this (slowloris, AB-02).
    pub header_read_timeout_secs: u64,
    /// A kept-alive connection with no request under way is closed after this.
    pub idle_timeout_secs: u64,
    /// Open connections per listener; past it a new connection gets 503 and is closed.
    pub max_connections: usize,
    /// Requests handled at once; past it a request gets 503 + `Retry-After` at once.
    pub max_in_flight: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://path` or `postgres://…`; decides the backend.
    pub url: String,
    pub max_connections: u32,
    /// The longest a request waits for a database connection (reconnecting
    /// included) before it answers 503 with `Retry-After`; 50..=60000.
    pub acquire_timeout_ms: u64,
}

impl DatabaseConfig {
    /// The store's pool settings.
    pub fn pool(&self) -> crate::store::PoolSettings {
        crate::store::PoolSettings {
            max_connections: self.max_connections,
            acquire_timeout: std::time::Duration::from_millis(self.acquire_timeout_ms),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// The master secret (base64url, 32 bytes). Empty: read `master_key_file`,
    /// creating it on first start.
    #[serde(skip_serializing)]
    pub master_key: SecretString,
    pub master_key_file: PathBuf,
    /// Algorithm of ID tokens for clients that do not choose one.
    pub default_alg: String,
    /// How long a rotated-in key is published before it signs.
    pub rotation_grace_secs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    pub code_ttl_secs: i64,
    pub access_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// Lifetime of a pushed request's `request_uri` (RFC 9126), at most 600.
    pub par_ttl_secs: i64,
    /// Every client must push its authorization requests (`/par`).
    pub require_par: bool,
    /// A DPoP proof at `/token`, `/par` (RFC 9449 §8) and UserInfo (§9) must carry a server nonce.
    pub require_dpop_nonce: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Lifetime of a session without «Остаться в системе».
    pub ttl_secs: i64,
    /// Lifetime with «Остаться в системе» (persistent cookie).
    pub persistent_ttl_secs: i64,
    /// How long a login flow may take.
    pub flow_ttl_secs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Failures of one login before it is locked.
    pub max_failures_per_login: u32,
    /// Failures from one IP before it is locked.
    pub max_failures_per_ip: u32,
    /// How long a lock lasts.
    pub lock_secs: u64,
    /// Delay added per earlier failure, growing linearly up to the lock.
    pub delay_step_ms: u64,
    /// Delay of every attempt from an address past `max_failures_per_ip` (an address
    /// limit slows; it refuses only logins that have failures of their own).
    pub ip_delay_ms: u64,
    /// Login flows one client address may start per `flows_window_secs` (0 = no limit).
    pub max_flows_per_address: u32,
    pub flows_window_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientsConfig {
    /// How long a found client stays cached (misses are never cached).
    pub cache_ttl_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `propusk=debug`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080".into(),
            demo: false,
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            keys: KeysConfig::default(),
            tokens: TokensConfig::default(),
            session: SessionConfig::default(),
            login: LoginConfig::default(),
            clients: ClientsConfig::default(),
            log: LogConfig::default(),
            esia: crate::connector::EsiaConfig::default(),
            oidc: crate::connector::oidc::OidcConfig::default(),
            mail: crate::mail::MailConfig::default(),
            ops: OpsConfig::default(),
            audit: AuditConfig::default(),
            admin: AdminConfig::default(),
            backchannel: crate::oidc::backchannel::BackchannelConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            request_timeout_secs: 30,
            max_body_bytes: 16 * 1024,
            worker_threads: 0,
            trusted_proxies: Vec::new(),
            client_address_header: "x-forwarded-for".into(),
            header_read_timeout_secs: 10,
            idle_timeout_secs: 75,
            max_connections: 1024,
            max_in_flight: 64,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        let acquire_timeout_ms = u64::try_from(crate::store::DEFAULT_ACQUIRE_TIMEOUT.as_millis()).unwrap_or(2000);
        Self { url: "sqlite://data/propusk.db".into(), max_connections: 16, acquire_timeout_ms }
    }
}

impl Default for KeysConfig {
    fn default() -> Self {
        Self {
            master_key: SecretString::default(),
            master_key_file: PathBuf::from("keys/master.key"),
            default_alg: "RS256".into(),
            rotation_grace_secs: 3600,
        }
    }
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            code_ttl_secs: 60,
            access_token_ttl_secs: 600,
            id_token_ttl_secs: 3600,
            refresh_token_ttl_secs: 30 * 86400,
            par_ttl_secs: 60,
            require_par: false,
            require_dpop_nonce: false,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { ttl_secs: 12 * 3600, persistent_ttl_secs: 30 * 86400, flow_ttl_secs: 1800 }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            max_failures_per_login: 5,
            max_failures_per_ip: 50,
            lock_secs: 900,
            delay_step_ms: 250,
            ip_delay_ms: 2000,
            max_flows_per_address: 600,
            flows_window_secs: 600,
        }
    }
}

impl Default for ClientsConfig {
    fn default() -> Self {
        Self { cache_ttl_secs: 5 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: "text".into(), level: "info".into() }
    }
}

impl Config {
    /// Defaults, then the file (if any), then `PROPUSK_*` variables; relative paths then
    /// resolve against the file's directory ([`paths`]); then validation.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::new("--config", format!("file {} does not exist", path.display())));
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(Env::prefixed("PROPUSK_").split("__"));
        let mut config: Config = fig.extract().map_err(|e| {
            let key = if e.path.is_empty() { "(file)".to_owned() } else { e.path.join(".") };
            ConfigError::new(key, e.kind.to_string())
        })?;
        if let Some(path) = file {
            paths::resolve(&mut config, &paths::config_dir(path));
        }
        config.validate()?;
        Ok(config)
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server
            .listen
            .parse()
            .map_err(|_| ConfigError::new("server.listen", "must be an address like 127.0.0.1:8080"))
    }

    /// Whether cookies can carry `Secure` and the `__Host-` prefix.
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

/// A list given as a TOML array or as one comma-separated string (an environment variable).
fn list_or_csv<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(list) => list,
        Either::Csv(csv) => csv.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}

#[cfg(test)]
mod tests;
