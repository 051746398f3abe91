//! RP-initiated logout (security-checklist §1.L): a valid hint and a registered
//! URI sign out and redirect with `state`; anything forged, foreign, unregistered
//! or missing gets the «Выйти из системы?» page and no redirect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use base64::Engine as _;

/// A signed-in browser and an ID token of `rp` for it.
async fn signed_in(app: &TestApp, rp: &Rp) -> (reqwest::Client, String) {
    let http = browser();
    let code = rp.code_in(app, &http, "openid", "ivanova.mp").await;
    let t = rp.exchange(app, &code).await;
    (http, t.str("id_token"))
}

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&app.url("/logout")).unwrap();
    u.query_pairs_mut().extend_pairs(params.iter());
    u.to_string()
}

/// prompt=none for `rp` in this browser: a code while the session lives.
async fn session_alive(app: &TestApp, http: &reqwest::Client, rp: &Rp) -> bool {
    let res = http.get(authz(app, &rp.id, RP_CB, &[("prompt", Some("none"))])).send().await.unwrap();
    let to = location(&res);
    match query_param(&to, "error").as_deref() {
        None => true,
        Some("login_required") => false,
        Some(other) => panic!("unexpected error {other}: {to}"),
    }
}

#[tokio::test]
async fn lo_01_valid_hint_and_registered_uri_redirect_with_state_and_end_the_session() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "lo01").await;
    let (http, id_token) = signed_in(&app, &rp).await;
    assert!(session_alive(&app, &http, &rp).await);
    let url = logout_url(
        &app,
        &[("id_token_hint", &id_token), ("post_logout_redirect_uri", RP_LOGGED_OUT), ("state", "lo-state")],
    );
    let res = http.get(&url).send().await.unwrap();
    let to = location(&res);
    assert!(to.starts_with(RP_LOGGED_OUT), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("lo-state"));
    assert!(!session_alive(&app, &http, &rp).await, "prompt=none after logout gives login_required");
    // With client_id as well (RPIL §2).
    let (http, id_token) = signed_in(&app, &rp).await;
    let url = logout_url(
        &app,
        &[("id_token_hint", &id_token), ("post_logout_redirect_uri", RP_LOGGED_OUT), ("client_id", "lo01")],
    );
    let res = http.get(&url).send().await.unwrap();
    assert!(location(&res).starts_with(RP_LOGGED_OUT));
    assert!(!session_alive(&app, &http, &rp).await);
}

/// The confirmation page, no redirect.
async fn assert_confirmation_page(res: reqwest::Response, what: &str) {
    let status = res.status().as_u16();
    assert!(!res.headers().contains_key(reqwest::header::LOCATION), "{what}: no redirect");
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{what}");
    assert!(body.contains("Выйти из системы?"), "{what}: the confirmation page");
    assert!(!body.contains("http-equiv=\"refresh\""), "{what}: no meta refresh");
}

#[tokio::test]
async fn lo_02_bad_hints_and_uris_get_the_confirmation_page() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "lo02").await;
    let other = Rp::confidential(&app, "lo02-other").await;
    let (http, id_token) = signed_in(&app, &rp).await;
    let other_token = other.exchange(&app, &other.code_sso(&app, &http, "openid").await).await.str("id_token");

    let parts: Vec<&str> = id_token.split('.').collect();
    let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let mut claims = jwt_claims(&id_token);
    claims["sub"] = "someone-else".into();
    let modified = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    let alg_none = format!("{}.{}.", b64(&serde_json::json!({"alg": "none", "typ": "JWT"})), parts[1]);
    let forged = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..parts[2].len() - 4]);

    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "forged signature",
            vec![("id_token_hint", &forged), ("post_logout_redirect_uri", RP_LOGGED_OUT), ("state", "s")],
        ),
        ("modified claims", vec![("id_token_hint", &modified), ("post_logout_redirect_uri", RP_LOGGED_OUT)]),
        ("alg none", vec![("id_token_hint", &alg_none), ("post_logout_redirect_uri", RP_LOGGED_OUT)]),
        ("garbage hint", vec![("id_token_hint", "garbage"), ("post_logout_redirect_uri", RP_LOGGED_OUT)]),
        ("unregistered uri", vec![("id_token_hint", &id_token), ("post_logout_redirect_uri", "https://evil.example/")]),
        (
            "query-extended uri",
            vec![("id_token_hint", &id_token), ("post_logout_redirect_uri", "https://rp.example/logged-out?x=1")],
        ),
        (
            "trailing slash",
            vec![("id_token_hint", &id_token), ("post_logout_redirect_uri", "https://rp.example/logged-out/")],
        ),
        ("redirect uri instead", vec![("id_token_hint", &id_token), ("post_logout_redirect_uri", RP_CB)]),
        ("no hint", vec![("post_logout_redirect_uri", RP_LOGGED_OUT), ("state", "s")]),
        ("no hint, client_id", vec![("post_logout_redirect_uri", RP_LOGGED_OUT), ("client_id", "lo02")]),
        (
            "hint of another client",
            vec![("id_token_hint", &other_token), ("post_logout_redirect_uri", RP_LOGGED_OUT), ("client_id", "lo02")],
        ),
        (
            "client_id not in aud",
            vec![
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", RP_LOGGED_OUT),
                ("client_id", "lo02-other"),
            ],
        ),
        ("nothing", vec![]),
    ];
    for (what, params) in cases {
        let res = http.get(logout_url(&app, &params)).send().await.unwrap();
        assert_confirmation_page(res, what).await;
        assert!(session_alive(&app, &http, &rp).await, "{what}: the page alone does not sign out");
    }
}
