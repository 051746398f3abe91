//! Refresh tokens (security-checklist §1.G): rotation with family revocation on
//! replay, atomic rotation under concurrency, rotation state across a restart,
//! binding to the client, and scope that may only narrow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

const OFFLINE: &str = "openid profile offline_access";

#[tokio::test]
async fn rt_01_replay_of_rotated_token_revokes_the_family() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rt01").await;
    let t = rp.tokens(&app, OFFLINE, "ivanova.mp").await;
    let r1 = t.str("refresh_token");
    let a1 = t.str("access_token");
    let second = rp.refresh(&app, &r1, None).await;
    assert_eq!(second.status, 200, "{}", second.text);
    let r2 = second.str("refresh_token");
    let a2 = second.str("access_token");
    assert_ne!(r1, r2, "rotated on use");
    assert_eq!(rp.introspect(&app, &r1).await, inactive(), "a used refresh token is inactive");
    assert_eq!(rp.introspect(&app, &r2).await["active"], true);

    rp.refresh(&app, &r1, None).await.assert_error(400, "invalid_grant", "replay of R1");
    for (what, token) in [("R2", &r2), ("A2", &a2), ("A1", &a1)] {
        assert_eq!(rp.introspect(&app, token).await, inactive(), "{what} is revoked with the family");
    }
    rp.refresh(&app, &r2, None).await.assert_error(400, "invalid_grant", "R2 after the family was revoked");
}

#[tokio::test]
async fn rt_01_public_client_refresh_is_rotated_too() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "rt01-public").await;
    let t = rp.tokens(&app, OFFLINE, "ivanova.mp").await;
    let r1 = t.str("refresh_token");
    let r2 = rp.refresh(&app, &r1, None).await.str("refresh_token");
    assert_ne!(r1, r2);
    rp.refresh(&app, &r1, None).await.assert_error(400, "invalid_grant", "replay of R1 (public client)");
    rp.refresh(&app, &r2, None).await.assert_error(400, "invalid_grant", "R2 after the replay");
}

#[tokio::test]
async fn rt_02_parallel_refreshes_at_most_one_success() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rt02").await;
    let r1 = rp.tokens(&app, OFFLINE, "ivanova.mp").await.str("refresh_token");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (rp, app_url, r1) = (rp.clone(), app.url("/token"), r1.clone());
        set.spawn(async move {
            let form = [("grant_type", "refresh_token"), ("refresh_token", r1.as_str())];
            let req = reqwest::Client::new().post(app_url).basic_auth(&rp.id, rp.secret.as_deref()).form(&form);
            Answer::of(req.send().await.unwrap()).await
        });
    }
    let mut winners = Vec::new();
    while let Some(a) = set.join_next().await {
        let a = a.unwrap();
        match a.status {
            200 => winners.push(a.str("refresh_token")),
            400 => assert_eq!(a.error(), Some("invalid_grant"), "{}", a.text),
            other => panic!("unexpected {other}: {}", a.text),
        }
    }
    assert!(winners.len() <= 1, "at most one success, got {}", winners.len());
    // Whatever won, the family is never left with two live members.
    let live: usize = {
        let mut n = 0;
        for w in &winners {
            if rp.introspect(&app, w).await["active"] == true {
                n += 1;
            }
        }
        n
    };
    assert!(live <= 1);
}

#[tokio::test]
async fn rt_03_rotation_survives_a_restart() {
    let mut app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rt03").await;
    let http = browser();
    let code = rp.code_in(&app, &http, OFFLINE, "ivanova.mp").await;
    let t = rp.exchange(&app, &code).await;
    let r1 = t.str("refresh_token");
    let r2 = rp.refresh(&app, &r1, None).await.str("refresh_token");

    restart(&mut app).await;

    assert_eq!(rp.introspect(&app, &r1).await, inactive(), "R1 is still used after the restart");
    let third = rp.refresh(&app, &r2, None).await;
    assert_eq!(third.status, 200, "the current token works after the restart: {}", third.text);
    let r3 = third.str("refresh_token");
    // The session survives too (prompt=none, no UI).
    let res = http.get(authz(&app, &rp.id, RP_CB, &[("prompt", Some("none"))])).send().await.unwrap();
    assert!(query_param(&location(&res), "code").is_some(), "session kept across the restart");
    // Replay of a pre-restart token is still detected and still revokes the family.
    rp.refresh(&app, &r1, None).await.assert_error(400, "invalid_grant", "replay of R1 after restart");
    assert_eq!(rp.introspect(&app, &r3).await, inactive(), "family revoked after the restart too");
    app.stop().await;
}

