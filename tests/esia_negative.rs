//! What must fail, fails: the sandbox refuses bad requests with ESIA's codes, and
//! the connector rejects bad callbacks, bad tokens and a broken ESIA (BR-01, BR-02,
//! BR-08, BR-09).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod esia_common;

use esia_common::{Alg, PASSWORD, REDIRECT_URI, login, signer, stand, stand_with};
use propusk::clock::{Clock, FixedClock, SystemClock};
use propusk::connector::esia::EsiaConnector;
use propusk::connector::sandbox::Faults;
use propusk::connector::signer::{SigAlg, SignError, Signer};
use propusk::connector::{Callback, Connector, ConnectorError, StartRequest};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn req(scopes: &str) -> StartRequest {
    StartRequest { scopes: scopes.split(' ').map(str::to_string).collect(), redirect_uri: String::new() }
}

fn now() -> i64 {
    SystemClock.now()
}

/// Signs with one key but presents another key's certificate.
#[derive(Debug)]
struct MismatchedSigner {
    key: Arc<dyn Signer>,
    cert: Arc<dyn Signer>,
}

impl Signer for MismatchedSigner {
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key.sign(data)
    }
    fn certificate_der(&self) -> &[u8] {
        self.cert.certificate_der()
    }
    fn algorithm(&self) -> SigAlg {
        SigAlg::Rs256
    }
}

async fn ac_error(stand: &esia_common::Stand, c: &EsiaConnector) -> (Callback, propusk::connector::Pending) {
    let (url, pending) = c.start(req("openid fullname")).await.expect("start");
    let cb = login(stand, &url, "petrov@example.ru", PASSWORD, true).await;
    (cb, pending)
}

#[tokio::test]
async fn br_09_wrong_signature_is_esia_007053() {
    let stand = stand(Alg::Rsa).await;
    let wrong = MismatchedSigner {
        key: signer("keys/test-other-rsa.key", "keys/test-other-rsa.crt"),
        cert: signer("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt"),
    };
    let c = EsiaConnector::with_signer(stand.cfg.clone(), Arc::new(wrong), Arc::new(SystemClock)).expect("connector");
    let (cb, pending) = ac_error(&stand, &c).await;
    assert_eq!(cb.error.as_deref(), Some("access_denied"));
    assert!(cb.error_description.as_deref().unwrap_or_default().starts_with("ESIA-007053"));
    let err = c.finish(&pending, cb).await.expect_err("rejected");
    assert!(matches!(err, ConnectorError::SignatureRejected { .. }), "{err:?}");
    assert_eq!(err.code(), "ESIA-007053");
}

#[tokio::test]
async fn wrong_certificate_hash_is_esia_007053() {
    let stand = stand(Alg::Rsa).await;
    let other = signer("keys/test-other-rsa.key", "keys/test-other-rsa.crt");
    let c = EsiaConnector::with_signer(stand.cfg.clone(), other, Arc::new(SystemClock)).expect("connector");
    let (cb, pending) = ac_error(&stand, &c).await;
    assert!(cb.error_description.as_deref().unwrap_or_default().starts_with("ESIA-007053"));
    assert!(matches!(c.finish(&pending, cb).await, Err(ConnectorError::SignatureRejected { .. })));
}

#[tokio::test]
async fn stale_timestamp_is_esia_007015() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector_with(Alg::Rsa, Arc::new(FixedClock::new(now() - 3600)));
    let (cb, pending) = ac_error(&stand, &c).await;
    assert_eq!(cb.error.as_deref(), Some("invalid_request"));
    let err = c.finish(&pending, cb).await.expect_err("stale");
    assert_eq!(err.code(), "ESIA-007015");
}

#[tokio::test]
async fn unregistered_redirect_uri_stays_on_esia_007023() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let start = StartRequest { redirect_uri: "http://127.0.0.1:9/other".into(), ..req("openid fullname") };
    let (url, _) = c.start(start).await.expect("start");
    let resp = esia_common::browser().get(url).send().await.expect("ac");
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.expect("page").contains("ESIA-007023"));
}

#[tokio::test]
async fn sandbox_checks_parameters_like_esia() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let (url, _) = c.start(req("openid fullname")).await.expect("start");
    let b = esia_common::browser();
    let edit = |drop: &str, set: Option<(&str, &str)>| {
        let mut u = url.clone();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != drop)
            .map(|(k, v)| match set {
                Some((name, value)) if k == name => (k.into_owned(), value.to_string()),
                _ => (k.into_owned(), v.into_owned()),
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u
    };
    let cases = [
        (edit("client_certificate_hash", None), "ESIA-007014"),
        (edit("", Some(("scope", "openid fullname snils"))), "ESIA-007053"),
        (edit("", Some(("scope", "openid superpowers"))), "ESIA-007006"),
        (edit("", Some(("state", "not-a-uuid"))), "ESIA-007003"),
    ];
    for (u, code) in cases {
        let resp = b.get(u).send().await.expect("ac");
        assert_eq!(resp.status(), 302, "{code}");
        let cb = esia_common::callback_from(resp.headers()["location"].to_str().expect("ascii"));
        assert!(cb.error_description.as_deref().unwrap_or_default().starts_with(code), "{code}: {cb:?}");
    }
    let unknown = edit("", Some(("client_id", "NOBODY")));
    let resp = b.get(unknown).send().await.expect("ac");
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
}

