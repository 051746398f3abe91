//! `login_hint` (issue #12, AZ-11): it pre-fills «Логин» on the login page, escaped;
//! an over-long, odd or hostile hint is ignored or shown as text, never an error; a hint
//! naming another account changes nothing but the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

/// The login page /authorize leads to with `login_hint` = `hint`.
async fn login_page(app: &TestApp, http: &reqwest::Client, rp: &Rp, hint: &str) -> String {
    let res = http.get(authz(app, &rp.id, RP_CB, &[("login_hint", Some(hint))])).send().await.unwrap();
    let to_login = location(&res);
    assert!(to_login.starts_with("/login?flow="), "hint {hint:?} went to {to_login}");
    let res = http.get(app.url(&to_login)).send().await.unwrap();
    assert_eq!(res.status(), 200, "hint {hint:?}");
    res.text().await.unwrap()
}

/// The `value` of the «Логин» input as the HTML has it.
fn login_value(html: &str) -> &str {
    let at = html.find("id=\"login\" name=\"login\"").expect("the login field");
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("a value") + "value=\"".len();
    let end = rest[v..].find('"').expect("the value's end");
    &rest[v..v + end]
}

#[tokio::test]
async fn login_hint_pre_fills_the_login_field_and_hostile_hints_stay_text() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rp-hint").await;
    let http = browser();

    assert_eq!(login_value(&login_page(&app, &http, &rp, "ivanova.mp").await), "ivanova.mp");

    let hostile = "\"><script>alert(1)</script>";
    let html = login_page(&app, &http, &rp, hostile).await;
    assert!(!html.contains("<script>alert(1)"), "the hint is escaped");
    let value = login_value(&html);
    assert_eq!(value, "&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;", "the whole hint, as text");

    for ignored in ["x".repeat(200), "two words".into(), "a\u{202e}b".into(), " ".into()] {
        assert_eq!(login_value(&login_page(&app, &http, &rp, &ignored).await), "", "{ignored:?} is ignored");
    }

    // A hint naming an account the person does not have: they sign in as themselves.
    let url = authz(&app, &rp.id, RP_CB, &[("login_hint", Some("petrov.no-such"))]);
    let back = login_for_code(&app, &http, &url, "ivanova.mp").await;
    assert!(query_param(&back, "code").is_some(), "{back}");
}
