//! Staff review of access requests over HTTP (issue 5, points 5–7): the staff guard
//! and per-object authorisation (AB-05), the list «Обращения», the request page with
//! its candidates field by field, and the three decisions (link with correction,
//! create, reject) with their links, accounts, audit events and mail.
//! Requests are filed directly through the store; a second reviewer (of GYMN2) is
//! imported through the directory import.

use crate::common::*;
use crate::esia_support::{account_id, audit_of, page, post};
use propusk::account::demo::GYMN2;
use propusk::audit::AuditEvent;
use propusk::clock::{Clock, SystemClock};
use propusk::crypto::SecretString;
use propusk::store::links::LinkMethod;
use propusk::store::outbox::OutboxMessage;
use propusk::store::requests::{AccessRequest, Filed, RequestStatus, new_request_number};
use propusk::store::{Account, DirectoryBatch, Role};
use std::time::Duration;

pub(crate) const ESIA: &str = "https://esia.test";

/// A made-up open request of `org` for the ESIA person `subject`.
pub(crate) fn made_up(org: &str, subject: &str, role: Role, fio: [&str; 3], birth: &str) -> AccessRequest {
    AccessRequest {
        id: uuid::Uuid::new_v4().to_string(),
        number: new_request_number(),
        issuer: ESIA.into(),
        subject: subject.into(),
        role,
        surname: fio[0].into(),
        given_name: fio[1].into(),
        patronymic: Some(fio[2].into()),
        birth_date: Some(birth.into()),
        email: format!("{subject}@example.ru"),
        email_from_esia: true,
        child: None,
        organisation_id: org.into(),
        class_id: None,
        comment: Some("Не могу войти".into()),
        status: RequestStatus::Open,
        created_at: SystemClock.now() - 3 * 3600,
        decided_at: None,
        decided_by: None,
        reason: None,
        account_id: None,
    }
}

pub(crate) async fn file(app: &TestApp, req: &AccessRequest) {
    let mail = propusk::account::request_mail::filed(req, "школа").message(req.created_at, &req.email);
    let audit = AuditEvent::RequestFiled {
        number: req.number.clone(),
        organisation_id: req.organisation_id.clone(),
        upstream_subject: req.subject.clone(),
    };
    let filed = app.app().store.file_request(req, &mail, &audit).await.unwrap();
    assert_eq!(filed, Filed::Created);
}

pub(crate) fn smirnova(subject: &str) -> AccessRequest {
    made_up(SCHOOL1, subject, Role::Parent, ["Смирнова", "Ольга", "Викторовна"], "1990-06-05")
}

pub(crate) fn gymn2_request() -> AccessRequest {
    made_up(GYMN2, "gymn-person", Role::Parent, ["Петров", "Петр", "Петрович"], "1979-01-30")
}

/// Adds `admin2`, a reviewer of GYMN2, through the directory import.
pub(crate) async fn import_gymn2_reviewer(app: &TestApp) {
    let hash = propusk::account::password::hash(&SecretString::new(PASSWORD)).await.unwrap();
    let account = Account {
        id: propusk::account::directory::account_id(GYMN2, "admin2"),
        subject: "staff-created-admin2".into(),
        organisation_id: GYMN2.into(),
        login: "admin2".into(),
        password_hash: hash,
        role: Role::Staff,
        can_review_requests: true,
        surname: "Орлова".into(),
        given_name: "Нина".into(),
        patronymic: Some("Павловна".into()),
        birth_date: "1975-02-02".into(),
        snils_hash: None,
        match_key: "not-used".into(),
        class_id: None,
        email: None,
        phone: None,
        disabled: false,
        created_at: 0,
    };
    let batch = DirectoryBatch { accounts: vec![account], ..Default::default() };
    let event = AuditEvent::DirectoryImported { organisations: 0, accounts: 1, relations: 0 };
    app.app().store.import_directory(&batch, &event).await.unwrap();
}

/// A browser signed in as `login` of `org` through the normal login page.
pub(crate) async fn signed_in(app: &TestApp, org: &str, login: &str) -> reqwest::Client {
    let http = browser();
    let html = http.get(app.url("/login?next=/admin/requests")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("org_kind", "school"),
        ("org", org),
        ("login", login),
        ("password", PASSWORD),
        ("next", "/admin/requests"),
    ];
    let res = http.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(location(&res), "/admin/requests", "back to the staff pages after the login");
    http
}

pub(crate) fn path_of(req: &AccessRequest) -> String {
    format!("/admin/requests/{}", req.number)
}

/// The request page as `http` sees it, with its CSRF token.
pub(crate) async fn request_page(app: &TestApp, http: &reqwest::Client, req: &AccessRequest) -> (String, String) {
    let (status, html) = page(app, http, &path_of(req)).await;
    assert_eq!(status, 200, "{html}");
    let csrf = hidden(&html, "csrf").unwrap_or_default();
    (html, csrf)
}

pub(crate) async fn stored(app: &TestApp, req: &AccessRequest) -> AccessRequest {
    app.app().store.access_request_by_number(&req.number).await.unwrap().unwrap()
}

