//! Pushed authorization requests (RFC 9126) as a relying party uses them and as
//! an attacker tries them: the push with the client's authentication and the
//! checks of /authorize, the `request_uri` taken once, only by its client, only
//! within its lifetime (one winner of parallel uses), and PAR required per client or
//! for the whole installation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use serde_json::{Value, json};

/// The usual authorization parameters (of [`authz`]) with `changes`, as a form
/// without `client_id` (the client's authentication adds it).
fn pushed(app: &TestApp, rp: &Rp, changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let url = url::Url::parse(&authz(app, &rp.id, &rp.redirect, changes)).unwrap();
    url.query_pairs().filter(|(k, _)| k != "client_id").map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A change of one authorization parameter (see [`authz`]).
type Change<'a> = (&'a str, Option<&'a str>);

async fn push(app: &TestApp, rp: &Rp, changes: &[(&str, Option<&str>)]) -> Answer {
    let form = pushed(app, rp, changes);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    rp.call(app, "/par", &form).await
}

/// A pushed request's `request_uri` (the push asserted 201).
async fn request_uri(app: &TestApp, rp: &Rp) -> String {
    let a = push(app, rp, &[]).await;
    assert_eq!(a.status, 201, "push: {}", a.text);
    a.str("request_uri")
}

fn authorize_with(app: &TestApp, client_id: &str, uri: &str, extra: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&app.url("/authorize")).unwrap();
    u.query_pairs_mut().append_pair("client_id", client_id).append_pair("request_uri", uri);
    u.query_pairs_mut().extend_pairs(extra);
    u.to_string()
}

async fn discovery(app: &TestApp) -> Value {
    reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap()
}

async fn get(url: &str) -> reqwest::Response {
    browser().get(url).send().await.unwrap()
}

#[tokio::test]
async fn par_01_pushed_request_to_code_and_tokens() {
    let app = TestApp::spawn().await;
    let d = discovery(&app).await;
    assert_eq!(d["pushed_authorization_request_endpoint"], json!(app.url("/par")));
    assert_eq!(d["require_pushed_authorization_requests"], json!(false));
    for post in [false, true] {
        let id = if post { "diary-post" } else { "diary" };
        let method = post.then(|| "client_secret_post".to_owned());
        let secret = app
            .add_client(propusk::cli::AddClient {
                id: id.into(),
                redirect_uris: vec![RP_CB.into()],
                auth_method: method,
                ..Default::default()
            })
            .await;
        let rp = Rp { id: id.into(), secret, redirect: RP_CB.into(), post };
        let a = push(&app, &rp, &[("scope", Some("openid profile offline_access"))]).await;
        assert_eq!(a.status, 201, "{}", a.text);
        assert_eq!(a.header("cache-control"), Some("no-store"));
        assert_eq!(a.json["expires_in"], json!(60));
        let uri = a.str("request_uri");
        assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"), "{uri}");
        // Parameters beside client_id and request_uri are ignored (RFC 9126 §4).
        let extra = [("redirect_uri", "https://evil.example/cb"), ("state", "forged"), ("scope", "openid phone")];
        let back = login_for_code(&app, &browser(), &authorize_with(&app, &rp.id, &uri, &extra), "ivanova.mp").await;
        assert!(back.starts_with(RP_CB), "the pushed redirect_uri: {back}");
        assert_eq!(query_param(&back, "state").as_deref(), Some("st-123"), "the pushed state");
        assert_eq!(query_param(&back, "iss").as_deref(), Some(app.base.as_str()));
        let t = rp.exchange(&app, &query_param(&back, "code").unwrap()).await;
        assert_eq!(t.status, 200, "{}", t.text);
        let mut scope: Vec<String> = t.str("scope").split(' ').map(str::to_owned).collect();
        scope.sort();
        assert_eq!(scope, ["offline_access", "openid", "profile"], "the pushed scope, not the one beside it");
        assert_eq!(jwt_claims(&t.str("id_token"))["nonce"], json!("n-456"), "the pushed nonce");
        assert!(t.json["refresh_token"].is_string());
    }
    // A public client pushes with its client_id only.
    let public = Rp::public(&app, "mobile").await;
    let uri = request_uri(&app, &public).await;
    let back = login_for_code(&app, &browser(), &authorize_with(&app, "mobile", &uri, &[]), "ivanova.mp").await;
    let t = public.exchange(&app, &query_param(&back, "code").unwrap()).await;
    assert_eq!(t.status, 200, "{}", t.text);
}

#[tokio::test]
async fn par_02_request_uri_is_single_use_and_unknown_ones_are_pages() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "diary").await;
    let uri = request_uri(&app, &rp).await;
    let first = get(&authorize_with(&app, "diary", &uri, &[])).await;
    assert!(location(&first).starts_with("/login?flow="), "the first use starts the login");
    assert_error_page(get(&authorize_with(&app, "diary", &uri, &[])).await, "reused").await;
    let unknown = "urn:ietf:params:oauth:request_uri:unknown";
    assert_error_page(get(&authorize_with(&app, "diary", unknown, &[])).await, "unknown").await;
    assert_error_page(get(&authorize_with(&app, "diary", "https://rp.example/req", &[])).await, "foreign").await;
    assert_error_page(get(&authorize_with(&app, "nobody", &uri, &[])).await, "unknown client").await;
}

#[tokio::test]
async fn par_03_expired_request_uri_is_a_page() {
    let app = TestApp::spawn_with(|c| c.tokens.par_ttl_secs = 30, true).await;
    let rp = Rp::confidential(&app, "diary").await;
    let a = push(&app, &rp, &[]).await;
    assert_eq!(a.json["expires_in"], json!(30), "tokens.par_ttl_secs");
    let uri = a.str("request_uri");
    app.clock.as_ref().unwrap().advance(30);
    assert_error_page(get(&authorize_with(&app, "diary", &uri, &[])).await, "expired").await;
    // Within its lifetime it works.
    let uri = request_uri(&app, &rp).await;
    app.clock.as_ref().unwrap().advance(29);
    assert!(location(&get(&authorize_with(&app, "diary", &uri, &[])).await).starts_with("/login?flow="));
}

