//! PKCE and the authorization code (security-checklist §1.B, §1.C): S256 only,
//! verifier syntax, a failed check spends the code, single use with revocation
//! of what the first redemption issued, atomic consumption, binding to client and
//! redirect URI, and the 60-second lifetime.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;

#[tokio::test]
async fn pk_01_challenge_required_for_public_and_confidential_clients() {
    let app = TestApp::spawn().await;
    let public = Rp::public(&app, "pk01-public").await;
    let confidential = Rp::confidential(&app, "pk01-conf").await;
    let http = browser();
    for rp in [&public, &confidential] {
        let no_challenge = authz(&app, &rp.id, RP_CB, &[("code_challenge", None), ("code_challenge_method", None)]);
        let res = http.get(&no_challenge).send().await.unwrap();
        assert_error_redirect(&app, &res, RP_CB, "invalid_request", &format!("{}: no code_challenge", rp.id));
        let method_only = authz(&app, &rp.id, RP_CB, &[("code_challenge", None)]);
        let res = http.get(&method_only).send().await.unwrap();
        assert_error_redirect(&app, &res, RP_CB, "invalid_request", &format!("{}: method only", rp.id));
    }
}

#[tokio::test]
async fn pk_02_only_s256_absent_method_is_not_plain() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "pk02").await;
    let http = browser();
    for (what, method) in
        [("plain", Some("plain")), ("absent", None), ("lower case", Some("s256")), ("other", Some("S512"))]
    {
        let res = http.get(authz(&app, &rp.id, RP_CB, &[("code_challenge_method", method)])).send().await.unwrap();
        assert_error_redirect(&app, &res, RP_CB, "invalid_request", what);
    }
    // A plain-style challenge (the verifier itself) with no method is refused too.
    let res = http
        .get(authz(&app, &rp.id, RP_CB, &[("code_challenge", Some(VERIFIER)), ("code_challenge_method", None)]))
        .send()
        .await
        .unwrap();
    assert_error_redirect(&app, &res, RP_CB, "invalid_request", "verifier as challenge, no method");
    let disco: serde_json::Value =
        http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(disco["code_challenge_methods_supported"], serde_json::json!(["S256"]));
}

#[tokio::test]
async fn pk_03_challenge_and_verifier_syntax() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "pk03").await;
    let http = browser();
    let too_short = &CHALLENGE[..42];
    let too_long = format!("{CHALLENGE}A");
    let bad_chars = format!("{}+", &CHALLENGE[..42]);
    let padded = format!("{}=", &CHALLENGE[..42]);
    for (what, challenge) in [
        ("42 chars", too_short),
        ("44 chars", too_long.as_str()),
        ("'+'", bad_chars.as_str()),
        ("'='", padded.as_str()),
    ] {
        let res = http.get(authz(&app, &rp.id, RP_CB, &[("code_challenge", Some(challenge))])).send().await.unwrap();
        assert_error_redirect(&app, &res, RP_CB, "invalid_request", what);
    }
    // Verifiers out of syntax are refused even when their S256 matches the challenge.
    rp.code_in(&app, &http, "openid", "ivanova.mp").await;
    let short = "a".repeat(42);
    let long = "a".repeat(129);
    let bad = format!("{}+/=", "a".repeat(45));
    let space = format!("{} b", "a".repeat(45));
    for (what, verifier) in [("42 chars", &short), ("129 chars", &long), ("'+/='", &bad), ("space", &space)] {
        let url = authz(&app, &rp.id, RP_CB, &[("code_challenge", Some(challenge_of(verifier).as_str()))]);
        let res = http.get(&url).send().await.unwrap();
        let code = query_param(&location(&res), "code").expect("a code (session)");
        let t = rp.exchange_with(&app, &code, Some(RP_CB), Some(verifier.as_str())).await;
        t.assert_error(400, "invalid_grant", what);
    }
    // The bounds themselves are fine.
    for verifier in ["a".repeat(43), "~._-".repeat(32)] {
        let url = authz(&app, &rp.id, RP_CB, &[("code_challenge", Some(challenge_of(&verifier).as_str()))]);
        let res = http.get(&url).send().await.unwrap();
        let code = query_param(&location(&res), "code").unwrap();
        let t = rp.exchange_with(&app, &code, Some(RP_CB), Some(&verifier)).await;
        assert_eq!(t.status, 200, "verifier of {} chars: {}", verifier.len(), t.text);
    }
}

