//! Signing-key material: generation with josekit, AES-256-GCM encryption of the private
//! JWK under a key derived from the master key, and turning a [`StoredKey`] into a
//! ready signer and verifier (parsed once, never per request).

use super::TokenError;
use crate::clock::UnixTime;
use crate::crypto::{MasterKey, b64, random_bytes, random_token};
use crate::store::StoredKey;
use josekit::jwk::Jwk;
use josekit::jwk::KeyPair;
use josekit::jws::{ES256, EdDSA, JwsSigner, JwsVerifier, RS256};
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use serde_json::{Map, Value};
use std::fmt;

/// The algorithms propusk signs with, in JWKS order.
pub const SUPPORTED_ALGS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const RSA_BITS: u32 = 2048;

/// A supported JWS algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Alg {
    Rs256,
    Es256,
    EdDsa,
}

impl Alg {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            "EdDSA" => Some(Self::EdDsa),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The left half of the hash that `at_hash` uses for this algorithm (OIDC Core
    /// 3.1.3.6; for EdDSA with Ed25519, SHA-512 as the `openidconnect` crate checks it).
    pub(crate) fn half_hash(self, data: &[u8]) -> Vec<u8> {
        use sha2::{Digest, Sha256, Sha512};
        match self {
            Self::Rs256 | Self::Es256 => Sha256::digest(data)[..16].to_vec(),
            Self::EdDsa => Sha512::digest(data)[..32].to_vec(),
        }
    }
}

/// A key ready to sign and verify: parsed once when the ring loads it.
pub(crate) struct LoadedKey {
    pub kid: String,
    pub alg: Alg,
    pub activates_at: UnixTime,
    pub signer: Box<dyn JwsSigner>,
    pub verifier: Box<dyn JwsVerifier>,
    /// The public JWK (`kid`, `alg`, `use: sig`) as published.
    pub public_jwk: Map<String, Value>,
    /// base64url of the JOSE header with `typ: at+jwt`, followed by `.`.
    pub at_header: String,
    /// base64url of the JOSE header with `typ: JWT`, followed by `.`.
    pub id_header: String,
    /// base64url of the JOSE header with `typ: logout+jwt` (Back-Channel Logout §2.4), followed by `.`.
    pub logout_header: String,
}

impl fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

fn key_err(what: &str) -> impl FnOnce(josekit::JoseError) -> TokenError + '_ {
    move |e| TokenError::Key(format!("{what}: {e}"))
}

/// Generates a key of `alg` (RSA 2048, P-256 or Ed25519) in a blocking task and returns
/// it ready to store: private JWK encrypted, public JWK with `kid`, `alg`, `use`.
pub async fn generate_key(
    alg: &str,
    master: &MasterKey,
    created_at: UnixTime,
    activates_at: UnixTime,
) -> Result<StoredKey, TokenError> {
    let alg = Alg::parse(alg).ok_or_else(|| TokenError::Key(format!("unsupported algorithm {alg}")))?;
    let master = master.clone();
    tokio::task::spawn_blocking(move || generate_blocking(alg, &master, created_at, activates_at))
        .await
        .map_err(|e| TokenError::Key(format!("key generation task failed: {e}")))?
}

fn generate_blocking(
    alg: Alg,
    master: &MasterKey,
    created_at: UnixTime,
    activates_at: UnixTime,
) -> Result<StoredKey, TokenError> {
    let mut private = match alg {
        Alg::Rs256 => RS256.generate_key_pair(RSA_BITS).map(|k| k.to_jwk_key_pair()),
        Alg::Es256 => ES256.generate_key_pair().map(|k| k.to_jwk_key_pair()),
        Alg::EdDsa => EdDSA.generate_key_pair(josekit::jwk::Ed25519).map(|k| k.to_jwk_key_pair()),
    }
    .map_err(key_err("generate"))?;
    let kid: String = random_token().chars().take(16).collect();
    private.set_key_id(kid.clone());
    private.set_algorithm(alg.as_str());
    private.set_key_use("sig");
    let public = public_jwk(&private, &kid, alg)?;
    let private_jwk_enc = encrypt(master, &kid, private.to_string().as_bytes())?;
    Ok(StoredKey {
        kid,
        alg: alg.as_str().to_owned(),
        private_jwk_enc,
        public_jwk: public.to_string(),
        created_at,
        activates_at,
        retire_at: None,
    })
}

fn public_jwk(private: &Jwk, kid: &str, alg: Alg) -> Result<Jwk, TokenError> {
    let mut public = private.to_public_key().map_err(key_err("public key"))?;
    public.set_key_id(kid);
    public.set_algorithm(alg.as_str());
    public.set_key_use("sig");
    Ok(public)
}

fn cipher_key(master: &MasterKey) -> [u8; 32] {
    master.derive("key-encryption")
}

