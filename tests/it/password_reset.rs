//! «Забыли пароль?» over HTTP (issue 8): one answer whatever the login, the link
//! by mail (`.eml`), single use (also when two browsers race), expiry on the test
//! clock, forged links, every session ended, and the limits per login and address.

use crate::common::*;
use crate::esia_support::*;
use crate::password::{IVANOVA_MAIL, login_status, mails_to, reset_link, set_email};

const NEW: &str = "Sunny-Day-2027";

/// Submits «Забыли пароль?» for `login` of [`SCHOOL1`] from a fresh browser.
async fn request(app: &TestApp, login: &str) -> reqwest::Response {
    let http = browser();
    let (status, html) = page(app, &http, "/forgot-password").await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf").unwrap();
    post(app, &http, "/forgot-password", &[("csrf", &csrf), ("org_kind", "school"), ("org", SCHOOL1), ("login", login)])
        .await
}

/// Opens the link in `http` and sets `new` (twice). Returns the POST's status and page.
async fn use_link(app: &TestApp, http: &reqwest::Client, link: &str, new: &str) -> (u16, String) {
    let (status, html) = page(app, http, link).await;
    assert_eq!(status, 200, "the link opens its form: {html}");
    let csrf = hidden(&html, "csrf").unwrap();
    let token = hidden(&html, "token").unwrap();
    let res = post(
        app,
        http,
        "/reset-password",
        &[("csrf", &csrf), ("token", &token), ("new_password", new), ("new_password_repeat", new)],
    )
    .await;
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_every_login() {
    let app = TestApp::spawn().await;
    set_email(&app, "ivanova.mp", IVANOVA_MAIL).await;
    let mut answers = Vec::new();
    // Unknown login, an account without email, the real account with one.
    for login in ["nobody.here", "petrov.pp", "ivanova.mp"] {
        let res = request(&app, login).await;
        assert_eq!(res.status(), 303, "{login}");
        let to = location(&res);
        let (status, html) = page(&app, &browser(), &to).await;
        answers.push((to, status, html));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "one answer for all three");
    let (to, status, html) = &answers[0];
    assert_eq!((to.as_str(), *status), ("/forgot-password/sent", 200));
    assert!(html.contains(
        "Если учетная запись существует и в ней указан адрес электронной почты, мы отправили на него ссылку"
    ));
    assert!(html.contains("классному руководителю") && html.contains("Через Госуслуги"));

    let link = reset_link(&app, IVANOVA_MAIL, 1).await;
    assert!(link.starts_with("/reset-password?token="), "{link}");
    let token = link.rsplit('=').next().unwrap();
    assert_eq!(propusk::crypto::b64_decode(token).map(|b| b.len()), Some(32), "256 random bits");
    let requested = audit_of(&app, "password_reset_requested").await;
    assert_eq!(requested.len(), 1, "only the account with an email got a link");
    assert!(!requested[0].contains(token), "never the token in the audit log");
    let stored = app.app().store.password_reset(token).await.unwrap();
    assert_eq!(stored, None, "the token is stored hashed only");
    // The incomplete form is the only other answer, and it says nothing about the login.
    let http = browser();
    let (_, html) = page(&app, &http, "/forgot-password").await;
    let res = post(&app, &http, "/forgot-password", &[("csrf", &hidden(&html, "csrf").unwrap()), ("login", "x")]).await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn reset_link_works_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    set_email(&app, "ivanova.mp", IVANOVA_MAIL).await;
    let signed_in = browser();
    password_login_to_account(&app, &signed_in, "ivanova.mp").await;
    assert_eq!(request(&app, "ivanova.mp").await.status(), 303);
    let link = reset_link(&app, IVANOVA_MAIL, 1).await;

    let http = browser();
    let (status, html) = use_link(&app, &http, &link, NEW).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Пароль изменён") && html.contains("href=\"/login\""));
    assert_eq!(location(&get(&app, &signed_in, "/account").await), "/login?next=/account", "sessions ended");

    // The same link again: a clear 400 page, and the password stays the first one.
    let (status, html) = page(&app, &http, &link).await;
    assert_eq!(status, 400);
    assert!(html.contains("Ссылка недействительна") && html.contains("href=\"/forgot-password\""));
    let (_, form) = page(&app, &http, "/forgot-password").await;
    let csrf = hidden(&form, "csrf").unwrap();
    let token = link.rsplit('=').next().unwrap().to_owned();
    let second = [
        ("csrf", csrf.as_str()),
        ("token", &token),
        ("new_password", "Other-2028!"),
        ("new_password_repeat", "Other-2028!"),
    ];
    let res = post(&app, &http, "/reset-password", &second).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Пароль не изменён"));

    assert_eq!(login_status(&app, "ivanova.mp", PASSWORD).await, 401, "the old password is gone");
    assert_eq!(login_status(&app, "ivanova.mp", "Other-2028!").await, 401, "the second use changed nothing");
    assert_eq!(login_status(&app, "ivanova.mp", NEW).await, 303, "the new password works");
    assert_eq!(audit_of(&app, "password_reset").await.len(), 1);
    let subjects: Vec<String> = mails_to(&app, IVANOVA_MAIL, 2).await.into_iter().map(|m| m.0).collect();
    assert!(subjects.contains(&"Пароль изменён".to_owned()), "{subjects:?}");
}

