//! Scale out (issue #11): two propusk servers on ONE PostgreSQL database behind a
//! round-robin TCP balancer (`balancer.rs`, no stickiness). A journey started on
//! one node finishes on the other (legacy and ESIA, the sandbox's state in the
//! database; one sandbox consent at both nodes at once issues one code); one refresh token sent to both at once succeeds once; a client the CLI
//! removes and a key the CLI rotates reach both nodes at once (LISTEN/NOTIFY, the
//! delays printed), also after the listener's connection was killed; login limits
//! are shared; both nodes write audit at once and the chain verifies.
//! PostgreSQL only: on SQLite each test prints why it is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::balancer::{Nodes, roaming_browser, time_until};
use crate::common::*;
use crate::esia_journey::{give_pd_consent, start, through_esia};
use crate::support::*;
use std::time::Duration;

const OFFLINE: &str = "openid profile offline_access";

/// POST to `{base}{path}` as `rp` (HTTP Basic), bypassing the balancer.
async fn call_at(base: &str, rp: &Rp, path: &str, form: &[(&str, &str)]) -> Answer {
    let req = reqwest::Client::new().post(format!("{base}{path}")).basic_auth(&rp.id, rp.secret.as_deref());
    Answer::of(req.form(form).send().await.unwrap()).await
}

#[tokio::test]
async fn legacy_flow_started_on_a_finishes_on_b() {
    let Some(nodes) = Nodes::spawn(|_| {}).await else { return };
    let app = &nodes.app;
    // Pinned: /authorize on A, the login form and its POST on B, the code at A.
    let http = browser();
    let authorize = authorize_url(app, "demo-diary", &app.url("/demo/callback"), "openid profile", "");
    let on_a = authorize.replacen(&app.base, &nodes.a_url, 1);
    let to_login = location(&http.get(on_a).send().await.unwrap());
    assert!(to_login.starts_with("/login?flow="), "A asks for a login: {to_login}");
    let res = submit_login(&http, &nodes.b_url, &to_login, "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 303, "B takes the login of A's flow");
    let back = location(&res);
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("a code from B: {back}"));
    let token = reqwest::Client::new()
        .post(format!("{}/token", nodes.a_url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", app.url("/demo/callback").as_str()),
            ("client_id", "demo-diary"),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200, "A exchanges B's code");

    // Through the balancer: every request on a new connection, so on the other node.
    let http = roaming_browser();
    let back = login_for_code(app, &http, &authorize, "petrov.pp").await;
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("a code: {back}"));
    let res = exchange_public(app, "demo-diary", &app.url("/demo/callback"), &code).await;
    assert_eq!(res.status(), 200, "the code exchange through the balancer");
    nodes.assert_both_served("legacy journey");
    nodes.stop().await;
}

#[tokio::test]
async fn esia_journey_through_the_balancer() {
    let Some(nodes) = Nodes::spawn(|_| {}).await else { return };
    let app = &nodes.app;
    for round in 0..2 {
        let http = roaming_browser();
        let login = start(app, &http, "").await;
        let res = through_esia(app, &http, &login, "parent", "ivanova@example.ru").await;
        let res = if round == 0 { give_pd_consent(app, &http, res).await } else { res };
        let back = location(&res);
        assert!(back.starts_with(&app.url("/demo/callback")), "round {round}: to the RP: {back}");
        let code = query_param(&back, "code").unwrap();
        let res = exchange_public(app, "demo-diary", &app.url("/demo/callback"), &code).await;
        assert_eq!(res.status(), 200, "round {round}: code exchange");
    }
    nodes.assert_both_served("ESIA journey");
    nodes.stop().await;
}

#[tokio::test]
async fn one_refresh_token_at_both_nodes_succeeds_once_and_reuse_revokes_the_family() {
    let Some(nodes) = Nodes::spawn(|_| {}).await else { return };
    let app = &nodes.app;
    let rp = Rp::confidential(app, "two-nodes-rt").await;
    for round in 0..5 {
        let t = rp.tokens(app, OFFLINE, "ivanova.mp").await;
        let (r1, a1) = (t.str("refresh_token"), t.str("access_token"));
        let form = [("grant_type", "refresh_token"), ("refresh_token", r1.as_str())];
        let (x, y) =
            tokio::join!(call_at(&nodes.a_url, &rp, "/token", &form), call_at(&nodes.b_url, &rp, "/token", &form));
        let mut winners = Vec::new();
        for a in [&x, &y] {
            match a.status {
                200 => winners.push(a.str("refresh_token")),
                400 => assert_eq!(a.error(), Some("invalid_grant"), "round {round}: {}", a.text),
                other => panic!("round {round}: unexpected {other}: {}", a.text),
            }
        }
        assert!(winners.len() <= 1, "round {round}: at most one success, got {}", winners.len());
        // Reuse of the spent token revokes the whole family, whichever node sees it.
        call_at(&nodes.b_url, &rp, "/token", &form).await.assert_error(400, "invalid_grant", "reuse");
        for token in &winners {
            let i = call_at(&nodes.a_url, &rp, "/introspect", &[("token", token.as_str())]).await;
            assert_eq!(i.json, inactive(), "round {round}: the family is revoked");
        }
        // A's access tokens: from A's revocation set, within its bound (docs/nodes.md).
        let seen = time_until(Duration::from_secs(3), || async {
            call_at(&nodes.a_url, &rp, "/introspect", &[("token", a1.as_str())]).await.json == inactive()
        })
        .await;
        assert!(seen.is_some(), "round {round}: A sees B's revocation of the access token within 3 s");
        println!("round {round}: A saw B's revocation after {seen:?}");
    }
    nodes.stop().await;
}

