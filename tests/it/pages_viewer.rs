//! The pages of issue 8 over HTTP: the login form's organisation cascade refreshed
//! without JavaScript («Показать»), and the signed-in header of seed 004 (name →
//! `/account`, «Выход» → `/logout`) with what it costs: one session read per page
//! request that carries the session cookie, none for the protocol endpoints.

use crate::common::*;
use propusk::account::demo::GYMN2;

const SAKHALIN: &str = "Сахалинская область";
const HEADER_NAME: &str = "<a class=\"site-user-name\" href=\"/account\">Иванова М. П.</a>";
const HEADER_EXIT: &str = "<a class=\"site-user-exit\" href=\"/logout\">Выход</a>";

async fn get(http: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = http.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A browser signed in as ivanova.mp (password login, no flow).
async fn signed_in(app: &TestApp) -> reqwest::Client {
    let http = browser();
    let res = submit_login(&http, &app.base, "/login?next=/account", "ivanova.mp", PASSWORD).await;
    assert_eq!(location(&res), "/account");
    http
}

#[tokio::test]
async fn show_refreshes_the_cascade_without_javascript_and_never_echoes_the_password() {
    let app = TestApp::spawn().await;
    let http = browser();
    let (_, html) = get(&http, &app, "/login").await;
    let csrf = hidden(&html, "csrf").unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("org_kind", "school"),
        ("org_region", SAKHALIN),
        ("org_municipality", "городской округ — город Барнаул"),
        ("org", GYMN2),
        ("login", "ivanova.mp"),
        ("password", "Секрет-123"),
        ("action", "refresh"),
    ];
    let res = http.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200, "«Показать» re-renders the form");
    assert!(res.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().contains("session")), "no session");
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("<option value=\"{SAKHALIN}\" selected>{SAKHALIN}</option>")), "region kept");
    // A municipality of another region is dropped; Сахалин's only one is chosen.
    assert!(html.contains("<option value=\"городской округ «Город Южно-Сахалинск»\" selected>"), "{html}");
    assert!(!html.contains("<option value=\"городской округ — город Барнаул\""));
    // СОШ №1 offered, Гимназия №2 (Барнаул) filtered out and no longer chosen.
    assert!(html.contains(&format!("value=\"{SCHOOL1}\">МБОУ СОШ №1 (Южно-Сахалинск)</option>")));
    assert!(html.contains(&format!("value=\"{GYMN2}\" hidden disabled>")));
    assert!(html.contains("value=\"ivanova.mp\""), "the login is kept");
    assert!(!html.contains("Секрет-123"), "the password is never echoed");
    assert!(!html.contains("role=\"alert\""), "no error for a refresh");
    // The same form then signs in.
    let (_, html) = get(&http, &app, "/login").await;
    let csrf = hidden(&html, "csrf").unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("org_kind", "school"),
        ("org_region", SAKHALIN),
        ("org", SCHOOL1),
        ("login", "ivanova.mp"),
        ("password", PASSWORD),
    ];
    let res = http.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(location(&res), "/account");
}

#[tokio::test]
async fn a_failed_login_keeps_the_cascade() {
    let app = TestApp::spawn().await;
    let http = browser();
    let (_, html) = get(&http, &app, "/login").await;
    let csrf = hidden(&html, "csrf").unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("org_kind", "school"),
        ("org_region", SAKHALIN),
        ("org", SCHOOL1),
        ("login", "ivanova.mp"),
        ("password", "не тот"),
    ];
    let res = http.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let html = res.text().await.unwrap();
    assert!(html.contains("Неверный логин или пароль."));
    assert!(html.contains(&format!("<option value=\"{SAKHALIN}\" selected>")));
    assert!(html.contains(&format!("value=\"{SCHOOL1}\" selected>")));
    assert!(!html.contains("не тот"));
}

