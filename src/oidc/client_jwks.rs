//! A `private_key_jwt` client's registered keys (pure): the inline JWK Set
//! (RFC 7517 §5; OIDC Registration §2 `jwks`) checked at registration — public
//! signing keys only, never a private member nor a symmetric `oct` key — and the keys
//! an assertion's `alg` and `kid` may be verified with (OIDC Core §10.1.1).

use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, RS256};
use serde_json::{Map, Value};

/// A larger JWK Set is refused before it is parsed.
pub const MAX_JWKS_LEN: usize = 32 * 1024;
/// The most keys a client may register (a rotation needs two or three).
pub const MAX_KEYS: usize = 10;
/// RFC 7518 §3.3: an RSA key of 2048 bits at least.
const MIN_RSA_BITS: usize = 2048;
/// Members of a private or symmetric JWK (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a JWK Set was refused (shown to the operator, with the key's position).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JwksError(pub String);

fn refused(why: impl Into<String>) -> JwksError {
    JwksError(why.into())
}

/// Checks a JWK Set given at registration; its compact JSON text to store.
pub fn validate(text: &str) -> Result<String, JwksError> {
    if text.len() > MAX_JWKS_LEN {
        return Err(refused(format!("a JWK Set of at most {MAX_JWKS_LEN} bytes")));
    }
    let set: Map<String, Value> =
        serde_json::from_str(text).map_err(|_| refused("not a JSON object (a JWK Set: {\"keys\": [...]})"))?;
    let Some(Value::Array(keys)) = set.get("keys") else {
        return Err(refused("no `keys` array (RFC 7517 §5)"));
    };
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(refused(format!("1–{MAX_KEYS} keys")));
    }
    let mut kids = std::collections::BTreeSet::new();
    for (i, key) in keys.iter().enumerate() {
        let Value::Object(key) = key else {
            return Err(refused(format!("key {}: not a JSON object", i + 1)));
        };
        check_key(key).map_err(|why| refused(format!("key {}: {why}", i + 1)))?;
        if let Some(kid) = key.get("kid").and_then(Value::as_str)
            && !kids.insert(kid)
        {
            return Err(refused(format!("key {}: `kid` {kid} is not unique", i + 1)));
        }
    }
    Ok(Value::Object(set).to_string())
}

/// One registered key: a public signing key of a type an accepted `alg` verifies with.
fn check_key(key: &Map<String, Value>) -> Result<(), String> {
    let text = |name: &str| key.get(name).and_then(Value::as_str);
    let kty = text("kty").ok_or("no `kty`")?;
    if kty == "oct" {
        return Err("a symmetric key (`kty` oct) is a shared secret, not a public key".into());
    }
    if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
        return Err(format!("`{m}` is private key material: register the public key only"));
    }
    if text("use").is_some_and(|u| u != "sig") {
        return Err("`use` must be sig".into());
    }
    if let Some(alg) = text("alg")
        && !fits(kty, text("crv"), alg)
    {
        return Err(format!("`alg` {alg} is not one of {} for this `kty`", super::client_assertion::ALGS.join(", ")));
    }
    if key.contains_key("kid") && text("kid").is_none_or(str::is_empty) {
        return Err("`kid` must be a non-empty string".into());
    }
    let jwk = Jwk::from_map(key.clone()).map_err(|_| "not a JWK")?;
    let usable = match kty {
        "RSA" => {
            if rsa_bits(text("n").unwrap_or_default()) < MIN_RSA_BITS {
                return Err(format!("an RSA key of {MIN_RSA_BITS} bits at least"));
            }
            RS256.verifier_from_jwk(&jwk).is_ok()
        }
        "EC" if text("crv") == Some("P-256") => ES256.verifier_from_jwk(&jwk).is_ok(),
        "EC" => return Err("an EC key must be on P-256 (ES256)".into()),
        "OKP" if matches!(text("crv"), Some("Ed25519" | "Ed448")) => EdDSA.verifier_from_jwk(&jwk).is_ok(),
        "OKP" => return Err("an OKP key must be Ed25519 or Ed448 (EdDSA)".into()),
        other => return Err(format!("`kty` {other} is not RSA, EC or OKP")),
    };
    if usable { Ok(()) } else { Err("the key's members are not a valid public key".into()) }
}

/// The modulus length of a base64url `n`, leading zero octets aside.
fn rsa_bits(n: &str) -> usize {
    let Some(bytes) = crate::crypto::b64_decode(n) else {
        return 0;
    };
    match bytes.iter().position(|&b| b != 0) {
        Some(i) => (bytes.len() - i) * 8 - bytes[i].leading_zeros() as usize,
        None => 0,
    }
}

/// Whether a key of `kty` (and `crv`) verifies `alg` (RFC 7518 §3.1, RFC 8037 §3.1).
fn fits(kty: &str, crv: Option<&str>, alg: &str) -> bool {
    match alg {
        "RS256" | "PS256" => kty == "RSA",
        "ES256" => kty == "EC" && crv == Some("P-256"),
        "EdDSA" => kty == "OKP",
        _ => false,
    }
}

/// The registered keys an assertion signed with `alg` may be verified with: by `kid`
/// when the assertion names one (only that key), otherwise every key whose `kty` fits
/// `alg`; a key with its own `alg` only for that one.
pub fn candidates(jwks: &str, alg: &str, kid: Option<&str>) -> Vec<Jwk> {
    let Ok(set) = serde_json::from_str::<Map<String, Value>>(jwks) else {
        return Vec::new();
    };
    let Some(Value::Array(keys)) = set.get("keys") else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(Value::as_object)
        .filter(|k| {
            let text = |name: &str| k.get(name).and_then(Value::as_str);
            let kty = text("kty").unwrap_or_default();
            fits(kty, text("crv"), alg)
                && text("alg").is_none_or(|a| a == alg)
                && kid.is_none_or(|want| text("kid") == Some(want))
                && !PRIVATE_MEMBERS.iter().any(|m| k.contains_key(*m))
        })
        .filter_map(|k| Jwk::from_map(k.clone()).ok())
        .collect()
}

#[cfg(test)]
#[path = "client_jwks_tests.rs"]
mod tests;
