//! `/admin/api/v1/clients/{id}/roles` (system-admin): the admin roles of a client,
//! granted and revoked through [`crate::admin::client_roles`], as `propusk clients
//! grant-role|revoke-role`.

use super::auth::caller;
use super::error::ApiError;
use super::types::{ClientRoleChange, ClientRoleGranted, ClientRoleList, ClientRoleView, Problem};
use super::{json, json_body};
use crate::admin::Section;
use crate::admin::client_roles::{self, ClientRoleError};
use crate::app::App;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

impl From<ClientRoleError> for ApiError {
    fn from(e: ClientRoleError) -> Self {
        match e {
            ClientRoleError::UnknownRole => Self::bad("role", e.to_string()),
            ClientRoleError::OrgRequired | ClientRoleError::OrgNotAllowed | ClientRoleError::UnknownOrganisation => {
                Self::bad("org", e.to_string())
            }
            ClientRoleError::NoClient | ClientRoleError::NotHeld => Self::NotFound,
            ClientRoleError::Store(e) => e.into(),
        }
    }
}

/// The client's admin roles.
#[utoipa::path(get, path = "/admin/api/v1/clients/{id}/roles", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = ClientRoleList), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Clients, false).await?;
    app.store.client(&id).await?.ok_or(ApiError::NotFound)?;
    let roles = app.store.client_admin_roles(&id).await?.into_iter().map(ClientRoleView::from).collect();
    Ok(json(StatusCode::OK, &ClientRoleList { roles, next_cursor: None }))
}

/// Grants the client an admin role (audited `client_role_granted`).
#[utoipa::path(post, path = "/admin/api/v1/clients/{id}/roles", tag = "clients", params(("id" = String, Path)),
    request_body = ClientRoleChange,
    responses((status = 200, body = ClientRoleGranted), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn grant(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Clients, true).await?;
    let c: ClientRoleChange = json_body(&body)?;
    let (row, granted) =
        client_roles::grant(&*app.store, app.clock.now(), &id, &c.role, c.org.as_deref(), &who.by()).await?;
    Ok(json(StatusCode::OK, &ClientRoleGranted { role: row.into(), granted }))
}

/// Revokes an admin role of the client (audited `client_role_revoked`); 404 when it
/// did not hold it.
#[utoipa::path(delete, path = "/admin/api/v1/clients/{id}/roles", tag = "clients", params(("id" = String, Path)),
    request_body = ClientRoleChange,
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Clients, true).await?;
    let c: ClientRoleChange = json_body(&body)?;
    client_roles::revoke(&*app.store, &id, &c.role, c.org.as_deref(), &who.by()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
