//! Audience-restricted access tokens (TK-06, RFC 8707) as a client would misuse
//! them: a resource it did not register, a refresh that tries to widen the
//! audience, a token for an API presented to UserInfo (AT-02). With raw HTTP and
//! with the `openidconnect` crate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use serde_json::json;

const API: &str = "https://api.example/";
const FILES: &str = "https://files.example/v1";

async fn client(app: &TestApp, id: &str, resources: &[&str]) -> Rp {
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: id.into(),
            redirect_uris: vec![RP_CB.into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into(), "client_credentials".into()],
            resources: resources.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        })
        .await;
    Rp { id: id.into(), secret, redirect: RP_CB.into(), post: false }
}

/// The code for `login` with `resource` parameters at /authorize.
async fn code_for(app: &TestApp, rp: &Rp, resources: &[&str]) -> String {
    let extra: String = resources
        .iter()
        .map(|r| format!("&resource={}", url::form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()))
        .collect();
    let url = authorize_url(app, &rp.id, RP_CB, "openid profile offline_access", &extra);
    let back = login_for_code(app, &browser(), &url, "ivanova.mp").await;
    query_param(&back, "code").unwrap_or_else(|| panic!("a code: {back}"))
}

async fn exchange(app: &TestApp, rp: &Rp, code: &str, resources: &[&str]) -> Answer {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", RP_CB),
        ("code_verifier", VERIFIER),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    rp.call(app, "/token", &form).await
}

async fn refresh(app: &TestApp, rp: &Rp, token: &str, resources: &[&str]) -> Answer {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    rp.call(app, "/token", &form).await
}

fn aud(t: &Answer) -> serde_json::Value {
    jwt_claims(&t.str("access_token"))["aud"].clone()
}

