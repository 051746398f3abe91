//! Pushed authorization requests (RFC 9126) kept server-side ([`PushedRequests`]):
//! a row per `request_uri` (by its hash), the client that pushed it, the pushed
//! parameters and an expiry. Taking a row deletes it in one statement, so a
//! `request_uri` is used once; a row past its expiry or of another client is never
//! returned. Implemented once for both backends in `store/sql/pushed.rs`.

use super::StoreResult;
use crate::clock::UnixTime;

#[async_trait::async_trait]
pub trait PushedRequests: Send + Sync {
    /// Stores a pushed request under the hash of its `request_uri`.
    async fn put_pushed(&self, uri_hash: &str, client_id: &str, params: &str, expires_at: UnixTime) -> StoreResult<()>;
    /// Deletes the request of `client_id` that has not expired at `now` and returns
    /// its parameters, in one statement: of N parallel calls, exactly one gets `Some`.
    async fn take_pushed(&self, uri_hash: &str, client_id: &str, now: UnixTime) -> StoreResult<Option<String>>;
}
