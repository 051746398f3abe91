//! Seeding before the runs: refresh-token families through real logins (authorize
//! with PKCE S256, the legacy login form with the browser-binding cookie, the code
//! exchange), and one client_credentials access token for introspection.

use super::http::{Conn, form_value, json_str, post_form};
use anyhow::{Context as _, Result, anyhow, bail};
use std::net::SocketAddr;
use std::time::Duration;

/// The demo organisation «МБОУ СОШ №1» (src/account/demo.rs).
pub const SCHOOL1: &str = "sosh1-yuzhno";
/// A demo account (all demo passwords are the same).
pub const LOGIN: &str = "ivanova.mp";
pub const PASSWORD: &str = "Demo-2026!";
/// RFC 7636 Appendix B: the verifier and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// Registered for the refresh client; never dereferenced.
pub const REDIRECT_URI: &str = "https://rp.bench.example/cb";
pub const REFRESH_SCOPE: &str = "openid profile offline_access";

fn browser() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .context("build the HTTP client")
}

fn location(res: &reqwest::Response) -> Result<String> {
    if !res.status().is_redirection() {
        bail!("expected a redirect from {}, got {}", res.url().path(), res.status());
    }
    let loc = res.headers().get(reqwest::header::LOCATION).ok_or_else(|| anyhow!("redirect without Location"))?;
    Ok(loc.to_str().context("Location")?.to_owned())
}

/// The value of a hidden input in an HTML page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#x2B;", "+").replace("&amp;", "&").replace("&#43;", "+"))
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// One full login as `client_id` with a fresh browser; returns the refresh token.
pub async fn login_for_refresh(issuer: &str, client_id: &str, secret: &str) -> Result<String> {
    let http = browser()?;
    let mut authorize = url::Url::parse(&format!("{issuer}/authorize"))?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", REFRESH_SCOPE)
        .append_pair("state", "bench-state")
        .append_pair("nonce", "bench-nonce")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let res = http.get(authorize).send().await.context("GET /authorize")?;
    let to_login = location(&res)?;
    let login_url = if to_login.starts_with('/') { format!("{issuer}{to_login}") } else { to_login };
    let page = http.get(&login_url).send().await.context("GET /login")?;
    if page.status() != 200 {
        bail!("login page answered {}", page.status());
    }
    let html = page.text().await?;
    let csrf = hidden(&html, "csrf").ok_or_else(|| anyhow!("no csrf field on the login page"))?;
    let flow = hidden(&html, "flow").ok_or_else(|| anyhow!("no flow field on the login page"))?;
    let form = [
        ("csrf", csrf.as_str()),
        ("flow", flow.as_str()),
        ("org_kind", "school"),
        ("org", SCHOOL1),
        ("login", LOGIN),
        ("password", PASSWORD),
    ];
    let res = http.post(format!("{issuer}/login")).form(&form).send().await.context("POST /login")?;
    let back = location(&res)?;
    let code = query_param(&back, "code").ok_or_else(|| anyhow!("no code in the redirect ({})", res.status()))?;
    let tokens: serde_json::Value = http
        .post(format!("{issuer}/token"))
        .basic_auth(form_value(client_id), Some(form_value(secret)))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .context("POST /token (code)")?
        .json()
        .await
        .context("token response")?;
    tokens
        .get("refresh_token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no refresh_token in the code exchange: {tokens}"))
}

/// `n` refresh-token families, each from its own login.
pub async fn refresh_families(issuer: &str, client_id: &str, secret: &str, n: usize) -> Result<Vec<Option<String>>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let token =
            login_for_refresh(issuer, client_id, secret).await.with_context(|| format!("login {} of {n}", i + 1))?;
        out.push(Some(token));
    }
    Ok(out)
}

/// One access token from `client_credentials` (for introspection).
pub async fn client_credentials_token(addr: SocketAddr, authorization: &str) -> Result<String> {
    let mut conn = Conn::connect(addr).await?;
    let req = post_form(&addr.to_string(), "/token", Some(authorization), "grant_type=client_credentials");
    let res = tokio::time::timeout(Duration::from_secs(10), conn.send(&req)).await.context("token timed out")??;
    if res.status != 200 {
        bail!("client_credentials answered {}: {}", res.status, String::from_utf8_lossy(&res.body));
    }
    json_str(&res.body, "access_token").map(str::to_owned).ok_or_else(|| anyhow!("no access_token"))
}
