//! The in-process signing baselines, measured in the same run on the generator
//! core: RSA-2048 (RS256) and P-256 (ES256) through josekit, as the server signs,
//! over a JWS signing input shaped like a client_credentials access token.

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use josekit::jwk::KeyPair as _;
use josekit::jws::{ES256, JwsSigner, RS256};
use std::time::{Duration, Instant};

/// Signatures per second on one thread.
pub struct Baseline {
    pub rsa2048: f64,
    pub es256: f64,
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

/// About `rsa_for` of RSA-2048 signing, then a second of ES256 signing.
pub fn measure(rsa_for: Duration) -> Result<Baseline> {
    let rsa = RS256.generate_key_pair(2048).context("generate an RSA key")?;
    let rsa = RS256.signer_from_der(rsa.to_der_private_key()).context("RSA signer")?;
    let ec = ES256.generate_key_pair().context("generate a P-256 key")?;
    let ec = ES256.signer_from_der(ec.to_der_private_key()).context("ES256 signer")?;
    Ok(Baseline { rsa2048: rate(&rsa, 256, rsa_for)?, es256: rate(&ec, 64, Duration::from_secs(1))? })
}
