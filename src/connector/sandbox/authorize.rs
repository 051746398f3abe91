//! The sandbox's authorization side: `/aas/oauth2/v2/ac` (and v1 `/ac`) with ESIA's
//! checks, the login and consent pages, the code redirect, and `/idp/ext/Logout`.

use super::pages;
use super::rows::Kind;
use super::state::{AuthRequest, Grant, SandboxState};
use super::verify::{self, EsiaErr, Params};
use crate::connector::esia::protocol::{signed_string_v1, signed_string_v2};
use crate::connector::jwt;
use crate::crypto::{ct_eq, random_token, token_hash};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// Requests not answered within this time are forgotten.
const REQUEST_TTL: i64 = 1800;

const STALE: &str = "Сеанс входа устарел. Вернитесь в систему и начните вход заново.";

/// The page of a failure to read or write the sandbox's rows.
fn storage_error(e: &anyhow::Error) -> Response {
    tracing::warn!(error = %format!("{e:#}"), "ESIA sandbox: rows unavailable");
    pages::error(StatusCode::SERVICE_UNAVAILABLE, "ESIA-007007: временная ошибка, повторите позже.")
}

fn redirect(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_string())]).into_response()
}

/// Sends the browser back to the client with ESIA's error parameters.
fn redirect_error(redirect_uri: &str, state: Option<&str>, e: &EsiaErr) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return pages::error(StatusCode::BAD_REQUEST, &e.description);
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", e.error).append_pair("error_description", &e.description);
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    redirect(url.as_str())
}

/// The `callback_error` fault: ESIA's code with the OAuth `error` ESIA pairs with it.
fn fault_error(code: &str) -> EsiaErr {
    use crate::connector::esia::errors::{ErrorClass, describe};
    let error = match describe(code).0 {
        ErrorClass::Denied | ErrorClass::Signature | ErrorClass::Account => "access_denied",
        ErrorClass::Registration => "unauthorized_client",
        ErrorClass::Unavailable => "temporarily_unavailable",
        _ => "invalid_request",
    };
    EsiaErr::new(error, code, "sandbox fault")
}

pub async fn authorize_v2(State(s): State<SandboxState>, headers: HeaderMap, Query(q): Query<Params>) -> Response {
    authorize(s, q, false, &headers).await
}

pub async fn authorize_v1(State(s): State<SandboxState>, headers: HeaderMap, Query(q): Query<Params>) -> Response {
    authorize(s, q, true, &headers).await
}

async fn authorize(s: SandboxState, q: Params, v1: bool, headers: &HeaderMap) -> Response {
    let client_id = q.get("client_id").map(String::as_str).unwrap_or_default();
    let Some(client) = s.client(client_id) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "ESIA-007005: The client is not authorized to request an access token using this method.",
        );
    };
    let redirect_uri = q.get("redirect_uri").map(String::as_str).unwrap_or_default();
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return pages::error(StatusCode::BAD_REQUEST, "ESIA-007023: redirect_uri is not allowed for this client.");
    }
    let state = q.get("state").map(String::as_str);
    if let Some(code) = s.faults().callback_error {
        return redirect_error(redirect_uri, state, &fault_error(&code));
    }
    let checked = (|| {
        let state = verify::required(&q, "state")?;
        verify::check_state(state)?;
        let secret = verify::required(&q, "client_secret")?;
        let scope = verify::required(&q, "scope")?;
        let ts = verify::required(&q, "timestamp")?;
        if verify::required(&q, "response_type")? != "code" {
            return Err(EsiaErr::invalid("response_type"));
        }
        let scopes = verify::check_scopes(client, scope)?;
        if v1 {
            verify::check_secret_v1(client, &signed_string_v1(client_id, scope, ts, state), secret, "access_denied")?;
        } else {
            let hash = verify::required(&q, "client_certificate_hash")?;
            let message = signed_string_v2(client_id, scope, ts, state, redirect_uri, "");
            verify::check_secret_v2(client, hash, &message, secret, "access_denied")?;
        }
        verify::check_timestamp(&s, ts)?;
        Ok::<_, EsiaErr>(scopes)
    })();
    let scopes = match checked {
        Ok(scopes) => scopes,
        Err(e) => return redirect_error(redirect_uri, state, &e),
    };
    let now = s.now();
    let req = AuthRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state: state.unwrap_or_default().to_string(),
        // A browser still signed in (SSO) is not asked for its password again.
        persona: s.sso_persona(headers).await,
        created_at: now,
    };
    let id = random_token();
    let consent = req.persona.map(|idx| (idx, req.client_id.clone(), req.scopes.clone()));
    if let Err(e) = s.rows().put(Kind::Request, &id, &req, now + REQUEST_TTL).await {
        return storage_error(&e);
    }
    match consent {
        Some((idx, client_id, scopes)) => consent_page(&s, &id, idx, &client_id, &scopes),
        None => pages::login(s.base(), &id, None),
    }
}

fn consent_page(s: &SandboxState, req: &str, persona: usize, client_id: &str, scopes: &[String]) -> Response {
    let p = &s.0.personas[persona];
    let name = format!("{} {}", p.first_name, p.middle_name.as_deref().unwrap_or_default());
    pages::consent(s.base(), req, client_id, name.trim(), scopes)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    req: String,
    login: String,
    password: String,
}

