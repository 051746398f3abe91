//! Helpers of the negative-test matrix: relying parties registered for a test
//! ([`Rp`]), authorization URLs with parameters changed, back-channel calls that
//! return status + headers + JSON, JWT payload reading, and a restart of the
//! server on the same database, master key and port.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use base64::Engine as _;
use propusk::clock::{Clock, SystemClock};
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The redirect URI of the relying parties registered by these tests.
pub const RP_CB: &str = "https://rp.example/cb";
/// Their post-logout redirect URI.
pub const RP_LOGGED_OUT: &str = "https://rp.example/logged-out";

/// A back-channel answer: status, headers and the body as JSON (Null when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Answer {
    pub async fn of(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self { status, headers, json, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn error(&self) -> Option<&str> {
        self.json.get("error").and_then(Value::as_str)
    }

    pub fn str(&self, field: &str) -> String {
        self.json.get(field).and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| {
            panic!("no `{field}` in {} {}", self.status, self.text);
        })
    }

    /// Asserts an OAuth error response with this status and code.
    pub fn assert_error(&self, status: u16, code: &str, what: &str) {
        assert_eq!((self.status, self.error()), (status, Some(code)), "{what}: {}", self.text);
    }
}

/// A relying party registered for one test.
#[derive(Debug, Clone)]
pub struct Rp {
    pub id: String,
    pub secret: Option<String>,
    pub redirect: String,
    /// Send the secret in the form (`client_secret_post`) instead of HTTP Basic.
    pub post: bool,
}

impl Rp {
    /// A confidential client (`client_secret_basic`) with [`RP_CB`] and [`RP_LOGGED_OUT`].
    pub async fn confidential(app: &TestApp, id: &str) -> Self {
        Self::register(app, id, false, vec![RP_CB.into()]).await
    }

    /// A public client (PKCE only) with [`RP_CB`] and [`RP_LOGGED_OUT`].
    pub async fn public(app: &TestApp, id: &str) -> Self {
        Self::register(app, id, true, vec![RP_CB.into()]).await
    }

    pub async fn register(app: &TestApp, id: &str, public: bool, redirect_uris: Vec<String>) -> Self {
        let redirect = redirect_uris[0].clone();
        let secret = app
            .add_client(propusk::cli::AddClient {
                id: id.into(),
                redirect_uris,
                post_logout_redirect_uris: vec![RP_LOGGED_OUT.into()],
                public,
                ..Default::default()
            })
            .await;
        assert_eq!(secret.is_some(), !public, "a secret exactly for confidential clients");
        Self { id: id.into(), secret, redirect, post: false }
    }

    /// The demo public client.
    pub fn demo(app: &TestApp) -> Self {
        Self { id: "demo-diary".into(), secret: None, redirect: app.url("/demo/callback"), post: false }
    }

    /// An authorization URL of this client (PKCE with [`VERIFIER`]).
    pub fn authorize(&self, app: &TestApp, scope: &str) -> String {
        authorize_url(app, &self.id, &self.redirect, scope, "")
    }

    /// Logs `login` in with a fresh browser and returns the code.
    pub async fn code(&self, app: &TestApp, scope: &str, login: &str) -> String {
        self.code_in(app, &browser(), scope, login).await
    }

    /// Logs `login` in with `http` and returns the code.
    pub async fn code_in(&self, app: &TestApp, http: &reqwest::Client, scope: &str, login: &str) -> String {
        let back = login_for_code(app, http, &self.authorize(app, scope), login).await;
        assert!(back.starts_with(&self.redirect), "back to the client: {back}");
        query_param(&back, "code").expect("a code")
    }

    /// A further code from a browser that already has a session (no UI).
    pub async fn code_sso(&self, app: &TestApp, http: &reqwest::Client, scope: &str) -> String {
        let res = http.get(self.authorize(app, scope)).send().await.unwrap();
        let back = location(&res);
        assert!(back.starts_with(&self.redirect), "SSO answers at once: {back}");
        query_param(&back, "code").expect("a code")
    }

