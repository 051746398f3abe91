//! Abuse resistance of the password login (security-checklist §1.O): lockout
//! after repeated failures (even for the right password, with an audit event),
//! and one answer for unknown logins and wrong passwords that never echoes the
//! password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

#[tokio::test]
async fn ab_01_login_locked_after_five_failures_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    let http = browser();
    for i in 0..5 {
        let res = submit_login(&http, &app.base, "/login", "ivanova.mp", "wrong-password").await;
        assert_eq!(res.status(), 401, "failure {i}");
    }
    let res = submit_login(&http, &app.base, "/login", "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 429, "locked: the right password is refused too");
    assert!(res.headers().get("retry-after").is_some(), "Retry-After on a lock");
    assert!(!res.headers().contains_key("set-cookie") || !set_cookie_names(&res).iter().any(|n| n.contains("session")));
    let body = res.text().await.unwrap();
    assert!(body.contains("Слишком много"), "the page says why");
    assert!(!body.contains(PASSWORD));
    // From another browser as well: the lock is on the login, not the cookie.
    let res = submit_login(&browser(), &app.base, "/login", "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 429);
    // Other logins are not locked.
    let res = submit_login(&browser(), &app.base, "/login", "ivanov.is", PASSWORD).await;
    assert_eq!(res.status(), 303, "another login still works");

    let rows = app.app().store.audit_records(0, 10_000).await.unwrap();
    let failed: Vec<_> = rows.iter().filter(|r| r.kind == "login_failed").collect();
    assert!(failed.iter().filter(|r| r.data.contains("bad_credentials")).count() >= 5, "each failure is audited");
    assert!(failed.iter().any(|r| r.data.contains("\"locked\"")), "the refused attempt is audited as locked");
    for r in &rows {
        assert!(
            !r.data.contains("ivanova.mp") && !r.data.contains(PASSWORD),
            "no login or password in audit: {}",
            r.data
        );
    }
}

fn set_cookie_names(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split('=').next().unwrap_or_default().to_owned())
        .collect()
}

/// The page with the login and the CSRF token (both legitimately differ) masked.
fn normalised(html: &str, login: &str) -> String {
    let csrf = hidden(html, "csrf").unwrap_or_default();
    html.replace(login, "LOGIN").replace(&csrf, "CSRF")
}

#[tokio::test]
async fn ab_03_unknown_login_and_wrong_password_look_the_same() {
    let app = TestApp::spawn().await;
    let http = browser();
    let secret_password = "Пароль-Secret-7f3a9c!";
    let wrong = submit_login(&http, &app.base, "/login", "ivanova.mp", secret_password).await;
    let wrong_status = wrong.status();
    let wrong_body = wrong.text().await.unwrap();
    let unknown = submit_login(&http, &app.base, "/login", "nosuch.person", secret_password).await;
    let unknown_status = unknown.status();
    let unknown_body = unknown.text().await.unwrap();
    assert_eq!(wrong_status, unknown_status, "same status");
    assert_eq!(normalised(&wrong_body, "ivanova.mp"), normalised(&unknown_body, "nosuch.person"), "same page");
    for body in [&wrong_body, &unknown_body] {
        assert!(!body.contains(secret_password), "the password never appears in the HTML");
        assert!(body.contains("Неверный логин или пароль"), "a generic message");
    }
    // A disabled-looking case: right login in another school.
    let mut form_other = submit_login_org(&http, &app.base, "gymn2-barnaul", "ivanova.mp", secret_password).await;
    assert_eq!(form_other.0, wrong_status);
    form_other.1 = normalised(&form_other.1, "ivanova.mp");
    assert!(form_other.1.contains("Неверный логин или пароль"));
    assert!(!form_other.1.contains(secret_password));
}

/// Like `submit_login`, with another organisation.
async fn submit_login_org(
    http: &reqwest::Client,
    base: &str,
    org: &str,
    login: &str,
    password: &str,
) -> (reqwest::StatusCode, String) {
    let page = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&page, "csrf").unwrap();
    let form =
        [("csrf", csrf.as_str()), ("org_kind", "school"), ("org", org), ("login", login), ("password", password)];
    let res = http.post(format!("{base}/login")).form(&form).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}