#[tokio::test]
async fn pk_04_mismatch_is_invalid_grant_and_spends_the_code() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "pk04").await;
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    let wrong = "x".repeat(43);
    let t = rp.exchange_with(&app, &code, Some(RP_CB), Some(&wrong)).await;
    t.assert_error(400, "invalid_grant", "wrong verifier");
    assert!(t.json.get("access_token").is_none());
    let t = rp.exchange(&app, &code).await;
    t.assert_error(400, "invalid_grant", "retry with the right verifier after a failure");
}

#[tokio::test]
async fn pk_05_code_with_challenge_needs_a_verifier() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "pk05").await;
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    let t = rp.exchange_with(&app, &code, Some(RP_CB), None).await;
    t.assert_error(400, "invalid_grant", "no verifier");
    let t = rp.exchange(&app, &code).await;
    t.assert_error(400, "invalid_grant", "the code was spent by the attempt without verifier");
    // An empty verifier counts as none.
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    let t = rp.exchange_with(&app, &code, Some(RP_CB), Some("")).await;
    t.assert_error(400, "invalid_grant", "empty verifier");
}

#[tokio::test]
async fn ac_01_second_redemption_fails_and_revokes_the_first_tokens() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "ac01").await;
    let code = rp.code(&app, "openid profile offline_access", "ivanova.mp").await;
    let first = rp.exchange(&app, &code).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let access = first.str("access_token");
    let refresh = first.str("refresh_token");
    assert_eq!(rp.introspect(&app, &access).await["active"], true);
    let second = rp.exchange(&app, &code).await;
    second.assert_error(400, "invalid_grant", "second redemption");
    assert_eq!(rp.introspect(&app, &access).await, inactive(), "the first access token is revoked");
    assert_eq!(rp.introspect(&app, &refresh).await, inactive(), "the first refresh token is revoked");
    rp.refresh(&app, &refresh, None).await.assert_error(400, "invalid_grant", "refresh after code reuse");
    let ui = reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(ui.status(), 401, "userinfo refuses the revoked access token");
}

#[tokio::test]
async fn ac_02_twenty_concurrent_redemptions_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "ac02").await;
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (url, id, code) = (app.url("/token"), rp.id.clone(), code.clone());
        set.spawn(async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", RP_CB),
                ("client_id", id.as_str()),
                ("code_verifier", VERIFIER),
            ];
            Answer::of(reqwest::Client::new().post(url).form(&form).send().await.unwrap()).await
        });
    }
    let mut ok = 0;
    let mut statuses = Vec::new();
    while let Some(a) = set.join_next().await {
        let a = a.unwrap();
        statuses.push(a.status);
        match a.status {
            200 => ok += 1,
            400 => assert_eq!(a.error(), Some("invalid_grant"), "{}", a.text),
            other => panic!("unexpected {other}: {}", a.text),
        }
    }
    assert_eq!(ok, 1, "exactly one success: {statuses:?}");
}

#[tokio::test]
async fn ac_03_code_bound_to_client_and_redirect_uri() {
    let app = TestApp::spawn().await;
    let a = Rp::register(&app, "ac03-a", false, vec![RP_CB.into(), "https://rp.example/cb2".into()]).await;
    let b = Rp::confidential(&app, "ac03-b").await;
    let public = Rp::public(&app, "ac03-public").await;
    let code = a.code(&app, "openid", "ivanova.mp").await;
    b.exchange(&app, &code).await.assert_error(400, "invalid_grant", "another client's credentials");
    public.exchange(&app, &code).await.assert_error(400, "invalid_grant", "another (public) client");
    // The code was not spent by the attempts of other clients: its owner still gets tokens.
    assert_eq!(a.exchange(&app, &code).await.status, 200);

    let code = a.code(&app, "openid", "ivanova.mp").await;
    a.exchange_with(&app, &code, Some("https://rp.example/cb2"), Some(VERIFIER)).await.assert_error(
        400,
        "invalid_grant",
        "another registered redirect_uri",
    );
    let code = a.code(&app, "openid", "ivanova.mp").await;
    a.exchange_with(&app, &code, None, Some(VERIFIER)).await.assert_error(400, "invalid_grant", "no redirect_uri");
    let code = a.code(&app, "openid", "ivanova.mp").await;
    a.exchange_with(&app, &code, Some("https://rp.example/cb/"), Some(VERIFIER)).await.assert_error(
        400,
        "invalid_grant",
        "near-miss redirect_uri",
    );
}

#[tokio::test]
async fn ac_05_code_expires_after_60_seconds() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    let clock = app.clock.clone().unwrap();
    let rp = Rp::public(&app, "ac05").await;
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    clock.advance(61);
    rp.exchange(&app, &code).await.assert_error(400, "invalid_grant", "code after 61 s");
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    clock.advance(59);
    assert_eq!(rp.exchange(&app, &code).await.status, 200, "code after 59 s");
}
