//! Unit tests of the signers.
use super::*;

#[test]
fn streebog_certificate_hash_matches_standard_vector() {
    // GOST R 34.11-2012 test vector M1 (256-bit), as produced by OpenSSL's gost engine.
    let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
    assert_eq!(certificate_hash(m1), "9D151EEFD8590B89DAA6BA6CB74AF9275DD051026BB149A452FD84E5E57B5500");
}

fn root(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn the_self_test_signs_verifies_and_counts_the_days_left() {
    let signer = OpensslSigner::from_files(&root("keys/test-rp-rsa.key"), &root("keys/test-rp-rsa.crt")).unwrap();
    let cert = X509::from_der(signer.certificate_der()).unwrap();
    let not_after = openssl::asn1::Asn1Time::from_unix(0).unwrap().diff(cert.not_after()).unwrap();
    let expiry = i64::from(not_after.days) * 86_400 + i64::from(not_after.secs);
    let ten_days_before = expiry - 10 * 86_400 - 60;
    let found = self_test(&signer, ten_days_before).unwrap();
    assert_eq!(found.days_left, 10);
    assert_eq!(found.algorithm, SigAlg::Rs256);
    assert_eq!(found.certificate_hash, certificate_hash(signer.certificate_der()));
    assert!(self_test(&signer, expiry + 2 * 86_400).unwrap().days_left < 0, "expired: negative");
}

#[test]
fn the_self_test_fails_when_the_key_is_not_the_certificates() {
    // The RP's key with another certificate: signs, but the signature does not verify.
    let key = std::fs::read(root("keys/test-rp-rsa.key")).unwrap();
    let cert = std::fs::read(root("keys/test-other-rsa.crt")).unwrap();
    let mismatched = OpensslSigner::from_pem(&key, &cert);
    let Ok(signer) = mismatched else { return }; // refused at load: even better
    let err = self_test(&signer, 0).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
}

#[test]
fn the_self_test_runs_an_external_command_signer() {
    // `openssl dgst` standing in for CryptoPro: message on stdin, raw signature on stdout.
    let key = root("keys/test-rp-rsa.key");
    let cert = X509::stack_from_pem(&std::fs::read(root("keys/test-rp-rsa.crt")).unwrap()).unwrap().remove(0);
    let command = vec!["openssl".into(), "dgst".into(), "-sha256".into(), "-sign".into(), key.display().to_string()];
    let signer = CommandSigner::new(
        command,
        std::time::Duration::from_secs(10),
        false,
        false,
        cert.to_der().unwrap(),
        SigAlg::Rs256,
    )
    .unwrap();
    assert!(self_test(&signer, 0).unwrap().days_left > 0);
    let reversed = CommandSigner::new(
        vec!["openssl".into(), "dgst".into(), "-sha256".into(), "-sign".into(), key.display().to_string()],
        std::time::Duration::from_secs(10),
        false,
        true,
        cert.to_der().unwrap(),
        SigAlg::Rs256,
    )
    .unwrap();
    assert!(self_test(&reversed, 0).is_err(), "the wrong byte order is found");
}
