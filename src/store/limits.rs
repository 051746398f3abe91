//! Counters of attempts that every node shares and a restart keeps (AB-01): the
//! [`LimitStore`] trait, implemented once for both backends in `store/sql/limits.rs`.
//!
//! A counter counts hits inside a window and may carry a lock. [`LimitStore::hit`]
//! counts and reads in one atomic statement, so N parallel attempts see the counts
//! 1..N — the reservation that lets a caller refuse the attempt past a limit before
//! doing the work it guards. Policy (what to count, which limits) is the caller's:
//! see `account::throttle`.

use super::{FlowRecord, StoreResult};
use crate::clock::UnixTime;

/// A counter as read at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counter {
    /// Hits in the current window (this one included, for [`LimitStore::hit`]).
    pub hits: u32,
    /// When the current window ends.
    pub window_end: UnixTime,
    /// Locked until then (0 or a past time: not locked).
    pub locked_until: UnixTime,
}

impl Counter {
    /// The counter as it stands at `now`: a window that is over counts nothing.
    pub fn at(self, now: UnixTime) -> Self {
        if self.window_end <= now && self.locked_until <= now { Self::default() } else { self }
    }

    pub fn locked(&self, now: UnixTime) -> bool {
        self.locked_until > now
    }
}

#[async_trait::async_trait]
pub trait LimitStore: Send + Sync {
    /// Counts one hit on `key` and returns the counter after it, in one atomic
    /// statement. A window that is over (and not locked) starts again: `hits` = 1,
    /// ending `window_secs` from now.
    async fn hit(&self, key: &str, window_secs: i64) -> StoreResult<Counter>;
    /// Reads the counter of `key` without counting (an unknown key counts nothing).
    async fn counter(&self, key: &str) -> StoreResult<Counter>;
    /// Locks `key` until `until` and starts its count again.
    async fn lock_counter(&self, key: &str, until: UnixTime) -> StoreResult<()>;
    /// Forgets the hits of `key`; a lock it carries stays.
    async fn clear_hits(&self, key: &str) -> StoreResult<()>;
    /// Stores a new flow and counts a hit on `key`, in one transaction: when the
    /// hit is the `max + 1`-th of its window nothing is stored and `false` returned.
    async fn put_flow_counted(&self, flow: &FlowRecord, key: &str, max: u32, window_secs: i64) -> StoreResult<bool>;
}
