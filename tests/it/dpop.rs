//! DPoP (RFC 9449) as a relying party uses it and as an attacker tries it, with a
//! small hand client (an EC key of josekit's, proofs signed here): tokens bound to
//! the proof's key (`cnf.jkt`, `token_type: DPoP`), UserInfo refusing a bound token
//! without a good proof of its key, a public client's refresh family bound to the
//! key, a client registered as requiring DPoP, and the server's nonces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use josekit::jwk::KeyPair as _;
use josekit::jws::{ES256, JwsSigner};
use propusk::clock::Clock as _;
use propusk::crypto::{b64, sha256};
use serde_json::{Value, json};

/// A relying party's DPoP key: an EC P-256 pair, the public half as a JWK.
pub(crate) struct DpopKey {
    pub(crate) public: Value,
    signer: Box<dyn JwsSigner>,
}

impl DpopKey {
    pub(crate) fn new() -> Self {
        let pair = ES256.generate_key_pair().unwrap();
        let signer = Box::new(ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap());
        let public: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
        Self { public: Value::Object(public), signer }
    }

    /// RFC 7638, computed here: the required members in lexicographic order.
    pub(crate) fn jkt(&self) -> String {
        let k = &self.public;
        let canonical = json!({ "crv": k["crv"], "kty": k["kty"], "x": k["x"], "y": k["y"] }).to_string();
        b64(&sha256(canonical.as_bytes()))
    }

    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        format!("{input}.{}", b64(&self.signer.sign(input.as_bytes()).unwrap()))
    }

    /// A proof of `htm` at `htu` made at `iat`, with `extra` claims (`ath`, `nonce`).
    pub(crate) fn proof_at(&self, htm: &str, htu: &str, iat: i64, extra: &[(&str, &str)]) -> String {
        let mut claims = json!({ "jti": uuid::Uuid::new_v4().to_string(), "htm": htm, "htu": htu, "iat": iat });
        for (k, v) in extra {
            claims[*k] = json!(v);
        }
        self.sign(&json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.public }), &claims)
    }
}

pub(crate) fn now(app: &TestApp) -> i64 {
    app.clock.as_ref().expect("a fixed clock").now()
}

pub(crate) fn ath(token: &str) -> String {
    b64(&sha256(token.as_bytes()))
}

/// A proof for `/token` now.
pub(crate) fn token_proof(app: &TestApp, key: &DpopKey) -> String {
    key.proof_at("POST", &app.url("/token"), now(app), &[])
}

/// POST to a back-channel endpoint as `rp` with these `DPoP` headers.
pub(crate) async fn call(app: &TestApp, rp: &Rp, path: &str, form: &[(&str, &str)], proofs: &[&str]) -> Answer {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut req = reqwest::Client::new().post(app.url(path));
    match &rp.secret {
        Some(s) => req = req.basic_auth(&rp.id, Some(s)),
        None => form.push(("client_id", &rp.id)),
    }
    for p in proofs {
        req = req.header("DPoP", *p);
    }
    Answer::of(req.form(&form).send().await.unwrap()).await
}

pub(crate) async fn exchange(app: &TestApp, rp: &Rp, code: &str, proofs: &[&str]) -> Answer {
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", RP_CB), ("code_verifier", VERIFIER)];
    call(app, rp, "/token", &form, proofs).await
}

async fn refresh(app: &TestApp, rp: &Rp, token: &str, proofs: &[&str]) -> Answer {
    call(app, rp, "/token", &[("grant_type", "refresh_token"), ("refresh_token", token)], proofs).await
}

/// GET /userinfo with `Authorization: <scheme> <token>` and these `DPoP` headers.
pub(crate) async fn userinfo(app: &TestApp, scheme: &str, token: &str, proofs: &[&str]) -> Answer {
    let mut req = reqwest::Client::new().get(app.url("/userinfo")).header("Authorization", format!("{scheme} {token}"));
    for p in proofs {
        req = req.header("DPoP", *p);
    }
    Answer::of(req.send().await.unwrap()).await
}

/// Bound tokens of `rp` for ivanova.mp (asserted 200 and `token_type: DPoP`).
async fn bound_tokens(app: &TestApp, rp: &Rp, key: &DpopKey) -> Answer {
    let code = rp.code(app, "openid profile offline_access", "ivanova.mp").await;
    let t = exchange(app, rp, &code, &[&token_proof(app, key)]).await;
    assert_eq!((t.status, t.json["token_type"].as_str()), (200, Some("DPoP")), "{}", t.text);
    t
}

async fn fixed_app() -> TestApp {
    TestApp::spawn_with(|_| {}, true).await
}

