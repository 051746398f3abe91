//! ESIA's JWS tokens (codes, access and ID tokens): a small custom parser and
//! verifier, because ESIA uses the non-JOSE alg `GOST3410_2012_256`, an `sbt`
//! header, numeric subjects and a string `amr`. Also signs such tokens (sandbox).

use super::signer::{SigAlg, SignError, Signer, verify_with_cert};
use crate::crypto::{b64, b64_decode};
use openssl::x509::X509;
use serde_json::{Map, Value};

pub type Claims = Map<String, Value>;

/// What the relying party expects of a token (BR-02). There is no way to skip the
/// signature check.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    /// `access` or `id` (header `sbt`).
    pub sbt: &'a str,
    pub issuer: &'a str,
    /// Our mnemonic: `client_id` of an access token, `aud` of an ID token.
    pub client_id: &'a str,
    pub now: i64,
    pub leeway: i64,
}

struct Parts {
    header: Claims,
    claims: Claims,
    signing_input: String,
    signature: Vec<u8>,
}

fn split(token: &str) -> Result<Parts, String> {
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err("not a compact JWS".into());
    };
    let decode = |part: &str, what: &str| -> Result<Claims, String> {
        let bytes = b64_decode(part).ok_or_else(|| format!("{what}: bad base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| format!("{what}: not a JSON object"))
    };
    Ok(Parts {
        header: decode(h, "header")?,
        claims: decode(p, "payload")?,
        signing_input: format!("{h}.{p}"),
        signature: b64_decode(s).ok_or("signature: bad base64url")?,
    })
}

/// Why [`verify`] refuses a token whose signature fits none of the certificates.
pub const BAD_SIGNATURE: &str = "bad signature";

/// Whether a [`verify`] error means: no trusted certificate checks this signature
/// (an unknown signing certificate, or an altered token).
pub fn is_untrusted(err: &str) -> bool {
    err == BAD_SIGNATURE || err.starts_with("no configured ESIA certificate")
}

/// Reads the header without checking anything (logs of untrusted tokens).
pub fn header_unverified(token: &str) -> Result<Claims, String> {
    split(token).map(|p| p.header)
}

/// Reads the claims without checking anything (for the sandbox's own code lookup and tests).
pub fn claims_unverified(token: &str) -> Result<Claims, String> {
    split(token).map(|p| p.claims)
}

/// A numeric claim; tolerates floats and numeric strings.
pub fn num(claims: &Claims, name: &str) -> Option<i64> {
    match claims.get(name)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A string claim; numbers (ESIA's oids) are rendered as digits.
pub fn text(claims: &Claims, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Verifies signature (against any of `certs`), `sbt`, `iss`, `exp`, `nbf` and the client.
pub fn verify(token: &str, certs: &[X509], expect: &Expect<'_>) -> Result<Claims, String> {
    let parts = split(token)?;
    let alg_name = parts.header.get("alg").and_then(Value::as_str).unwrap_or("none");
    let alg = SigAlg::from_jwt_name(alg_name).ok_or_else(|| format!("alg `{alg_name}` not accepted"))?;
    let sbt = parts.header.get("sbt").and_then(Value::as_str).unwrap_or_default();
    if sbt != expect.sbt {
        return Err(format!("sbt `{sbt}`, expected `{}`", expect.sbt));
    }
    let mut fitting = 0;
    let mut valid = false;
    for cert in certs {
        match verify_with_cert(cert, alg, parts.signing_input.as_bytes(), &parts.signature) {
            Ok(ok) => {
                fitting += 1;
                if ok {
                    valid = true;
                    break;
                }
            }
            Err(_) => continue,
        }
    }
    if fitting == 0 {
        return Err(format!("no configured ESIA certificate can check {alg_name}"));
    }
    if !valid {
        return Err(BAD_SIGNATURE.into());
    }
    let c = parts.claims;
    if c.get("iss").and_then(Value::as_str) != Some(expect.issuer) {
        return Err("unexpected iss".into());
    }
    // Saturating: a signed `exp`/`nbf` near the ends of i64 must not overflow.
    let exp = num(&c, "exp").ok_or("no exp")?;
    if exp.saturating_add(expect.leeway) <= expect.now {
        return Err("expired".into());
    }
    if let Some(nbf) = num(&c, "nbf")
        && nbf.saturating_sub(expect.leeway) > expect.now
    {
        return Err("not yet valid".into());
    }
    let client_ok = match expect.sbt {
        "id" => match c.get("aud") {
            Some(Value::String(a)) => a == expect.client_id,
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(expect.client_id)),
            _ => false,
        },
        _ => c.get("client_id").and_then(Value::as_str) == Some(expect.client_id),
    };
    if !client_ok {
        return Err("token issued to another client".into());
    }
    Ok(c)
}

/// Builds and signs an ESIA-shaped token (`{"ver","typ":"JWT","sbt","alg"}` header).
pub fn sign(signer: &dyn Signer, ver: u8, sbt: &str, claims: &Value) -> Result<String, SignError> {
    let header = serde_json::json!({"ver": ver, "typ": "JWT", "sbt": sbt, "alg": signer.algorithm().jwt_name()});
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let sig = signer.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", b64(&sig)))
}
