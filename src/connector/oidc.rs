//! The generic upstream OIDC connector (issue 3): any OpenID Provider found by
//! discovery (certified gateways, ESIA's OIDC interface), code flow with PKCE S256,
//! state and nonce per login, full ID-token validation through the provider's JWKS,
//! standard claims mapped to [`UpstreamIdentity`].
//!
//! The PKCE verifier and the nonce are not stored: both are HMAC-SHA256 of the
//! fresh random `state` under the connector's key (`pending_key`), so [`Pending`]
//! keeps its shape and the secrets never leave the server.

mod config;
mod map;
mod provider;

pub use config::{ClaimNames, OidcConfig};

use provider::Adapter;

use super::config::EsiaConfig;
use super::http::HttpClient;
use super::{Callback, Connector, ConnectorError, Pending, StartRequest, UpstreamIdentity};
use crate::clock::Clock;
use crate::crypto::{b64, ct_eq, hmac_sha256, random_bytes, random_token, sha256};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};
use std::sync::Arc;
use std::time::Duration;

/// A relying party of one upstream OpenID Provider.
pub struct OidcConnector {
    cfg: OidcConfig,
    issuer: IssuerUrl,
    algs: Vec<CoreJwsSigningAlgorithm>,
    http: HttpClient,
    metadata: moka::future::Cache<(), Arc<CoreProviderMetadata>>,
    key: [u8; 32],
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for OidcConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConnector")
            .field("issuer", &self.cfg.issuer)
            .field("client_id", &self.cfg.client_id)
            .finish()
    }
}

impl OidcConnector {
    /// Checks the configuration and fetches discovery + JWKS once (fail fast).
    pub async fn discover(cfg: OidcConfig, clock: Arc<dyn Clock>) -> Result<Self, ConnectorError> {
        let conn = Self::new(cfg, clock)?;
        conn.provider().await?;
        Ok(conn)
    }

    /// Same without the network call; discovery happens on first use.
    pub fn new(cfg: OidcConfig, clock: Arc<dyn Clock>) -> Result<Self, ConnectorError> {
        let internal = |m: String| ConnectorError::Internal(format!("oidc.{m}"));
        let url = url::Url::parse(&cfg.issuer).map_err(|e| internal(format!("issuer: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if cfg.allow_http && is_loopback(&url) => {}
            _ => return Err(internal("issuer must be https (http only with allow_http on loopback)".into())),
        }
        if cfg.client_id.trim().is_empty() {
            return Err(internal("client_id is required".into()));
        }
        url::Url::parse(&cfg.redirect_uri).map_err(|e| internal(format!("redirect_uri: {e}")))?;
        if !matches!(cfg.token_auth.as_str(), "client_secret_basic" | "client_secret_post") {
            return Err(internal("token_auth must be client_secret_basic or client_secret_post".into()));
        }
        let algs = cfg.id_token_algs.iter().map(|a| parse_alg(a)).collect::<Result<Vec<_>, _>>()?;
        if algs.is_empty() {
            return Err(internal("id_token_algs is empty".into()));
        }
        let issuer = IssuerUrl::new(cfg.issuer.clone()).map_err(|e| internal(format!("issuer: {e}")))?;
        let http = HttpClient::new(&EsiaConfig {
            allow_http: cfg.allow_http,
            connect_timeout_ms: cfg.connect_timeout_ms,
            timeout_ms: cfg.timeout_ms,
            max_response_bytes: cfg.max_response_bytes,
            ..EsiaConfig::default()
        })?;
        let metadata = moka::future::Cache::builder()
            .max_capacity(1)
            .time_to_live(Duration::from_secs(cfg.discovery_ttl_secs.max(1)))
            .build();
        let key = if cfg.pending_key.is_empty() { random_bytes() } else { sha256(cfg.pending_key.expose().as_bytes()) };
        Ok(Self { cfg, issuer, algs, http, metadata, key, clock })
    }

    /// Uses `key` (e.g. `MasterKey::derive("upstream-oidc")`) instead of `pending_key`
    /// for the nonce and PKCE derivation, so every instance shares it without extra config.
    pub fn with_pending_key(mut self, key: [u8; 32]) -> Self {
        self.key = key;
        self
    }

    /// The provider's metadata with its JWKS, from the cache or discovery.
    async fn provider(&self) -> Result<Arc<CoreProviderMetadata>, ConnectorError> {
        self.metadata
            .try_get_with((), async {
                provider::fetch(&self.cfg, &self.issuer, &self.algs, &self.http).await.map(Arc::new)
            })
            .await
            .map_err(|e| (*e).clone())
    }

    fn client(&self, meta: &CoreProviderMetadata, redirect_uri: &str) -> Result<MetaClient, ConnectorError> {
        let secret = (!self.cfg.client_secret.is_empty())
            .then(|| ClientSecret::new(self.cfg.client_secret.expose().to_string()));
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| ConnectorError::Internal(format!("redirect_uri: {e}")))?;
        let auth =
            if self.cfg.token_auth == "client_secret_post" { AuthType::RequestBody } else { AuthType::BasicAuth };
        Ok(CoreClient::from_provider_metadata(meta.clone(), ClientId::new(self.cfg.client_id.clone()), secret)
            .set_redirect_uri(redirect)
            .set_auth_type(auth))
    }

    /// Nonce and PKCE verifier of the login whose state is `state`.
    fn derived(&self, state: &str) -> (Nonce, PkceCodeVerifier) {
        let nonce = b64(&hmac_sha256(&self.key, format!("propusk-oidc-nonce\0{state}").as_bytes()));
        let verifier = b64(&hmac_sha256(&self.key, format!("propusk-oidc-pkce\0{state}").as_bytes()));
        (Nonce::new(nonce), PkceCodeVerifier::new(verifier))
    }

    /// Verifies an ID token from this provider: signature against its JWKS, `iss`,
    /// `aud` (our client id), `exp`/`iat` with our clock, the algorithm, and `nonce`.
    /// Returns its claims as JSON.
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ConnectorError> {
        let token: CoreIdToken =
            id_token.parse().map_err(|e| ConnectorError::InvalidToken(format!("malformed ID token: {e}")))?;
        self.check_id_token(&token, &Nonce::new(nonce.to_string())).await?;
        raw_claims(id_token)
    }

    async fn check_id_token(&self, token: &CoreIdToken, nonce: &Nonce) -> Result<(), ConnectorError> {
        let meta = self.provider().await?;
        match self.check_with(&meta, token, nonce) {
            // The provider may have rotated its keys: refetch the JWKS once.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                self.metadata.invalidate(&()).await;
                let meta = self.provider().await?;
                self.check_with(&meta, token, nonce).map_err(token_err)
            }
            other => other.map_err(token_err),
        }
    }