/// Waits for a delivered mail (the files transport writes `<id>.eml`) matching `want`.
async fn wait_mail(app: &TestApp, want: impl Fn(&OutboxMessage) -> bool) -> OutboxMessage {
    for _ in 0..150 {
        if let Ok(dir) = std::fs::read_dir(&app.config.mail.dir) {
            for entry in dir.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(id) = name.strip_suffix(".eml").filter(|n| !n.starts_with('.')) else { continue };
                if let Some(m) = app.app().store.mail(id).await.unwrap()
                    && want(&m)
                {
                    return m;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no such mail was delivered");
}

/// An error page without its (per-request) request id.
pub(crate) fn without_request_id(html: &str) -> String {
    match (html.find("<code>"), html.find("</code>")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_owned(),
    }
}

#[tokio::test]
async fn request_page_marks_the_differing_birth_date() {
    let app = TestApp::spawn().await;
    let req = smirnova("s-diff");
    file(&app, &req).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    let (html, _) = request_page(&app, &admin1, &req).await;
    let smirnova_ov = account_id(&app, SCHOOL1, "smirnova.ov").await;
    assert!(html.contains(&format!("value=\"{smirnova_ov}\"")), "smirnova.ov is a candidate");
    assert!(html.contains("05.06.1990") && html.contains("05.05.1990"));
    let row = html.find("05.05.1990").unwrap();
    let tr = html[..row].rfind("<tr").unwrap();
    assert!(html[tr..row].contains("class=\"diff\"") && html[tr..row].contains('≠'), "the birth date row is marked");
    for label in ["Фамилия", "Имя", "Отчество", "Дата рождения", "Email", "Класс"] {
        assert!(html.contains(label), "{label}");
    }
    for action in ["Привязать к учетной записи", "Создать учетную запись", "Отклонить", "Причина"]
    {
        assert!(html.contains(action), "{action}");
    }
    assert!(html.contains("Исправить данные учетной записи по данным Госуслуг"));
    let viewed = audit_of(&app, "request_viewed").await;
    assert!(viewed.iter().any(|e| e.contains(&req.number)), "who looked is audited");
}

#[tokio::test]
async fn link_with_correction_resolves_and_mails() {
    let app = TestApp::spawn().await;
    let req = smirnova("s-link");
    file(&app, &req).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    let (_, csrf) = request_page(&app, &admin1, &req).await;
    let smirnova_ov = account_id(&app, SCHOOL1, "smirnova.ov").await;
    let form = [("csrf", csrf.as_str()), ("account", &smirnova_ov), ("correct", "on")];
    let res = post(&app, &admin1, &format!("{}/link", path_of(&req)), &form).await;
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert!(back.starts_with("/admin/requests/%D0%90-"), "{back}");

    let after = stored(&app, &req).await;
    assert_eq!(after.status, RequestStatus::Resolved);
    assert_eq!(after.account_id.as_deref(), Some(smirnova_ov.as_str()));
    let links = app.app().store.links_by_subject(ESIA, &req.subject).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].account_id.as_str(), links[0].method), (smirnova_ov.as_str(), LinkMethod::Staff));
    let account = app.app().store.account(&smirnova_ov).await.unwrap().unwrap();
    assert_eq!(account.birth_date, "1990-06-05", "corrected from ESIA");
    let key = propusk::account::names::match_key(
        &app.app().directory_keys.matching,
        "Смирнова",
        "Ольга",
        Some("Викторовна"),
        "1990-06-05",
    );
    assert_eq!(account.match_key, key, "the matching key follows the correction");
    let corrected = audit_of(&app, "account_corrected").await;
    assert_eq!(corrected.len(), 1);
    assert!(corrected[0].contains("[\"birth_date\"]"), "changed fields only: {}", corrected[0]);
    assert!(
        audit_of(&app, "account_linked").await.iter().any(|e| e.contains("\"staff\"") && e.contains("staff_review"))
    );
    assert!(audit_of(&app, "request_decided").await.iter().any(|e| e.contains(&req.number) && e.contains("linked")));

    let mail = wait_mail(&app, |m| m.to == req.email && m.subject.contains("решена")).await;
    assert!(mail.text_body.contains(&format!("{}/login", app.base)), "{}", mail.text_body);

    let (status, html) = page(&app, &admin1, &back).await;
    assert_eq!(status, 200);
    assert!(html.contains("Решено") && html.contains("smirnova.ov") && html.contains("admin1"));
    assert!(!html.contains("Привязать к учетной записи"), "no actions on a decided request");

    // Deciding twice is refused, and nothing changes.
    for (action, form) in [
        ("reject", vec![("csrf", csrf.as_str()), ("reason", "поздно")]),
        ("link", vec![("csrf", csrf.as_str()), ("account", smirnova_ov.as_str())]),
        ("create", vec![("csrf", csrf.as_str())]),
    ] {
        let res = post(&app, &admin1, &format!("{}/{action}", path_of(&req)), &form).await;
        assert_eq!(res.status(), 409, "{action}");
        assert!(res.text().await.unwrap().contains("уже рассмотрено"));
    }
    assert_eq!(stored(&app, &req).await.status, RequestStatus::Resolved);
}

