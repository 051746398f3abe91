//! The authorization endpoint under attack (security-checklist §1.A): exact
//! redirect URI matching, error pages versus error redirects, `iss`, repeated
//! parameters, GET and POST, 303 after POST, loopback clients, and `prompt`/`max_age`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

/// Parameter changes for [`authz`].
type Changes<'a> = &'a [(&'a str, Option<&'a str>)];

#[tokio::test]
async fn az_01_near_miss_redirect_uris_get_an_error_page() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rp-az01").await;
    let http = browser();
    for bad in [
        "https://rp.example/cb/",
        "https://rp.example/cb?x=1",
        "https://rp.example/cb#frag",
        "HTTPS://RP.EXAMPLE/CB",
        "https://RP.example/cb",
        "https://rp.example/CB",
        "https://rp.example/%2e%2e/cb",
        "https://rp.example/cb/%2e%2e/cb",
        "https://rp.example/cb/..;/",
        "https://rp.example/cb/..;/evil",
        "https://rp.example@evil.example/cb",
        "https://user@rp.example/cb",
        "https://rp.example:8443/cb",
        "https://rp.example:443/cb",
        "http://rp.example/cb",
        "https://xn--rp-example-9ja.example/cb",
        "https://rp.example/c",
        "https://rp.example/cb2",
        " https://rp.example/cb",
    ] {
        let res = http.get(authorize_url(&app, &rp.id, bad, "openid", "")).send().await.unwrap();
        assert_error_page(res, bad).await;
    }
    // The registered value itself still works.
    let res = http.get(rp.authorize(&app, "openid")).send().await.unwrap();
    assert!(location(&res).starts_with("/login?flow="));
}

#[tokio::test]
async fn az_02_unknown_client_or_missing_redirect_uri_no_redirect() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rp-az02").await;
    let http = browser();
    let cases = [
        ("unknown client", authz(&app, "no-such-client", RP_CB, &[])),
        ("missing client_id", authz(&app, "x", RP_CB, &[("client_id", None)])),
        ("empty client_id", authz(&app, "", RP_CB, &[])),
        ("missing redirect_uri", authz(&app, &rp.id, RP_CB, &[("redirect_uri", None)])),
        ("empty redirect_uri", authz(&app, &rp.id, "", &[])),
        ("unregistered redirect_uri", authz(&app, &rp.id, "https://evil.example/cb", &[])),
        // Even with other errors present, an untrusted redirect URI is never used.
        (
            "bad redirect + bad response_type",
            authz(&app, &rp.id, "https://evil.example/cb", &[("response_type", Some("token"))]),
        ),
    ];
    for (what, url) in cases {
        let res = http.get(&url).send().await.unwrap();
        assert_error_page(res, what).await;
        let res = http
            .post(app.url("/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query_of(&url))
            .send()
            .await
            .unwrap();
        assert_error_page(res, &format!("POST {what}")).await;
    }
}

#[tokio::test]
async fn az_03_errors_after_validation_go_back_with_state_and_iss() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-az03").await;
    let http = browser();
    let cases: [(&str, Changes, &str); 7] = [
        ("response_type=token", &[("response_type", Some("token"))], "unsupported_response_type"),
        ("response_type=code id_token", &[("response_type", Some("code id_token"))], "unsupported_response_type"),
        ("no response_type", &[("response_type", None)], "invalid_request"),
        ("scope without openid", &[("scope", Some("profile email"))], "invalid_scope"),
        ("plain PKCE", &[("code_challenge_method", Some("plain"))], "invalid_request"),
        ("prompt=none login", &[("prompt", Some("none login"))], "invalid_request"),
        ("prompt=none without a session", &[("prompt", Some("none"))], "login_required"),
    ];
    for (what, changes, error) in cases {
        let res = http.get(authz(&app, &rp.id, RP_CB, changes)).send().await.unwrap();
        assert_eq!(res.status(), 302, "{what}");
        assert_error_redirect(&app, &res, RP_CB, error, what);
    }
}

