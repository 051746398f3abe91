//! `GET /admin/requests` («Обращения»: the staff member's organisation's requests,
//! filtered by status) and `GET /admin/requests/{number}` (one request: the ESIA data
//! beside the nearest directory accounts, field by field, with the actions; when none
//! is similar, `?q=…` searches the organisation's accounts as «Учетные записи» does).

use super::review::{self, KnownChild};
use super::{AdminError, request_of, request_path, staff};
use crate::account::names::full_name;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::store::console::AccountSearch;
use crate::store::requests::{AccessRequest, RequestStatus};
use crate::store::{Account, Role};
use crate::web::admin_pages::{
    CandidateView, FilterLink, InfoLine, OrgLink, OutcomeView, RequestPage, RequestRow, RequestsPage, age_label,
    date_time,
};
use crate::web::pages::russian_date;
use crate::web::{cookie, pages};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

/// How many requests the list shows.
const LIST_LIMIT: i64 = 200;
/// How many accounts of one role are compared with a request.
const CANDIDATE_POOL: i64 = 2000;
/// Candidates whose children are looked at (the best by their own data).
const CHILD_CHECKS: usize = 20;
/// Candidates shown.
const SHOWN: usize = 5;
/// Accounts a search of the request page shows.
const FOUND: i64 = 10;

#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    /// The organisation listed (one the staff member reviews); default: their own,
    /// else the first they review.
    pub org: Option<String>,
}

/// The filters: `open` (default), `resolved`, `rejected`, `all`.
fn filter_of(q: Option<&str>) -> (&'static str, Option<RequestStatus>) {
    match q {
        Some("all") => ("all", None),
        Some(s) => match RequestStatus::parse(s) {
            Some(st) => (st.as_str(), Some(st)),
            None => ("open", Some(RequestStatus::Open)),
        },
        None => ("open", Some(RequestStatus::Open)),
    }
}

/// A CSS class per status.
pub fn status_class(s: RequestStatus) -> &'static str {
    s.as_str()
}

/// GET /admin/requests
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, AdminError> {
    let staff = staff(&app, &headers, super::QUEUE).await?;
    let (current, status) = filter_of(q.status.as_deref());
    let reviewed: Vec<_> = app.store.organisations().await?.into_iter().filter(|o| staff.reviews(&o.id)).collect();
    let listed = q
        .org
        .as_deref()
        .and_then(|id| reviewed.iter().find(|o| o.id == id))
        .or_else(|| reviewed.iter().find(|o| o.id == staff.organisation_id))
        .or_else(|| reviewed.first())
        .ok_or_else(crate::web::error_page::PageError::not_found)?;
    let org_id = listed.id.clone();
    let org = listed.name.clone();
    let organisations = reviewed
        .iter()
        .map(|o| OrgLink {
            label: o.name.clone(),
            href: format!("/admin/requests?status={current}&org={}", url_part(&o.id)),
            current: o.id == org_id,
        })
        .collect();
    let classes = class_names(&app, &org_id).await?;
    let now = app.clock.now();
    let rows = app
        .store
        .requests_of_organisation(&org_id, status, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|r| {
            let class = r.class_id.as_ref().and_then(|c| classes.get(c));
            RequestRow {
                href: request_path(&r.number),
                person: full_name(&r.surname, &r.given_name, r.patronymic.as_deref()),
                role: r.role.label().to_owned(),
                place: match class {
                    Some(c) => format!("{org}, {c}"),
                    None => org.clone(),
                },
                status: r.status.label(),
                status_class: status_class(r.status),
                age: age_label(now - r.created_at),
                number: r.number,
            }
        })
        .collect();
    let filters = [("open", "Новые"), ("resolved", "Решённые"), ("rejected", "Отклонённые"), ("all", "Все")]
        .into_iter()
        .map(|(key, label)| FilterLink {
            label,
            href: format!("/admin/requests?status={key}&org={}", url_part(&org_id)),
            current: key == current,
        })
        .collect();
    let page = RequestsPage {
        nav: staff.nav(super::Section::Requests),
        staff_name: full_name(&staff.surname, &staff.given_name, staff.patronymic.as_deref()),
        organisation: org,
        organisations,
        filters,
        rows,
    };
    Ok(pages::html(&page))
}

