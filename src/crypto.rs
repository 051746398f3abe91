//! Small cryptographic helpers shared by every layer: randomness, hashing of
//! stored secrets, keyed hashes, constant-time comparison and redacted secrets.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

/// 32 random bytes from the operating system's CSPRNG.
pub fn random_bytes() -> [u8; 32] {
    let mut buf = [0u8; 32];
    // The OS generator failing is not recoverable; every token would be unsafe.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("operating system random generator failed");
    buf
}

/// A fresh opaque token with 256 bits of entropy, base64url without padding.
pub fn random_token() -> String {
    b64(&random_bytes())
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// SHA-256 of a token, as stored in the database (codes, refresh tokens, session ids).
pub fn token_hash(token: &str) -> String {
    b64(&Sha256::digest(token.as_bytes()))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Constant-time equality for secrets.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// A string that must never reach a log: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The installation's master secret. Every other local secret is derived from it
/// with a purpose label, so one value in config (or `keys/master.key`) is all an
/// operator has to protect and back up.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A 32-byte key for one purpose, e.g. `"cookie"`, `"snils"`, `"key-encryption"`.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, format!("propusk/{purpose}").as_bytes())
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let m = MasterKey::from_bytes([7; 32]);
        assert_ne!(m.derive("cookie"), m.derive("snils"));
        assert_eq!(m.derive("cookie"), m.derive("cookie"));
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", SecretString::new("hunter2")), "[redacted]");
    }
}
