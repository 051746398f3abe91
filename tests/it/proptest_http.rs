//! Properties over HTTP against the real server: `/authorize` with any query and
//! `/token` with any form and `Authorization` answer with a page, a redirect to a
//! registered URI or an RFC 6749 JSON error — never a 5xx. `PROPTEST_CASES` cases
//! (64 when unset), one server for all of them.

use crate::common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    // No source file to persist failures next to: the failing input is in the panic.
    Config { cases, failure_persistence: None, ..Config::default() }
}

fn encode(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn value(known: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![2 => prop::sample::select(known), 1 => any::<String>(), 1 => "[ -~]{0,40}"]
}

/// The demo client's valid request with up to four parameters dropped, replaced or repeated.
fn authorize_query(redirect: String) -> impl Strategy<Value = String> {
    let base: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", "demo-diary"),
        ("redirect_uri", redirect.as_str()),
        ("scope", "openid profile"),
        ("state", "st"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let names: Vec<String> = base
        .iter()
        .map(|(k, _)| k.clone())
        .chain(["prompt", "max_age", "request", "nonce"].map(String::from))
        .collect();
    let known: Vec<String> = base
        .iter()
        .map(|(_, v)| v.clone())
        .chain(
            ["none", "login", "-1", "token", "plain", "http://evil.example/cb", "/%09/evil.example"].map(String::from),
        )
        .collect();
    let edits = prop::collection::vec((0..3u8, prop::sample::select(names), value(known)), 0..5);
    let edited = edits.prop_map(move |edits| {
        let mut pairs = base.clone();
        for (op, name, v) in edits {
            match op {
                0 => pairs.retain(|(k, _)| *k != name),
                1 => pairs.iter_mut().filter(|(k, _)| *k == name).for_each(|p| p.1 = v.clone()),
                _ => pairs.push((name, v)),
            }
        }
        encode(&pairs)
    });
    prop_oneof![4 => edited, 1 => "[ -~]{0,200}"]
}

/// A token request: the grant's parameter names with arbitrary values, and maybe a Basic header.
fn token_request() -> impl Strategy<Value = (String, Option<String>)> {
    let names = ["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "client_id", "client_secret"];
    let known: Vec<String> = ["authorization_code", "refresh_token", "client_credentials", "demo-diary", VERIFIER]
        .map(String::from)
        .to_vec();
    let body = prop::collection::vec((prop::sample::select(names.to_vec()), value(known)), 0..8)
        .prop_map(|pairs| encode(&pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Vec<_>>()));
    let body = prop_oneof![4 => body, 1 => any::<String>()];
    let auth = prop::option::of((any::<String>(), any::<String>()).prop_map(|(id, secret)| {
        use base64::Engine as _;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
    }));
    (body, auth)
}

fn run<S: Strategy>(strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    if let Err(e) = TestRunner::new(config()).run(&strategy, check) {
        panic!("{e}");
    }
}

#[test]
fn proptest_http_authorize_answers_a_page_or_a_registered_redirect() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let registered = app.url("/demo/callback");
    run(authorize_query(registered.clone()), |q| {
        let res = rt.block_on(async { app.http.get(format!("{}?{q}", app.url("/authorize"))).send().await }).unwrap();
        let status = res.status().as_u16();
        prop_assert!(status < 500, "{} for {}", status, q);
        if res.status().is_redirection() {
            let to = res.headers()["location"].to_str().unwrap().to_owned();
            let local = to.starts_with('/') && !to.starts_with("//") && !to.starts_with("/\\");
            prop_assert!(local || to.starts_with(&format!("{registered}?")), "redirect to {}", to);
        }
        Ok(())
    });
}

#[test]
fn proptest_http_token_answers_a_json_error_never_5xx() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = rt.block_on(TestApp::spawn());
    let http = reqwest::Client::new();
    run(token_request(), |(body, auth)| {
        let mut req = http.post(app.url("/token")).header("content-type", "application/x-www-form-urlencoded");
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        let res = rt.block_on(async { req.body(body.clone()).send().await }).unwrap();
        let status = res.status().as_u16();
        prop_assert!((400..500).contains(&status), "{} for {:?}", status, body);
        prop_assert_eq!(res.headers()["cache-control"].to_str().unwrap(), "no-store");
        let json: serde_json::Value = rt.block_on(res.json()).unwrap();
        prop_assert!(json["error"].is_string(), "{}", json);
        Ok(())
    });
}
