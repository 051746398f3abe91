//! Changes to a registered client (pure): `clients update` and secret rotation with
//! an overlap. A change is validated by the same registration rules as a new client
//! ([`super::client::build_client`]); the id, the subject type and the sector never
//! change (every `sub` the client has seen rests on them: docs/subjects.md).

use super::client::{ClientRuleError, NewClient, build_client, hash_secret, rule};
use crate::clock::UnixTime;
use crate::config::TokensConfig;
use crate::crypto::{self, SecretString};
use crate::store::{AuthMethod, Client, ConsentMode};

/// What `clients update` changes; `None` (or an empty list) keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientChange {
    pub display_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scope: Option<String>,
    pub consent: Option<ConsentMode>,
    pub id_token_alg: Option<String>,
    pub resources: Vec<String>,
    pub access_token_ttl: Option<i64>,
    pub id_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub require_par: Option<bool>,
    /// RFC 9449 §5.2 `dpop_bound_access_tokens`.
    pub require_dpop: Option<bool>,
    /// An empty `post_logout_redirect_uris` clears the list instead of keeping it (the
    /// console's form, which always shows the list; `--clear-post-logout-uris`).
    pub clear_post_logout_uris: bool,
    /// Disable (`true`) or enable the client: a disabled one is unknown to the protocol.
    pub disabled: Option<bool>,
    /// Back-Channel Logout: `Some("")` removes the URI (the client hears of no logout).
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    /// Registration §2 `logo_uri`: `Some("")` removes it (`--clear-logo-uri`).
    pub logo_uri: Option<String>,
    /// A confidential client's method: between `client_secret_basic` and
    /// `client_secret_post`, or to `private_key_jwt` (the secret is dropped; keys needed).
    pub auth_method: Option<AuthMethod>,
    /// A `private_key_jwt` client's new JWK Set (JSON text), replacing the registered one.
    pub jwks: Option<String>,
}

/// Whether `clients update` may move a client from `old` to `new`: never to or from a
/// public client (its grants and redirect URIs rest on it), and never from keys back to
/// a secret (a secret is only ever handed out by `clients add` or `rotate-secret`).
fn method_change_allowed(old: AuthMethod, new: AuthMethod) -> bool {
    use AuthMethod::*;
    old == new
        || matches!(
            (old, new),
            (ClientSecretBasic | ClientSecretPost, ClientSecretBasic | ClientSecretPost | PrivateKeyJwt)
        )
}

/// Lifetimes a client may be given, seconds (inclusive).
const ACCESS_TTL: (i64, i64) = (30, 86_400);
const ID_TTL: (i64, i64) = (30, 86_400);
const REFRESH_TTL: (i64, i64) = (60, 366 * 86_400);

fn ttl(field: &'static str, v: Option<i64>, current: i64, (min, max): (i64, i64)) -> Result<i64, ClientRuleError> {
    match v {
        None => Ok(current),
        Some(s) if (min..=max).contains(&s) => Ok(s),
        Some(_) => Err(rule(field, format!("must be {min}–{max} seconds"))),
    }
}

fn or_keep(new: Vec<String>, current: &[String]) -> Vec<String> {
    if new.is_empty() { current.to_vec() } else { new }
}