#[tokio::test]
async fn dpop_01_tokens_bound_to_the_proofs_key() {
    let app = fixed_app().await;
    let d: Value = reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(d["dpop_signing_alg_values_supported"].as_array().unwrap().contains(&json!("ES256")));
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let t = bound_tokens(&app, &mobile, &key).await;
    let at = t.str("access_token");
    assert_eq!(jwt_claims(&at)["cnf"], json!({ "jkt": key.jkt() }), "cnf.jkt is the key's RFC 7638 thumbprint");
    assert_eq!(t.header("cache-control"), Some("no-store"));
    let htu = app.url("/userinfo");
    let ok = userinfo(&app, "DPoP", &at, &[&key.proof_at("GET", &htu, now(&app), &[("ath", &ath(&at))])]).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.json["sub"].is_string());
    // Without a proof the same journey gives a bearer token, as before.
    let plain = mobile.tokens(&app, "openid", "ivanova.mp").await;
    assert_eq!(plain.json["token_type"], json!("Bearer"));
    assert!(jwt_claims(&plain.str("access_token")).get("cnf").is_none());
    // Introspection names the key and the type of a confidential client's bound token.
    let diary = Rp::confidential(&app, "diary").await;
    let t = bound_tokens(&app, &diary, &key).await;
    let seen = diary.introspect(&app, &t.str("access_token")).await;
    assert_eq!((seen["token_type"].clone(), seen["cnf"].clone()), (json!("DPoP"), json!({ "jkt": key.jkt() })));
    let seen = diary.introspect(&app, &diary.tokens(&app, "openid", "ivanova.mp").await.str("access_token")).await;
    assert_eq!(seen["token_type"], json!("Bearer"));
    assert!(seen.get("cnf").is_none());
}

#[tokio::test]
async fn dpop_02_userinfo_refuses_a_bound_token_without_a_good_proof() {
    let app = fixed_app().await;
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let at = bound_tokens(&app, &mobile, &key).await.str("access_token");
    let htu = app.url("/userinfo");
    let t = now(&app);
    let good_ath = ath(&at);
    let as_bearer = userinfo(&app, "Bearer", &at, &[]).await;
    assert_eq!((as_bearer.status, as_bearer.error()), (401, Some("invalid_token")), "{}", as_bearer.text);
    let challenge = as_bearer.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("DPoP ") && challenge.contains("error=\"invalid_token\""), "{challenge}");
    let other = DpopKey::new();
    let replayed = key.proof_at("GET", &htu, t, &[("ath", &good_ath)]);
    assert_eq!(userinfo(&app, "DPoP", &at, &[&replayed]).await.status, 200, "the first use");
    let cases: [(&str, Vec<String>); 8] = [
        ("no proof", vec![]),
        ("another key's proof", vec![other.proof_at("GET", &htu, t, &[("ath", &good_ath)])]),
        ("a replayed jti", vec![replayed.clone()]),
        ("a wrong ath", vec![key.proof_at("GET", &htu, t, &[("ath", &ath("another token"))])]),
        ("no ath", vec![key.proof_at("GET", &htu, t, &[])]),
        ("a wrong htm", vec![key.proof_at("POST", &htu, t, &[("ath", &good_ath)])]),
        ("a wrong htu", vec![key.proof_at("GET", &app.url("/token"), t, &[("ath", &good_ath)])]),
        ("a stale iat", vec![key.proof_at("GET", &htu, t - 120, &[("ath", &good_ath)])]),
    ];
    for (what, proofs) in cases {
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        let a = userinfo(&app, "DPoP", &at, &proofs).await;
        assert_eq!((a.status, a.error()), (401, Some("invalid_dpop_proof")), "{what}: {}", a.text);
        let challenge = a.header("www-authenticate").unwrap_or_default();
        assert!(challenge.contains("DPoP") && challenge.contains("invalid_dpop_proof"), "{what}: {challenge}");
    }
    // A bearer token is not accepted under the DPoP scheme.
    let plain = mobile.tokens(&app, "openid", "ivanova.mp").await.str("access_token");
    let proof = key.proof_at("GET", &htu, t, &[("ath", &ath(&plain))]);
    assert_eq!(userinfo(&app, "DPoP", &plain, &[&proof]).await.status, 401);
}

