//! The OpenID Foundation's test modules that no other test here covered
//! (docs/conformance.md): a code flow without `nonce`, scopes in another order,
//! `prompt=none` with the session's own `id_token_hint`, and RP-initiated logout
//! without `state` or without a `post_logout_redirect_uri`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

/// A code from `url` in a browser without a session (login form, then back to the RP).
async fn code_from(app: &TestApp, http: &reqwest::Client, url: &str) -> String {
    let back = login_for_code(app, http, url, "ivanova.mp").await;
    assert!(back.starts_with(RP_CB), "back to the client: {back}");
    query_param(&back, "code").expect("a code")
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow: the ID token then
/// carries no `nonce`.
#[tokio::test]
async fn oidcc_code_flow_without_nonce_succeeds() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "cf-nonce").await;
    let code = code_from(&app, &browser(), &authz(&app, &rp.id, RP_CB, &[("nonce", None)])).await;
    let t = rp.exchange(&app, &code).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let claims = jwt_claims(&t.str("id_token"));
    assert!(claims.get("nonce").is_none(), "no nonce asked, none given: {claims}");
}

/// oidcc-ensure-other-scope-order-succeeds: `profile openid` is the same request.
#[tokio::test]
async fn oidcc_other_scope_order_succeeds() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "cf-order").await;
    let code = code_from(&app, &browser(), &authz(&app, &rp.id, RP_CB, &[("scope", Some("profile openid"))])).await;
    let t = rp.exchange(&app, &code).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let scope = t.str("scope");
    assert!(scope.split(' ').any(|s| s == "openid") && scope.split(' ').any(|s| s == "profile"), "{scope}");
}

/// oidcc-id-token-hint: `prompt=none` with the ID token the session gave answers
/// with a code at once.
#[tokio::test]
async fn oidcc_prompt_none_with_the_sessions_id_token_hint_gives_a_code() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "cf-hint").await;
    let http = browser();
    let first = rp.exchange(&app, &code_from(&app, &http, &rp.authorize(&app, "openid")).await).await;
    let hint = first.str("id_token");
    let url = authz(&app, &rp.id, RP_CB, &[("prompt", Some("none")), ("id_token_hint", Some(&hint))]);
    let back = location(&http.get(url).send().await.unwrap());
    assert!(back.starts_with(RP_CB), "{back}");
    let code = query_param(&back, "code").expect("a code, no page");
    assert_eq!(rp.exchange(&app, &code).await.status, 200);
}

/// oidcc-rp-initiated-logout-no-state and -no-post-logout-redirect-uri: without
/// `state` the redirect carries none; without a URI the person confirms «Выйти» on
/// propusk's page; the session ends either way.
#[tokio::test]
async fn oidcc_rp_initiated_logout_without_state_or_without_a_return_uri() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "cf-logout").await;
    for with_uri in [true, false] {
        let http = browser();
        let t = rp.exchange(&app, &code_from(&app, &http, &rp.authorize(&app, "openid")).await).await;
        let mut url = url::Url::parse(&app.url("/logout")).unwrap();
        url.query_pairs_mut().append_pair("id_token_hint", &t.str("id_token"));
        if with_uri {
            url.query_pairs_mut().append_pair("post_logout_redirect_uri", RP_LOGGED_OUT);
        }
        let res = http.get(url.as_str()).send().await.unwrap();
        if with_uri {
            let to = location(&res);
            assert!(to.starts_with(RP_LOGGED_OUT), "{to}");
            assert_eq!(query_param(&to, "state"), None, "no state asked, none added");
        } else {
            assert_eq!(res.status(), 200);
            let html = res.text().await.unwrap();
            assert!(html.contains("Выйти из системы?"), "nowhere to return to: the confirmation page");
            let form = [("csrf", hidden(&html, "csrf").unwrap()), ("id_token_hint", t.str("id_token"))];
            let res = http.post(app.url("/logout")).form(&form).send().await.unwrap();
            assert_eq!(res.status(), 200, "the signed-out page");
        }
        let again = http.get(rp.authorize(&app, "openid")).send().await.unwrap();
        assert!(location(&again).starts_with("/login"), "the session ended (with_uri: {with_uri})");
    }
}
