//! Shared set-up for the ESIA integration tests: a sandbox on an ephemeral loopback
//! port (mounted under `/esia-sandbox`), a connector pointed at it, and a scripted
//! browser that drives the sandbox's login and consent pages.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use propusk::clock::{Clock, SystemClock};
use propusk::connector::esia::EsiaConnector;
use propusk::connector::sandbox::{self, PersonaFile, SandboxConfig, SandboxState};
use propusk::connector::signer::{OpensslSigner, Signer};
use propusk::connector::{Callback, EsiaConfig, SignerConfig};
use std::sync::Arc;

pub const REDIRECT_URI: &str = "http://127.0.0.1:9/login/esia/callback";
pub const PASSWORD: &str = "esia-demo";

pub struct Stand {
    pub sandbox: SandboxState,
    pub base: String,
    pub cfg: EsiaConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Rsa,
    Gost,
}

pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn personas() -> PersonaFile {
    let raw = std::fs::read("config/esia-personas.json").expect("persona file");
    serde_json::from_slice(&raw).expect("persona JSON")
}

pub fn signer(key: &str, cert: &str) -> Arc<dyn Signer> {
    Arc::new(OpensslSigner::from_files(key.as_ref(), cert.as_ref()).expect("test key"))
}

/// Starts a sandbox whose tokens are signed with `token_alg`, with extra personas appended.
pub async fn stand_with(token_alg: Alg, extra: Vec<sandbox::Persona>, clock: Arc<dyn Clock>) -> Stand {
    init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}/esia-sandbox");
    let mut scfg = SandboxConfig::demo(&base, REDIRECT_URI);
    let (key, cert) = match token_alg {
        Alg::Rsa => ("keys/test-esia-sandbox-rsa.key", "keys/test-esia-sandbox-rsa.crt"),
        Alg::Gost => ("keys/test-esia-sandbox-gost.key", "keys/test-esia-sandbox-gost.crt"),
    };
    scfg.token_key_file = key.into();
    scfg.token_cert_file = cert.into();
    let mut people = personas().personas;
    people.extend(extra);
    let state = SandboxState::with_parts(scfg.clone(), people, signer(key, cert), clock).expect("sandbox");
    let app = axum::Router::new().nest("/esia-sandbox", sandbox::router(state.clone()));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut cfg = EsiaConfig::for_sandbox(&base, REDIRECT_URI);
    cfg.certificates = vec![cert.into()];
    cfg.sandbox = scfg;
    Stand { sandbox: state, base, cfg }
}

pub async fn stand(token_alg: Alg) -> Stand {
    stand_with(token_alg, Vec::new(), Arc::new(SystemClock)).await
}

impl Stand {
    /// A connector signing with the given RP key (RSA or GOST test key).
    pub fn connector_with(&self, alg: Alg, clock: Arc<dyn Clock>) -> EsiaConnector {
        let (key, cert) = match alg {
            Alg::Rsa => ("keys/test-rp-rsa.key", "keys/test-rp-rsa.crt"),
            Alg::Gost => ("keys/test-rp-gost.key", "keys/test-rp-gost.crt"),
        };
        let mut cfg = self.cfg.clone();
        cfg.signer = SignerConfig {
            kind: "openssl".into(),
            key_file: key.into(),
            cert_file: cert.into(),
            ..SignerConfig::default()
        };
        EsiaConnector::new(cfg, clock).expect("connector")
    }

    pub fn connector(&self, alg: Alg) -> EsiaConnector {
        self.connector_with(alg, Arc::new(SystemClock))
    }
}

pub fn browser() -> reqwest::Client {
    init();
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn hidden_req(html: &str) -> String {
    let marker = "name=\"req\" value=\"";
    let start = html.find(marker).expect("req field") + marker.len();
    html[start..].split('"').next().expect("req value").to_string()
}

/// The callback parameters from a redirect's `Location`.
pub fn callback_from(location: &str) -> Callback {
    let url = url::Url::parse(location).expect("location URL");
    let mut cb = Callback::default();
    for (k, v) in url.query_pairs() {
        match &*k {
            "state" => cb.state = Some(v.into_owned()),
            "code" => cb.code = Some(v.into_owned()),
            "error" => cb.error = Some(v.into_owned()),
            "error_description" => cb.error_description = Some(v.into_owned()),
            _ => {}
        }
    }
    cb
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").expect("Location header").to_str().expect("ascii").to_string()
}

/// Follows the ESIA URL like a person: login page, credentials, consent (`allow` or not).
pub async fn login(stand: &Stand, url: &url::Url, login: &str, password: &str, allow: bool) -> Callback {
    let b = browser();
    let resp = b.get(url.clone()).send().await.expect("GET ac");
    if resp.status() == 302 {
        return callback_from(&location(&resp));
    }
    assert_eq!(resp.status(), 200, "ac answered {}", resp.status());
    let html = resp.text().await.expect("login page");
    assert!(html.contains("Телефон / Email / СНИЛС") && html.contains("Пароль") && html.contains("Войти"));
    let req = hidden_req(&html);
    let resp = b
        .post(format!("{}/aas/oauth2/login", stand.base))
        .form(&[("req", req.as_str()), ("login", login), ("password", password)])
        .send()
        .await
        .expect("POST login");
    let html = resp.text().await.expect("consent page");
    assert!(html.contains("Предоставить"), "no consent page: {html}");
    let action = if allow { "allow" } else { "deny" };
    let resp = b
        .post(format!("{}/aas/oauth2/consent", stand.base))
        .form(&[("req", req.as_str()), ("action", action)])
        .send()
        .await
        .expect("POST consent");
    assert_eq!(resp.status(), 302);
    callback_from(&location(&resp))
}
