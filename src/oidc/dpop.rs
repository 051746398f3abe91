//! DPoP (RFC 9449), the pure part: a `DPoP` header's proof checked against the
//! request it came with ([`check`]: `typ`, an asymmetric `alg`, a public `jwk`, the
//! signature, `jti`, `htm`, `htu`, `iat`, `nonce`, `ath`), the JWK thumbprint of its
//! key (RFC 7638, `cnf.jkt`) and the server's stateless nonces (§8): an HMAC of the
//! time window, good in its window and the next. Replays are the store's business
//! (`store::seen`), keyed by [`Proof::replay_key`].

use crate::clock::UnixTime;
use crate::crypto::{b64, b64_decode, ct_eq, hmac_sha256, sha256, token_hash};
use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, JwsVerifier, PS256, RS256};
use serde_json::{Map, Value};

/// The algorithms a proof may be signed with (`dpop_signing_alg_values_supported`).
pub const ALGS: [&str; 4] = ["ES256", "PS256", "RS256", "EdDSA"];
/// How far a proof's `iat` may be from now, seconds, either way.
pub const IAT_WINDOW_SECS: i64 = 60;
/// The length of a nonce's time window, seconds; a nonce is good in its window and the next.
pub const NONCE_WINDOW_SECS: i64 = 300;
/// Longer headers are refused before any decoding.
const MAX_PROOF_LEN: usize = 8 * 1024;
const MAX_JTI_LEN: usize = 256;
/// Members of a private or symmetric JWK (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The request a proof must be about.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The HTTP method (`htm`).
    pub method: &'a str,
    /// The endpoint's URL under the issuer's public URL (`htu`), never from the Host header.
    pub url: &'a str,
    pub now: UnixTime,
    /// The nonces accepted now ([`nonces`]), when the server requires one.
    pub nonces: Option<&'a [String]>,
    /// The access token the proof came with (resource endpoints): `ath` must be its hash.
    pub access_token: Option<&'a str>,
}

/// A proof that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 thumbprint of its key (`cnf.jkt`).
    pub jkt: String,
    pub jti: String,
    pub iat: UnixTime,
}

impl Proof {
    /// The proof's row in the replay cache: its key and `jti`, hashed.
    pub fn replay_key(&self) -> String {
        token_hash(&format!("{}.{}", self.jkt, self.jti))
    }

    /// Until when the row is kept: past it, [`check`] refuses the proof's `iat` anyway.
    pub fn replay_until(&self) -> UnixTime {
        self.iat.saturating_add(IAT_WINDOW_SECS + 1)
    }
}

/// Why a proof was refused: `invalid_dpop_proof`, or `use_dpop_nonce` (§8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("invalid DPoP proof: {0}")]
    Invalid(&'static str),
    #[error("a DPoP nonce is required")]
    UseNonce,
}

fn invalid(why: &'static str) -> ProofError {
    ProofError::Invalid(why)
}

