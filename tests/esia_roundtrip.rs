//! Connector ↔ sandbox over real HTTP on loopback, RSA keys on both sides: every
//! persona type, scope-limited data, denial, logout URL, the legacy v1 API.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod esia_common;

use esia_common::{Alg, PASSWORD, login, stand, stand_with};
use propusk::clock::SystemClock;
use propusk::connector::sandbox::{AccountType, Persona};
use propusk::connector::{AccountLevel, Connector, ConnectorError, ContactKind, Gender, StartRequest};
use std::sync::Arc;

fn scopes(list: &str) -> StartRequest {
    StartRequest { scopes: list.split(' ').map(str::to_string).collect(), redirect_uri: String::new() }
}

const PARENT_SCOPES: &str = "openid fullname birthdate gender snils email mobile id_doc kid_fullname kid_birthdate kid_gender kid_snils kid_birth_cert_doc";
const PUPIL_SCOPES: &str = "openid fullname birthdate gender snils email";

#[tokio::test]
async fn br_02_confirmed_parent_with_children_rsa() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(scopes(PARENT_SCOPES)).await.expect("start");
    assert!(url.as_str().contains("/aas/oauth2/v2/ac?"));
    let cb = login(&stand, &url, "ivanova@example.ru", PASSWORD, true).await;
    assert!(cb.code.is_some(), "{cb:?}");
    let id = c.finish(&pending, cb).await.expect("finish");
    assert_eq!(id.subject, "1000000001");
    assert_eq!(id.issuer, "http://esia-portal1.test.gosuslugi.ru/");
    assert!(id.trusted);
    assert_eq!(id.account_level, AccountLevel::Confirmed);
    assert_eq!(id.surname.as_deref(), Some("Иванова"));
    assert_eq!(id.given_name.as_deref(), Some("Мария"));
    assert_eq!(id.patronymic.as_deref(), Some("Петровна"));
    assert_eq!(id.birth_date.as_deref(), Some("1985-08-11"));
    assert_eq!(id.gender, Some(Gender::Female));
    assert_eq!(id.snils.as_deref(), Some("112-233-445 95"));
    assert!(id.contacts.iter().any(|x| x.kind == ContactKind::Email && x.verified));
    assert!(id.contacts.iter().any(|x| x.kind == ContactKind::Mobile));
    assert_eq!(id.documents.len(), 1);
    assert_eq!(id.documents[0].kind, "RF_PASSPORT");
    assert_eq!(id.children.len(), 2);
    let ivan = id.children.iter().find(|k| k.given_name.as_deref() == Some("Иван")).expect("Иван");
    assert_eq!(ivan.birth_date.as_deref(), Some("2012-03-15"));
    assert_eq!(ivan.snils.as_deref(), Some("123-456-789 64"));
    assert_eq!(ivan.documents[0].kind, "RF_BRTH_CERT");
    assert!(id.granted_scopes.iter().any(|s| s == "kid_fullname"));
}

#[tokio::test]
async fn rest_answers_are_limited_to_granted_scopes() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(scopes("openid fullname")).await.expect("start");
    let cb = login(&stand, &url, "ivanova@example.ru", PASSWORD, true).await;
    let id = c.finish(&pending, cb).await.expect("finish");
    assert_eq!(id.surname.as_deref(), Some("Иванова"));
    assert_eq!(id.birth_date, None);
    assert_eq!(id.snils, None);
    assert!(id.contacts.is_empty() && id.documents.is_empty() && id.children.is_empty());
    assert_eq!(id.granted_scopes, vec!["openid".to_string(), "fullname".to_string()]);
}

