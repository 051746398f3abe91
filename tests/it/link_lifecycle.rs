//! The linking lifecycle as an attacker tries it (issue: the Госуслуги journey as
//! one state machine): a namesake of a reviewer, a link after an unlink, a parent
//! taking a pupil's account, the unlinked browser kept signed in, and the consent
//! left behind — each reproduced over HTTP against the real server and sandbox.

use crate::common::*;
use crate::esia_journey::{give_pd_consent, start, through_esia};
use crate::esia_support::*;

/// A sandbox personas file: the demo set plus `extra` personas.
fn personas_with(dir: &std::path::Path, extra: serde_json::Value) -> std::path::PathBuf {
    let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/esia-personas.json")).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&demo).unwrap();
    file["personas"].as_array_mut().unwrap().extend(extra.as_array().unwrap().iter().cloned());
    let path = dir.join("personas.json");
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

/// A confirmed ESIA person with admin1's name and birth date — another human.
fn namesake_of_admin1() -> serde_json::Value {
    serde_json::json!([{
        "login": "namesake@example.ru", "password": ESIA_PASSWORD, "oid": 1000000091,
        "account": "confirmed", "last_name": "Кузнецова", "first_name": "Елена", "middle_name": "Андреевна",
        "birth_date": "12.12.1980", "gender": "F", "snils": "987-654-321 83",
        "contacts": [{"id": 49101, "type": "EML", "value": "namesake@example.ru", "verified": true}]
    }])
}

#[tokio::test]
async fn br_05_a_namesake_of_a_reviewer_is_never_linked() {
    let dir = tempfile::tempdir().unwrap();
    let personas = personas_with(dir.path(), namesake_of_admin1());
    let app = TestApp::spawn_with(move |c| c.esia.sandbox.personas_file = personas, false).await;
    // admin1 has no SNILS on file and reviews requests: a full match of name and
    // birth date is not enough, and nothing about the near match is shown.
    let (http, next) = to_not_found(&app, "staff", "namesake@example.ru").await;
    let (_, html) = page(&app, &http, &next).await;
    assert!(!html.contains("Кузнецова") && !html.contains("admin1"), "nothing about the near match");
    assert!(links_of(&app, SCHOOL1, "admin1").await.is_empty(), "admin1 is not linked");
    // «Обратиться в организацию» does not name admin1's school as «your account» either.
    let (status, check) = page(&app, &http, &format!("/login/esia/request?flow={}", flow_of(&app, &next))).await;
    assert_eq!(status, 200);
    assert!(check.contains("Действительно ли у Вас есть проблема входа"));
    assert!(!check.contains("МБОУ СОШ №1"), "no near match named on the check page");
    let res = get(&app, &http, "/admin/requests").await;
    assert!(res.status().is_redirection(), "no staff session for the namesake");
    assert!(location(&res).starts_with("/login"), "to the login page");
}

#[tokio::test]
async fn rt_07_unlink_ends_the_esia_browser_its_tokens_and_the_automatic_link() {
    let app = TestApp::spawn().await;
    // ivanova is linked automatically (SNILS on file) and the RP gets a refresh token.
    let (http, back) = esia_login(&app, "parent", "ivanova@example.ru", "").await;
    let redirect = app.url("/demo/callback");
    let code = code_of(&app, &back, &redirect);
    let tokens: serde_json::Value = exchange_public(&app, "demo-diary", &redirect, &code).await.json().await.unwrap();
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token").to_owned();
    let linked = links_of(&app, SCHOOL1, "ivanova.mp").await;
    assert_eq!(linked.len(), 1);
    let (issuer, subject) = linked[0].clone();

    // «Отвязать» from the ESIA browser itself.
    let (_, html) = page(&app, &http, "/account").await;
    let res = post(&app, &http, "/account/esia/unlink", &[("csrf", &hidden(&html, "csrf").unwrap())]).await;
    assert_eq!(location(&res), "/login?next=/account", "the ESIA session ended with the link");
    assert!(links_of(&app, SCHOOL1, "ivanova.mp").await.is_empty());

    // No silent code for the unlinked browser, and the refresh family is dead.
    let res = http.get(authorize_url(&app, "demo-diary", &redirect, "openid", "&prompt=none")).send().await.unwrap();
    let to = location(&res);
    assert_eq!(query_param(&to, "error").as_deref(), Some("login_required"), "{to}");
    assert!(query_param(&to, "code").is_none());
    let res = http
        .post(app.url("/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_token), ("client_id", "demo-diary")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the refresh token died with the link");

    // The person left without links: consent and profile deleted, with a record.
    let store = &app.app().store;
    assert_eq!(store.pd_consent(&issuer, &subject).await.unwrap(), None, "the consent went with the last link");
    assert_eq!(store.upstream_profile(&issuer, &subject).await.unwrap(), None);
    assert_eq!(store.pd_deletions(&issuer, &subject).await.unwrap().len(), 1, "a deletion record");
    assert_eq!(audit_of(&app, "pd_data_deleted").await.len(), 1, "deletion audited");
    let owner = account_id(&app, SCHOOL1, "ivanova.mp").await;
    assert_eq!(store.tombstones(&issuer, &subject).await.unwrap(), [owner], "a tombstone for the pair");

    // The next ESIA login asks for the consent again and is not linked automatically.
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_esia(&app, &http, &login, "parent", "ivanova@example.ru").await;
    let res = give_pd_consent(&app, &http, res).await;
    let next = location(&res);
    assert!(next.starts_with("/login/esia/not-found?flow="), "the owner's unlink holds: {next}");
    assert!(links_of(&app, SCHOOL1, "ivanova.mp").await.is_empty());
    // The owner's own credentials may link again.
    let res = submit_link(&app, &http, &flow_of(&app, &next), "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 303, "linked by the owner's credentials");
    assert_eq!(links_of(&app, SCHOOL1, "ivanova.mp").await.len(), 1);
}

#[tokio::test]
async fn br_05_a_parents_esia_cannot_take_a_pupils_account() {
    let app = TestApp::spawn().await;
    // ivanova (an adult) chooses «Ученик»: no pupil matches her, so she tries her
    // children's passwords.
    let (http, next) = to_not_found(&app, "pupil", "ivanova@example.ru").await;
    let flow = flow_of(&app, &next);
    for pupil in ["ivanova.as", "ivanov.is"] {
        let res = submit_link(&app, &http, &flow, pupil, PASSWORD).await;
        assert_eq!(res.status(), 403, "{pupil}: refused by the link policy");
        let html = res.text().await.unwrap();
        assert!(html.contains("принадлежит другому человеку"), "says why without the account's data");
        assert!(links_of(&app, SCHOOL1, pupil).await.is_empty(), "{pupil} not linked");
    }
    let refused = audit_of(&app, "link_refused").await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].contains("adult_to_pupil_under_14") && refused[1].contains("birth_dates_apart"), "{refused:?}");
}

#[tokio::test]
async fn br_05_an_unconfirmed_account_or_one_without_consent_cannot_link() {
    let app = TestApp::spawn().await;
    // orlova (not confirmed) is refused, then posts the link form of her flow anyway.
    let (http, _, exit) = refused(&app, "parent", "orlova@example.ru").await;
    let flow = flow_of(&app, &exit);
    let csrf = hidden(&page(&app, &http, "/login").await.1, "csrf").unwrap();
    let form = link_form(&flow, &csrf, "smirnova.ov");
    let res = post(&app, &http, "/login/esia/link", &form).await;
    let back = location(&res);
    assert!(back.starts_with("/login/esia/refused?flow="), "back to the refusal: {back}");
    let (status, html) = page(&app, &http, &back).await;
    assert_eq!(status, 403);
    assert!(html.contains("подтвержденн") && html.contains("Вернуться в приложение"), "the refusal page again");
    for path in ["/login/esia/not-found", "/login/esia/link", "/login/esia/choose", "/login/esia/request"] {
        let res = get(&app, &http, &format!("{path}?flow={flow}")).await;
        assert!(location(&res).starts_with("/login/esia/refused?"), "{path} out of order");
    }
    // smirnova at the consent page (nothing given yet) posts the link form.
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_esia(&app, &http, &login, "parent", "smirnova@example.ru").await;
    let to_consent = location(&res);
    let flow = flow_of(&app, &to_consent);
    let csrf = hidden(&page(&app, &http, &to_consent).await.1, "csrf").unwrap();
    let res = post(&app, &http, "/login/esia/link", &link_form(&flow, &csrf, "smirnova.ov")).await;
    assert!(location(&res).starts_with("/login/esia/consent?flow="), "the consent first");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty(), "nothing linked");
    assert!(audit_of(&app, "login_succeeded").await.is_empty(), "nobody signed in");
}

