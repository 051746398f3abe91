//! «Аудит» (system-admin): `GET /admin/audit` (the filter of `audit search`, newest
//! first, 50 a page with the cursor `?before=SEQ`), `GET /admin/audit/{seq}` (one event
//! and its place in the chain) and `POST /admin/audit/verify` (the walk of
//! `audit verify` with the running installation's key). Exports: [`super::audit_export`].

use super::audit_export::ids;
use super::{AdminError, Section, Staff, posted_in, staff_in};
use crate::app::App;
use crate::audit::AuditRecord;
use crate::audit::checkpoint::CheckpointMatcher;
use crate::audit::search::{BadTime, Filter, FilterText};
use crate::audit::verify::{self, VerifyError};
use crate::oidc::params::Params;
use crate::web::admin_pages::date_time;
use crate::web::audit_pages::{AuditEventPage, AuditListPage, AuditRow, AuditVerifyPage, FilterField};
use crate::web::error_page::PageError;
use crate::web::{cookie, pages};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

/// Events a page shows.
pub const PAGE: usize = 50;
/// Rows read at a time while looking for a page's events.
const BATCH: i64 = 500;

/// The staff member of an «Аудит» page at `here`.
pub async fn staff_audit(app: &App, headers: &HeaderMap, here: &str) -> Result<Staff, AdminError> {
    staff_in(app, headers, here, Section::Audit).await
}

/// The Russian words for a time the filter could not read.
pub fn bad_filter_text(bad: BadTime) -> &'static str {
    match bad {
        BadTime::Since => "Не удалось прочитать время «С»: укажите дату ГГГГ-ММ-ДД, время RFC 3339 или секунды Unix.",
        BadTime::Until => "Не удалось прочитать время «По»: укажите дату ГГГГ-ММ-ДД, время RFC 3339 или секунды Unix.",
    }
}

/// The path of an event's page.
pub fn event_path(seq: i64) -> String {
    format!("/admin/audit/{seq}")
}

fn fields(t: &FilterText) -> Vec<FilterField> {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    vec![
        FilterField { name: "kind", label: "Событие", value: v(&t.kind), hint: "token_issued" },
        FilterField { name: "client", label: "Клиент", value: v(&t.client), hint: "" },
        FilterField { name: "account", label: "Учетная запись", value: v(&t.account), hint: "" },
        FilterField { name: "org", label: "Организация", value: v(&t.org), hint: "" },
        FilterField { name: "jti", label: "Идентификатор токена (jti)", value: v(&t.jti), hint: "" },
        FilterField {
            name: "request_id",
            label: "Идентификатор запроса (X-Request-Id)",
            value: v(&t.request_id),
            hint: "",
        },
        FilterField { name: "since", label: "С", value: v(&t.since), hint: "ГГГГ-ММ-ДД" },
        FilterField { name: "until", label: "По", value: v(&t.until), hint: "ГГГГ-ММ-ДД" },
    ]
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
}

