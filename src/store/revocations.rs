//! What introspection's in-memory revocation set (`oidc::revocations`) reads: the
//! access tokens and grants revoked since a moment, and a counter of this process's
//! revoking commits. Every transaction that revokes a grant or an access token ends
//! with `commit_revoking` (store/sql/sessions.rs), which bumps the counter after the
//! commit; a reader that sees the counter move re-reads before it answers, so a
//! node always sees its own revocations. Other nodes' come with the next poll.
//! Implemented once for both backends in `store/sql/revocations.rs`.

use super::StoreResult;
use crate::clock::UnixTime;

/// Revocations read back, oldest first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// Access tokens revoked by `jti`, with their expiry.
    pub tokens: Vec<(String, UnixTime)>,
    /// Grants revoked, with the moment of the revocation.
    pub grants: Vec<(String, UnixTime)>,
}

#[async_trait::async_trait]
pub trait RevocationStore: Send + Sync {
    /// At most `max_tokens` of the access tokens revoked at or after `tokens_since`
    /// that are unexpired at the store's now, and the grants revoked at or after
    /// `grants_since`.
    async fn revoked_since(
        &self,
        tokens_since: UnixTime,
        grants_since: UnixTime,
        max_tokens: usize,
    ) -> StoreResult<Revoked>;

    /// How many revoking transactions this process has committed through this store
    /// (and its clones). It only grows.
    fn revocation_epoch(&self) -> u64;
}
