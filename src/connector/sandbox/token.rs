//! The sandbox's token endpoint (`/aas/oauth2/v3/te`, v1 `/te`): ESIA's checks,
//! one-time codes, refresh rotation, ESIA-shaped access and ID tokens, and the
//! fault knobs (latency, 5xx, malformed JSON, bad or expired tokens).

use super::rows::Kind;
use super::state::{Faults, Grant, SandboxState};
use super::verify::{self, EsiaErr, Params};
use crate::connector::esia::protocol::{new_state, signed_string_v1, signed_string_v2};
use crate::connector::jwt;
use crate::crypto::{b64, b64_decode, token_hash};
use axum::body::Bytes;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

/// Granted scopes as ESIA writes them in tokens: `fullname?oid=1000 openid`.
pub fn scope_claim(scopes: &[String], oid: u64) -> String {
    scopes
        .iter()
        .map(|s| if s == "openid" { s.clone() } else { format!("{s}?oid={oid}") })
        .collect::<Vec<_>>()
        .join(" ")
}

fn json_error(e: &EsiaErr, state: Option<&str>) -> Response {
    let body = json!({"error": e.error, "error_description": e.description, "state": state});
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], body.to_string())
        .into_response()
}

/// Applies latency and the answer-replacing faults; `Some` means answer with it.
pub(super) async fn faulty(s: &SandboxState) -> (Faults, Option<Response>) {
    let f = s.faults();
    if f.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(f.latency_ms)).await;
    }
    if f.server_error {
        let page = Html("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");
        return (f, Some((StatusCode::SERVICE_UNAVAILABLE, page).into_response()));
    }
    if f.malformed_json {
        let resp =
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"access_token\": \"eyJ").into_response();
        return (f, Some(resp));
    }
    (f, None)
}

fn params(uri: &Uri, body: &Bytes) -> Params {
    let mut p: Params = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    p.extend(url::form_urlencoded::parse(body).into_owned());
    p
}

pub async fn token_v3(axum::extract::State(s): axum::extract::State<SandboxState>, uri: Uri, body: Bytes) -> Response {
    token(s, params(&uri, &body), false).await
}

pub async fn token_v1(axum::extract::State(s): axum::extract::State<SandboxState>, uri: Uri, body: Bytes) -> Response {
    token(s, params(&uri, &body), true).await
}

async fn token(s: SandboxState, q: Params, v1: bool) -> Response {
    let (faults, replaced) = faulty(&s).await;
    if let Some(r) = replaced {
        return r;
    }
    let state = q.get("state").map(String::as_str);
    let grant = match check(&s, &q, v1).await {
        Ok(g) => g,
        Err(e) => return json_error(&e, state),
    };
    let echo = if faults.wrong_state_echo { new_state() } else { state.unwrap_or_default().to_string() };
    match mint(&s, &grant, &faults, echo).await {
        Ok(body) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], body.to_string())
            .into_response(),
        Err(e) => json_error(&EsiaErr::new("server_error", "ESIA-007007", &e.to_string()), state),
    }
}

async fn check(s: &SandboxState, q: &Params, v1: bool) -> Result<Grant, EsiaErr> {
    let client_id = verify::required(q, "client_id")?;
    let client = s
        .client(client_id)
        .ok_or_else(|| EsiaErr::new("invalid_client", "ESIA-008010", "Client system authentication failed."))?;
    let grant_type = verify::required(q, "grant_type")?;
    let state = verify::required(q, "state")?;
    verify::check_state(state)?;
    let secret = verify::required(q, "client_secret")?;
    let scope = verify::required(q, "scope")?;
    let ts = verify::required(q, "timestamp")?;
    let redirect_uri = q.get("redirect_uri").map(String::as_str).unwrap_or_default();
    let (token, kind) = match grant_type {
        "authorization_code" => (verify::required(q, "code")?, Kind::Code),
        "refresh_token" => (verify::required(q, "refresh_token")?, Kind::Refresh),
        _ => return Err(EsiaErr::new("unsupported_grant_type", "ESIA-007009", "The grant type is not supported.")),
    };
    if v1 {
        verify::check_secret_v1(client, &signed_string_v1(client_id, scope, ts, state), secret, "unauthorized_client")?;
    } else {
        let hash = verify::required(q, "client_certificate_hash")?;
        let code_part = if grant_type == "authorization_code" { token } else { "" };
        let message = signed_string_v2(client_id, scope, ts, state, redirect_uri, code_part);
        let alt = format!("{client_id}{scope}{ts}{state}{token}");
        verify::check_secret_v2(client, hash, &message, secret, "unauthorized_client").or_else(|e| {
            if grant_type == "refresh_token" {
                verify::check_secret_v2(client, hash, &alt, secret, "unauthorized_client")
            } else {
                Err(e)
            }
        })?;
    }
    verify::check_timestamp(s, ts)?;
    let bad = || {
        EsiaErr::new("invalid_grant", "ESIA-007011", "The provided authorization grant is invalid, expired or revoked.")
    };
    let unavailable = |e: anyhow::Error| {
        tracing::warn!(error = %format!("{e:#}"), "ESIA sandbox: rows unavailable");
        EsiaErr::new("server_error", "ESIA-007007", "Temporary failure, try again later.")
    };
    let now = s.now();
    let key = token_hash(token);
    // Read to check, then spend by taking the row: the take alone decides, so of
    // two exchanges of one code (on any nodes) one gets it.
    let g: Grant = s.rows().get(kind, &key, now).await.map_err(unavailable)?.ok_or_else(bad)?;
    if g.expires_at <= now || g.client_id != client_id {
        return Err(bad());
    }
    if grant_type == "authorization_code" && g.redirect_uri != redirect_uri {
        return Err(bad());
    }
    s.rows().take::<Grant>(kind, &key, now).await.map_err(unavailable)?.ok_or_else(bad)
}