#[tokio::test]
async fn dpop_03_a_public_clients_family_is_refreshed_only_with_its_key() {
    let app = fixed_app().await;
    let key = DpopKey::new();
    let other = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let rt = bound_tokens(&app, &mobile, &key).await.str("refresh_token");
    refresh(&app, &mobile, &rt, &[]).await.assert_error(400, "invalid_dpop_proof", "no proof");
    refresh(&app, &mobile, &rt, &[&token_proof(&app, &other)]).await.assert_error(
        400,
        "invalid_dpop_proof",
        "another key",
    );
    let ok = refresh(&app, &mobile, &rt, &[&token_proof(&app, &key)]).await;
    assert_eq!((ok.status, ok.json["token_type"].as_str()), (200, Some("DPoP")), "the refused refreshes spent nothing");
    assert_eq!(jwt_claims(&ok.str("access_token"))["cnf"]["jkt"], json!(key.jkt()));
    let next = ok.str("refresh_token");
    refresh(&app, &mobile, &next, &[&token_proof(&app, &other)]).await.assert_error(
        400,
        "invalid_dpop_proof",
        "the rotated token keeps the binding",
    );
    // A confidential client's family is bound to its authentication, not to a key.
    let diary = Rp::confidential(&app, "diary").await;
    let rt = bound_tokens(&app, &diary, &key).await.str("refresh_token");
    let t = refresh(&app, &diary, &rt, &[&token_proof(&app, &other)]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(jwt_claims(&t.str("access_token"))["cnf"]["jkt"], json!(other.jkt()));
}

#[tokio::test]
async fn dpop_04_token_endpoint_refuses_bad_proofs() {
    let app = fixed_app().await;
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let code = mobile.code(&app, "openid", "ivanova.mp").await;
    let t = now(&app);
    let used = token_proof(&app, &key);
    let diary = Rp::confidential(&app, "diary").await;
    let c = diary.code(&app, "openid", "ivanova.mp").await;
    assert_eq!(exchange(&app, &diary, &c, &[&used]).await.status, 200);
    let none = key.sign(
        &json!({ "typ": "dpop+jwt", "alg": "none", "jwk": key.public }),
        &json!({ "jti": "x", "htm": "POST", "htu": app.url("/token"), "iat": t }),
    );
    let cases: [(&str, Vec<String>); 6] = [
        ("a replayed proof", vec![used.clone()]),
        ("htu of another endpoint", vec![key.proof_at("POST", &app.url("/userinfo"), t, &[])]),
        ("htm GET", vec![key.proof_at("GET", &app.url("/token"), t, &[])]),
        ("a stale iat", vec![key.proof_at("POST", &app.url("/token"), t - 300, &[])]),
        ("alg none", vec![none]),
        ("two DPoP headers", vec![token_proof(&app, &key), token_proof(&app, &key)]),
    ];
    for (what, proofs) in cases {
        let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
        exchange(&app, &mobile, &code, &proofs).await.assert_error(400, "invalid_dpop_proof", what);
    }
    let ok = exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await;
    assert_eq!(ok.status, 200, "a refused proof spends no code: {}", ok.text);
}

#[tokio::test]
async fn dpop_05_a_client_registered_as_requiring_dpop_gets_no_bearer_token() {
    let app = fixed_app().await;
    app.add_client(propusk::cli::AddClient {
        id: "strict".into(),
        redirect_uris: vec![RP_CB.into()],
        public: true,
        require_dpop: true,
        ..Default::default()
    })
    .await;
    let strict = Rp { id: "strict".into(), secret: None, redirect: RP_CB.into(), post: false };
    let code = strict.code(&app, "openid", "ivanova.mp").await;
    exchange(&app, &strict, &code, &[]).await.assert_error(400, "invalid_dpop_proof", "no proof");
    let key = DpopKey::new();
    let t = exchange(&app, &strict, &code, &[&token_proof(&app, &key)]).await;
    assert_eq!((t.status, t.json["token_type"].as_str()), (200, Some("DPoP")), "{}", t.text);
}

#[tokio::test]
async fn dpop_06_server_nonces_when_required() {
    let app = TestApp::spawn_with(|c| c.tokens.require_dpop_nonce = true, true).await;
    let key = DpopKey::new();
    let mobile = Rp::public(&app, "mobile").await;
    let code = mobile.code(&app, "openid", "ivanova.mp").await;
    let asked = exchange(&app, &mobile, &code, &[&token_proof(&app, &key)]).await;
    asked.assert_error(400, "use_dpop_nonce", "no nonce");
    let nonce = asked.header("dpop-nonce").expect("a DPoP-Nonce header").to_owned();
    let wrong = key.proof_at("POST", &app.url("/token"), now(&app), &[("nonce", "made-up")]);
    exchange(&app, &mobile, &code, &[&wrong]).await.assert_error(400, "use_dpop_nonce", "a made-up nonce");
    // Still good in the next window; two windows on it is stale.
    app.clock.as_ref().unwrap().advance(300);
    let with = key.proof_at("POST", &app.url("/token"), now(&app), &[("nonce", &nonce)]);
    let code_later = mobile.code(&app, "openid", "ivanova.mp").await;
    let t = exchange(&app, &mobile, &code_later, &[&with]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    app.clock.as_ref().unwrap().advance(600);
    let code_late = mobile.code(&app, "openid", "ivanova.mp").await;
    let stale = key.proof_at("POST", &app.url("/token"), now(&app), &[("nonce", &nonce)]);
    let again = exchange(&app, &mobile, &code_late, &[&stale]).await;
    again.assert_error(400, "use_dpop_nonce", "a stale nonce");
    assert_ne!(again.header("dpop-nonce"), Some(nonce.as_str()), "a fresh nonce");
}
