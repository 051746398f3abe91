//! The admin API (`/admin/api/v1`): the console's operations as JSON, through the
//! same functions (clients, keys, audit, accounts, staff and client roles), for an admin's session or a
//! client's bearer token ([`auth`]); errors as RFC 9457 problems ([`error`]); list
//! endpoints paged by stable cursors; the OpenAPI 3.1 document at
//! `/admin/api/openapi.json` generated from the handlers ([`openapi`]).

pub mod account_types;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod client_roles;
pub mod clients;
pub mod error;
pub mod keys;
pub mod openapi;
pub mod staff_roles;
pub mod types;

use crate::app::App;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use error::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

pub fn routes() -> axum::Router<Arc<App>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/api/openapi.json", get(openapi::document))
        .route("/admin/api/v1/clients", get(clients::list).post(clients::create))
        .route("/admin/api/v1/clients/{id}", get(clients::show).patch(clients::update).delete(clients::delete))
        .route("/admin/api/v1/clients/{id}/rotate-secret", post(clients::rotate_secret))
        .route(
            "/admin/api/v1/clients/{id}/roles",
            get(client_roles::list).post(client_roles::grant).delete(client_roles::revoke),
        )
        .route("/admin/api/v1/keys", get(keys::list))
        .route("/admin/api/v1/keys/rotate", post(keys::rotate))
        .route("/admin/api/v1/keys/{kid}/retire", post(keys::retire))
        .route("/admin/api/v1/accounts", get(accounts::list))
        .route("/admin/api/v1/accounts/{id}", get(accounts::show))
        .route("/admin/api/v1/accounts/{id}/unlink-esia", post(accounts::unlink_esia))
        .route("/admin/api/v1/accounts/{id}/end-sessions", post(accounts::end_sessions))
        .route("/admin/api/v1/accounts/{id}/revoke-grants", post(accounts::revoke_grants))
        .route("/admin/api/v1/accounts/{id}/disable", post(accounts::disable))
        .route("/admin/api/v1/accounts/{id}/enable", post(accounts::enable))
        .route("/admin/api/v1/staff/roles", get(staff_roles::list).post(staff_roles::grant).delete(staff_roles::revoke))
        .route("/admin/api/v1/audit/events", get(audit::list))
        .route("/admin/api/v1/audit/events/{seq}", get(audit::show))
}

/// A JSON answer.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// An answer that carries a secret: never cached.
pub fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// A JSON request body; an empty body is `{}`.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| ApiError::bad("body", e.to_string()))
}

/// Paging of a list by a stable cursor: the key of the last item of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub cursor: Option<String>,
    pub limit: usize,
}

/// Items a page holds unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

impl Paging {
    /// `?cursor=&limit=` (1–[`MAX_LIMIT`]); a bad `limit` is a 400 naming it.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut p = Self { cursor: None, limit: DEFAULT_LIMIT };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "cursor" => p.cursor = Some(value.into_owned()).filter(|c| !c.is_empty()),
                "limit" => {
                    p.limit = value
                        .parse()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| ApiError::bad("limit", format!("1 to {MAX_LIMIT}")))?;
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// The page of `sorted` (by `key`, ascending) after the cursor, and the next cursor
    /// when more follow.
    pub fn after<T>(&self, sorted: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
        let mut rest: Vec<T> =
            sorted.into_iter().filter(|t| self.cursor.as_ref().is_none_or(|c| key(t) > *c)).collect();
        let more = rest.len() > self.limit;
        rest.truncate(self.limit);
        let next = if more { rest.last().map(&key) } else { None };
        (rest, next)
    }
}

#[cfg(test)]
mod tests {
    use super::Paging;

    #[test]
    fn pages_follow_the_cursor_and_limits_are_checked() {
        let items: Vec<String> = ["a", "b", "c", "d", "e"].map(str::to_owned).to_vec();
        let p = Paging::parse(Some("limit=2")).ok().unwrap_or(Paging { cursor: None, limit: 0 });
        assert_eq!(p.after(items.clone(), Clone::clone), (vec!["a".into(), "b".into()], Some("b".into())));
        let p = Paging { cursor: Some("b".into()), limit: 2 };
        assert_eq!(p.after(items.clone(), Clone::clone), (vec!["c".into(), "d".into()], Some("d".into())));
        let p = Paging { cursor: Some("d".into()), limit: 2 };
        assert_eq!(p.after(items, Clone::clone), (vec!["e".into()], None));
        for bad in ["limit=0", "limit=201", "limit=x"] {
            assert!(Paging::parse(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(Paging::parse(None).ok().map(|p| p.limit), Some(super::DEFAULT_LIMIT));
    }
}
