//! SQLite backend (WAL, busy timeout): the embedded default and the test database.
//!
//! Everything but connecting, starting write transactions and migrating is the
//! shared SQL of [`crate::store::sql`].

use crate::clock::{Clock, UnixTime};
use crate::private_fs;
use crate::store::sql::{self, Backend};
use crate::store::{PoolSettings, StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    /// Shared by clones: one group-commit queue per database.
    audit: Arc<sql::group::AuditQueue>,
    /// Shared by clones: revoking commits of this process (`RevocationStore::revocation_epoch`).
    revocations: Arc<std::sync::atomic::AtomicU64>,
    /// The audit chain's key; `None` only for stores opened without one (tests).
    chain: Option<crate::audit::ChainKey>,
}

impl SqliteStore {
    /// [`Self::open_with`] with the default acquire timeout.
    pub async fn open(url: &str, max_connections: u32, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        Self::open_with(url, PoolSettings::new(max_connections), clock).await
    }

    /// Opens (creating if missing, with its parent directory) the database file
    /// `url` names, e.g. `sqlite://data/propusk.db`; the file and its WAL are readable
    /// by their owner only ([`prepare_files`]). Does not migrate. A wait for a
    /// connection ends at `acquire_timeout`, and a lock still held after the busy
    /// timeout, with [`StoreError::Unavailable`].
    pub async fn open_with(url: &str, settings: PoolSettings, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        let max_connections = settings.max_connections;
        let options = SqliteConnectOptions::from_str(url)
            .map_err(sql::db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // Each connection to `:memory:` is its own empty database.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            let file = options.get_filename().to_path_buf();
            tokio::task::spawn_blocking(move || prepare_files(&file))
                .await
                .map_err(|e| StoreError::Unavailable(anyhow::Error::new(e).context("preparing the database file")))?
                .map_err(StoreError::Unavailable)?;
        }
        let mut pool = SqlitePoolOptions::new().max_connections(max_connections.max(1));
        if in_memory {
            // One connection, never recycled: closing it would lose the database.
            pool = pool.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None);
        }
        let pool = pool.acquire_timeout(settings.acquire_timeout).connect_with(options).await.map_err(sql::db_err)?;
        Ok(Self { pool, clock, audit: Arc::default(), revocations: Arc::default(), chain: None })
    }

    /// Opens a database file that exists, changing nothing: no file or directory is
    /// created, no mode tightened, no journal mode set (`propusk check`).
    pub async fn open_existing(url: &str, settings: PoolSettings, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url).map_err(sql::db_err)?.create_if_missing(false);
        let file = options.get_filename().to_path_buf();
        if !file.is_file() {
            return Err(StoreError::Unavailable(anyhow::anyhow!("no database file {}", file.display())));
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options.busy_timeout(Duration::from_secs(5)))
            .await
            .map_err(sql::db_err)?;
        Ok(Self { pool, clock, audit: Arc::default(), revocations: Arc::default(), chain: None })
    }

    /// Hashes the audit rows this store appends with `key` ([`crate::audit::chain`]).
    pub fn with_chain_key(mut self, key: crate::audit::ChainKey) -> Self {
        self.chain = Some(key);
        self
    }

    /// Closes every connection (tests reopen the same file afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Before SQLite opens `file`: its directory (0700 where created) and the file itself
/// (created empty with mode 0600, or tightened if it exists). SQLite's unix VFS gives
/// the `-wal`, `-shm` and `-journal` files it creates the database file's permissions;
/// ones left by an earlier release are tightened here.
fn prepare_files(file: &Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        private_fs::create_dir_all(dir).context("creating the database directory")?;
    }
    private_fs::ensure_file(file).context("creating the database file")?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = file.as_os_str().to_owned();
        side.push(suffix);
        private_fs::tighten(Path::new(&side));
    }
    Ok(())
}

impl Backend for SqliteStore {
    type Db = sqlx::Sqlite;

    // One writer at a time already: the write transaction began IMMEDIATE.
    const AUDIT_HEAD_SQL: &'static str = "SELECT seq, hash FROM audit_head WHERE id = 1";

    const LOCK_FAMILY_SQL: Option<&'static str> = None;

    const LOCK_SESSION_SQL: &'static str = "SELECT id_hash FROM sessions WHERE id_hash = $1 AND expires_at > $2";

    const NAME: &'static str = "sqlite";

    fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn pool(&self) -> &SqlitePool {
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

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

sql::sql_store!(SqliteStore, sqlx::Sqlite);

/// One node: nothing to listen to; the caches' time bounds suffice.
impl crate::store::changes::ChangeFeed for SqliteStore {
    fn changes(&self) -> Option<tokio::sync::mpsc::Receiver<crate::store::changes::Change>> {
        None
    }
}