    /// POST to a back-channel endpoint with this client's authentication.
    pub async fn call(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, &str)> = form.to_vec();
        let mut req = reqwest::Client::new().post(app.url(path));
        match (&self.secret, self.post) {
            (Some(s), false) => req = req.basic_auth(&self.id, Some(s)),
            (Some(s), true) => {
                form.push(("client_id", &self.id));
                form.push(("client_secret", s));
            }
            (None, _) => form.push(("client_id", &self.id)),
        }
        Answer::of(req.form(&form).send().await.unwrap()).await
    }

    /// `authorization_code` at /token with [`VERIFIER`] and this client's redirect URI.
    pub async fn exchange(&self, app: &TestApp, code: &str) -> Answer {
        self.exchange_with(app, code, Some(&self.redirect), Some(VERIFIER)).await
    }

    pub async fn exchange_with(
        &self,
        app: &TestApp,
        code: &str,
        redirect: Option<&str>,
        verifier: Option<&str>,
    ) -> Answer {
        let mut form = vec![("grant_type", "authorization_code"), ("code", code)];
        if let Some(r) = redirect {
            form.push(("redirect_uri", r));
        }
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        self.call(app, "/token", &form).await
    }

    /// The whole journey for `login`: code, then tokens (asserted 200).
    pub async fn tokens(&self, app: &TestApp, scope: &str, login: &str) -> Answer {
        let code = self.code(app, scope, login).await;
        let t = self.exchange(app, &code).await;
        assert_eq!(t.status, 200, "code exchange: {}", t.text);
        t
    }

    pub async fn refresh(&self, app: &TestApp, refresh_token: &str, scope: Option<&str>) -> Answer {
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        self.call(app, "/token", &form).await
    }

    pub async fn introspect(&self, app: &TestApp, token: &str) -> Value {
        let a = self.call(app, "/introspect", &[("token", token)]).await;
        assert_eq!(a.status, 200, "introspection: {}", a.text);
        a.json
    }

    pub async fn revoke(&self, app: &TestApp, token: &str, hint: Option<&str>) -> Answer {
        let mut form = vec![("token", token)];
        if let Some(h) = hint {
            form.push(("token_type_hint", h));
        }
        self.call(app, "/revoke", &form).await
    }
}

/// `{"active": false}`, exactly.
pub fn inactive() -> Value {
    serde_json::json!({ "active": false })
}

/// An authorization URL from the usual parameters of [`authorize_url`] with
/// `changes` applied: `Some(v)` sets (or adds) a parameter, `None` removes it.
pub fn authz(app: &TestApp, client_id: &str, redirect: &str, changes: &[(&str, Option<&str>)]) -> String {
    let mut pairs: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("scope", "openid profile"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in changes {
        match (pairs.iter_mut().find(|(pk, _)| pk == k), v) {
            (Some(p), Some(v)) => p.1 = (*v).to_owned(),
            (Some(_), None) => pairs.retain(|(pk, _)| pk != k),
            (None, Some(v)) => pairs.push(((*k).to_owned(), (*v).to_owned())),
            (None, None) => {}
        }
    }
    let mut u = url::Url::parse(&app.url("/authorize")).unwrap();
    u.query_pairs_mut().extend_pairs(pairs.iter());
    u.to_string()
}

/// The query of an [`authz`] URL, as a form body for `POST /authorize`.
pub fn query_of(url: &str) -> String {
    url::Url::parse(url).unwrap().query().unwrap_or_default().to_owned()
}

/// Asserts an HTML error page (4xx) without a `Location` header (AZ-01/AZ-02).
pub async fn assert_error_page(res: reqwest::Response, what: &str) {
    let status = res.status().as_u16();
    let has_location = res.headers().contains_key(reqwest::header::LOCATION);
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = res.text().await.unwrap_or_default();
    assert!((400..500).contains(&status), "{what}: expected a 4xx page, got {status}");
    assert!(!has_location, "{what}: an error page never redirects");
    assert!(ct.starts_with("text/html"), "{what}: HTML page expected, got {ct}");
    assert!(body.contains("<html") || body.contains("<!DOCTYPE") || body.contains("<!doctype"), "{what}: {body}");
}

/// Asserts a redirect back to `redirect` carrying `error`, the original `state` and `iss`.
pub fn assert_error_redirect(app: &TestApp, res: &reqwest::Response, redirect: &str, error: &str, what: &str) {
    let to = location(res);
    assert!(to.starts_with(redirect), "{what}: back to the client, got {to}");
    assert_eq!(query_param(&to, "error").as_deref(), Some(error), "{what}: {to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("st-123"), "{what}: state echoed: {to}");
    assert_eq!(query_param(&to, "iss").as_deref(), Some(app.base.as_str()), "{what}: iss (AZ-04): {to}");
    assert!(query_param(&to, "code").is_none(), "{what}: no code with an error");
}

/// The claims of a JWT (not verified: the tests read what the server wrote).
pub fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// base64url(SHA-256(verifier)): the S256 challenge of any string.
pub fn challenge_of(verifier: &str) -> String {
    propusk::crypto::b64(&propusk::crypto::sha256(verifier.as_bytes()))
}

/// Stops the server and starts a new one on the SAME configuration: database,
/// master key, issuer and port (so issued tokens keep their `iss`). The clock is
/// kept too. Like a kill and restart: nothing in memory survives.
pub async fn restart(app: &mut TestApp) {
    tokio::time::timeout(Duration::from_secs(15), app.stop()).await.expect("the server stops in time");
    let listen = app.config.server.listen.clone();
    let mut listener = None;
    for _ in 0..50 {
        match tokio::net::TcpListener::bind(&listen).await {
            Ok(l) => {
                listener = Some(l);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let listener = listener.expect("the port is free again");
    let clock: Arc<dyn Clock> = match &app.clock {
        Some(f) => f.clone(),
        None => Arc::new(SystemClock),
    };
    let running = propusk::app::spawn(app.config.clone(), clock, listener).await.expect("the server starts again");
    app.running = Some(running);
}
