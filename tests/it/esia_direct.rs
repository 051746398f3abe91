//! «Через Госуслуги» on the login page opened directly (from `/account`, the staff
//! pages, «Забыли пароль?», the «проблема решена» e-mail): an ESIA login without a
//! relying party lands on `/account` or the page the person came for; «Выход» on
//! «Запись не найдена» returns to the login page, and the relying party hears
//! `access_denied` only when the person leaves from there.

use crate::common::*;
use crate::esia_journey::give_pd_consent;
use crate::esia_support::*;

/// The «Через Госуслуги» link of a login page.
fn esia_link(html: &str) -> String {
    let at = html.find("Через Госуслуги").expect("the «Через Госуслуги» button");
    let href = html[..at].rsplit("href=\"").next().unwrap();
    href.split('"').next().unwrap().replace("&amp;", "&")
}

/// From a login page without a flow: the role, the sandbox, the consent; where it lands.
async fn direct_esia_login(app: &TestApp, http: &reqwest::Client, login_page: &str, who: &str) -> String {
    let (status, html) = page(app, http, login_page).await;
    assert_eq!(status, 200);
    let to_role = esia_link(&html);
    assert!(to_role.starts_with("/login/esia?next="), "no flow, a landing page: {to_role}");
    let (status, html) = page(app, http, &to_role).await;
    assert_eq!(status, 200, "role page");
    let form = [
        ("csrf", hidden(&html, "csrf").unwrap()),
        ("next", hidden(&html, "next").unwrap()),
        ("role", "parent".to_owned()),
    ];
    let res = http.post(app.url("/login/esia")).form(&form).send().await.unwrap();
    let callback = sandbox_login(app, http, &location(&res), who).await;
    let res = http.get(callback).send().await.unwrap();
    let res = give_pd_consent(app, http, res).await;
    location(&res)
}

#[tokio::test]
async fn esia_login_without_a_relying_party_lands_on_account() {
    let app = TestApp::spawn().await;
    let http = browser();
    let landed = direct_esia_login(&app, &http, "/login", "ivanova@example.ru").await;
    assert_eq!(landed, "/account", "straight to the personal settings");
    let (status, html) = page(&app, &http, "/account").await;
    assert_eq!(status, 200);
    assert!(html.contains("Персональные настройки") && html.contains("Иванова"), "signed in as ivanova.mp");
    assert!(html.contains("Учетная запись портала Госуслуг привязана"));
    let logins = audit_of(&app, "login_succeeded").await;
    assert!(logins.iter().any(|e| e.contains("\"esia\"")), "an ESIA login: {logins:?}");
}

#[tokio::test]
async fn esia_login_without_a_relying_party_returns_to_the_page_asked_for() {
    let app = TestApp::spawn().await;
    let http = browser();
    let landed = direct_esia_login(&app, &http, "/login?next=/account%3Fesia%3Dlinked", "ivanova@example.ru").await;
    assert_eq!(landed, "/account?esia=linked");
    // A next that is not a local path is ignored.
    let http = browser();
    let (_, html) = page(&app, &http, "/login?next=%2F%09%2Fevil.example").await;
    assert!(esia_link(&html).ends_with("next=%2Faccount"), "{}", esia_link(&html));
}

#[tokio::test]
async fn exit_on_not_found_returns_to_the_login_page_then_to_the_app() {
    let app = TestApp::spawn().await;
    let (http, next) = to_not_found(&app, "parent", "sokolov@example.ru").await;
    let flow = flow_of(&app, &next);
    let (_, html) = page(&app, &http, &next).await;
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(&app, &http, "/login/esia/leave", &[("flow", &flow), ("csrf", &csrf)]).await;
    let back = location(&res);
    assert_eq!(back, format!("/login?flow={flow}"), "«для выбора другого способа авторизации»");
    let (status, html) = page(&app, &http, &back).await;
    assert_eq!(status, 200, "the login page of the same flow");
    assert!(html.contains("Вход в систему") && html.contains("Через Госуслуги"));
    assert!(html.contains("Вернуться в приложение"), "a way back to the app");
    assert!(audit_of(&app, "login_succeeded").await.is_empty());
    // The consent given on the way serves nothing now and no /account shows it: not kept.
    let deleted = audit_of(&app, "pd_data_deleted").await;
    assert!(deleted.len() == 1 && deleted[0].contains("left_without_account"), "{deleted:?}");
    // Leaving from there: access_denied to the relying party.
    let res = get(&app, &http, &format!("/login/esia/exit?flow={flow}")).await;
    assert_denied(&app, &location(&res), &app.url("/demo/callback"));
    // The person may also sign in another way from the login page of that flow.
    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let flow = flow_of(&app, &next);
    let csrf = hidden(&page(&app, &http, &next).await.1, "csrf").unwrap();
    post(&app, &http, "/login/esia/leave", &[("flow", &flow), ("csrf", &csrf)]).await;
    let res = submit_login(&http, &app.base, &format!("/login?flow={flow}"), "smirnova.ov", PASSWORD).await;
    let back = location(&res);
    assert!(query_param(&back, "code").is_some(), "a password login from the same flow: {back}");
}
