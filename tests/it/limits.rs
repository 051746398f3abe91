//! Limits as an attacker tries them (AB-01, AB-04, flow flood): parallel attempts on
//! one login, two nodes on one database, a restart, the client address behind a
//! trusted proxy, and a flood of `/authorize` from one address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use std::time::Duration;

/// Login attempts that reached the password check, from the audit log.
async fn checked_attempts(app: &TestApp) -> (usize, usize) {
    let rows = app.app().store.audit_records(0, 100_000).await.unwrap();
    let bad = rows.iter().filter(|r| r.kind == "login_failed" && r.data.contains("bad_credentials")).count();
    let locked = rows.iter().filter(|r| r.kind == "login_failed" && r.data.contains("\"locked\"")).count();
    (bad, locked)
}

async fn post_login(http: &reqwest::Client, base: &str, login: &str, password: &str, via: Option<&str>) -> u16 {
    let mut page = http.get(format!("{base}/login"));
    if let Some(ip) = via {
        page = page.header("x-forwarded-for", ip);
    }
    let html = page.send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("csrf field");
    let form =
        [("csrf", csrf.as_str()), ("org_kind", "school"), ("org", SCHOOL1), ("login", login), ("password", password)];
    let mut req = http.post(format!("{base}/login")).form(&form);
    if let Some(ip) = via {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn ab_01_parallel_attempts_are_checked_at_most_the_limit() {
    let app = TestApp::spawn_with(|c| c.login.delay_step_ms = 0, false).await;
    let base = app.base.clone();
    // 24 wrong passwords and the right one, all at once, each from its own browser.
    let tasks: Vec<_> = (0..25)
        .map(|i| {
            let base = base.clone();
            tokio::spawn(async move {
                let password = if i == 12 { PASSWORD.to_owned() } else { format!("wrong-{i}") };
                post_login(&browser(), &base, "ivanova.mp", &password, None).await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let signed_in = statuses.iter().filter(|s| **s == 303).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let (bad, locked) = checked_attempts(&app).await;
    assert!(bad + signed_in <= 5, "at most the limit was checked: {bad} wrong + {signed_in} right; {statuses:?}");
    assert!(refused >= 20 && locked == refused, "the rest refused unchecked: {statuses:?}");
}

#[tokio::test]
async fn ab_01_two_nodes_and_a_restart_share_one_lock() {
    let mut app = TestApp::spawn_with(|c| c.login.delay_step_ms = 0, false).await;
    // A second node on the same database and master key.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node2 = propusk::app::spawn(app.config.clone(), std::sync::Arc::new(propusk::clock::SystemClock), listener)
        .await
        .unwrap();
    let base2 = format!("http://{}", node2.addr);
    for i in 0..5 {
        let base = if i % 2 == 0 { app.base.clone() } else { base2.clone() };
        assert_eq!(post_login(&browser(), &base, "ivanov.is", "wrong", None).await, 401, "failure {i}");
    }
    assert_eq!(post_login(&browser(), &base2, "ivanov.is", PASSWORD, None).await, 429, "locked on node 2");
    assert_eq!(post_login(&browser(), &app.base, "ivanov.is", PASSWORD, None).await, 429, "and on node 1");
    node2.stop().await;
    crate::support::restart(&mut app).await;
    assert_eq!(post_login(&browser(), &app.base, "ivanov.is", PASSWORD, None).await, 429, "a restart forgets nothing");
    assert_eq!(post_login(&browser(), &app.base, "ivanova.mp", PASSWORD, None).await, 303, "other logins work");
}

#[tokio::test]
async fn ab_04_behind_a_proxy_an_address_limit_never_refuses_a_clean_login() {
    let app = TestApp::spawn_with(
        |c| {
            c.server.trusted_proxies = vec!["127.0.0.1/32".into()];
            c.login.max_failures_per_ip = 10;
            c.login.ip_delay_ms = 3000;
            c.login.delay_step_ms = 0;
        },
        false,
    )
    .await;
    let http = browser();
    // One client behind the proxy guesses passwords of many logins.
    for i in 0..10 {
        let status = post_login(&http, &app.base, &format!("nobody{i}"), "guess", Some("203.0.113.7")).await;
        assert_eq!(status, 401, "guess {i}");
    }
    // Everyone else behind the same proxy signs in at full speed.
    let started = std::time::Instant::now();
    assert_eq!(post_login(&browser(), &app.base, "ivanova.mp", PASSWORD, Some("198.51.100.20")).await, 303);
    assert!(started.elapsed() < Duration::from_millis(3000), "another client is not slowed");
    // The guessing client itself: a clean login is slowed, not refused...
    let started = std::time::Instant::now();
    assert_eq!(post_login(&browser(), &app.base, "ivanov.is", PASSWORD, Some("203.0.113.7")).await, 303);
    assert!(started.elapsed() >= Duration::from_millis(3000), "slowed down");
    // ...and a login with failures of its own from that address is refused.
    assert_eq!(post_login(&browser(), &app.base, "petrov.pp", "wrong", Some("203.0.113.7")).await, 401);
    assert_eq!(post_login(&browser(), &app.base, "petrov.pp", PASSWORD, Some("203.0.113.7")).await, 429);
}

#[tokio::test]
async fn ab_04_without_trusted_proxies_forwarding_headers_are_ignored() {
    let app = TestApp::spawn_with(
        |c| {
            c.login.max_failures_per_ip = 3;
            c.login.ip_delay_ms = 400;
            c.login.delay_step_ms = 0;
        },
        false,
    )
    .await;
    // Each guess claims another address; they all count against the real peer.
    for i in 0..3 {
        let status =
            post_login(&browser(), &app.base, &format!("nobody{i}"), "guess", Some(&format!("10.0.0.{i}"))).await;
        assert_eq!(status, 401);
    }
    let started = std::time::Instant::now();
    assert_eq!(post_login(&browser(), &app.base, "ivanova.mp", PASSWORD, Some("192.0.2.99")).await, 303);
    assert!(started.elapsed() >= Duration::from_millis(400), "the peer's own counter slowed it");
}

#[tokio::test]
async fn ab_02_a_flood_of_authorize_stores_a_bounded_number_of_flows() {
    let app = TestApp::spawn_with(|c| c.login.max_flows_per_address = 20, true).await;
    let http = browser();
    let authorize = crate::support::Rp::demo(&app).authorize(&app, "openid");
    let mut stored = 0;
    let mut refused = 0;
    for _ in 0..60 {
        let res = http.get(&authorize).send().await.unwrap();
        match res.status().as_u16() {
            302 | 303 => stored += 1,
            429 => {
                assert!(res.headers().get("retry-after").is_some(), "429 says when");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((stored, refused), (20, 40), "the address's window holds 20 flows");
    let clock = app.clock.clone().unwrap();
    clock.advance(app.config.login.flows_window_secs as i64);
    assert!(matches!(http.get(&authorize).send().await.unwrap().status().as_u16(), 302 | 303), "a new window");
    clock.advance(app.config.session.flow_ttl_secs);
    assert!(app.app().store.purge_expired().await.unwrap() >= 21, "expired flows and counters are swept");
}

#[tokio::test]
async fn ab_04_behind_a_proxy_flows_are_counted_per_client() {
    let app = TestApp::spawn_with(
        |c| {
            c.server.trusted_proxies = vec!["127.0.0.1/32".into()];
            c.login.max_flows_per_address = 3;
        },
        false,
    )
    .await;
    let http = browser();
    let authorize = crate::support::Rp::demo(&app).authorize(&app, "openid");
    let start = |ip: &'static str| {
        let req = http.get(&authorize).header("x-forwarded-for", ip);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    for i in 0..3 {
        assert!(matches!(start("203.0.113.7").await, 302 | 303), "flow {i} of the flooding client");
    }
    assert_eq!(start("203.0.113.7").await, 429, "the flooding client is at its limit");
    assert!(matches!(start("198.51.100.20").await, 302 | 303), "another client behind the same proxy is not");
}