/// GET /admin/audit
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AdminError> {
    let raw = q.unwrap_or_default();
    let text = FilterText::from_query(&raw);
    let query = text.to_query();
    let staff = staff_audit(&app, &headers, &with_query("/admin/audit", &query)).await?;
    let before = url::form_urlencoded::parse(raw.as_bytes()).find(|(n, _)| n == "before").map(|(_, v)| v.into_owned());
    let parsed = match (text.parse(), before.as_deref().map(str::parse::<i64>)) {
        (Err(bad), _) => Err(bad_filter_text(bad)),
        (_, Some(Err(_))) => Err("Неверная ссылка на страницу журнала."),
        (Ok(f), b) => Ok((f, b.and_then(Result::ok))),
    };
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, &headers);
    let mut page = AuditListPage {
        nav: staff.nav(Section::Audit),
        csrf: app.cookies.csrf_token(&browser_id),
        fields: fields(&text),
        error: None,
        rows: Vec::new(),
        older: None,
        newest: None,
        export_jsonl: with_query("/admin/audit/export.jsonl", &query),
        export_csv: with_query("/admin/audit/export.csv", &query),
    };
    let status = match parsed {
        Err(message) => {
            page.error = Some(message.to_owned());
            StatusCode::BAD_REQUEST
        }
        Ok((filter, before)) => {
            let (head, _) = app.store.audit_head().await?;
            let start = before.map_or(head + 1, |b| b.clamp(1, head + 1));
            let (rows, more) = newest_first(&*app.store, &filter, start, PAGE).await?;
            let cursor = |b: i64| {
                with_query(
                    "/admin/audit",
                    &[query.as_str(), &format!("before={b}")]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join("&"),
                )
            };
            page.older = more.map(cursor);
            page.newest = (start <= head).then(|| with_query("/admin/audit", &query));
            page.rows = rows.iter().map(row_view).collect();
            StatusCode::OK
        }
    };
    let mut res = pages::html_with_status(status, &page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

fn row_view(r: &AuditRecord) -> AuditRow {
    let [client, account, jti] = ids(r);
    AuditRow { seq: r.seq, href: event_path(r.seq), at: date_time(r.at), kind: r.kind.clone(), client, account, jti }
}

/// The newest `limit` events `filter` matches below `before`, read backwards in
/// batches; and the cursor of the next (older) page when there are more (the console's
/// pages and the admin API's).
pub async fn newest_first(
    store: &dyn crate::store::Store,
    filter: &Filter,
    before: i64,
    limit: usize,
) -> crate::store::StoreResult<(Vec<AuditRecord>, Option<i64>)> {
    let mut found = Vec::new();
    let mut hi = before;
    while hi > 1 && found.len() <= limit {
        let lo = (hi - BATCH).max(1);
        let rows = store.audit_records(lo - 1, hi - lo).await?;
        found.extend(rows.into_iter().rev().filter(|r| r.seq >= lo && r.seq < hi && filter.matches(r)));
        hi = lo;
    }
    let more = found.len() > limit;
    found.truncate(limit);
    let cursor = if more { found.last().map(|r| r.seq) } else { None };
    Ok((found, cursor))
}

/// GET /admin/audit/{seq}
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(seq): Path<String>,
) -> Result<Response, AdminError> {
    let staff = staff_audit(
        &app,
        &headers,
        &format!("/admin/audit/{}", url::form_urlencoded::byte_serialize(seq.as_bytes()).collect::<String>()),
    )
    .await?;
    let seq = seq.parse::<i64>().ok().filter(|s| *s > 0).ok_or_else(PageError::not_found)?;
    let row = app
        .store
        .audit_records(seq - 1, 1)
        .await?
        .into_iter()
        .find(|r| r.seq == seq)
        .ok_or_else(PageError::not_found)?;
    let (head, _) = app.store.audit_head().await?;
    let json = serde_json::from_str::<serde_json::Value>(&row.data)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| row.data.clone());
    let page = AuditEventPage {
        nav: staff.nav(Section::Audit),
        seq,
        at: date_time(row.at),
        kind: row.kind,
        json,
        prev_hash: row.prev_hash,
        hash: row.hash,
        prev: (seq > 1).then(|| event_path(seq - 1)),
        next: (seq < head).then(|| event_path(seq + 1)),
    };
    Ok(pages::html(&page))
}

/// POST /admin/audit/verify («Проверить цепочку»)
pub async fn verify(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, AdminError> {
    let form = Params::parse(&body);
    let staff = posted_in(&app, &headers, &form, "/admin/audit", Section::Audit).await?;
    let mut page = AuditVerifyPage {
        nav: staff.nav(Section::Audit),
        intact: false,
        rows: 0,
        unkeyed: 0,
        pruned_upto: None,
        broken: None,
        reason: String::new(),
    };
    match verify::walk(&*app.store, &app.audit_key, CheckpointMatcher::default()).await {
        Ok(r) => {
            page.intact = true;
            page.rows = r.rows;
            page.unkeyed = r.unkeyed;
            page.pruned_upto = r.pruned_upto;
        }
        Err(VerifyError::Store(e)) => return Err(e.into()),
        Err(e) => {
            if let VerifyError::Chain(c) = &e {
                page.broken = Some((c.seq(), event_path(c.seq())));
            }
            page.reason = e.to_string();
        }
    }
    Ok(pages::html(&page))
}
