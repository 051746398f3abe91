//! `GET /admin/audit/export.jsonl` and `export.csv`: the events of the console's
//! filter, oldest first, read in batches and streamed as they are read. The set is
//! the log up to its head when the download began.

use super::AdminError;
use super::audit::{bad_filter_text, staff_audit};
use crate::app::App;
use crate::audit::AuditRecord;
use crate::audit::search::{Filter, FilterText, json_line};
use crate::store::Store;
use crate::web::error_page::PageError;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Rows read at a time.
const BATCH: i64 = 1000;

/// The CSV's header.
pub const CSV_HEADER: &str = "seq,at,kind,client,account,jti,hash\r\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Csv,
}

/// GET /admin/audit/export.jsonl
pub async fn jsonl(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AdminError> {
    export(app, headers, q, Format::Jsonl).await
}

/// GET /admin/audit/export.csv
pub async fn csv(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AdminError> {
    export(app, headers, q, Format::Csv).await
}

async fn export(app: Arc<App>, headers: HeaderMap, q: Option<String>, format: Format) -> Result<Response, AdminError> {
    let text = FilterText::from_query(q.as_deref().unwrap_or_default());
    let here = match format {
        Format::Jsonl => "/admin/audit/export.jsonl",
        Format::Csv => "/admin/audit/export.csv",
    };
    staff_audit(&app, &headers, &format!("{here}?{}", text.to_query())).await?;
    let filter = text.parse().map_err(|bad| PageError::bad_request(bad_filter_text(bad)))?;
    let (head, _) = app.store.audit_head().await?;
    let store = app.store.clone();
    let first = match format {
        Format::Jsonl => String::new(),
        Format::Csv => CSV_HEADER.to_owned(),
    };
    let state = Some((store, filter, 0i64, first));
    let chunks = futures_util::stream::unfold(state, move |state| async move {
        let (store, filter, after, first) = state?;
        match batch(&*store, &filter, after, head, format).await {
            Ok((text, next)) => {
                let chunk = first + &text;
                Some((Ok::<_, std::io::Error>(chunk), next.map(|n| (store, filter, n, String::new()))))
            }
            Err(e) => {
                tracing::error!(error = %e, "audit export failed");
                Some((Err(std::io::Error::other("audit export failed")), None))
            }
        }
    });
    let (content_type, name) = match format {
        Format::Jsonl => ("application/x-ndjson", "audit.jsonl"),
        Format::Csv => ("text/csv; charset=utf-8", "audit.csv"),
    };
    let mut res = Body::from_stream(chunks).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The matching rows after `after` up to `head`, formatted; and where to go on, if anywhere.
async fn batch(
    store: &dyn Store,
    filter: &Filter,
    after: i64,
    head: i64,
    format: Format,
) -> crate::store::StoreResult<(String, Option<i64>)> {
    let rows = store.audit_records(after, BATCH).await?;
    let mut out = String::new();
    for row in rows.iter().filter(|r| r.seq <= head && filter.matches(r)) {
        match format {
            Format::Jsonl => out.push_str(&json_line(row)),
            Format::Csv => out.push_str(&csv_line(row)),
        }
        out.push_str(if format == Format::Csv { "\r\n" } else { "\n" });
    }
    let next = rows
        .last()
        .map(|r| r.seq)
        .filter(|&last| last < head && rows.len() == usize::try_from(BATCH).unwrap_or(usize::MAX));
    Ok((out, next))
}

/// The ids an event names: its client, its account (as account, staff member or
/// subject) and its token id.
pub fn ids(row: &AuditRecord) -> [String; 3] {
    let event: serde_json::Value = serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null);
    let field = |names: &[&str]| {
        names.iter().find_map(|n| event.get(*n).and_then(|v| v.as_str())).unwrap_or_default().to_owned()
    };
    [field(&["client_id"]), field(&["account_id", "staff_id", "subject"]), field(&["token_id"])]
}

/// One CSV line (without its end): seq, at (RFC 3339), kind, client, account, jti, hash.
pub fn csv_line(row: &AuditRecord) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(row.at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| row.at.to_string());
    let [client, account, jti] = ids(row);
    [row.seq.to_string(), at, row.kind.clone(), client, account, jti, row.hash.clone()]
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// A CSV field: a value a spreadsheet would take for a formula (`=`, `+`, `-`, `@`,
/// a tab or a carriage return first) gets a `'` before it; a value with a comma, a
/// quote or a line end is quoted, its quotes doubled.
pub fn csv_field(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("token_issued"), "token_issued");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn a_csv_line_names_the_ids() {
        let row = AuditRecord {
            seq: 7,
            at: 86_400,
            kind: "token_issued".into(),
            data: r#"{"kind":"token_issued","client_id":"=cmd","subject":"acc-1","token_id":"j,1"}"#.into(),
            prev_hash: "p".into(),
            hash: "k1:ab".into(),
        };
        assert_eq!(csv_line(&row), "7,1970-01-02T00:00:00Z,token_issued,'=cmd,acc-1,\"j,1\",k1:ab");
    }
}
