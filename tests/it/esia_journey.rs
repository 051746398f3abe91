//! The «Через Госуслуги» journey end to end against the ESIA sandbox mounted by
//! `--demo`, with the demo personas of CONTRACT.md §3 and the `openidconnect`-style
//! checks of what the relying party gets; the broker's security rules BR-01/BR-05
//! and security-checklist §4.3 over HTTP. Helpers: `esia_support.rs`.

use crate::common::*;
use crate::esia_support::*;
use propusk::account::demo::GYMN2;

/// From the login page of a flow: «Через Госуслуги» → role → the sandbox's login and
/// consent → our callback. Returns the response of the callback.
pub async fn through_esia(
    app: &TestApp,
    http: &reqwest::Client,
    login_url: &str,
    role: &str,
    esia_login: &str,
) -> reqwest::Response {
    let back = esia_callback_url(app, http, login_url, role, esia_login).await;
    http.get(back).send().await.unwrap()
}

/// Starts an authorization for the demo client and returns the login URL.
pub async fn start(app: &TestApp, http: &reqwest::Client, extra: &str) -> String {
    let redirect = app.url("/demo/callback");
    let res = http
        .get(authorize_url(app, "demo-diary", &redirect, "openid profile school children offline_access", extra))
        .send()
        .await
        .unwrap();
    location(&res)
}