fn url_part(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn class_names(app: &App, organisation_id: &str) -> Result<HashMap<String, String>, AdminError> {
    Ok(app.store.classes(organisation_id).await?.into_iter().map(|c| (c.id, c.name)).collect())
}

/// GET /admin/requests/{number} — writes who looked (`request_viewed`).
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(number): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let staff = staff(&app, &headers, &request_path(&number)).await?;
    let req = request_of(&app, &staff, &number).await?;
    app.store
        .append_audit(&AuditEvent::RequestViewed { number: req.number.clone(), staff_id: staff.id.clone() })
        .await?;
    let classes = class_names(&app, &req.organisation_id).await?;
    let req_class = req.class_id.as_ref().and_then(|c| classes.get(c)).map(String::as_str);
    let view = |acc: Account, score: u32| {
        let acc_class = acc.class_id.as_ref().and_then(|c| classes.get(c)).map(String::as_str);
        let rows = review::compare(&req, req_class, &acc, acc_class);
        let warnings = super::decide::staff_warnings(&app, &req, &acc).iter().map(|d| d.warning()).collect();
        CandidateView {
            warnings,
            correctable: !review::changed_fields(&req, &acc).is_empty() && req.birth_date.is_some(),
            account_id: acc.id,
            login: acc.login,
            score,
            rows,
        }
    };
    let open = req.status == RequestStatus::Open;
    let candidates: Vec<CandidateView> = if open {
        candidates(&app, &req).await?.into_iter().map(|(acc, score)| view(acc, score)).collect()
    } else {
        Vec::new()
    };
    // No similar account: staff may search the organisation's accounts by name or login.
    let search = (open && candidates.is_empty()).then(|| query_param(raw.as_deref().unwrap_or_default(), "q"));
    let found = match search.as_deref() {
        Some(q) if !q.trim().is_empty() => found_by(&app, &req, q).await?.into_iter().map(|acc| view(acc, 0)).collect(),
        _ => Vec::new(),
    };
    let outcome = outcome(&app, &req).await?;
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, &headers);
    let page = RequestPage {
        nav: staff.nav(super::Section::Requests),
        csrf: app.cookies.csrf_token(&browser_id),
        path: request_path(&req.number),
        status: req.status.label(),
        status_class: status_class(req.status),
        open,
        esia: esia_lines(&req, req_class),
        declared: declared_lines(&req),
        candidates,
        search,
        found,
        outcome,
        number: req.number,
    };
    let mut res = pages::html(&page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// The ESIA data of the request, as staff read it.
fn esia_lines(req: &AccessRequest, class: Option<&str>) -> Vec<InfoLine> {
    let mut lines = vec![
        InfoLine { label: "ФИО", value: full_name(&req.surname, &req.given_name, req.patronymic.as_deref()) },
        InfoLine {
            label: "Дата рождения", value: req.birth_date.as_deref().map(russian_date).unwrap_or_default()
        },
        InfoLine {
            label: "Email",
            value: if req.email_from_esia {
                format!("{} (из Госуслуг)", req.email)
            } else {
                format!("{} (подтвержден кодом)", req.email)
            },
        },
        InfoLine { label: "Роль", value: req.role.label().to_owned() },
    ];
    if let Some(c) = req.child.as_ref().filter(|c| c.from_esia) {
        lines.push(child_line(c));
    }
    if let Some(c) = class {
        lines.push(InfoLine { label: "Класс", value: c.to_owned() });
    }
    lines.push(InfoLine { label: "Создано", value: date_time(req.created_at) });
    lines
}

/// «Указано заявителем»: what the person typed — a child ESIA does not list, the
/// comment. Shown apart from the ESIA data and never used for ranking.
fn declared_lines(req: &AccessRequest) -> Vec<InfoLine> {
    let mut lines = Vec::new();
    if let Some(c) = req.child.as_ref().filter(|c| !c.from_esia) {
        lines.push(child_line(c));
    }
    if let Some(c) = req.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        lines.push(InfoLine { label: "Комментарий", value: c.to_owned() });
    }
    lines
}