#[tokio::test]
async fn az_04_iss_on_success_and_error_and_in_discovery() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-az04").await;
    let http = browser();
    let back = login_for_code(&app, &http, &rp.authorize(&app, "openid"), "ivanova.mp").await;
    assert_eq!(query_param(&back, "iss").as_deref(), Some(app.base.as_str()), "success: {back}");
    assert!(query_param(&back, "code").is_some());
    assert_eq!(query_param(&back, "state").as_deref(), Some("st-123"));
    // SSO answer (no UI) carries iss too.
    let res = http.get(rp.authorize(&app, "openid")).send().await.unwrap();
    assert_eq!(query_param(&location(&res), "iss").as_deref(), Some(app.base.as_str()));
    // Error answer.
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("response_type", Some("token"))])).send().await.unwrap();
    assert_error_redirect(&app, &res, RP_CB, "unsupported_response_type", "error");
    let disco: serde_json::Value =
        http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(disco["authorization_response_iss_parameter_supported"], true);
    assert_eq!(disco["issuer"], app.base.as_str());
}

#[tokio::test]
async fn az_07_repeated_parameters_are_rejected() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-az07").await;
    let http = browser();
    let base = rp.authorize(&app, "openid");
    // Client and redirect URI cannot be trusted when repeated: a page.
    for extra in ["&client_id=rp-az07", "&client_id=demo-diary", "&redirect_uri=https%3A%2F%2Frp.example%2Fcb"] {
        let res = http.get(format!("{base}{extra}")).send().await.unwrap();
        assert_error_page(res, extra).await;
    }
    // Anything else: invalid_request back to the client.
    for extra in [
        "&scope=openid",
        "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "&response_type=code",
        "&nonce=x",
    ] {
        let res = http.get(format!("{base}{extra}")).send().await.unwrap();
        assert_error_redirect(&app, &res, RP_CB, "invalid_request", extra);
    }
    // A repeated state is not echoed (neither the first nor the last).
    let res = http.get(format!("{base}&state=other")).send().await.unwrap();
    let to = location(&res);
    assert!(to.starts_with(RP_CB), "{to}");
    assert_eq!(query_param(&to, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_param(&to, "iss").as_deref(), Some(app.base.as_str()));
    // At the token endpoint as well.
    let a = rp.call(&app, "/token", &[("grant_type", "authorization_code"), ("code", "a"), ("code", "b")]).await;
    a.assert_error(400, "invalid_request", "repeated code at /token");
}

