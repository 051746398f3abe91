//! The broker's security rules over HTTP on the «Через Госуслуги» journey (against
//! the ESIA sandbox of `--demo`): BR-01 (the callback bound to the browser, used once)
//! and BR-05 (a link proof bound to its flow, the link form throttled, never another
//! role's account, an expired flow, an unlink undone). The journey itself:
//! `esia_journey.rs`; helpers: `esia_support.rs`.

use crate::common::*;
use crate::esia_journey::*;
use crate::esia_support::*;

#[tokio::test]
async fn br_05_link_proof_replayed_in_another_flow_fails() {
    let app = TestApp::spawn().await;
    let (a, next_a) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let flow_a = flow_of(&app, &next_a);
    let (_, html) = page(&app, &a, &format!("/login/esia/link?flow={flow_a}")).await;
    let csrf_a = hidden(&html, "csrf").unwrap();
    let body_a = [
        ("flow", flow_a.as_str()),
        ("csrf", csrf_a.as_str()),
        ("org_kind", "school"),
        ("org", SCHOOL1),
        ("login", "smirnova.ov"),
        ("password", PASSWORD),
    ];
    // Browser B holds another ESIA person (sokolov) in its own flow.
    let (b, next_b) = to_not_found(&app, "parent", "sokolov@example.ru").await;
    let res = post(&app, &b, "/login/esia/link", &body_a).await;
    assert_eq!(res.status(), 403, "A's form body from B is refused");
    let (_, link_b) = page(&app, &b, &format!("/login/esia/link?flow={}", flow_of(&app, &next_b))).await;
    let csrf_b = hidden(&link_b, "csrf").unwrap();
    let mut body = body_a;
    body[1].1 = csrf_b.as_str();
    let res = post(&app, &b, "/login/esia/link", &body).await;
    assert_eq!(res.status(), 403, "A's flow with B's own CSRF token is refused too");
    assert!(res.text().await.unwrap().contains("другом браузере"), "the flow is bound to browser A");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty(), "nothing linked");
    assert!(audit_of(&app, "account_linked").await.is_empty());

    // The proof works once in its own flow, and its replay there fails.
    let res = post(&app, &a, "/login/esia/link", &body_a).await;
    assert_eq!(res.status(), 303);
    let res = post(&app, &a, "/login/esia/link", &body_a).await;
    assert!(res.status().is_client_error(), "replayed: {}", res.status());
    let links = links_of(&app, SCHOOL1, "smirnova.ov").await;
    assert_eq!(links.len(), 1, "linked once: {links:?}");
}

#[tokio::test]
async fn br_05_link_form_is_throttled_like_the_login_form() {
    let app = TestApp::spawn().await;
    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let flow = flow_of(&app, &next);
    for i in 0..5 {
        let res = submit_link(&app, &http, &flow, "smirnova.ov", "wrong-password").await;
        assert_eq!(res.status(), 401, "failure {i}");
        assert!(res.text().await.unwrap().contains("Неверный логин или пароль"));
    }
    let res = submit_link(&app, &http, &flow, "smirnova.ov", PASSWORD).await;
    assert_eq!(res.status(), 429, "locked: the right password is refused");
    let html = res.text().await.unwrap();
    assert!(html.contains("Слишком много") && !html.contains(PASSWORD));
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty(), "nothing linked");
    let res = submit_login(&browser(), &app.base, "/login", "smirnova.ov", PASSWORD).await;
    assert_eq!(res.status(), 429, "the same counter as the login form");
}

#[tokio::test]
async fn br_05_esia_identity_never_links_to_an_account_of_another_role() {
    let app = TestApp::spawn().await;
    // No pupil account matches smirnova; her parent account is not offered as a pupil.
    let (http, next) = to_not_found(&app, "pupil", "smirnova@example.ru").await;
    let res = submit_link(&app, &http, &flow_of(&app, &next), "smirnova.ov", PASSWORD).await;
    assert_eq!(res.status(), 403, "a parent account for the pupil role is refused");
    let html = res.text().await.unwrap();
    assert!(html.contains("роль") && html.contains("«Родитель»") && html.contains("«Ученик»"), "says why");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty(), "nothing linked");
    // A full match of another role is never used either: petrov as a pupil finds nothing.
    to_not_found(&app, "pupil", "petrov@example.ru").await;
    assert!(links_of(&app, SCHOOL1, "petrov.teacher").await.is_empty());
    assert!(links_of(&app, SCHOOL1, "petrov.pp").await.is_empty());
}