/// IN-02 across nodes: an access token revoked at B is inactive at B at once and at A
/// within the revocation set's bound; a grant revoked at A likewise at B.
#[tokio::test]
async fn in_02_a_revocation_on_one_node_reaches_the_others_introspection_within_its_bound() {
    let Some(nodes) = Nodes::spawn(|_| {}).await else { return };
    let app = &nodes.app;
    let rp = Rp::confidential(app, "two-nodes-in").await;
    let (one, two) = (rp.tokens(app, OFFLINE, "ivanova.mp").await, rp.tokens(app, OFFLINE, "ivanova.mp").await);
    let (a1, a2, r2) = (one.str("access_token"), two.str("access_token"), two.str("refresh_token"));
    for (base, token) in [(&nodes.a_url, &a1), (&nodes.b_url, &a2)] {
        let i = call_at(base, &rp, "/introspect", &[("token", token.as_str())]).await;
        assert_eq!(i.json["active"], true, "{}", i.text);
    }
    let active_at = |base: &str, token: &str| {
        let (base, token) = (base.to_owned(), token.to_owned());
        let rp = &rp;
        async move { call_at(&base, rp, "/introspect", &[("token", token.as_str())]).await.json["active"] == true }
    };
    // An access token by its jti at B; its grant by the refresh token at A.
    assert_eq!(call_at(&nodes.b_url, &rp, "/revoke", &[("token", a1.as_str())]).await.status, 200);
    assert_eq!(call_at(&nodes.a_url, &rp, "/revoke", &[("token", r2.as_str())]).await.status, 200);
    assert!(!active_at(&nodes.b_url, &a1).await, "the node that revoked sees it at once");
    assert!(!active_at(&nodes.a_url, &a2).await, "the node that revoked the grant sees it at once");
    for (base, token, what) in [(&nodes.a_url, &a1, "jti"), (&nodes.b_url, &a2, "grant")] {
        let seen = time_until(Duration::from_secs(3), || async { !active_at(base, token).await }).await;
        println!("the other node saw the {what} revoked after {seen:?}");
        assert!(seen.is_some(), "the other node sees the {what} revoked within 3 s");
    }
    nodes.stop().await;
}

/// Whether node `base` still knows the client `id` (its /authorize leads to a login).
async fn knows_client(base: &str, id: &str) -> bool {
    let mut u = url::Url::parse(&format!("{base}/authorize")).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", id)
        .append_pair("redirect_uri", RP_CB)
        .append_pair("scope", "openid")
        .append_pair("state", "st-123")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    browser().get(u).send().await.unwrap().status().is_redirection()
}

/// Whether node `base` publishes the key `kid` in /jwks.
async fn serves_kid(base: &str, kid: &str) -> bool {
    let jwks: serde_json::Value = reqwest::get(format!("{base}/jwks")).await.unwrap().json().await.unwrap();
    jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid)
}

/// Removes client `id` with the CLI's code; the delay until both nodes refuse it.
async fn removal_delay(nodes: &Nodes, id: &str) -> [Duration; 2] {
    Rp::confidential(&nodes.app, id).await;
    for base in [&nodes.a_url, &nodes.b_url] {
        assert!(knows_client(base, id).await, "{base} has {id} (now cached)");
    }
    propusk::cli::clients_remove(&nodes.app.config, id).await.expect("removed");
    let limit = Duration::from_secs(5);
    let (a, b) = tokio::join!(
        time_until(limit, || async { !knows_client(&nodes.a_url, id).await }),
        time_until(limit, || async { !knows_client(&nodes.b_url, id).await }),
    );
    [a.expect("node A forgets the client within 5 s"), b.expect("node B forgets the client within 5 s")]
}

