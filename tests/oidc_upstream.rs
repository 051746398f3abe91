//! The generic upstream OIDC connector against propusk itself as the upstream OP:
//! discovery, code + PKCE through the real login form, ID-token validation, UserInfo,
//! claim mapping; negative tests for state, ID tokens (tampered, foreign, wrong nonce,
//! expired) and plain http (BR-01, BR-02, BR-03, BR-09).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/common.rs"]
mod common;

use common::*;
use propusk::clock::{Clock, FixedClock, SystemClock};
use propusk::connector::oidc::{OidcConfig, OidcConnector};
use propusk::connector::{AccountLevel, Callback, Connector, ConnectorError, Pending, StartRequest};
use propusk::crypto::{SecretString, b64, b64_decode};
use std::sync::Arc;

const CLIENT: &str = "upstream-rp";
const CALLBACK: &str = "http://127.0.0.1:9/oidc/callback";

/// propusk with a confidential client for the connector; returns the app and its config.
async fn upstream() -> (TestApp, OidcConfig) {
    let app = TestApp::spawn().await;
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: CLIENT.into(),
            redirect_uris: vec![CALLBACK.into()],
            ..Default::default()
        })
        .await
        .expect("confidential client gets a secret");
    let cfg = OidcConfig {
        enabled: true,
        issuer: app.base.clone(),
        client_id: CLIENT.into(),
        client_secret: SecretString::new(secret),
        redirect_uri: CALLBACK.into(),
        scopes: vec!["profile".into(), "email".into()],
        allow_http: true,
        pending_key: SecretString::new("test-pending-key"),
        timeout_ms: 5000,
        ..OidcConfig::default()
    };
    (app, cfg)
}

fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn start_req() -> StartRequest {
    StartRequest { scopes: vec![], redirect_uri: String::new() }
}

/// Drives the login form for the connector's authorization URL; returns the callback.
async fn login(app: &TestApp, url: &url::Url) -> Callback {
    let back = login_for_code(app, &browser(), url.as_str(), "ivanova.mp").await;
    assert!(back.starts_with(CALLBACK), "back to our callback: {back}");
    Callback {
        state: query_param(&back, "state"),
        code: query_param(&back, "code"),
        error: query_param(&back, "error"),
        error_description: None,
    }
}

/// A genuine ID token for `client_id` (nonce `n-456`), obtained by hand at /token.
async fn raw_id_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let url = authorize_url(app, client_id, CALLBACK, "openid profile", "");
    let back = login_for_code(app, &browser(), &url, "ivanova.mp").await;
    let code = query_param(&back, "code").expect("code");
    let res: serde_json::Value = reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res["id_token"].as_str().expect("id_token").to_owned()
}

