//! `private_key_jwt` (pure): a client assertion (RFC 7523 §2.2, §3; OIDC Core §9)
//! checked against the client's registered keys — an asymmetric `alg` only, the key
//! by `kid` or every key that fits, `iss` = `sub` = the client, `aud` naming this
//! server, `exp` required and near, `nbf` and `iat` honoured, a `jti`. That a `jti`
//! is used once is the store's business (`store::seen`), keyed by
//! [`Assertion::replay_key`].

use crate::clock::UnixTime;
use crate::crypto::{b64_decode, token_hash};
use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, JwsVerifier, PS256, RS256};
use serde_json::{Map, Value};

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT assertion.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The algorithms an assertion may be signed with
/// (`token_endpoint_auth_signing_alg_values_supported`): asymmetric only, never
/// `none` nor an HMAC (whose key would be the public key anyone has).
pub const ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];
/// The longest an assertion may live: `exp` at most this far past now and past `iat`.
pub const MAX_LIFETIME_SECS: i64 = 300;
/// The clock skew allowed for `nbf` and `iat` in the future (RFC 7519 §4.1.4–4.1.6).
pub const SKEW_SECS: i64 = 30;
/// Longer assertions are refused before any decoding.
const MAX_ASSERTION_LEN: usize = 8 * 1024;
const MAX_JTI_LEN: usize = 256;

/// What the assertion must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The registered client the assertion is for (`iss` and `sub`).
    pub client_id: &'a str,
    /// The values of `aud` that name this server: the issuer, the token endpoint's
    /// URL, and the URL of the endpoint called (RFC 9126 §2 for `/par`).
    pub audiences: &'a [String],
    pub now: UnixTime,
}

/// An assertion that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub jti: String,
    pub exp: UnixTime,
}

impl Assertion {
    /// The assertion's row in the replay cache: the client and `jti`, hashed (one
    /// client's `jti` never stands for another's).
    pub fn replay_key(&self, client_id: &str) -> String {
        token_hash(&format!("client-assertion/{client_id}/{}", self.jti))
    }

    /// Until when the row is kept: past it, [`check`] refuses the assertion as expired.
    pub fn replay_until(&self) -> UnixTime {
        self.exp.saturating_add(1)
    }
}

fn json_part(part: &str) -> Result<Map<String, Value>, &'static str> {
    let bytes = b64_decode(part).ok_or("not base64url")?;
    serde_json::from_slice(&bytes).map_err(|_| "not a JSON object")
}

fn parts(assertion: &str) -> Result<(&str, &str, &str), &'static str> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err("too long");
    }
    let mut parts = assertion.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err("not a compact JWS"),
    }
}

/// The client an assertion claims to be from (its `sub`, unverified): to find the
/// keys when the request names no `client_id`. [`check`] decides.
pub fn claimed_client(assertion: &str) -> Option<String> {
    let (_, p, _) = parts(assertion).ok()?;
    json_part(p).ok()?.get("sub")?.as_str().map(str::to_owned)
}

/// Checks an assertion against the client's JWK Set (`jwks`, as stored) and
/// `expected`; its `jti` and `exp` when it holds. Why it failed is for the log only.
pub fn check(assertion: &str, jwks: &str, expected: &Expected<'_>) -> Result<Assertion, &'static str> {
    let (h, p, s) = parts(assertion)?;
    let header = json_part(h)?;
    let text = |m: &Map<String, Value>, name: &str| m.get(name).and_then(Value::as_str).map(str::to_owned);
    if header.contains_key("crit") {
        return Err("crit is not supported");
    }
    let alg = text(&header, "alg").ok_or("no alg")?;
    if !ALGS.contains(&alg.as_str()) {
        return Err("alg is not an accepted asymmetric algorithm");
    }
    let keys = super::client_jwks::candidates(jwks, &alg, text(&header, "kid").as_deref());
    if keys.is_empty() {
        return Err("no registered key fits alg and kid");
    }
    let signature = b64_decode(s).ok_or("not base64url")?;
    let signed = &assertion.as_bytes()[..h.len() + 1 + p.len()];
    if !keys.iter().any(|k| verifies(&alg, k, signed, &signature)) {
        return Err("bad signature");
    }
    let claims = json_part(p)?;
    claims_hold(&claims, expected)
}

fn verifies(alg: &str, key: &Jwk, signed: &[u8], signature: &[u8]) -> bool {
    // Each verifier also wants the key's type and curve to fit `alg` (and RSA ≥ 2048 bits).
    let verifier: Result<Box<dyn JwsVerifier>, josekit::JoseError> = match alg {
        "RS256" => RS256.verifier_from_jwk(key).map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "PS256" => PS256.verifier_from_jwk(key).map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "ES256" => ES256.verifier_from_jwk(key).map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "EdDSA" => EdDSA.verifier_from_jwk(key).map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        _ => return false,
    };
    verifier.is_ok_and(|v| v.verify(signed, signature).is_ok())
}

/// The claims of RFC 7523 §3 and OIDC Core §9, the signature being good.
fn claims_hold(claims: &Map<String, Value>, expected: &Expected<'_>) -> Result<Assertion, &'static str> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    // §3 items 1 and 2: iss and sub are the client id.
    if text("iss") != Some(expected.client_id) {
        return Err("iss is not the client");
    }
    if text("sub") != Some(expected.client_id) {
        return Err("sub is not the client");
    }
    // §3 item 3: aud identifies this server, a string or an array of them.
    let ours = |a: &str| expected.audiences.iter().any(|o| o == a);
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => ours(a),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(ours),
        _ => false,
    };
    if !aud_ok {
        return Err("aud does not name this server");
    }
    // §3 item 4: exp required and in the future; bounded, so a jti is kept briefly.
    let now = expected.now;
    let exp = time("exp").ok_or("no exp")?;
    if exp <= now {
        return Err("expired");
    }
    if exp - now > MAX_LIFETIME_SECS {
        return Err("exp is too far ahead");
    }
    // §3 items 5 and 6.
    if time("nbf").is_some_and(|nbf| nbf > now + SKEW_SECS) {
        return Err("not valid yet (nbf)");
    }
    if claims.contains_key("nbf") && time("nbf").is_none() {
        return Err("nbf is not a number");
    }
    match (claims.get("iat"), time("iat")) {
        (None, _) => {}
        (Some(_), None) => return Err("iat is not a number"),
        (Some(_), Some(iat)) if iat > now + SKEW_SECS => return Err("issued in the future"),
        (Some(_), Some(iat)) if exp - iat > MAX_LIFETIME_SECS => return Err("lifetime too long"),
        _ => {}
    }
    // §3 item 7, OIDC Core §9: a jti, used once (the caller records it).
    let jti = text("jti").filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN).ok_or("no jti")?;
    Ok(Assertion { jti: jti.to_owned(), exp })
}

#[cfg(test)]
#[path = "client_assertion_tests.rs"]
mod tests;
