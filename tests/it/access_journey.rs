//! Access requests end to end (issue 5): the sokolov persona files a request from
//! «Запись не найдена», the confirmation arrives over a real SMTP conversation
//! (a sink on loopback), `admin1` links it to the school's record (correcting
//! it) and the person's next ESIA login goes straight through; a rejection
//! mails its reason; the outbox outlives an SMTP outage.

use crate::common::*;
use crate::esia_support::*;
use crate::smtp_sink::{Inbox, parsed, smtp_sink, wait_for};
use propusk::mail::{SmtpTls, TransportKind};
use propusk::store::Role;
use propusk::store::requests::{AccessRequest, RequestStatus};
use tokio::net::TcpListener;

const SOKOLOV: &str = "sokolov@example.ru";

/// The app with its mail going over SMTP to 127.0.0.1:`port`, retried after 1 s, 2 s, 4 s…
async fn app_mailing_to(port: u16) -> TestApp {
    TestApp::spawn_with(
        |c| {
            c.mail.transport = TransportKind::Smtp;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = port;
            c.mail.smtp_tls = SmtpTls::None;
            c.mail.timeout_secs = 2;
            c.mail.backoff_base_secs = 1;
        },
        false,
    )
    .await
}

/// A sink on an ephemeral port and the app mailing to it.
async fn app_with_sink() -> (TestApp, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Inbox::default();
    tokio::spawn(smtp_sink(listener, inbox.clone()));
    (app_mailing_to(port).await, inbox)
}