pub async fn login(State(s): State<SandboxState>, Form(f): Form<LoginForm>) -> Response {
    let found =
        s.0.personas.iter().position(|p| p.answers_to(&f.login) && ct_eq(p.password.as_bytes(), f.password.as_bytes()));
    let mut req: AuthRequest = match s.rows().get(Kind::Request, &f.req, s.now()).await {
        Ok(Some(req)) => req,
        Ok(None) => return pages::error(StatusCode::BAD_REQUEST, STALE),
        Err(e) => return storage_error(&e),
    };
    let Some(idx) = found else {
        return pages::login(s.base(), &f.req, Some("Неверный логин или пароль"));
    };
    req.persona = Some(idx);
    if let Err(e) = s.rows().put(Kind::Request, &f.req, &req, req.created_at + REQUEST_TTL).await {
        return storage_error(&e);
    }
    let mut res = consent_page(&s, &f.req, idx, &req.client_id, &req.scopes);
    match s.sso_begin(idx).await {
        Ok(Some(cookie)) => {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        Ok(None) => {}
        Err(e) => return storage_error(&e),
    }
    res
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    req: String,
    action: String,
}

pub async fn consent(State(s): State<SandboxState>, Form(f): Form<ConsentForm>) -> Response {
    // Taken, not read: a consent answered twice (or on two nodes at once) issues one code.
    let req: AuthRequest = match s.rows().take(Kind::Request, &f.req, s.now()).await {
        Ok(Some(req)) => req,
        Ok(None) => return pages::error(StatusCode::BAD_REQUEST, STALE),
        Err(e) => return storage_error(&e),
    };
    let Some(persona) = req.persona else {
        return pages::error(StatusCode::BAD_REQUEST, "Вход не выполнен.");
    };
    if f.action != "allow" {
        let e = EsiaErr::new(
            "access_denied",
            "ESIA-007004",
            "The resource owner or authorization server denied the request.",
        );
        return redirect_error(&req.redirect_uri, Some(&req.state), &e);
    }
    match issue_code(&s, &req, persona).await {
        Ok(code) => match url::Url::parse(&req.redirect_uri) {
            Ok(mut url) => {
                url.query_pairs_mut().append_pair("code", &code).append_pair("state", &req.state);
                redirect(url.as_str())
            }
            Err(_) => pages::error(StatusCode::BAD_REQUEST, "ESIA-007023: bad redirect_uri"),
        },
        Err(e) => pages::error(StatusCode::INTERNAL_SERVER_ERROR, &format!("ESIA-007007: {e}")),
    }
}

async fn issue_code(s: &SandboxState, req: &AuthRequest, persona: usize) -> anyhow::Result<String> {
    let now = s.now();
    let p = &s.0.personas[persona];
    let confirmed = p.account == super::AccountType::Confirmed;
    let scope = super::token::scope_claim(&req.scopes, p.oid);
    let claims = json!({
        "nbf": now, "iat": now, "exp": now + s.0.cfg.code_ttl_secs, "iss": s.0.cfg.issuer,
        "scope": scope, "auth_time": now, "urn:esia:sid": crate::connector::esia::protocol::new_state(),
        "urn:esia:client:state": req.state, "auth_mthd": "PWD", "client_id": req.client_id,
        "urn:esia:sbj": {"urn:esia:sbj:typ": "P", "urn:esia:sbj:is_tru": confirmed, "urn:esia:sbj:oid": p.oid,
                         "urn:esia:sbj:nam": format!("OID.{}", p.oid), "urn:esia:sbj:eid": p.oid},
        "params": {}, "jti": crate::connector::esia::protocol::new_state(),
    });
    let signer = s.token_signer();
    let code =
        tokio::task::spawn_blocking(move || jwt::sign(signer.as_ref(), 1, "authorization_code", &claims)).await??;
    let grant = Grant {
        client_id: req.client_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scopes: req.scopes.clone(),
        persona,
        expires_at: now + s.0.cfg.code_ttl_secs,
    };
    s.rows().put(Kind::Code, &token_hash(&code), &grant, grant.expires_at).await?;
    Ok(code)
}

#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    client_id: Option<String>,
    redirect_url: Option<String>,
}

/// `/idp/ext/Logout`: ends the browser's SSO and returns to `redirect_url` when it is
/// on the origin of one of the client's redirect URIs.
pub async fn logout(State(s): State<SandboxState>, headers: HeaderMap, Query(q): Query<LogoutQuery>) -> Response {
    let target = q.redirect_url.as_deref().and_then(|r| url::Url::parse(r).ok());
    let allowed = match (q.client_id.as_deref().and_then(|c| s.client(c)), &target) {
        (Some(client), Some(t)) => {
            client.redirect_uris.iter().filter_map(|r| url::Url::parse(r).ok()).any(|r| r.origin() == t.origin())
        }
        _ => false,
    };
    let mut res = match target {
        Some(t) if allowed => redirect(t.as_str()),
        _ => pages::logged_out(),
    };
    if let Some(clear) = s.sso_end(&headers).await {
        res.headers_mut().append(header::SET_COOKIE, clear);
    }
    res
}
