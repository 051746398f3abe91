//! Events written but not yet chained: the MAC a pending row carries, and the
//! server's chainer that links pending rows into the hash chain.
//!
//! A write stores its event in `audit_pending` inside its own transaction and
//! commits without touching the chain's head; the chainer (every
//! [`CHAIN_EVERY`], on every node; the head's lock orders them) and every reader of
//! the log ([`crate::store::AuditStore::chain_pending`]) link those rows, oldest
//! id first. docs/audit.md states the
//! window this opens and why it does not weaken what a checkpoint proves.

use crate::audit::{ChainKey, chain_hash};
use crate::clock::UnixTime;
use std::time::Duration;

/// How often a server links what is pending.
pub const CHAIN_EVERY: Duration = Duration::from_millis(100);

/// The MAC of a pending row: the chain's keyed hash of its content with no
/// predecessor and sequence 0, which no chained row has (they start at 1).
pub fn pending_mac(key: Option<&ChainKey>, at: UnixTime, kind: &str, data: &str) -> String {
    chain_hash(key, "pending", 0, at, kind, data)
}

/// How long the chainer waits after a failure before it tries again (one error
/// line per try, not ten a second).
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Links pending rows every [`CHAIN_EVERY`] until aborted. A failure (the
/// database away, a changed pending row) is logged and tried again after
/// [`RETRY_AFTER_FAILURE`].
pub fn spawn_chainer(store: std::sync::Arc<dyn crate::store::Store>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHAIN_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = store.chain_pending().await {
                tracing::error!(error = format!("{:#}", anyhow::Error::new(e)), "audit events not chained");
                tokio::time::sleep(RETRY_AFTER_FAILURE).await;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_mac_binds_every_field_and_differs_from_a_row_hash() {
        let key = ChainKey::from_master(&crate::crypto::MasterKey::from_bytes([7; 32]));
        let mac = pending_mac(Some(&key), 100, "login_failed", "{}");
        assert!(mac.starts_with("k1:"));
        assert_ne!(mac, pending_mac(Some(&key), 101, "login_failed", "{}"));
        assert_ne!(mac, pending_mac(Some(&key), 100, "login_succeeded", "{}"));
        assert_ne!(mac, pending_mac(Some(&key), 100, "login_failed", "{\"a\":1}"));
        assert_ne!(mac, chain_hash(Some(&key), crate::audit::GENESIS_HASH, 1, 100, "login_failed", "{}"));
    }
}