#[tokio::test]
async fn par_04_another_clients_request_uri_is_a_page_and_not_spent() {
    let app = TestApp::spawn().await;
    let diary = Rp::confidential(&app, "diary").await;
    let _other = Rp::confidential(&app, "other").await;
    let uri = request_uri(&app, &diary).await;
    assert_error_page(get(&authorize_with(&app, "other", &uri, &[])).await, "other client").await;
    let res = get(&authorize_with(&app, "diary", &uri, &[])).await;
    assert!(location(&res).starts_with("/login?flow="), "still usable by the client that pushed it");
}

#[tokio::test]
async fn par_05_push_needs_the_clients_authentication() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "diary").await;
    let anonymous = Rp { secret: None, ..rp.clone() };
    push(&app, &anonymous, &[]).await.assert_error(401, "invalid_client", "client_id only");
    let wrong = Rp { secret: Some("wrong-secret".into()), ..rp.clone() };
    let a = push(&app, &wrong, &[]).await;
    a.assert_error(401, "invalid_client", "wrong secret");
    assert!(a.header("www-authenticate").is_some_and(|h| h.starts_with("Basic")), "a Basic challenge");
    let post = Rp { post: true, ..rp.clone() };
    push(&app, &post, &[]).await.assert_error(401, "invalid_client", "post for a basic client");
    let nobody = Rp { id: "nobody".into(), secret: None, ..rp.clone() };
    push(&app, &nobody, &[]).await.assert_error(401, "invalid_client", "unknown client");
    let form = pushed(&app, &rp, &[]);
    let res = reqwest::Client::new().post(app.url("/par")).form(&form).send().await.unwrap();
    Answer::of(res).await.assert_error(401, "invalid_client", "no authentication at all");
}

#[tokio::test]
async fn par_06_push_gets_the_checks_of_authorize() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "diary").await;
    let cases: [(&[Change], &str, &str); 9] = [
        (&[("request_uri", Some("urn:ietf:params:oauth:request_uri:x"))], "invalid_request", "request_uri (§2.1)"),
        (&[("redirect_uri", Some("https://evil.example/cb"))], "invalid_request", "unregistered redirect_uri"),
        (&[("redirect_uri", None)], "invalid_request", "no redirect_uri"),
        (&[("response_type", Some("token"))], "unsupported_response_type", "response_type"),
        (&[("scope", Some("profile"))], "invalid_scope", "no openid"),
        (&[("code_challenge", None)], "invalid_request", "no PKCE"),
        (&[("code_challenge_method", Some("plain"))], "invalid_request", "plain PKCE"),
        (&[("resource", Some("https://api.example/"))], "invalid_target", "unregistered resource"),
        (&[("prompt", Some("none login"))], "invalid_request", "prompt"),
    ];
    for (changes, code, what) in cases {
        let a = push(&app, &rp, changes).await;
        a.assert_error(400, code, what);
        assert_eq!(a.header("cache-control"), Some("no-store"), "{what}");
    }
    let mut form = pushed(&app, &rp, &[]);
    form.push(("state".into(), "again".into()));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    rp.call(&app, "/par", &form).await.assert_error(400, "invalid_request", "a repeated parameter");
}

#[tokio::test]
async fn par_07_client_requiring_par_refused_without_it() {
    let app = TestApp::spawn().await;
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: "strict".into(),
            redirect_uris: vec![RP_CB.into()],
            require_par: true,
            ..Default::default()
        })
        .await;
    let rp = Rp { id: "strict".into(), secret, redirect: RP_CB.into(), post: false };
    assert_error_page(get(&rp.authorize(&app, "openid")).await, "plain /authorize").await;
    let uri = request_uri(&app, &rp).await;
    assert!(location(&get(&authorize_with(&app, "strict", &uri, &[])).await).starts_with("/login?flow="));
    // Other clients are not affected.
    let other = Rp::confidential(&app, "diary").await;
    assert!(location(&get(&other.authorize(&app, "openid")).await).starts_with("/login?flow="));
}

#[tokio::test]
async fn par_08_installation_switch_requires_par_for_every_client() {
    let app = TestApp::spawn_with(|c| c.tokens.require_par = true, false).await;
    assert_eq!(discovery(&app).await["require_pushed_authorization_requests"], json!(true));
    let rp = Rp::confidential(&app, "diary").await;
    assert_error_page(get(&rp.authorize(&app, "openid")).await, "plain /authorize").await;
    let uri = request_uri(&app, &rp).await;
    let back = login_for_code(&app, &browser(), &authorize_with(&app, "diary", &uri, &[]), "ivanova.mp").await;
    assert_eq!(rp.exchange(&app, &query_param(&back, "code").unwrap()).await.status, 200);
}

#[tokio::test]
async fn par_09_parallel_uses_of_one_request_uri_one_wins() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "diary").await;
    let uri = request_uri(&app, &rp).await;
    let url = authorize_with(&app, "diary", &uri, &[]);
    let tries: Vec<_> = (0..8).map(|_| tokio::spawn(get_owned(url.clone()))).collect();
    let mut won = 0;
    for t in tries {
        let status = t.await.unwrap();
        match status {
            302 | 303 => won += 1,
            400..=499 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(won, 1, "one of 8 parallel uses goes on to the login");
}

async fn get_owned(url: String) -> u16 {
    get(&url).await.status().as_u16()
}