#[tokio::test]
async fn cli_changes_reach_both_nodes_at_once_and_after_the_listener_drops() {
    // A minute of cache: only the notification can make the 5 s.
    let Some(nodes) = Nodes::spawn(|c| c.clients.cache_ttl_secs = 60).await else { return };
    let [a, b] = removal_delay(&nodes, "two-nodes-removed").await;
    println!("client removed by the CLI: node A forgot it after {a:?}, node B after {b:?}");

    let rotated = propusk::cli::keys_rotate(&nodes.app.config, "ES256").await.expect("rotated");
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    let limit = Duration::from_secs(5);
    let (ka, kb) = tokio::join!(
        time_until(limit, || serves_kid(&nodes.a_url, &kid)),
        time_until(limit, || serves_kid(&nodes.b_url, &kid))
    );
    let ka = ka.expect("A serves the new key within 5 s");
    let kb = kb.expect("B serves the new key within 5 s");
    println!("key rotated by the CLI: in /jwks of node A after {ka:?}, of node B after {kb:?}");

    // Kill the listeners' connections (as a PostgreSQL restart would): they listen again.
    let url = nodes.app.config.database.url.clone();
    let killed = crate::audit_chain::execute(
        &url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
    )
    .await;
    assert!(killed >= 2, "one listener per node was killed, got {killed}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let [a, b] = removal_delay(&nodes, "two-nodes-after-drop").await;
    println!("after the listeners' connections were killed: node A {a:?}, node B {b:?}");
    nodes.stop().await;
}

/// A login POST at `base`: its status.
async fn login_status(base: &str, login: &str, password: &str) -> u16 {
    let http = browser();
    let html = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("csrf field");
    let form =
        [("csrf", csrf.as_str()), ("org_kind", "school"), ("org", SCHOOL1), ("login", login), ("password", password)];
    http.post(format!("{base}/login")).form(&form).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn limits_are_shared_and_both_nodes_write_one_audit_chain() {
    let Some(nodes) = Nodes::spawn(|c| c.login.delay_step_ms = 0).await else { return };
    let max = nodes.app.config.login.max_failures_per_login;
    for i in 0..max {
        assert_eq!(login_status(&nodes.a_url, "ivanov.is", "wrong").await, 401, "failure {i} on A");
    }
    assert_eq!(login_status(&nodes.b_url, "ivanov.is", PASSWORD).await, 429, "failures on A lock on B");

    let secret = nodes
        .app
        .add_client(propusk::cli::AddClient {
            id: "two-nodes-cc".into(),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        })
        .await;
    let rp = Rp { id: "two-nodes-cc".into(), secret, redirect: String::new(), post: false };
    let before = propusk::cli::audit_verify(&nodes.app.config).await.expect("the chain verifies");
    let started = std::time::Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { nodes.a_url.clone() } else { nodes.b_url.clone() };
        let rp = rp.clone();
        set.spawn(async move { call_at(&base, &rp, "/token", &[("grant_type", "client_credentials")]).await });
    }
    while let Some(a) = set.join_next().await {
        let a = a.unwrap();
        assert_eq!(a.status, 200, "{}", a.text);
    }
    println!("40 tokens, 20 on each node at once: {:?}", started.elapsed());
    let after = propusk::cli::audit_verify(&nodes.app.config).await.expect("the chain both nodes wrote verifies");
    assert!(after >= before + 40, "one event per token: {before} → {after}");
    nodes.stop().await;
}

#[tokio::test]
async fn one_sandbox_consent_sent_to_both_nodes_at_once_issues_one_code() {
    use crate::esia_support::{ESIA_PASSWORD, choose_role, page, post};
    let Some(nodes) = Nodes::spawn(|_| {}).await else { return };
    let app = &nodes.app;
    for round in 0..3 {
        let http = roaming_browser();
        let login = start(app, &http, "").await;
        let to_esia = choose_role(app, &http, &login, "parent").await;
        let (_, html) = page(app, &http, &to_esia).await;
        let req = hidden(&html, "req").unwrap();
        let form = [("req", req.as_str()), ("login", "ivanova@example.ru"), ("password", ESIA_PASSWORD)];
        let res = post(app, &http, "/esia-sandbox/aas/oauth2/login", &form).await;
        assert_eq!(res.status(), 200, "round {round}: the sandbox's consent page");
        let consent = [("req", req.as_str()), ("action", "allow")];
        let at = |base: &str| {
            let url = format!("{base}/esia-sandbox/aas/oauth2/consent");
            let http = http.clone();
            async move { http.post(url).form(&consent).send().await.unwrap().status().as_u16() }
        };
        let (x, y) = tokio::join!(at(&nodes.a_url), at(&nodes.b_url));
        let mut statuses = [x, y];
        statuses.sort_unstable();
        assert_eq!(statuses, [302, 400], "round {round}: one code, one «Сеанс входа устарел»");
    }
    nodes.stop().await;
}
