//! The built-in demo relying party (`/demo`, client `demo-diary`): runs the authorization
//! code flow with PKCE against this provider and shows the claims it got.
//!
//! It is a teaching aid, not an example of a complete RP: it checks `state`, `iss` and
//! `nonce` but does not verify the ID token's signature (real RPs must, with `/jwks`).

use crate::crypto::{b64, b64_decode, ct_eq, random_token, sha256};
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

use super::pages::{html, html_with_status};

/// The demo client's id (registered by `--demo`).
pub const CLIENT_ID: &str = "demo-diary";
/// The cookie that carries `state.nonce.verifier` between `/demo/start` and the callback.
pub const COOKIE: &str = "demo_rp";
const SCOPE: &str = "openid profile email phone school children offline_access";
const COOKIE_TTL_MINUTES: i64 = 10;

struct Demo {
    issuer: String,
    http: Option<reqwest::Client>,
}

/// `GET /demo`, `GET /demo/start`, `GET /demo/callback`, with their own state.
pub fn routes(issuer: String) -> Router {
    // reqwest is built with `rustls-no-provider`; installing twice is a harmless error.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(10)).build();
    let http = match http {
        Ok(c) => Some(c),
        Err(err) => {
            tracing::error!(error = %err, "demo RP: HTTP client unavailable");
            None
        }
    };
    let demo = Demo { issuer: issuer.trim_end_matches('/').to_owned(), http };
    Router::new()
        .route("/demo", get(index))
        .route("/demo/start", get(start))
        .route("/demo/callback", get(callback))
        .with_state(Arc::new(demo))
}

#[derive(Template)]
#[template(path = "demo/index.html")]
struct IndexPage {
    issuer: String,
}

#[derive(Template)]
#[template(path = "demo/error.html")]
struct DemoErrorPage {
    issuer: String,
    title: String,
    message: String,
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "demo/result.html")]
struct ResultPage {
    issuer: String,
    token_header: String,
    claims: Vec<(String, String)>,
    raw: String,
    logout_url: String,
}

async fn index(State(demo): State<Arc<Demo>>) -> Response {
    html(&IndexPage { issuer: demo.issuer.clone() })
}

/// Generates state, nonce and a PKCE verifier, keeps them in the cookie, redirects to `/authorize`.
async fn start(State(demo): State<Arc<Demo>>, jar: CookieJar) -> Response {
    let (state, nonce, verifier) = (random_token(), random_token(), random_token());
    let challenge = b64(&sha256(verifier.as_bytes()));
    let redirect_uri = format!("{}/demo/callback", demo.issuer);
    let mut url = match url::Url::parse(&format!("{}/authorize", demo.issuer)) {
        Ok(u) => u,
        Err(_) => return failure(&demo, "Неверный адрес провайдера", "Параметр issuer не является URL.", None),
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", SCOPE)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let cookie = Cookie::build((COOKIE, format!("{state}.{nonce}.{verifier}")))
        .path("/demo")
        .http_only(true)
        .secure(demo.issuer.starts_with("https://"))
        .same_site(SameSite::Lax)
        .max_age(time::Duration::minutes(COOKIE_TTL_MINUTES))
        .build();
    (jar.add(cookie), Redirect::to(url.as_str())).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(demo): State<Arc<Demo>>,
    jar: CookieJar,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let saved = jar.get(COOKIE).map(|c| c.value().to_owned());
    let jar = jar.remove(Cookie::build(COOKIE).path("/demo").build());
    let outcome = finish(&demo, params, saved.as_deref()).await;
    (jar, outcome).into_response()
}

async fn finish(demo: &Demo, p: CallbackParams, saved: Option<&str>) -> Response {
    let Some((state, nonce, verifier)) = saved.and_then(parse_cookie) else {
        return failure(
            demo,
            "Нет данных о начатом входе",
            "Cookie демо-приложения не найдена или устарела (она живёт 10 минут). Начните вход заново.",
            None,
        );
    };
    if !p.state.as_deref().is_some_and(|s| ct_eq(s.as_bytes(), state.as_bytes())) {
        return failure(demo, "Параметр state не совпадает", "Ответ не относится к начатому здесь входу.", None);
    }
    if p.iss.as_deref() != Some(demo.issuer.as_str()) {
        return failure(
            demo,
            "Параметр iss не совпадает",
            "По RFC 9207 ответ должен содержать iss, равный адресу провайдера. Ответ отклонён.",
            None,
        );
    }
    if let Some(error) = p.error {
        let message = match error.as_str() {
            "access_denied" => "Вход отменён: пользователь отказался или доступ запрещён.",
            "login_required" | "interaction_required" => "Требуется вход в систему.",
            "consent_required" => "Требуется согласие пользователя.",
            "invalid_scope" => "Запрошены недопустимые данные (scope).",
            _ => "Провайдер вернул ошибку.",
        };
        let code = match p.error_description {
            Some(d) => format!("{error}: {d}"),
            None => error,
        };
        return failure(demo, "Вход не выполнен", message, Some(code));
    }
    let Some(code) = p.code else {
        return failure(demo, "Нет кода авторизации", "В ответе нет параметра code.", None);
    };
    match exchange(demo, &code, verifier).await {
        Ok(tokens) => show_tokens(demo, tokens, nonce),
        Err((message, detail)) => failure(demo, "Не удалось обменять код на токены", &message, detail),
    }
}

/// `state.nonce.verifier` → its three parts.
fn parse_cookie(value: &str) -> Option<(&str, &str, &str)> {
    let mut parts = value.split('.');
    let (s, n, v) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && !s.is_empty() && !n.is_empty() && !v.is_empty()).then_some((s, n, v))
}

