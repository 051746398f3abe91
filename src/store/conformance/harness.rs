//! Test databases for the conformance suite: a temp-file SQLite database, or a
//! fresh PostgreSQL database dropped again when the test ends (even on panic).

use crate::audit::{AuditRecord, ChainError, ChainKey};
use crate::clock::FixedClock;
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{Lifecycle, Store};
use sqlx::Connection;
use std::sync::Arc;

/// The fixed "now" every test starts at.
pub const T0: i64 = 1_800_000_000;

enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// One isolated, migrated database and the store open on it.
pub struct TestDb {
    opened: Opened,
    pub url: String,
    pub clock: Arc<FixedClock>,
    _sqlite_dir: Option<tempfile::TempDir>,
    _pg_database: Option<PgDatabase>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("nested/dir/propusk.db").display());
        let clock = Arc::new(FixedClock::new(T0));
        let opened = open(&url, clock.clone()).await;
        Self { opened, url, clock, _sqlite_dir: Some(dir), _pg_database: None }
    }

    /// `None` when `TEST_POSTGRES_URL` is not set.
    pub async fn postgres() -> Option<Self> {
        let admin_url = std::env::var("TEST_POSTGRES_URL").ok()?;
        let name = format!("propusk_t_{}", hex::encode(&crate::crypto::random_bytes()[..8]));
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        let guard = PgDatabase { admin_url: admin_url.clone(), name: name.clone() };
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        let url = url.to_string();
        let clock = Arc::new(FixedClock::new(T0));
        let opened = open(&url, clock.clone()).await;
        Some(Self { opened, url, clock, _sqlite_dir: None, _pg_database: Some(guard) })
    }

    pub fn store(&self) -> &dyn Store {
        match &self.opened {
            Opened::Sqlite(s) => s,
            Opened::Postgres(s) => s,
        }
    }

    /// A second handle on the same store, for tasks spawned by a test.
    pub fn shared(&self) -> Arc<dyn Store> {
        match &self.opened {
            Opened::Sqlite(s) => Arc::new(s.clone()),
            Opened::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// Runs one statement on the database outside the store (an old schema's data,
    /// or someone with database access); returns the rows it affected.
    pub async fn execute(&self, sql: &'static str) -> u64 {
        if self.url.starts_with("sqlite:") {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            let n = sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected();
            c.close().await.unwrap();
            n
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            let n = sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected();
            c.close().await.unwrap();
            n
        }
    }

    /// Closes every connection and opens the database again (a restart).
    pub async fn reopen(&mut self) {
        match &self.opened {
            Opened::Sqlite(s) => s.close().await,
            Opened::Postgres(s) => s.close().await,
        }
        self.opened = open(&self.url, self.clock.clone()).await;
    }
}

/// The audit chain's key of every conformance store (as an installation's would be).
pub fn chain_key() -> ChainKey {
    ChainKey::from_master(&crate::crypto::MasterKey::from_bytes([7; 32]))
}

/// Checks a conformance store's keyed chain.
pub fn verify_chain(rows: &[AuditRecord]) -> Result<usize, ChainError> {
    crate::audit::chain::verify_keyed(rows, Some(chain_key()))
}

async fn open(url: &str, clock: Arc<FixedClock>) -> Opened {
    let opened = if url.starts_with("sqlite:") {
        Opened::Sqlite(SqliteStore::open(url, 8, clock).await.unwrap().with_chain_key(chain_key()))
    } else {
        Opened::Postgres(PgStore::open(url, 5, clock).await.unwrap().with_chain_key(chain_key()))
    };
    match &opened {
        Opened::Sqlite(s) => s.migrate().await.unwrap(),
        Opened::Postgres(s) => s.migrate().await.unwrap(),
    }
    opened
}

/// Drops the per-test PostgreSQL database when the test ends.
pub(super) struct PgDatabase {
    pub(super) admin_url: String,
    pub(super) name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
