//! The sandbox's pending logins, codes and refresh tokens as typed rows over a
//! [`SandboxRows`]: the server's database when the sandbox is mounted by a server
//! (every node behind a balancer sees the same rows), or [`MemoryRows`] when it
//! runs alone (`propusk esia-sandbox`). A new kind of row is one more [`Kind`].

use crate::clock::{Clock, UnixTime};
use crate::store::StoreResult;
use crate::store::sandbox::SandboxRows;
use anyhow::Context as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The kinds of rows the sandbox keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A login in progress (`AuthRequest`), by its random id.
    Request,
    /// An authorization code (`Grant`), by the code's hash.
    Code,
    /// A refresh token (`Grant`), by the token's hash.
    Refresh,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Code => "code",
            Self::Refresh => "refresh",
        }
    }
}

/// Typed access to the rows; cheap to clone.
#[derive(Clone)]
pub(super) struct Rows(Arc<dyn SandboxRows>);

impl Rows {
    pub(super) fn new(rows: Arc<dyn SandboxRows>) -> Self {
        Self(rows)
    }

    pub(super) async fn put<T: Serialize>(
        &self,
        kind: Kind,
        key: &str,
        value: &T,
        expires_at: UnixTime,
    ) -> anyhow::Result<()> {
        let json = serde_json::to_string(value).context("sandbox row")?;
        self.0.sandbox_put(kind.as_str(), key, &json, expires_at).await.context("storing a sandbox row")
    }

    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        kind: Kind,
        key: &str,
        now: UnixTime,
    ) -> anyhow::Result<Option<T>> {
        let raw = self.0.sandbox_get(kind.as_str(), key, now).await.context("reading a sandbox row")?;
        raw.map(|r| serde_json::from_str(&r).context("sandbox row")).transpose()
    }

    /// Deletes and returns the row: of parallel takes of one row, one gets it.
    pub(super) async fn take<T: DeserializeOwned>(
        &self,
        kind: Kind,
        key: &str,
        now: UnixTime,
    ) -> anyhow::Result<Option<T>> {
        let raw = self.0.sandbox_take(kind.as_str(), key, now).await.context("spending a sandbox row")?;
        raw.map(|r| serde_json::from_str(&r).context("sandbox row")).transpose()
    }
}

/// Rows in this process's memory; expired rows go at the next insert.
pub struct MemoryRows {
    rows: Mutex<HashMap<(String, String), (String, UnixTime)>>,
    clock: Arc<dyn Clock>,
}

impl MemoryRows {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { rows: Mutex::default(), clock }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), (String, UnixTime)>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl SandboxRows for MemoryRows {
    async fn sandbox_put(&self, kind: &str, key: &str, value: &str, expires_at: UnixTime) -> StoreResult<()> {
        let now = self.clock.now();
        let mut rows = self.lock();
        rows.retain(|_, (_, exp)| *exp > now);
        rows.insert((kind.to_owned(), key.to_owned()), (value.to_owned(), expires_at));
        Ok(())
    }

    async fn sandbox_get(&self, kind: &str, key: &str, now: UnixTime) -> StoreResult<Option<String>> {
        let rows = self.lock();
        Ok(rows.get(&(kind.to_owned(), key.to_owned())).filter(|(_, exp)| *exp > now).map(|(v, _)| v.clone()))
    }

    async fn sandbox_take(&self, kind: &str, key: &str, now: UnixTime) -> StoreResult<Option<String>> {
        let mut rows = self.lock();
        let row = rows.remove(&(kind.to_owned(), key.to_owned()));
        Ok(row.filter(|(_, exp)| *exp > now).map(|(v, _)| v))
    }

    async fn sandbox_purge(&self, now: UnixTime) -> StoreResult<u64> {
        let mut rows = self.lock();
        let before = rows.len();
        rows.retain(|_, (_, exp)| *exp > now);
        Ok(u64::try_from(before - rows.len()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[tokio::test]
    async fn memory_rows_expire_and_are_taken_once() {
        let clock = Arc::new(FixedClock::new(1000));
        let rows = MemoryRows::new(clock.clone());
        rows.sandbox_put("code", "a", "1", 1010).await.unwrap();
        rows.sandbox_put("refresh", "a", "2", 1100).await.unwrap();
        assert_eq!(rows.sandbox_get("code", "a", 1000).await.unwrap().as_deref(), Some("1"));
        assert_eq!(rows.sandbox_get("code", "a", 1010).await.unwrap(), None, "expired at its expiry");
        assert_eq!(rows.sandbox_take("refresh", "a", 1000).await.unwrap().as_deref(), Some("2"));
        assert_eq!(rows.sandbox_take("refresh", "a", 1000).await.unwrap(), None, "taken once");
        assert_eq!(rows.sandbox_purge(1050).await.unwrap(), 1);
        assert_eq!(rows.sandbox_get("code", "a", 900).await.unwrap(), None, "purged");
    }
}
