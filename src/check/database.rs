//! The checks of the database and the keys kept in it: reachable, fully migrated,
//! the master key is the installation's (its fingerprint), the signing keys decrypt.

use super::Report;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::MasterKey;
use crate::store::{Store, StoreError};
use std::sync::Arc;

const AREA: &str = "database";

/// Runs the database checks; `master` is the configured master key, if one was found.
pub async fn check(config: &Config, master: Option<&MasterKey>, report: &mut Report) {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = match crate::store::open_existing(&config.database.url, config.database.pool(), clock.clone()).await {
        Ok(store) => store,
        Err(e) => {
            return report.error(AREA, format!("unreachable ({}): {}", redacted(&config.database.url), cause(&e)));
        }
    };
    if let Err(e) = store.ping().await {
        return report.error(AREA, format!("unreachable ({}): {}", redacted(&config.database.url), cause(&e)));
    }
    report.ok(AREA, format!("reachable ({})", store.backend()));
    let schema = match store.schema_state().await {
        Ok(s) => s,
        Err(e) => return report.error(AREA, format!("cannot read its migrations: {}", cause(&e))),
    };
    if !schema.newer.is_empty() {
        report.note(
            AREA,
            format!("migrated by a newer release too (versions {:?}); this binary accepts it", schema.newer),
        );
    }
    if !schema.pending.is_empty() {
        let names = schema.pending.join(", ");
        return report.error(AREA, format!("not migrated: pending {names} (run `propusk migrate`)"));
    }
    report.ok(AREA, "fully migrated");
    let Some(master) = master else { return };
    fingerprint(&*store, master, report).await;
    signing_keys(store, master, clock, config, report).await;
}

async fn fingerprint(store: &dyn Store, master: &MasterKey, report: &mut Report) {
    let ours = crate::secrets::fingerprint(master);
    match store.installation_fingerprint().await {
        Ok(Some(stored)) if stored == ours => report.ok("keys", "the master key is the installation's"),
        Ok(Some(stored)) => report.error("keys", crate::app::key_mismatch(&ours, &stored)),
        Ok(None) => report.note("keys", "no key fingerprint stored yet (the next `migrate` or `serve` writes it)"),
        Err(e) => report.error("keys", format!("cannot read the key fingerprint: {}", cause(&e))),
    }
}

async fn signing_keys(
    store: Arc<dyn Store>,
    master: &MasterKey,
    clock: Arc<dyn Clock>,
    config: &Config,
    report: &mut Report,
) {
    let keys = match store.signing_keys().await {
        Ok(keys) => keys,
        Err(e) => return report.error("keys", format!("cannot read the signing keys: {}", cause(&e))),
    };
    if keys.is_empty() {
        return report.note("keys", "no signing keys yet (the first `serve` creates them)");
    }
    let n = keys.len();
    let policy = crate::token::KeyPolicy {
        rotation_grace_secs: config.keys.rotation_grace_secs,
        max_token_ttl_secs: config.tokens.id_token_ttl_secs.max(config.tokens.access_token_ttl_secs),
    };
    let master = master.clone();
    let built =
        tokio::task::spawn_blocking(move || crate::token::KeyRing::from_keys(keys, &master, clock, policy)).await;
    match built {
        Ok(Ok(_)) => report.ok("keys", format!("{n} signing keys decrypt with this master key")),
        Ok(Err(e)) => report.error("keys", format!("signing keys: {e}")),
        Err(e) => report.error("keys", format!("signing keys: {e}")),
    }
}

/// The error and its cause, on one line.
fn cause(e: &StoreError) -> String {
    match e {
        StoreError::Unavailable(inner) | StoreError::Backend(inner) => format!("{inner:#}"),
        other => other.to_string(),
    }
}

/// A database URL without its password.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