fn link_form<'a>(flow: &'a str, csrf: &'a str, login: &'a str) -> [(&'a str, &'a str); 6] {
    [("flow", flow), ("csrf", csrf), ("org_kind", "school"), ("org", SCHOOL1), ("login", login), ("password", PASSWORD)]
}

#[tokio::test]
async fn pd_consent_refused_deletes_the_flow_and_is_audited() {
    let app = TestApp::spawn().await;
    let http = browser();
    let login = start(&app, &http, "").await;
    let res = through_esia(&app, &http, &login, "parent", "smirnova@example.ru").await;
    let to_consent = location(&res);
    let html = page(&app, &http, &to_consent).await.1;
    for item in ["ФИО", "Дата рождения", "СНИЛС", "Список детей"] {
        assert!(html.contains(item), "the consent lists «{item}»");
    }
    assert!(!html.contains("паспорт"), "passport data is not taken");
    let flow = flow_of(&app, &to_consent);
    let csrf = hidden(&html, "csrf").unwrap();
    let res =
        post(&app, &http, "/login/esia/consent", &[("flow", &flow), ("csrf", &csrf), ("decision", "refuse")]).await;
    assert_denied(&app, &location(&res), &app.url("/demo/callback"));
    assert_eq!(audit_of(&app, "pd_consent_refused").await.len(), 1);
    let res = get(&app, &http, &to_consent).await;
    assert_eq!(res.status(), 400, "the flow and its copy of the person are gone");
}

