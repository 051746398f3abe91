//! `/admin/api/v1/staff/roles` (system-admin): every staff role, a grant and a
//! revocation through [`crate::admin::staff_roles`], as `propusk staff grant|revoke`.

use super::account_types::{StaffRoleChange, StaffRoleGranted, StaffRoleList, StaffRoleView};
use super::auth::caller_if;
use super::error::ApiError;
use super::types::Problem;
use super::{Paging, json, json_body};
use crate::admin::roles::is_system_admin;
use crate::admin::staff_roles::{self, StaffRoleError};
use crate::app::App;
use crate::store::Account;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

impl From<StaffRoleError> for ApiError {
    fn from(e: StaffRoleError) -> Self {
        match e {
            StaffRoleError::UnknownRole => Self::bad("role", e.to_string()),
            StaffRoleError::NotStaff | StaffRoleError::Disabled => Self::bad("account_id", e.to_string()),
            StaffRoleError::OrgNotAllowed | StaffRoleError::UnknownOrganisation => Self::bad("org", e.to_string()),
            StaffRoleError::NotHeld(_) => Self::NotFound,
            StaffRoleError::Store(e) => e.into(),
        }
    }
}

fn key(r: &StaffRoleView) -> String {
    format!("{}|{}|{}", r.account_id, r.role, r.organisation_id.as_deref().unwrap_or_default())
}

/// Every staff role by account, role and organisation, a page after `cursor`.
#[utoipa::path(get, path = "/admin/api/v1/staff/roles", tag = "staff",
    params(("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
           ("limit" = Option<u32>, Query, description = "1–200, default 50")),
    responses((status = 200, body = StaffRoleList), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    caller_if(&app, &headers, false, is_system_admin).await?;
    let paging = Paging::parse(q.as_deref())?;
    let mut all: Vec<StaffRoleView> = app.store.all_roles().await?.into_iter().map(StaffRoleView::from).collect();
    all.sort_by_key(key);
    let (roles, next_cursor) = paging.after(all, key);
    Ok(json(StatusCode::OK, &StaffRoleList { roles, next_cursor }))
}

async fn account(app: &App, id: &str) -> Result<Account, ApiError> {
    app.store.account(id).await?.ok_or_else(|| ApiError::bad("account_id", "no such account"))
}

/// Grants a staff role (audited `role_granted`).
#[utoipa::path(post, path = "/admin/api/v1/staff/roles", tag = "staff", request_body = StaffRoleChange,
    responses((status = 200, body = StaffRoleGranted), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn grant(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let who = caller_if(&app, &headers, true, is_system_admin).await?;
    let c: StaffRoleChange = json_body(&body)?;
    let a = account(&app, &c.account_id).await?;
    let (row, granted) =
        staff_roles::grant(&*app.store, app.clock.now(), &a, &c.role, c.org.as_deref(), &who.by()).await?;
    Ok(json(StatusCode::OK, &StaffRoleGranted { role: row.into(), granted }))
}

/// Revokes a staff role (audited `role_revoked`); 404 when it was not held.
#[utoipa::path(delete, path = "/admin/api/v1/staff/roles", tag = "staff", request_body = StaffRoleChange,
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let who = caller_if(&app, &headers, true, is_system_admin).await?;
    let c: StaffRoleChange = json_body(&body)?;
    let a = account(&app, &c.account_id).await?;
    staff_roles::revoke(&*app.store, &a, &c.role, c.org.as_deref(), &who.by()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
