//! The token endpoint and client authentication (security-checklist §1.D): the
//! response headers and shape, `invalid_client` with a Basic challenge, both
//! secret methods, one method per request, form-url-decoded Basic credentials,
//! and grants that do not exist or are not enabled for the client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use base64::Engine as _;

#[tokio::test]
async fn tk_01_token_response_is_no_store_json_bearer_with_expires_in() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "tk01").await;
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    let check = |a: &Answer, what: &str| {
        assert_eq!(a.status, 200, "{what}: {}", a.text);
        assert_eq!(a.header("cache-control"), Some("no-store"), "{what}");
        assert!(a.header("content-type").unwrap_or_default().starts_with("application/json"), "{what}");
        assert_eq!(a.json["token_type"], "Bearer", "{what}");
        assert!(a.json["expires_in"].as_i64().is_some_and(|e| e > 0), "{what}: expires_in {}", a.json["expires_in"]);
        assert!(a.json["access_token"].is_string(), "{what}");
    };
    check(&t, "code exchange");
    assert!(t.json["id_token"].is_string());
    let r = rp.refresh(&app, &t.str("refresh_token"), None).await;
    check(&r, "refresh");
    // Errors are not cached either.
    let e = rp.exchange(&app, "no-such-code").await;
    e.assert_error(400, "invalid_grant", "unknown code");
    assert_eq!(e.header("cache-control"), Some("no-store"));
    assert!(e.header("content-type").unwrap_or_default().starts_with("application/json"));
}

fn basic_header(id: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn tk_02_bad_client_credentials_are_401_with_basic_challenge() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "tk02").await;
    let http = reqwest::Client::new();
    let form =
        [("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", RP_CB), ("code_verifier", VERIFIER)];
    let secret = rp.secret.clone().unwrap();
    for (what, id, secret) in [
        ("wrong secret", "tk02", "wrong-secret-0123456789-0123456789-x"),
        ("empty secret", "tk02", ""),
        ("unknown client", "no-such-client", secret.as_str()),
    ] {
        let a = Answer::of(http.post(app.url("/token")).basic_auth(id, Some(secret)).form(&form).send().await.unwrap())
            .await;
        a.assert_error(401, "invalid_client", what);
        let challenge = a.header("www-authenticate").unwrap_or_default();
        assert!(challenge.to_ascii_lowercase().starts_with("basic"), "{what}: WWW-Authenticate `{challenge}`");
        assert!(!a.text.contains(secret) || secret.is_empty(), "{what}: the secret is never echoed");
    }
    // A confidential client without any secret.
    let a = Answer::of(
        http.post(app.url("/token"))
            .form(&[("client_id", "tk02"), ("grant_type", "authorization_code")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(401, "invalid_client", "no secret");
    // Malformed Basic header.
    let a =
        Answer::of(http.post(app.url("/token")).header("authorization", "Basic !!!").form(&form).send().await.unwrap())
            .await;
    a.assert_error(401, "invalid_client", "malformed Basic");
    // The right secret works.
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    assert_eq!(rp.exchange(&app, &code).await.status, 200);
}

#[tokio::test]
async fn tk_02_client_secret_post_works() {
    let app = TestApp::spawn().await;
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: "tk02-post".into(),
            redirect_uris: vec![RP_CB.into()],
            auth_method: Some("client_secret_post".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut rp = Rp { id: "tk02-post".into(), secret: Some(secret), redirect: RP_CB.into(), post: true };
    let t = rp.tokens(&app, "openid", "ivanova.mp").await;
    assert!(t.json["access_token"].is_string());
    rp.secret = Some("wrong-secret-0123456789-0123456789-x".into());
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    rp.exchange(&app, &code).await.assert_error(401, "invalid_client", "wrong secret by POST");
}

#[tokio::test]
async fn tk_02_two_authentication_methods_at_once_are_rejected() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "tk02-two").await;
    let secret = rp.secret.clone().unwrap();
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP_CB),
        ("code_verifier", VERIFIER),
        ("client_id", "tk02-two"),
        ("client_secret", secret.as_str()),
    ];
    let a = Answer::of(
        reqwest::Client::new()
            .post(app.url("/token"))
            .basic_auth("tk02-two", Some(&secret))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        matches!((a.status, a.error()), (400, Some("invalid_request")) | (401, Some("invalid_client"))),
        "Basic + client_secret in the body: {} {}",
        a.status,
        a.text
    );
    assert!(a.json.get("access_token").is_none());
}

