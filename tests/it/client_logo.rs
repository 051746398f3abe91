//! A client's logo (OIDC Registration §2 `logo_uri`): the consent page shows it with
//! the display name as `alt`, and that response alone lets images come from the
//! logo's origin (`img-src`); the login page and a client without a logo keep the
//! default policy. A `logo_uri` that is no plain https URL — a quote, `javascript:`,
//! a user name — is refused by the CLI (exit 2), the admin API (400) and the console
//! (the form again), nothing stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::signed_in;
use crate::admin_api::{Api, system_admin};
use crate::common::*;
use crate::esia_support::page;
use crate::support::*;
use propusk::cli::{AddClient, CliError, UpdateArgs, clients_add, clients_update};
use propusk::web::headers::{CONTENT_SECURITY_POLICY, ImageOrigin, content_security_policy};
use serde_json::json;

const LOGO: &str = "https://cdn.example:8443/logos/diary.png?v=2";
const LOGO_ORIGIN: &str = "https://cdn.example:8443";
/// Refused at registration: a quote (an attribute's end), scripts, data, plain http,
/// a user name, a fragment, a host a CSP source list could not name.
const BAD: [&str; 8] = [
    "https://cdn.example/a\"onerror=\"alert(1)",
    "https://cdn.example/a'b.png",
    "javascript:alert(1)",
    "data:image/svg+xml,<svg/>",
    "http://cdn.example/logo.png",
    "https://user:pw@cdn.example/logo.png",
    "https://cdn.example/logo.png#x",
    "https://cdn;script-src.example/logo.png",
];

