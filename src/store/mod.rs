//! Persistence: the only module that imports sqlx.
//!
//! The rest of propusk talks to storage through the traits below, shaped around
//! the operations that must be atomic (spend a code, rotate a refresh token,
//! revoke a family), never around tables. Every mutation that grants, revokes or
//! reveals takes the [`AuditEvent`] that describes it and writes it, hash-chained,
//! in the same transaction. Two implementations, [`sqlite`] and [`postgres`], own
//! their SQL and migrations; one conformance suite runs against both.

pub mod changes;
pub mod console;
pub mod installation;
pub mod limits;
pub mod links;
pub mod logout;
pub mod model;
pub mod model_grants;
pub mod outbox;
pub mod passwords;
pub mod postgres;
pub mod pushed;
pub mod requests;
pub mod revocations;
pub mod roles;
pub mod sandbox;
pub mod seen;
mod sql;
pub mod sqlite;

#[cfg(test)]
mod conformance;

use crate::audit::{AuditEvent, AuditRecord};
use crate::clock::Clock;
pub use model::*;
pub use model_grants::*;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Conflict(String),
    /// The database cannot be reached (endpoints answer 503 with Retry-After).
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("database error")]
    Backend(#[source] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Organisations, classes, school accounts and parent–child relations.
#[async_trait::async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Upserts the whole batch and writes `audit`, all in one transaction:
    /// either everything of the batch is stored or nothing is.
    async fn import_directory(&self, batch: &DirectoryBatch, audit: &AuditEvent) -> StoreResult<()>;
    async fn organisations(&self) -> StoreResult<Vec<Organisation>>;
    async fn organisation(&self, id: &str) -> StoreResult<Option<Organisation>>;
    async fn classes(&self, organisation_id: &str) -> StoreResult<Vec<Class>>;
    /// Every class of every organisation (one query for pages that list them all).
    async fn all_classes(&self) -> StoreResult<Vec<Class>>;
    async fn class(&self, id: &str) -> StoreResult<Option<Class>>;
    async fn account(&self, id: &str) -> StoreResult<Option<Account>>;
    async fn account_by_login(&self, organisation_id: &str, login: &str) -> StoreResult<Option<Account>>;
    /// Indexed lookup by the matching key (never a scan), limited to one role.
    async fn accounts_by_match_key(&self, match_key: &str, role: Role) -> StoreResult<Vec<Account>>;
    /// Replaces a password hash (rehash to argon2id after a successful login).
    async fn set_password_hash(&self, account_id: &str, phc: &str, audit: &AuditEvent) -> StoreResult<()>;
    async fn children(&self, parent_id: &str) -> StoreResult<Vec<Relation>>;
    /// A small key/value table for installation state (e.g. `demo_seeded`).
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str, audit: Option<&AuditEvent>) -> StoreResult<()>;
}

/// Relying parties.
#[async_trait::async_trait]
pub trait ClientStore: Send + Sync {
    async fn client(&self, id: &str) -> StoreResult<Option<Client>>;
    async fn clients(&self) -> StoreResult<Vec<Client>>;
    /// Fails with [`StoreError::Conflict`] when the id exists.
    async fn insert_client(&self, client: &Client, audit: &AuditEvent) -> StoreResult<()>;
    /// Reads the client inside a write transaction, stores what `change` makes of
    /// it with `audit`, and returns it; `None` (nothing stored) when `change` refuses.
    /// Two changes at once apply one after the other. [`StoreError::NotFound`] when
    /// the id does not exist.
    async fn change_client(
        &self,
        id: &str,
        change: &(dyn for<'c> Fn(&'c Client) -> Option<Client> + Send + Sync),
        audit: &AuditEvent,
    ) -> StoreResult<Option<Client>>;
    /// Removes the client and revokes its grants. `false` when it did not exist.
    async fn remove_client(&self, id: &str, audit: &AuditEvent) -> StoreResult<bool>;
}

