//! What each `propusk` subcommand does, as library functions (so tests can call
//! them): client registration, keys, the audit log and the directory. `main.rs`
//! only parses arguments and maps [`CliError`] to an exit code.

use crate::app::open_store;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::oidc::client::{DEFAULT_SCOPE, NewClient, client_json};
use crate::oidc::client_ops::{self, ChangeError};
use crate::store::{AuthMethod, ConsentMode, Store};
use std::path::Path;
use std::sync::Arc;

mod audit;
mod clients;
mod keys;
mod ops;
mod staff;
pub use audit::{
    AuditReport, audit_checkpoint, audit_export, audit_filter, audit_prune, audit_search, audit_verify,
    audit_verify_report, parse_since, parse_time,
};
pub use clients::{
    ClientRoleArgs, UpdateArgs, clients_grant_role, clients_revoke_role, clients_rotate_secret, clients_update,
};
pub use keys::{keys_list, keys_retire, keys_rotate};
pub use ops::{check, default_health_url, health};
pub use staff::{RoleChange, staff_grant, staff_list, staff_revoke};

/// Exit code 2 for bad usage (with the argument named), 1 for everything else.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failure(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => 2,
            Self::Failure(_) => 1,
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        Self::Failure(format!("{e:#}"))
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Failure(format!("database: {e}"))
    }
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

async fn store(config: &Config) -> Result<Arc<dyn Store>, CliError> {
    Ok(keyed_store(config).await?.0)
}

/// The store and the audit chain's key (read once from the master key).
async fn keyed_store(config: &Config) -> Result<(Arc<dyn Store>, crate::audit::ChainKey), CliError> {
    let master = crate::secrets::load_master_key(&config.keys)?;
    Ok((open_store(config, clock(), &master).await?, crate::audit::ChainKey::from_master(&master)))
}

pub async fn migrate(config: &Config) -> Result<(), CliError> {
    store(config).await.map(|_| ())
}

/// `clients add` arguments (CONTRACT.md §1).
#[derive(Debug, Clone, Default)]
pub struct AddClient {
    pub id: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub secret: Option<String>,
    pub scope: Option<String>,
    pub grant_types: Vec<String>,
    pub consent: Option<String>,
    pub auth_method: Option<String>,
    pub id_token_alg: Option<String>,
    /// `public` (default) or `pairwise`.
    pub subject_type: Option<String>,
    pub sector_identifier_uri: Option<String>,
    /// RFC 8707 resources (repeatable `--resource`).
    pub resources: Vec<String>,
    pub display_name: Option<String>,
    /// RFC 9126: `/authorize` only with a pushed request (`--require-par`).
    pub require_par: bool,
    /// RFC 9449 §5.2: tokens only with a DPoP proof (`--require-dpop`).
    pub require_dpop: bool,
    /// Back-Channel Logout (`--backchannel-logout-uri`).
    pub backchannel_logout_uri: Option<String>,
    /// `--backchannel-logout-session-required`.
    pub backchannel_logout_session_required: bool,
    /// Registration §2 `logo_uri` (`--logo-uri`): an https URL shown on the consent page.
    pub logo_uri: Option<String>,
    /// `private_key_jwt`: the client's JWK Set, as JSON text (`--jwks-file`).
    pub jwks: Option<String>,
}

/// The JWK Set of `--jwks-file` as text; checked by the registration rules.
pub fn read_jwks_file(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("--jwks-file: {}: {e}", path.display())))
}

