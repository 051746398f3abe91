//! The signer's self-test (`propusk check`): sign a fixed message the way ESIA's
//! `client_secret` is signed, verify it with the certificate registered at ESIA, and
//! tell how many days that certificate has left.

use super::{SigAlg, SignError, Signer, certificate_hash, first_error, verify_with_cert};
use openssl::asn1::Asn1Time;
use openssl::x509::X509;
use std::sync::Arc;

/// The message the self-test signs (never sent anywhere).
pub const SELF_TEST_MESSAGE: &[u8] = b"propusk signer self-test: PROPUSKopenid2026.01.01 00:00:00 +0000";

/// What a passing self-test found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfTest {
    pub algorithm: SigAlg,
    /// `client_certificate_hash` of the certificate (what ESIA matches it by).
    pub certificate_hash: String,
    /// Whole days until the certificate's `notAfter` (negative once expired).
    pub days_left: i64,
}

/// Signs [`SELF_TEST_MESSAGE`] with `signer`, verifies the signature with the
/// signer's certificate and returns the certificate's days left. Blocking: the
/// external command runs; call it through [`self_test_blocking`] from async code.
/// A signature that does not verify (wrong key for the certificate, or CryptoPro's
/// byte order without `reverse_bytes`) is an error.
pub fn self_test(signer: &dyn Signer, now: i64) -> Result<SelfTest, SignError> {
    let der = signer.certificate_der();
    let cert = X509::from_der(der).map_err(|e| SignError::Key(format!("certificate: {}", first_error(&e))))?;
    let signature = signer.sign(SELF_TEST_MESSAGE)?;
    if !verify_with_cert(&cert, signer.algorithm(), SELF_TEST_MESSAGE, &signature)? {
        return Err(SignError::Failed(
            "the signature does not verify with the certificate (another key, or the byte order: see reverse_bytes)"
                .into(),
        ));
    }
    let asn1 = |e: openssl::error::ErrorStack| SignError::Key(format!("certificate dates: {}", first_error(&e)));
    let diff = Asn1Time::from_unix(now).map_err(asn1)?.diff(cert.not_after()).map_err(asn1)?;
    Ok(SelfTest {
        algorithm: signer.algorithm(),
        certificate_hash: certificate_hash(der),
        days_left: i64::from(diff.days),
    })
}

/// [`self_test`] off the async runtime.
pub async fn self_test_blocking(signer: Arc<dyn Signer>, now: i64) -> Result<SelfTest, SignError> {
    tokio::task::spawn_blocking(move || self_test(signer.as_ref(), now))
        .await
        .map_err(|e| SignError::Failed(format!("self-test task: {e}")))?
}
