//! GOST R 34.10-2012 end to end: the connector signs with a GOST key, the sandbox
//! signs tokens with GOST, both verified; vectors against `openssl` with the gost
//! engine. OpenSSL reads `OPENSSL_CONF` only at start, and setting it from inside
//! the process would need `unsafe`, so the outer test re-runs this test binary with
//! `OPENSSL_CONF=keys/openssl-gost.cnf`. Without the engine the test is skipped
//! locally and FAILS when `CI` is set.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod esia_common;

use esia_common::{Alg, PASSWORD, login, signer, stand};
use propusk::connector::jwt::{self, Expect};
use propusk::connector::signer::{SigAlg, certificate_hash, gost_digest, load_certificates, verify_with_cert};
use propusk::connector::{AccountLevel, Connector, StartRequest};
use std::process::Command;

const CHILD_ENV: &str = "PROPUSK_GOST_CHILD";

fn engine_installed() -> bool {
    let Ok(out) = Command::new("openssl").args(["version", "-e"]).output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let dir = text.split('"').nth(1).unwrap_or_default();
    std::path::Path::new(dir).join("gost.so").exists()
}

#[test]
fn gost_round_trip_runs_with_the_engine() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    if !engine_installed() {
        assert!(
            std::env::var_os("CI").is_none(),
            "GOST engine missing in CI: apt-get install -y libengine-gost-openssl"
        );
        eprintln!("SKIPPED: libengine-gost-openssl is not installed");
        return;
    }
    let conf = std::fs::canonicalize("keys/openssl-gost.cnf").expect("keys/openssl-gost.cnf");
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args(["--exact", "gost_inner", "--nocapture", "--test-threads=1"])
        .env("OPENSSL_CONF", conf)
        .env(CHILD_ENV, "1")
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "GOST child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "GOST child did not run:\n{stdout}");
    assert!(stdout.contains("GOST-OK"), "GOST child ran nothing:\n{stdout}");
}

fn scopes(list: &str) -> StartRequest {
    StartRequest { scopes: list.split(' ').map(str::to_string).collect(), redirect_uri: String::new() }
}

#[tokio::test]
async fn gost_inner() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    assert!(gost_digest().is_some(), "OPENSSL_CONF did not load the gost engine");
    let dir = tempfile::tempdir().expect("tmp");

    // Vector 1: the connector's GOST signature verifies with the CLI (raw 64 bytes).
    let s = signer("keys/test-rp-gost.key", "keys/test-rp-gost.crt");
    assert_eq!(s.algorithm(), SigAlg::Gost2012_256);
    let msg = "PROPUSKopenid fullname2025.09.02 13:00:29 +00000b6f2f1e-8d3c-4c59-b6a2-52f0a8e9c3d4https://p.example/cb";
    let sig = s.sign(msg.as_bytes()).expect("gost sign");
    assert_eq!(sig.len(), 64);
    let (m, g, p) = (dir.path().join("m"), dir.path().join("s"), dir.path().join("pub"));
    std::fs::write(&m, msg).expect("w");
    std::fs::write(&g, &sig).expect("w");
    let pubkey = Command::new("openssl")
        .args(["x509", "-in", "keys/test-rp-gost.crt", "-pubkey", "-noout"])
        .output()
        .expect("cli");
    std::fs::write(&p, &pubkey.stdout).expect("w");
    let out = Command::new("openssl")
        .args(["dgst", "-md_gost12_256", "-verify"])
        .arg(&p)
        .arg("-signature")
        .arg(&g)
        .arg(&m)
        .output()
        .expect("cli");
    assert!(out.status.success(), "CLI rejected our GOST signature: {}", String::from_utf8_lossy(&out.stderr));

    // Vector 2: a CLI GOST signature verifies in process; byte-reversed (CryptoPro order) does not.
    let out = Command::new("openssl")
        .args(["dgst", "-md_gost12_256", "-sign", "keys/test-esia-sandbox-gost.key"])
        .arg(&m)
        .output()
        .expect("cli");
    assert!(out.status.success());
    let cert = &load_certificates("keys/test-esia-sandbox-gost.crt".as_ref()).expect("cert")[0];
    assert!(verify_with_cert(cert, SigAlg::Gost2012_256, msg.as_bytes(), &out.stdout).expect("verify"));
    let mut reversed = out.stdout.clone();
    reversed.reverse();
    assert!(!verify_with_cert(cert, SigAlg::Gost2012_256, msg.as_bytes(), &reversed).expect("verify"));

    // Vector 3: client_certificate_hash equals `openssl dgst -md_gost12_256` of the DER.
    let der = dir.path().join("c.der");
    let ok = Command::new("openssl")
        .args(["x509", "-in", "keys/test-rp-gost.crt", "-outform", "DER", "-out"])
        .arg(&der)
        .status()
        .expect("cli");
    assert!(ok.success());
    let out = Command::new("openssl").args(["dgst", "-md_gost12_256", "-r"]).arg(&der).output().expect("cli");
    let cli_hash = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_uppercase();
    assert_eq!(certificate_hash(s.certificate_der()), cli_hash);

    // Round trips: GOST request signatures, GOST token signatures, each persona type.
    let stand = stand(Alg::Gost).await;
    let c = stand.connector(Alg::Gost);
    for (who, level) in [
        ("ivanova@example.ru", AccountLevel::Confirmed),
        ("orlova@example.ru", AccountLevel::Standard),
        ("anna.child@example.ru", AccountLevel::Child),
    ] {
        let (url, pending) =
            c.start(scopes("openid fullname birthdate snils kid_fullname kid_birthdate")).await.expect("start");
        let secret =
            url.query_pairs().find(|(k, _)| k == "client_secret").map(|(_, v)| v.into_owned()).expect("secret");
        assert_eq!(secret.len(), 86, "64 raw bytes, unpadded base64url");
        let cb = login(&stand, &url, who, PASSWORD, true).await;
        let id = c.finish(&pending, cb).await.expect("GOST finish");
        assert_eq!(id.account_level, level, "{who}");
    }
    // A GOST token checked against the RSA certificate only is refused.
    let token_cert = load_certificates("keys/test-esia-sandbox-rsa.crt".as_ref()).expect("cert");
    let gost_token = jwt::sign(
        &*signer("keys/test-esia-sandbox-gost.key", "keys/test-esia-sandbox-gost.crt"),
        1,
        "access",
        &serde_json::json!({"iss": "i", "client_id": "PROPUSK", "exp": i64::MAX / 2}),
    )
    .expect("sign");
    let expect = Expect { sbt: "access", issuer: "i", client_id: "PROPUSK", now: 0, leeway: 0 };
    assert!(jwt::verify(&gost_token, &token_cert, &expect).is_err());
    let gost_cert = load_certificates("keys/test-esia-sandbox-gost.crt".as_ref()).expect("cert");
    assert!(jwt::verify(&gost_token, &gost_cert, &expect).is_ok());
    println!("GOST-OK");
}
