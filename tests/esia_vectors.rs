//! Known vectors against the `openssl` command line: the connector's RSA signature
//! verifies with `openssl dgst`, a CLI-signed ESIA token verifies in the connector,
//! the command signer matches the in-process one, and its timeout holds.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod esia_common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use esia_common::{Alg, PASSWORD, login, signer, stand};
use propusk::clock::SystemClock;
use propusk::connector::esia::EsiaConnector;
use propusk::connector::esia::protocol::{signed_string_v2, timestamp};
use propusk::connector::jwt::{self, Expect};
use propusk::connector::signer::{CommandSigner, SigAlg, SignError, Signer, load_certificates};
use propusk::connector::{Connector, StartRequest};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl").args(args).output().expect("openssl CLI")
}

#[test]
fn connector_rsa_signature_verifies_with_openssl_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = signer("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt");
    let msg = signed_string_v2(
        "PROPUSK",
        "openid fullname",
        &timestamp(1_756_818_029),
        "0b6f2f1e-8d3c-4c59-b6a2-52f0a8e9c3d4",
        "https://propusk.example/login/esia/callback",
        "",
    );
    let sig = s.sign(msg.as_bytes()).expect("sign");
    let (m, g, p) = (dir.path().join("m.txt"), dir.path().join("sig.bin"), dir.path().join("rp.pub"));
    std::fs::write(&m, &msg).expect("write");
    std::fs::write(&g, &sig).expect("write");
    let out = openssl(&["x509", "-in", "keys/test-rp-rsa.crt", "-pubkey", "-noout"]);
    std::fs::write(&p, &out.stdout).expect("write");
    let out = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        p.to_str().expect("p"),
        "-signature",
        g.to_str().expect("g"),
        m.to_str().expect("m"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn br_02_cli_signed_token_verifies_in_connector_and_tampering_fails() {
    let dir = tempfile::tempdir().expect("tmp");
    let now = 1_756_818_029;
    let header = r#"{"ver":1,"typ":"JWT","sbt":"access","alg":"RS256"}"#;
    let payload = format!(
        r#"{{"iss":"http:\/\/esia-portal1.test.gosuslugi.ru\/","client_id":"PROPUSK","urn:esia:sbj_id":1000000001,"scope":"fullname?oid=1000000001 openid","iat":{now},"nbf":{now},"exp":{}}}"#,
        now + 3600
    );
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(&payload));
    let m = dir.path().join("in.txt");
    std::fs::write(&m, &input).expect("write");
    let out = openssl(&["dgst", "-sha256", "-sign", "keys/test-esia-sandbox-rsa.key", m.to_str().expect("m")]);
    assert!(out.status.success());
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&out.stdout));
    let certs = load_certificates("keys/test-esia-sandbox-rsa.crt".as_ref()).expect("cert");
    let expect = Expect {
        sbt: "access",
        issuer: "http://esia-portal1.test.gosuslugi.ru/",
        client_id: "PROPUSK",
        now,
        leeway: 60,
    };
    let claims = jwt::verify(&token, &certs, &expect).expect("valid");
    assert_eq!(jwt::text(&claims, "urn:esia:sbj_id").as_deref(), Some("1000000001"));
    // A different client, a later time and a foreign certificate all fail.
    assert!(jwt::verify(&token, &certs, &Expect { client_id: "OTHER", ..expect.clone() }).is_err());
    assert!(jwt::verify(&token, &certs, &Expect { now: now + 7200, ..expect.clone() }).is_err());
    assert!(jwt::verify(&token, &certs, &Expect { sbt: "id", ..expect.clone() }).is_err());
    let other = load_certificates("keys/test-other-rsa.crt".as_ref()).expect("cert");
    assert!(jwt::verify(&token, &other, &expect).is_err());
    // Rotation: several certificates, one of them right.
    let both: Vec<_> = other.into_iter().chain(certs.clone()).collect();
    assert!(jwt::verify(&token, &both, &expect).is_ok());
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"ver":1,"typ":"JWT","sbt":"access","alg":"none"}"#);
    let none = format!("{none_header}.{}.", URL_SAFE_NO_PAD.encode(&payload));
    assert!(jwt::verify(&none, &certs, &expect).is_err());
}

fn rsa_command_signer(cmd: &[&str], timeout_ms: u64) -> CommandSigner {
    let der = signer("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt").certificate_der().to_vec();
    CommandSigner::new(
        cmd.iter().map(|s| s.to_string()).collect(),
        Duration::from_millis(timeout_ms),
        false,
        false,
        der,
        SigAlg::Rs256,
    )
    .expect("command signer")
}

#[test]
fn command_signer_matches_in_process_signer() {
    let cmd = rsa_command_signer(&["openssl", "dgst", "-sha256", "-sign", "keys/test-rp-rsa.key"], 5000);
    let inproc = signer("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt");
    let msg = b"PROPUSKopenid fullname2025.09.02 13:00:29 +0000";
    assert_eq!(cmd.sign(msg).expect("cmd"), inproc.sign(msg).expect("inproc"));
}

#[test]
fn command_signer_timeout_and_failure_are_clear_errors() {
    let slow = rsa_command_signer(&["sleep", "5"], 300);
    let t = Instant::now();
    assert_eq!(slow.sign(b"x"), Err(SignError::Timeout(300)));
    assert!(t.elapsed() < Duration::from_secs(2));
    let failing = rsa_command_signer(&["openssl", "dgst", "-sha256", "-sign", "keys/missing.key"], 5000);
    assert!(matches!(failing.sign(b"x"), Err(SignError::Failed(m)) if m.contains("exited")));
    let absent = rsa_command_signer(&["/nonexistent/cryptcp"], 5000);
    assert!(matches!(absent.sign(b"x"), Err(SignError::Failed(m)) if m.contains("cannot start")));
}

#[tokio::test]
async fn round_trip_with_the_command_signer() {
    let stand = stand(Alg::Rsa).await;
    let cmd = rsa_command_signer(&["openssl", "dgst", "-sha256", "-sign", "keys/test-rp-rsa.key"], 5000);
    let c = EsiaConnector::with_signer(stand.cfg.clone(), Arc::new(cmd), Arc::new(SystemClock)).expect("connector");
    let req = StartRequest { scopes: vec!["openid".into(), "fullname".into()], redirect_uri: String::new() };
    let (url, pending) = c.start(req).await.expect("start");
    let cb = login(&stand, &url, "smirnova@example.ru", PASSWORD, true).await;
    let id = c.finish(&pending, cb).await.expect("finish");
    assert_eq!(id.surname.as_deref(), Some("Смирнова"));
}
