//! Single-use identifiers seen, shared by every node ([`SeenOnce`]): a DPoP proof's
//! (RFC 9449 §11.1: the hash of its key's thumbprint and `jti`, until its `iat`
//! window has passed) and a client assertion's (RFC 7523 §3 item 7, OIDC Core §9:
//! the hash of the client id and `jti`, until its `exp`). Each [`Seen`] kind has a
//! table of its own, so the key spaces never meet. Recording is one
//! `INSERT … ON CONFLICT DO NOTHING`, whose affected-row count is the answer: of N
//! parallel uses of one identifier, exactly one is first. Implemented once for both
//! backends in `store/sql/seen.rs`; purged with the other expired rows.

use super::StoreResult;
use crate::clock::UnixTime;

/// What a recorded identifier belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A DPoP proof (`oidc::dpop_http`).
    DpopProof,
    /// A `private_key_jwt` client assertion (`oidc::client_auth`).
    ClientAssertion,
}

impl Seen {
    /// The kind's table.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Seen::DpopProof => "dpop_proofs",
            Seen::ClientAssertion => "client_assertions",
        }
    }
}

#[async_trait::async_trait]
pub trait SeenOnce: Send + Sync {
    /// Records an identifier of `kind`; `true` when it was not seen before (it may be
    /// used), `false` for a replay. The row is kept until `expires_at`.
    async fn record_once(&self, kind: Seen, jti_hash: &str, expires_at: UnixTime) -> StoreResult<bool>;
}
