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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::oidc::client::DEFAULT_SCOPE;

    fn tokens() -> TokensConfig {
        crate::config::Config::default().tokens
    }

    fn confidential() -> (Client, SecretString) {
        let new = NewClient {
            id: "diary".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            scope: DEFAULT_SCOPE.into(),
            consent: ConsentMode::Implicit,
            auth_method: AuthMethod::ClientSecretBasic,
            secret: None,
            id_token_alg: "RS256".into(),
            subject_type: "pairwise".into(),
            sector_identifier_uri: None,
            resources: vec![],
            display_name: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            logo_uri: None,
            jwks: None,
        };
        let (c, s) = build_client(new, &tokens(), 100).unwrap();
        (c, s.unwrap())
    }

    #[test]
    fn post_logout_uris_are_cleared_only_when_asked_and_disabled_is_kept() {
        let (old, _) = confidential();
        let mut with = updated(
            &old,
            ClientChange { post_logout_redirect_uris: vec!["https://rp.example/bye".into()], ..Default::default() },
            &tokens(),
            200,
        )
        .unwrap();
        assert_eq!(updated(&with, ClientChange::default(), &tokens(), 300).unwrap().post_logout_redirect_uris.len(), 1);
        let cleared = ClientChange { clear_post_logout_uris: true, ..Default::default() };
        assert!(updated(&with, cleared, &tokens(), 300).unwrap().post_logout_redirect_uris.is_empty());
        with = updated(&with, ClientChange { disabled: Some(true), ..Default::default() }, &tokens(), 400).unwrap();
        assert!(with.disabled);
        assert!(updated(&with, ClientChange::default(), &tokens(), 500).unwrap().disabled, "kept");
    }

    #[test]
    fn a_logo_is_set_kept_cleared_and_checked() {
        let (old, _) = confidential();
        let logo = Some("https://cdn.example/logo.png".to_owned());
        let set = updated(&old, ClientChange { logo_uri: logo.clone(), ..Default::default() }, &tokens(), 200).unwrap();
        assert_eq!(set.logo_uri, logo);
        assert_eq!(updated(&set, ClientChange::default(), &tokens(), 300).unwrap().logo_uri, logo, "kept");
        let cleared = ClientChange { logo_uri: Some(String::new()), ..Default::default() };
        assert_eq!(updated(&set, cleared, &tokens(), 300).unwrap().logo_uri, None);
        for bad in ["javascript:alert(1)", "http://cdn.example/logo.png", "https://cdn.example/\"x"] {
            let change = ClientChange { logo_uri: Some(bad.into()), ..Default::default() };
            assert_eq!(updated(&set, change, &tokens(), 300).unwrap_err().field, "--logo-uri", "{bad}");
        }
    }

    #[test]
    fn require_par_is_set_cleared_and_kept() {
        let (old, _) = confidential();
        assert!(!old.require_pushed_authorization_requests);
        let on = updated(&old, ClientChange { require_par: Some(true), ..Default::default() }, &tokens(), 200).unwrap();
        assert!(on.require_pushed_authorization_requests);
        let kept = updated(&on, ClientChange::default(), &tokens(), 300).unwrap();
        assert!(kept.require_pushed_authorization_requests, "not named: kept");
        let off =
            updated(&on, ClientChange { require_par: Some(false), ..Default::default() }, &tokens(), 300).unwrap();
        assert!(!off.require_pushed_authorization_requests);
    }

    #[test]
    fn require_dpop_is_set_cleared_and_kept() {
        let (old, _) = confidential();
        assert!(!old.dpop_bound_access_tokens);
        let on =
            updated(&old, ClientChange { require_dpop: Some(true), ..Default::default() }, &tokens(), 200).unwrap();
        assert!(on.dpop_bound_access_tokens);
        assert!(updated(&on, ClientChange::default(), &tokens(), 300).unwrap().dpop_bound_access_tokens, "kept");
        let off =
            updated(&on, ClientChange { require_dpop: Some(false), ..Default::default() }, &tokens(), 300).unwrap();
        assert!(!off.dpop_bound_access_tokens);
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name_and_validates_what_it_does() {
        let (old, _) = confidential();
        let change = ClientChange {
            display_name: Some("Электронный дневник".into()),
            redirect_uris: vec!["https://rp.example/cb2".into()],
            access_token_ttl: Some(300),
            ..ClientChange::default()
        };
        let new = updated(&old, change, &tokens(), 200).unwrap();
        assert_eq!(new.display_name.as_deref(), Some("Электронный дневник"));
        assert_eq!(new.redirect_uris, ["https://rp.example/cb2"]);
        assert_eq!((new.access_token_ttl, new.id_token_ttl), (300, old.id_token_ttl));
        assert_eq!(
            (new.secret_hash, new.subject_type, new.created_at, new.updated_at),
            (old.secret_hash.clone(), old.subject_type.clone(), 100, 200)
        );

        let refused: [(ClientChange, &str); 5] = [
            (
                ClientChange { redirect_uris: vec!["javascript:alert(1)".into()], ..Default::default() },
                "--redirect-uri",
            ),
            (ClientChange { grant_types: vec!["password".into()], ..Default::default() }, "--grant-type"),
            (ClientChange { id_token_alg: Some("none".into()), ..Default::default() }, "--id-token-alg"),
            (ClientChange { access_token_ttl: Some(0), ..Default::default() }, "--access-token-ttl"),
            (ClientChange { display_name: Some("a\u{7}b".into()), ..Default::default() }, "--display-name"),
        ];
        for (change, field) in refused {
            assert_eq!(updated(&old, change, &tokens(), 200).unwrap_err().field, field);
        }
    }

    #[test]
    fn a_rotated_secret_leaves_the_old_one_valid_until_the_chosen_time_only() {
        let (old, old_secret) = confidential();
        let (new, secret) = rotated(&old, 1000, Some(1600)).unwrap();
        assert!(crate::oidc::client::verify_secret(new.secret_hash.as_deref().unwrap(), secret.expose()));
        assert!(previous_secret_accepted(&new, old_secret.expose(), 1599));
        assert!(!previous_secret_accepted(&new, old_secret.expose(), 1600), "not at the chosen time");
        assert!(!previous_secret_accepted(&new, secret.expose(), 1000), "the previous slot holds only the old one");
        let (at_once, _) = rotated(&old, 1000, None).unwrap();
        assert!(!previous_secret_accepted(&at_once, old_secret.expose(), 1000), "no overlap asked: none");
        let (past, _) = rotated(&old, 1000, Some(900)).unwrap();
        assert_eq!(past.previous_secret_hash, None);
        assert_eq!(rotated(&old, 1000, Some(1000 + 31 * 86_400)).unwrap_err().field, "--old-valid-until");
        let (twice, _) = rotated(&new, 1100, Some(1200)).unwrap();
        assert!(
            !previous_secret_accepted(&twice, old_secret.expose(), 1150),
            "a second rotation drops the first secret"
        );
    }
}
