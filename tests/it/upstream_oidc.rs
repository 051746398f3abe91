//! «Через Госуслуги» through the `[oidc]` upstream (an ESIA gateway or another IdP):
//! a small OpenID Provider of the test's own (`upstream_idp.rs`) on loopback, the
//! whole journey — role choice → provider → matched account → PD consent → code at
//! the relying party — and «Запись не найдена»; an ID token with a wrong `iss`,
//! `aud`, signature or nonce is refused with a page; a replayed state is refused.

use crate::common::*;
use crate::esia_journey::{give_pd_consent, start};
use crate::esia_support::*;
use crate::upstream_idp::*;
use propusk::crypto::SecretString;
use serde_json::{Value, json};

/// propusk in demo mode with `[oidc]` pointing at a fresh provider.
async fn spawn_with_idp() -> (TestApp, Idp) {
    spawn_with_idp_and(|_| {}).await
}

async fn spawn_with_idp_and(tweak: impl FnOnce(&mut propusk::config::Config)) -> (TestApp, Idp) {
    let idp = Idp::start().await;
    let issuer = idp.issuer();
    let app = TestApp::spawn_with(
        move |c| {
            c.oidc.enabled = true;
            c.oidc.issuer = issuer;
            c.oidc.client_id = IDP_CLIENT.into();
            c.oidc.client_secret = SecretString::new(IDP_SECRET);
            c.oidc.allow_http = true;
            c.oidc.trusted_claim = "trusted".into();
            c.oidc.snils_claim = "snils".into();
            tweak(c);
        },
        false,
    )
    .await;
    (app, idp)
}

/// The demo parent Иванова Мария Петровна as the provider knows her.
fn ivanova() -> Value {
    json!({"sub": "idp-1001", "family_name": "Иванова", "given_name": "Мария", "middle_name": "Петровна",
        "birthdate": "1985-08-11", "snils": "112-233-445 95", "trusted": true,
        "email": "ivanova@example.ru", "email_verified": true})
}

/// From the login page of a flow: role → the provider → the URL of our callback (not followed).
async fn idp_callback_url(app: &TestApp, idp: &Idp, http: &reqwest::Client, login: &str, role: &str) -> String {
    let flow = flow_of(app, login);
    let (status, html) = page(app, http, &format!("/login/esia?flow={flow}")).await;
    assert_eq!(status, 200, "role page");
    assert!(html.contains("Выберите роль для входа"));
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(app, http, "/login/esia", &[("flow", flow.as_str()), ("csrf", &csrf), ("role", role)]).await;
    let to_idp = location(&res);
    assert!(to_idp.starts_with(&format!("{}/authorize?", idp.issuer())), "to the provider: {to_idp}");
    assert_eq!(query_param(&to_idp, "client_id").as_deref(), Some(IDP_CLIENT));
    assert_eq!(query_param(&to_idp, "redirect_uri"), Some(app.url("/login/esia/callback")));
    let back = location(&http.get(&to_idp).send().await.unwrap());
    assert!(back.starts_with(&app.url("/login/esia/callback?")), "back to propusk: {back}");
    back
}

async fn through_idp(app: &TestApp, idp: &Idp, http: &reqwest::Client, login: &str, role: &str) -> reqwest::Response {
    let back = idp_callback_url(app, idp, http, login, role).await;
    http.get(back).send().await.unwrap()
}

#[tokio::test]
async fn oidc_upstream_journey_matches_the_account_and_the_rp_gets_a_code() {
    let (app, idp) = spawn_with_idp().await;
    idp.set_person(ivanova());
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_idp(&app, &idp, &http, &login, "parent").await;
    let res = give_pd_consent(&app, &http, res).await;
    let back = location(&res);
    let claims = demo_claims(&app, &back).await;
    let id = account_id(&app, SCHOOL1, "ivanova.mp").await;
    assert_eq!(claims["sub"], sub_of(&app, &id).await, "the matched school account: {claims}");
    assert_eq!(claims["family_name"], "Иванова");
    assert_eq!(claims["amr"], json!(["esia"]), "an upstream login: {claims}");
    let links = links_of(&app, SCHOOL1, "ivanova.mp").await;
    assert!(links.contains(&(idp.issuer(), "idp-1001".to_owned())), "linked to the provider's subject: {links:?}");
}

#[tokio::test]
async fn oidc_upstream_with_explicit_endpoints_needs_no_discovery() {
    let (app, idp) = spawn_with_idp_and(|c| {
        let base = c.oidc.issuer.clone();
        c.oidc.authorization_endpoint = format!("{base}/authorize");
        c.oidc.token_endpoint = format!("{base}/token");
        c.oidc.jwks_uri = format!("{base}/jwks");
        c.oidc.userinfo_endpoint = format!("{base}/userinfo");
    })
    .await;
    idp.set_person(ivanova());
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_idp(&app, &idp, &http, &login, "parent").await;
    let back = location(&give_pd_consent(&app, &http, res).await);
    let claims = demo_claims(&app, &back).await;
    let id = account_id(&app, SCHOOL1, "ivanova.mp").await;
    assert_eq!(claims["sub"], sub_of(&app, &id).await, "{claims}");
    assert_eq!(idp.discovered(), 0, "the configured endpoints, no discovery");
}