#[tokio::test]
async fn az_08_post_authorize_works() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-az08").await;
    let http = browser();
    let res = http
        .post(app.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query_of(&rp.authorize(&app, "openid profile")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a redirect after POST is 303");
    let to_login = location(&res);
    assert!(to_login.starts_with("/login?flow="), "{to_login}");
    let res = submit_login(&http, &app.base, &to_login, "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert!(back.starts_with(RP_CB), "{back}");
    let code = query_param(&back, "code").unwrap();
    let t = rp.exchange(&app, &code).await;
    assert_eq!(t.status, 200, "{}", t.text);
    // POST with a session answers at once (303), and POST errors come back the same way.
    let res = http
        .post(app.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query_of(&rp.authorize(&app, "openid")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(query_param(&location(&res), "code").is_some());
    let res = http
        .post(app.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query_of(&authz(&app, &rp.id, RP_CB, &[("response_type", Some("token"))])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_error_redirect(&app, &res, RP_CB, "unsupported_response_type", "POST error");
}

#[tokio::test]
async fn az_09_login_post_answers_303_never_307() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-az09").await;
    let http = browser();
    let res = http.get(rp.authorize(&app, "openid")).send().await.unwrap();
    assert_eq!(res.status(), 302, "a redirect after GET is 302");
    let to_login = location(&res);
    let res = submit_login(&http, &app.base, &to_login, "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 303, "credentials were POSTed: 303, never 307");
    assert!(location(&res).starts_with(RP_CB));
    // Also without a flow (plain sign-in): 303.
    let http = browser();
    let res = submit_login(&http, &app.base, "/login", "ivanov.is", PASSWORD).await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn az_10_loopback_client_any_port_but_exact_rest() {
    let app = TestApp::spawn().await;
    // `localhost` cannot be registered at all (AZ-13: loopback means an IP literal).
    let rp = Rp::register(&app, "native-az10", true, vec!["http://127.0.0.1/cb".into()]).await;
    let http = browser();
    // Any port on 127.0.0.1: the whole journey works with that port.
    let redirect = "http://127.0.0.1:53124/cb";
    let back = login_for_code(&app, &http, &authorize_url(&app, &rp.id, redirect, "openid", ""), "ivanova.mp").await;
    assert!(back.starts_with(redirect), "{back}");
    let code = query_param(&back, "code").unwrap();
    let t = rp.exchange_with(&app, &code, Some(redirect), Some(VERIFIER)).await;
    assert_eq!(t.status, 200, "{}", t.text);
    // Later requests use prompt=none: the answer goes back to the redirect URI (here
    // `consent_required`, NA-04), which shows the URI was accepted.
    let res =
        http.get(authorize_url(&app, &rp.id, "http://127.0.0.1:1/cb", "openid", "&prompt=none")).send().await.unwrap();
    assert!(location(&res).starts_with("http://127.0.0.1:1/cb?"), "another port is fine");
    for bad in [
        "http://127.0.0.1:53124/cb?x=1",
        "http://127.0.0.1/cb?x=1",
        "http://127.0.0.1:53124/cb/",
        "http://127.0.0.1:53124/other",
        "https://127.0.0.1:53124/cb",
        "http://127.0.0.2:53124/cb",
        "http://localhost:53124/cb",
        "http://[::1]:53124/cb",
        "http://127.0.0.1.evil.example/cb",
        "http://127.0.0.1@evil.example/cb",
        "http://127.0.0.1:53124@evil.example/cb",
    ] {
        let res = http.get(authorize_url(&app, &rp.id, bad, "openid", "")).send().await.unwrap();
        assert_error_page(res, bad).await;
    }
}

#[tokio::test]
async fn az_11_prompt_none_without_and_with_a_session() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-az11").await;
    let http = browser();
    let none = authz(&app, &rp.id, RP_CB, &[("prompt", Some("none"))]);
    let res = http.get(&none).send().await.unwrap();
    assert_error_redirect(&app, &res, RP_CB, "login_required", "prompt=none without session");
    // Sign in once; then prompt=none gives a code with no page.
    rp.code_in(&app, &http, "openid", "ivanova.mp").await;
    let res = http.get(&none).send().await.unwrap();
    let to = location(&res);
    assert!(to.starts_with(RP_CB), "{to}");
    let code = query_param(&to, "code").expect("code without UI");
    assert_eq!(rp.exchange(&app, &code).await.status, 200);
    // prompt=login forces the login page even with a session.
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("prompt", Some("login"))])).send().await.unwrap();
    assert!(location(&res).starts_with("/login?flow="), "prompt=login shows the login page");
    // prompt=none combined with another value.
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("prompt", Some("none consent"))])).send().await.unwrap();
    assert_error_redirect(&app, &res, RP_CB, "invalid_request", "prompt=none consent");
}