#[tokio::test]
async fn the_linking_forms_show_refreshes_the_cascade_and_links_nothing() {
    let app = TestApp::spawn().await;
    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let flow = flow_of(&app, &next);
    let csrf = hidden(&page(&app, &http, &format!("/login/esia/link?flow={flow}")).await.1, "csrf").unwrap();
    let form = [
        ("flow", flow.as_str()),
        ("csrf", csrf.as_str()),
        ("action", "refresh"),
        ("org_kind", "school"),
        ("org_region", "Алтайский край"),
        ("org", SCHOOL1),
        ("login", "smirnova.ov"),
        ("password", PASSWORD),
    ];
    let res = post(&app, &http, "/login/esia/link", &form).await;
    assert_eq!(res.status(), 200, "«Показать» re-renders the form");
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"smirnova.ov\""), "the login is kept");
    assert!(!html.contains(PASSWORD), "the password is never echoed");
    let school1 = html.split(&format!("value=\"{SCHOOL1}\"")).nth(1).unwrap_or_default();
    assert!(school1.starts_with(" hidden disabled>"), "СОШ №1 is not in Алтайский край");
    assert!(links_of(&app, SCHOOL1, "smirnova.ov").await.is_empty(), "nothing linked");
}

#[tokio::test]
async fn br_05_the_link_form_posted_twice_at_once_acts_once() {
    let app = TestApp::spawn().await;
    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let flow = flow_of(&app, &next);
    let csrf = hidden(&page(&app, &http, &format!("/login/esia/link?flow={flow}")).await.1, "csrf").unwrap();
    let form = link_form(&flow, &csrf, "smirnova.ov");
    let send = || http.post(app.url("/login/esia/link")).form(&form).send();
    let (a, b) = tokio::join!(send(), send());
    let mut to_app = 0;
    for res in [a.unwrap(), b.unwrap()] {
        let to = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        if to.starts_with(&app.url("/demo/callback")) {
            to_app += 1;
        } else {
            // The other is shown the page of the flow's stage, or finds the flow ended.
            assert!(res.status() == 303 && to.starts_with('/') || res.status() == 400, "{}: {to}", res.status());
        }
    }
    assert_eq!(to_app, 1, "one submission signs in");
    assert_eq!(audit_of(&app, "login_succeeded").await.len(), 1, "one session");
    assert_eq!(audit_of(&app, "account_linked").await.len(), 1, "one link");
}
