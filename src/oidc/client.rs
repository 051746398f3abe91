//! Relying parties: the cached registry (a miss is never cached), client secrets,
//! and the rules a client registration must satisfy.

use super::redirect;
use crate::crypto::{self, SecretString};
use crate::store::{AuthMethod, Client, ConsentMode, Store, StoreResult};
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;

/// Grant types propusk implements.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];
/// The scopes a new client gets unless told otherwise (CONTRACT.md §1).
pub const DEFAULT_SCOPE: &str = "openid profile email phone school children offline_access";

/// Clients by id, cached for a few seconds. Found clients are cached for
/// `ttl`; a missing client is never cached, so one added by the CLI is seen at once.
#[derive(Clone)]
pub struct ClientRegistry {
    store: Arc<dyn Store>,
    cache: Cache<String, Arc<Client>>,
}

impl std::fmt::Debug for ClientRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistry").field("cached", &self.cache.entry_count()).finish()
    }
}

impl ClientRegistry {
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        Self { store, cache: Cache::builder().max_capacity(10_000).time_to_live(ttl).build() }
    }

    /// The client `id` as the protocol sees it: `None` when unknown or disabled by an
    /// admin (no login, no token, no UserInfo, no logout redirect for it).
    pub async fn get(&self, id: &str) -> StoreResult<Option<Arc<Client>>> {
        if let Some(c) = self.cache.get(id).await {
            return Ok(Some(c).filter(|c| !c.disabled));
        }
        match self.store.client(id).await? {
            Some(client) => {
                let client = Arc::new(client);
                self.cache.insert(id.to_owned(), client.clone()).await;
                Ok(Some(client).filter(|c| !c.disabled))
            }
            None => Ok(None),
        }
    }

    /// Forgets the cached copy of client `id` (changed elsewhere: another node, the CLI).
    pub async fn invalidate(&self, id: &str) {
        self.cache.invalidate(id).await;
    }

    /// Forgets every cached client.
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }
}

/// Client secrets are generated with 256 bits of entropy, so a salted SHA-256 is
/// enough (a slow hash would only cost CPU on every token request).
/// Format: `sha256$<salt>$<hash>`, base64url.
pub fn hash_secret(secret: &SecretString) -> String {
    let salt = crypto::b64(&crypto::random_bytes()[..16]);
    let hash = crypto::b64(&crypto::sha256(format!("{salt}{}", secret.expose()).as_bytes()));
    format!("sha256${salt}${hash}")
}

pub fn verify_secret(stored: &str, presented: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("sha256"), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let computed = crypto::b64(&crypto::sha256(format!("{salt}{presented}").as_bytes()));
    crypto::ct_eq(computed.as_bytes(), hash.as_bytes())
}

/// What an operator asks for when registering a client.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scope: String,
    pub consent: ConsentMode,
    pub auth_method: AuthMethod,
    /// A secret chosen by the operator; otherwise one is generated for confidential clients.
    pub secret: Option<SecretString>,
    pub id_token_alg: String,
    /// `public` (the default) or `pairwise` (IT-04).
    pub subject_type: String,
    /// The sector of a pairwise client (its host); needed when its redirect URIs
    /// span several hosts.
    pub sector_identifier_uri: Option<String>,
    /// RFC 8707 resources the client may ask access tokens for (besides the issuer).
    pub resources: Vec<String>,
    /// Shown to people instead of the id.
    pub display_name: Option<String>,
    /// Back-Channel Logout: where logout tokens are POSTed (`oidc::backchannel::validate_uri`).
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in its logout tokens.
    pub backchannel_logout_session_required: bool,
    /// The public keys of a `private_key_jwt` client: a JWK Set as JSON text
    /// (`oidc::client_jwks::validate`); required for that method, refused for the others.
    pub jwks: Option<String>,
    /// Registration §2 `logo_uri`, shown on the consent page ([`super::logo::validate`]).
    pub logo_uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ClientRuleError {
    pub field: &'static str,
    pub reason: String,
}

pub(crate) fn rule(field: &'static str, reason: impl Into<String>) -> ClientRuleError {
    ClientRuleError { field, reason: reason.into() }
}

