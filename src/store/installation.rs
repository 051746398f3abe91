//! The installation's identity and schema state: the master key's fingerprint (one row
//! written once, by the first `migrate` or `serve`) and which migrations are applied.
//! Implemented once for both backends in `store/sql/installation.rs`.

use super::StoreResult;

/// The migrations of a database compared with those of this binary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaState {
    /// This binary's migrations the database lacks (`0011_installation`, …).
    pub pending: Vec<String>,
    /// Versions applied to the database that this binary does not know (a newer release ran).
    pub newer: Vec<i64>,
}

#[async_trait::async_trait]
pub trait InstallationStore: Send + Sync {
    /// Stores `fingerprint` unless one is stored, and returns the stored one, in one
    /// transaction: the first caller's fingerprint wins, every later caller compares.
    async fn claim_installation(&self, fingerprint: &str) -> StoreResult<String>;
    /// The stored fingerprint, if any (reads only).
    async fn installation_fingerprint(&self) -> StoreResult<Option<String>>;
    /// Applied and pending migrations (reads only; a database never migrated has all pending).
    async fn schema_state(&self) -> StoreResult<SchemaState>;
}
