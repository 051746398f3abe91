//! Introspection and revocation (security-checklist §1.I, §1.J): authenticated
//! callers only, `{"active": false}` and nothing else for every dead or foreign
//! token, the fields of a live one, and revocation that only touches the caller's
//! own tokens and never errors on unknown ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

#[tokio::test]
async fn in_01_anonymous_and_public_callers_get_401() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "in01").await;
    let public = Rp::public(&app, "in01-public").await;
    let access = rp.tokens(&app, "openid", "ivanova.mp").await.str("access_token");
    let http = reqwest::Client::new();
    let anon =
        Answer::of(http.post(app.url("/introspect")).form(&[("token", access.as_str())]).send().await.unwrap()).await;
    anon.assert_error(401, "invalid_client", "anonymous");
    assert!(anon.json.get("active").is_none());
    let a = public.call(&app, "/introspect", &[("token", access.as_str())]).await;
    a.assert_error(401, "invalid_client", "public client");
    let a = Answer::of(
        http.post(app.url("/introspect"))
            .basic_auth(&rp.id, Some("wrong-secret-0123456789-0123456789-x"))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(401, "invalid_client", "wrong secret");
}

#[tokio::test]
async fn in_02_garbage_expired_revoked_and_foreign_tokens_are_just_inactive() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    let clock = app.clock.clone().unwrap();
    let rp = Rp::confidential(&app, "in02").await;
    let other = Rp::confidential(&app, "in02-other").await;
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    let access = t.str("access_token");
    let refresh = t.str("refresh_token");
    let id_token = t.str("id_token");
    let mut tampered = access.clone();
    tampered.pop();
    tampered.push(if access.ends_with('A') { 'B' } else { 'A' });
    for (what, token) in [
        ("garbage", "garbage"),
        ("JWT-shaped garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."),
        ("three dots", "a.b.c"),
        ("tampered signature", tampered.as_str()),
        ("an ID token", id_token.as_str()),
    ] {
        assert_eq!(rp.introspect(&app, token).await, inactive(), "{what}");
    }
    // Another client's live tokens.
    assert_eq!(other.introspect(&app, &access).await, inactive(), "another client's access token");
    assert_eq!(other.introspect(&app, &refresh).await, inactive(), "another client's refresh token");
    // Revoked.
    let t2 = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    let revoked = t2.str("access_token");
    assert_eq!(rp.revoke(&app, &revoked, None).await.status, 200);
    assert_eq!(rp.introspect(&app, &revoked).await, inactive(), "revoked access token");
    // Expired (access tokens live 600 s).
    assert_eq!(rp.introspect(&app, &access).await["active"], true);
    clock.advance(601);
    assert_eq!(rp.introspect(&app, &access).await, inactive(), "expired access token");
    // No token at all: an error, not a claim.
    let a = rp.call(&app, "/introspect", &[]).await;
    assert_eq!(a.status, 400, "{}", a.text);
}

#[tokio::test]
async fn in_03_active_token_fields() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "in03").await;
    let t = rp.tokens(&app, "openid profile offline_access", "ivanova.mp").await;
    let id_sub = jwt_claims(&t.str("id_token"))["sub"].clone();
    let a = rp.call(&app, "/introspect", &[("token", t.str("access_token").as_str())]).await;
    assert_eq!(a.header("cache-control"), Some("no-store"));
    let v = &a.json;
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], "in03");
    assert_eq!(v["iss"], app.base.as_str());
    assert_eq!(v["sub"], id_sub, "same sub as the ID token");
    assert_eq!(v["token_type"], "Bearer");
    let scope = v["scope"].as_str().expect("scope");
    for s in ["openid", "profile", "offline_access"] {
        assert!(scope.split(' ').any(|x| x == s), "scope {scope} has {s}");
    }
    let (iat, exp) = (v["iat"].as_i64().expect("iat"), v["exp"].as_i64().expect("exp"));
    assert!(exp > iat, "exp {exp} after iat {iat}");
    assert!(!v["aud"].is_null(), "aud");
    // The refresh token introspects too.
    let r = rp.introspect(&app, &t.str("refresh_token")).await;
    assert_eq!(r["active"], true);
    assert_eq!(r["client_id"], "in03");
    assert_eq!(r["sub"], id_sub);
    // Revocation shows at once.
    rp.revoke(&app, &t.str("refresh_token"), None).await;
    assert_eq!(rp.introspect(&app, &t.str("access_token")).await, inactive());
}

#[tokio::test]
async fn rv_01_another_client_cannot_revoke_my_tokens() {
    let app = TestApp::spawn().await;
    let a = Rp::confidential(&app, "rv01-a").await;
    let b = Rp::confidential(&app, "rv01-b").await;
    let p = Rp::public(&app, "rv01-public").await;
    let t = a.tokens(&app, "openid offline_access", "ivanova.mp").await;
    let (access, refresh) = (t.str("access_token"), t.str("refresh_token"));
    for (who, rp) in [("confidential B", &b), ("public client", &p)] {
        for (token, hint) in
            [(&access, None), (&access, Some("access_token")), (&refresh, None), (&refresh, Some("refresh_token"))]
        {
            let r = rp.revoke(&app, token, hint).await;
            assert!(matches!(r.status, 200 | 400 | 401), "{who}: {} {}", r.status, r.text);
        }
    }
    assert_eq!(a.introspect(&app, &access).await["active"], true, "A's access token still active");
    assert_eq!(a.introspect(&app, &refresh).await["active"], true, "A's refresh token still active");
    assert_eq!(a.refresh(&app, &refresh, None).await.status, 200, "and still usable");
    // Anonymous revocation is refused.
    let anon = Answer::of(
        reqwest::Client::new().post(app.url("/revoke")).form(&[("token", access.as_str())]).send().await.unwrap(),
    )
    .await;
    anon.assert_error(401, "invalid_client", "anonymous revocation");
    assert_eq!(a.introspect(&app, &access).await["active"], true);
}

#[tokio::test]
async fn rv_02_unknown_token_is_200_and_wrong_hint_still_works() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "rv02").await;
    for token in ["unknown", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        for hint in [None, Some("access_token"), Some("refresh_token"), Some("something_else")] {
            let r = rp.revoke(&app, token, hint).await;
            assert_eq!(r.status, 200, "{token} {hint:?}: {}", r.text);
        }
    }
    // A refresh token revoked with the access-token hint.
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    assert_eq!(rp.revoke(&app, &t.str("refresh_token"), Some("access_token")).await.status, 200);
    assert_eq!(
        rp.introspect(&app, &t.str("refresh_token")).await,
        inactive(),
        "refresh token revoked despite the hint"
    );
    // An access token revoked with the refresh-token hint.
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    assert_eq!(rp.revoke(&app, &t.str("access_token"), Some("refresh_token")).await.status, 200);
    assert_eq!(rp.introspect(&app, &t.str("access_token")).await, inactive(), "access token revoked despite the hint");
    // Revoking twice is fine.
    assert_eq!(rp.revoke(&app, &t.str("access_token"), None).await.status, 200);
}
