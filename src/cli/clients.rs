//! `propusk clients update|rotate-secret|grant-role|revoke-role`: changes to a registered
//! client, each read and written in one transaction with its audit event (`client_changed`,
//! `client_secret_rotated`, `client_role_granted`, `client_role_revoked`). A running server sees them within its cache's bound.

use super::{CliError, clock, parse_time, store};
use crate::admin::client_roles::{self, ClientRoleError};
use crate::config::Config;
use crate::oidc::client::client_json;
use crate::oidc::client_change::ClientChange;
use crate::oidc::client_ops::{self, ChangeError};
use crate::store::{AuthMethod, ConsentMode};

/// `clients update` arguments: what is given replaces the current value; repeatable
/// flags replace the whole list.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UpdateArgs {
    pub id: String,
    /// Shown on consent pages instead of the id.
    #[arg(long = "display-name")]
    pub display_name: Option<String>,
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    #[arg(long = "grant-type")]
    pub grant_types: Vec<String>,
    #[arg(long)]
    pub scope: Option<String>,
    /// implicit | explicit
    #[arg(long)]
    pub consent: Option<String>,
    /// RS256 | ES256 | EdDSA
    #[arg(long = "id-token-alg")]
    pub id_token_alg: Option<String>,
    #[arg(long = "resource")]
    pub resources: Vec<String>,
    /// Seconds.
    #[arg(long = "access-token-ttl")]
    pub access_token_ttl: Option<i64>,
    #[arg(long = "id-token-ttl")]
    pub id_token_ttl: Option<i64>,
    #[arg(long = "refresh-token-ttl")]
    pub refresh_token_ttl: Option<i64>,
    /// true | false: /authorize only with a pushed request (PAR, RFC 9126).
    #[arg(long = "require-par")]
    pub require_par: Option<bool>,
    /// true | false: tokens only with a DPoP proof (RFC 9449 §5.2).
    #[arg(long = "require-dpop")]
    pub require_dpop: Option<bool>,
    /// Back-Channel Logout: where logout tokens are POSTed (https, or http on a
    /// loopback IP literal); an empty value removes it.
    #[arg(long = "backchannel-logout-uri")]
    pub backchannel_logout_uri: Option<String>,
    /// true | false: the client needs `sid` in its logout tokens.
    #[arg(long = "backchannel-logout-session-required")]
    pub backchannel_logout_session_required: Option<bool>,
    /// Remove every post-logout redirect URI (unless new ones are given).
    #[arg(long = "clear-post-logout-uris")]
    pub clear_post_logout_uris: bool,
    /// true | false: a disabled client gets no login, no token and no UserInfo.
    #[arg(long = "disabled")]
    pub disabled: Option<bool>,
    /// client_secret_basic | client_secret_post | private_key_jwt (from a secret to keys only).
    #[arg(long = "auth-method")]
    pub auth_method: Option<String>,
    /// private_key_jwt: a JWK Set file (RFC 7517 §5) replacing the client's keys.
    #[arg(long = "jwks-file")]
    pub jwks_file: Option<std::path::PathBuf>,
    /// The client's logo on the consent page: an https URL (OIDC Registration §2 `logo_uri`).
    #[arg(long = "logo-uri", conflicts_with = "clear_logo_uri")]
    pub logo_uri: Option<String>,
    /// Remove the client's logo.
    #[arg(long = "clear-logo-uri")]
    pub clear_logo_uri: bool,
}

impl UpdateArgs {
    pub fn change(&self) -> Result<ClientChange, CliError> {
        let consent = match self.consent.as_deref() {
            None => None,
            Some(c) => Some(
                ConsentMode::parse(c)
                    .ok_or_else(|| CliError::Usage("--consent: must be implicit or explicit".into()))?,
            ),
        };
        let logo_uri = match (&self.logo_uri, self.clear_logo_uri) {
            (Some(u), false) if u.is_empty() => {
                return Err(CliError::Usage("--logo-uri: empty; --clear-logo-uri removes the logo".into()));
            }
            (Some(_), true) => {
                return Err(CliError::Usage("--logo-uri conflicts with --clear-logo-uri".into()));
            }
            (Some(u), false) => Some(u.clone()),
            (None, true) => Some(String::new()),
            (None, false) => None,
        };
        let auth_method = match self.auth_method.as_deref() {
            None => None,
            Some(m) => Some(
                AuthMethod::parse(m).ok_or_else(|| CliError::Usage(format!("--auth-method: unknown method `{m}`")))?,
            ),
        };
        Ok(ClientChange {
            auth_method,
            jwks: self.jwks_file.as_deref().map(super::read_jwks_file).transpose()?,
            logo_uri,
            display_name: self.display_name.clone(),
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            grant_types: self.grant_types.clone(),
            scope: self.scope.clone(),
            consent,
            id_token_alg: self.id_token_alg.clone(),
            resources: self.resources.clone(),
            access_token_ttl: self.access_token_ttl,
            id_token_ttl: self.id_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            require_par: self.require_par,
            require_dpop: self.require_dpop,
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            clear_post_logout_uris: self.clear_post_logout_uris,
            disabled: self.disabled,
        })
    }
}