/// Validates a registration and builds the stored client. Returns the plain
/// secret (to show once) for confidential clients.
pub fn build_client(
    new: NewClient,
    tokens: &crate::config::TokensConfig,
    now: i64,
) -> Result<(Client, Option<SecretString>), ClientRuleError> {
    if new.id.is_empty() || new.id.len() > 128 || !new.id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(rule("--id", "must be 1–128 visible ASCII characters"));
    }
    // TK-05: a client id must never be mistakable for a user's `sub` (a UUID).
    if uuid::Uuid::parse_str(&new.id).is_ok() {
        return Err(rule("--id", "must not look like a user identifier (UUID)"));
    }
    for g in &new.grant_types {
        if !GRANT_TYPES.contains(&g.as_str()) {
            return Err(rule("--grant-type", format!("unsupported grant type `{g}`")));
        }
    }
    let interactive = new.grant_types.iter().any(|g| g == "authorization_code");
    if interactive && new.redirect_uris.is_empty() {
        return Err(rule("--redirect-uri", "at least one is required for this client"));
    }
    for uri in new.redirect_uris.iter().chain(&new.post_logout_redirect_uris) {
        redirect::validate_registration(uri).map_err(|e| rule("--redirect-uri", e.to_string()))?;
        // A private-use scheme belongs to an app on a device: a public client (RFC 8252 §8.4).
        if new.auth_method != AuthMethod::None && !uri.starts_with("https://") && !uri.starts_with("http://") {
            return Err(rule(
                "--redirect-uri",
                format!("`{uri}`: a private-use scheme is for public (native) clients"),
            ));
        }
    }
    if let Some(uri) = &new.backchannel_logout_uri {
        super::backchannel::validate_uri(uri).map_err(|e| rule("--backchannel-logout-uri", e.to_string()))?;
    }
    if let Some(uri) = &new.logo_uri {
        super::logo::validate(uri).map_err(|e| rule("--logo-uri", e))?;
    }
    let sector_identifier_uri = pairwise_sector(&new)?;
    super::resource::validate_registration(&new.resources).map_err(|e| rule("--resource", e))?;
    if new.auth_method == AuthMethod::None && new.grant_types.iter().any(|g| g == "client_credentials") {
        return Err(rule("--grant-type", "client_credentials needs a confidential client"));
    }
    if new.auth_method == AuthMethod::None && new.secret.is_some() {
        return Err(rule("--secret", "a public client has no secret"));
    }
    let jwks = registered_keys(&new)?;
    if new.secret.as_ref().is_some_and(|s| s.expose().len() < 32) {
        return Err(rule("--secret", "must be at least 32 characters"));
    }
    if !matches!(new.id_token_alg.as_str(), "RS256" | "ES256" | "EdDSA") {
        return Err(rule("--id-token-alg", "must be RS256, ES256 or EdDSA"));
    }
    crate::token::Scopes::parse(&new.scope).map_err(|_| rule("--scope", "not a valid scope list"))?;
    // Kept in the order given (without repeats): operators read it back as they wrote it.
    let mut scope: Vec<&str> = Vec::new();
    for s in new.scope.split_whitespace() {
        if !scope.contains(&s) {
            scope.push(s);
        }
    }
    let scope = scope.join(" ");
    let secret = match new.auth_method {
        AuthMethod::None | AuthMethod::PrivateKeyJwt => None,
        _ => Some(new.secret.unwrap_or_else(|| SecretString::new(crypto::random_token()))),
    };
    let client = Client {
        id: new.id,
        secret_hash: secret.as_ref().map(hash_secret),
        auth_method: new.auth_method,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        grant_types: new.grant_types,
        scope,
        consent: new.consent,
        id_token_alg: new.id_token_alg,
        access_token_ttl: tokens.access_token_ttl_secs,
        id_token_ttl: tokens.id_token_ttl_secs,
        refresh_token_ttl: tokens.refresh_token_ttl_secs,
        subject_type: new.subject_type,
        sector_identifier_uri,
        display_name: new.display_name,
        previous_secret_hash: None,
        previous_secret_until: None,
        require_pushed_authorization_requests: false,
        dpop_bound_access_tokens: false,
        disabled: false,
        backchannel_logout_uri: new.backchannel_logout_uri,
        backchannel_logout_session_required: new.backchannel_logout_session_required,
        jwks,
        logo_uri: new.logo_uri,
        resources: new.resources,
        created_at: now,
        updated_at: now,
    };
    Ok((client, secret))
}