/// The client after `change`, validated; `now` becomes its `updated_at`.
pub fn updated(
    old: &Client,
    change: ClientChange,
    tokens: &TokensConfig,
    now: UnixTime,
) -> Result<Client, ClientRuleError> {
    if change.display_name.as_deref().is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
        return Err(rule("--display-name", "at most 100 characters, no control characters"));
    }
    let auth_method = change.auth_method.unwrap_or(old.auth_method);
    if !method_change_allowed(old.auth_method, auth_method) {
        return Err(rule(
            "--auth-method",
            format!("a {} client cannot become {}", old.auth_method.as_str(), auth_method.as_str()),
        ));
    }
    let by_key = auth_method == AuthMethod::PrivateKeyJwt;
    let new = NewClient {
        id: old.id.clone(),
        redirect_uris: or_keep(change.redirect_uris, &old.redirect_uris),
        post_logout_redirect_uris: if change.clear_post_logout_uris {
            change.post_logout_redirect_uris
        } else {
            or_keep(change.post_logout_redirect_uris, &old.post_logout_redirect_uris)
        },
        grant_types: or_keep(change.grant_types, &old.grant_types),
        scope: change.scope.unwrap_or_else(|| old.scope.clone()),
        consent: change.consent.unwrap_or(old.consent),
        auth_method,
        // Validation only: the stored secret is kept below.
        secret: None,
        jwks: if by_key { change.jwks.or_else(|| old.jwks.clone()) } else { change.jwks },
        id_token_alg: change.id_token_alg.unwrap_or_else(|| old.id_token_alg.clone()),
        subject_type: old.subject_type.clone(),
        sector_identifier_uri: old.sector_identifier_uri.clone(),
        resources: or_keep(change.resources, &old.resources),
        display_name: change.display_name.or_else(|| old.display_name.clone()).filter(|n| !n.trim().is_empty()),
        backchannel_logout_uri: match change.backchannel_logout_uri {
            None => old.backchannel_logout_uri.clone(),
            Some(u) if u.trim().is_empty() => None,
            Some(u) => Some(u),
        },
        backchannel_logout_session_required: change
            .backchannel_logout_session_required
            .unwrap_or(old.backchannel_logout_session_required),
        logo_uri: match change.logo_uri {
            None => old.logo_uri.clone(),
            Some(u) if u.is_empty() => None,
            Some(u) => Some(u),
        },
    };
    let (checked, _) = build_client(new, tokens, now)?;
    // A client that moves to its keys keeps no secret, not even the previous one.
    let keep_secret = !by_key;
    Ok(Client {
        secret_hash: old.secret_hash.clone().filter(|_| keep_secret),
        previous_secret_hash: old.previous_secret_hash.clone().filter(|_| keep_secret),
        previous_secret_until: old.previous_secret_until.filter(|_| keep_secret),
        require_pushed_authorization_requests: change.require_par.unwrap_or(old.require_pushed_authorization_requests),
        dpop_bound_access_tokens: change.require_dpop.unwrap_or(old.dpop_bound_access_tokens),
        disabled: change.disabled.unwrap_or(old.disabled),
        access_token_ttl: ttl("--access-token-ttl", change.access_token_ttl, old.access_token_ttl, ACCESS_TTL)?,
        id_token_ttl: ttl("--id-token-ttl", change.id_token_ttl, old.id_token_ttl, ID_TTL)?,
        refresh_token_ttl: ttl("--refresh-token-ttl", change.refresh_token_ttl, old.refresh_token_ttl, REFRESH_TTL)?,
        created_at: old.created_at,
        updated_at: now,
        ..checked
    })
}

/// A new secret for a confidential client. The old one stays valid until
/// `old_valid_until` (at most 30 days on; `None` or a past time: not at all). Returns
/// the client and the new secret, to show once.
pub fn rotated(
    old: &Client,
    now: UnixTime,
    old_valid_until: Option<UnixTime>,
) -> Result<(Client, SecretString), ClientRuleError> {
    if matches!(old.auth_method, AuthMethod::None | AuthMethod::PrivateKeyJwt) || old.secret_hash.is_none() {
        return Err(rule("ID", "this client has no secret (a public or private_key_jwt client)"));
    }
    let until = old_valid_until.filter(|&t| t > now);
    if until.is_some_and(|t| t > now + 30 * 86_400) {
        return Err(rule("--old-valid-until", "at most 30 days from now"));
    }
    let secret = SecretString::new(crypto::random_token());
    let client = Client {
        secret_hash: Some(hash_secret(&secret)),
        previous_secret_hash: until.and(old.secret_hash.clone()),
        previous_secret_until: until,
        updated_at: now,
        ..old.clone()
    };
    Ok((client, secret))
}

/// Whether a presented secret is the previous one and still accepted at `now`.
pub fn previous_secret_accepted(client: &Client, secret: &str, now: UnixTime) -> bool {
    match (&client.previous_secret_hash, client.previous_secret_until) {
        (Some(hash), Some(until)) if now < until => super::client::verify_secret(hash, secret),
        _ => false,
    }
}

#[cfg(test)]
#[path = "client_change_tests.rs"]
mod tests;
