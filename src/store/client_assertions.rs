//! Client assertions seen (RFC 7523 §3 item 7, OIDC Core §9 `jti`), shared by every
//! node ([`ClientAssertions`]): a row per assertion (the hash of its client id and
//! `jti`) until its `exp` has passed. A key space of its own: a DPoP proof's `jti`
//! (`store::dpop`) never collides with an assertion's. Recording is one
//! `INSERT … ON CONFLICT DO NOTHING`, whose affected-row count is the answer: of N
//! parallel uses of one assertion, exactly one is first. Implemented once for both
//! backends in `store/sql/client_assertions.rs`; purged with the other expired rows.

use super::StoreResult;
use crate::clock::UnixTime;

#[async_trait::async_trait]
pub trait ClientAssertions: Send + Sync {
    /// Records an assertion; `true` when it was not seen before (it may be used),
    /// `false` for a replay. The row is kept until `expires_at`.
    async fn record_client_assertion(&self, jti_hash: &str, expires_at: UnixTime) -> StoreResult<bool>;
}