#[tokio::test]
async fn oidc_upstream_unknown_person_gets_record_not_found() {
    let (app, idp) = spawn_with_idp().await;
    idp.set_person(json!({"sub": "idp-2002", "family_name": "Неизвестная", "given_name": "Ольга",
        "birthdate": "1990-01-02", "trusted": true}));
    let http = browser();
    let login = start(&app, &http, "").await;
    let mut res = through_idp(&app, &idp, &http, &login, "parent").await;
    if location(&res).starts_with("/login/esia/consent?") {
        res = give_pd_consent(&app, &http, res).await;
    }
    let next = location(&res);
    assert!(next.starts_with("/login/esia/not-found?flow="), "no match → «Запись не найдена»: {next}");
    let (status, html) = page(&app, &http, &next).await;
    assert_eq!(status, 200);
    assert!(html.contains("Запись не найдена"));
}

#[tokio::test]
async fn oidc_upstream_refuses_wrong_iss_aud_signature_and_nonce_with_a_page() {
    let (app, idp) = spawn_with_idp().await;
    idp.set_person(ivanova());
    let cases = [
        ("wrong iss", Knobs { iss: Some("https://evil.example".into()), ..Knobs::default() }),
        ("wrong aud", Knobs { aud: Some("someone-else".into()), ..Knobs::default() }),
        ("bad signature", Knobs { foreign_key: true, ..Knobs::default() }),
        ("wrong nonce", Knobs { nonce: Some("not-the-nonce".into()), ..Knobs::default() }),
    ];
    for (i, (what, knobs)) in cases.into_iter().enumerate() {
        idp.set_knobs(knobs);
        let http = browser();
        let login = start(&app, &http, "").await;
        let res = through_idp(&app, &idp, &http, &login, "parent").await;
        assert_eq!(res.status(), 502, "{what}: refused with the upstream error page");
        assert!(!res.headers().contains_key("location"), "{what}: never a redirect");
        let html = res.text().await.unwrap();
        assert!(html.contains("Вернуться в приложение"), "{what}: the page leads back");
        let rejected = audit_of(&app, "upstream_rejected").await;
        assert_eq!(rejected.len(), i + 1, "{what}: one audit event each: {rejected:?}");
        assert!(rejected[i].contains("\"connector\":\"oidc\""), "{what}: {}", rejected[i]);
    }
    assert!(links_of(&app, SCHOOL1, "ivanova.mp").await.is_empty(), "nothing linked");
    // The provider honest again: the same journey goes through.
    idp.set_knobs(Knobs::default());
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_idp(&app, &idp, &http, &login, "parent").await;
    assert!(location(&res).starts_with("/login/esia/consent?flow="), "an honest token passes");
}

#[tokio::test]
async fn oidc_upstream_replayed_state_is_refused() {
    let (app, idp) = spawn_with_idp().await;
    idp.set_person(ivanova());
    let (http, jar) = browser_with_jar();
    let login = start(&app, &http, "").await;
    let back = idp_callback_url(&app, &idp, &http, &login, "parent").await;
    let cookies = cookie_header(&app, &jar);
    let first = http.get(&back).send().await.unwrap();
    assert!(location(&first).starts_with("/login/esia/consent?flow="), "the first callback passes");
    assert_eq!(idp.redeemed(), 1);
    // The same browser (its binding cookie is gone): a page.
    assert_error_page_4xx(http.get(&back).send().await.unwrap(), "same browser").await;
    // The old cookies replayed: the flow is past the callback, so at most it is sent
    // to the step it is at — never through the callback again.
    let res = browser().get(&back).header("cookie", cookies).send().await.unwrap();
    if res.status().is_redirection() {
        let to = location(&res);
        assert!(to.starts_with("/login/esia/consent?flow="), "to the flow's own step, not onwards: {to}");
    } else {
        assert_error_page_4xx(res, "the old cookies replayed").await;
    }
    assert_eq!(idp.redeemed(), 1, "the state is spent: no second code exchange");
}

async fn assert_error_page_4xx(res: reqwest::Response, what: &str) {
    let status = res.status().as_u16();
    assert!((400..500).contains(&status), "{what}: a 4xx page, got {status}");
    assert!(!res.headers().contains_key("location"), "{what}: never a redirect");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html") || html.contains("<!DOCTYPE") || html.contains("<!doctype"), "{what}: a page");
}
