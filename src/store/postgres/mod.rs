//! PostgreSQL backend: production and scale-out.
//!
//! Everything but connecting, locking the audit head and migrating is the shared
//! SQL of [`crate::store::sql`]. Transactions run at READ COMMITTED: the atomic
//! operations are conditional row updates, which PostgreSQL re-checks after
//! waiting for a concurrent writer of the same row.

mod listen;

use crate::clock::{Clock, UnixTime};
use crate::store::sql::{self, Backend};
use crate::store::{PoolSettings, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::Arc;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    /// Shared by clones: one group-commit queue per database.
    audit: Arc<sql::group::AuditQueue>,
    /// Shared by clones: revoking commits of this process (`RevocationStore::revocation_epoch`).
    revocations: Arc<std::sync::atomic::AtomicU64>,
    /// The audit chain's key; `None` only for stores opened without one (tests).
    chain: Option<crate::audit::ChainKey>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) with the default acquire timeout. Does not migrate.
    pub async fn open(url: &str, max_connections: u32, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        Self::open_with(url, PoolSettings::new(max_connections), clock).await
    }

    /// Connects to `url` (`postgres://…`). Does not migrate.
    ///
    /// Outages: every wait for a connection — a free one, or a new one while the
    /// server refuses or is starting (`57P03`) — ends at `acquire_timeout` with
    /// [`crate::store::StoreError::Unavailable`]. Idle connections are pinged before
    /// use, so the ones a restart killed are replaced instead of failing a request,
    /// and the pool serves again as soon as the server answers: no restart of propusk.
    pub async fn open_with(url: &str, settings: PoolSettings, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url).map_err(sql::db_err)?.application_name("propusk");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(sql::db_err)?;
        Ok(Self { pool, clock, audit: Arc::default(), revocations: Arc::default(), chain: None })
    }

    /// Hashes the audit rows this store appends with `key` ([`crate::audit::chain`]).
    pub fn with_chain_key(mut self, key: crate::audit::ChainKey) -> Self {
        self.chain = Some(key);
        self
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Backend for PgStore {
    type Db = sqlx::Postgres;

    // Locks the head row until commit: appends from every node serialise here.
    const AUDIT_HEAD_SQL: &'static str = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";

    // Every writer of a refresh-token family locks its grant row first.
    const LOCK_FAMILY_SQL: Option<&'static str> =
        Some("SELECT id FROM grants WHERE id = (SELECT grant_id FROM refresh_tokens WHERE token_hash = $1) FOR UPDATE");

    const LOCK_SESSION_SQL: &'static str =
        "SELECT id_hash FROM sessions WHERE id_hash = $1 AND expires_at > $2 FOR SHARE";

    const NAME: &'static str = "postgres";

    fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn audit_queue(&self) -> &sql::group::AuditQueue {
        &self.audit
    }

    fn revocation_epoch(&self) -> &std::sync::atomic::AtomicU64 {
        &self.revocations
    }

    fn chain_key(&self) -> Option<&crate::audit::ChainKey> {
        self.chain.as_ref()
    }

    fn now(&self) -> UnixTime {
        self.clock.now()
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

sql::sql_store!(PgStore, sqlx::Postgres);
