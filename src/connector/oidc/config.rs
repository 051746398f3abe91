//! The `[oidc]` section: which upstream OpenID Provider, who we are there, limits.

use crate::crypto::SecretString;
use serde::Deserialize;

/// The `[oidc]` upstream section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// Offer this upstream in the login journey.
    pub enabled: bool,
    /// Connector id written into [`Pending::connector`] (remember which IdP a state is for, BR-03).
    pub name: String,
    /// The provider's issuer; discovery is `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Empty: a public client (PKCE only).
    pub client_secret: SecretString,
    /// `client_secret_basic` or `client_secret_post`.
    pub token_auth: String,
    /// Our callback URL registered at the provider (distinct per upstream, BR-03).
    pub redirect_uri: String,
    /// Scopes when the journey asks for none (`openid` is always added).
    pub scopes: Vec<String>,
    /// Read UserInfo after the code exchange (fills claims missing in the ID token).
    pub userinfo: bool,
    /// Name of a boolean claim meaning «confirmed account» (e.g. `trusted`). Empty: never trusted.
    pub trusted_claim: String,
    /// Name of a claim carrying SNILS, if the provider sends one. Empty: none.
    pub snils_claim: String,
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
    /// Key deriving nonce and PKCE verifier from the state. Empty: random per process
    /// (logins in flight do not survive a restart and are bound to one instance).
    pub pending_key: SecretString,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            name: "oidc".into(),
            issuer: String::new(),
            client_id: String::new(),
            client_secret: SecretString::default(),
            token_auth: "client_secret_basic".into(),
            redirect_uri: String::new(),
            scopes: vec!["profile".into(), "email".into(), "phone".into()],
            userinfo: true,
            trusted_claim: String::new(),
            snils_claim: String::new(),
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
