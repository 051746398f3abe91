//! The person's side of «Обратиться в организацию» over HTTP (issue 5, points 1–4):
//! the check page, the form pre-filled from ESIA, validation, the dependent selects
//! without JavaScript, the email code for a typed-in address, filing with its
//! confirmation in the outbox, the duplicate guard, and the CSRF/flow binding.

use crate::common::*;
use crate::esia_support::*;
use propusk::account::demo::GYMN2;
use propusk::store::outbox::OutboxMessage;
use propusk::store::requests::{AccessRequest, RequestStatus, is_request_number};

const SOKOLOV: &str = "sokolov@example.ru";
const OTHER_EMAIL: &str = "d.sokolov@example.org";

/// A browser on sokolov's (parent) request form: (browser, signed flow, form HTML).
async fn sokolov_form(app: &TestApp) -> (reqwest::Client, String, String) {
    let (http, next) = to_not_found(app, "parent", SOKOLOV).await;
    let flow = flow_of(app, &next);
    let (status, html) = page(app, &http, &format!("/login/esia/request/form?flow={flow}")).await;
    assert_eq!(status, 200, "the form");
    (http, flow, html)
}

/// The type of СОШ №1 and the ids of its first class and of Гимназия №2's class.
async fn school_choices(app: &TestApp) -> (String, String, String) {
    let store = &app.app().store;
    let org_type = store.organisation(SCHOOL1).await.unwrap().unwrap().org_type;
    let class = store.classes(SCHOOL1).await.unwrap().remove(0).id;
    let foreign = store.classes(GYMN2).await.unwrap().remove(0).id;
    (org_type, class, foreign)
}

/// The form's fields, overridden by `changes` (a missing name is left out).
async fn submit(
    app: &TestApp,
    http: &reqwest::Client,
    flow: &str,
    html: &str,
    changes: &[(&str, &str)],
) -> reqwest::Response {
    let (org_type, class, _) = school_choices(app).await;
    let csrf = hidden(html, "csrf").unwrap();
    let mut form: Vec<(String, String)> = [
        ("flow", flow),
        ("csrf", csrf.as_str()),
        ("email", SOKOLOV),
        ("child_name", "Соколов Артём Дмитриевич"),
        ("org_type", org_type.as_str()),
        ("organisation", SCHOOL1),
        ("class", class.as_str()),
        ("comment", "Не могу войти в дневник сына"),
        ("action", "submit"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (name, value) in changes {
        form.retain(|(k, _)| k != name);
        if !value.is_empty() {
            form.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    http.post(app.url("/login/esia/request/form")).form(&form).send().await.unwrap()
}

/// Follows a filing's redirect to the success page; returns the number shown and the page.
async fn success(app: &TestApp, http: &reqwest::Client, res: reqwest::Response) -> (String, String) {
    assert_eq!(res.status(), 303, "POST → redirect → GET");
    let done = location(&res);
    assert!(done.starts_with("/login/esia/request/done?flow="), "{done}");
    let (status, html) = page(app, http, &done).await;
    assert_eq!(status, 200);
    let number: String =
        html.split("Успешно создано обращение №").nth(1).expect("success text").chars().take(17).collect();
    assert!(is_number(&number), "^А-\\d{{9}}-\\d{{2}}-\\d{{2}}$: {number}");
    assert!(html.contains("Ожидайте рассмотрения запроса сотрудниками образовательной организации."));
    assert!(html.contains("Вернуться в приложение"));
    (number, html)
}

/// `^А-\d{9}-\d{2}-\d{2}$` with a Cyrillic «А».
fn is_number(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("А-") else { return false };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [9, 2, 2]
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && is_request_number(s)
}

async fn requests_of_sokolov(app: &TestApp) -> Vec<AccessRequest> {
    let store = &app.app().store;
    let mut all = Vec::new();
    for org in [SCHOOL1, GYMN2] {
        all.extend(store.requests_of_organisation(org, None, 100).await.unwrap());
    }
    all.retain(|r| r.surname == "Соколов");
    all
}

/// The outbox messages to `to` that the worker delivered (the `.eml` files name their
/// ids; the messages are read from the store). Waits until there are `n`.
async fn mail_to(app: &TestApp, to: &str, n: usize) -> Vec<OutboxMessage> {
    let dir = app.config.mail.dir.clone();
    for _ in 0..100 {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".eml").filter(|_| !name.starts_with('.'))
                && let Some(msg) = app.app().store.mail(id).await.unwrap()
                && msg.to == to
            {
                found.push(msg);
            }
        }
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{n} message(s) to {to} expected in the outbox");
}

/// The 6-digit code of the (only) code email to `to`.
async fn code_sent_to(app: &TestApp, to: &str) -> String {
    let mail = mail_to(app, to, 1).await;
    let text = &mail[0].text_body;
    let code = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("a 6-digit code in: {text}"));
    code.to_owned()
}

/// Another 6-digit code.
fn wrong(code: &str) -> String {
    let last = code.as_bytes()[5];
    let flipped = if last == b'9' { '0' } else { char::from(last + 1) };
    format!("{}{flipped}", &code[..5])
}

async fn post_code(app: &TestApp, http: &reqwest::Client, flow: &str, code: &str) -> reqwest::Response {
    let (status, html) = page(app, http, &format!("/login/esia/request/code?flow={flow}")).await;
    assert_eq!(status, 200, "the code page");
    let csrf = hidden(&html, "csrf").unwrap();
    post(app, http, "/login/esia/request/code", &[("flow", flow), ("csrf", &csrf), ("code", code)]).await
}

/// The `<option …>` tag of `value` in `html`.
fn option_tag<'a>(html: &'a str, value: &str) -> &'a str {
    let start = html.find(&format!("<option value=\"{value}\"")).unwrap_or_else(|| panic!("option {value}"));
    let end = html[start..].find('>').unwrap();
    &html[start..start + end]
}

