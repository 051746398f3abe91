//! Access tokens whose signature was already checked. A resource server introspects
//! the same token many times over its life; a hit here costs a lookup instead of an
//! ECDSA or RSA verification. Only a token that passed every check of
//! [`super::Issuer::verify_access_token_any_audience`] goes in, keyed by its exact
//! bytes; a hit still needs the token's key to be published (a retired key's tokens
//! stop verifying at once) and the token to be unexpired. Bounded by size (the
//! tokens' bytes, [`MAX_BYTES`]) and by time ([`TTL`]).

use super::AccessClaims;
use super::keys::KeyRing;
use crate::clock::UnixTime;
use std::sync::Arc;
use std::time::Duration;

/// The most token bytes held (plus a fixed allowance per entry for its claims).
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// How long an entry is kept after it was checked.
pub const TTL: Duration = Duration::from_secs(300);
/// What one entry costs beyond its token's bytes.
const ENTRY_COST: u32 = 512;

struct Entry {
    kid: String,
    claims: AccessClaims,
}

/// The cache of checked access tokens (clones share it).
#[derive(Clone)]
pub struct VerifiedTokens {
    cache: moka::sync::Cache<String, Arc<Entry>>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(MAX_BYTES)
            .weigher(|token: &String, _: &Arc<Entry>| {
                u32::try_from(token.len()).unwrap_or(u32::MAX).saturating_add(ENTRY_COST)
            })
            .time_to_live(TTL)
            .build();
        Self { cache }
    }
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens").field("entries", &self.cache.entry_count()).finish()
    }
}

impl VerifiedTokens {
    /// The claims of `token` if it was checked before, its key is still published and
    /// it has not expired at `now`.
    pub fn get(&self, token: &str, ring: &KeyRing, now: UnixTime) -> Option<AccessClaims> {
        let entry = self.cache.get(token)?;
        if entry.claims.exp <= now || ring.verifying_key(&entry.kid).is_none() {
            self.cache.invalidate(token);
            return None;
        }
        Some(entry.claims.clone())
    }

    /// Remembers a token that passed every check, signed by key `kid`.
    pub fn insert(&self, token: &str, kid: String, claims: &AccessClaims) {
        self.cache.insert(token.to_owned(), Arc::new(Entry { kid, claims: claims.clone() }));
    }
}

#[cfg(test)]
#[path = "verified_tests.rs"]
mod tests;