fn child_line(c: &crate::store::requests::RequestChild) -> InfoLine {
    let born = c.birth_date.as_deref().map(|d| format!(", {}", russian_date(d))).unwrap_or_default();
    InfoLine {
        label: "Ребенок",
        value: format!("{}{born}", full_name(&c.surname, &c.given_name, c.patronymic.as_deref())),
    }
}

/// The nearest accounts of the request's organisation and role: ranked by the
/// person's own data, then (parents) by the request's child among their children.
async fn candidates(app: &App, req: &AccessRequest) -> Result<Vec<(Account, u32)>, AdminError> {
    let accounts = app.store.accounts_of_organisation(&req.organisation_id, req.role, CANDIDATE_POOL).await?;
    let scored = accounts.into_iter().map(|a| {
        let s = review::person_score(req, &a);
        (a, s)
    });
    let mut best = review::top(scored.collect(), CHILD_CHECKS);
    // Only a child ESIA lists counts: a typed one is the requester's word.
    if req.role == Role::Parent
        && let Some(child) = req.child.as_ref().filter(|c| c.from_esia)
    {
        for (acc, score) in &mut best {
            let mut known = Vec::new();
            for rel in app.store.children(&acc.id).await? {
                if let Some(kid) = app.store.account(&rel.child_id).await? {
                    known.push(KnownChild::from(&kid));
                }
            }
            *score += review::child_score(child, &known);
        }
    }
    Ok(review::top(best, SHOWN))
}

fn query_param(raw: &str, name: &str) -> String {
    url::form_urlencoded::parse(raw.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The request's organisation's accounts of its role that query `q` finds (the search
/// of «Учетные записи»: name words or a login prefix).
async fn found_by(app: &App, req: &AccessRequest, q: &str) -> Result<Vec<Account>, AdminError> {
    let super::accounts::Plan::Search { words, login } = super::accounts::plan(q, false) else {
        return Ok(Vec::new());
    };
    let orgs = [req.organisation_id.clone()];
    let search = AccountSearch { organisations: Some(&orgs), words: &words, login: &login, limit: FOUND, after: None };
    Ok(app.store.search_accounts(&search).await?.into_iter().filter(|a| a.role == req.role).collect())
}

/// How a decided request ended, who decided and when.
async fn outcome(app: &App, req: &AccessRequest) -> Result<Option<OutcomeView>, AdminError> {
    if req.status == RequestStatus::Open {
        return Ok(None);
    }
    let by = match &req.decided_by {
        Some(id) => app
            .store
            .account(id)
            .await?
            .map(|a| format!("{} ({})", full_name(&a.surname, &a.given_name, a.patronymic.as_deref()), a.login))
            .unwrap_or_default(),
        None => String::new(),
    };
    let text = match (req.status, &req.account_id) {
        (RequestStatus::Resolved, Some(id)) => match app.store.account(id).await? {
            Some(a) => format!("Решено: вход через Госуслуги связан с учетной записью {}", a.login),
            None => "Решено".to_owned(),
        },
        (RequestStatus::Rejected, _) => "Отклонено".to_owned(),
        _ => req.status.label().to_owned(),
    };
    Ok(Some(OutcomeView {
        text,
        by,
        at: req.decided_at.map(date_time).unwrap_or_default(),
        reason: req.reason.clone(),
    }))
}