#[tokio::test]
async fn standard_child_and_teen_personas_rsa() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    for (login_name, level, trusted) in [
        ("orlova@example.ru", AccountLevel::Standard, false),
        ("anna.child@example.ru", AccountLevel::Child, false),
        ("ivanov.ivan@example.ru", AccountLevel::Confirmed, true),
    ] {
        let (url, pending) = c.start(scopes(PUPIL_SCOPES)).await.expect("start");
        let cb = login(&stand, &url, login_name, PASSWORD, true).await;
        let id = c.finish(&pending, cb).await.expect("finish");
        assert_eq!((id.account_level, id.trusted), (level, trusted), "{login_name}");
        assert!(id.surname.is_some() && id.birth_date.is_some());
    }
}

#[tokio::test]
async fn simplified_persona_from_a_test_file() {
    let extra = Persona {
        login: "+7(900)5550000".into(),
        password: "simple-1".into(),
        oid: 1000000099,
        account: AccountType::Simplified,
        last_name: "Простова".into(),
        first_name: "Вера".into(),
        middle_name: None,
        birth_date: "01.02.2000".into(),
        gender: "F".into(),
        snils: None,
        inn: None,
        contacts: Vec::new(),
        documents: Vec::new(),
        kids: Vec::new(),
    };
    let stand = stand_with(Alg::Rsa, vec![extra], Arc::new(SystemClock)).await;
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(scopes(PUPIL_SCOPES)).await.expect("start");
    let cb = login(&stand, &url, "+7(900)5550000", "simple-1", true).await;
    let id = c.finish(&pending, cb).await.expect("finish");
    assert_eq!(id.account_level, AccountLevel::Simplified);
    assert!(!id.trusted);
    assert_eq!(id.patronymic, None);
}

#[tokio::test]
async fn login_by_snils_works_and_wrong_password_is_refused() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(scopes("openid fullname")).await.expect("start");
    let cb = login(&stand, &url, "112-233-445 95", PASSWORD, true).await;
    assert_eq!(c.finish(&pending, cb).await.expect("finish").subject, "1000000001");

    let (url, _) = c.start(scopes("openid fullname")).await.expect("start");
    let b = esia_common::browser();
    let html = b.get(url).send().await.expect("ac").text().await.expect("page");
    let marker = "name=\"req\" value=\"";
    let req: String = html[html.find(marker).expect("req") + marker.len()..].split('"').next().expect("v").into();
    let resp = b
        .post(format!("{}/aas/oauth2/login", stand.base))
        .form(&[("req", req.as_str()), ("login", "ivanova@example.ru"), ("password", "wrong")])
        .send()
        .await
        .expect("login");
    let html = resp.text().await.expect("page");
    assert!(html.contains("Неверный логин или пароль") && !html.contains("Предоставить"));
}

#[tokio::test]
async fn br_08_denied_consent_maps_to_esia_007004() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(scopes("openid fullname")).await.expect("start");
    let cb = login(&stand, &url, "petrov@example.ru", PASSWORD, false).await;
    assert_eq!(cb.error.as_deref(), Some("access_denied"));
    assert_eq!(cb.state.as_deref(), Some(pending.state.as_str()));
    let err = c.finish(&pending, cb).await.expect_err("denied");
    assert!(matches!(err, ConnectorError::Denied { .. }));
    assert_eq!(err.code(), "ESIA-007004");
    assert!(err.user_message().contains("отказались"));
}

#[tokio::test]
async fn legacy_v1_cms_round_trip() {
    let mut stand = stand(Alg::Rsa).await;
    stand.cfg.legacy_v1 = true;
    let c = stand.connector(Alg::Rsa);
    let (url, pending) = c.start(scopes("openid fullname birthdate")).await.expect("start");
    assert!(url.path().ends_with("/aas/oauth2/ac"));
    assert!(!url.query().unwrap_or_default().contains("client_certificate_hash"));
    let cb = login(&stand, &url, "sokolov@example.ru", PASSWORD, true).await;
    let id = c.finish(&pending, cb).await.expect("finish");
    assert_eq!(id.birth_date.as_deref(), Some("1988-07-20"));
}

