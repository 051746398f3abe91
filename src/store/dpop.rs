//! DPoP proofs seen (RFC 9449 §11.1), shared by every node ([`DpopProofs`]): a row
//! per proof (the hash of its key's thumbprint and `jti`) until its `iat` window has
//! passed. Recording is one `INSERT … ON CONFLICT DO NOTHING`, whose affected-row
//! count is the answer: of N parallel uses of one proof, exactly one is first.
//! Implemented once for both backends in `store/sql/dpop.rs`; purged with the other
//! expired rows.

use super::StoreResult;
use crate::clock::UnixTime;

#[async_trait::async_trait]
pub trait DpopProofs: Send + Sync {
    /// Records a proof; `true` when it was not seen before (the proof may be used),
    /// `false` for a replay. The row is kept until `expires_at`.
    async fn record_dpop_proof(&self, jti_hash: &str, expires_at: UnixTime) -> StoreResult<bool>;
}
