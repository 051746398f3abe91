//! «Ключи» (system-admin): `GET /admin/keys` (the signing keys with their states and
//! dates, never private material), `POST /admin/keys/rotate` and `POST
//! /admin/keys/{kid}/retire`, through the same functions as `propusk keys rotate|retire`.

use super::{AdminError, Section, Staff, posted_in, staff_in};
use crate::app::App;
use crate::oidc::params::Params;
use crate::store::RetireOutcome;
use crate::token::KeyState;
use crate::web::admin_pages::date_time;
use crate::web::console_pages::{KeyRow, KeysPage};
use crate::web::error_page::PageError;
use crate::web::{cookie, pages, redirect};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

const KEYS: &str = "/admin/keys";

fn state_label(s: KeyState) -> &'static str {
    match s {
        KeyState::Next => "следующий",
        KeyState::Active => "активный",
        KeyState::Retiring => "выводится",
        KeyState::Retired => "выведен",
    }
}

async fn keys_page(app: &App, headers: &HeaderMap, staff: &Staff, error: Option<String>) -> Response {
    let _ = app.keys.reload().await;
    let rows = app
        .keys
        .key_summaries()
        .into_iter()
        .map(|k| KeyRow {
            state: state_label(k.state),
            state_class: k.state.as_str(),
            created: date_time(k.created_at),
            activates: date_time(k.activates_at),
            published_until: k.published_until.map(date_time),
            retirable: k.state != KeyState::Retired,
            kid: k.kid,
            alg: k.alg,
        })
        .collect();
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, headers);
    let status = if error.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    let page = KeysPage {
        nav: staff.nav(Section::Keys),
        csrf: app.cookies.csrf_token(&browser_id),
        rows,
        error,
        default_overlap_hours: (app.keys.policy().max_token_ttl_secs + 3599) / 3600,
    };
    let mut res = pages::html_with_status(status, &page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// GET /admin/keys
pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, AdminError> {
    let staff = staff_in(&app, &headers, KEYS, Section::Keys).await?;
    Ok(keys_page(&app, &headers, &staff, None).await)
}

/// POST /admin/keys/rotate — `csrf`, `alg` (RS256, ES256 or EdDSA).
pub async fn rotate(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, KEYS, Section::Keys).await?;
    let alg = p.get("alg").unwrap_or_default();
    if !crate::token::SUPPORTED_ALGS.contains(&alg) {
        let e = "Выберите алгоритм: RS256, ES256 или EdDSA.".to_owned();
        return Ok(keys_page(&app, &headers, &staff, Some(e)).await);
    }
    app.keys.rotate(alg).await.map_err(|e| PageError::internal(anyhow::anyhow!("key rotation: {e}")))?;
    Ok(redirect::redirect(KEYS, true, &[]))
}

/// POST /admin/keys/{kid}/retire — `csrf`, `overlap_hours` (how long it stays in the
/// JWKS; empty: the longest token lifetime). The signing key is refused: rotate first.
pub async fn retire(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(kid): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, KEYS, Section::Keys).await?;
    let overlap = match p.get("overlap_hours").map(str::trim).filter(|h| !h.is_empty()) {
        None => app.keys.policy().max_token_ttl_secs,
        Some(h) => match h.parse::<i64>() {
            Ok(h) if (0..=24 * 366).contains(&h) => h * 3600,
            _ => {
                let e = "«Оставить в JWKS»: укажите целое число часов, не больше 8784.".to_owned();
                return Ok(keys_page(&app, &headers, &staff, Some(e)).await);
            }
        },
    };
    let retire_at = app.clock.now().saturating_add(overlap);
    let refusal = match crate::token::retire(&*app.store, &kid, retire_at).await? {
        None | Some((_, RetireOutcome::Unknown)) => return Err(PageError::not_found().into()),
        Some((_, RetireOutcome::Retired)) => {
            let _ = app.keys.reload().await;
            return Ok(redirect::redirect(KEYS, true, &[]));
        }
        Some((_, RetireOutcome::AlreadyRetired)) => format!("Ключ {kid} уже выведен."),
        Some((alg, RetireOutcome::Active)) => format!(
            "Ключ {kid} сейчас подписывает токены {alg}; его нельзя вывести. Сначала выпустите новый ключ {alg} и выведите этот, когда новый начнет подписывать."
        ),
    };
    Ok(keys_page(&app, &headers, &staff, Some(refusal)).await)
}
