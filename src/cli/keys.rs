//! `propusk keys list|rotate|retire`: the signing keys and their states (docs/operations.md).
//! A retire is refused for the key that signs for its algorithm (rotate first) and is
//! audited (`key_retired`) in the store's transaction; running nodes drop the key from
//! /jwks when its overlap ends.

use super::{CliError, clock, store};
use crate::config::Config;
use crate::store::RetireOutcome;

fn policy(config: &Config) -> crate::token::KeyPolicy {
    crate::token::KeyPolicy {
        rotation_grace_secs: config.keys.rotation_grace_secs,
        max_token_ttl_secs: config.tokens.id_token_ttl_secs.max(config.tokens.access_token_ttl_secs),
    }
}

pub async fn keys_list(config: &Config) -> Result<serde_json::Value, CliError> {
    let store = store(config).await?;
    let master = crate::secrets::load_master_key(&config.keys)?;
    let ring = crate::token::KeyRing::load_or_init(store, &master, clock(), policy(config))
        .await
        .map_err(anyhow::Error::from)?;
    serde_json::to_value(ring.key_summaries()).map_err(|e| CliError::Failure(e.to_string()))
}

pub async fn keys_rotate(config: &Config, alg: &str) -> Result<serde_json::Value, CliError> {
    if !matches!(alg, "RS256" | "ES256" | "EdDSA") {
        return Err(CliError::Usage("--alg: must be RS256, ES256 or EdDSA".into()));
    }
    let store = store(config).await?;
    let master = crate::secrets::load_master_key(&config.keys)?;
    let key = crate::token::keys::rotate(&*store, &master, &*clock(), alg, config.keys.rotation_grace_secs)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(serde_json::json!({ "kid": key.kid, "alg": key.alg, "activates_at": key.activates_at }))
}

/// `keys retire KID [--overlap-secs N]`: the key stops signing now and stays in /jwks
/// for `overlap_secs` (default: the longest token lifetime, so every token it signed
/// still verifies). Its private part stays in the store, encrypted.
pub async fn keys_retire(config: &Config, kid: &str, overlap_secs: Option<i64>) -> Result<serde_json::Value, CliError> {
    let overlap = overlap_secs.unwrap_or(policy(config).max_token_ttl_secs);
    if overlap < 0 {
        return Err(CliError::Usage("--overlap-secs: must not be negative".into()));
    }
    let store = store(config).await?;
    let retire_at = clock().now().saturating_add(overlap);
    match crate::token::retire(&*store, kid, retire_at).await? {
        Some((alg, RetireOutcome::Retired)) => {
            Ok(serde_json::json!({ "kid": kid, "alg": alg, "retire_at": retire_at }))
        }
        None | Some((_, RetireOutcome::Unknown)) => Err(CliError::Failure(format!("key `{kid}` not found"))),
        Some((_, RetireOutcome::AlreadyRetired)) => Err(CliError::Failure(format!("key `{kid}` is already retired"))),
        Some((alg, RetireOutcome::Active)) => Err(CliError::Usage(format!(
            "key `{kid}` is the active {alg} key: rotate first and retire it once the new key signs"
        ))),
    }
}
