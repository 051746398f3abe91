//! Minting and checking propusk's own tokens: signing keys, ID tokens, JWT access
//! tokens (RFC 9068) and claims by scope. No HTTP here.
//!
//! - [`keys`]: the [`KeyRing`] of signing keys (generation, encryption at rest, rotation, JWKS);
//! - [`issuer`]: the [`Issuer`] that signs and verifies ID tokens and access tokens;
//! - [`claims`]: pure functions from an account and the granted scopes to claims;
//! - [`scope`]: the [`Scopes`] set.

pub mod claims;
pub mod issuer;
mod jws;
mod key_state;
mod keygen;
pub mod keys;
pub mod scope;
mod verified;

#[cfg(test)]
mod tests;

pub use issuer::{AccessClaims, Audience, Confirmation, HintClaims, IdTokenInput, Issuer};
pub use keygen::{SUPPORTED_ALGS, generate_key};
pub use keys::{KeyPolicy, KeyRing, KeyState, KeySummary, retire, rotate};
pub use scope::{InvalidScope, Scopes};

use crate::store::StoreError;

/// What can go wrong while minting or checking a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// A token failed verification; the text says which check (never the token itself).
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// A signing key is missing, undecryptable or malformed, or signing failed.
    #[error("signing key: {0}")]
    Key(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