fn csp(res: &reqwest::Response) -> String {
    res.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

async fn explicit(app: &TestApp, id: &str, logo: Option<&str>) {
    app.add_client(AddClient {
        id: id.into(),
        redirect_uris: vec![RP_CB.into()],
        consent: Some("explicit".into()),
        display_name: Some("Электронный дневник".into()),
        logo_uri: logo.map(str::to_owned),
        ..Default::default()
    })
    .await;
}

/// The login page's answer and the consent page's, for one browser signing in to `id`.
async fn login_then_consent(app: &TestApp, id: &str) -> (reqwest::Response, reqwest::Response) {
    let http = browser();
    let to_login = location(&http.get(authz(app, id, RP_CB, &[])).send().await.unwrap());
    let login = http.get(app.url(&to_login)).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let res = submit_login(&http, &app.base, &to_login, "ivanova.mp", PASSWORD).await;
    let to_consent = location(&res);
    assert!(to_consent.starts_with("/consent?flow="), "{to_consent}");
    let consent = http.get(app.url(&to_consent)).send().await.unwrap();
    assert_eq!(consent.status(), 200);
    (login, consent)
}

#[tokio::test]
async fn az_12_the_consent_page_shows_the_logo_and_allows_exactly_its_origin() {
    let app = TestApp::spawn().await;
    explicit(&app, "logo-rp", Some(LOGO)).await;
    let (login, consent) = login_then_consent(&app, "logo-rp").await;
    let want = content_security_policy(ImageOrigin::new(LOGO_ORIGIN).as_ref());
    assert_eq!(csp(&consent), want);
    assert!(want.contains(&format!("img-src 'self' data: {LOGO_ORIGIN};")), "{want}");
    assert_eq!(csp(&consent).matches("https://").count(), 1, "one origin, never a wildcard");
    let html = consent.text().await.unwrap();
    let img = "<img class=\"client-logo\" src=\"https://cdn.example:8443/logos/diary.png?v=2\" \
               alt=\"Электронный дневник\" width=\"64\" height=\"64\" referrerpolicy=\"no-referrer\">";
    assert!(html.contains(img), "{html}");
    assert_eq!(csp(&login), CONTENT_SECURITY_POLICY, "the login page of that very client: the default policy");
}

#[tokio::test]
async fn az_12_the_login_page_never_carries_the_logo_origin() {
    let app = TestApp::spawn().await;
    explicit(&app, "logo-rp", Some(LOGO)).await;
    // After a consent page with the logo, every other page answers the default policy.
    let (_, consent) = login_then_consent(&app, "logo-rp").await;
    assert!(csp(&consent).contains(LOGO_ORIGIN));
    let http = browser();
    for path in ["/login", "/demo", "/account", "/.well-known/openid-configuration"] {
        let res = http.get(app.url(path)).send().await.unwrap();
        assert!(!csp(&res).contains("cdn.example"), "{path}: {}", csp(&res));
    }
    let to_login = location(&http.get(authz(&app, "logo-rp", RP_CB, &[])).send().await.unwrap());
    let res = http.get(app.url(&to_login)).send().await.unwrap();
    assert_eq!(csp(&res), CONTENT_SECURITY_POLICY, "{to_login}");
}

#[tokio::test]
async fn a_client_without_a_logo_keeps_the_default_policy() {
    let app = TestApp::spawn().await;
    explicit(&app, "plain-rp", None).await;
    let (_, consent) = login_then_consent(&app, "plain-rp").await;
    assert_eq!(csp(&consent), CONTENT_SECURITY_POLICY);
    let html = consent.text().await.unwrap();
    assert!(!html.contains("<img"), "no logo, no image");
    assert!(html.contains("Электронный дневник"));
}

#[tokio::test]
async fn a_logo_uri_with_a_quote_or_javascript_is_refused_at_registration() {
    let app = TestApp::spawn().await;
    for bad in BAD {
        let args = AddClient { id: "bad-logo".into(), redirect_uris: vec![RP_CB.into()], ..Default::default() };
        let refused = clients_add(&app.config, AddClient { logo_uri: Some(bad.into()), ..args }).await;
        assert!(matches!(refused, Err(CliError::Usage(ref m)) if m.starts_with("--logo-uri")), "{bad}: {refused:?}");
    }
    let long = format!("https://cdn.example/{}", "a".repeat(2000));
    let args = AddClient {
        id: "bad-logo".into(),
        redirect_uris: vec![RP_CB.into()],
        logo_uri: Some(long),
        ..Default::default()
    };
    assert!(matches!(clients_add(&app.config, args).await, Err(CliError::Usage(_))), "over 2000 characters");
    assert!(app.app().store.client("bad-logo").await.unwrap().is_none(), "nothing stored");

    // `clients update --logo-uri` / `--clear-logo-uri`.
    let args = AddClient { id: "rp".into(), redirect_uris: vec![RP_CB.into()], ..Default::default() };
    let shown = clients_add(&app.config, AddClient { logo_uri: Some(LOGO.into()), ..args }).await.unwrap();
    assert_eq!(shown["logo_uri"], LOGO);
    let update = |logo: Option<&str>, clear: bool| UpdateArgs {
        id: "rp".into(),
        logo_uri: logo.map(str::to_owned),
        clear_logo_uri: clear,
        ..Default::default()
    };
    for bad in BAD {
        let refused = clients_update(&app.config, &update(Some(bad), false)).await;
        assert!(matches!(refused, Err(CliError::Usage(ref m)) if m.starts_with("--logo-uri")), "{bad}");
    }
    assert!(matches!(clients_update(&app.config, &update(Some(""), false)).await, Err(CliError::Usage(_))));
    let stored = || async { app.app().store.client("rp").await.unwrap().unwrap().logo_uri };
    assert_eq!(stored().await.as_deref(), Some(LOGO), "refusals store nothing");
    let shown = clients_update(&app.config, &update(None, true)).await.unwrap();
    assert!(shown.get("logo_uri").is_none(), "{shown}");
    assert_eq!(stored().await, None, "cleared");
}

#[tokio::test]
async fn the_admin_api_checks_sets_and_removes_the_logo() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    let admin = system_admin(&app).await;
    for bad in BAD {
        let body = json!({"id": "shop", "redirect_uris": [RP_CB], "logo_uri": bad});
        let (s, problem) = api.call(&app, &admin, "POST", "/admin/api/v1/clients", Some(body)).await;
        assert_eq!(s, 400, "{bad}: {problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with("logo-uri:"), "{problem}");
    }
    assert!(app.app().store.client("shop").await.unwrap().is_none());
    let body = json!({"id": "shop", "redirect_uris": [RP_CB], "logo_uri": LOGO});
    let (s, created) = api.call(&app, &admin, "POST", "/admin/api/v1/clients", Some(body)).await;
    assert_eq!((s, created["client"]["logo_uri"].as_str()), (201, Some(LOGO)), "{created}");
    let (s, problem) =
        api.call(&app, &admin, "PATCH", "/admin/api/v1/clients/shop", Some(json!({"logo_uri": BAD[2]}))).await;
    assert_eq!(s, 400, "{problem}");
    let (s, shown) = api.call(&app, &admin, "GET", "/admin/api/v1/clients/shop", None).await;
    assert_eq!((s, shown["logo_uri"].as_str()), (200, Some(LOGO)), "kept");
    let (s, changed) =
        api.call(&app, &admin, "PATCH", "/admin/api/v1/clients/shop", Some(json!({"display_name": "Shop"}))).await;
    assert_eq!((s, changed["logo_uri"].as_str()), (200, Some(LOGO)), "not named: kept");
    let (s, changed) =
        api.call(&app, &admin, "PATCH", "/admin/api/v1/clients/shop", Some(json!({"logo_uri": ""}))).await;
    assert_eq!((s, changed["logo_uri"].is_null()), (200, true), "{changed}");
}

#[tokio::test]
async fn the_console_form_refuses_a_bad_logo_and_stores_a_good_one() {
    let app = TestApp::spawn().await;
    let change = propusk::cli::RoleChange { login: "admin1".into(), role: "system-admin".into(), org: None };
    propusk::cli::staff_grant(&app.config, &change).await.unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;

    let (_, html) = page(&app, &admin, "/admin/clients/new").await;
    let csrf = hidden(&html, "csrf").unwrap();
    let new = |id: &str, logo: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("id", id.to_owned()),
            ("public", "on".to_owned()),
            ("redirect_uris", RP_CB.to_owned()),
            ("consent", "explicit".to_owned()),
            ("logo_uri", logo.to_owned()),
        ]
    };
    let res = admin.post(app.url("/admin/clients/new")).form(&new("shop", BAD[0])).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Логотип"), "the form names the field");
    assert!(app.app().store.client("shop").await.unwrap().is_none(), "nothing stored");
    let res = admin.post(app.url("/admin/clients/new")).form(&new("shop", LOGO)).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let stored = || async { app.app().store.client("shop").await.unwrap().unwrap().logo_uri };
    assert_eq!(stored().await.as_deref(), Some(LOGO));

    let (status, html) = page(&app, &admin, "/admin/clients/shop").await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"https://cdn.example:8443/logos/diary.png?v=2\""), "shown in the form");
    let csrf = hidden(&html, "csrf").unwrap();
    let edit = |logo: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("redirect_uris", RP_CB.to_owned()),
            ("grant_types", "authorization_code refresh_token".to_owned()),
            ("consent", "explicit".to_owned()),
            ("id_token_alg", "RS256".to_owned()),
            ("logo_uri", logo.to_owned()),
        ]
    };
    let res = admin.post(app.url("/admin/clients/shop")).form(&edit("javascript:alert(1)")).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Логотип"));
    assert_eq!(stored().await.as_deref(), Some(LOGO), "kept");
    assert_eq!(admin.post(app.url("/admin/clients/shop")).form(&edit("")).send().await.unwrap().status(), 200);
    assert_eq!(stored().await, None, "an empty field removes it");
}
