//! The revocations that introspection answers from memory: checking a JWT access
//! token there is a signature check plus a lookup in this set, no query.
//!
//! The set holds the `jti`s of access tokens revoked one by one (until they expire)
//! and the grants revoked within [`GRANT_HORIZON_SECS`]. Every [`POLL`] it reads
//! what was revoked since its last read, less [`OVERLAP_SECS`] (commits that took
//! their time, node clocks a little apart). Freshness:
//! - **this node**: at once. Every revoking commit moves the store's revocation
//!   epoch (`store::revocations`); a check that sees the epoch move reads first.
//! - **other nodes**: within one poll (1 s) of their commit, given node clocks within
//!   [`OVERLAP_SECS`] of each other (NTP).
//!
//! The store answers instead when the set has not been read for [`MAX_STALE_SECS`]
//! (the database is failing), when it holds more than [`MAX_TOKENS`] revoked `jti`s,
//! and for a token issued before the grant horizon. UserInfo and the admin API keep
//! asking the store ([`super::inspect::access_live`]).

use crate::clock::UnixTime;
use crate::store::revocations::Revoked;
use crate::store::{Store, StoreResult};
use crate::token::AccessClaims;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

/// How often the set reads what other nodes revoked.
pub const POLL: Duration = Duration::from_secs(1);
/// Each read starts this much before the previous one began.
pub const OVERLAP_SECS: i64 = 10;
/// Without a successful read for this long, the store answers.
pub const MAX_STALE_SECS: i64 = 5;
/// Revoked grants are kept this long: an access token issued earlier is checked in the store.
pub const GRANT_HORIZON_SECS: i64 = 24 * 3600;
/// Past this many revoked `jti`s the store answers for them (memory stays bounded)
/// until a full read, every [`FULL_READ_SECS`], finds fewer again.
pub const MAX_TOKENS: usize = 200_000;
/// While over [`MAX_TOKENS`], how often the set tries a full read.
pub const FULL_READ_SECS: i64 = 30;

#[derive(Debug, Default)]
struct State {
    /// Revoked access tokens: `jti` → expiry.
    tokens: HashMap<String, UnixTime>,
    /// Revoked grants: id → moment of the revocation.
    grants: HashMap<String, UnixTime>,
    /// The store's revocation epoch when the last good read began.
    epoch: u64,
    /// When the last good read began; `None` before the first.
    read_at: Option<UnixTime>,
    /// Over [`MAX_TOKENS`] since this full read: `tokens` is empty and not used.
    overflow: Option<UnixTime>,
}

impl State {
    /// `Some(revoked)`, or `None` when the store must answer.
    fn lookup(&self, claims: &AccessClaims, now: UnixTime, epoch: u64) -> Option<bool> {
        let read_at = self.read_at?;
        if self.epoch < epoch || now - read_at > MAX_STALE_SECS {
            return None;
        }
        if claims.gid.as_ref().is_some_and(|gid| self.grants.contains_key(gid)) {
            return Some(true);
        }
        if claims.iat <= now - GRANT_HORIZON_SECS + OVERLAP_SECS && claims.gid.is_some() {
            return None;
        }
        if self.overflow.is_some() {
            return None;
        }
        Some(self.tokens.contains_key(&claims.jti))
    }

    /// Whether the next read must read every unexpired revoked token.
    fn full_read_due(&self, now: UnixTime) -> bool {
        self.read_at.is_none() || self.overflow.is_some_and(|at| now - at >= FULL_READ_SECS)
    }

    /// Takes in a read that began at `read_at` (`full`: every unexpired token).
    fn apply(&mut self, read: Revoked, epoch: u64, read_at: UnixTime, full: bool) {
        if full {
            self.tokens = read.tokens.into_iter().collect();
            self.overflow = None;
        } else if self.overflow.is_none() {
            self.tokens.extend(read.tokens);
        }
        self.tokens.retain(|_, exp| *exp > read_at);
        if self.tokens.len() > MAX_TOKENS {
            self.tokens = HashMap::new();
            self.overflow = Some(if full { read_at } else { self.overflow.unwrap_or(read_at) });
        }
        self.grants.extend(read.grants);
        self.grants.retain(|_, at| *at > read_at - GRANT_HORIZON_SECS);
        self.epoch = self.epoch.max(epoch);
        self.read_at = Some(read_at);
    }
}

/// This node's copy of the revocations (see the module's note).
#[derive(Debug, Default)]
pub struct RevocationSet {
    state: RwLock<State>,
    /// One read at a time; callers that queued behind it use its result.
    reading: tokio::sync::Mutex<()>,
}

impl RevocationSet {
    /// Whether the access token `claims` (its signature already checked) was revoked,
    /// by itself or with its grant.
    pub async fn revoked(&self, store: &dyn Store, claims: &AccessClaims, now: UnixTime) -> StoreResult<bool> {
        let epoch = store.revocation_epoch();
        if let Some(revoked) = self.state().lookup(claims, now, epoch) {
            return Ok(revoked);
        }
        if self.read(store, now, Some(epoch)).await.is_ok()
            && let Some(revoked) = self.state().lookup(claims, now, epoch)
        {
            return Ok(revoked);
        }
        Ok(!super::inspect::access_live_in_store(store, claims).await?)
    }

    /// Reads what was revoked since the last read. With `after_epoch`, skips the read
    /// when another caller's read already began at or after that epoch.
    pub async fn read(&self, store: &dyn Store, now: UnixTime, after_epoch: Option<u64>) -> StoreResult<()> {
        let _one = self.reading.lock().await;
        let (last, full) = {
            let state = self.state();
            if let (Some(epoch), Some(_)) = (after_epoch, state.read_at)
                && state.epoch >= epoch
            {
                return Ok(());
            }
            (state.read_at, state.full_read_due(now))
        };
        // The epoch is taken before the query: a commit after this is read next time.
        let epoch = store.revocation_epoch();
        let since = last.map_or(now - GRANT_HORIZON_SECS, |at| at - OVERLAP_SECS);
        let tokens_since = if full { UnixTime::MIN } else { since };
        let read = store.revoked_since(tokens_since, since, MAX_TOKENS + 1).await?;
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner).apply(read, epoch, now, full);
        Ok(())
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // The state is replaced field by field under the lock; a panic cannot leave it torn.
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Reads the revocations every [`POLL`] until aborted.
pub fn spawn_poller(app: std::sync::Arc<crate::app::App>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = app.revocations.read(&*app.store, app.clock.now(), None).await {
                tracing::warn!(error = %e, "reading the revocations failed");
            }
        }
    })
}

#[cfg(test)]
#[path = "revocations_tests.rs"]
mod tests;