#[tokio::test]
async fn br_01_unknown_state_and_reused_code_are_refused() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(req("openid fullname")).await.expect("start");
    let cb = login(&stand, &url, "petrov@example.ru", PASSWORD, true).await;
    let forged = Callback { state: Some("00000000-0000-4000-8000-000000000000".into()), ..cb.clone() };
    assert_eq!(c.finish(&pending, forged).await, Err(ConnectorError::StateMismatch));
    let missing = Callback { state: None, ..cb.clone() };
    assert_eq!(c.finish(&pending, missing).await, Err(ConnectorError::StateMismatch));
    let mut old = pending.clone();
    old.created_at -= 3600;
    assert_eq!(c.finish(&old, cb.clone()).await, Err(ConnectorError::StateMismatch));
    c.finish(&pending, cb.clone()).await.expect("first use");
    let again = c.finish(&pending, cb).await.expect_err("code reuse");
    assert_eq!(again.code(), "ESIA-007011");
}

async fn with_fault(faults: Faults, timeout_ms: Option<u64>) -> (ConnectorError, Duration) {
    let mut stand = stand(Alg::Rsa).await;
    if let Some(t) = timeout_ms {
        stand.cfg.timeout_ms = t;
    }
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(req("openid fullname birthdate")).await.expect("start");
    let cb = login(&stand, &url, "petrov@example.ru", PASSWORD, true).await;
    stand.sandbox.set_faults(faults);
    let t = Instant::now();
    let err = c.finish(&pending, cb).await.expect_err("must fail");
    (err, t.elapsed())
}

#[tokio::test]
async fn br_02_tampered_token_is_rejected() {
    let (err, _) = with_fault(Faults { tampered_token: true, ..Faults::default() }, None).await;
    assert_eq!(err, ConnectorError::InvalidToken("access token: bad signature".into()));
    assert_eq!(err.code(), "bad_token");
}

#[tokio::test]
async fn br_02_bad_token_signature_is_rejected() {
    let (err, _) = with_fault(Faults { bad_token_signature: true, ..Faults::default() }, None).await;
    assert!(matches!(err, ConnectorError::InvalidToken(ref m) if m.contains("bad signature")), "{err:?}");
}

#[tokio::test]
async fn br_02_expired_token_is_rejected() {
    let (err, _) = with_fault(Faults { expired_tokens: true, ..Faults::default() }, None).await;
    assert!(matches!(err, ConnectorError::InvalidToken(ref m) if m.contains("expired")), "{err:?}");
}

#[tokio::test]
async fn br_01_token_state_echo_is_checked() {
    let (err, _) = with_fault(Faults { wrong_state_echo: true, ..Faults::default() }, None).await;
    assert!(matches!(err, ConnectorError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn br_08_esia_5xx_is_unavailable() {
    let (err, _) = with_fault(Faults { server_error: true, ..Faults::default() }, None).await;
    assert!(matches!(err, ConnectorError::Unavailable(_)), "{err:?}");
    assert!(err.user_message().contains("недоступен"));
}

#[tokio::test]
async fn br_08_esia_timeout_fails_within_the_configured_timeout() {
    let (err, elapsed) = with_fault(Faults { latency_ms: 5000, ..Faults::default() }, Some(500)).await;
    assert!(matches!(err, ConnectorError::Unavailable(ref m) if m == "timeout"), "{err:?}");
    assert!(elapsed < Duration::from_millis(2000), "took {elapsed:?}");
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error() {
    let (err, _) = with_fault(Faults { malformed_json: true, ..Faults::default() }, None).await;
    assert!(matches!(err, ConnectorError::Protocol { code: None, .. }), "{err:?}");
}

#[tokio::test]
async fn br_02_tokens_from_an_untrusted_key_or_issuer_are_rejected() {
    let mut stand = stand(Alg::Rsa).await;
    stand.cfg.certificates = vec!["keys/test-other-rsa.crt".into()];
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(req("openid fullname")).await.expect("start");
    let cb = login(&stand, &url, "petrov@example.ru", PASSWORD, true).await;
    assert!(matches!(c.finish(&pending, cb).await, Err(ConnectorError::InvalidToken(_))));

    let mut stand = stand_with(Alg::Rsa, Vec::new(), Arc::new(SystemClock)).await;
    stand.cfg.issuer = "http://esia.gosuslugi.ru/".into();
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(req("openid fullname")).await.expect("start");
    let cb = login(&stand, &url, "petrov@example.ru", PASSWORD, true).await;
    let err = c.finish(&pending, cb).await.expect_err("wrong iss");
    assert!(matches!(err, ConnectorError::InvalidToken(ref m) if m.contains("iss")), "{err:?}");
}

#[tokio::test]
async fn br_09_https_is_required_outside_the_sandbox() {
    let stand = stand(Alg::Rsa).await;
    let mut cfg = stand.cfg.clone();
    cfg.allow_http = false;
    let s = signer("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt");
    assert!(EsiaConnector::with_signer(cfg.clone(), s, Arc::new(SystemClock)).is_err());
    assert!(cfg.validate(false).is_err());
    let mut ok = cfg.clone();
    ok.allow_http = true;
    assert!(ok.validate(false).is_ok(), "loopback sandbox may use http");
    assert_eq!(REDIRECT_URI, stand.cfg.redirect_uri);
}
