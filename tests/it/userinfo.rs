//! UserInfo (security-checklist §1.H): GET and POST with the bearer header,
//! RFC 6750 errors for missing, bad and revoked tokens, no tokens in the query
//! string, and claims limited to the granted scopes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

#[tokio::test]
async fn ui_01_get_and_post_with_bearer_header() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "ui01").await;
    let t = rp.tokens(&app, "openid profile", "ivanova.mp").await;
    let access = t.str("access_token");
    let sub = jwt_claims(&t.str("id_token"))["sub"].clone();
    let http = reqwest::Client::new();
    let get = Answer::of(http.get(app.url("/userinfo")).bearer_auth(&access).send().await.unwrap()).await;
    assert_eq!(get.status, 200, "{}", get.text);
    assert_eq!(get.json["sub"], sub, "UI-02: the ID token's sub");
    let post = Answer::of(http.post(app.url("/userinfo")).bearer_auth(&access).send().await.unwrap()).await;
    assert_eq!(post.status, 200, "{}", post.text);
    assert_eq!(post.json, get.json);
}

/// RFC 6750 §2.2 (oidcc-userinfo-post-body): the token in a form-encoded POST body
/// works; in the body and the header at once, or twice in the body, it is
/// `invalid_request`.
#[tokio::test]
async fn ui_01_post_with_the_token_in_the_form_body() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "ui01-body").await;
    let t = rp.tokens(&app, "openid profile", "ivanova.mp").await;
    let access = t.str("access_token");
    let http = reqwest::Client::new();
    let url = app.url("/userinfo");
    let body = Answer::of(http.post(&url).form(&[("access_token", &access)]).send().await.unwrap()).await;
    assert_eq!(body.status, 200, "{}", body.text);
    assert_eq!(body.json["sub"], jwt_claims(&t.str("id_token"))["sub"]);
    let both =
        Answer::of(http.post(&url).bearer_auth(&access).form(&[("access_token", &access)]).send().await.unwrap()).await;
    assert_eq!(
        (both.status, both.header("www-authenticate").is_some_and(|c| c.contains("invalid_request"))),
        (400, true)
    );
    let twice = Answer::of(
        http.post(&url)
            .form(&[("access_token", access.as_str()), ("access_token", access.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(twice.status, 400, "{}", twice.text);
    let wrong = Answer::of(http.post(&url).form(&[("access_token", "garbage")]).send().await.unwrap()).await;
    assert_invalid_token(&wrong, "a bad token in the body");
}

fn assert_invalid_token(a: &Answer, what: &str) {
    assert_eq!(a.status, 401, "{what}: {}", a.text);
    let challenge = a.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer"), "{what}: WWW-Authenticate `{challenge}`");
    assert!(challenge.contains("error=\"invalid_token\""), "{what}: WWW-Authenticate `{challenge}`");
}

#[tokio::test]
async fn ui_03_missing_bad_revoked_token_401_and_query_token_400() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "ui03").await;
    let t = rp.tokens(&app, "openid profile offline_access", "ivanova.mp").await;
    let access = t.str("access_token");
    let http = reqwest::Client::new();
    let url = app.url("/userinfo");

    let none = Answer::of(http.get(&url).send().await.unwrap()).await;
    assert_eq!(none.status, 401, "{}", none.text);
    assert!(none.header("www-authenticate").unwrap_or_default().starts_with("Bearer"), "no token: a Bearer challenge");
    for (what, header) in [
        ("garbage", "Bearer garbage".to_owned()),
        ("JWT-shaped garbage", "Bearer a.b.c".to_owned()),
        ("alg none", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_owned()),
        ("ID token as access token", format!("Bearer {}", t.str("id_token"))),
        ("refresh token as access token", format!("Bearer {}", t.str("refresh_token"))),
    ] {
        let a = Answer::of(http.get(&url).header("authorization", header).send().await.unwrap()).await;
        assert_invalid_token(&a, what);
    }
    rp.revoke(&app, &access, None).await;
    let a = Answer::of(http.get(&url).bearer_auth(&access).send().await.unwrap()).await;
    assert_invalid_token(&a, "revoked");

    let live = rp.tokens(&app, "openid", "ivanova.mp").await.str("access_token");
    let a = Answer::of(http.get(format!("{url}?access_token={live}")).send().await.unwrap()).await;
    assert_eq!(a.status, 400, "token in the query string: {}", a.text);
    let a = Answer::of(http.get(format!("{url}?access_token={live}")).bearer_auth(&live).send().await.unwrap()).await;
    assert_eq!(a.status, 400, "token in the query string, even with the header: {}", a.text);
}

#[tokio::test]
async fn ui_04_claims_limited_to_scopes() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "ui04").await;
    let http = reqwest::Client::new();
    let userinfo = |token: String| {
        let http = http.clone();
        let url = app.url("/userinfo");
        async move { Answer::of(http.get(url).bearer_auth(token).send().await.unwrap()).await }
    };
    let t = rp.tokens(&app, "openid", "ivanova.mp").await;
    let only = userinfo(t.str("access_token")).await;
    assert_eq!(only.status, 200, "{}", only.text);
    let keys: Vec<&String> = only.json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["sub"], "openid alone: only sub");
    let id = jwt_claims(&t.str("id_token"));
    for claim in ["name", "family_name", "given_name", "birthdate", "email", "phone_number", "school"] {
        assert!(id.get(claim).is_none(), "ID token with openid alone has no {claim}");
    }

    let t = rp.tokens(&app, "openid profile", "ivanova.mp").await;
    let profile = userinfo(t.str("access_token")).await;
    assert_eq!(profile.json["family_name"], "Иванова");
    assert!(profile.json.get("name").is_some());
    for claim in ["email", "email_verified", "phone_number", "school", "children", "snils"] {
        assert!(profile.json.get(claim).is_none(), "profile only: no {claim} in {}", profile.text);
    }
    let all = rp.tokens(&app, "openid profile email phone school", "ivanova.mp").await;
    let wide = userinfo(all.str("access_token")).await;
    assert!(wide.json.get("school").is_some(), "school scope gives school claims: {}", wide.text);
    assert!(wide.json.get("snils").is_none(), "never SNILS");
}

#[tokio::test]
async fn ui_03_token_without_openid_scope_is_403_insufficient_scope() {
    let app = TestApp::spawn().await;
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: "ui03-machine".into(),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        })
        .await;
    let rp = Rp { id: "ui03-machine".into(), secret, redirect: RP_CB.into(), post: false };
    let t = rp.call(&app, "/token", &[("grant_type", "client_credentials")]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let a = Answer::of(
        reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(t.str("access_token")).send().await.unwrap(),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.text);
    assert!(a.header("www-authenticate").unwrap_or_default().contains("insufficient_scope"));
}