/// Token-signing keys.
#[async_trait::async_trait]
pub trait KeyStore: Send + Sync {
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    async fn add_signing_key(&self, key: &StoredKey, audit: &AuditEvent) -> StoreResult<()>;
    /// `keys retire`, in one transaction with `audit`: sets `retire_at` of `kid` unless it
    /// is unknown, already retired at the store's now, or the key that signs for its
    /// algorithm (the latest started key of its algorithm not retired by hand).
    async fn retire_signing_key(
        &self,
        kid: &str,
        retire_at: crate::clock::UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<RetireOutcome>;
}

/// Browser sessions and flows in progress.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session (login) with its `login_succeeded` event.
    async fn create_session(&self, session: &Session, audit: &AuditEvent) -> StoreResult<()>;
    /// A session that exists and has not expired.
    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>>;
    /// Ends a session (logout) and revokes the grants issued from it.
    async fn end_session(&self, id_hash: &str, audit: &AuditEvent) -> StoreResult<()>;
    /// Insert or replace.
    /// Insert, or replace its data and expiry (the version stays).
    async fn put_flow(&self, flow: &FlowRecord) -> StoreResult<()>;
    /// Replaces a live flow's data and expiry only if its version is still
    /// `version`, moving the version on by one — one conditional update. `false`
    /// (nothing written) when another request moved the flow on first, or it is gone.
    async fn replace_flow(&self, flow: &FlowRecord, version: i64) -> StoreResult<bool>;
    /// A flow that exists and has not expired.
    async fn flow(&self, id: &str) -> StoreResult<Option<FlowRecord>>;
    async fn delete_flow(&self, id: &str) -> StoreResult<()>;
    /// Deletes expired sessions, flows, codes and refresh tokens. Returns rows removed.
    async fn purge_expired(&self) -> StoreResult<u64>;
}

/// Codes, grants (token families), refresh tokens, revocations and consents.
#[async_trait::async_trait]
pub trait GrantStore: Send + Sync {
    async fn insert_code(&self, code: &AuthCode) -> StoreResult<()>;
    async fn code(&self, code_hash: &str) -> StoreResult<Option<AuthCode>>;
    /// Spends a code atomically: if it is unconsumed, marks it consumed and stores
    /// `grant`, `refresh` (if any) and `audit` in one transaction. If it was already
    /// consumed, revokes the grant it issued (AC-01). N parallel calls: one `Issued`.
    async fn exchange_code(
        &self,
        code_hash: &str,
        grant: &Grant,
        refresh: Option<&RefreshToken>,
        audit: &AuditEvent,
    ) -> StoreResult<CodeExchange>;
    /// Marks a code consumed without issuing anything (failed PKCE, wrong client).
    async fn burn_code(&self, code_hash: &str, audit: &AuditEvent) -> StoreResult<()>;

    async fn grant(&self, id: &str) -> StoreResult<Option<Grant>>;
    /// A refresh token and its grant, whatever their state.
    async fn refresh_token(&self, token_hash: &str) -> StoreResult<Option<(RefreshToken, Grant)>>;
    /// Rotates in exactly one transaction (one commit, reads included): checks the
    /// token, its client, its grant, the account and `accept(grant)`, which refuses
    /// (`None`) or returns the `token_issued` event of the tokens the caller will mint;
    /// marks the old token used, stores the new one and that event. A token
    /// already used revokes its whole grant (RT-01); of two parallel rotations at
    /// most one succeeds (RT-02).
    async fn rotate_refresh(
        &self,
        req: RefreshRequest<'_>,
        accept: &(dyn for<'g> Fn(&'g Grant) -> Option<AuditEvent> + Send + Sync),
    ) -> StoreResult<Rotation>;
    /// Revokes a grant and every token of it. `false` if it was unknown or already revoked.
    async fn revoke_grant(&self, grant_id: &str, audit: &AuditEvent) -> StoreResult<bool>;
    /// Revokes one access token by `jti` (kept until `expires_at`).
    async fn revoke_token_id(&self, jti: &str, expires_at: i64, audit: &AuditEvent) -> StoreResult<()>;
    async fn token_id_revoked(&self, jti: &str) -> StoreResult<bool>;

    async fn consent(&self, account_id: &str, client_id: &str) -> StoreResult<Option<Consent>>;
    async fn consents(&self, account_id: &str) -> StoreResult<Vec<Consent>>;
    /// The client's consents by account id, those after `after` (keyset paging), at most `limit`.
    async fn consents_of_client(&self, client_id: &str, after: Option<&str>, limit: i64) -> StoreResult<Vec<Consent>>;
    async fn put_consent(&self, consent: &Consent, audit: &AuditEvent) -> StoreResult<()>;
    /// Forgets the consent and revokes the client's grants for that account.
    async fn revoke_consent(&self, account_id: &str, client_id: &str, audit: &AuditEvent) -> StoreResult<()>;
}

