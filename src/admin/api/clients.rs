//! `/admin/api/v1/clients` (system-admin): list, read, create, change, delete and
//! rotate a secret, through [`crate::oidc::client_ops`] as the console and the CLI;
//! audit events name who acted (the admin's account id, or `client:ID`).

use super::auth::caller;
use super::error::ApiError;
use super::types::{ClientCreated, ClientList, ClientPatch, ClientView, NewClient, NewSecret, Problem, RotateSecret};
use super::{Paging, json, json_body, no_store};
use crate::admin::Section;
use crate::app::App;
use crate::cli::{AddClient, new_client};
use crate::oidc::client_change::ClientChange;
use crate::oidc::client_ops;
use crate::store::{AuthMethod, ConsentMode};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The longest overlap of an old secret, hours (30 days), as in the console.
const MAX_OVERLAP_HOURS: i64 = 30 * 24;

/// The clients by id, a page after `cursor`.
#[utoipa::path(get, path = "/admin/api/v1/clients", tag = "clients",
    params(("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
           ("limit" = Option<u32>, Query, description = "1–200, default 50")),
    responses((status = 200, body = ClientList), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Clients, false).await?;
    let paging = Paging::parse(q.as_deref())?;
    let mut all = app.store.clients().await?;
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let (page, next_cursor) = paging.after(all, |c| c.id.clone());
    Ok(json(StatusCode::OK, &ClientList { clients: page.iter().map(ClientView::from).collect(), next_cursor }))
}

/// One client.
#[utoipa::path(get, path = "/admin/api/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = ClientView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Clients, false).await?;
    let c = app.store.client(&id).await?.ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &ClientView::from(&c)))
}

/// A new client by the rules of `propusk clients add`; a confidential one's secret is
/// in this answer only.
#[utoipa::path(post, path = "/admin/api/v1/clients", tag = "clients", request_body = NewClient,
    responses((status = 201, body = ClientCreated), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Clients, true).await?;
    let n: NewClient = json_body(&body)?;
    let args = AddClient {
        id: n.id,
        redirect_uris: n.redirect_uris,
        post_logout_redirect_uris: n.post_logout_redirect_uris,
        public: n.public,
        scope: n.scope,
        grant_types: n.grant_types,
        consent: n.consent,
        display_name: n.display_name,
        logo_uri: n.logo_uri,
        require_par: n.require_par,
        auth_method: n.auth_method,
        jwks: n.jwks.map(|j| j.to_string()),
        ..AddClient::default()
    };
    let (new, require_par) = new_client(&app.config, args).map_err(|e| ApiError::bad("body", e.to_string()))?;
    let (client, secret) = client_ops::registered(new, &app.config.tokens, app.clock.now(), require_par)?;
    client_ops::add(&*app.store, &client, &who.by()).await?;
    let answer =
        ClientCreated { client: ClientView::from(&client), client_secret: secret.map(|s| s.expose().to_owned()) };
    Ok(no_store(json(StatusCode::CREATED, &answer)))
}

/// A change by the rules of `propusk clients update`.
#[utoipa::path(patch, path = "/admin/api/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    request_body = ClientPatch,
    responses((status = 200, body = ClientView), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Clients, true).await?;
    let p: ClientPatch = json_body(&body)?;
    let consent = match p.consent.as_deref() {
        None => None,
        Some(c) => Some(ConsentMode::parse(c).ok_or_else(|| ApiError::bad("consent", "implicit or explicit"))?),
    };
    let auth_method = match p.auth_method.as_deref() {
        None => None,
        Some(m) => Some(AuthMethod::parse(m).ok_or_else(|| ApiError::bad("auth_method", "unknown method"))?),
    };
    let change = ClientChange {
        auth_method,
        jwks: p.jwks.map(|j| j.to_string()),
        // Given, the list replaces the current one, empty or not (JSON says what it means).
        clear_post_logout_uris: p.post_logout_redirect_uris.is_some(),
        disabled: p.disabled,
        display_name: p.display_name,
        logo_uri: p.logo_uri,
        redirect_uris: p.redirect_uris.unwrap_or_default(),
        post_logout_redirect_uris: p.post_logout_redirect_uris.unwrap_or_default(),
        grant_types: p.grant_types.unwrap_or_default(),
        scope: p.scope,
        consent,
        id_token_alg: p.id_token_alg,
        resources: p.resources.unwrap_or_default(),
        access_token_ttl: p.access_token_ttl,
        id_token_ttl: p.id_token_ttl,
        refresh_token_ttl: p.refresh_token_ttl,
        require_par: p.require_par,
        require_dpop: p.require_dpop,
        backchannel_logout_uri: p.backchannel_logout_uri,
        backchannel_logout_session_required: p.backchannel_logout_session_required,
    };
    let changed = client_ops::update(&*app.store, &app.config.tokens, app.clock.now(), &id, change, &who.by()).await?;
    app.clients.invalidate(&id).await;
    Ok(json(StatusCode::OK, &ClientView::from(&changed)))
}

/// Removes the client and revokes its grants.
#[utoipa::path(delete, path = "/admin/api/v1/clients/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn delete(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Clients, true).await?;
    if !client_ops::remove(&*app.store, &id, &who.by()).await? {
        return Err(ApiError::NotFound);
    }
    app.clients.invalidate(&id).await;
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}

/// A new secret, in this answer only; the old one works `overlap_hours` more.
#[utoipa::path(post, path = "/admin/api/v1/clients/{id}/rotate-secret", tag = "clients",
    params(("id" = String, Path)), request_body = RotateSecret,
    responses((status = 200, body = NewSecret), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn rotate_secret(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Clients, true).await?;
    let r: RotateSecret = json_body(&body)?;
    let hours = r.overlap_hours.unwrap_or(0);
    if !(0..=MAX_OVERLAP_HOURS).contains(&hours) {
        return Err(ApiError::bad("overlap_hours", format!("0 to {MAX_OVERLAP_HOURS} hours")));
    }
    let now = app.clock.now();
    let until = (hours > 0).then(|| now.saturating_add(hours * 3600));
    let (changed, secret) = client_ops::rotate_secret(&*app.store, now, &id, until, &who.by()).await?;
    app.clients.invalidate(&id).await;
    let answer = NewSecret {
        client_id: id,
        client_secret: secret.expose().to_owned(),
        old_secret_valid_until: changed.previous_secret_until,
    };
    Ok(no_store(json(StatusCode::OK, &answer)))
}