/// Accepts the personal-data consent page the response leads to.
pub async fn give_pd_consent(app: &TestApp, http: &reqwest::Client, res: reqwest::Response) -> reqwest::Response {
    let to_consent = location(&res);
    assert!(to_consent.starts_with("/login/esia/consent?flow="), "PD consent first: {to_consent}");
    let html = http.get(app.url(&to_consent)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Согласие на передачу персональных данных"));
    assert!(html.contains("Даю согласие") && html.contains("Отказаться"));
    let csrf = hidden(&html, "csrf").unwrap();
    let flow = hidden(&html, "flow").unwrap();
    http.post(app.url("/login/esia/consent"))
        .form(&[("flow", flow.as_str()), ("csrf", &csrf), ("decision", "agree")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn parent_full_match_gets_children_claim() {
    let app = TestApp::spawn().await;
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_esia(&app, &http, &login, "parent", "ivanova@example.ru").await;
    let res = give_pd_consent(&app, &http, res).await;
    let back = location(&res);
    assert!(back.starts_with(&app.url("/demo/callback")), "straight to the RP: {back}");
    let code = query_param(&back, "code").unwrap();
    let tokens: serde_json::Value =
        exchange_public(&app, "demo-diary", &app.url("/demo/callback"), &code).await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = jwt_payload(id_token);
    assert_eq!(claims["family_name"], "Иванова");
    assert_eq!(claims["amr"][0], "esia");
    let children = claims["children"].as_array().expect("children claim");
    assert_eq!(children.len(), 2, "both children confirmed through ESIA: {children:?}");
}

/// The payload of a JWT (tests only; the RP library checks signatures elsewhere).
pub fn jwt_payload(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn parent_in_two_schools_chooses_an_account_which_becomes_the_default() {
    let app = TestApp::spawn().await;
    let (pp, pp2) = (account_id(&app, SCHOOL1, "petrov.pp").await, account_id(&app, GYMN2, "petrov.pp2").await);
    let (http, next) = esia_login(&app, "parent", "petrov@example.ru", "").await;
    assert!(next.starts_with("/login/esia/choose?flow="), "two accounts → the chooser: {next}");
    let (status, html) = page(&app, &http, &next).await;
    assert_eq!(status, 200);
    assert!(html.contains("Выберите учетную запись") && html.contains("Войти"));
    let entries = chooser_entries(&html);
    assert_eq!(entries.len(), 2, "{entries:?}");
    let gymn = entries.iter().find(|(_, org)| org == "МАОУ Гимназия №2").expect("Гимназия №2 offered");
    assert!(entries.iter().any(|(id, org)| org == "МБОУ СОШ №1" && *id == pp), "СОШ №1 offered: {entries:?}");
    assert_eq!(gymn.0, pp2);
    assert!(html.contains("Родитель"), "the role is shown");
    let res = choose(&app, &http, &next, &pp2).await;
    // ё/е: ESIA says «Петр», the school «Пётр»; the claims carry the school's spelling.
    assert_esia_claims(
        &demo_claims(&app, &location(&res)).await,
        &sub_of(&app, &pp2).await,
        "Петров",
        "Пётр",
        "Петрович",
    );

    // A second login goes straight to the remembered default.
    let (_, next) = esia_login(&app, "parent", "petrov@example.ru", "").await;
    assert_eq!(demo_claims(&app, &next).await["sub"], sub_of(&app, &pp2).await, "the default account");

    // prompt=select_account shows the chooser again; the new choice becomes the default.
    let (http, next) = esia_login(&app, "parent", "petrov@example.ru", "&prompt=select_account").await;
    assert!(next.starts_with("/login/esia/choose?flow="), "the chooser again: {next}");
    let (_, html) = page(&app, &http, &next).await;
    assert_eq!(chooser_entries(&html).len(), 2);
    let res = choose(&app, &http, &next, &pp).await;
    assert_esia_claims(
        &demo_claims(&app, &location(&res)).await,
        &sub_of(&app, &pp).await,
        "Петров",
        "Пётр",
        "Петрович",
    );
    let (_, next) = esia_login(&app, "parent", "petrov@example.ru", "").await;
    assert_eq!(demo_claims(&app, &next).await["sub"], sub_of(&app, &pp).await, "the new default");
    assert_eq!(audit_of(&app, "pd_consent_given").await.len(), 1, "the PD consent was asked once");
}

/// `login_hint` naming one of the person's own accounts saves the chooser; with
/// `prompt=select_account`, or naming someone else's login, the chooser is shown.
#[tokio::test]
async fn a_login_hint_picks_one_of_the_persons_accounts_and_nothing_else() {
    let app = TestApp::spawn().await;
    let pp2 = account_id(&app, GYMN2, "petrov.pp2").await;
    let (_, next) = esia_login(&app, "parent", "petrov@example.ru", "&login_hint=petrov.pp2").await;
    assert_eq!(demo_claims(&app, &next).await["sub"], sub_of(&app, &pp2).await, "straight to the hinted account");
    for extra in
        ["&login_hint=petrov.pp2&prompt=select_account", "&login_hint=ivanova.mp", "&login_hint=petrov.pp2%20x"]
    {
        let app = TestApp::spawn().await;
        let (_, next) = esia_login(&app, "parent", "petrov@example.ru", extra).await;
        assert!(next.starts_with("/login/esia/choose?flow="), "{extra}: the chooser: {next}");
    }
}

#[tokio::test]
async fn staff_role_goes_straight_to_the_teacher_account() {
    let app = TestApp::spawn().await;
    let teacher = account_id(&app, SCHOOL1, "petrov.teacher").await;
    let (_, next) = esia_login(&app, "staff", "petrov@example.ru", "").await;
    assert!(next.starts_with(&app.url("/demo/callback")), "no chooser for one staff account: {next}");
    assert_esia_claims(&demo_claims(&app, &next).await, &sub_of(&app, &teacher).await, "Петров", "Пётр", "Петрович");
}

#[tokio::test]
async fn mismatch_links_with_school_credentials_then_goes_straight_through() {
    let app = TestApp::spawn().await;
    let smirnova = account_id(&app, SCHOOL1, "smirnova.ov").await;
    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let (_, html) = page(&app, &http, &format!("/login/esia/link?flow={}", flow_of(&app, &next))).await;
    for label in ["Привязать учетную запись", "Выберите организацию", "Логин", "Пароль", "Привязать"]
    {
        assert!(html.contains(label), "link form shows «{label}»");
    }
    let res = submit_link(&app, &http, &flow_of(&app, &next), "smirnova.ov", PASSWORD).await;
    assert_eq!(res.status(), 303, "linked and signed in");
    assert_esia_claims(
        &demo_claims(&app, &location(&res)).await,
        &sub_of(&app, &smirnova).await,
        "Смирнова",
        "Ольга",
        "Викторовна",
    );
    assert_eq!(links_of(&app, SCHOOL1, "smirnova.ov").await.len(), 1);
    let linked = audit_of(&app, "account_linked").await;
    assert!(linked.iter().any(|d| d.contains(&smirnova) && d.contains("legacy_credentials")), "BR-06: {linked:?}");

    // A second login (new browser): no PD consent page, no matching page.
    let http = browser();
    let login = start(&app, &http, "").await;
    let next = location(&through_esia(&app, &http, &login, "parent", "smirnova@example.ru").await);
    assert!(next.starts_with(&app.url("/demo/callback")), "straight through: {next}");
    assert_eq!(demo_claims(&app, &next).await["sub"], sub_of(&app, &smirnova).await);
}

#[tokio::test]
async fn no_account_anywhere_leads_to_the_request_page_and_back() {
    let app = TestApp::spawn().await;
    let (http, next) = to_not_found(&app, "parent", "sokolov@example.ru").await;
    let flow = flow_of(&app, &next);
    let (status, html) = page(&app, &http, &format!("/login/esia/request?flow={flow}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Обратиться в организацию"));
    assert!(html.contains(&format!("href=\"/login/esia/not-found?flow={flow}\"")), "a way back");
    let (status, html) = page(&app, &http, &format!("/login/esia/not-found?flow={flow}")).await;
    assert_eq!((status, html.contains("Запись не найдена")), (200, true), "back on «Запись не найдена»");
}

#[tokio::test]
async fn unconfirmed_esia_account_is_refused_with_a_way_back_to_the_app() {
    let app = TestApp::spawn().await;
    for role in ["parent", "pupil", "staff"] {
        let (http, html, exit) = refused(&app, role, "orlova@example.ru").await;
        assert!(html.contains("подтвержденн"), "says the account must be confirmed");
        assert_denied(&app, &location(&get(&app, &http, &exit).await), &app.url("/demo/callback"));
    }
    assert!(audit_of(&app, "pd_consent_given").await.is_empty(), "no consent asked of a refused person");
    assert_eq!(audit_of(&app, "upstream_refused").await.len(), 3, "each refusal is audited");
}

#[tokio::test]
async fn pupils_over_and_under_14_match_and_a_child_account_is_for_pupils_only() {
    let app = TestApp::spawn().await;
    let (_, next) = esia_login(&app, "pupil", "ivanov.ivan@example.ru", "").await;
    let ivan = account_id(&app, SCHOOL1, "ivanov.is").await;
    assert_esia_claims(&demo_claims(&app, &next).await, &sub_of(&app, &ivan).await, "Иванов", "Иван", "Сергеевич");

    let (_, next) = esia_login(&app, "pupil", "anna.child@example.ru", "").await;
    let anna = account_id(&app, SCHOOL1, "ivanova.as").await;
    assert_esia_claims(&demo_claims(&app, &next).await, &sub_of(&app, &anna).await, "Иванова", "Анна", "Сергеевна");

    let (_, html, _) = refused(&app, "parent", "anna.child@example.ru").await;
    assert!(html.contains("Детская учетная запись") && html.contains("«Ученик»"), "says why");
}

#[tokio::test]
async fn pd_consent_refused_and_exit_on_not_found_return_access_denied() {
    let app = TestApp::spawn().await;
    let redirect = app.url("/demo/callback");
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_esia(&app, &http, &login, "parent", "ivanova@example.ru").await;
    let to_consent = location(&res);
    assert!(to_consent.starts_with("/login/esia/consent?flow="), "{to_consent}");
    let (_, html) = page(&app, &http, &to_consent).await;
    let (flow, csrf) = (flow_of(&app, &to_consent), hidden(&html, "csrf").unwrap());
    let res =
        post(&app, &http, "/login/esia/consent", &[("flow", &flow), ("csrf", &csrf), ("decision", "refuse")]).await;
    assert_denied(&app, &location(&res), &redirect);
    assert!(audit_of(&app, "pd_consent_given").await.is_empty(), "nothing recorded");

    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let res = get(&app, &http, &format!("/login/esia/exit?flow={}", flow_of(&app, &next))).await;
    assert_denied(&app, &location(&res), &redirect);
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty());
}

#[tokio::test]
async fn account_page_links_esia_from_a_password_session_and_unlinks_it() {
    let app = TestApp::spawn().await;
    let http = browser();
    let html = password_login_to_account(&app, &http, "petrov.pp").await;
    assert!(html.contains("Привязать учетную запись портала Госуслуг"));
    assert!(!html.contains("Учетная запись портала Госуслуг привязана"));
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(&app, &http, "/account/esia/link", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 200, "the notice about the redirect");
    let html = res.text().await.unwrap();
    assert!(html.contains("Госуслуг") && html.contains("перенаправлены"), "says where the person goes");
    let res = post(&app, &http, "/account/esia/start", &[("csrf", hidden(&html, "csrf").unwrap().as_str())]).await;
    let back = sandbox_login(&app, &http, &location(&res), "petrov@example.ru").await;
    let res = give_pd_consent(&app, &http, get(&app, &http, &back).await).await;
    assert_eq!(location(&res), "/account?esia=linked");
    let (_, html) = page(&app, &http, "/account?esia=linked").await;
    assert!(html.contains("Учетная запись портала Госуслуг привязана"));
    assert!(html.contains("Отвязать учетную запись портала Госуслуг"));
    assert_eq!(links_of(&app, SCHOOL1, "petrov.pp").await.len(), 1, "linked to the signed-in account only");
    assert!(links_of(&app, GYMN2, "petrov.pp2").await.is_empty());

    let res = post(&app, &http, "/account/esia/unlink", &[("csrf", &hidden(&html, "csrf").unwrap())]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("Учетная запись портала Госуслуг привязана"), "the link is gone");
    assert!(html.contains("Привязать учетную запись портала Госуслуг"));
    assert!(links_of(&app, SCHOOL1, "petrov.pp").await.is_empty());
    assert_eq!(audit_of(&app, "account_unlinked").await.len(), 1, "BR-06");
}

#[tokio::test]
async fn revoking_the_pd_consent_makes_the_next_esia_login_ask_again() {
    let app = TestApp::spawn().await;
    let (http, next) = esia_login(&app, "parent", "ivanova@example.ru", "").await;
    assert!(next.starts_with(&app.url("/demo/callback")), "{next}");
    let links = links_of(&app, SCHOOL1, "ivanova.mp").await;
    let (issuer, subject) = links.first().cloned().expect("auto-linked on the full match");
    assert!(app.app().store.upstream_profile(&issuer, &subject).await.unwrap().is_some(), "ESIA data kept");
    let (status, html) = page(&app, &http, "/account").await;
    assert_eq!(status, 200, "the ESIA login opened a session");
    assert!(html.contains("Согласие на передачу персональных данных") && html.contains("Отозвать согласие"));
    assert!(html.contains("Передача персональных данных из ЕСИА"), "the consent is listed");
    let (csrf, index) = (hidden(&html, "csrf").unwrap(), hidden(&html, "index").unwrap());
    let res = post(&app, &http, "/account/pd-consent/revoke", &[("csrf", &csrf), ("index", &index)]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("Передача персональных данных из ЕСИА"), "no longer listed");
    assert!(app.app().store.pd_consent(&issuer, &subject).await.unwrap().is_none());
    assert!(app.app().store.upstream_profile(&issuer, &subject).await.unwrap().is_none(), "ESIA data deleted");
    assert_eq!(audit_of(&app, "pd_consent_revoked").await.len(), 1);

    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_esia(&app, &http, &login, "parent", "ivanova@example.ru").await;
    let res = give_pd_consent(&app, &http, res).await; // asserts the consent page comes first
    assert!(location(&res).starts_with(&app.url("/demo/callback")));
}

#[tokio::test]
async fn native_app_with_loopback_or_private_use_scheme_redirect_completes_the_journey() {
    let scheme = "ru.example.diary:/oauth2redirect";
    for (registered, used) in [("http://127.0.0.1/cb", "http://127.0.0.1:53123/cb"), (scheme, scheme)] {
        let app = TestApp::spawn().await;
        let (sub, payload) = native_app_journey(&app, registered, used).await;
        assert_eq!(sub, sub_of(&app, &account_id(&app, SCHOOL1, "ivanova.mp").await).await, "via {used}");
        assert_esia_claims(&payload, &sub, "Иванова", "Мария", "Петровна");
        assert_eq!(payload["aud"], "diary-app");
    }
}
