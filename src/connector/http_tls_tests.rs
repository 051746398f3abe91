//! `esia.ca_bundle` against a real TLS server on loopback whose certificate is issued
//! by a CA of the test's own (as ESIA's is by the Russian Trusted Root CA).

use super::*;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};
use std::io::{Read, Write};

fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn name(cn: &str) -> openssl::x509::X509Name {
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", cn).unwrap();
    n.build()
}

/// A self-signed CA, or a server certificate for `localhost`/127.0.0.1 issued by `ca`.
fn certificate(cn: &str, key: &PKey<Private>, ca: Option<(&X509, &PKey<Private>)>) -> X509 {
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(rand_serial()).unwrap().to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name(cn)).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap()).unwrap();
    match ca {
        None => {
            b.set_issuer_name(&name(cn)).unwrap();
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap()).unwrap();
            b.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build().unwrap()).unwrap();
            b.sign(key, MessageDigest::sha256()).unwrap();
        }
        Some((ca_cert, ca_key)) => {
            b.set_issuer_name(ca_cert.subject_name()).unwrap();
            let san = SubjectAlternativeName::new()
                .dns("localhost")
                .ip("127.0.0.1")
                .build(&b.x509v3_context(Some(ca_cert), None))
                .unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap()).unwrap();
            b.sign(ca_key, MessageDigest::sha256()).unwrap();
        }
    }
    b.build()
}

fn rand_serial() -> u32 {
    let b = crate::crypto::random_bytes();
    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) >> 1
}

/// Serves `connections` TLS connections on loopback, each answered `200 {}`; returns the port.
fn tls_server(cert: X509, key: PKey<Private>, ca: X509, connections: usize) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    acceptor.set_private_key(&key).unwrap();
    acceptor.set_certificate(&cert).unwrap();
    acceptor.add_extra_chain_cert(ca).unwrap();
    let acceptor = acceptor.build();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let Ok(mut tls) = acceptor.accept(stream) else { continue };
            let mut buf = [0u8; 4096];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let answer =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            let _ = tls.write_all(answer.as_bytes());
            let _ = tls.shutdown();
        }
    });
    port
}

fn config(bundle: Option<&std::path::Path>, only: bool) -> EsiaConfig {
    EsiaConfig { ca_bundle: bundle.map(|p| p.to_path_buf()), ca_bundle_only: only, ..EsiaConfig::default() }
}

async fn get(cfg: &EsiaConfig, port: u16) -> Result<u16, ConnectorError> {
    let client = HttpClient::new(cfg)?;
    let answer = client.send(client.inner().get(format!("https://localhost:{port}/rs/prns/1"))).await?;
    Ok(answer.status)
}

#[tokio::test]
async fn esia_tls_is_trusted_through_the_configured_ca_bundle_only() {
    let (ca_key, leaf_key, other_key) = (key(), key(), key());
    let ca = certificate("Test Trusted Root CA", &ca_key, None);
    let leaf = certificate("localhost", &leaf_key, Some((&ca, &ca_key)));
    let other_ca = certificate("Another Root CA", &other_key, None);
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("russian_trusted_ca.pem");
    std::fs::write(&bundle, ca.to_pem().unwrap()).unwrap();
    let other = dir.path().join("other.pem");
    std::fs::write(&other, other_ca.to_pem().unwrap()).unwrap();
    let port = tls_server(leaf, leaf_key, ca, 4);

    assert_eq!(get(&config(Some(&bundle), false), port).await.unwrap(), 200, "bundle added to the system roots");
    assert_eq!(get(&config(Some(&bundle), true), port).await.unwrap(), 200, "the bundle alone");
    let refused = get(&config(None, false), port).await.unwrap_err();
    assert!(matches!(refused, ConnectorError::Unavailable(_)), "system roots do not know the CA: {refused:?}");
    let refused = get(&config(Some(&other), true), port).await.unwrap_err();
    assert!(matches!(refused, ConnectorError::Unavailable(_)), "another CA only: {refused:?}");
}

#[test]
fn a_bad_ca_bundle_is_an_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.pem");
    let err = HttpClient::new(&config(Some(&missing), true)).unwrap_err();
    assert!(err.to_string().contains("esia.ca_bundle"), "{err}");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, b"hello").unwrap();
    let err = HttpClient::new(&config(Some(&junk), false)).unwrap_err();
    assert!(err.to_string().contains("esia.ca_bundle") && err.to_string().contains("no certificate"), "{err}");
}