type ExchangeError = (String, Option<String>);

async fn exchange(demo: &Demo, code: &str, verifier: &str) -> Result<Map<String, Value>, ExchangeError> {
    let Some(http) = &demo.http else {
        return Err(("HTTP-клиент демо-приложения не создан; см. журнал сервера.".into(), None));
    };
    let redirect_uri = format!("{}/demo/callback", demo.issuer);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", CLIENT_ID),
        ("code_verifier", verifier),
    ];
    let res = http
        .post(format!("{}/token", demo.issuer))
        .form(&form)
        .send()
        .await
        .map_err(|e| ("Токен-эндпоинт недоступен.".to_owned(), Some(e.to_string())))?;
    let status = res.status();
    let body: Value =
        res.json().await.map_err(|_| (format!("Ответ токен-эндпоинта (HTTP {status}) не является JSON."), None))?;
    let Value::Object(map) = body else {
        return Err(("Ответ токен-эндпоинта не является JSON-объектом.".into(), None));
    };
    if !status.is_success() {
        let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let detail = format!("HTTP {status}: {} {}", text("error"), text("error_description"));
        return Err(("Провайдер отказал в выдаче токенов.".into(), Some(detail.trim().to_owned())));
    }
    Ok(map)
}

fn show_tokens(demo: &Demo, tokens: Map<String, Value>, nonce: &str) -> Response {
    let Some(id_token) = tokens.get("id_token").and_then(Value::as_str) else {
        return failure(demo, "Нет ID-токена", "Ответ токен-эндпоинта не содержит id_token.", None);
    };
    let Some((header, claims)) = decode_jwt(id_token) else {
        return failure(demo, "ID-токен не читается", "id_token не является JWT.", None);
    };
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return failure(demo, "Параметр nonce не совпадает", "nonce в ID-токене не равен отправленному.", None);
    }
    let mut logout = match url::Url::parse(&format!("{}/logout", demo.issuer)) {
        Ok(u) => u,
        Err(_) => return failure(demo, "Неверный адрес провайдера", "Параметр issuer не является URL.", None),
    };
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", &format!("{}/demo", demo.issuer))
        .append_pair("client_id", CLIENT_ID);
    let page = ResultPage {
        issuer: demo.issuer.clone(),
        token_header: Value::Object(header).to_string(),
        claims: claims.iter().map(|(k, v)| (k.clone(), display_value(v))).collect(),
        raw: raw_response(tokens),
        logout_url: logout.into(),
    };
    html(&page)
}

/// The header and the payload of a compact JWS, without checking the signature.
fn decode_jwt(token: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let mut parts = token.split('.');
    let (h, p, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    let decode = |s: &str| match serde_json::from_slice(&b64_decode(s)?) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    };
    Some((decode(h)?, decode(p)?))
}

fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The token response, pretty-printed, with the access and refresh tokens shortened.
fn raw_response(mut tokens: Map<String, Value>) -> String {
    for key in ["access_token", "refresh_token"] {
        if let Some(Value::String(t)) = tokens.get_mut(key) {
            *t = truncate(t);
        }
    }
    serde_json::to_string_pretty(&Value::Object(tokens)).unwrap_or_default()
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(16) {
        Some((i, _)) => format!("{}… ({} символов)", &s[..i], s.chars().count()),
        None => s.to_owned(),
    }
}

fn failure(demo: &Demo, title: &str, message: &str, code: Option<String>) -> Response {
    let page = DemoErrorPage { issuer: demo.issuer.clone(), title: title.into(), message: message.into(), code };
    html_with_status(StatusCode::BAD_REQUEST, &page)
}