#[tokio::test]
async fn br_01_esia_callback_is_bound_to_the_browser_and_used_once() {
    let app = TestApp::spawn().await;
    let (a, jar) = browser_with_jar();
    let login = start(&app, &a, "").await;
    let callback = esia_callback_url(&app, &a, &login, "parent", "ivanova@example.ru").await;
    // Replayed from another browser: no flow cookie.
    let res = get(&app, &browser(), &callback).await;
    assert_eq!(res.status(), 400, "no flow cookie");
    assert!(res.text().await.unwrap().contains("Начните вход заново"));
    // Replayed into another browser's own ESIA login: the state is not its state.
    let c = browser();
    let login_c = start(&app, &c, "").await;
    choose_role(&app, &c, &login_c, "parent").await;
    let res = get(&app, &c, &callback).await;
    assert!(!res.status().is_redirection() && !res.status().is_success(), "refused: {}", res.status());
    assert!(res.text().await.unwrap().contains("Не удалось войти через Госуслуги"), "an error page");
    // The browser that started the login gets through, once.
    let cookies = cookie_header(&app, &jar);
    assert!(cookies.contains("propusk_esia="), "the flow cookie of A: {cookies}");
    let res = get(&app, &a, &callback).await;
    assert!(location(&res).starts_with("/login/esia/consent?flow="), "A's callback works");
    // The same callback twice is not processed again: the flow is past it, and the
    // browser is shown the page of its current stage.
    let res = get(&app, &a, &callback).await;
    assert_eq!(res.status(), 400, "the same callback twice (the binding cookie is spent)");
    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = replay.get(&callback).header(reqwest::header::COOKIE, cookies).send().await.unwrap();
    assert!(location(&res).starts_with("/login/esia/consent?flow="), "even with A's cookies: {}", res.status());
    assert_eq!(audit_of(&app, "upstream_rejected").await.len(), 1, "no second exchange of ESIA's code");
    assert!(audit_of(&app, "pd_consent_given").await.is_empty() && audit_of(&app, "login_succeeded").await.is_empty());
}

/// NA-01/NA-02: the same journey for a native app (public client, PKCE, `openidconnect` RP).
#[tokio::test]
async fn br_05_an_expired_flow_cannot_link_and_unlinking_undoes_the_link() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    let link_body = |flow: &str, csrf: &str| -> Vec<(String, String)> {
        let pairs =
            [("flow", flow), ("csrf", csrf), ("org", SCHOOL1), ("login", "smirnova.ov"), ("password", PASSWORD)];
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let flow = flow_of(&app, &next);
    let csrf = hidden(&page(&app, &http, &format!("/login/esia/link?flow={flow}")).await.1, "csrf").unwrap();
    app.clock.as_ref().unwrap().advance(app.config.session.flow_ttl_secs + 1);
    let res = http.post(app.url("/login/esia/link")).form(&link_body(&flow, &csrf)).send().await.unwrap();
    assert_eq!(res.status(), 400, "the flow expired");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty(), "nothing linked");

    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let flow = flow_of(&app, &next);
    let res = submit_link(&app, &http, &flow, "smirnova.ov", PASSWORD).await;
    assert_eq!(res.status(), 303, "linked in a live flow");
    let (_, html) = page(&app, &http, "/account").await;
    assert!(html.contains("Учетная запись портала Госуслуг привязана"), "the ESIA session sees its link");
    let res = post(&app, &http, "/account/esia/unlink", &[("csrf", &hidden(&html, "csrf").unwrap())]).await;
    assert_eq!(location(&res), "/login?next=/account", "the ESIA session itself ended with its link");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty());
    // The used proof cannot be replayed, and the next ESIA login is back at «Запись не найдена».
    let csrf = hidden(&html, "csrf").unwrap();
    let res = http.post(app.url("/login/esia/link")).form(&link_body(&flow, &csrf)).send().await.unwrap();
    assert_eq!(res.status(), 400, "the linking flow is spent");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty());
    to_not_found(&app, "parent", "smirnova@example.ru").await;
}
