//! Page view structs of the console's «Аудит» (templates in `templates/admin/audit/`):
//! the filtered list, one event with its place in the chain, the chain's check.

use crate::admin::console::NavLink;
use askama::Template;

/// One field of the filter form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub hint: &'static str,
}

/// One event of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub href: String,
    pub at: String,
    pub kind: String,
    pub client: String,
    pub account: String,
    pub jti: String,
}

/// `GET /admin/audit`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/audit/list.html")]
pub struct AuditListPage {
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub fields: Vec<FilterField>,
    /// A filter value that could not be read (the page answers 400).
    pub error: Option<String>,
    pub rows: Vec<AuditRow>,
    /// The next (older) page, when there is one.
    pub older: Option<String>,
    /// The first page, when this is not it.
    pub newest: Option<String>,
    pub export_jsonl: String,
    pub export_csv: String,
}

/// `GET /admin/audit/{seq}`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/audit/event.html")]
pub struct AuditEventPage {
    pub nav: Vec<NavLink>,
    pub seq: i64,
    pub at: String,
    pub kind: String,
    /// The event's JSON, pretty-printed (escaped by the template).
    pub json: String,
    pub prev_hash: String,
    pub hash: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// `POST /admin/audit/verify`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/audit/verify.html")]
pub struct AuditVerifyPage {
    pub nav: Vec<NavLink>,
    pub intact: bool,
    /// Rows verified (of an intact chain).
    pub rows: usize,
    /// Of them, rows written before the chain was keyed.
    pub unkeyed: usize,
    /// Rows up to this one were removed by `audit prune`: the walk began at its anchor.
    pub pruned_upto: Option<i64>,
    /// The first row that does not hold, with its page.
    pub broken: Option<(i64, String)>,
    /// Why, in the words of `audit verify`.
    pub reason: String,
}
