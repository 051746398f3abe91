//! The demo relying party against a fake token endpoint on an ephemeral port.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use axum::extract::State;
use axum::routing::post;
use axum::{Form, Json, Router};
use propusk::crypto::{b64, sha256};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Fake {
    /// (code_challenge, nonce) taken from the authorization request.
    expect: Arc<Mutex<Option<(String, String)>>>,
    /// The nonce the fake puts into the ID token (tests may break it).
    nonce_override: Arc<Mutex<Option<String>>>,
}

async fn fake_token(
    State(fake): State<Fake>,
    Form(form): Form<HashMap<String, String>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let Some((challenge, nonce)) = fake.expect.lock().unwrap().clone() else {
        return (axum::http::StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let ok = form.get("grant_type").map(String::as_str) == Some("authorization_code")
        && form.get("code").map(String::as_str) == Some("the-code")
        && form.get("client_id").map(String::as_str) == Some("demo-diary")
        && form.get("redirect_uri").is_some_and(|r| r.ends_with("/demo/callback"))
        && b64(&sha256(verifier.as_bytes())) == challenge;
    if !ok {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": "PKCE failed"})),
        );
    }
    let nonce = fake.nonce_override.lock().unwrap().clone().unwrap_or(nonce);
    let header = b64(br#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#);
    let claims =
        json!({"iss": "x", "sub": "acc-1", "aud": "demo-diary", "nonce": nonce, "name": "Иванова Мария Петровна"});
    let id_token = format!("{header}.{}.c2ln", b64(claims.to_string().as_bytes()));
    let body = json!({
        "access_token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAsecret-tail",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
        "refresh_token": "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRrefresh-tail",
    });
    (axum::http::StatusCode::OK, Json(body))
}

struct Harness {
    issuer: String,
    fake: Fake,
    http: reqwest::Client,
}

async fn start() -> Harness {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let fake = Fake::default();
    let app = propusk::web::demo::routes(issuer.clone())
        .merge(Router::new().route("/token", post(fake_token)).with_state(fake.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Harness { issuer, fake, http }
}

/// Starts the flow; returns the cookie header and the authorization request's parameters.
async fn begin(h: &Harness) -> (String, HashMap<String, String>) {
    let res = h.http.get(format!("{}/demo/start", h.issuer)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("demo_rp="));
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(set_cookie.contains("Max-Age="));
    let url = url::Url::parse(&location).unwrap();
    assert_eq!(url.as_str().split('?').next().unwrap(), format!("{}/authorize", h.issuer));
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "demo-diary");
    assert_eq!(q["redirect_uri"], format!("{}/demo/callback", h.issuer));
    assert_eq!(q["scope"], "openid profile email phone school children offline_access");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    *h.fake.expect.lock().unwrap() = Some((q["code_challenge"].clone(), q["nonce"].clone()));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    (cookie, q)
}

async fn callback(h: &Harness, cookie: &str, query: &[(&str, &str)]) -> (u16, String) {
    let res =
        h.http.get(format!("{}/demo/callback", h.issuer)).query(query).header("cookie", cookie).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn demo_index_has_login_button() {
    let h = start().await;
    let res = h.http.get(format!("{}/demo", h.issuer)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains(&format!("href=\"{}/demo/start\">Войти</a>", h.issuer)));
}

#[tokio::test]
async fn demo_full_code_flow_shows_claims() {
    let h = start().await;
    let (cookie, q) = begin(&h).await;
    let (status, body) =
        callback(&h, &cookie, &[("code", "the-code"), ("state", &q["state"]), ("iss", &h.issuer)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Иванова Мария Петровна"));
    assert!(body.contains("acc-1"));
    assert!(body.contains("Подпись ID-токена здесь не проверяется"));
    assert!(body.contains("/userinfo"));
    assert!(!body.contains("secret-tail"), "access token must be truncated");
    assert!(!body.contains("refresh-tail"));
    assert!(body.contains(&format!("{}/logout?id_token_hint=", h.issuer)));
    assert!(body.contains("post_logout_redirect_uri="));
    assert!(body.contains("client_id=demo-diary"));
    assert!(body.contains(">Выйти</a>"));
}

#[tokio::test]
async fn az_04_demo_rejects_wrong_or_missing_iss() {
    let h = start().await;
    let (cookie, q) = begin(&h).await;
    let (status, body) =
        callback(&h, &cookie, &[("code", "the-code"), ("state", &q["state"]), ("iss", "http://evil.example")]).await;
    assert_eq!(status, 400);
    assert!(body.contains("iss"));
    let (status, _) = callback(&h, &cookie, &[("code", "the-code"), ("state", &q["state"])]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn demo_rejects_wrong_state_and_missing_cookie() {
    let h = start().await;
    let (cookie, _) = begin(&h).await;
    let (status, body) = callback(&h, &cookie, &[("code", "the-code"), ("state", "other"), ("iss", &h.issuer)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("state"));
    let (status, body) = callback(&h, "x=y", &[("code", "the-code"), ("state", "s"), ("iss", &h.issuer)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("Начните вход заново"));
}

#[tokio::test]
async fn demo_rejects_wrong_nonce() {
    let h = start().await;
    let (cookie, q) = begin(&h).await;
    *h.fake.nonce_override.lock().unwrap() = Some("replayed".into());
    let (status, body) =
        callback(&h, &cookie, &[("code", "the-code"), ("state", &q["state"]), ("iss", &h.issuer)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("nonce"));
}

#[tokio::test]
async fn demo_shows_access_denied_readably() {
    let h = start().await;
    let (cookie, q) = begin(&h).await;
    let (status, body) = callback(
        &h,
        &cookie,
        &[("error", "access_denied"), ("error_description", "<b>нет</b>"), ("state", &q["state"]), ("iss", &h.issuer)],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("Вход отменён"));
    assert!(body.contains("access_denied"));
    assert!(!body.contains("<b>нет</b>"));
}

#[tokio::test]
async fn demo_shows_token_endpoint_error() {
    let h = start().await;
    let (cookie, q) = begin(&h).await;
    let (status, body) =
        callback(&h, &cookie, &[("code", "bad-code"), ("state", &q["state"]), ("iss", &h.issuer)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid_grant"));
}
