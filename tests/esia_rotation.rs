//! ESIA replaces its token-signing certificate without notice: the connector trusts
//! every certificate of `esia.certificates_dir`, re-read while it runs. The sandbox
//! rotates its key mid-run; tokens of the old key pass until its certificate is
//! removed, tokens of the new key pass once its certificate is dropped in, and a
//! token of a key never trusted is refused.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod esia_common;

use esia_common::{Alg, PASSWORD, Stand, login, signer, stand_with};
use propusk::clock::{Clock, FixedClock, SystemClock};
use propusk::connector::esia::EsiaConnector;
use propusk::connector::{Connector, ConnectorError, StartRequest};
use std::sync::Arc;

const OLD: (&str, &str) = ("keys/test-esia-sandbox-rsa.key", "keys/test-esia-sandbox-rsa.crt");
const NEW: (&str, &str) = ("keys/test-other-rsa.key", "keys/test-other-rsa.crt");
const NEVER: (&str, &str) = ("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt");

async fn log_in(stand: &Stand, c: &EsiaConnector) -> Result<(), ConnectorError> {
    let req = StartRequest { scopes: vec!["openid".into(), "fullname".into()], redirect_uri: String::new() };
    let (url, pending) = c.start(req).await.expect("start");
    let cb = login(stand, &url, "petrov@example.ru", PASSWORD, true).await;
    c.finish(&pending, cb).await.map(|_| ())
}

#[tokio::test]
async fn a_rotated_esia_certificate_is_picked_up_from_the_directory_while_running() {
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let mut stand = stand_with(Alg::Rsa, Vec::new(), clock.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(OLD.1, dir.path().join("esia-old.pem")).unwrap();
    stand.cfg.certificates = Vec::new();
    stand.cfg.certificates_dir = Some(dir.path().to_path_buf());
    stand.cfg.certificates_reload_secs = 30;
    let c = stand.connector_with(Alg::Rsa, clock.clone());
    log_in(&stand, &c).await.expect("the old certificate is trusted");

    // ESIA switches keys before anyone put the new certificate in place: refused.
    stand.sandbox.rotate_token_signer(signer(NEW.0, NEW.1));
    let err = log_in(&stand, &c).await.expect_err("a new key, not yet trusted");
    assert!(matches!(err, ConnectorError::InvalidToken(ref m) if m.contains("bad signature")), "{err:?}");
    // Dropped in: the next token that fits no trusted certificate looks at the directory.
    std::fs::copy(NEW.1, dir.path().join("esia-new.cer")).unwrap();
    log_in(&stand, &c).await.expect("the new certificate, without a restart");
    assert_eq!(c.trusted_fingerprints().len(), 2, "both trusted during the rotation");

    // Tokens of the old key still pass while its certificate is there.
    stand.sandbox.rotate_token_signer(signer(OLD.0, OLD.1));
    log_in(&stand, &c).await.expect("the old certificate until it is removed");
    std::fs::remove_file(dir.path().join("esia-old.pem")).unwrap();
    clock.advance(31);
    let err = log_in(&stand, &c).await.expect_err("the old certificate removed");
    assert!(matches!(err, ConnectorError::InvalidToken(_)), "{err:?}");
    assert_eq!(c.trusted_fingerprints().len(), 1);

    // A key that was never trusted is refused, and the new one keeps working.
    stand.sandbox.rotate_token_signer(signer(NEVER.0, NEVER.1));
    assert!(matches!(log_in(&stand, &c).await, Err(ConnectorError::InvalidToken(_))));
    stand.sandbox.rotate_token_signer(signer(NEW.0, NEW.1));
    log_in(&stand, &c).await.expect("the new certificate");
}

#[tokio::test]
async fn a_bad_file_dropped_in_is_skipped_and_the_trusted_set_stays() {
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let mut stand = stand_with(Alg::Rsa, Vec::new(), clock.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(OLD.1, dir.path().join("esia.pem")).unwrap();
    stand.cfg.certificates = Vec::new();
    stand.cfg.certificates_dir = Some(dir.path().to_path_buf());
    let c = stand.connector_with(Alg::Rsa, clock.clone());
    std::fs::write(dir.path().join("half-copied.pem"), b"-----BEGIN CERTIFICATE-----\nMIIB").unwrap();
    clock.advance(31);
    log_in(&stand, &c).await.expect("the good certificate still trusted");
    assert_eq!(c.trusted_fingerprints().len(), 1);
}