async fn userinfo(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn tk_06_without_resource_the_audience_is_the_issuer() {
    let app = TestApp::spawn().await;
    let rp = client(&app, "diary", &[API]).await;
    let t = exchange(&app, &rp, &code_for(&app, &rp, &[]).await, &[]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(aud(&t), json!(app.base), "the fallback");
    assert_eq!(userinfo(&app, &t.str("access_token")).await, 200);
    // A refresh never widens: no resource was granted, so none may be added.
    let r = refresh(&app, &rp, &t.str("refresh_token"), &[API]).await;
    r.assert_error(400, "invalid_target", "widening on refresh");
    let r = refresh(&app, &rp, &t.str("refresh_token"), &[]).await;
    assert_eq!(r.status, 200, "the refused refresh spent nothing: {}", r.text);
    assert_eq!(aud(&r), json!(app.base));
}

#[tokio::test]
async fn tk_06_at_02_resource_at_authorize_sets_the_audience() {
    let app = TestApp::spawn().await;
    let rp = client(&app, "diary", &[API, FILES]).await;
    let t = exchange(&app, &rp, &code_for(&app, &rp, &[API]).await, &[]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(aud(&t), json!(API), "the resource asked for, not the issuer");
    // AT-02: a token for the API is no token for UserInfo.
    assert_eq!(userinfo(&app, &t.str("access_token")).await, 401);
    // Introspection still knows it (the API introspects its tokens).
    let intro = rp.introspect(&app, &t.str("access_token")).await;
    assert_eq!((intro["active"].clone(), intro["aud"].clone()), (json!(true), json!(API)));
    // Refresh keeps it; asking for another one is refused, for FILES too (registered, not granted).
    let r = refresh(&app, &rp, &t.str("refresh_token"), &[]).await;
    assert_eq!(aud(&r), json!(API), "{}", r.text);
    for widen in [FILES, app.base.as_str(), "https://evil.example/"] {
        refresh(&app, &rp, &r.str("refresh_token"), &[widen]).await.assert_error(400, "invalid_target", widen);
    }
}

#[tokio::test]
async fn tk_06_issuer_and_api_together_then_narrowed() {
    let app = TestApp::spawn().await;
    let rp = client(&app, "diary", &[API, FILES]).await;
    let code = code_for(&app, &rp, &[API, app.base.as_str()]).await;
    let t = exchange(&app, &rp, &code, &[]).await;
    assert_eq!(aud(&t), json!([API, app.base]), "{}", t.text);
    assert_eq!(userinfo(&app, &t.str("access_token")).await, 200, "the issuer is an audience");
    // Narrowed at refresh: a token for the API alone; the grant keeps both.
    let r = refresh(&app, &rp, &t.str("refresh_token"), &[API]).await;
    assert_eq!(aud(&r), json!(API), "{}", r.text);
    assert_eq!(userinfo(&app, &r.str("access_token")).await, 401);
    let r = refresh(&app, &rp, &r.str("refresh_token"), &[app.base.as_str()]).await;
    assert_eq!(aud(&r), json!(app.base), "{}", r.text);
    let r = refresh(&app, &rp, &r.str("refresh_token"), &[]).await;
    assert_eq!(aud(&r), json!([API, app.base]), "all granted ones");
}

#[tokio::test]
async fn tk_06_unregistered_resource_is_invalid_target() {
    let app = TestApp::spawn().await;
    let rp = client(&app, "diary", &[API]).await;
    let other = client(&app, "library", &[FILES]).await;
    let http = browser();
    // At /authorize: back to the client with invalid_target (its redirect URI is known).
    for bad in [FILES, "https://api.example", "https://api.example/#x", "urn:x", "/relative"] {
        let enc: String = url::form_urlencoded::byte_serialize(bad.as_bytes()).collect();
        let res =
            http.get(authorize_url(&app, &rp.id, RP_CB, "openid", &format!("&resource={enc}"))).send().await.unwrap();
        assert_error_redirect(&app, &res, RP_CB, "invalid_target", bad);
    }
    // At /token, with a code that asked for none: only registered ones (another client's is not).
    let code = code_for(&app, &rp, &[]).await;
    exchange(&app, &rp, &code, &[FILES]).await.assert_error(400, "invalid_target", "another client's resource");
    let code = code_for(&app, &rp, &[]).await;
    let t = exchange(&app, &rp, &code, &[API]).await;
    assert_eq!(aud(&t), json!(API), "{}", t.text);
    // At /token, with a code that asked for API: nothing else.
    let code = code_for(&app, &rp, &[API]).await;
    exchange(&app, &rp, &code, &[app.base.as_str()]).await.assert_error(
        400,
        "invalid_target",
        "not asked at /authorize",
    );
    // client_credentials: registered ones or the issuer.
    let cc = |rp: &Rp, r: &'static str| {
        let rp = rp.clone();
        let app_url = app.url("/token");
        async move {
            let req = reqwest::Client::new().post(app_url).basic_auth(&rp.id, rp.secret.as_deref());
            Answer::of(req.form(&[("grant_type", "client_credentials"), ("resource", r)]).send().await.unwrap()).await
        }
    };
    assert_eq!(aud(&cc(&other, FILES).await), json!(FILES));
    cc(&other, API).await.assert_error(400, "invalid_target", "client_credentials");
}

#[tokio::test]
async fn tk_06_openidconnect_rp_with_a_resource() {
    use crate::oidc_flow::http_client;
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{
        AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
        RedirectUrl, Scope,
    };
    let app = TestApp::spawn().await;
    let rp = client(&app, "diary-web", &[API]).await;
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http_client).await.unwrap();
    let oidc = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.id.clone()),
        Some(ClientSecret::new(rp.secret.clone().unwrap())),
    )
    .set_redirect_uri(RedirectUrl::new(RP_CB.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = oidc
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_extra_param("resource", API)
        .add_extra_param("resource", app.base.clone())
        .set_pkce_challenge(challenge)
        .url();
    let back = login_for_code(&app, &browser(), url.as_str(), "ivanova.mp").await;
    let code = query_param(&back, "code").unwrap();
    let tokens = oidc
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", API)
        .request_async(&http_client)
        .await
        .expect("code exchange");
    // The ID token is still for the client, and verifies as usual.
    let id_token = openidconnect::TokenResponse::id_token(&tokens).expect("id token");
    id_token.claims(&oidc.id_token_verifier(), &nonce).expect("ID token verifies");
    assert_eq!(jwt_claims(tokens.access_token().secret())["aud"], json!(API));
    assert_eq!(userinfo(&app, tokens.access_token().secret()).await, 401, "AT-02");
}