#[tokio::test]
async fn tk_02_basic_credentials_are_form_url_decoded() {
    let app = TestApp::spawn().await;
    let secret = "pct a+b:c%d&e=f/0123456789-abcdefghij";
    app.add_client(propusk::cli::AddClient {
        id: "tk02.dec~id".into(),
        redirect_uris: vec![RP_CB.into()],
        secret: Some(secret.into()),
        ..Default::default()
    })
    .await;
    let rp = Rp { id: "tk02.dec~id".into(), secret: Some(secret.into()), redirect: RP_CB.into(), post: false };
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP_CB),
        ("code_verifier", VERIFIER),
    ];
    let http = reqwest::Client::new();
    // Not encoded: '+' decodes to a space, so the secret differs.
    let raw = basic_header(&rp.id, secret);
    let a =
        Answer::of(http.post(app.url("/token")).header("authorization", raw).form(&form).send().await.unwrap()).await;
    a.assert_error(401, "invalid_client", "Basic without form-url-encoding");
    // RFC 6749 §2.3.1: both parts form-url-encoded.
    let encoded = basic_header(&form_encode(&rp.id), &form_encode(secret));
    let a = Answer::of(http.post(app.url("/token")).header("authorization", encoded).form(&form).send().await.unwrap())
        .await;
    assert_eq!(a.status, 200, "form-url-encoded Basic credentials: {}", a.text);
}

#[tokio::test]
async fn tk_04_password_and_implicit_grants_do_not_exist() {
    let app = TestApp::spawn().await;
    let public = Rp::public(&app, "tk04-public").await;
    let conf = Rp::confidential(&app, "tk04-conf").await;
    for rp in [&public, &conf] {
        for grant in
            ["password", "implicit", "token", "urn:ietf:params:oauth:grant-type:device_code", "authorization-code"]
        {
            let a = rp
                .call(
                    &app,
                    "/token",
                    &[("grant_type", grant), ("username", "ivanova.mp"), ("password", PASSWORD), ("scope", "openid")],
                )
                .await;
            a.assert_error(400, "unsupported_grant_type", &format!("{}: {grant}", rp.id));
            assert!(!a.text.contains(PASSWORD));
        }
        rp.call(&app, "/token", &[("code", "x")]).await.assert_error(400, "invalid_request", "no grant_type");
    }
}

#[tokio::test]
async fn tk_04_grant_not_enabled_for_the_client_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: "tk04-code-only".into(),
            redirect_uris: vec![RP_CB.into()],
            grant_types: vec!["authorization_code".into()],
            ..Default::default()
        })
        .await;
    let rp = Rp { id: "tk04-code-only".into(), secret, redirect: RP_CB.into(), post: false };
    rp.refresh(&app, "some-refresh-token", None).await.assert_error(
        400,
        "unauthorized_client",
        "refresh_token not enabled",
    );
    rp.call(&app, "/token", &[("grant_type", "client_credentials")]).await.assert_error(
        400,
        "unauthorized_client",
        "client_credentials not enabled",
    );
    // With offline_access asked for, such a client gets no refresh token.
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    assert!(t.json.get("refresh_token").is_none(), "{}", t.text);
    // A client with only client_credentials may not use the authorization endpoint.
    app.add_client(propusk::cli::AddClient {
        id: "tk04-machine".into(),
        grant_types: vec!["client_credentials".into()],
        redirect_uris: vec![RP_CB.into()],
        ..Default::default()
    })
    .await;
    let res = browser().get(authz(&app, "tk04-machine", RP_CB, &[])).send().await.unwrap();
    assert_error_redirect(&app, &res, RP_CB, "unauthorized_client", "authorize for a client_credentials client");
}
