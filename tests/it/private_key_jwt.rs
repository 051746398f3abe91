//! `private_key_jwt` (RFC 7523 §2.2, §3; OIDC Core §9) as a relying party uses it and
//! as an attacker tries it, with a small hand client signing its assertions with
//! josekit: `client_credentials` at /token and /introspect; a replayed `jti` (also
//! twice at once: one wins), an expired assertion or one living too long, another
//! audience, `iss` ≠ `sub`, another client's key, `alg: none`, HS256 keyed with the
//! public key, a secret sent along; the CLI refusing a private key in `--jwks-file`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use josekit::jwk::KeyPair as _;
use josekit::jws::{ES256, HS256, JwsSigner, RS256};
use propusk::clock::Clock as _;
use propusk::crypto::b64;
use serde_json::{Value, json};

const TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's signing key: the private half here, the public half registered.
struct ClientKey {
    alg: &'static str,
    public: Value,
    private: Value,
    signer: Box<dyn JwsSigner>,
}

impl ClientKey {
    fn es256() -> Self {
        let pair = ES256.generate_key_pair().unwrap();
        let signer = Box::new(ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap());
        let public: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
        let private: serde_json::Map<String, Value> = pair.to_jwk_private_key().into();
        Self { alg: "ES256", public: Value::Object(public), private: Value::Object(private), signer }
    }

    fn rs256() -> Self {
        let pair = RS256.generate_key_pair(2048).unwrap();
        let signer = Box::new(RS256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap());
        let public: serde_json::Map<String, Value> = pair.to_jwk_public_key().into();
        let private: serde_json::Map<String, Value> = pair.to_jwk_private_key().into();
        Self { alg: "RS256", public: Value::Object(public), private: Value::Object(private), signer }
    }

    fn jwks(&self) -> String {
        json!({ "keys": [self.public] }).to_string()
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        format!("{input}.{}", b64(&self.signer.sign(input.as_bytes()).unwrap()))
    }
}

fn now(app: &TestApp) -> i64 {
    app.clock.as_ref().expect("a fixed clock").now()
}

/// The claims of a good assertion of `client` for `/token`, with `changes` applied
/// (`Null` removes a claim).
fn claims(app: &TestApp, client: &str, changes: &[(&str, Value)]) -> Value {
    let mut c = json!({
        "iss": client, "sub": client, "aud": app.url("/token"),
        "jti": uuid::Uuid::new_v4().to_string(), "iat": now(app), "exp": now(app) + 60,
    });
    for (k, v) in changes {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(*k);
        } else {
            c[*k] = v.clone();
        }
    }
    c
}

fn assertion(app: &TestApp, key: &ClientKey, client: &str, changes: &[(&str, Value)]) -> String {
    key.sign(&json!({ "alg": key.alg }), &claims(app, client, changes))
}

/// Registers `id` with `private_key_jwt` and `key` (the CLI's path), for `client_credentials`.
async fn register(app: &TestApp, id: &str, key: &ClientKey) {
    let out = propusk::cli::clients_add(
        &app.config,
        propusk::cli::AddClient {
            id: id.into(),
            auth_method: Some("private_key_jwt".into()),
            jwks: Some(key.jwks()),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        },
    )
    .await
    .expect("client added");
    assert_eq!(out["token_endpoint_auth_method"], "private_key_jwt");
    assert!(out.get("client_secret").is_none(), "no secret for a client of keys: {out}");
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    Answer::of(reqwest::Client::new().post(app.url(path)).form(form).send().await.unwrap()).await
}

/// `client_credentials` at /token with this assertion (and `extra` parameters).
async fn token(app: &TestApp, assertion: &str, extra: &[(&str, &str)]) -> Answer {
    let mut form = vec![("grant_type", "client_credentials"), ("client_assertion_type", TYPE)];
    form.push(("client_assertion", assertion));
    form.extend_from_slice(extra);
    post(app, "/token", &form).await
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(|_| {}, true).await
}

