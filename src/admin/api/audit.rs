//! `/admin/api/v1/audit/events` (system-admin): the filter of `audit search` (one
//! parser, [`FilterText`]), newest first by the stable cursor `?before=SEQ`, read as
//! the console's «Аудит» reads ([`crate::admin::audit::newest_first`]); one event.

use super::auth::caller;
use super::error::ApiError;
use super::types::{EventList, EventView, Problem};
use super::{DEFAULT_LIMIT, MAX_LIMIT, json};
use crate::admin::Section;
use crate::app::App;
use crate::audit::search::{BadTime, FilterText};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The events `kind`, `client`, `account`, `org`, `jti`, `request_id`, `since`, `until`
/// match, newest first, `limit` of them below `before`.
#[utoipa::path(get, path = "/admin/api/v1/audit/events", tag = "audit",
    params(("kind" = Option<String>, Query), ("client" = Option<String>, Query), ("account" = Option<String>, Query),
           ("org" = Option<String>, Query), ("jti" = Option<String>, Query), ("request_id" = Option<String>, Query),
           ("since" = Option<String>, Query, description = "YYYY-MM-DD, RFC 3339 or Unix seconds"),
           ("until" = Option<String>, Query, description = "YYYY-MM-DD, RFC 3339 or Unix seconds"),
           ("before" = Option<i64>, Query, description = "`next_cursor` of the previous page"),
           ("limit" = Option<u32>, Query, description = "1–200, default 50")),
    responses((status = 200, body = EventList), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Audit, false).await?;
    let raw = q.unwrap_or_default();
    let text = FilterText::from_query(&raw);
    let filter = text.parse().map_err(|bad| match bad {
        BadTime::Since => ApiError::bad("since", "a date YYYY-MM-DD, an RFC 3339 time or Unix seconds"),
        BadTime::Until => ApiError::bad("until", "a date YYYY-MM-DD, an RFC 3339 time or Unix seconds"),
    })?;
    let param = |name: &str| url::form_urlencoded::parse(raw.as_bytes()).find(|(n, _)| n == name).map(|(_, v)| v);
    let before = match param("before") {
        None => None,
        Some(b) => Some(b.parse::<i64>().map_err(|_| ApiError::bad("before", "a sequence number"))?),
    };
    let limit = match param("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::bad("limit", format!("1 to {MAX_LIMIT}")))?,
    };
    let (head, _) = app.store.audit_head().await?;
    let start = before.map_or(head + 1, |b| b.clamp(1, head + 1));
    let (rows, next_cursor) = crate::admin::audit::newest_first(&*app.store, &filter, start, limit).await?;
    let next = next_cursor.map(|b| {
        let query = [text.to_query(), format!("limit={limit}"), format!("before={b}")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        format!("/admin/api/v1/audit/events?{query}")
    });
    let events = rows.into_iter().map(EventView::from).collect();
    Ok(json(StatusCode::OK, &EventList { events, next_cursor, next }))
}

/// One event by its sequence number.
#[utoipa::path(get, path = "/admin/api/v1/audit/events/{seq}", tag = "audit", params(("seq" = i64, Path)),
    responses((status = 200, body = EventView), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(seq): Path<String>,
) -> Result<Response, ApiError> {
    caller(&app, &headers, Section::Audit, false).await?;
    let seq = seq.parse::<i64>().ok().filter(|s| *s > 0).ok_or(ApiError::NotFound)?;
    let row =
        app.store.audit_records(seq - 1, 1).await?.into_iter().find(|r| r.seq == seq).ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &EventView::from(row)))
}