fn part(jwt: &str, i: usize) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_slice(&b64_decode(jwt.split('.').nth(i).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn br_01_round_trip_with_propusk_as_upstream_op() {
    let (app, cfg) = upstream().await;
    let secret = cfg.client_secret.expose().to_owned();
    let conn = OidcConnector::discover(cfg, system()).await.expect("discovery");

    let (url, pending) = conn.start(start_req()).await.unwrap();
    assert!(url.as_str().starts_with(&app.url("/authorize")), "authorization endpoint from discovery: {url}");
    let q = |name: &str| query_param(url.as_str(), name);
    assert_eq!(q("response_type").as_deref(), Some("code"));
    assert_eq!(q("client_id").as_deref(), Some(CLIENT));
    assert_eq!(q("redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(q("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(q("state").as_deref(), Some(pending.state.as_str()));
    assert!(q("nonce").is_some_and(|n| n.len() >= 43));
    assert!(q("scope").is_some_and(|s| s.split(' ').any(|x| x == "openid")));
    assert_eq!(pending.connector, "oidc");
    assert_eq!(pending.redirect_uri, CALLBACK);

    // Fresh state, nonce and PKCE challenge for each login.
    let (url2, pending2) = conn.start(start_req()).await.unwrap();
    assert_ne!(pending.state, pending2.state);
    for p in ["nonce", "code_challenge"] {
        assert_ne!(q(p), query_param(url2.as_str(), p), "{p} is fresh per login");
    }

    let callback = login(&app, &url).await;
    assert_eq!(callback.state.as_deref(), Some(pending.state.as_str()));
    let person = conn.finish(&pending, callback.clone()).await.expect("finish");
    assert_eq!(person.issuer, app.base);
    assert_eq!(person.surname.as_deref(), Some("Иванова"));
    assert_eq!(person.birth_date.as_deref(), Some("1985-08-11"));
    assert!(person.given_name.is_some());
    assert!(!person.trusted, "no trusted claim configured");
    assert_eq!(person.account_level, AccountLevel::Simplified);
    assert!(person.granted_scopes.iter().any(|s| s == "openid"));

    // The subject is the ID token's `sub` (the same for this account and client).
    let id_token = raw_id_token(&app, CLIENT, &secret).await;
    assert_eq!(person.subject, part(&id_token, 1)["sub"].as_str().unwrap());

    // The code is single-use at the upstream.
    let again = conn.finish(&pending, callback).await;
    assert!(again.is_err(), "a redeemed code cannot be redeemed again: {again:?}");
}

#[tokio::test]
async fn br_01_wrong_state_is_state_mismatch() {
    let (app, cfg) = upstream().await;
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let conn = OidcConnector::discover(cfg, clock.clone()).await.unwrap();
    let (_, pending) = conn.start(start_req()).await.unwrap();
    let cb = |state: &str| Callback { state: Some(state.into()), code: Some("c".into()), ..Default::default() };

    let err = conn.finish(&pending, cb("forged-state")).await.unwrap_err();
    assert_eq!(err, ConnectorError::StateMismatch);
    let err = conn.finish(&pending, Callback { code: Some("c".into()), ..Default::default() }).await.unwrap_err();
    assert_eq!(err, ConnectorError::StateMismatch, "missing state");

    // BR-03: a state issued for another upstream is not accepted here.
    let other = Pending { connector: "esia".into(), ..pending.clone() };
    let err = conn.finish(&other, cb(&pending.state)).await.unwrap_err();
    assert_eq!(err, ConnectorError::StateMismatch);

    // Too late.
    clock.advance(901);
    let err = conn.finish(&pending, cb(&pending.state)).await.unwrap_err();
    assert_eq!(err, ConnectorError::StateMismatch);

    // An error from the upstream is reported as such.
    let denied = Callback { error: Some("access_denied".into()), ..Default::default() };
    assert!(matches!(conn.finish(&pending, denied).await, Err(ConnectorError::Denied { .. })));
    drop(app);
}

#[tokio::test]
async fn br_02_tampered_foreign_expired_or_wrong_nonce_id_token_is_invalid() {
    let (app, cfg) = upstream().await;
    let secret = cfg.client_secret.expose().to_owned();
    let conn = OidcConnector::discover(cfg.clone(), system()).await.unwrap();
    let token = raw_id_token(&app, CLIENT, &secret).await;

    let claims = conn.verify_id_token(&token, "n-456").await.expect("a genuine token verifies");
    assert_eq!(claims["family_name"], "Иванова");

    let invalid = |r: Result<_, ConnectorError>, what: &str| {
        assert!(matches!(r, Err(ConnectorError::InvalidToken(_))), "{what}: {r:?}");
    };
    invalid(conn.verify_id_token(&token, "n-457").await, "wrong nonce");
    invalid(conn.verify_id_token("not.a.jwt", "n-456").await, "garbage");

    // Tampered payload, original signature.
    let mut payload = part(&token, 1);
    payload.insert("family_name".into(), "Петрова".into());
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(&serde_json::to_vec(&payload).unwrap()), parts[2]);
    invalid(conn.verify_id_token(&tampered, "n-456").await, "tampered");

    // Same claims and kid, signed with a key the provider never published.
    let key = josekit::jws::RS256.generate_key_pair(2048).unwrap().to_der_private_key();
    let signer = josekit::jws::RS256.signer_from_der(&key).unwrap();
    let mut header = josekit::jws::JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(part(&token, 0)["kid"].as_str().unwrap());
    let forged = josekit::jwt::encode_with_signer(
        &josekit::jwt::JwtPayload::from_map(part(&token, 1)).unwrap(),
        &header,
        &signer,
    )
    .unwrap();
    invalid(conn.verify_id_token(&forged, "n-456").await, "foreign signature");

    // A genuine token issued to another client (aud).
    let other_secret = app
        .add_client(propusk::cli::AddClient {
            id: "other-rp".into(),
            redirect_uris: vec![CALLBACK.into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let foreign = raw_id_token(&app, "other-rp", &other_secret).await;
    assert!(conn.verify_id_token(&foreign, "n-456").await.is_err_and(|e| e.code() == "bad_token"), "foreign aud");

    // Expired by our clock.
    let late = Arc::new(FixedClock::new(SystemClock.now() + 86_400));
    let conn_late = OidcConnector::discover(cfg, late).await.unwrap();
    invalid(conn_late.verify_id_token(&token, "n-456").await, "expired");
}

#[tokio::test]
async fn br_02_nonce_and_pkce_are_bound_to_the_connector_key() {
    // The same state finished by a connector with another key: the PKCE verifier does
    // not match what was sent, so the upstream refuses the code.
    let (app, cfg) = upstream().await;
    let a = OidcConnector::discover(cfg.clone(), system()).await.unwrap();
    let b =
        OidcConnector::discover(OidcConfig { pending_key: SecretString::new("other"), ..cfg }, system()).await.unwrap();
    let (url, pending) = a.start(start_req()).await.unwrap();
    let callback = login(&app, &url).await;
    let err = b.finish(&pending, callback).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn br_09_plain_http_refused_unless_allowed_for_loopback() {
    let (app, cfg) = upstream().await;
    let strict = OidcConfig { allow_http: false, ..cfg.clone() };
    let err = OidcConnector::discover(strict, system()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Internal(ref m) if m.contains("https")), "{err:?}");

    let remote = OidcConfig { issuer: "http://example.org".into(), ..cfg.clone() };
    assert!(OidcConnector::new(remote, system()).is_err(), "http only for loopback");

    // An issuer that does not match the discovery document is refused.
    let wrong = OidcConfig { issuer: format!("{}/other", app.base), ..cfg };
    assert!(OidcConnector::discover(wrong, system()).await.is_err());
}