#[tokio::test]
async fn private_key_jwt_at_token_and_introspection() {
    let app = spawn().await;
    let (ec, rsa) = (ClientKey::es256(), ClientKey::rs256());
    register(&app, "robot", &ec).await;
    register(&app, "robot-rsa", &rsa).await;
    let t = token(&app, &assertion(&app, &ec, "robot", &[]), &[]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let access = t.str("access_token");
    // With `client_id` as well, equal to iss and sub; `aud` the issuer (RFC 7523bis, FAPI 2.0).
    let by_issuer = assertion(&app, &ec, "robot", &[("aud", json!(app.config.issuer))]);
    let form = [("token", access.as_str()), ("client_id", "robot"), ("client_assertion_type", TYPE)];
    let mut form = form.to_vec();
    form.push(("client_assertion", &by_issuer));
    let i = post(&app, "/introspect", &form).await;
    assert_eq!((i.status, &i.json["active"], &i.json["client_id"]), (200, &json!(true), &json!("robot")), "{}", i.text);
    // RS256 with the key chosen by `kid`, `aud` a list naming this server.
    let kid = rsa.public["kid"].as_str().map(str::to_owned);
    let mut header = json!({ "alg": "RS256" });
    if let Some(k) = kid {
        header["kid"] = json!(k);
    }
    let list = claims(&app, "robot-rsa", &[("aud", json!(["https://other.example", app.url("/token")]))]);
    let t = token(&app, &rsa.sign(&header, &list), &[]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    // The discovery document says so.
    let d: Value = reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(d["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("private_key_jwt")));
    let algs = d["token_endpoint_auth_signing_alg_values_supported"].as_array().unwrap();
    assert!(algs.contains(&json!("ES256")) && algs.contains(&json!("RS256")));
    assert!(!algs.iter().any(|a| a == "none" || a.as_str().unwrap().starts_with("HS")), "{algs:?}");
}

#[tokio::test]
async fn rfc_7523_3_a_jti_is_used_once_even_twice_at_once() {
    let app = spawn().await;
    let key = ClientKey::es256();
    register(&app, "robot", &key).await;
    let once = assertion(&app, &key, "robot", &[]);
    assert_eq!(token(&app, &once, &[]).await.status, 200);
    token(&app, &once, &[]).await.assert_error(401, "invalid_client", "a replayed assertion");
    // The same jti in a new assertion is a replay too.
    let jti = claims(&app, "robot", &[])["jti"].clone();
    let first = assertion(&app, &key, "robot", &[("jti", jti.clone())]);
    let again = assertion(&app, &key, "robot", &[("jti", jti), ("exp", json!(now(&app) + 120))]);
    assert_eq!(token(&app, &first, &[]).await.status, 200);
    token(&app, &again, &[]).await.assert_error(401, "invalid_client", "a new assertion with a used jti");
    // Twice (and more) at once: exactly one wins.
    for round in 0..3 {
        let shared = assertion(&app, &key, "robot", &[]);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (url, shared) = (app.url("/token"), shared.clone());
                tokio::spawn(async move {
                    let form = [
                        ("grant_type", "client_credentials"),
                        ("client_assertion_type", TYPE),
                        ("client_assertion", shared.as_str()),
                    ];
                    reqwest::Client::new().post(url).form(&form).send().await.unwrap().status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "round {round}: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 401), "round {round}: {statuses:?}");
    }
}

#[tokio::test]
async fn rfc_7523_3_expired_too_long_or_not_yet_valid_assertions_are_refused() {
    let app = spawn().await;
    let key = ClientKey::es256();
    register(&app, "robot", &key).await;
    let t0 = now(&app);
    for (what, changes) in [
        ("expired", vec![("exp", json!(t0 - 1)), ("iat", json!(t0 - 61))]),
        ("exp now", vec![("exp", json!(t0))]),
        ("no exp", vec![("exp", Value::Null)]),
        ("exp too far ahead", vec![("exp", json!(t0 + 3600))]),
        ("lifetime past iat too long", vec![("iat", json!(t0 - 299)), ("exp", json!(t0 + 60))]),
        ("nbf in the future", vec![("nbf", json!(t0 + 120))]),
        ("iat in the future", vec![("iat", json!(t0 + 120)), ("exp", json!(t0 + 180))]),
        ("no jti", vec![("jti", Value::Null)]),
    ] {
        token(&app, &assertion(&app, &key, "robot", &changes), &[]).await.assert_error(401, "invalid_client", what);
    }
}

#[tokio::test]
async fn rfc_7523_3_aud_iss_and_sub_must_name_this_server_and_the_client() {
    let app = spawn().await;
    let key = ClientKey::es256();
    register(&app, "robot", &key).await;
    register(&app, "other", &ClientKey::es256()).await;
    for (what, changes) in [
        ("another server's token endpoint", vec![("aud", json!("https://evil.example/token"))]),
        ("another endpoint of this server", vec![("aud", json!(app.url("/userinfo")))]),
        ("no aud", vec![("aud", Value::Null)]),
        ("iss is not sub", vec![("iss", json!("other"))]),
        ("sub is not iss", vec![("sub", json!("other"))]),
        ("no iss", vec![("iss", Value::Null)]),
    ] {
        token(&app, &assertion(&app, &key, "robot", &changes), &[]).await.assert_error(401, "invalid_client", what);
    }
    // A `client_id` that is not the assertion's client.
    let good = assertion(&app, &key, "robot", &[]);
    token(&app, &good, &[("client_id", "other")]).await.assert_error(401, "invalid_client", "client_id ≠ iss");
}

#[tokio::test]
async fn rfc_7523_3_another_clients_key_or_a_forged_alg_is_refused() {
    let app = spawn().await;
    let (mine, theirs) = (ClientKey::es256(), ClientKey::es256());
    register(&app, "robot", &mine).await;
    register(&app, "other", &theirs).await;
    // `other` signs, with its own registered key, an assertion claiming to be `robot`.
    let stolen = assertion(&app, &theirs, "robot", &[]);
    token(&app, &stolen, &[]).await.assert_error(401, "invalid_client", "another client's key");
    // `alg: none` with an empty signature.
    let c = claims(&app, "robot", &[]);
    let unsigned =
        format!("{}.{}.", b64(json!({ "alg": "none" }).to_string().as_bytes()), b64(c.to_string().as_bytes()));
    token(&app, &unsigned, &[]).await.assert_error(401, "invalid_client", "alg none");
    // HS256 keyed with the public key as the shared secret (JSON and its `x` coordinate).
    for secret in [mine.public.to_string(), mine.public["x"].as_str().unwrap().to_owned(), mine.jwks()] {
        let hs = HS256.signer_from_bytes(secret.as_bytes()).unwrap();
        let c = claims(&app, "robot", &[]);
        let input =
            format!("{}.{}", b64(json!({ "alg": "HS256" }).to_string().as_bytes()), b64(c.to_string().as_bytes()));
        let forged = format!("{input}.{}", b64(&hs.sign(input.as_bytes()).unwrap()));
        token(&app, &forged, &[]).await.assert_error(401, "invalid_client", "HS256 with the public key");
    }
    // The right key, the wrong alg in the header (ES256 key, RS256 claimed).
    let lying = mine.sign(&json!({ "alg": "RS256" }), &claims(&app, "robot", &[]));
    token(&app, &lying, &[]).await.assert_error(401, "invalid_client", "alg not the key's");
    // Only then the real thing works.
    assert_eq!(token(&app, &assertion(&app, &mine, "robot", &[]), &[]).await.status, 200);
}

#[tokio::test]
async fn tk_02_a_secret_along_with_the_assertion_is_two_methods() {
    let app = spawn().await;
    let key = ClientKey::es256();
    register(&app, "robot", &key).await;
    let secret_client = Rp::confidential(&app, "diary").await;
    let secret = secret_client.secret.clone().unwrap();
    let a = assertion(&app, &key, "robot", &[]);
    let with_post = token(&app, &a, &[("client_id", "robot"), ("client_secret", &secret)]).await;
    with_post.assert_error(400, "invalid_request", "client_secret and client_assertion");
    let form = [("grant_type", "client_credentials"), ("client_assertion_type", TYPE), ("client_assertion", &a)];
    let req = reqwest::Client::new().post(app.url("/token")).basic_auth("robot", Some(&secret)).form(&form);
    Answer::of(req.send().await.unwrap()).await.assert_error(400, "invalid_request", "Basic and client_assertion");
    // The assertion was not spent by the refusals: it still works once.
    assert_eq!(token(&app, &a, &[]).await.status, 200);
    // A secret client may not switch to an assertion, nor a client of keys to a secret.
    let diary_key = ClientKey::es256();
    let as_diary = assertion(&app, &diary_key, "diary", &[]);
    token(&app, &as_diary, &[]).await.assert_error(401, "invalid_client", "a secret client's assertion");
    let by_secret = post(
        &app,
        "/token",
        &[("grant_type", "client_credentials"), ("client_id", "robot"), ("client_secret", &secret)],
    )
    .await;
    by_secret.assert_error(401, "invalid_client", "a client of keys with a secret");
    let bare = post(&app, "/token", &[("grant_type", "client_credentials"), ("client_id", "robot")]).await;
    bare.assert_error(401, "invalid_client", "a client of keys with nothing");
}

#[tokio::test]
async fn cli_refuses_a_jwks_with_a_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("propusk.toml");
    let toml = format!(
        "issuer = \"http://127.0.0.1:8080\"\n[database]\nurl = \"sqlite://{}\"\n[keys]\nmaster_key_file = \"{}\"\n",
        dir.path().join("propusk.db").display(),
        dir.path().join("master.key").display()
    );
    std::fs::write(&config, toml).unwrap();
    let key = ClientKey::es256();
    let run = |jwks: &str| {
        let file = dir.path().join("jwks.json");
        std::fs::write(&file, jwks).unwrap();
        let args = [
            "--config",
            config.to_str().unwrap(),
            "clients",
            "add",
            "--id",
            "robot",
            "--auth-method",
            "private_key_jwt",
            "--jwks-file",
            file.to_str().unwrap(),
            "--grant-type",
            "client_credentials",
        ];
        crate::binary::run(dir.path(), &args)
    };
    let private = json!({ "keys": [key.private] }).to_string();
    let symmetric = json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ" }] }).to_string();
    for (what, jwks) in [("a private key", private.as_str()), ("a symmetric key", &symmetric), ("not JSON", "{")] {
        let o = run(jwks);
        let err = crate::binary::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{what}: one line: {err}");
        assert!(lines[0].contains("--jwks-file"), "{what}: names the argument: {err}");
    }
    let show = crate::binary::run(dir.path(), &["--config", config.to_str().unwrap(), "clients", "show", "robot"]);
    assert_eq!(show.status.code(), Some(1), "nothing was stored");
    let o = run(&key.jwks());
    assert_eq!(o.status.code(), Some(0), "{}", crate::binary::stderr(&o));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["jwks"]["keys"][0]["x"], key.public["x"]);
    assert!(out["jwks"]["keys"][0].get("d").is_none() && out.get("client_secret").is_none(), "{out}");
}
