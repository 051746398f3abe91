//! The HTTP edge's configuration: the `server.*` limits of connections and requests
//! (AB-02) and the operations listener `ops.*` (who may read `/metrics`).

use super::{Config, ConfigError};
use crate::crypto::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// The operations endpoints: a listener of their own, and who may read `/metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsConfig {
    /// A second listener (e.g. `127.0.0.1:9090`) serving `/healthz`, `/readyz` and
    /// `/metrics` without a token. Empty: none.
    pub listen: String,
    /// The bearer token that lets `/metrics` be read on the main listener. Empty: the
    /// main listener does not serve `/metrics`.
    #[serde(skip_serializing)]
    pub metrics_token: SecretString,
}

impl Config {
    /// The HTTP limits (`server.*`) and the operations listener (`ops.*`).
    pub(super) fn validate_edge(&self) -> Result<(), ConfigError> {
        let s = &self.server;
        let timeouts = [
            ("server.request_timeout_secs", s.request_timeout_secs),
            ("server.header_read_timeout_secs", s.header_read_timeout_secs),
            ("server.idle_timeout_secs", s.idle_timeout_secs),
        ];
        for (key, value) in timeouts {
            if !(1..=3600).contains(&value) {
                return Err(ConfigError::new(key, "must be between 1 and 3600"));
            }
        }
        for (key, value) in [("server.max_connections", s.max_connections), ("server.max_in_flight", s.max_in_flight)] {
            if !(1..=1_000_000).contains(&value) {
                return Err(ConfigError::new(key, "must be between 1 and 1000000"));
            }
        }
        if let Some(ops) = self.ops_addr()?
            && ops.port() != 0
            && self.listen_addr().is_ok_and(|main| main == ops)
        {
            return Err(ConfigError::new("ops.listen", "must differ from server.listen"));
        }
        let token = self.ops.metrics_token.expose();
        if !token.is_empty() && (token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic())) {
            return Err(ConfigError::new("ops.metrics_token", "must be at least 16 printable characters, no spaces"));
        }
        Ok(())
    }

    /// The operations listener's address, when one is configured.
    pub fn ops_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        let listen = self.ops.listen.trim();
        if listen.is_empty() {
            return Ok(None);
        }
        listen
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::new("ops.listen", "must be empty or an address like 127.0.0.1:9090"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Edit = fn(&mut Config);

    #[test]
    fn edge_limits_are_validated() {
        let cases: [(&str, Edit); 8] = [
            ("server.header_read_timeout_secs", |c| c.server.header_read_timeout_secs = 0),
            ("server.idle_timeout_secs", |c| c.server.idle_timeout_secs = 0),
            ("server.idle_timeout_secs", |c| c.server.idle_timeout_secs = 3601),
            ("server.max_connections", |c| c.server.max_connections = 0),
            ("server.max_in_flight", |c| c.server.max_in_flight = 0),
            ("server.request_timeout_secs", |c| c.server.request_timeout_secs = 0),
            ("ops.listen", |c| c.ops.listen = "not an address".into()),
            ("ops.metrics_token", |c| c.ops.metrics_token = SecretString::new("short")),
        ];
        for (key, edit) in cases {
            let mut c = Config::default();
            edit(&mut c);
            assert_eq!(c.validate().unwrap_err().key, key);
        }
        let mut c = Config::default();
        c.ops.listen = c.server.listen.clone();
        assert_eq!(c.validate().unwrap_err().key, "ops.listen");
        c.ops.listen = "127.0.0.1:9090".into();
        c.ops.metrics_token = SecretString::new("a-long-enough-token-1234");
        c.validate().unwrap();
    }
}
