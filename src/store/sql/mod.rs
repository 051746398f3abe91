//! The SQL both backends share: row mapping, error mapping and, through the
//! [`sql_store!`] macro, every trait of [`crate::store`] written once.
//!
//! How to read this module:
//! * [`Backend`] is the small contract each backend fulfils: its pool, its clock,
//!   how a write transaction starts and how the audit head is read (and locked).
//!   `sqlite/` and `postgres/` implement it and do nothing else but connect.
//! * `directory.rs`, `sessions.rs`, `audit_log.rs`, `grants.rs`, `links.rs` and the
//!   others each hold one macro that expands to ordinary `impl …Store for $store`
//!   blocks for a concrete sqlx database (`sqlx::Sqlite` or `sqlx::Postgres`).
//!   Read the macro bodies as plain Rust with `$store` = the backend type and `$db`
//!   = its sqlx database.
//! * A macro and not generic code: sqlx's generic bounds (`Encode`, `Decode`,
//!   `Executor` for every bound type) would drown the logic; the macro keeps the SQL
//!   and the control flow readable and still written exactly once.
//! * SQL text is shared: sqlx-sqlite accepts `$1` placeholders, and `ON CONFLICT`
//!   and `RETURNING` work on both. Times are unix seconds, flags are `bool`
//!   (BOOLEAN on PostgreSQL, INTEGER on SQLite), lists are JSON text.

pub(crate) mod audit_log;
mod classify;
pub(crate) mod clients;
pub(crate) mod console;
pub(crate) mod directory;
mod grant_rows;
pub(crate) mod grants;
pub(crate) mod group;
pub(crate) mod installation;
pub(crate) mod keys;
pub(crate) mod limits;
mod link_rows;
pub(crate) mod links;
pub(crate) mod logout;
pub(crate) mod outbox;
pub(crate) mod passwords;
pub(crate) mod pushed;
pub(crate) mod requests;
pub(crate) mod revocations;
pub(crate) mod roles;
mod rows;
pub(crate) mod sandbox;
pub(crate) mod seen;
pub(crate) mod sessions;

pub(crate) use classify::db_err;
pub(crate) use grant_rows::*;
pub(crate) use rows::*;

use crate::clock::UnixTime;
use crate::store::StoreError;
use std::future::Future;

/// What a backend provides to the shared code.
pub(crate) trait Backend: Send + Sync {
    type Db: sqlx::Database;

    /// `sqlite` or `postgres` (for logs).
    const NAME: &'static str;

    /// Reads `(seq, hash)` of the audit head inside a write transaction.
    /// PostgreSQL adds `FOR UPDATE`, so chainers (and prunes) of concurrent nodes
    /// serialise (`audit_log.rs`).
    const AUDIT_HEAD_SQL: &'static str;

    /// Locks the grant row of the refresh token `$1` inside a write transaction
    /// (PostgreSQL); `None` where the write transaction already excludes others (SQLite).
    const LOCK_FAMILY_SQL: Option<&'static str>;

    /// Reads a live session `$1` (`$2` now) inside a write transaction, locking it
    /// against deletion on PostgreSQL (`FOR SHARE`); SQLite's write transaction
    /// already excludes others.
    const LOCK_SESSION_SQL: &'static str;

    /// The embedded migrations of this backend (`migrations/<name>`).
    fn migrator() -> &'static sqlx::migrate::Migrator;

    fn pool(&self) -> &sqlx::Pool<Self::Db>;

    /// The group-commit queue of standalone audit events ([`group::AuditQueue`]).
    fn audit_queue(&self) -> &group::AuditQueue;

    /// The count of revoking commits of this process (`commit_revoking`), shared by clones.
    fn revocation_epoch(&self) -> &std::sync::atomic::AtomicU64;

    /// The key of the audit chain ([`crate::audit::chain`]).
    fn chain_key(&self) -> Option<&crate::audit::ChainKey>;

    /// The current time from the store's [`crate::clock::Clock`].
    fn now(&self) -> UnixTime;