/// sokolov (parent) from «Запись не найдена» through the check page and the form to
/// the success page, asking СОШ №1. Returns the request number shown.
async fn file_as_sokolov(app: &TestApp) -> String {
    let (http, next) = to_not_found(app, "parent", SOKOLOV).await;
    let flow = flow_of(app, &next);
    let (status, html) = page(app, &http, &format!("/login/esia/request?flow={flow}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Действительно ли у Вас есть проблема входа в систему через Госуслуги?"));
    assert!(html.contains("Вернуться") && html.contains("Продолжить"));

    let (status, html) = page(app, &http, &format!("/login/esia/request/form?flow={flow}")).await;
    assert_eq!(status, 200);
    for shown in ["Соколов Дмитрий Игоревич", "20.07.1988", SOKOLOV, "Родитель", "Отправить", "Выйти"]
    {
        assert!(html.contains(shown), "the form shows «{shown}» from ESIA");
    }
    let store = &app.app().store;
    let school = store.organisation(SCHOOL1).await.unwrap().unwrap();
    let class = store.classes(SCHOOL1).await.unwrap().remove(0);
    let res = post(
        app,
        &http,
        "/login/esia/request/form",
        &[
            ("flow", flow.as_str()),
            ("csrf", &hidden(&html, "csrf").unwrap()),
            ("email", SOKOLOV),
            ("child_name", "Соколов Артём Дмитриевич"),
            ("org_type", &school.org_type),
            ("organisation", SCHOOL1),
            ("class", &class.id),
            ("comment", "Сын учится в 8А, в дневник войти не могу"),
            ("action", "submit"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "filed, then the success page (POST → redirect → GET)");
    let (status, html) = page(app, &http, &location(&res)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Успешно создано обращение №"), "{html}");
    assert!(html.contains(SOKOLOV), "the page names the address the answer goes to");
    let number = html.split("обращение №").nth(1).unwrap().chars().take(17).collect::<String>();
    assert!(propusk::store::requests::is_request_number(&number), "А-NNNNNNNNN-NN-NN: {number}");
    number
}

/// The one received email whose subject contains `part` (delivery order is not fixed).
fn with_subject(inbox: &Inbox, part: &str) -> mail_parser::Message<'static> {
    let mut found: Vec<_> =
        parsed(inbox).into_iter().filter(|m| m.subject().unwrap_or_default().contains(part)).collect();
    assert_eq!(found.len(), 1, "one email «{part}»");
    found.remove(0)
}

async fn request(app: &TestApp, number: &str) -> AccessRequest {
    app.app().store.access_request_by_number(number).await.unwrap().expect("the request is stored")
}

/// admin1 signed in through the normal login page, landing on the queue.
async fn staff_browser(app: &TestApp) -> reqwest::Client {
    let http = browser();
    let res = http.get(app.url("/admin/requests")).send().await.unwrap();
    let to_login = location(&res);
    assert!(to_login.starts_with("/login"), "staff sign in first: {to_login}");
    let res = submit_login(&http, &app.base, &to_login, "admin1", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/requests", "back to the queue after the login");
    http
}

/// A staff action on the request page (its CSRF token taken from the page).
async fn act(
    app: &TestApp,
    http: &reqwest::Client,
    number: &str,
    action: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let (status, html) = page(app, http, &format!("/admin/requests/{number}")).await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf").unwrap();
    let mut form = form.to_vec();
    form.push(("csrf", &csrf));
    post(app, http, &format!("/admin/requests/{number}/{action}"), &form).await
}

/// The school's record of sokolov, with a wrong birth date (1987 instead of 1988):
/// why nothing matched. Imported next to the demo data set.
async fn import_sokolov_record(app: &TestApp) -> String {
    let store = &app.app().store;
    let mut acc = store.account_by_login(SCHOOL1, "petrov.pp").await.unwrap().unwrap();
    acc.id = "acc-sokolov-di".into();
    acc.subject = "sub-sokolov-di".into();
    acc.login = "sokolov.di".into();
    (acc.surname, acc.given_name, acc.patronymic) = ("Соколов".into(), "Дмитрий".into(), Some("Игоревич".into()));
    acc.birth_date = "1987-07-20".into();
    acc.match_key = "not-a-match".into();
    let batch = propusk::store::DirectoryBatch { accounts: vec![acc.clone()], ..Default::default() };
    store.import_directory(&batch, &propusk::audit::AuditEvent::DemoSeeded).await.unwrap();
    acc.id
}

#[tokio::test]
async fn sokolov_request_linked_by_staff_then_esia_login_goes_straight_through() {
    let (app, inbox) = app_with_sink().await;
    let record = import_sokolov_record(&app).await;
    let number = file_as_sokolov(&app).await;
    let filed = request(&app, &number).await;
    assert_eq!(
        (filed.status, filed.role, filed.organisation_id.as_str()),
        (RequestStatus::Open, Role::Parent, SCHOOL1)
    );
    assert!(filed.email_from_esia);

    // The confirmation, over SMTP.
    wait_for(&inbox, 1).await;
    let mail = &with_subject(&inbox, "создано");
    assert_eq!(mail.to().and_then(|a| a.first()).and_then(|a| a.address()), Some(SOKOLOV));
    let text = mail.body_text(0).unwrap();
    assert!(text.contains("Успешно создан запрос получения доступа в систему"), "{text}");
    assert!(text.contains(&format!("Вашему обращению присвоен номер {number}")), "{text}");
    assert!(mail.body_html(0).is_some(), "plain text and HTML");

    // admin1 sees it in the queue, opens it, the record is a candidate with the birth date marked.
    let staff = staff_browser(&app).await;
    let (_, queue) = page(&app, &staff, "/admin/requests").await;
    assert!(queue.contains("Обращения") && queue.contains(&number) && queue.contains("Новое"));
    let (_, detail) = page(&app, &staff, &format!("/admin/requests/{number}")).await;
    assert!(detail.contains("20.07.1988") && detail.contains("20.07.1987"), "ESIA beside the record");
    assert!(detail.contains("Привязать к учетной записи") && detail.contains("Создать учетную запись"));
    assert!(detail.contains("Отклонить") && detail.contains("Причина"));
    assert!(detail.contains(&record), "the record is offered");

    // A year apart: the link policy warns, and staff must confirm explicitly.
    assert!(detail.contains("Даты рождения отличаются больше чем на год"), "the warning is shown");
    let res = act(&app, &staff, &number, "link", &[("account", &record), ("correct", "on")]).await;
    assert_eq!(res.status(), 400, "not without the confirmation");
    let confirmed = [("account", record.as_str()), ("correct", "on"), ("confirm", "on")];
    let res = act(&app, &staff, &number, "link", &confirmed).await;
    assert_eq!(res.status(), 303, "linked");
    let done = request(&app, &number).await;
    assert_eq!((done.status, done.account_id.as_deref()), (RequestStatus::Resolved, Some(record.as_str())));
    let corrected = app.app().store.account(&record).await.unwrap().unwrap();
    assert_eq!(corrected.birth_date, "1988-07-20", "the record corrected from ESIA");
    for kind in ["request_viewed", "account_corrected", "account_linked", "request_decided"] {
        assert!(!audit_of(&app, kind).await.is_empty(), "audited: {kind}");
    }

    wait_for(&inbox, 2).await;
    let outcome = with_subject(&inbox, "проблема решена");
    assert!(outcome.body_text(0).unwrap().contains("Через Госуслуги"), "how to sign in now");

    // The next ESIA login goes straight to the relying party, as the school account.
    let (_, next) = esia_login(&app, "parent", SOKOLOV, "").await;
    assert!(next.starts_with(&app.url("/demo/callback")), "straight through: {next}");
    assert_eq!(demo_claims(&app, &next).await["sub"], sub_of(&app, &record).await);
}

#[tokio::test]
async fn rejected_request_mails_its_reason() {
    let (app, inbox) = app_with_sink().await;
    let number = file_as_sokolov(&app).await;
    let staff = staff_browser(&app).await;
    let res = act(&app, &staff, &number, "reject", &[("reason", "  ")]).await;
    assert_eq!(res.status(), 400, "a reason is required");
    assert_eq!(request(&app, &number).await.status, RequestStatus::Open);

    let reason = "Ребёнок не обучается в СОШ №1";
    let res = act(&app, &staff, &number, "reject", &[("reason", reason)]).await;
    assert_eq!(res.status(), 303);
    let done = request(&app, &number).await;
    assert_eq!((done.status, done.reason.as_deref()), (RequestStatus::Rejected, Some(reason)));
    wait_for(&inbox, 2).await;
    let mail = with_subject(&inbox, "обращение отклонено");
    assert!(mail.body_text(0).unwrap().contains(reason), "the reason is in the email");
    let (_, queue) = page(&app, &staff, "/admin/requests?status=rejected").await;
    assert!(queue.contains(&number) && queue.contains("Отклонено"));
}

#[tokio::test]
async fn outbox_outlives_an_smtp_outage() {
    // Reserve a port and close it: the SMTP server is down while the request is filed.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let app = app_mailing_to(port).await;
    let number = file_as_sokolov(&app).await;
    assert_eq!(request(&app, &number).await.status, RequestStatus::Open, "filed although mail is down");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    // The server comes back on the same port: the retry delivers the confirmation.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let inbox = Inbox::default();
    tokio::spawn(smtp_sink(listener, inbox.clone()));
    wait_for(&inbox, 1).await;
    assert!(parsed(&inbox)[0].body_text(0).unwrap().contains(&number));
}
