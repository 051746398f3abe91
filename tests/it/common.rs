//! The test harness: `TestApp::spawn()` starts propusk in-process with the demo
//! data set on a fresh database, and a browser-like HTTP client drives it.
#![allow(dead_code)]

use propusk::clock::{Clock, FixedClock, SystemClock};
use propusk::config::Config;
use reqwest::header::LOCATION;
use std::sync::Arc;

pub const PASSWORD: &str = "Demo-2026!";
pub const SCHOOL1: &str = "sosh1-yuzhno";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A fresh PostgreSQL database, dropped when the test ends.
pub struct PgDb {
    admin_url: String,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .arg(&self.admin_url)
            .arg("-qc")
            .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .output();
    }
}

pub struct TestApp {
    pub base: String,
    pub running: Option<propusk::app::Running>,
    pub http: reqwest::Client,
    pub clock: Option<Arc<FixedClock>>,
    pub config: Config,
    _dir: tempfile::TempDir,
    _pg: Option<PgDb>,
}

/// A fresh database of the backend the tests run on: a new PostgreSQL database when
/// `TEST_POSTGRES_URL` is set (dropped with the returned guard), else a SQLite file in `dir`.
pub fn fresh_database(dir: &std::path::Path) -> (String, Option<PgDb>) {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("propusk_it_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let out = std::process::Command::new("psql")
                .arg(&admin_url)
                .arg("-qc")
                .arg(format!("CREATE DATABASE {name}"))
                .output()
                .expect("psql");
            assert!(out.status.success(), "create database: {}", String::from_utf8_lossy(&out.stderr));
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
            (format!("{base}/{name}"), Some(PgDb { admin_url, name }))
        }
        _ => (format!("sqlite://{}", dir.join("propusk.db").display()), None),
    }
}

pub fn browser() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}, false).await
    }

    /// `tweak` edits the configuration; `fixed_clock` gives the test control of time.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config), fixed_clock: bool) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut config = Config { issuer: format!("http://127.0.0.1:{port}"), ..Config::default() };
        config.server.listen = format!("127.0.0.1:{port}");
        config.demo = true;
        config.keys.master_key = propusk::crypto::SecretString::new(propusk::crypto::random_token());
        config.keys.master_key_file = dir.path().join("master.key");
        config.mail.dir = dir.path().join("mail");
        let (url, pg) = fresh_database(dir.path());
        config.database.url = url;
        config.database.max_connections = 8;
        tweak(&mut config);
        let fixed = fixed_clock.then(|| Arc::new(FixedClock::new(1_790_000_000)));
        let clock: Arc<dyn Clock> = match &fixed {
            Some(f) => f.clone(),
            None => Arc::new(SystemClock),
        };
        let running = propusk::app::spawn(config.clone(), clock, listener).await.expect("server starts");
        Self {
            base: config.issuer.clone(),
            running: Some(running),
            http: browser(),
            clock: fixed,
            config,
            _dir: dir,
            _pg: pg,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn app(&self) -> &propusk::app::App {
        &self.running.as_ref().unwrap().app
    }

    /// Registers a client through the same code the CLI uses; returns its secret.
    pub async fn add_client(&self, args: propusk::cli::AddClient) -> Option<String> {
        let v = propusk::cli::clients_add(&self.config, args).await.expect("client added");
        v.get("client_secret").and_then(|s| s.as_str()).map(str::to_owned)
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// The `Location` of a redirect response.
pub fn location(res: &reqwest::Response) -> String {
    assert!(res.status().is_redirection(), "expected a redirect, got {}", res.status());
    res.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned()
}

/// A query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The value of a hidden input in an HTML page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#x2B;", "+").replace("&amp;", "&").replace("&#43;", "+"))
}

/// An authorization URL for `client_id` with PKCE (S256 of [`VERIFIER`]).
pub fn authorize_url(app: &TestApp, client_id: &str, redirect_uri: &str, scope: &str, extra: &str) -> String {
    let mut u = url::Url::parse(&app.url("/authorize")).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", "st-123")
        .append_pair("nonce", "n-456")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    format!("{u}{extra}")
}

/// Fills and submits the login form of the page at `login_url`. Returns the response.
pub async fn submit_login(
    http: &reqwest::Client,
    base: &str,
    login_url: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let page = http.get(format!("{base}{login_url}")).send().await.unwrap();
    assert_eq!(page.status(), 200, "login page");
    let html = page.text().await.unwrap();
    let csrf = hidden(&html, "csrf").expect("csrf field");
    let flow = hidden(&html, "flow").unwrap_or_default();
    let next = hidden(&html, "next").unwrap_or_default();
    let mut form = vec![
        ("csrf", csrf),
        ("org_kind", "school".to_owned()),
        ("org", SCHOOL1.to_owned()),
        ("login", login.to_owned()),
        ("password", password.to_owned()),
    ];
    if !flow.is_empty() {
        form.push(("flow", flow));
    }
    if !next.is_empty() {
        form.push(("next", next));
    }
    http.post(format!("{base}/login")).form(&form).send().await.unwrap()
}

/// Runs /authorize → login → (consent) and returns the final redirect to the client.
pub async fn login_for_code(app: &TestApp, http: &reqwest::Client, authorize: &str, login: &str) -> String {
    let res = http.get(authorize).send().await.unwrap();
    let to_login = location(&res);
    assert!(to_login.starts_with("/login?flow="), "went to {to_login}");
    let res = submit_login(http, &app.base, &to_login, login, PASSWORD).await;
    assert_eq!(res.status(), 303, "login POST answers 303 (AZ-09)");
    location(&res)
}

/// Exchanges a code at /token as a public client.
pub async fn exchange_public(app: &TestApp, client_id: &str, redirect_uri: &str, code: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
}
