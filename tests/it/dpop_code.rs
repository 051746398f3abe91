//! The authorization code bound to a DPoP key (RFC 9449 §10, §10.1) as a relying
//! party uses it and as an attacker tries it: `dpop_jkt` at /authorize and in a
//! pushed request, a `DPoP` proof at /par, the code exchanged only with a proof of
//! that key (a refusal spends it; a second use revokes the first), and the nonces
//! UserInfo asks for (RFC 9449 §9).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::dpop::{DpopKey, ath, call, exchange, now, token_proof, userinfo};
use crate::support::*;
use serde_json::json;

async fn fixed_app() -> TestApp {
    TestApp::spawn_with(|_| {}, true).await
}

/// The usual authorization parameters with `changes` (see [`authz`]).
fn params(app: &TestApp, rp: &Rp, changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let url = url::Url::parse(&authz(app, &rp.id, &rp.redirect, changes)).unwrap();
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Logs ivanova.mp in through `authorize` and returns the code.
async fn code_of(app: &TestApp, authorize: &str) -> String {
    let back = login_for_code(app, &browser(), authorize, "ivanova.mp").await;
    assert!(back.starts_with(RP_CB), "back to the client: {back}");
    query_param(&back, "code").expect("a code")
}

/// A code of `rp` asked for with `dpop_jkt` (and `offline_access`).
async fn bound_code(app: &TestApp, rp: &Rp, jkt: &str) -> String {
    let scope = Some("openid profile offline_access");
    code_of(app, &authz(app, &rp.id, &rp.redirect, &[("dpop_jkt", Some(jkt)), ("scope", scope)])).await
}

/// POST /par as `rp` (without its `client_id` in the form: the call adds it) with these `DPoP` headers.
async fn push(app: &TestApp, rp: &Rp, changes: &[(&str, Option<&str>)], proofs: &[&str]) -> Answer {
    let form: Vec<(String, String)> = params(app, rp, changes).into_iter().filter(|(k, _)| k != "client_id").collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    call(app, rp, "/par", &form, proofs).await
}

/// A proof for `/par` now, with `extra` claims.
fn par_proof(app: &TestApp, key: &DpopKey, extra: &[(&str, &str)]) -> String {
    key.proof_at("POST", &app.url("/par"), now(app), extra)
}

/// The code of a pushed request (the push asserted 201).
async fn pushed_code(app: &TestApp, rp: &Rp, changes: &[(&str, Option<&str>)], proofs: &[&str]) -> String {
    let a = push(app, rp, changes, proofs).await;
    assert_eq!(a.status, 201, "push: {}", a.text);
    let mut u = url::Url::parse(&app.url("/authorize")).unwrap();
    u.query_pairs_mut().append_pair("client_id", &rp.id).append_pair("request_uri", &a.str("request_uri"));
    code_of(app, u.as_str()).await
}

fn assert_bound(t: &Answer, key: &DpopKey, what: &str) {
    assert_eq!((t.status, t.json["token_type"].as_str()), (200, Some("DPoP")), "{what}: {}", t.text);
    assert_eq!(jwt_claims(&t.str("access_token"))["cnf"], json!({ "jkt": key.jkt() }), "{what}");
}

#[tokio::test]
async fn rfc9449_10_dpop_jkt_binds_the_code_to_the_key() {
    let app = fixed_app().await;
    let key = DpopKey::new();
    for rp in [Rp::public(&app, "mobile").await, Rp::confidential(&app, "diary").await] {
        let code = bound_code(&app, &rp, &key.jkt()).await;
        let t = exchange(&app, &rp, &code, &[&token_proof(&app, &key)]).await;
        assert_bound(&t, &key, &rp.id);
        let htu = app.url("/userinfo");
        let at = t.str("access_token");
        let ok = userinfo(&app, "DPoP", &at, &[&key.proof_at("GET", &htu, now(&app), &[("ath", &ath(&at))])]).await;
        assert_eq!(ok.status, 200, "{}: {}", rp.id, ok.text);
    }
}

#[tokio::test]
async fn rfc9449_10_a_bound_code_refuses_another_key_or_none_and_is_spent() {
    let app = fixed_app().await;
    let (key, other) = (DpopKey::new(), DpopKey::new());
    let mobile = Rp::public(&app, "mobile").await;
    let refusals: [(&str, Vec<String>); 2] = [("another key", vec![token_proof(&app, &other)]), ("no proof", vec![])];
    for (what, proofs) in refusals {
        let code = bound_code(&app, &mobile, &key.jkt()).await;
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        exchange(&app, &mobile, &code, &proofs).await.assert_error(400, "invalid_grant", what);
        // The refusal spent the code: not even the key's holder gets tokens for it now.
        let late = exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await;
        late.assert_error(400, "invalid_grant", &format!("{what}, then the key"));
    }
    // A confidential client's code is bound as well.
    let diary = Rp::confidential(&app, "diary").await;
    let code = bound_code(&app, &diary, &key.jkt()).await;
    exchange(&app, &diary, &code, &[&token_proof(&app, &other)]).await.assert_error(400, "invalid_grant", "diary");
}

#[tokio::test]
async fn rfc9449_10_a_bound_code_is_used_once() {
    let app = fixed_app().await;
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let code = bound_code(&app, &mobile, &key.jkt()).await;
    let first = exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await;
    assert_bound(&first, &key, "the first use");
    let again = exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await;
    again.assert_error(400, "invalid_grant", "the second use, with a fresh proof of the key");
    // AC-01: the second use revoked what the first one issued.
    let rt = first.str("refresh_token");
    let r = call(
        &app,
        &mobile,
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        &[&token_proof(&app, &key)],
    )
    .await;
    r.assert_error(400, "invalid_grant", "the family is revoked");
    // Twice at once, each with its own good proof: one winner.
    let code = bound_code(&app, &mobile, &key.jkt()).await;
    let (p1, p2) = (token_proof(&app, &key), token_proof(&app, &key));
    let (p1, p2) = ([p1.as_str()], [p2.as_str()]);
    let (a, b) = tokio::join!(exchange(&app, &mobile, &code, &p1), exchange(&app, &mobile, &code, &p2));
    let wins = [&a, &b].iter().filter(|x| x.status == 200).count();
    assert_eq!(wins, 1, "one of two parallel uses: {} / {}", a.text, b.text);
}

#[tokio::test]
async fn rfc9449_10_malformed_dpop_jkt_is_invalid_request() {
    let app = fixed_app().await;
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let jkt = key.jkt();
    let bad = [jkt[..42].to_owned(), format!("{jkt}A"), format!("{}=", &jkt[..42]), format!("{}+", &jkt[..42])];
    for b in bad.iter().map(String::as_str) {
        let res = browser().get(authz(&app, "mobile", RP_CB, &[("dpop_jkt", Some(b))])).send().await.unwrap();
        assert_error_redirect(&app, &res, RP_CB, "invalid_request", b);
        push(&app, &mobile, &[("dpop_jkt", Some(b))], &[]).await.assert_error(400, "invalid_request", b);
    }
}

#[tokio::test]
async fn rfc9449_10_1_a_proof_at_par_binds_the_code() {
    let app = fixed_app().await;
    let (key, other) = (DpopKey::new(), DpopKey::new());
    let mobile = Rp::public(&app, "mobile").await;
    // The push's proof binds the code; the exchange with another key is refused.
    let code = pushed_code(&app, &mobile, &[], &[&par_proof(&app, &key, &[])]).await;
    exchange(&app, &mobile, &code, &[&token_proof(&app, &other)]).await.assert_error(400, "invalid_grant", "other key");
    let code = pushed_code(&app, &mobile, &[], &[&par_proof(&app, &key, &[])]).await;
    exchange(&app, &mobile, &code, &[]).await.assert_error(400, "invalid_grant", "no proof");
    let code = pushed_code(&app, &mobile, &[], &[&par_proof(&app, &key, &[])]).await;
    assert_bound(&exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await, &key, "the push's key");
    // `dpop_jkt` pushed as a parameter binds it too, and a confidential client's push as well.
    let jkt = key.jkt();
    let code = pushed_code(&app, &mobile, &[("dpop_jkt", Some(&jkt))], &[]).await;
    exchange(&app, &mobile, &code, &[&token_proof(&app, &other)]).await.assert_error(400, "invalid_grant", "param");
    let diary = Rp::confidential(&app, "diary").await;
    let code = pushed_code(&app, &diary, &[], &[&par_proof(&app, &key, &[])]).await;
    exchange(&app, &diary, &code, &[&token_proof(&app, &other)]).await.assert_error(400, "invalid_grant", "diary");
    // A push without a proof or dpop_jkt binds nothing, as before.
    let code = pushed_code(&app, &mobile, &[], &[]).await;
    assert_bound(&exchange(&app, &mobile, &code, &[&token_proof(&app, &other)]).await, &other, "unbound");
}

#[tokio::test]
async fn rfc9449_10_1_header_and_parameter_must_agree_at_par() {
    let app = fixed_app().await;
    let (key, other) = (DpopKey::new(), DpopKey::new());
    let mobile = Rp::public(&app, "mobile").await;
    let theirs = other.jkt();
    let disagree = push(&app, &mobile, &[("dpop_jkt", Some(&theirs))], &[&par_proof(&app, &key, &[])]).await;
    disagree.assert_error(400, "invalid_dpop_proof", "header and dpop_jkt disagree");
    let mine = key.jkt();
    let code = pushed_code(&app, &mobile, &[("dpop_jkt", Some(&mine))], &[&par_proof(&app, &key, &[])]).await;
    assert_bound(&exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await, &key, "agreeing");
    // The proof is checked as at /token.
    let t = now(&app);
    let used = par_proof(&app, &key, &[]);
    assert_eq!(push(&app, &mobile, &[], &[&used]).await.status, 201);
    let cases: [(&str, Vec<String>); 5] = [
        ("a replayed proof", vec![used.clone()]),
        ("htu of /token", vec![key.proof_at("POST", &app.url("/token"), t, &[])]),
        ("htm GET", vec![key.proof_at("GET", &app.url("/par"), t, &[])]),
        ("a stale iat", vec![key.proof_at("POST", &app.url("/par"), t - 300, &[])]),
        ("two DPoP headers", vec![par_proof(&app, &key, &[]), par_proof(&app, &key, &[])]),
    ];
    for (what, proofs) in cases {
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        push(&app, &mobile, &[], &proofs).await.assert_error(400, "invalid_dpop_proof", what);
    }
}

#[tokio::test]
async fn rfc9449_8_nonces_at_par_when_required() {
    let app = TestApp::spawn_with(|c| c.tokens.require_dpop_nonce = true, true).await;
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let asked = push(&app, &mobile, &[], &[&par_proof(&app, &key, &[])]).await;
    asked.assert_error(400, "use_dpop_nonce", "no nonce");
    let nonce = asked.header("dpop-nonce").expect("a DPoP-Nonce header").to_owned();
    let made_up = push(&app, &mobile, &[], &[&par_proof(&app, &key, &[("nonce", "made-up")])]).await;
    made_up.assert_error(400, "use_dpop_nonce", "a made-up nonce");
    let code = pushed_code(&app, &mobile, &[], &[&par_proof(&app, &key, &[("nonce", &nonce)])]).await;
    let with = key.proof_at("POST", &app.url("/token"), now(&app), &[("nonce", &nonce)]);
    assert_bound(&exchange(&app, &mobile, &code, &[&with]).await, &key, "with the nonce");
}

#[tokio::test]
async fn rfc9449_9_userinfo_nonce_round_trip() {
    let app = TestApp::spawn_with(|c| c.tokens.require_dpop_nonce = true, true).await;
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let code = mobile.code(&app, "openid profile", "ivanova.mp").await;
    let asked = exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await;
    let nonce = asked.header("dpop-nonce").expect("the token endpoint's nonce").to_owned();
    let with = key.proof_at("POST", &app.url("/token"), now(&app), &[("nonce", &nonce)]);
    let t = exchange(&app, &mobile, &code, &[&with]).await;
    assert_bound(&t, &key, "tokens");
    let at = t.str("access_token");
    let htu = app.url("/userinfo");
    let good_ath = ath(&at);
    for (what, extra) in [
        ("no nonce", vec![("ath", good_ath.as_str())]),
        ("a made-up nonce", vec![("ath", good_ath.as_str()), ("nonce", "made-up")]),
    ] {
        let a = userinfo(&app, "DPoP", &at, &[&key.proof_at("GET", &htu, now(&app), &extra)]).await;
        assert_eq!((a.status, a.error()), (401, Some("use_dpop_nonce")), "{what}: {}", a.text);
        let challenge = a.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("DPoP ") && challenge.contains("error=\"use_dpop_nonce\""),
            "{what}: {challenge}"
        );
        assert!(a.header("dpop-nonce").is_some_and(|n| !n.is_empty()), "{what}: a DPoP-Nonce header");
    }
    let asked = userinfo(&app, "DPoP", &at, &[&key.proof_at("GET", &htu, now(&app), &[("ath", &good_ath)])]).await;
    let nonce = asked.header("dpop-nonce").unwrap().to_owned();
    let proof = key.proof_at("GET", &htu, now(&app), &[("ath", &good_ath), ("nonce", &nonce)]);
    let ok = userinfo(&app, "DPoP", &at, &[&proof]).await;
    assert_eq!(ok.status, 200, "with the nonce: {}", ok.text);
    assert!(ok.json["sub"].is_string());
    // The nonce is no licence to replay: the same proof again is refused.
    let replay = userinfo(&app, "DPoP", &at, &[&proof]).await;
    assert_eq!((replay.status, replay.error()), (401, Some("invalid_dpop_proof")), "{}", replay.text);
}
