//! The ESIA sandbox's rows ([`SandboxRows`]): pending logins, codes and refresh
//! tokens of the emulator, kept in the database when the sandbox is mounted by a
//! server, so that every node behind a balancer sees the same ones. Implemented
//! once for both backends in `store/sql/sandbox.rs`; `connector::sandbox` keeps
//! an in-memory implementation for `propusk esia-sandbox` run alone.
//!
//! Rows are opaque to the store: a kind (`request`, `code`, …), a key, a JSON
//! value and an expiry. A row past its expiry is never returned, and is purged
//! with the other expired rows.

use super::StoreResult;
use crate::clock::UnixTime;

#[async_trait::async_trait]
pub trait SandboxRows: Send + Sync {
    /// Inserts the row or replaces its value and expiry.
    async fn sandbox_put(&self, kind: &str, key: &str, value: &str, expires_at: UnixTime) -> StoreResult<()>;
    /// The value of a row that has not expired at `now`.
    async fn sandbox_get(&self, kind: &str, key: &str, now: UnixTime) -> StoreResult<Option<String>>;
    /// Deletes a row that has not expired at `now` and returns its value, in one
    /// statement: of N parallel calls for one row, exactly one gets `Some`.
    async fn sandbox_take(&self, kind: &str, key: &str, now: UnixTime) -> StoreResult<Option<String>>;
    /// Deletes the rows expired at `now`; returns how many.
    async fn sandbox_purge(&self, now: UnixTime) -> StoreResult<u64>;
}
