//! LO-05 against the sandbox: the sandbox remembers a signed-in browser
//! (`esia.sandbox.sso_secs`), our RP-initiated logout of a session that came from
//! ESIA goes through ESIA's `/idp/ext/Logout` and back, then to the relying party's
//! `post_logout_redirect_uri` with its `state`; afterwards ESIA asks for the password
//! again. The way back is single-use: absent, forged or replayed, it is a page.

use crate::common::*;
use crate::esia_journey::{give_pd_consent, through_esia};
use crate::esia_support::*;
use crate::support::*;

/// The sandbox's page for the role choice of a new flow of `rp` in `http`.
async fn to_sandbox(app: &TestApp, http: &reqwest::Client, rp: &Rp) -> (u16, String) {
    let res = http.get(authz(app, &rp.id, RP_CB, &[("prompt", Some("login"))])).send().await.unwrap();
    let login = location(&res);
    assert!(login.starts_with("/login?flow="), "a login page: {login}");
    let to_esia = choose_role(app, http, &login, "parent").await;
    page(app, http, &to_esia).await
}

#[tokio::test]
async fn lo_05_logout_ends_the_esia_session_and_returns_to_the_rp() {
    let app = TestApp::spawn_with(|c| c.esia.sandbox.sso_secs = 600, false).await;
    let rp = Rp::confidential(&app, "lo05").await;
    let (http, jar) = browser_with_jar();
    let login = location(&http.get(rp.authorize(&app, "openid profile")).send().await.unwrap());
    let res = through_esia(&app, &http, &login, "parent", "ivanova@example.ru").await;
    let back = location(&give_pd_consent(&app, &http, res).await);
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("a code: {back}"));
    let id_token = rp.exchange(&app, &code).await.str("id_token");

    // SSO at the sandbox: a second ESIA login in this browser asks no password.
    let (status, html) = to_sandbox(&app, &http, &rp).await;
    assert_eq!(status, 200);
    assert!(html.contains("Предоставить") && !html.contains("Телефон / Email / СНИЛС"), "consent at once: {html}");

    let mut logout = url::Url::parse(&app.url("/logout")).unwrap();
    logout.query_pairs_mut().extend_pairs([
        ("id_token_hint", id_token.as_str()),
        ("post_logout_redirect_uri", RP_LOGGED_OUT),
        ("state", "lo-05"),
    ]);
    let to_esia = location(&http.get(logout.as_str()).send().await.unwrap());
    let esia_logout = app.url("/esia-sandbox/idp/ext/Logout?");
    assert!(to_esia.starts_with(&esia_logout), "through ESIA's logout: {to_esia}");
    assert_eq!(query_param(&to_esia, "client_id").as_deref(), Some("PROPUSK"));
    assert_eq!(query_param(&to_esia, "redirect_url"), Some(app.url("/logout/esia")));
    let carried = cookie_header(&app, &jar);
    assert!(carried.contains("propusk_logout="), "the way back in a cookie: {carried}");
    let returned = location(&http.get(&to_esia).send().await.unwrap());
    assert_eq!(returned, app.url("/logout/esia"), "ESIA sends the browser back to propusk");
    let to_rp = location(&http.get(&returned).send().await.unwrap());
    assert!(to_rp.starts_with(RP_LOGGED_OUT), "then to the relying party: {to_rp}");
    assert_eq!(query_param(&to_rp, "state").as_deref(), Some("lo-05"));

    // Signed out at both: propusk asks to log in, ESIA asks for the password.
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("prompt", Some("none"))])).send().await.unwrap();
    assert_eq!(query_param(&location(&res), "error").as_deref(), Some("login_required"));
    let (status, html) = to_sandbox(&app, &http, &rp).await;
    assert_eq!(status, 200);
    assert!(html.contains("Телефон / Email / СНИЛС"), "the password again after logout");
    assert!(audit_of(&app, "logout").await.len() == 1, "one logout event");

    // The way back is spent: the same cookie again, in this browser or replayed, is a page.
    for (what, client, cookie) in [
        ("this browser again", http.clone(), None),
        ("the cookie replayed", browser(), Some(carried)),
        ("a forged cookie", browser(), Some("propusk_logout=AAAA.BBBB".to_owned())),
        ("no cookie", browser(), None),
    ] {
        let mut req = client.get(app.url("/logout/esia"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 400, "{what}: a page");
        assert!(!res.headers().contains_key("location"), "{what}: never a redirect");
        assert!(res.text().await.unwrap().contains("ссылка возврата недействительна"), "{what}");
    }
}

#[tokio::test]
async fn lo_05_confirmed_logout_without_a_hint_also_ends_esia_and_shows_the_page() {
    let app = TestApp::spawn_with(|c| c.esia.sandbox.sso_secs = 600, false).await;
    let (http, _) = esia_login(&app, "parent", "ivanova@example.ru", "").await;
    let (status, html) = page(&app, &http, "/logout").await;
    assert_eq!(status, 200, "the confirmation page");
    let csrf = hidden(&html, "csrf").unwrap();
    let to_esia = location(&post(&app, &http, "/logout", &[("csrf", csrf.as_str())]).await);
    assert!(to_esia.starts_with(&app.url("/esia-sandbox/idp/ext/Logout?")), "{to_esia}");
    let returned = location(&http.get(&to_esia).send().await.unwrap());
    let res = http.get(&returned).send().await.unwrap();
    assert_eq!(res.status(), 200, "the «signed out» page, no redirect");
    assert!(!res.headers().contains_key("location"));
}