fn json_part(part: &str) -> Result<Map<String, Value>, ProofError> {
    let bytes = b64_decode(part).ok_or(invalid("not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid("not a JSON object"))
}

/// Checks a `DPoP` header value against `expected`; the proof's thumbprint, `jti`
/// and `iat` when it holds. The replay check is the caller's (one store insert).
pub fn check(header_value: &str, expected: &Expected<'_>) -> Result<Proof, ProofError> {
    if header_value.len() > MAX_PROOF_LEN {
        return Err(invalid("too long"));
    }
    let mut parts = header_value.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("not a compact JWS"));
    };
    let header = json_part(h)?;
    let text = |m: &Map<String, Value>, name: &str| m.get(name).and_then(Value::as_str).map(str::to_owned);
    if !text(&header, "typ").is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")) {
        return Err(invalid("typ must be dpop+jwt"));
    }
    if header.contains_key("crit") {
        return Err(invalid("crit is not supported"));
    }
    let alg = text(&header, "alg").ok_or(invalid("no alg"))?;
    if !ALGS.contains(&alg.as_str()) {
        return Err(invalid("alg is not an accepted asymmetric algorithm"));
    }
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(invalid("no jwk"));
    };
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(invalid("the jwk has private members"));
    }
    verify_signature(&alg, jwk, &header_value[..h.len() + 1 + p.len()], s)?;
    let jkt = thumbprint(jwk).ok_or(invalid("the jwk lacks a required member"))?;
    let claims = json_part(p)?;
    let jti = text(&claims, "jti").filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN).ok_or(invalid("no jti"))?;
    if text(&claims, "htm").as_deref() != Some(expected.method) {
        return Err(invalid("htm is not this request's method"));
    }
    let htu = text(&claims, "htu").ok_or(invalid("no htu"))?;
    let same_endpoint = matches!((normalised(&htu), normalised(expected.url)), (Some(a), Some(b)) if a == b);
    if !same_endpoint {
        return Err(invalid("htu is not this endpoint"));
    }
    let iat = claims.get("iat").and_then(Value::as_i64).ok_or(invalid("no iat"))?;
    if (iat - expected.now).abs() > IAT_WINDOW_SECS {
        return Err(invalid("iat is too far from now"));
    }
    if let Some(accepted) = expected.nonces {
        let nonce = text(&claims, "nonce").ok_or(ProofError::UseNonce)?;
        if !accepted.iter().any(|n| ct_eq(n.as_bytes(), nonce.as_bytes())) {
            return Err(ProofError::UseNonce);
        }
    }
    if let Some(token) = expected.access_token {
        let ath = text(&claims, "ath").ok_or(invalid("no ath"))?;
        if !ct_eq(ath.as_bytes(), access_token_hash(token).as_bytes()) {
            return Err(invalid("ath is not the access token's hash"));
        }
    }
    Ok(Proof { jkt, jti, iat })
}

/// The signature over `signed` by the header's own key, with the one verifier of `alg`
/// (which also wants the key's type and curve to fit it, and an RSA key of 2048 bits
/// at least).
fn verify_signature(alg: &str, jwk: &Map<String, Value>, signed: &str, sig: &str) -> Result<(), ProofError> {
    let key = Jwk::from_map(jwk.clone()).map_err(|_| invalid("malformed jwk"))?;
    let bad_key = |_| invalid("the jwk does not fit alg");
    let verifier: Box<dyn JwsVerifier> = match alg {
        "ES256" => Box::new(ES256.verifier_from_jwk(&key).map_err(bad_key)?),
        "RS256" => Box::new(RS256.verifier_from_jwk(&key).map_err(bad_key)?),
        "PS256" => Box::new(PS256.verifier_from_jwk(&key).map_err(bad_key)?),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(&key).map_err(bad_key)?),
        _ => return Err(invalid("alg is not an accepted asymmetric algorithm")),
    };
    let signature = b64_decode(sig).ok_or(invalid("not base64url"))?;
    verifier.verify(signed.as_bytes(), &signature).map_err(|_| invalid("bad signature"))
}

/// RFC 7638: the SHA-256 of the key's required members in lexicographic order, no
/// whitespace, base64url. `None` for an unknown `kty` or a missing member.
pub fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let kty = jwk.get("kty")?.as_str()?;
    let members: &[&str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut out = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = jwk.get(*name)?.as_str()?;
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{name}\":{}", Value::String(value.to_owned())));
    }
    out.push('}');
    Some(b64(&sha256(out.as_bytes())))
}

/// `ath`: base64url SHA-256 of the access token (RFC 9449 §4.2).
pub fn access_token_hash(token: &str) -> String {
    b64(&sha256(token.as_bytes()))
}

/// RFC 9449 §4.3: the URL without query and fragment, normalised as RFC 3986 §6.2.2
/// and §6.2.3 say (case of scheme and host, default port, dot segments, empty path).
fn normalised(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_query(None);
    u.set_fragment(None);
    Some(u.to_string())
}

fn nonce_of(key: &[u8; 32], window: i64) -> String {
    b64(&hmac_sha256(key, format!("dpop-nonce/{window}").as_bytes())[..16])
}

/// The nonce to hand out now (`DPoP-Nonce`).
pub fn nonce(key: &[u8; 32], now: UnixTime) -> String {
    nonce_of(key, now.div_euclid(NONCE_WINDOW_SECS))
}

/// The nonces accepted now: this window's and the previous one's.
pub fn nonces(key: &[u8; 32], now: UnixTime) -> [String; 2] {
    let window = now.div_euclid(NONCE_WINDOW_SECS);
    [nonce_of(key, window), nonce_of(key, window - 1)]
}

#[cfg(test)]
#[path = "dpop_tests.rs"]
mod tests;