    /// Starts a transaction that will write (SQLite: `BEGIN IMMEDIATE`, so it
    /// holds the write lock from the start instead of failing with SQLITE_BUSY
    /// when it upgrades from read to write).
    fn begin_write(&self) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

/// A value read back from the database that the model cannot represent.
pub(crate) fn bad_value(table: &str, column: &str) -> StoreError {
    StoreError::Backend(anyhow::anyhow!("unexpected value in {table}.{column}"))
}

/// A string list as stored (JSON text).
pub(crate) fn to_json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

/// A session that exists, has not expired and — when it came from ESIA — whose
/// ESIA identity is still linked to its account (an unlink ends it at once, RT-07).
/// `$1` the id hash, `$2` now.
pub(crate) const LIVE_SESSION_SQL: &str = "SELECT s.* FROM sessions s WHERE s.id_hash = $1 AND s.expires_at > $2 \
     AND (s.upstream_subject IS NULL OR EXISTS (SELECT 1 FROM upstream_links l WHERE l.issuer = s.upstream_issuer \
     AND l.subject = s.upstream_subject AND l.account_id = s.account_id))";

/// Which grants a revocation applies to. Each variant carries its two statements:
/// revoke the grants, then every refresh token of them (`$1` is always `now`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum GrantFilter<'a> {
    Id(&'a str),
    Session(&'a str),
    Client(&'a str),
    /// Every grant of an account.
    Account(&'a str),
    AccountClient(&'a str, &'a str),
    /// An account's grants of one login method (`amr`), e.g. every ESIA-born grant.
    AccountAmr(&'a str, &'a str),
}

impl GrantFilter<'_> {
    pub(crate) fn grants_sql(&self) -> &'static str {
        match self {
            Self::Id(_) => "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND id = $2",
            Self::Session(_) => "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND session_hash = $2",
            Self::Client(_) => "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND client_id = $2",
            Self::Account(_) => "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND account_id = $2",
            Self::AccountClient(..) => {
                "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND account_id = $2 AND client_id = $3"
            }
            Self::AccountAmr(..) => {
                "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND account_id = $2 AND amr = $3"
            }
        }
    }

    pub(crate) fn tokens_sql(&self) -> &'static str {
        match self {
            Self::Id(_) => "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id = $2",
            Self::Session(_) => {
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL \
                 AND grant_id IN (SELECT id FROM grants WHERE session_hash = $2)"
            }
            Self::Client(_) => {
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL \
                 AND grant_id IN (SELECT id FROM grants WHERE client_id = $2)"
            }
            Self::Account(_) => {
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL \
                 AND grant_id IN (SELECT id FROM grants WHERE account_id = $2)"
            }
            Self::AccountClient(..) => {
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL \
                 AND grant_id IN (SELECT id FROM grants WHERE account_id = $2 AND client_id = $3)"
            }
            Self::AccountAmr(..) => {
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL \
                 AND grant_id IN (SELECT id FROM grants WHERE account_id = $2 AND amr = $3)"
            }
        }
    }

    /// The values bound after `$1`.
    pub(crate) fn values(&self) -> Vec<&str> {
        match *self {
            Self::Id(v) | Self::Session(v) | Self::Client(v) | Self::Account(v) => vec![v],
            Self::AccountClient(a, c) | Self::AccountAmr(a, c) => vec![a, c],
        }
    }
}

/// Implements every store trait for `$store`, a [`Backend`] over the sqlx
/// database `$db`.
macro_rules! sql_store {
    ($store:ty, $db:ty) => {
        $crate::store::sql::sessions::session_store!($store, $db);
        $crate::store::sql::audit_log::audit_store!($store, $db);
        $crate::store::sql::directory::directory_store!($store, $db);
        $crate::store::sql::clients::client_store!($store, $db);
        $crate::store::sql::keys::key_store!($store, $db);
        $crate::store::sql::grants::grant_store!($store, $db);
        $crate::store::sql::links::link_store!($store, $db);
        $crate::store::sql::outbox::outbox_store!($store, $db);
        $crate::store::sql::logout::logout_store!($store, $db);
        $crate::store::sql::requests::request_store!($store, $db);
        $crate::store::sql::passwords::password_store!($store, $db);
        $crate::store::sql::limits::limit_store!($store, $db);
        $crate::store::sql::roles::role_store!($store, $db);
        $crate::store::sql::installation::installation_store!($store, $db);
        $crate::store::sql::sandbox::sandbox_store!($store, $db);
        $crate::store::sql::pushed::pushed_store!($store, $db);
        $crate::store::sql::console::console_store!($store, $db);
        $crate::store::sql::seen::seen_store!($store, $db);
        $crate::store::sql::revocations::revocation_store!($store, $db);
    };
}
pub(crate) use sql_store;
