//! Configuration: built-in defaults → TOML file → `PROPUSK_*` environment,
//! parsed and validated once at start. A bad value is a [`ConfigError`] naming the key.

use crate::crypto::SecretString;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod audit;
mod edge;
pub mod paths;
mod upstream;
pub use audit::AuditConfig;
pub use edge::OpsConfig;

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

    /// Every rule a value must satisfy, checked once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_issuer(&self.issuer)?;
        self.listen_addr()?;
        let url = &self.database.url;
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::new("database.url", "must start with sqlite:// or postgres://"));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::new("database.max_connections", "must be at least 1"));
        }
        if !(50..=60_000).contains(&self.database.acquire_timeout_ms) {
            return Err(ConfigError::new("database.acquire_timeout_ms", "must be between 50 and 60000"));
        }
        if !matches!(self.keys.default_alg.as_str(), "RS256" | "ES256" | "EdDSA") {
            return Err(ConfigError::new("keys.default_alg", "must be RS256, ES256 or EdDSA"));
        }
        if !self.keys.master_key.is_empty() {
            match crate::crypto::b64_decode(self.keys.master_key.expose()) {
                Some(bytes) if bytes.len() == 32 => {}
                _ => return Err(ConfigError::new("keys.master_key", "must be 32 bytes in base64url")),
            }
        }
        let positive = [
            ("keys.rotation_grace_secs", self.keys.rotation_grace_secs, 0),
            ("tokens.code_ttl_secs", self.tokens.code_ttl_secs, 1),
            ("tokens.access_token_ttl_secs", self.tokens.access_token_ttl_secs, 1),
            ("tokens.id_token_ttl_secs", self.tokens.id_token_ttl_secs, 1),
            ("tokens.refresh_token_ttl_secs", self.tokens.refresh_token_ttl_secs, 1),
            ("tokens.par_ttl_secs", self.tokens.par_ttl_secs, 1),
            ("session.ttl_secs", self.session.ttl_secs, 1),
            ("session.persistent_ttl_secs", self.session.persistent_ttl_secs, 1),
            ("session.flow_ttl_secs", self.session.flow_ttl_secs, 1),
        ];
        for (key, value, min) in positive {
            if value < min {
                return Err(ConfigError::new(key, format!("must be at least {min}")));
            }
        }
        self.validate_login_time()?;
        if self.tokens.code_ttl_secs > 600 {
            return Err(ConfigError::new("tokens.code_ttl_secs", "must be at most 600 (RFC 6749 §4.1.2)"));
        }
        if self.tokens.par_ttl_secs > 600 {
            return Err(ConfigError::new("tokens.par_ttl_secs", "must be at most 600 (RFC 9126 §2.2)"));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(ConfigError::new("server.max_body_bytes", "must be at least 1024"));
        }
        crate::web::client_addr::Proxies::parse(&self.server.trusted_proxies, &self.server.client_address_header)
            .map_err(|(key, reason)| ConfigError::new(key, reason))?;
        if self.login.lock_secs == 0 || self.login.flows_window_secs == 0 {
            let key = if self.login.lock_secs == 0 { "login.lock_secs" } else { "login.flows_window_secs" };
            return Err(ConfigError::new(key, "must be at least 1"));
        }
        self.validate_edge()?;
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::new("log.format", "must be text or json"));
        }
        self.validate_upstream()?;
        self.mail.validate().map_err(|(key, reason)| ConfigError::new(format!("mail.{key}"), reason))?;
        Ok(())
    }

    /// A login must outlive ESIA's second factor: the flow at least 15 minutes, and
    /// ESIA's state no longer than the flow that keeps it.
    fn validate_login_time(&self) -> Result<(), ConfigError> {
        let min = crate::connector::MIN_LOGIN_SECS;
        if self.session.flow_ttl_secs < min {
            return Err(ConfigError::new(
                "session.flow_ttl_secs",
                format!("must be at least {min} (ESIA's second factor can take minutes)"),
            ));
        }
        if self.esia.enabled && self.esia.state_ttl_secs > self.session.flow_ttl_secs {
            return Err(ConfigError::new("esia.state_ttl_secs", "must not exceed session.flow_ttl_secs"));
        }
        Ok(())
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

/// The issuer: an absolute `https` URL (plain `http` only on a loopback host), with
/// no query, fragment or trailing slash, so it is byte-identical everywhere (DS-01).
fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
    let err = |reason: &str| ConfigError::new("issuer", reason);
    let url = url::Url::parse(issuer).map_err(|_| err("must be an absolute URL"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err("must not have a query or fragment"));
    }
    if issuer.ends_with('/') {
        return Err(err("must not end with a slash"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url.host_str().unwrap_or_default()) => Ok(()),
        _ => Err(err("must use https (plain http only on a loopback address)")),
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

/// `localhost`, or an IP literal of a loopback address (`127.0.0.0/8`, `[::1]`) — never
/// a name that merely starts like one (`127.attacker.example`).
pub fn is_loopback_host(host: &str) -> bool {
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host == "localhost" || literal.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