#[tokio::test]
async fn reset_link_used_twice_in_parallel_exactly_one_wins() {
    let app = TestApp::spawn().await;
    set_email(&app, "ivanova.mp", IVANOVA_MAIL).await;
    assert_eq!(request(&app, "ivanova.mp").await.status(), 303);
    let link = reset_link(&app, IVANOVA_MAIL, 1).await;
    // Both browsers hold the form, then post at the same time.
    let mut forms = Vec::new();
    for new in ["Racer-One-2027", "Racer-Two-2027"] {
        let http = browser();
        let (_, html) = page(&app, &http, &link).await;
        forms.push((http, hidden(&html, "csrf").unwrap(), hidden(&html, "token").unwrap(), new));
    }
    let post_form = |(http, csrf, token, new): &(reqwest::Client, String, String, &str)| {
        let form =
            [("csrf", csrf.as_str()), ("token", token.as_str()), ("new_password", *new), ("new_password_repeat", *new)];
        let req = http.post(app.url("/reset-password")).form(&form);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let (a, b) = tokio::join!(post_form(&forms[0]), post_form(&forms[1]));
    let statuses = [a, b];
    let mut sorted = statuses;
    sorted.sort_unstable();
    assert_eq!(sorted, [200, 400], "exactly one use succeeds: {statuses:?}");
    let winner = if statuses[0] == 200 { "Racer-One-2027" } else { "Racer-Two-2027" };
    let loser = if statuses[0] == 200 { "Racer-Two-2027" } else { "Racer-One-2027" };
    assert_eq!(login_status(&app, "ivanova.mp", winner).await, 303);
    assert_eq!(login_status(&app, "ivanova.mp", loser).await, 401);
    assert_eq!(audit_of(&app, "password_reset").await.len(), 1);
}

#[tokio::test]
async fn reset_link_expired_or_forged_is_refused() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    set_email(&app, "ivanova.mp", IVANOVA_MAIL).await;
    assert_eq!(request(&app, "ivanova.mp").await.status(), 303);
    let link = reset_link(&app, IVANOVA_MAIL, 1).await;
    let http = browser();
    let (_, html) = page(&app, &http, &link).await;
    let (csrf, token) = (hidden(&html, "csrf").unwrap(), hidden(&html, "token").unwrap());
    app.clock.as_ref().unwrap().advance(30 * 60);

    let (status, html) = page(&app, &http, &link).await;
    assert_eq!(status, 400, "expired after 30 minutes");
    assert!(html.contains("Ссылка недействительна"));
    let forged = propusk::crypto::random_token();
    for t in [token.as_str(), forged.as_str(), ""] {
        let form = [("csrf", csrf.as_str()), ("token", t), ("new_password", NEW), ("new_password_repeat", NEW)];
        assert_eq!(post(&app, &http, "/reset-password", &form).await.status(), 400, "token {t:?}");
    }
    assert_eq!(page(&app, &http, &format!("/reset-password?token={forged}")).await.0, 400);
    assert_eq!(page(&app, &http, "/reset-password").await.0, 400);
    assert_eq!(login_status(&app, "ivanova.mp", PASSWORD).await, 303, "nothing changed");
    assert!(audit_of(&app, "password_reset").await.is_empty());
}

#[tokio::test]
async fn reset_requests_are_limited_per_login_and_per_address() {
    let app = TestApp::spawn().await;
    set_email(&app, "ivanova.mp", IVANOVA_MAIL).await;
    for login in ["ivanova.mp", "nobody.here"] {
        for n in 1..=3 {
            assert_eq!(request(&app, login).await.status(), 303, "{login} request {n}");
        }
        let res = request(&app, login).await;
        assert_eq!(res.status(), 429, "{login}: the fourth request within the hour");
        assert!(res.headers().get("retry-after").is_some());
        assert!(res.text().await.unwrap().contains("Слишком много запросов на восстановление пароля"));
    }
    assert_eq!(mails_to(&app, IVANOVA_MAIL, 3).await.len(), 3, "three links, not four");
    // 6 requests counted so far from 127.0.0.1 (refused ones do not count); 20 an hour per address.
    for n in 7..=20 {
        assert_eq!(request(&app, &format!("someone{n}")).await.status(), 303, "request {n}");
    }
    assert_eq!(request(&app, "someone-else").await.status(), 429, "the address is limited too");
}
