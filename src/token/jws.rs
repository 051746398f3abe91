//! JWS compact serialization (RFC 7515) over josekit's signers and verifiers, kept lean
//! for the token endpoint: the header is pre-encoded per key, the payload is encoded
//! once, and verification accepts only our own published keys with their own algorithm.

use super::TokenError;
use super::keygen::{Alg, LoadedKey};
use super::keys::KeyRing;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longer tokens are refused before any decoding.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// `header.payload`, ready to sign.
pub(crate) fn signing_input<T: Serialize>(header: &str, payload: &T) -> Result<String, TokenError> {
    let json = serde_json::to_vec(payload).map_err(|e| TokenError::Key(format!("claims: {e}")))?;
    let mut out = String::with_capacity(header.len() + json.len() * 4 / 3 + 4 + 128);
    out.push_str(header);
    URL_SAFE_NO_PAD.encode_string(&json, &mut out);
    Ok(out)
}

/// Signs `input` with `key`; RSA in a blocking task, ES256/EdDSA inline (tens of µs).
pub(crate) async fn sign(key: Arc<LoadedKey>, input: String) -> Result<String, TokenError> {
    if key.alg == Alg::Rs256 {
        tokio::task::spawn_blocking(move || finish(&key, input))
            .await
            .map_err(|e| TokenError::Key(format!("signing task failed: {e}")))?
    } else {
        finish(&key, input)
    }
}

fn finish(key: &LoadedKey, mut input: String) -> Result<String, TokenError> {
    let sig = key.signer.sign(input.as_bytes()).map_err(|e| TokenError::Key(format!("sign: {e}")))?;
    input.push('.');
    URL_SAFE_NO_PAD.encode_string(&sig, &mut input);
    Ok(input)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

fn decode(part: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Invalid("malformed token"))
}

/// Checks a compact JWS against our published keys and returns its payload bytes
/// and the key's algorithm. Refused: other `typ`, no or unknown `kid`, `alg` other than
/// that key's algorithm (so no `none`, no HS*), `crit`, a bad signature.
pub(crate) fn verify(ring: &KeyRing, token: &str, typ: &str) -> Result<Vec<u8>, TokenError> {
    verify_with_kid(ring, token, typ).map(|(payload, _)| payload)
}

/// [`verify`], also naming the key that signed.
pub(crate) fn verify_with_kid(ring: &KeyRing, token: &str, typ: &str) -> Result<(Vec<u8>, String), TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Invalid("token too long"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Invalid("malformed token"));
    };
    let header: Header = serde_json::from_slice(&decode(h)?).map_err(|_| TokenError::Invalid("malformed header"))?;
    if header.typ.as_deref() != Some(typ) {
        return Err(TokenError::Invalid("wrong typ"));
    }
    if header.crit.is_some() {
        return Err(TokenError::Invalid("unsupported crit"));
    }
    let kid = header.kid.ok_or(TokenError::Invalid("no kid"))?;
    let key = ring.verifying_key(&kid).ok_or(TokenError::Invalid("unknown kid"))?;
    if header.alg != key.alg.as_str() {
        return Err(TokenError::Invalid("alg mismatch"));
    }
    let signature = decode(s)?;
    let signed = &token[..h.len() + 1 + p.len()];
    key.verifier.verify(signed.as_bytes(), &signature).map_err(|_| TokenError::Invalid("bad signature"))?;
    Ok((decode(p)?, kid))
}