#[tokio::test]
async fn rt_05_refresh_token_bound_to_its_client() {
    let app = TestApp::spawn().await;
    let a = Rp::confidential(&app, "rt05-a").await;
    let b = Rp::confidential(&app, "rt05-b").await;
    let p = Rp::public(&app, "rt05-public").await;
    let r1 = a.tokens(&app, OFFLINE, "ivanova.mp").await.str("refresh_token");
    b.refresh(&app, &r1, None).await.assert_error(400, "invalid_grant", "client B with A's refresh token");
    p.refresh(&app, &r1, None).await.assert_error(400, "invalid_grant", "a public client with A's refresh token");
    // The attempt did not spend or revoke A's token.
    assert_eq!(a.refresh(&app, &r1, None).await.status, 200);
}

#[tokio::test]
async fn rt_05_scope_may_narrow_but_never_widen() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rt05-scope").await;
    let r1 = rp.tokens(&app, "openid offline_access", "ivanova.mp").await.str("refresh_token");
    for wider in ["openid profile offline_access", "openid email", "openid offline_access admin"] {
        let a = rp.refresh(&app, &r1, Some(wider)).await;
        assert_eq!(a.status, 400, "{wider}: {}", a.text);
        assert!(matches!(a.error(), Some("invalid_scope" | "invalid_grant")), "{wider}: {}", a.text);
    }
    let narrow = rp.refresh(&app, &r1, Some("openid")).await;
    assert_eq!(narrow.status, 200, "narrowing: {}", narrow.text);
    assert_eq!(narrow.json["scope"], "openid");
    let claims = jwt_claims(&narrow.str("access_token"));
    assert_eq!(claims["scope"], "openid", "the access token carries the narrowed scope");
    // The grant itself keeps its scope: the next refresh may ask for all of it again.
    let again = rp.refresh(&app, &narrow.str("refresh_token"), None).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert!(again.json["scope"].as_str().unwrap().contains("openid"));
}

#[tokio::test]
async fn rt_06_logout_revokes_the_session_grants() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rt06").await;
    let http = browser();
    let code = rp.code_in(&app, &http, OFFLINE, "ivanova.mp").await;
    let t = rp.exchange(&app, &code).await;
    let (refresh, id_token) = (t.str("refresh_token"), t.str("id_token"));
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &id_token)
        .append_pair("post_logout_redirect_uri", RP_LOGGED_OUT);
    let res = http.get(url.as_str()).send().await.unwrap();
    assert!(location(&res).starts_with(RP_LOGGED_OUT));
    assert_eq!(rp.introspect(&app, &refresh).await, inactive(), "refresh token revoked by logout");
    rp.refresh(&app, &refresh, None).await.assert_error(400, "invalid_grant", "refresh after logout");
}

#[tokio::test]
async fn rt_07_refresh_rechecks_that_the_account_is_enabled() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rt07").await;
    let t = rp.tokens(&app, OFFLINE, "ivanova.mp").await;
    let url = &app.config.database.url;
    let sql = if url.starts_with("sqlite:") {
        "UPDATE accounts SET disabled = 1 WHERE login = 'ivanova.mp'"
    } else {
        "UPDATE accounts SET disabled = TRUE WHERE login = 'ivanova.mp'"
    };
    assert_eq!(crate::audit_chain::execute(url, sql).await, 1);
    rp.refresh(&app, &t.str("refresh_token"), None).await.assert_error(
        400,
        "invalid_grant",
        "refresh for a disabled account",
    );
    let ui = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(t.str("access_token")).send().await.unwrap();
    assert_eq!(ui.status(), 401, "userinfo for a disabled account");
    // Nor can the disabled account sign in again.
    let res = submit_login(&browser(), &app.base, "/login", "ivanova.mp", PASSWORD).await;
    assert_eq!(res.status(), 401);
}