#[tokio::test]
async fn sokolov_files_a_request_once() {
    let app = TestApp::spawn().await;
    let (http, next) = to_not_found(&app, "parent", SOKOLOV).await;
    let flow = flow_of(&app, &next);

    let (status, html) = page(&app, &http, &format!("/login/esia/request?flow={flow}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Действительно ли у Вас есть проблема входа в систему через Госуслуги?"));
    assert!(html.contains("Подать обращение в организацию следует ТОЛЬКО в случае"));
    assert!(html.contains(&format!("href=\"/login/esia?flow={flow}\">Вернуться<")), "«Вернуться» to the role choice");
    assert!(html.contains(&format!("href=\"/login/esia/request/form?flow={flow}\">Продолжить<")));

    let (status, html) = page(&app, &http, &format!("/login/esia/request/form?flow={flow}")).await;
    assert_eq!(status, 200);
    for shown in [
        "Информация была получена из Вашего профиля на портале Госуслуги.",
        "Соколов Дмитрий Игоревич",
        "20.07.1988",
        "value=\"sokolov@example.ru\"",
        "Родитель",
        "Ребенок",
        "name=\"child_name\"",
        "Тип организации",
        "Сначала выберите тип организации",
        "Сначала выберите организацию",
        "Дополнительный комментарий (необязательно)",
        "Выйти",
        "Отправить",
        "<script src=\"/static/request.js\" defer></script>",
    ] {
        assert!(html.contains(shown), "the form shows «{shown}»");
    }
    assert!(!html.contains("Информация о детях была получена"), "no ESIA children for sokolov");
    assert!(html.contains(&format!("href=\"/login/esia/exit?flow={flow}\">Выйти<")));

    let (number, done) = success(&app, &http, submit(&app, &http, &flow, &html, &[]).await).await;
    assert!(done.contains(SOKOLOV), "the address the answer goes to");
    let stored = app.app().store.access_request_by_number(&number).await.unwrap().expect("stored");
    assert_eq!(stored.status, RequestStatus::Open);
    assert_eq!((stored.email.as_str(), stored.email_from_esia), (SOKOLOV, true));
    assert_eq!(stored.organisation_id, SCHOOL1);
    assert_eq!(stored.child.as_ref().map(|c| c.given_name.as_str()), Some("Артём"));
    assert_eq!(stored.birth_date.as_deref(), Some("1988-07-20"));
    let mail = mail_to(&app, SOKOLOV, 1).await;
    assert!(mail[0].text_body.contains(&number), "the confirmation names the number");

    // Reloading the success page files nothing; a second identical request shows the open one.
    let (_, again) = page(&app, &http, &format!("/login/esia/request/done?flow={flow}")).await;
    assert!(again.contains(&number));
    let (_, html) = page(&app, &http, &format!("/login/esia/request/form?flow={flow}")).await;
    let (second, page2) = success(&app, &http, submit(&app, &http, &flow, &html, &[]).await).await;
    assert_eq!(second, number, "the open request, not a new one");
    assert!(page2.contains("уже открыто"), "says it is already open");
    assert_eq!(requests_of_sokolov(&app).await.len(), 1, "one request stored");
    assert_eq!(audit_of(&app, "request_filed").await.len(), 1, "filed once");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(mail_to(&app, SOKOLOV, 1).await.len(), 1, "one confirmation");

    // The check page now mentions the open request.
    let (_, html) = page(&app, &http, &format!("/login/esia/request?flow={flow}")).await;
    assert!(html.contains(&number), "the open request is mentioned");
}

