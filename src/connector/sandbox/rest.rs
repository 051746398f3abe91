//! The sandbox's REST API: `/rs/prns/{oid}` and its `ctts`, `docs`, `kids`
//! collections (link lists or `?embed=(elements)`), Bearer-checked against the
//! sandbox's own token key and limited to the token's scopes.

use super::personas::{Persona, etag};
use super::state::SandboxState;
use super::token::faulty;
use crate::connector::esia::protocol::scope_name;
use crate::connector::jwt::{self, Expect};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn answer(status: StatusCode, body: &Value) -> Response {
    let tag = body.get("eTag").and_then(Value::as_str).unwrap_or_default().to_string();
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8".to_string()), (header::ETAG, tag)],
        body.to_string(),
    )
        .into_response()
}

fn status_only(status: StatusCode) -> Response {
    answer(status, &json!({"code": status.as_u16(), "message": status.canonical_reason()}))
}

/// The persona and granted scope names for a valid access token on `oid`.
async fn authorize(s: &SandboxState, headers: &HeaderMap, oid: &str) -> Result<(Persona, Vec<String>), Response> {
    let (_, replaced) = faulty(s).await;
    if let Some(r) = replaced {
        return Err(r);
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| status_only(StatusCode::UNAUTHORIZED))?;
    let unverified = jwt::claims_unverified(token).map_err(|_| status_only(StatusCode::UNAUTHORIZED))?;
    let client_id = jwt::text(&unverified, "client_id").unwrap_or_default();
    if s.client(&client_id).is_none() {
        return Err(status_only(StatusCode::UNAUTHORIZED));
    }
    let expect = Expect { sbt: "access", issuer: &s.0.cfg.issuer, client_id: &client_id, now: s.now(), leeway: 0 };
    let claims =
        jwt::verify(token, &s.token_certificates(), &expect).map_err(|_| status_only(StatusCode::UNAUTHORIZED))?;
    if jwt::text(&claims, "urn:esia:sbj_id").as_deref() != Some(oid) {
        return Err(status_only(StatusCode::FORBIDDEN));
    }
    let scopes = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split_whitespace()
        .map(|x| scope_name(x).to_string())
        .collect();
    let persona = s.0.personas.iter().find(|p| p.oid.to_string() == oid).cloned();
    persona.map(|p| (p, scopes)).ok_or_else(|| status_only(StatusCode::NOT_FOUND))
}

pub async fn person(State(s): State<SandboxState>, Path(oid): Path<String>, headers: HeaderMap) -> Response {
    match authorize(&s, &headers, &oid).await {
        Ok((p, scopes)) => answer(StatusCode::OK, &p.person_json(&|x| scopes.iter().any(|g| g == x))),
        Err(r) => r,
    }
}

fn items(p: &Persona, scopes: &[String], collection: &str) -> Option<Vec<(u64, Value)>> {
    let has = |x: &str| scopes.iter().any(|g| g == x);
    match collection {
        "ctts" if has("email") || has("mobile") || has("contacts") => Some(p.contacts_json(&has)),
        "docs" if scopes.iter().any(|g| g.ends_with("_doc") && !g.starts_with("kid_")) => Some(p.documents_json(&has)),
        "kids" if scopes.iter().any(|g| g.starts_with("kid_")) => Some(p.kids_json(&has)),
        _ => None,
    }
}

pub async fn collection(
    State(s): State<SandboxState>,
    Path((oid, coll)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (p, scopes) = match authorize(&s, &headers, &oid).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(list) = items(&p, &scopes, &coll) else {
        return status_only(StatusCode::FORBIDDEN);
    };
    let embed = query.is_some_and(|q| {
        url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "embed" && v.contains("elements"))
    });
    let elements: Vec<Value> = list
        .into_iter()
        .map(|(id, v)| if embed { v } else { json!(format!("{}/rs/prns/{oid}/{coll}/{id}", s.base())) })
        .collect();
    let body = json!({"stateFacts": ["hasSize"], "size": elements.len(), "eTag": etag(&format!("{oid}/{coll}")), "elements": elements});
    answer(StatusCode::OK, &body)
}

pub async fn element(
    State(s): State<SandboxState>,
    Path((oid, coll, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (p, scopes) = match authorize(&s, &headers, &oid).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(list) = items(&p, &scopes, &coll) else {
        return status_only(StatusCode::FORBIDDEN);
    };
    match list.into_iter().find(|(i, _)| i.to_string() == id) {
        Some((_, v)) => answer(StatusCode::OK, &v),
        None => status_only(StatusCode::NOT_FOUND),
    }
}

/// The sandbox's token-signing certificate (like ESIA's `esia.zip`).
pub async fn certificate(State(s): State<SandboxState>) -> Response {
    match s.current_certificate_pem() {
        Ok(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        Err(_) => status_only(StatusCode::INTERNAL_SERVER_ERROR),
    }
}