#[tokio::test]
async fn az_11_prompt_login_and_max_age_force_reauthentication() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    let clock = app.clock.clone().unwrap();
    let rp = Rp::public(&app, "rp-az11b").await;
    let http = browser();
    let code = rp.code_in(&app, &http, "openid", "ivanova.mp").await;
    let first = rp.exchange(&app, &code).await;
    let t0 = jwt_claims(&first.str("id_token"))["auth_time"].as_i64().expect("auth_time");
    clock.advance(120);
    // max_age not exceeded: code at once; its ID token carries auth_time (AZ-11).
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("max_age", Some("600"))])).send().await.unwrap();
    let code = query_param(&location(&res), "code").expect("max_age not exceeded: no login");
    let t = rp.exchange(&app, &code).await;
    assert_eq!(jwt_claims(&t.str("id_token"))["auth_time"].as_i64(), Some(t0));
    // max_age exceeded: the login page.
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("max_age", Some("60"))])).send().await.unwrap();
    let to_login = location(&res);
    assert!(to_login.starts_with("/login?flow="), "max_age exceeded: {to_login}");
    let res = submit_login(&http, &app.base, &to_login, "ivanova.mp", PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t = rp.exchange(&app, &code).await;
    let t1 = jwt_claims(&t.str("id_token"))["auth_time"].as_i64().unwrap();
    assert!(t1 >= t0 + 120, "a new authentication: auth_time {t1} after {t0}");
    // prompt=login: a new login and a later auth_time.
    clock.advance(30);
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("prompt", Some("login"))])).send().await.unwrap();
    let to_login = location(&res);
    assert!(to_login.starts_with("/login?flow="));
    let res = submit_login(&http, &app.base, &to_login, "ivanova.mp", PASSWORD).await;
    let code = query_param(&location(&res), "code").unwrap();
    let t = rp.exchange(&app, &code).await;
    let t2 = jwt_claims(&t.str("id_token"))["auth_time"].as_i64().unwrap();
    assert!(t2 >= t1 + 30, "prompt=login: auth_time {t2} after {t1}");
}

#[tokio::test]
async fn az_11_display_locales_hints_and_acr_values_never_error() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-az11c").await;
    let extras: &[(&str, Option<&str>)] = &[
        ("display", Some("popup")),
        ("ui_locales", Some("en-US ru")),
        ("claims_locales", Some("de")),
        ("login_hint", Some("ivanova.mp")),
        ("acr_values", Some("urn:example:acr:high")),
        ("id_token_hint", Some("not.a.jwt")),
        ("unknown_parameter", Some("x")),
    ];
    let url = authz(&app, &rp.id, RP_CB, extras);
    // Without a session: the login page, no error.
    let http = browser();
    let back = login_for_code(&app, &http, &url, "ivanova.mp").await;
    assert!(query_param(&back, "code").is_some(), "{back}");
    // With a session: a code at once.
    let res = http.get(&url).send().await.unwrap();
    let to = location(&res);
    assert!(query_param(&to, "code").is_some(), "{to}");
    // Each one alone too.
    for (k, v) in extras {
        let res = http.get(authz(&app, &rp.id, RP_CB, &[(k, *v)])).send().await.unwrap();
        let to = location(&res);
        assert!(query_param(&to, "error").is_none() && query_param(&to, "code").is_some(), "{k}: {to}");
    }
}

/// NA-04 (RFC 8252 §8.6): a public client with a loopback redirect could be another
/// app in disguise, so an existing session is not turned into a code silently: the
/// person confirms on the consent page; `prompt=none` gets `consent_required`.
#[tokio::test]
async fn na_04_native_public_client_confirms_before_sso() {
    let app = TestApp::spawn().await;
    let native = Rp::register(&app, "native-app", true, vec!["http://127.0.0.1/cb".into()]).await;
    let http = browser();
    native.code_in(&app, &http, "openid", "ivanova.mp").await; // signed in within this flow: no extra step

    let res = http.get(native.authorize(&app, "openid")).send().await.unwrap();
    let to_consent = location(&res);
    assert!(to_consent.starts_with("/consent?flow="), "an earlier session needs a confirmation: {to_consent}");
    let html = http.get(app.url(&to_consent)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Разрешить") && html.contains("Отказать"));
    let form = [
        ("flow", hidden(&html, "flow").unwrap()),
        ("csrf", hidden(&html, "csrf").unwrap()),
        ("decision", "allow".to_owned()),
    ];
    let res = http.post(app.url("/consent")).form(&form).send().await.unwrap();
    let back = location(&res);
    assert!(back.starts_with("http://127.0.0.1/cb?code="), "confirmed: {back}");

    let silent = authorize_url(&app, &native.id, &native.redirect, "openid", "&prompt=none");
    let back = location(&http.get(silent).send().await.unwrap());
    assert_eq!(query_param(&back, "error").as_deref(), Some("consent_required"), "{back}");

    // A web client with a claimed https redirect keeps silent SSO.
    let web = Rp::public(&app, "web-app").await;
    web.code_sso(&app, &http, "openid").await;
}