#[tokio::test]
async fn validation_errors_re_render_the_form_with_400() {
    let app = TestApp::spawn().await;
    let (http, flow, html) = sokolov_form(&app).await;
    let (_, _, foreign_class) = school_choices(&app).await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("organisation", "")], "Выберите организацию."),
        (&[("organisation", "no-such-school")], "Такой организации нет"),
        (&[("class", foreign_class.as_str())], "Выберите класс выбранной организации."),
        (&[("email", "sokolov@example")], "Проверьте адрес электронной почты"),
    ];
    for (changes, message) in cases {
        let res = submit(&app, &http, &flow, &html, changes).await;
        assert_eq!(res.status(), 400, "{changes:?}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{changes:?} → «{message}»");
        assert!(body.contains("Не могу войти в дневник сына"), "values kept");
        assert!(body.contains("value=\"Соколов Артём Дмитриевич\""), "values kept");
    }
    let res = submit(&app, &http, &flow, &html, &[("class", "")]).await;
    assert_eq!(res.status(), 400, "a parent's class is required where the school has classes");
    let long = "я".repeat(1001);
    assert_eq!(submit(&app, &http, &flow, &html, &[("comment", &long)]).await.status(), 400, "≤ 1000 characters");
    assert!(requests_of_sokolov(&app).await.is_empty(), "nothing filed");
}

#[tokio::test]
async fn without_javascript_show_keeps_values_and_filters_options() {
    let app = TestApp::spawn().await;
    let (http, flow, html) = sokolov_form(&app).await;
    let (org_type, class, foreign_class) = school_choices(&app).await;
    // Nothing chosen: every organisation and class is there, hidden and disabled.
    assert!(option_tag(&html, SCHOOL1).contains("hidden disabled"));
    assert!(option_tag(&html, &foreign_class).contains("hidden disabled"));
    assert!(option_tag(&html, SCHOOL1).contains(&format!("data-type=\"{org_type}\"")));
    assert!(option_tag(&html, &class).contains(&format!("data-org=\"{SCHOOL1}\"")));

    let changes = [("action", "refresh"), ("email", OTHER_EMAIL), ("class", "")];
    let res = submit(&app, &http, &flow, &html, &changes).await;
    assert_eq!(res.status(), 200, "«Показать» re-renders");
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("value=\"{OTHER_EMAIL}\"")), "email kept");
    assert!(html.contains("Не могу войти в дневник сына") && html.contains("value=\"Соколов Артём Дмитриевич\""));
    assert!(option_tag(&html, &org_type).contains("selected"), "type kept");
    let school = option_tag(&html, SCHOOL1);
    assert!(school.contains("selected") && !school.contains("hidden"), "organisation kept: {school}");
    assert!(!option_tag(&html, GYMN2).contains("hidden"), "same type: offered");
    assert!(!option_tag(&html, &class).contains("hidden"), "the school's class offered");
    assert!(option_tag(&html, &foreign_class).contains("hidden disabled"), "another school's class filtered out");
    assert!(html.contains("Выберите класс"), "the class placeholder once a school is chosen");
    assert!(requests_of_sokolov(&app).await.is_empty() && audit_of(&app, "request_email_code_sent").await.is_empty());

    let res = get(&app, &http, "/static/request.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
}

