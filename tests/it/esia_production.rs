//! What a production ESIA connection needs, over HTTP against the sandbox: ESIA's
//! error codes become their Russian page with «Вернуться в приложение» (back to the
//! relying party with an OAuth error) and an `esia_error` audit event; a login that
//! waits 14 minutes at ESIA (the second factor) still finishes.

use crate::common::*;
use crate::esia_journey::{give_pd_consent, start};
use crate::esia_support::*;
use propusk::connector::sandbox::Faults;

fn exit_link(html: &str) -> String {
    let at = html.find("/login/esia/exit?flow=").expect("«Вернуться в приложение»");
    html[at..].split('"').next().unwrap().replace("&amp;", "&")
}

#[tokio::test]
async fn esia_error_codes_show_their_russian_page_and_go_back_to_the_app() {
    let app = TestApp::spawn().await;
    let sandbox = app.app().sandbox.clone().unwrap();
    let cases = [
        ("ESIA-007055", "account", "не подтверждена"),
        ("ESIA-007053", "signature", "ошибка подписи"),
        ("ESIA-007019", "registration", "не разрешён доступ"),
        ("ESIA-007008", "unavailable", "недоступен"),
        ("ESIA-007004", "denied", "отказались"),
    ];
    for (i, (code, class, text)) in cases.into_iter().enumerate() {
        let http = browser();
        let login = start(&app, &http, "").await;
        sandbox.set_faults(Faults { callback_error: Some(code.into()), ..Faults::default() });
        let to_esia = choose_role(&app, &http, &login, "parent").await;
        let res = get(&app, &http, &to_esia).await;
        sandbox.set_faults(Faults::default());
        let callback = location(&res);
        assert!(callback.contains("/login/esia/callback?") && callback.contains(code), "{code}: {callback}");
        let res = get(&app, &http, &absolute(&app, &callback)).await;
        assert_eq!(res.status(), 502, "{code}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Не удалось войти через Госуслуги"), "{code}: {html}");
        assert!(html.contains(text), "{code}: the table's text «{text}»: {html}");
        assert!(html.contains("Вернуться в приложение"), "{code}");
        let events = audit_of(&app, "esia_error").await;
        assert_eq!(events.len(), i + 1, "one esia_error event per failed login");
        let event: serde_json::Value = serde_json::from_str(&events[i]).unwrap();
        assert_eq!((event["code"].as_str(), event["class"].as_str()), (Some(code), Some(class)), "{event}");
        // «Вернуться в приложение»: the relying party gets an OAuth error with its state.
        let back = location(&get(&app, &http, &exit_link(&html)).await);
        assert_denied(&app, &back, &app.url("/demo/callback"));
    }
    assert!(audit_of(&app, "upstream_rejected").await.is_empty(), "ESIA's answers are esia_error events");
}

/// The person reaches ESIA's login page, then spends `wait` seconds on the second
/// factor before giving consent; returns our callback's response.
async fn login_waiting_at_esia(app: &TestApp, http: &reqwest::Client, wait: i64) -> reqwest::Response {
    let login = start(app, http, "").await;
    let to_esia = choose_role(app, http, &login, "parent").await;
    let (status, html) = page(app, http, &to_esia).await;
    assert_eq!(status, 200, "ESIA's login page");
    app.clock.as_ref().unwrap().advance(wait);
    let req = hidden(&html, "req").unwrap();
    let form = [("req", req.as_str()), ("login", "ivanova@example.ru"), ("password", ESIA_PASSWORD)];
    let html = post(app, http, "/esia-sandbox/aas/oauth2/login", &form).await.text().await.unwrap();
    let req = hidden(&html, "req").unwrap();
    let res = post(app, http, "/esia-sandbox/aas/oauth2/consent", &[("req", req.as_str()), ("action", "allow")]).await;
    get(app, http, &absolute(app, &location(&res))).await
}

#[tokio::test]
async fn a_login_that_waits_14_minutes_for_esias_second_factor_still_finishes() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    assert!(app.config.session.flow_ttl_secs >= 900 && app.config.esia.state_ttl_secs >= 900);
    let http = browser();
    let res = login_waiting_at_esia(&app, &http, 14 * 60).await;
    let res = give_pd_consent(&app, &http, res).await;
    let claims = demo_claims(&app, &location(&res)).await;
    assert_eq!(claims["family_name"], "Иванова", "signed in after 14 minutes at ESIA");

    // Past esia.state_ttl_secs the callback is refused as a stale login, and says so.
    let http = browser();
    let res = login_waiting_at_esia(&app, &http, app.config.esia.state_ttl_secs + 60).await;
    assert_eq!(res.status(), 502);
    assert!(res.text().await.unwrap().contains("Сеанс входа устарел"));
}

/// One ESIA login of the demo client through the running server: its callback's answer.
async fn esia_callback(app: &TestApp) -> reqwest::Response {
    let http = browser();
    let login = start(app, &http, "").await;
    let callback = esia_callback_url(app, &http, &login, "parent", "ivanova@example.ru").await;
    get(app, &http, &callback).await
}

fn signed_in(res: &reqwest::Response) -> bool {
    res.status().is_redirection() && location(res).starts_with("/login/esia/consent?")
}

#[tokio::test]
async fn the_server_picks_up_esias_rotated_certificate_without_a_restart() {
    use propusk::connector::signer::{OpensslSigner, Signer};
    let signer = |key: &str, cert: &str| -> std::sync::Arc<dyn Signer> {
        std::sync::Arc::new(OpensslSigner::from_files(key.as_ref(), cert.as_ref()).unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("keys/test-esia-sandbox-rsa.crt", dir.path().join("esia-old.pem")).unwrap();
    let certs = dir.path().to_path_buf();
    let app = TestApp::spawn_with(move |c| c.esia.certificates_dir = Some(certs), true).await;
    let sandbox = app.app().sandbox.clone().unwrap();
    assert!(signed_in(&esia_callback(&app).await), "the old certificate");

    sandbox.rotate_token_signer(signer("keys/test-other-rsa.key", "keys/test-other-rsa.crt"));
    let res = esia_callback(&app).await;
    assert_eq!(res.status(), 502, "ESIA's new key before its certificate is in place");
    assert!(res.text().await.unwrap().contains("Не удалось проверить ответ портала Госуслуг"));
    assert!(audit_of(&app, "upstream_rejected").await.iter().any(|e| e.contains("bad_token")));

    std::fs::copy("keys/test-other-rsa.crt", dir.path().join("esia-new.cer")).unwrap();
    assert!(signed_in(&esia_callback(&app).await), "the new certificate dropped in: no restart");
    sandbox.rotate_token_signer(signer("keys/test-esia-sandbox-rsa.key", "keys/test-esia-sandbox-rsa.crt"));
    assert!(signed_in(&esia_callback(&app).await), "the old one until it is removed");
    std::fs::remove_file(dir.path().join("esia-old.pem")).unwrap();
    app.clock.as_ref().unwrap().advance(app.config.esia.certificates_reload_secs + 1);
    assert_eq!(esia_callback(&app).await.status(), 502, "the old one removed");
    sandbox.rotate_token_signer(signer("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt"));
    assert_eq!(esia_callback(&app).await.status(), 502, "a key never trusted");
}