/// The append-only, hash-chained audit log.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Writes an event that has no other change to go with (e.g. a failed login).
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Links every pending event (written with its change, not yet chained) into the
    /// hash chain; returns how many. The readers below do it first; a server also does
    /// it every 100 ms (`audit::pending`). Fails on a pending row that was changed.
    async fn chain_pending(&self) -> StoreResult<u64>;
    /// The last row's `seq` and hash (0 and the genesis hash for an empty log).
    async fn audit_head(&self) -> StoreResult<(i64, String)>;
    /// Rows with `seq > after`, in order, at most `limit`.
    async fn audit_records(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditRecord>>;
    /// The anchor line `audit prune` left (`audit::retention`), if rows were pruned.
    async fn audit_anchor(&self) -> StoreResult<Option<String>>;
    /// One transaction, under the head's lock: when the anchor is still `expected` and row
    /// `upto_seq` still has `upto_hash`, removes the rows up to it, stores the new anchor
    /// and appends the event. `false` (nothing written) otherwise.
    async fn prune_audit(&self, prune: &crate::audit::retention::Prune<'_>) -> StoreResult<bool>;
}

/// Schema and health.
#[async_trait::async_trait]
pub trait Lifecycle: Send + Sync {
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;
    /// The backend's name for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// Everything propusk persists.
pub trait Store:
    DirectoryStore
    + ClientStore
    + KeyStore
    + SessionStore
    + GrantStore
    + AuditStore
    + console::AccountConsole
    + links::LinkStore
    + limits::LimitStore
    + roles::RoleStore
    + outbox::MailOutbox
    + logout::LogoutOutbox
    + passwords::PasswordStore
    + requests::RequestStore
    + installation::InstallationStore
    + sandbox::SandboxRows
    + pushed::PushedRequests
    + seen::SeenOnce
    + revocations::RevocationStore
    + changes::ChangeFeed
    + Lifecycle
{
}
impl<T> Store for T where
    T: DirectoryStore
        + ClientStore
        + KeyStore
        + SessionStore
        + GrantStore
        + AuditStore
        + console::AccountConsole
        + links::LinkStore
        + limits::LimitStore
        + roles::RoleStore
        + outbox::MailOutbox
        + logout::LogoutOutbox
        + passwords::PasswordStore
        + requests::RequestStore
        + installation::InstallationStore
        + sandbox::SandboxRows
        + pushed::PushedRequests
        + seen::SeenOnce
        + revocations::RevocationStore
        + changes::ChangeFeed
        + Lifecycle
{
}

/// How long a request waits for a database connection before it fails with
/// [`StoreError::Unavailable`], unless configured (`database.acquire_timeout_ms`).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(2000);

/// The connection pool of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// The longest wait for a connection, including (re)connecting to a database
    /// that went away; past it the call fails with [`StoreError::Unavailable`].
    pub acquire_timeout: Duration,
}

impl PoolSettings {
    pub fn new(max_connections: u32) -> Self {
        Self { max_connections, acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT }
    }
}

/// Opens the backend the URL names (`sqlite://…` or `postgres://…`) with the
/// default acquire timeout. Does not migrate.
/// Its audit rows are hashed without a key: for tests; the server and the CLI open
/// theirs with [`open_with`] and the chain key.
pub async fn open(url: &str, max_connections: u32, clock: Arc<dyn Clock>) -> StoreResult<Arc<dyn Store>> {
    open_with(url, PoolSettings::new(max_connections), clock, None).await
}

/// Opens the backend the URL names with these pool settings; the audit rows it
/// appends are keyed with `chain` ([`crate::audit::chain`]). Does not migrate.
pub async fn open_with(
    url: &str,
    pool: PoolSettings,
    clock: Arc<dyn Clock>,
    chain: Option<crate::audit::ChainKey>,
) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::open_with(url, pool, clock).await?;
        Ok(Arc::new(match chain {
            Some(key) => store.with_chain_key(key),
            None => store,
        }))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = postgres::PgStore::open_with(url, pool, clock).await?;
        Ok(Arc::new(match chain {
            Some(key) => store.with_chain_key(key),
            None => store,
        }))
    } else {
        Err(StoreError::Backend(anyhow::anyhow!("unsupported database URL scheme")))
    }
}

/// Opens the database the URL names without changing anything (no SQLite file is
/// created, nothing migrated): `propusk check`.
pub async fn open_existing(url: &str, pool: PoolSettings, clock: Arc<dyn Clock>) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open_existing(url, pool, clock).await?))
    } else {
        open_with(url, pool, clock, None).await
    }
}