#[tokio::test]
async fn a_changed_email_is_verified_by_a_code() {
    let app = TestApp::spawn().await;
    let (http, flow, html) = sokolov_form(&app).await;
    let res = submit(&app, &http, &flow, &html, &[("email", OTHER_EMAIL)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/login/esia/request/code?flow={flow}"));
    let (_, code_page) = page(&app, &http, &location(&res)).await;
    assert!(code_page.contains("Введите код из письма") && code_page.contains(OTHER_EMAIL));
    assert!(code_page.contains("name=\"code\""));
    let code = code_sent_to(&app, OTHER_EMAIL).await;
    assert_eq!(audit_of(&app, "request_email_code_sent").await.len(), 1);
    let audited = audit_of(&app, "request_email_code_sent").await.concat();
    assert!(!audited.contains(&code) && !audited.contains(OTHER_EMAIL), "no code or address in the audit");

    let res = post_code(&app, &http, &flow, &wrong(&code)).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Осталось попыток: 4"), "counted");
    assert!(requests_of_sokolov(&app).await.is_empty(), "not filed on a wrong code");

    let (number, done) = success(&app, &http, post_code(&app, &http, &flow, &code).await).await;
    assert!(done.contains(OTHER_EMAIL), "the verified address");
    let stored = app.app().store.access_request_by_number(&number).await.unwrap().unwrap();
    assert_eq!((stored.email.as_str(), stored.email_from_esia), (OTHER_EMAIL, false));
    // The code is spent with the draft.
    let res = get(&app, &http, &format!("/login/esia/request/code?flow={flow}")).await;
    assert_eq!(res.status(), 302, "no draft waits any more");
}

#[tokio::test]
async fn ab_01_five_wrong_email_codes_drop_the_draft() {
    let app = TestApp::spawn().await;
    let (http, flow, html) = sokolov_form(&app).await;
    assert_eq!(submit(&app, &http, &flow, &html, &[("email", OTHER_EMAIL)]).await.status(), 303);
    let code = code_sent_to(&app, OTHER_EMAIL).await;
    for left in (1..5).rev() {
        let res = post_code(&app, &http, &flow, &wrong(&code)).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains(&format!("Осталось попыток: {left}")));
    }
    let res = post_code(&app, &http, &flow, &wrong(&code)).await;
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("Форма подачи обращения") && body.contains("слишком много раз"), "back to the form");
    assert!(body.contains(&format!("value=\"{OTHER_EMAIL}\"")), "values kept");
    // The right code no longer files anything.
    let (_, html) = page(&app, &http, &format!("/login/esia/request/form?flow={flow}")).await;
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(&app, &http, "/login/esia/request/code", &[("flow", &flow), ("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login/esia/request/form?flow="), "to the form");
    assert!(requests_of_sokolov(&app).await.is_empty(), "nothing filed");
}

#[tokio::test]
async fn ab_01_parallel_email_codes_are_compared_at_most_five_times() {
    let app = TestApp::spawn().await;
    let (http, flow, html) = sokolov_form(&app).await;
    assert_eq!(submit(&app, &http, &flow, &html, &[("email", OTHER_EMAIL)]).await.status(), 303);
    let code = code_sent_to(&app, OTHER_EMAIL).await;
    let (_, page_html) = page(&app, &http, &format!("/login/esia/request/code?flow={flow}")).await;
    let csrf = hidden(&page_html, "csrf").unwrap();
    // 24 wrong codes and the right one, all at once, from the flow's own browser.
    let tasks: Vec<_> = (0..25)
        .map(|i| {
            let (http, url, flow, csrf) =
                (http.clone(), app.url("/login/esia/request/code"), flow.clone(), csrf.clone());
            let typed = if i == 20 { code.clone() } else { wrong(&code) };
            tokio::spawn(async move {
                let form = [("flow", flow.as_str()), ("csrf", csrf.as_str()), ("code", typed.as_str())];
                let res = http.post(url).form(&form).send().await.unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            })
        })
        .collect();
    let mut compared_wrong = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        compared_wrong +=
            usize::from(status == 400 && (body.contains("Неверный код") || body.contains("слишком много")));
    }
    let filed = requests_of_sokolov(&app).await.len();
    assert!(compared_wrong + filed <= 5, "at most five codes compared: {compared_wrong} wrong, {filed} filed");
}