async fn mint(s: &SandboxState, g: &Grant, f: &Faults, echo_state: String) -> anyhow::Result<Value> {
    let p = &s.0.personas[g.persona];
    let cfg = &s.0.cfg;
    let now = s.now();
    let iat = if f.expired_tokens { now - 2 * cfg.id_ttl_secs } else { now };
    let sid = new_state();
    let access = json!({
        "iss": cfg.issuer, "client_id": g.client_id, "urn:esia:sbj_id": p.oid, "urn:esia:sid": sid,
        "scope": scope_claim(&g.scopes, p.oid), "iat": iat, "nbf": iat, "exp": iat + cfg.access_ttl_secs,
    });
    let lvl = match p.account {
        super::AccountType::Confirmed => "PR",
        super::AccountType::Child => "KD",
        _ => "P",
    };
    let mut sbj = json!({"urn:esia:sbj:typ": "P", "urn:esia:sbj:oid": p.oid, "urn:esia:sbj:nam": format!("OID.{}", p.oid), "urn:esia:sbj:lvl": lvl});
    if p.account == super::AccountType::Confirmed {
        sbj["urn:esia:sbj:is_tru"] = json!(true);
    }
    let id = json!({
        "iss": cfg.issuer, "aud": g.client_id, "sub": p.oid, "auth_time": iat, "iat": iat, "nbf": iat,
        "exp": iat + cfg.id_ttl_secs, "amr": "PWD", "urn:esia:amd": "PWD", "urn:esia:sid": sid, "urn:esia:sbj": sbj,
    });
    let with_id = g.scopes.iter().any(|x| x == "openid");
    let signer = s.token_signer();
    let (at, it) = tokio::task::spawn_blocking(move || -> anyhow::Result<(String, Option<String>)> {
        let at = jwt::sign(signer.as_ref(), 1, "access", &access)?;
        let it = if with_id { Some(jwt::sign(signer.as_ref(), 0, "id", &id)?) } else { None };
        Ok((at, it))
    })
    .await??;
    let refresh = new_state();
    let expires_at = now + 30 * 86400;
    s.rows().put(Kind::Refresh, &token_hash(&refresh), &Grant { expires_at, ..g.clone() }, expires_at).await?;
    let (at, it) = (damage(at, f), it.map(|t| damage(t, f)));
    Ok(json!({
        "access_token": at, "id_token": it, "refresh_token": refresh, "state": echo_state,
        "token_type": "Bearer", "expires_in": cfg.access_ttl_secs,
    }))
}

/// Applies the token faults: corrupt the signature or swap the subject after signing.
fn damage(token: String, f: &Faults) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    if parts.len() != 3 {
        return token;
    }
    if f.bad_token_signature
        && let Some(mut sig) = b64_decode(&parts[2])
    {
        if let Some(b) = sig.first_mut() {
            *b ^= 0x01;
        }
        parts[2] = b64(&sig);
    }
    if f.tampered_token
        && let Some(payload) = b64_decode(&parts[1])
        && let Ok(mut v) = serde_json::from_slice::<Value>(&payload)
    {
        for key in ["urn:esia:sbj_id", "sub"] {
            if v.get(key).is_some() {
                v[key] = json!(1_000_000_999u64);
            }
        }
        parts[1] = b64(v.to_string().as_bytes());
    }
    parts.join(".")
}