/// RFC 7523 §2.2, OIDC Registration §2: a `private_key_jwt` client registers its
/// public keys (`jwks`) and no secret; a client of another method has no keys (one
/// client, one way to authenticate: TK-02).
fn registered_keys(new: &NewClient) -> Result<Option<String>, ClientRuleError> {
    match (new.auth_method, &new.jwks) {
        (AuthMethod::PrivateKeyJwt, _) if new.secret.is_some() => {
            Err(rule("--secret", "a private_key_jwt client authenticates with its keys, not a secret"))
        }
        (AuthMethod::PrivateKeyJwt, None) => Err(rule("--jwks-file", "required for --auth-method private_key_jwt")),
        (AuthMethod::PrivateKeyJwt, Some(text)) => {
            super::client_jwks::validate(text).map(Some).map_err(|e| rule("--jwks-file", e.to_string()))
        }
        (_, Some(_)) => Err(rule("--jwks-file", "only for --auth-method private_key_jwt")),
        (_, None) => Ok(None),
    }
}

/// IT-04 (OIDC Core §8.1, Registration §2): the subject type, and the sector
/// identifier of a pairwise client — an `https` URI whose host is the sector. Without
/// one, every redirect URI of a pairwise client must have the same host (that host is
/// the sector), so two clients of one sector can be told apart from two sectors.
fn pairwise_sector(new: &NewClient) -> Result<Option<String>, ClientRuleError> {
    let pairwise = match new.subject_type.as_str() {
        "public" => false,
        "pairwise" => true,
        _ => return Err(rule("--subject-type", "must be public or pairwise")),
    };
    let Some(uri) = &new.sector_identifier_uri else {
        if pairwise {
            let hosts: std::collections::BTreeSet<Option<String>> = new
                .redirect_uris
                .iter()
                .map(|u| url::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)))
                .collect();
            if hosts.len() > 1 || hosts.contains(&None) {
                return Err(rule(
                    "--sector-identifier-uri",
                    "required for a pairwise client whose redirect URIs do not share one host",
                ));
            }
        }
        return Ok(None);
    };
    if !pairwise {
        return Err(rule("--sector-identifier-uri", "only for --subject-type pairwise"));
    }
    let url = url::Url::parse(uri).map_err(|_| rule("--sector-identifier-uri", "not an absolute URI"))?;
    let ok = url.scheme() == "https"
        && url.host_str().is_some()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
        && !uri.contains(['#', '*']);
    if !ok {
        return Err(rule("--sector-identifier-uri", "must be an https URI without fragment or user name"));
    }
    Ok(Some(uri.clone()))
}

/// The RFC 7591 view of a client, as the CLI prints it (never the secret hash).
pub fn client_json(client: &Client, secret: Option<&SecretString>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "client_id": client.id,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types,
        "scope": client.scope,
        "token_endpoint_auth_method": client.auth_method.as_str(),
        "consent": client.consent.as_str(),
        "id_token_signed_response_alg": client.id_token_alg,
        "subject_type": client.subject_type,
        "resources": client.resources,
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "disabled": client.disabled,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
    });
    if let (Some(s), Some(map)) = (&client.backchannel_logout_uri, v.as_object_mut()) {
        map.insert("backchannel_logout_uri".into(), serde_json::Value::String(s.clone()));
    }
    if let (Some(s), Some(map)) = (&client.logo_uri, v.as_object_mut()) {
        map.insert("logo_uri".into(), serde_json::Value::String(s.clone()));
    }
    if let (Some(s), Some(map)) = (&client.sector_identifier_uri, v.as_object_mut()) {
        map.insert("sector_identifier_uri".into(), serde_json::Value::String(s.clone()));
    }
    if let (Some(jwks), Some(map)) = (&client.jwks, v.as_object_mut()) {
        map.insert("jwks".into(), serde_json::from_str(jwks).unwrap_or(serde_json::Value::Null));
    }
    if let (Some(s), Some(map)) = (secret, v.as_object_mut()) {
        map.insert("client_secret".into(), serde_json::Value::String(s.expose().to_owned()));
    }
    v
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
