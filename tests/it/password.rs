//! Passwords set by their owners (issue 8) over HTTP: «Сменить пароль» on
//! /account (wrong current password counted, lockout, policy, other sessions and
//! their tokens ended while this one stays) and «Забыли пароль?» (one answer for
//! every login, the link by mail, single use also under parallel use, expiry,
//! forgery, sessions ended, throttling). Mail is read from the `.eml` files.

use crate::common::*;
use crate::esia_support::*;
use crate::support::Rp;
use propusk::audit::AuditEvent;
use std::time::Duration;

const NEW: &str = "Sunny-Day-2027";
const OFFLINE: &str = "openid profile offline_access";
pub const IVANOVA_MAIL: &str = "ivanova.school@example.ru";

/// Gives `login` of [`SCHOOL1`] an email address (as a directory import would).
pub async fn set_email(app: &TestApp, login: &str, email: &str) {
    let store = &app.app().store;
    let mut account = store.account_by_login(SCHOOL1, login).await.unwrap().unwrap();
    account.email = Some(email.into());
    let batch = propusk::store::DirectoryBatch { accounts: vec![account], ..Default::default() };
    store.import_directory(&batch, &AuditEvent::DemoSeeded).await.unwrap();
}

/// (subject, plain text) of the mails delivered to `to`, once there are at least `n` (10 s at most).
pub async fn mails_to(app: &TestApp, to: &str, n: usize) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for _ in 0..100 {
        found = std::fs::read_dir(&app.config.mail.dir)
            .map(|entries| {
                entries
                    .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                    .filter_map(|raw| {
                        let m = mail_parser::MessageParser::default().parse(&raw)?;
                        let addressed = m.to()?.first()?.address()? == to;
                        let text = m.body_text(0)?.into_owned();
                        addressed.then(|| (m.subject().unwrap_or_default().to_owned(), text))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if found.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
}

/// The path of the reset link in the `n`-th «Восстановление пароля» mail to `to`.
pub async fn reset_link(app: &TestApp, to: &str, n: usize) -> String {
    let mails = mails_to(app, to, n).await;
    let links: Vec<String> = mails
        .iter()
        .filter(|(subject, _)| subject == "Восстановление пароля")
        .filter_map(|(_, text)| text.split_whitespace().find(|w| w.contains("/reset-password?token=")))
        .map(|url| url.strip_prefix(&app.base).expect("a link to this issuer").to_owned())
        .collect();
    assert!(links.len() >= n, "expected {n} reset mails to {to}, got {mails:?}");
    links[n - 1].clone()
}

/// «Сменить пароль» from the /account page of `http`.
pub async fn change(
    app: &TestApp,
    http: &reqwest::Client,
    current: &str,
    new: &str,
    repeat: &str,
) -> reqwest::Response {
    let (status, html) = page(app, http, "/account").await;
    assert_eq!(status, 200, "signed in");
    let csrf = hidden(&html, "csrf").unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("current_password", current),
        ("new_password", new),
        ("new_password_repeat", repeat),
    ];
    post(app, http, "/account/password", &form).await
}

/// A password login of `login` with `password` in a fresh browser: the status of the POST.
pub async fn login_status(app: &TestApp, login: &str, password: &str) -> u16 {
    submit_login(&browser(), &app.base, "/login?next=/account", login, password).await.status().as_u16()
}

fn alert(html: &str) -> String {
    let start = html.find("role=\"alert\">").map(|i| i + "role=\"alert\">".len()).unwrap_or(0);
    html[start..].split('<').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn change_wrong_current_password_is_refused_counted_and_locks() {
    let app = TestApp::spawn_with(
        |c| {
            c.login.max_failures_per_login = 3;
            c.login.delay_step_ms = 0;
        },
        false,
    )
    .await;
    let http = browser();
    password_login_to_account(&app, &http, "ivanova.mp").await;
    for attempt in 1..=3 {
        let res = change(&app, &http, "Guess-1234", NEW, NEW).await;
        assert_eq!(res.status(), 401, "attempt {attempt}");
        let html = res.text().await.unwrap();
        assert_eq!(alert(&html), "Текущий пароль введён неверно.");
        assert!(html.contains("Персональные настройки"), "the page again, with the error in its section");
    }
    // Locked: even the right current password is not checked now, and the login is locked too.
    let res = change(&app, &http, PASSWORD, NEW, NEW).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    let html = res.text().await.unwrap();
    assert!(alert(&html).starts_with("Слишком много неудачных попыток ввести пароль. Пароль не изменён."), "{html}");
    assert_eq!(login_status(&app, "ivanova.mp", PASSWORD).await, 429, "the same counter as the login");

    let refused = audit_of(&app, "password_change_refused").await;
    assert_eq!(refused.iter().filter(|e| e.contains("bad_current")).count(), 3);
    assert_eq!(refused.iter().filter(|e| e.contains("locked")).count(), 1);
    assert!(audit_of(&app, "password_changed").await.is_empty());
    let stored = app.app().store.account_by_login(SCHOOL1, "ivanova.mp").await.unwrap().unwrap();
    assert!(
        propusk::account::password::verify(&stored.password_hash, &propusk::crypto::SecretString::new(PASSWORD))
            .await
            .unwrap()
            .ok
    );
}

#[tokio::test]
async fn change_refuses_weak_passwords_forged_forms_and_strangers() {
    let app = TestApp::spawn().await;
    let http = browser();
    password_login_to_account(&app, &http, "ivanova.mp").await;
    let cases = [
        ("short-7", "short-7", "Новый пароль должен быть не короче 8 символов."),
        ("Ivanova.MP", "Ivanova.MP", "Новый пароль не должен совпадать с логином."),
        (PASSWORD, PASSWORD, "Новый пароль должен отличаться от прежнего."),
        (NEW, "Sunny-Day-2028", "Новый пароль и его повтор не совпадают. Введите их ещё раз."),
        ("", "", "Введите текущий пароль и новый пароль дважды."),
    ];
    for (new, repeat, message) in cases {
        let res = change(&app, &http, PASSWORD, new, repeat).await;
        assert_eq!(res.status(), 400, "{message}");
        assert_eq!(alert(&res.text().await.unwrap()), message);
    }
    // No CSRF token: 403, nothing changed. No session: to the login page.
    let form = [("current_password", PASSWORD), ("new_password", NEW), ("new_password_repeat", NEW)];
    assert_eq!(post(&app, &http, "/account/password", &form).await.status(), 403);
    let stranger = browser();
    let (_, html) = page(&app, &stranger, "/login").await;
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(&app, &stranger, "/account/password", &[&[("csrf", csrf.as_str())][..], &form[..]].concat()).await;
    assert_eq!(location(&res), "/login?next=/account");
    assert_eq!(login_status(&app, "ivanova.mp", PASSWORD).await, 303, "the password is unchanged");
    assert!(audit_of(&app, "password_changed").await.is_empty());
}

#[tokio::test]
async fn change_ends_other_sessions_and_their_tokens_keeps_this_one() {
    let app = TestApp::spawn().await;
    set_email(&app, "ivanova.mp", IVANOVA_MAIL).await;
    let rp = Rp::confidential(&app, "pw-rp").await;
    // Two browsers signed in to the same account, each with a relying party's refresh token.
    let (this, jar) = browser_with_jar();
    let other = browser();
    let mut refresh = Vec::new();
    for http in [&this, &other] {
        let code = rp.code_in(&app, http, OFFLINE, "ivanova.mp").await;
        let t = rp.exchange(&app, &code).await;
        assert_eq!(t.status, 200, "{}", t.text);
        refresh.push(t.str("refresh_token"));
        assert_eq!(page(&app, http, "/account").await.0, 200);
    }
    let old_cookie = cookie_header(&app, &jar);

    let res = change(&app, &this, PASSWORD, NEW, NEW).await;
    assert_eq!(res.status(), 303, "POST → redirect → GET");
    assert_eq!(location(&res), "/account?password=changed");
    let (status, html) = page(&app, &this, "/account?password=changed").await;
    assert_eq!(status, 200, "this browser stays signed in");
    assert!(html.contains("Пароль изменён"), "{html}");
    assert_ne!(cookie_header(&app, &jar), old_cookie, "the session was rotated");

    // The other browser is signed out; the old cookie of this one names nothing any more.
    assert_eq!(location(&get(&app, &other, "/account").await), "/login?next=/account");
    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = replay.get(app.url("/account")).header("cookie", &old_cookie).send().await.unwrap();
    assert_eq!(res.status(), 302, "the session id before the change is dead");
    // Tokens of the other session die with it; this session's live on.
    rp.refresh(&app, &refresh[1], None).await.assert_error(400, "invalid_grant", "other session's refresh token");
    assert_eq!(rp.refresh(&app, &refresh[0], None).await.status, 200, "this session's refresh token");

    assert_eq!(login_status(&app, "ivanova.mp", PASSWORD).await, 401, "the old password no longer works");
    assert_eq!(login_status(&app, "ivanova.mp", NEW).await, 303, "the new one does");
    let events = audit_of(&app, "password_changed").await;
    assert_eq!(events.len(), 1);
    let id = account_id(&app, SCHOOL1, "ivanova.mp").await;
    assert_eq!(events[0], format!(r#"{{"kind":"password_changed","account_id":"{id}","by":"owner"}}"#));
    let mails = mails_to(&app, IVANOVA_MAIL, 1).await;
    assert_eq!(mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["Пароль изменён"]);
}

#[tokio::test]
async fn account_page_lists_name_parts_birth_date_and_school_year() {
    let app = TestApp::spawn().await;
    let html = password_login_to_account(&app, &browser(), "ivanova.mp").await;
    for line in [
        "<dt>Фамилия</dt><dd>Иванова</dd>",
        "<dt>Имя</dt><dd>Мария</dd>",
        "<dt>Отчество</dt><dd>Петровна</dd>",
        "<dt>Дата рождения</dt><dd>11.08.1985</dd>",
    ] {
        assert!(html.contains(line), "missing {line}");
    }
    let now = propusk::clock::Clock::now(&propusk::clock::SystemClock);
    let year = propusk::account::school_year::school_year(now);
    assert!(html.contains(&format!("Учебный год: {year}")), "{html}");
    for kept in ["Персональные настройки", "Привязать учетную запись портала Госуслуг", "Сменить пароль"]
    {
        assert!(html.contains(kept), "missing {kept}");
    }
}