    fn check_with(
        &self,
        meta: &CoreProviderMetadata,
        token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<(), ClaimsVerificationError> {
        let secret = (!self.cfg.client_secret.is_empty())
            .then(|| ClientSecret::new(self.cfg.client_secret.expose().to_string()));
        let client =
            CoreClient::from_provider_metadata(meta.clone(), ClientId::new(self.cfg.client_id.clone()), secret);
        let now = self.clock.now();
        let leeway = self.cfg.leeway_secs.max(0);
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(self.algs.clone())
            .set_time_fn(move || chrono::DateTime::from_timestamp(now - leeway, 0).unwrap_or_default())
            .set_issue_time_verifier_fn(move |iat| {
                if iat.timestamp() > now + leeway { Err("issued in the future".into()) } else { Ok(()) }
            });
        token.claims(&verifier, nonce).map(|_| ())
    }

    /// UserInfo as JSON (only plain JSON answers; signed UserInfo is not read).
    async fn userinfo(
        &self,
        meta: &CoreProviderMetadata,
        access_token: &str,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, ConnectorError> {
        let Some(endpoint) = meta.userinfo_endpoint() else { return Ok(None) };
        let req = self.http.inner().get(endpoint.url().as_str()).bearer_auth(access_token);
        let answer = self.http.send(req).await?;
        if answer.status >= 500 {
            return Err(ConnectorError::Unavailable(format!("userinfo {}", answer.status)));
        }
        if answer.status != 200 || !answer.json {
            return Err(ConnectorError::Protocol {
                code: None,
                message: format!("userinfo answered {}", answer.status),
            });
        }
        serde_json::from_slice(&answer.body)
            .map(Some)
            .map_err(|_| ConnectorError::Protocol { code: None, message: "userinfo is not a JSON object".into() })
    }
}

type MetaClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[async_trait::async_trait]
impl Connector for OidcConnector {
    async fn start(&self, req: StartRequest) -> Result<(url::Url, Pending), ConnectorError> {
        let redirect_uri = if req.redirect_uri.is_empty() { self.cfg.redirect_uri.clone() } else { req.redirect_uri };
        let wanted = if req.scopes.is_empty() { self.cfg.scopes.clone() } else { req.scopes };
        let mut scopes: Vec<String> = Vec::new();
        for s in wanted.iter().map(|s| s.trim()).filter(|s| !s.is_empty() && *s != "openid") {
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
        let meta = self.provider().await?;
        let client = self.client(&meta, &redirect_uri)?;
        let state = random_token();
        let (nonce, verifier) = self.derived(&state);
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        let csrf = state.clone();
        let mut auth = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, move || CsrfToken::new(csrf), move || nonce)
            .set_pkce_challenge(challenge);
        for s in &scopes {
            auth = auth.add_scope(Scope::new(s.clone()));
        }
        let (url, _, _) = auth.url();
        let mut all = vec!["openid".to_string()];
        all.extend(scopes);
        let pending = Pending {
            connector: self.cfg.name.clone(),
            state,
            scopes: all,
            redirect_uri,
            created_at: self.clock.now(),
        };
        Ok((url, pending))
    }

    async fn finish(&self, pending: &Pending, callback: Callback) -> Result<UpstreamIdentity, ConnectorError> {
        if let Some(error) = callback.error.as_deref() {
            return Err(ConnectorError::from_esia(error, callback.error_description.as_deref()));
        }
        let state = callback.state.as_deref().unwrap_or_default();
        if !ct_eq(state.as_bytes(), pending.state.as_bytes()) || pending.connector != self.cfg.name {
            return Err(ConnectorError::StateMismatch);
        }
        if self.clock.now() - pending.created_at > self.cfg.state_ttl_secs {
            return Err(ConnectorError::StateMismatch);
        }
        let code = callback
            .code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ConnectorError::Protocol { code: None, message: "callback without code".into() })?;
        let meta = self.provider().await?;
        let client = self.client(&meta, &pending.redirect_uri)?;
        let (nonce, verifier) = self.derived(&pending.state);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| ConnectorError::Internal(format!("token endpoint: {e}")))?
            .set_pkce_verifier(verifier)
            .request_async(&Adapter(&self.http))
            .await
            .map_err(token_request_err)?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| ConnectorError::InvalidToken("the token response has no ID token".into()))?;
        self.check_id_token(id_token, &nonce).await?;
        let claims = raw_claims(&id_token.to_string())?;
        let userinfo = if self.cfg.userinfo {
            let info = self.userinfo(&meta, tokens.access_token().secret()).await?;
            if let Some(info) = &info
                && info.get("sub") != claims.get("sub")
            {
                return Err(ConnectorError::InvalidToken("userinfo sub differs from the ID token".into()));
            }
            info
        } else {
            None
        };
        let granted = match tokens.scopes() {
            Some(s) => s.iter().map(|s| s.to_string()).collect(),
            None => pending.scopes.clone(),
        };
        map::identity(&self.cfg, &claims, userinfo.as_ref(), granted)
    }
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub(crate) fn parse_alg(name: &str) -> Result<CoreJwsSigningAlgorithm, ConnectorError> {
    Ok(match name {
        "RS256" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        "PS256" => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        "EdDSA" => CoreJwsSigningAlgorithm::EdDsa,
        other => return Err(ConnectorError::Internal(format!("oidc.id_token_algs: unsupported `{other}`"))),
    })
}

/// The payload of an already verified JWT as a JSON object.
fn raw_claims(jwt: &str) -> Result<serde_json::Map<String, serde_json::Value>, ConnectorError> {
    let payload = jwt.split('.').nth(1).and_then(crate::crypto::b64_decode);
    payload
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or_else(|| ConnectorError::InvalidToken("ID token payload is not a JSON object".into()))
}

fn token_err(e: ClaimsVerificationError) -> ConnectorError {
    ConnectorError::InvalidToken(e.to_string())
}

fn token_request_err(
    e: openidconnect::RequestTokenError<
        ConnectorError,
        openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    >,
) -> ConnectorError {
    match e {
        openidconnect::RequestTokenError::ServerResponse(r) => {
            ConnectorError::from_esia(r.error().as_ref(), r.error_description().map(String::as_str))
        }
        openidconnect::RequestTokenError::Request(e) => e,
        other => ConnectorError::Protocol { code: None, message: format!("token endpoint: {other}") },
    }
}