/// AES-256-GCM with the kid as AAD; output is nonce ‖ ciphertext ‖ tag.
fn encrypt(master: &MasterKey, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, TokenError> {
    let key = cipher_key(master);
    let nonce: [u8; NONCE_LEN] = {
        let r = random_bytes();
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(&r[..NONCE_LEN]);
        n
    };
    let mut tag = [0u8; TAG_LEN];
    let ct = encrypt_aead(Cipher::aes_256_gcm(), &key, Some(&nonce), kid.as_bytes(), plaintext, &mut tag)
        .map_err(|e| TokenError::Key(format!("encrypt: {e}")))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out.extend_from_slice(&tag);
    Ok(out)
}

fn decrypt(master: &MasterKey, kid: &str, blob: &[u8]) -> Result<Vec<u8>, TokenError> {
    if blob.len() < NONCE_LEN + TAG_LEN {
        return Err(TokenError::Key(format!("key {kid}: ciphertext too short")));
    }
    let (nonce, rest) = blob.split_at(NONCE_LEN);
    let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
    decrypt_aead(Cipher::aes_256_gcm(), &cipher_key(master), Some(nonce), kid.as_bytes(), ct, tag)
        .map_err(|_| TokenError::Key(format!("key {kid}: cannot decrypt (wrong master key or tampered row)")))
}

/// Decrypts and parses a stored key. Fails if the private key does not decrypt under
/// this master key, or the stored public JWK is not the public half of it.
pub(crate) fn load(stored: &StoredKey, master: &MasterKey) -> Result<LoadedKey, TokenError> {
    let kid = stored.kid.as_str();
    let alg = Alg::parse(&stored.alg).ok_or_else(|| TokenError::Key(format!("key {kid}: unsupported alg")))?;
    let plain = decrypt(master, kid, &stored.private_jwk_enc)?;
    let private = Jwk::from_bytes(&plain).map_err(key_err("private JWK"))?;
    if private.key_id() != Some(kid) || private.algorithm() != Some(alg.as_str()) {
        return Err(TokenError::Key(format!("key {kid}: private JWK kid/alg mismatch")));
    }
    let public = public_jwk(&private, kid, alg)?;
    let stored_public = Jwk::from_bytes(stored.public_jwk.as_bytes()).map_err(key_err("public JWK"))?;
    if stored_public.as_ref() != public.as_ref() {
        return Err(TokenError::Key(format!("key {kid}: public JWK does not match the private key")));
    }
    let (signer, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match alg {
        Alg::Rs256 => (
            Box::new(RS256.signer_from_jwk(&private).map_err(key_err("signer"))?),
            Box::new(RS256.verifier_from_jwk(&public).map_err(key_err("verifier"))?),
        ),
        Alg::Es256 => (
            Box::new(ES256.signer_from_jwk(&private).map_err(key_err("signer"))?),
            Box::new(ES256.verifier_from_jwk(&public).map_err(key_err("verifier"))?),
        ),
        Alg::EdDsa => (
            Box::new(EdDSA.signer_from_jwk(&private).map_err(key_err("signer"))?),
            Box::new(EdDSA.verifier_from_jwk(&public).map_err(key_err("verifier"))?),
        ),
    };
    Ok(LoadedKey {
        kid: kid.to_owned(),
        alg,
        activates_at: stored.activates_at,
        signer,
        verifier,
        at_header: header(alg, kid, "at+jwt"),
        id_header: header(alg, kid, "JWT"),
        logout_header: header(alg, kid, "logout+jwt"),
        public_jwk: public.into(),
    })
}

fn header(alg: Alg, kid: &str, typ: &str) -> String {
    let json = serde_json::json!({ "alg": alg.as_str(), "kid": kid, "typ": typ });
    let mut out = b64(json.to_string().as_bytes());
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> MasterKey {
        MasterKey::from_bytes([3; 32])
    }

    #[tokio::test]
    async fn ds_04_private_key_encrypted_and_bound_to_kid() {
        let key = generate_key("ES256", &master(), 10, 10).await.unwrap();
        assert!(!String::from_utf8_lossy(&key.private_jwk_enc).contains("\"d\""));
        assert!(!key.public_jwk.contains("\"d\""));
        assert!(load(&key, &master()).is_ok());
        // Wrong master key.
        assert!(matches!(load(&key, &MasterKey::from_bytes([4; 32])), Err(TokenError::Key(_))));
        // The ciphertext of one key cannot be moved under another kid.
        let mut moved = key.clone();
        moved.kid = "other".into();
        assert!(load(&moved, &master()).is_err());
        // A swapped public key is refused.
        let other = generate_key("ES256", &master(), 10, 10).await.unwrap();
        let mut swapped = key.clone();
        swapped.public_jwk = other.public_jwk.replace(&other.kid, &key.kid);
        assert!(load(&swapped, &master()).is_err());
    }

    #[tokio::test]
    async fn generates_all_algorithms() {
        for alg in SUPPORTED_ALGS {
            let key = generate_key(alg, &master(), 1, 2).await.unwrap();
            let loaded = load(&key, &master()).unwrap();
            assert_eq!(loaded.alg.as_str(), alg);
            assert_eq!(loaded.public_jwk["use"], "sig");
            assert_eq!(loaded.public_jwk["kid"], key.kid.as_str());
            assert_eq!(key.kid.len(), 16);
        }
        assert!(generate_key("HS256", &master(), 1, 1).await.is_err());
    }
}
