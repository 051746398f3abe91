//! The `[oidc]` section: which upstream OpenID Provider (discovery or explicit
//! endpoints), who we are there, which claims carry the person, limits.

use crate::crypto::SecretString;
use serde::{Deserialize, Serialize};

/// The `[oidc]` upstream section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// «Через Госуслуги» goes through this provider instead of ESIA (an ESIA gateway of a
    /// certified «типовое решение», or another IdP). Cannot be on together with `esia.enabled`.
    pub enabled: bool,
    /// Connector id written into [`Pending::connector`] (remember which IdP a state is for, BR-03).
    pub name: String,
    /// The provider's issuer; discovery is `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// Explicit endpoints instead of discovery (all of authorization, token and JWKS, or none).
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// With explicit endpoints: UserInfo (empty: none).
    pub userinfo_endpoint: String,
    pub client_id: String,
    /// Empty: a public client (PKCE only).
    #[serde(skip_serializing)]
    pub client_secret: SecretString,
    /// `client_secret_basic` or `client_secret_post`.
    pub token_auth: String,
    /// Our callback URL registered at the provider (distinct per upstream, BR-03).
    /// Empty: `{issuer}/login/esia/callback` of propusk.
    pub redirect_uri: String,
    /// Scopes when the journey asks for none (`openid` is always added).
    pub scopes: Vec<String>,
    /// Read UserInfo after the code exchange (fills claims missing in the ID token).
    pub userinfo: bool,
    /// Name of a boolean claim meaning «confirmed account» (e.g. `trusted`). Empty: never trusted.
    pub trusted_claim: String,
    /// Name of a claim carrying SNILS, if the provider sends one. Empty: none.
    pub snils_claim: String,
    /// Which claims carry the person's data.
    pub claims: ClaimNames,
    /// Accepted ID-token algorithms: `RS256`, `ES256`, `EdDSA`, `PS256`.
    pub id_token_algs: Vec<String>,
    /// Plain http to a loopback provider (tests only).
    pub allow_http: bool,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub max_response_bytes: usize,
    /// How long discovery metadata and JWKS are cached.
    pub discovery_ttl_secs: u64,
    /// Clock leeway for `exp`/`iat` of ID tokens.
    pub leeway_secs: i64,
    /// How long a started login may wait for its callback.
    pub state_ttl_secs: i64,
    /// Key deriving nonce and PKCE verifier from the state. Empty: derived from the
    /// master key when run by `serve` (random per process otherwise).
    #[serde(skip_serializing)]
    pub pending_key: SecretString,
}

/// The claim names of the person's data (standard OIDC names by default).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimNames {
    pub family_name: String,
    pub given_name: String,
    pub middle_name: String,
    /// `YYYY-MM-DD`; other forms are dropped.
    pub birthdate: String,
    pub email: String,
    pub phone_number: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            family_name: "family_name".into(),
            given_name: "given_name".into(),
            middle_name: "middle_name".into(),
            birthdate: "birthdate".into(),
            email: "email".into(),
            phone_number: "phone_number".into(),
        }
    }
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            name: "oidc".into(),
            issuer: String::new(),
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
            jwks_uri: String::new(),
            userinfo_endpoint: String::new(),
            client_id: String::new(),
            client_secret: SecretString::default(),
            token_auth: "client_secret_basic".into(),
            redirect_uri: String::new(),
            scopes: vec!["profile".into(), "email".into(), "phone".into()],
            userinfo: true,
            trusted_claim: String::new(),
            snils_claim: String::new(),
            claims: ClaimNames::default(),
            id_token_algs: vec!["RS256".into(), "ES256".into(), "EdDSA".into()],
            allow_http: false,
            connect_timeout_ms: 3000,
            timeout_ms: 10_000,
            max_response_bytes: 1 << 20,
            discovery_ttl_secs: 3600,
            leeway_secs: 60,
            state_ttl_secs: 900,
            pending_key: SecretString::default(),
        }
    }
}

impl OidcConfig {
    /// Whether the endpoints are given explicitly (no discovery).
    pub fn explicit_endpoints(&self) -> bool {
        !self.authorization_endpoint.is_empty()
    }

    /// Checks the section when enabled; on error returns (key within `oidc.`, reason).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, r: &str| Err((k.to_string(), r.to_string()));
        if !self.enabled {
            return Ok(());
        }
        let url_ok = |u: &str| match url::Url::parse(u) {
            Ok(url) if url.scheme() == "https" => true,
            Ok(url) => url.scheme() == "http" && self.allow_http && super::is_loopback(&url),
            Err(_) => false,
        };
        if !url_ok(&self.issuer) {
            return err("issuer", "must be an https URL (http only with oidc.allow_http on loopback)");
        }
        if self.name.trim().is_empty() {
            return err("name", "must not be empty");
        }
        let endpoints = [
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("jwks_uri", &self.jwks_uri),
        ];
        let explicit = endpoints.iter().any(|(_, v)| !v.is_empty()) || !self.userinfo_endpoint.is_empty();
        if explicit {
            for (key, value) in endpoints {
                if !url_ok(value) {
                    return err(key, "explicit endpoints need authorization, token and JWKS, each an https URL");
                }
            }
            if !self.userinfo_endpoint.is_empty() && !url_ok(&self.userinfo_endpoint) {
                return err("userinfo_endpoint", "must be an https URL");
            }
        }
        if self.client_id.trim().is_empty() {
            return err("client_id", "required when oidc.enabled");
        }
        if !self.redirect_uri.is_empty() && url::Url::parse(&self.redirect_uri).is_err() {
            return err("redirect_uri", "not an absolute URL");
        }
        if !matches!(self.token_auth.as_str(), "client_secret_basic" | "client_secret_post") {
            return err("token_auth", "client_secret_basic or client_secret_post");
        }
        if self.id_token_algs.is_empty() || self.id_token_algs.iter().any(|a| super::parse_alg(a).is_err()) {
            return err("id_token_algs", "one or more of RS256, PS256, ES256, EdDSA");
        }
        if self.connect_timeout_ms == 0 || self.timeout_ms == 0 {
            return err("timeout_ms", "timeouts must be positive");
        }
        if self.max_response_bytes < 4096 {
            return err("max_response_bytes", "at least 4096");
        }
        if !(0..=300).contains(&self.leeway_secs) {
            return err("leeway_secs", "between 0 and 300");
        }
        if !(60..=86_400).contains(&self.state_ttl_secs) {
            return err("state_ttl_secs", "between 60 and 86400");
        }
        Ok(())
    }
}