#[tokio::test]
async fn link_refuses_accounts_of_another_role_or_organisation() {
    let app = TestApp::spawn().await;
    let req = smirnova("s-wrong");
    file(&app, &req).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    let (_, csrf) = request_page(&app, &admin1, &req).await;
    for (org, login) in [(SCHOOL1, "ivanov.is"), (GYMN2, "petrov.pp2"), (SCHOOL1, "nobody")] {
        let id = app.app().store.account_by_login(org, login).await.unwrap().map(|a| a.id).unwrap_or_default();
        let res = post(&app, &admin1, &format!("{}/link", path_of(&req)), &[("csrf", &csrf), ("account", &id)]).await;
        assert_eq!(res.status(), 400, "{login}");
    }
    assert_eq!(stored(&app, &req).await.status, RequestStatus::Open);
}

#[tokio::test]
async fn create_makes_a_new_account_with_a_staff_link() {
    let app = TestApp::spawn().await;
    let parent = made_up(SCHOOL1, "sokolov", Role::Parent, ["Соколов", "Дмитрий", "Игоревич"], "1988-07-20");
    let mut pupil = made_up(SCHOOL1, "sokolova", Role::Pupil, ["Соколова", "Мария", "Дмитриевна"], "2012-05-05");
    let class_8a = propusk::account::directory::class_id(SCHOOL1, "8А");
    pupil.class_id = Some(class_8a.clone());
    file(&app, &parent).await;
    file(&app, &pupil).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    for (req, login) in [(&parent, "sokolov.di"), (&pupil, "sokolova.md")] {
        let (html, csrf) = request_page(&app, &admin1, req).await;
        assert!(html.contains("Создать учетную запись"));
        let res = post(&app, &admin1, &format!("{}/create", path_of(req)), &[("csrf", &csrf)]).await;
        assert_eq!(res.status(), 303, "{login}");
        let account = app.app().store.account_by_login(SCHOOL1, login).await.unwrap().expect("created");
        assert_eq!((account.role, account.can_review_requests), (req.role, false));
        assert_eq!(account.email.as_deref(), Some(req.email.as_str()));
        assert_eq!(account.birth_date, req.birth_date.clone().unwrap());
        assert!(account.password_hash.starts_with("$argon2id$"));
        let links = app.app().store.links_by_subject(ESIA, &req.subject).await.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!((links[0].account_id.as_str(), links[0].method), (account.id.as_str(), LinkMethod::Staff));
        let after = stored(&app, req).await;
        assert_eq!((after.status, after.account_id.as_deref()), (RequestStatus::Resolved, Some(account.id.as_str())));
        assert!(audit_of(&app, "account_created").await.iter().any(|e| e.contains(&account.id)));
        if req.role == Role::Pupil {
            assert_eq!(account.class_id.as_deref(), Some(class_8a.as_str()));
        } else {
            assert_eq!(account.class_id, None);
        }
    }
    wait_mail(&app, |m| m.to == parent.email && m.subject.contains("решена")).await;
}

#[tokio::test]
async fn reject_needs_a_reason_and_mails_it() {
    let app = TestApp::spawn().await;
    let req = smirnova("s-reject");
    file(&app, &req).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    let (_, csrf) = request_page(&app, &admin1, &req).await;
    let reject = format!("{}/reject", path_of(&req));
    for reason in ["", "   "] {
        let res = post(&app, &admin1, &reject, &[("csrf", &csrf), ("reason", reason)]).await;
        assert_eq!(res.status(), 400, "reason {reason:?}");
    }
    let long = "я".repeat(1001);
    assert_eq!(post(&app, &admin1, &reject, &[("csrf", &csrf), ("reason", &long)]).await.status(), 400);
    assert_eq!(stored(&app, &req).await.status, RequestStatus::Open);

    let reason = "В организации нет учащихся с такими данными";
    let res = post(&app, &admin1, &reject, &[("csrf", &csrf), ("reason", reason)]).await;
    assert_eq!(res.status(), 303);
    let after = stored(&app, &req).await;
    assert_eq!((after.status, after.reason.as_deref()), (RequestStatus::Rejected, Some(reason)));
    assert!(app.app().store.links_by_subject(ESIA, &req.subject).await.unwrap().is_empty());
    let mail = wait_mail(&app, |m| m.to == req.email && m.subject.contains("отклонено")).await;
    assert!(mail.text_body.contains(reason), "{}", mail.text_body);
    assert!(audit_of(&app, "request_decided").await.iter().any(|e| e.contains(&req.number) && e.contains("rejected")));

    let (_, html) = page(&app, &admin1, &path_of(&req)).await;
    assert!(html.contains("Отклонено") && html.contains(reason));
    let (_, html) = page(&app, &admin1, "/admin/requests?status=rejected").await;
    assert!(html.contains(&req.number));
    let (_, html) = page(&app, &admin1, "/admin/requests").await;
    assert!(!html.contains(&req.number), "not among the open ones");
}