#[tokio::test]
async fn header_shows_the_signed_in_person_on_pages_and_goes_with_logout() {
    let app = TestApp::spawn().await;
    let anonymous = browser();
    for path in ["/login", "/forgot-password", "/logout"] {
        let (status, html) = get(&anonymous, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("site-user"), "{path}: no header items without a session");
    }
    let http = signed_in(&app).await;
    for path in ["/account", "/login", "/forgot-password", "/logout", "/login/esia?flow=forged"] {
        let (_, html) = get(&http, &app, path).await;
        assert!(html.contains(HEADER_NAME), "{path}: the name links to /account");
        assert!(html.contains(HEADER_EXIT), "{path}: «Выход» leads to /logout");
    }
    // «Выход» → «Выйти из системы?» → «Выйти» → signed out, and the header with it.
    let (_, html) = get(&http, &app, "/logout").await;
    assert!(html.contains("Выйти из системы?") && html.contains(">Выйти</button>"));
    let csrf = hidden(&html, "csrf").unwrap();
    let res = http.post(app.url("/logout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("Вы вышли из системы"));
    assert!(!html.contains("site-user"), "the signed-out page names no one");
    let (_, html) = get(&http, &app, "/login").await;
    assert!(!html.contains("site-user"));
}

#[tokio::test]
async fn header_costs_one_session_read_per_page_request_only() {
    let app = TestApp::spawn().await;
    let viewers = &app.app().viewers;
    let http = signed_in(&app).await;
    let reads = || (viewers.session_reads(), viewers.account_reads());
    let (_, html) = get(&http, &app, "/account").await;
    assert!(html.contains(HEADER_NAME));
    let before = reads();
    // The protocol endpoints, ops and static files do not look at the session,
    // even when the browser sends its cookie.
    for path in ["/jwks", "/.well-known/openid-configuration", "/userinfo", "/healthz", "/static/propusk.css"] {
        http.get(app.url(path)).send().await.unwrap();
    }
    for path in ["/token", "/introspect", "/revoke"] {
        http.post(app.url(path)).form(&[("grant_type", "authorization_code")]).send().await.unwrap();
    }
    assert_eq!(reads(), before, "no reads outside the page routes");
    // Each page request: one session read; the name comes from the cache.
    for (n, path) in ["/account", "/login", "/forgot-password"].iter().enumerate() {
        let (_, html) = get(&http, &app, path).await;
        assert!(html.contains(HEADER_NAME), "{path}");
        assert_eq!(reads(), (before.0 + n as u64 + 1, before.1), "{path}: one session read, no account read");
    }
    // No cookie, no read.
    let before = reads();
    get(&browser(), &app, "/login").await;
    assert_eq!(reads(), before);
}

/// The figures behind "one session read": run with
/// `cargo test --test it header_cost_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints timings; not a pass/fail test"]
async fn header_cost_figures() {
    const N: u32 = 300;
    let app = TestApp::spawn().await;
    // A session of ivanova.mp, whose cookie the loops below send by hand.
    let res = submit_login(&browser(), &app.base, "/login?next=/account", "ivanova.mp", PASSWORD).await;
    let jar_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next().filter(|c| c.starts_with("propusk_session=")))
        .map(str::to_owned)
        .next()
        .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", jar_cookie.parse().unwrap());
    let hash = propusk::crypto::token_hash(jar_cookie.trim_start_matches("propusk_session="));
    let (a, viewers) = (app.app(), &app.app().viewers);
    let mean = |start: std::time::Instant| start.elapsed().as_secs_f64() * 1e6 / f64::from(N);
    let t = std::time::Instant::now();
    for _ in 0..N {
        a.store.session(&hash).await.unwrap().unwrap();
    }
    let session_read = mean(t);
    let t = std::time::Instant::now();
    for _ in 0..N {
        viewers.resolve(a, &headers).await.unwrap().unwrap();
    }
    let resolve = mean(t);
    let anonymous = browser();
    let page = |path: &'static str, cookie: Option<&str>| {
        let mut req = anonymous.get(app.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move { req.send().await.unwrap().bytes().await.unwrap() }
    };
    let bogus = "propusk_session=not-a-session";
    let cases = [
        ("/forgot-password", None),
        ("/forgot-password", Some(bogus)),
        ("/forgot-password", Some(jar_cookie.as_str())),
        ("/jwks", None),
        ("/jwks", Some(jar_cookie.as_str())),
    ];
    let mut best = [f64::MAX; 5];
    // Rounds alternating the cases; the best round of each (the machine is shared).
    for _ in 0..5 {
        for (i, (path, cookie)) in cases.iter().enumerate() {
            let t = std::time::Instant::now();
            for _ in 0..N {
                page(path, *cookie).await;
            }
            best[i] = best[i].min(mean(t));
        }
    }
    let [without, unknown, with, jwks, jwks_cookie] = best;
    println!(
        "store.session: {session_read:.0} µs; viewer resolve (name cached): {resolve:.0} µs; \
         GET /forgot-password without a cookie: {without:.0} µs, with an unknown session: {unknown:.0} µs, \
         signed in: {with:.0} µs; GET /jwks without a cookie: {jwks:.0} µs, with the session cookie: \
         {jwks_cookie:.0} µs (best mean of {N})"
    );
}
