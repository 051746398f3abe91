//! `/admin/api/v1/keys` (system-admin): the signing keys' states, rotate, retire,
//! through `token::rotate` / `token::retire` as the console and `propusk keys`.

use super::auth::caller;
use super::error::ApiError;
use super::types::{KeyList, KeyRetired, KeyView, Problem, RetireKey, RotateKey};
use super::{json, json_body};
use crate::admin::Section;
use crate::app::App;
use crate::store::RetireOutcome;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The longest stay in the JWKS after a retirement, hours (as the console).
const MAX_OVERLAP_HOURS: i64 = 24 * 366;

/// The key ring, never private material.
#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, body = KeyList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Keys, false).await?;
    let _ = app.keys.reload().await;
    let keys = app.keys.key_summaries().into_iter().map(KeyView::from).collect();
    Ok(json(StatusCode::OK, &KeyList { keys, next_cursor: None }))
}

/// A new key of `alg`; it signs after the rotation grace.
#[utoipa::path(post, path = "/admin/api/v1/keys/rotate", tag = "keys", request_body = RotateKey,
    responses((status = 201, body = KeyView), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn rotate(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Keys, true).await?;
    let r: RotateKey = json_body(&body)?;
    if !crate::token::SUPPORTED_ALGS.contains(&r.alg.as_str()) {
        return Err(ApiError::bad("alg", "RS256, ES256 or EdDSA"));
    }
    let key = app.keys.rotate(&r.alg).await.map_err(|e| ApiError::Internal(anyhow::anyhow!("key rotation: {e}")))?;
    let view = app
        .keys
        .key_summaries()
        .into_iter()
        .find(|k| k.kid == key.kid)
        .map(KeyView::from)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("rotated key {} not in the ring", key.kid)))?;
    Ok(json(StatusCode::CREATED, &view))
}

/// Retires a key: it leaves the JWKS after `overlap_hours`; the signing key is refused
/// (409: rotate first).
#[utoipa::path(post, path = "/admin/api/v1/keys/{kid}/retire", tag = "keys", params(("kid" = String, Path)),
    request_body = RetireKey,
    responses((status = 200, body = KeyRetired), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn retire(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(kid): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Keys, true).await?;
    let r: RetireKey = json_body(&body)?;
    let overlap = match r.overlap_hours {
        None => app.keys.policy().max_token_ttl_secs,
        Some(h) if (0..=MAX_OVERLAP_HOURS).contains(&h) => h * 3600,
        Some(_) => return Err(ApiError::bad("overlap_hours", format!("0 to {MAX_OVERLAP_HOURS} hours"))),
    };
    let retire_at = app.clock.now().saturating_add(overlap);
    match crate::token::retire(&*app.store, &kid, retire_at).await? {
        None | Some((_, RetireOutcome::Unknown)) => Err(ApiError::NotFound),
        Some((_, RetireOutcome::Retired)) => {
            let _ = app.keys.reload().await;
            Ok(json(StatusCode::OK, &KeyRetired { kid, retire_at }))
        }
        Some((_, RetireOutcome::AlreadyRetired)) => Err(ApiError::Conflict(format!("key {kid} is retired already"))),
        Some((alg, RetireOutcome::Active)) => {
            Err(ApiError::Conflict(format!("key {kid} signs {alg} tokens now; rotate to a new {alg} key first")))
        }
    }
}