#[tokio::test]
async fn logout_url_and_sandbox_logout_redirect() {
    let stand = stand(Alg::Rsa).await;
    let c = stand.connector(Alg::Rsa);
    let back = "http://127.0.0.1:9/logged-out";
    let url = c.logout_url(back);
    assert!(url.as_str().starts_with(&format!("{}/idp/ext/Logout?client_id=PROPUSK&redirect_url=", stand.base)));
    let resp = esia_common::browser().get(url).send().await.expect("logout");
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], back);
    let evil = c.logout_url("https://evil.example/");
    let resp = esia_common::browser().get(evil).send().await.expect("logout");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn demo_configuration_loads_and_validates() {
    esia_common::init();
    let cfg =
        propusk::connector::EsiaConfig::for_sandbox("http://127.0.0.1:8080/esia-sandbox", "http://127.0.0.1:8080/cb");
    assert_eq!(cfg.validate(true), Ok(()));
    assert_eq!(propusk::connector::EsiaConfig::default().validate(false), Ok(()), "disabled by default");
    let state =
        propusk::connector::sandbox::SandboxState::new(cfg.sandbox.clone(), Arc::new(SystemClock)).expect("sandbox");
    assert_eq!(state.personas().len(), 7);
    let c = propusk::connector::esia::EsiaConnector::new(cfg, Arc::new(SystemClock)).expect("connector");
    assert_eq!(c.certificate_hash().len(), 64);
}

#[tokio::test]
async fn rest_link_lists_embed_and_bearer_checks() {
    let stand = stand(Alg::Rsa).await;
    let key = esia_common::signer("keys/test-esia-sandbox-rsa.key", "keys/test-esia-sandbox-rsa.crt");
    let now = propusk::clock::Clock::now(&SystemClock);
    let claims = serde_json::json!({
        "iss": "http://esia-portal1.test.gosuslugi.ru/", "client_id": "PROPUSK", "urn:esia:sbj_id": 1000000001u64,
        "scope": "contacts?oid=1000000001 openid", "iat": now, "nbf": now, "exp": now + 600,
    });
    let token = propusk::connector::jwt::sign(key.as_ref(), 1, "access", &claims).expect("token");
    let b = esia_common::browser();
    let get = |path: &str, bearer: Option<&str>| {
        let mut r = b.get(format!("{}{path}", stand.base));
        if let Some(t) = bearer {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let links: serde_json::Value =
        get("/rs/prns/1000000001/ctts", Some(&token)).await.expect("ctts").json().await.expect("json");
    let first = links["elements"][0].as_str().expect("a link").to_string();
    assert!(first.starts_with(&format!("{}/rs/prns/1000000001/ctts/", stand.base)));
    let one: serde_json::Value =
        b.get(&first).bearer_auth(&token).send().await.expect("el").json().await.expect("json");
    assert_eq!(one["type"], "EML");
    let embedded: serde_json::Value =
        get("/rs/prns/1000000001/ctts?embed=(elements)", Some(&token)).await.expect("ctts").json().await.expect("json");
    assert_eq!(embedded["elements"][0]["vrfStu"], "VERIFIED");
    let person: serde_json::Value =
        get("/rs/prns/1000000001", Some(&token)).await.expect("prn").json().await.expect("j");
    assert!(person.get("lastName").is_none(), "fullname not granted");
    assert_eq!(get("/rs/prns/1000000001/docs", Some(&token)).await.expect("docs").status(), 403);
    assert_eq!(get("/rs/prns/1000000002", Some(&token)).await.expect("other").status(), 403);
    assert_eq!(get("/rs/prns/1000000001", None).await.expect("anon").status(), 401);
    let sig_at = token.rfind('.').expect("jws") + 5;
    let swap = if &token[sig_at..=sig_at] == "A" { "B" } else { "A" };
    let forged = format!("{}{swap}{}", &token[..sig_at], &token[sig_at + 1..]);
    assert_eq!(get("/rs/prns/1000000001", Some(&forged)).await.expect("forged").status(), 401);
}
