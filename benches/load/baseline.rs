//! The in-process baselines, measured in the same run on the generator core:
//! RSA-2048 (RS256) and P-256 (ES256) signing through josekit, as the server signs,
//! over a JWS signing input shaped like a client_credentials access token; and
//! argon2id verifications with the server's parameters (the S6 floor).

use anyhow::{Context as _, Result, bail};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use josekit::jwk::KeyPair as _;
use josekit::jws::{ES256, JwsSigner, RS256};
use std::time::{Duration, Instant};

/// Operations per second on one thread.
pub struct Baseline {
    pub rsa2048: f64,
    pub es256: f64,
    /// argon2id verifications of a correct password with the server's parameters
    /// (`src/account/password.rs`: argon2id v0x13, `Params::DEFAULT`, m = 19456 KiB,
    /// t = 2, p = 1): the most password logins one core can check.
    pub argon2id: f64,
}

/// The server's argon2id (`password::current`): OWASP parameters, `Params::DEFAULT`.
fn server_argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// Verifications per second of `password` against its argon2id hash, as a login checks it.
fn argon2id_rate(password: &str, duration: Duration) -> Result<f64> {
    let argon = server_argon2();
    let phc = argon
        .hash_password_with_salt(password.as_bytes(), b"propusk-bench-sa")
        .map_err(|e| anyhow::anyhow!("argon2id hash: {e}"))?
        .to_string();
    let parsed = PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("argon2id parse: {e}"))?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration && n < 1_000_000 {
        argon.verify_password(password.as_bytes(), &parsed).map_err(|e| anyhow::anyhow!("argon2id verify: {e}"))?;
        n += 1;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn signing_input(alg: &str) -> String {
    let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let header = serde_json::json!({"alg": alg, "typ": "at+jwt", "kid": "bench-key"});
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1:8080", "sub": "bench-rs", "aud": "http://127.0.0.1:8080", "client_id": "bench-rs",
        "iat": 1_790_000_000, "exp": 1_790_000_600, "jti": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "scope": ""
    });
    format!("{}.{}", b64(&header), b64(&claims))
}

fn rate(signer: &dyn JwsSigner, sig_len: usize, duration: Duration) -> Result<f64> {
    let input = signing_input(signer.algorithm().name());
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration && n < 10_000_000 {
        let sig = signer.sign(input.as_bytes()).context("sign")?;
        if sig.len() != sig_len {
            bail!("unexpected {} signature length {}", signer.algorithm().name(), sig.len());
        }
        n += 1;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// About `rsa_for` of RSA-2048 signing, a second of ES256 signing, then `rsa_for`
/// of argon2id verifications of the demo password.
pub fn measure(rsa_for: Duration) -> Result<Baseline> {
    let rsa = RS256.generate_key_pair(2048).context("generate an RSA key")?;
    let rsa = RS256.signer_from_der(rsa.to_der_private_key()).context("RSA signer")?;
    let ec = ES256.generate_key_pair().context("generate a P-256 key")?;
    let ec = ES256.signer_from_der(ec.to_der_private_key()).context("ES256 signer")?;
    Ok(Baseline {
        rsa2048: rate(&rsa, 256, rsa_for)?,
        es256: rate(&ec, 64, Duration::from_secs(1))?,
        argon2id: argon2id_rate(super::seed::PASSWORD, rsa_for)?,
    })
}