#[tokio::test]
async fn az_12_request_form_needs_the_csrf_token_and_the_flows_browser() {
    let app = TestApp::spawn().await;
    let (http, flow, html) = sokolov_form(&app).await;
    // No flow / no CSRF token.
    let res = submit(&app, &http, &flow, &html, &[("flow", "")]).await;
    assert_eq!(res.status(), 400, "no flow");
    let res = submit(&app, &http, &flow, &html, &[("csrf", "")]).await;
    assert_eq!(res.status(), 403, "no CSRF token");
    // Another browser with its own valid token, replaying this browser's flow.
    let (other, _, other_html) = sokolov_form(&app).await;
    let res = submit(&app, &other, &flow, &other_html, &[]).await;
    assert_eq!(res.status(), 403, "a foreign browser's flow");
    let (status, _) = page(&app, &other, &format!("/login/esia/request/form?flow={flow}")).await;
    assert_eq!(status, 403, "the form of a foreign flow");
    let (status, _) = page(&app, &other, &format!("/login/esia/request?flow={flow}")).await;
    assert_eq!(status, 403, "the check page of a foreign flow");
    assert!(requests_of_sokolov(&app).await.is_empty(), "nothing filed");
    // A flow without an ESIA person (a login flow that never went to Госуслуги).
    let fresh = browser();
    let login = crate::esia_journey::start(&app, &fresh, "").await;
    let bare = flow_of(&app, &login);
    let res = get(&app, &fresh, &format!("/login/esia/request?flow={bare}")).await;
    assert_eq!(location(&res), format!("/login?flow={bare}"), "out of order: back to the flow's login page");
}

#[tokio::test]
async fn the_check_page_lists_organisations_where_the_person_has_an_account() {
    let app = TestApp::spawn().await;
    // ivanova signs in as a pupil: no pupil account, but her parent account matches.
    let (http, next) = to_not_found(&app, "pupil", "ivanova@example.ru").await;
    let (status, html) = page(&app, &http, &format!("/login/esia/request?flow={}", flow_of(&app, &next))).await;
    assert_eq!(status, 200);
    assert!(html.contains("МБОУ СОШ №1") && html.contains("Южно-Сахалинск"), "{html}");
    assert!(html.contains("Родитель"), "with the role");
    // As a pupil, the form asks for a class but not for a child.
    let (_, form) = page(&app, &http, &format!("/login/esia/request/form?flow={}", flow_of(&app, &next))).await;
    assert!(form.contains("Класс") && !form.contains("Ребенок") && form.contains("Ученик"));
}
