//! The rules every configuration value must satisfy, checked once after loading
//! ([`Config::validate`]); each error names its key.

use super::{Config, ConfigError};

impl Config {
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
        if self.audit.retention_days > 36_500 {
            return Err(ConfigError::new("audit.retention_days", "must be at most 36500 (0: keep every event)"));
        }
        if !(60..=86_400).contains(&self.admin.max_age_secs) {
            return Err(ConfigError::new("admin.max_age_secs", "must be between 60 and 86400"));
        }
        self.validate_edge()?;
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::new("log.format", "must be text or json"));
        }
        self.validate_upstream()?;
        self.mail.validate().map_err(|(key, reason)| ConfigError::new(format!("mail.{key}"), reason))?;
        self.backchannel.validate().map_err(|(key, reason)| ConfigError::new(format!("backchannel.{key}"), reason))?;
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
}

/// The issuer: an absolute `https` URL (plain `http` only on a loopback host), with
/// no query, fragment or trailing slash, so it is byte-identical everywhere (DS-01).
pub(super) fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
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

/// `localhost`, or an IP literal of a loopback address (`127.0.0.0/8`, `[::1]`) — never
/// a name that merely starts like one (`127.attacker.example`).
pub fn is_loopback_host(host: &str) -> bool {
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host == "localhost" || literal.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