fn failure(id: &str) -> impl Fn(ChangeError) -> CliError + '_ {
    move |e| match e {
        ChangeError::NotFound => CliError::Failure(format!("client `{id}` not found")),
        ChangeError::Rule(e) => CliError::Usage(e.to_string()),
        ChangeError::Exists => CliError::Failure(format!("client `{id}` already exists")),
        ChangeError::Meanwhile => CliError::Failure(format!("client `{id}` changed meanwhile; try again")),
        ChangeError::Store(e) => e.into(),
    }
}

/// Applies `args` to the client; prints it as `clients show` does.
pub async fn clients_update(config: &Config, args: &UpdateArgs) -> Result<serde_json::Value, CliError> {
    let change = args.change()?;
    let store = store(config).await?;
    let c = client_ops::update(&*store, &config.tokens, clock().now(), &args.id, change, "cli")
        .await
        .map_err(failure(&args.id))?;
    Ok(client_json(&c, None))
}

/// A new secret, printed once; the old one stays valid until `old_valid_until`
/// (unix seconds or RFC 3339; absent: it stops at once).
pub async fn clients_rotate_secret(
    config: &Config,
    id: &str,
    old_valid_until: Option<&str>,
) -> Result<serde_json::Value, CliError> {
    let until = old_valid_until.map(|t| parse_time("--old-valid-until", t)).transpose()?;
    let store = store(config).await?;
    let (c, secret) = client_ops::rotate_secret(&*store, clock().now(), id, until, "cli").await.map_err(failure(id))?;
    let mut out = client_json(&c, Some(&secret));
    if let Some(map) = out.as_object_mut() {
        map.insert("old_secret_valid_until".into(), serde_json::json!(c.previous_secret_until));
    }
    Ok(out)
}

/// `clients grant-role` / `clients revoke-role` arguments.
#[derive(Debug, Clone)]
pub struct ClientRoleArgs {
    pub id: String,
    /// `system-admin` or `org-admin`.
    pub role: String,
    /// The organisation of `org-admin`.
    pub org: Option<String>,
}

fn role_failure(id: &str) -> impl Fn(ClientRoleError) -> CliError + '_ {
    move |e| match e {
        ClientRoleError::NoClient => CliError::Failure(format!("client `{id}` not found")),
        ClientRoleError::NotHeld => CliError::Failure(format!("client `{id}` does not hold this role")),
        ClientRoleError::Store(e) => e.into(),
        e => CliError::Usage(e.to_string()),
    }
}

/// Grants a client an admin role (the admin API's bearer callers), audited `by: "cli"`.
pub async fn clients_grant_role(config: &Config, a: &ClientRoleArgs) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    let (row, granted) = client_roles::grant(&*store, clock().now(), &a.id, &a.role, a.org.as_deref(), "cli")
        .await
        .map_err(role_failure(&a.id))?;
    let org = Some(row.organisation_id).filter(|o| !o.is_empty());
    Ok(serde_json::json!({ "client_id": a.id, "role": row.role, "organisation_id": org, "granted": granted }))
}

/// Revokes a client's admin role, audited `by: "cli"`.
pub async fn clients_revoke_role(config: &Config, a: &ClientRoleArgs) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    client_roles::revoke(&*store, &a.id, &a.role, a.org.as_deref(), "cli").await.map_err(role_failure(&a.id))?;
    Ok(serde_json::json!({ "client_id": a.id, "role": a.role, "organisation_id": a.org, "revoked": true }))
}
