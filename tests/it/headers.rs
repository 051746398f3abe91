//! Login and consent pages against framing, leaks and CSRF (AZ-12): security
//! headers on every page of the journey, and form POSTs refused without a valid
//! anti-CSRF token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

fn assert_page_headers(res: &reqwest::Response, what: &str) {
    let h = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(
        h("content-security-policy").contains("frame-ancestors 'none'"),
        "{what}: CSP `{}`",
        h("content-security-policy")
    );
    assert!(!h("content-security-policy").contains("unsafe-inline"), "{what}: no unsafe-inline");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
    assert!(h("cache-control").contains("no-store"), "{what}: Cache-Control `{}`", h("cache-control"));
}

#[tokio::test]
async fn az_12_login_and_consent_pages_send_security_headers() {
    let app = TestApp::spawn().await;
    app.add_client(propusk::cli::AddClient {
        id: "az12-explicit".into(),
        redirect_uris: vec![RP_CB.into()],
        consent: Some("explicit".into()),
        ..Default::default()
    })
    .await;
    let http = browser();
    let res = http.get(authz(&app, "az12-explicit", RP_CB, &[])).send().await.unwrap();
    assert_page_headers(&res, "authorize redirect");
    let to_login = location(&res);
    let page = http.get(app.url(&to_login)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_page_headers(&page, "login page");
    let html = page.text().await.unwrap();
    for third_party in
        ["<script src=\"http", "<script src=\"//", "<img src=\"http", "<link rel=\"stylesheet\" href=\"http"]
    {
        assert!(!html.contains(third_party), "no third-party resources: {third_party}");
    }
    let res = submit_login(&http, &app.base, &to_login, "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let to_consent = location(&res);
    assert!(to_consent.starts_with("/consent?flow="), "{to_consent}");
    let page = http.get(app.url(&to_consent)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_page_headers(&page, "consent page");
    let html = page.text().await.unwrap();
    assert!(hidden(&html, "csrf").is_some(), "the consent form carries a CSRF token");
    // Error pages too.
    let res = http.get(authz(&app, "no-such-client", RP_CB, &[])).send().await.unwrap();
    assert_page_headers(&res, "error page");
}

#[tokio::test]
async fn az_12_login_post_without_valid_csrf_is_refused() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "az12-csrf").await;
    let http = browser();
    let to_login = location(&http.get(rp.authorize(&app, "openid")).send().await.unwrap());
    let html = http.get(app.url(&to_login)).send().await.unwrap().text().await.unwrap();
    let flow = hidden(&html, "flow").unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let base = [
        ("org_kind", "school"),
        ("org", SCHOOL1),
        ("login", "ivanova.mp"),
        ("password", PASSWORD),
        ("flow", flow.as_str()),
    ];
    let post = |http: reqwest::Client, extra: Option<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = base.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        if let Some(e) = extra {
            form.push(e);
        }
        let url = app.url("/login");
        async move { http.post(url).form(&form).send().await.unwrap() }
    };
    // No token, a wrong token, and the right token from a browser without the cookie.
    let res = post(http.clone(), None).await;
    assert_eq!(res.status(), 403, "no CSRF token");
    assert!(!res.headers().contains_key("location"));
    let res = post(http.clone(), Some(("csrf", "forged-token".into()))).await;
    assert_eq!(res.status(), 403, "wrong CSRF token");
    let res = post(
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        Some(("csrf", csrf.clone())),
    )
    .await;
    assert_eq!(res.status(), 403, "a cross-site POST has the token but not the browser cookie");
    // The refused attempts did not sign anyone in; the real form still works.
    let res = post(http.clone(), Some(("csrf", csrf))).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with(RP_CB));
}
