//! `keys retire` against a running server (issue #10): rotate, wait for the new key to
//! sign, retire the old one with a short overlap; the old kid is in /jwks during the
//! overlap and gone after, without a restart; the active key is never retired.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use base64::Engine as _;
use propusk::clock::Clock as _;
use serde_json::Value;
use std::time::{Duration, Instant};

fn kid_of(jwt: &str) -> String {
    let header = jwt.split('.').next().expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).expect("base64url header");
    let header: Value = serde_json::from_slice(&bytes).expect("JSON header");
    header["kid"].as_str().expect("a kid").to_owned()
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let jwks: Value = reqwest::get(app.url("/jwks")).await.unwrap().json().await.unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

async fn userinfo(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

async fn access_token(app: &TestApp) -> String {
    Rp::demo(app).tokens(app, "openid", "ivanova.mp").await.str("access_token")
}

#[tokio::test]
async fn rotate_then_retire_the_old_key_after_an_overlap() {
    let app = TestApp::spawn_with(|c| c.keys.rotation_grace_secs = 1, false).await;
    let ring = app.running.as_ref().unwrap().app.keys.clone();
    let old_token = access_token(&app).await;
    let old_kid = kid_of(&old_token);
    let alg = app.config.keys.default_alg.clone();

    // The only active key of its algorithm: refused, as bad usage, and nothing changes.
    let err = propusk::cli::keys_retire(&app.config, &old_kid, Some(2)).await.unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("active"), "{err}");
    let err = propusk::cli::keys_retire(&app.config, "no-such-kid", None).await.unwrap_err();
    assert_eq!(err.exit_code(), 1, "{err}");

    let rotated = propusk::cli::keys_rotate(&app.config, &alg).await.expect("rotated");
    let new_kid = rotated["kid"].as_str().unwrap().to_owned();
    // SQLite has no change feed: reload as the upkeep task does (PostgreSQL's NOTIFY does it too).
    ring.reload().await.unwrap();
    assert!(jwks_kids(&app).await.contains(&new_kid), "published before it signs");
    let started = Instant::now();
    let new_token = loop {
        let t = access_token(&app).await;
        if kid_of(&t) == new_kid {
            break t;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the new key signs within 5 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!("new key {new_kid} signed after {:?}", started.elapsed());

    let overlap = 2;
    let retired = propusk::cli::keys_retire(&app.config, &old_kid, Some(overlap)).await.expect("retired");
    assert_eq!(retired["kid"], old_kid.as_str());
    ring.reload().await.unwrap();
    let retire_at = retired["retire_at"].as_i64().unwrap();
    let listed = propusk::cli::keys_list(&app.config).await.unwrap();
    let state = |list: &Value, kid: &str| {
        list.as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap()["state"].as_str().unwrap().to_owned()
    };
    assert_eq!(state(&listed, &old_kid), "retiring", "{listed}");
    assert_eq!(state(&listed, &new_kid), "active", "{listed}");
    // During the overlap: still published, its tokens still verify.
    assert!(jwks_kids(&app).await.contains(&old_kid));
    assert_eq!(userinfo(&app, &old_token).await, 200, "a token of the retiring key verifies");
    assert_eq!(userinfo(&app, &new_token).await, 200);

    // After the overlap, with no reload: gone from /jwks; the new key's tokens verify.
    let wait = retire_at - propusk::clock::SystemClock.now() + 1;
    tokio::time::sleep(Duration::from_secs(wait.max(0) as u64)).await;
    let kids = jwks_kids(&app).await;
    assert!(!kids.contains(&old_kid), "{kids:?}");
    assert!(kids.contains(&new_kid), "{kids:?}");
    assert_eq!(userinfo(&app, &new_token).await, 200);
    assert_eq!(userinfo(&app, &access_token(&app).await).await, 200);
    assert_eq!(userinfo(&app, &old_token).await, 401, "a retired key is trusted no more");
    let listed = propusk::cli::keys_list(&app.config).await.unwrap();
    assert_eq!(state(&listed, &old_kid), "retired", "{listed}");
    // Once retired, retiring again is refused (exit 1), and the active key still is (exit 2).
    let err = propusk::cli::keys_retire(&app.config, &old_kid, None).await.unwrap_err();
    assert_eq!(err.exit_code(), 1, "{err}");
    let err = propusk::cli::keys_retire(&app.config, &new_kid, None).await.unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
}