/// The registration `a` asks for, with the defaults of `clients add`, and whether it
/// requires PAR; the registration rules are checked by [`client_ops::add`].
pub fn new_client(config: &Config, a: AddClient) -> Result<(NewClient, bool), CliError> {
    let auth_method = match (a.public, a.auth_method.as_deref()) {
        (true, None | Some("none")) => AuthMethod::None,
        (true, Some(_)) => return Err(CliError::Usage("--public conflicts with --auth-method".into())),
        (false, None) => AuthMethod::ClientSecretBasic,
        (false, Some(m)) => {
            AuthMethod::parse(m).ok_or_else(|| CliError::Usage(format!("--auth-method: unknown method `{m}`")))?
        }
    };
    let consent = match a.consent.as_deref() {
        None => ConsentMode::Implicit,
        Some(c) => {
            ConsentMode::parse(c).ok_or_else(|| CliError::Usage("--consent: must be implicit or explicit".into()))?
        }
    };
    let grant_types = if a.grant_types.is_empty() {
        vec!["authorization_code".to_owned(), "refresh_token".to_owned()]
    } else {
        a.grant_types
    };
    let new = NewClient {
        id: a.id,
        redirect_uris: a.redirect_uris,
        post_logout_redirect_uris: a.post_logout_redirect_uris,
        grant_types,
        scope: a.scope.unwrap_or_else(|| DEFAULT_SCOPE.to_owned()),
        consent,
        auth_method,
        secret: a.secret.map(crate::crypto::SecretString::new),
        id_token_alg: a.id_token_alg.unwrap_or_else(|| config.keys.default_alg.clone()),
        subject_type: a.subject_type.unwrap_or_else(|| "public".to_owned()),
        sector_identifier_uri: a.sector_identifier_uri,
        resources: a.resources,
        display_name: a.display_name,
        backchannel_logout_uri: a.backchannel_logout_uri,
        backchannel_logout_session_required: a.backchannel_logout_session_required,
        logo_uri: a.logo_uri,
        jwks: a.jwks,
    };
    Ok((new, a.require_par))
}

pub async fn clients_add(config: &Config, a: AddClient) -> Result<serde_json::Value, CliError> {
    let require_dpop = a.require_dpop;
    let (new, require_par) = new_client(config, a)?;
    let (mut client, secret) =
        client_ops::registered(new, &config.tokens, clock().now(), require_par).map_err(|e| match e {
            ChangeError::Rule(e) => CliError::Usage(e.to_string()),
            e => CliError::Failure(format!("{e:?}")),
        })?;
    client.dpop_bound_access_tokens = require_dpop;
    let store = store(config).await?;
    match client_ops::add(&*store, &client, "cli").await {
        Ok(()) => Ok(client_json(&client, secret.as_ref())),
        Err(ChangeError::Exists) => Err(CliError::Failure(format!("client `{}` already exists", client.id))),
        Err(ChangeError::Store(e)) => Err(e.into()),
        Err(e) => Err(CliError::Failure(format!("client `{}` not stored: {e:?}", client.id))),
    }
}

pub async fn clients_list(config: &Config) -> Result<serde_json::Value, CliError> {
    let clients = store(config).await?.clients().await?;
    Ok(serde_json::Value::Array(clients.iter().map(|c| client_json(c, None)).collect()))
}

pub async fn clients_show(config: &Config, id: &str) -> Result<serde_json::Value, CliError> {
    match store(config).await?.client(id).await? {
        Some(c) => Ok(client_json(&c, None)),
        None => Err(CliError::Failure(format!("client `{id}` not found"))),
    }
}

pub async fn clients_remove(config: &Config, id: &str) -> Result<serde_json::Value, CliError> {
    if client_ops::remove(&*store(config).await?, id, "cli").await? {
        Ok(serde_json::json!({ "removed": id }))
    } else {
        Err(CliError::Failure(format!("client `{id}` not found")))
    }
}

pub async fn directory_import(config: &Config, file: &Path) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    let master = crate::secrets::load_master_key(&config.keys)?;
    let keys = crate::account::directory::DirectoryKeys::derive(&master);
    let summary = crate::account::directory::import_file(&*store, file, &keys)
        .await
        .map_err(|e| CliError::Failure(format!("{}: {e}", file.display())))?;
    Ok(serde_json::json!({
        "organisations": summary.organisations,
        "accounts": summary.accounts,
        "relations": summary.relations,
    }))
}
