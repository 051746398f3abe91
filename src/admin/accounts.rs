//! «Учетные записи» (org-admin of the account's organisation, or system-admin):
//! `GET /admin/accounts?q=…` (search by name or login, at most [`LIMIT`] accounts)
//! and `GET /admin/accounts/{id}` (its ESIA links, live sessions, live grants per
//! client and the actions of [`super::account_actions`]). Another organisation's
//! account is answered exactly like a missing one ([`account_of`], AB-05).

use super::{AdminError, Section, Staff, roles, staff_in};
use crate::account::names::full_name;
use crate::account::names_key::search_words;
use crate::app::App;
use crate::store::console::AccountSearch;
use crate::store::links::LinkMethod;
use crate::store::{Account, StoreResult};
use crate::web::account_pages::{AccountPage, AccountRow, AccountsPage, ClientGrants, LinkRow, SessionRow};
use crate::web::admin_pages::date_time;
use crate::web::error_page::PageError;
use crate::web::{cookie, pages};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

/// The most accounts one search shows.
pub const LIMIT: i64 = 50;

/// The shortest query of a search of every organisation (a system admin), characters.
pub const MIN_QUERY_EVERYONE: usize = 2;

/// The path of an account's page, percent-encoded.
pub fn account_path(id: &str) -> String {
    format!("/admin/accounts/{}", url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>())
}

/// What a search query asks the store for (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Name words (each a prefix of a word of the name) or a login prefix.
    Search { words: Vec<String>, login: String },
    /// No query: an organisation's first accounts by name.
    Browse,
    /// Too short to search every organisation.
    TooShort,
    /// Nothing the query could match (only punctuation).
    Nothing,
}

/// The plan of query `q`; `everyone`: the searcher administers every organisation.
pub fn plan(q: &str, everyone: bool) -> Plan {
    let q = q.trim();
    if q.is_empty() {
        return if everyone { Plan::TooShort } else { Plan::Browse };
    }
    if everyone && q.chars().count() < MIN_QUERY_EVERYONE {
        return Plan::TooShort;
    }
    let words = search_words(q);
    let is_login = q.chars().all(|c| c.is_ascii_graphic());
    let login = if is_login { q.to_ascii_lowercase() } else { String::new() };
    if words.is_empty() && login.is_empty() {
        return Plan::Nothing;
    }
    Plan::Search { words, login }
}

/// The account `id` if the staff member administers its organisation; a missing
/// account and another organisation's are the same 404 (AB-05).
pub async fn account_of(app: &App, staff: &Staff, id: &str) -> Result<Account, AdminError> {
    Ok(app
        .store
        .account(id)
        .await?
        .filter(|a| roles::administers(&staff.roles, &a.organisation_id))
        .ok_or_else(PageError::not_found)?)
}

pub(super) async fn organisation_names(app: &App) -> StoreResult<HashMap<String, String>> {
    Ok(app.store.organisations().await?.into_iter().map(|o| (o.id, o.name)).collect())
}

fn query_of(raw: &str) -> String {
    url::form_urlencoded::parse(raw.as_bytes()).find(|(n, _)| n == "q").map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// GET /admin/accounts
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let q = query_of(raw.as_deref().unwrap_or_default());
    let here = format!("/admin/accounts?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
    let staff = staff_in(&app, &headers, &here, Section::Accounts).await?;
    let organisations = roles::administered(&staff.roles);
    let (words, login, hint) = match plan(&q, organisations.is_none()) {
        Plan::Search { words, login } => (words, login, None),
        Plan::Browse => (Vec::new(), String::new(), None),
        Plan::TooShort => (
            Vec::new(),
            String::new(),
            Some(format!("Введите не менее {MIN_QUERY_EVERYONE} символов фамилии, имени или логина.")),
        ),
        Plan::Nothing => (Vec::new(), String::new(), Some("Введите фамилию, имя или логин.".to_owned())),
    };
    let found = if hint.is_some() {
        Vec::new()
    } else {
        let search = AccountSearch {
            organisations: organisations.as_deref(),
            words: &words,
            login: &login,
            limit: LIMIT,
            after: None,
        };
        app.store.search_accounts(&search).await?
    };
    let names = organisation_names(&app).await?;
    let limited = found.len() as i64 >= LIMIT;
    let rows = found
        .into_iter()
        .map(|a| AccountRow {
            href: account_path(&a.id),
            name: full_name(&a.surname, &a.given_name, a.patronymic.as_deref()),
            organisation: names.get(&a.organisation_id).cloned().unwrap_or_else(|| a.organisation_id.clone()),
            role: a.role.label(),
            disabled: a.disabled,
            login: a.login,
        })
        .collect();
    Ok(pages::html(&AccountsPage { nav: staff.nav(Section::Accounts), q, rows, hint, limited, limit: LIMIT }))
}

fn method_label(m: LinkMethod) -> &'static str {
    match m {
        LinkMethod::Auto => "автоматически (полное совпадение данных)",
        LinkMethod::Credentials => "по логину и паролю школьной учетной записи",
        LinkMethod::Account => "владельцем в личном кабинете",
        LinkMethod::Staff => "сотрудником по обращению",
    }
}

fn login_label(amr: &str) -> &'static str {
    if amr == "esia" { "через Госуслуги" } else { "по паролю" }
}

/// The notice of a finished action (`?done=…&n=…` after its redirect), in Russian.
pub fn notice(done: &str, n: u64) -> Option<String> {
    Some(match done {
        "unlinked" => format!("Учетная запись портала Госуслуг отвязана (связей: {n})."),
        "sessions" => format!("Сеансы завершены: {n}."),
        "grants" => format!("Доступ отозван: выдач {n}."),
        "disabled" => "Учетная запись отключена: сеансы завершены, доступ отозван.".to_owned(),
        "enabled" => "Учетная запись включена.".to_owned(),
        "self" => "Свою учетную запись отключить нельзя.".to_owned(),
        _ => return None,
    })
}

/// GET /admin/accounts/{id}
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let path = account_path(&id);
    let staff = staff_in(&app, &headers, &path, Section::Accounts).await?;
    let a = account_of(&app, &staff, &id).await?;
    let raw = raw.unwrap_or_default();
    let param =
        |name: &str| url::form_urlencoded::parse(raw.as_bytes()).find(|(n, _)| n == name).map(|(_, v)| v.into_owned());
    let n = param("n").and_then(|n| n.parse().ok()).unwrap_or(0);
    let notice = param("done").and_then(|d| notice(&d, n));
    let links = app
        .store
        .links_of_account(&a.id)
        .await?
        .into_iter()
        .map(|l| LinkRow { method: method_label(l.method), created: date_time(l.created_at) })
        .collect();
    let sessions = app
        .store
        .sessions_of_account(&a.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            method: login_label(&s.amr),
            started: date_time(s.auth_time),
            expires: date_time(s.expires_at),
        })
        .collect();
    let mut clients: Vec<ClientGrants> = Vec::new();
    for g in app.store.live_grants_of_account(&a.id).await? {
        match clients.last_mut() {
            Some(c) if c.client_id == g.client_id => c.grants += 1,
            _ => {
                let name = app.store.client(&g.client_id).await?.and_then(|c| c.display_name).unwrap_or_default();
                clients.push(ClientGrants {
                    client_id: g.client_id,
                    name,
                    grants: 1,
                    scope: g.scope,
                    latest: date_time(g.created_at),
                });
            }
        }
    }
    let target_roles = roles::held(&a, &app.store.roles_of(&a.id).await?);
    let organisation = app.store.organisation(&a.organisation_id).await?.map_or(a.organisation_id.clone(), |o| o.name);
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, &headers);
    let page = AccountPage {
        nav: staff.nav(Section::Accounts),
        csrf: app.cookies.csrf_token(&browser_id),
        name: full_name(&a.surname, &a.given_name, a.patronymic.as_deref()),
        login: a.login.clone(),
        organisation,
        role: a.role.label(),
        disabled: a.disabled,
        own: a.id == staff.id,
        may_act: super::account_actions::may_act(&staff.roles, &target_roles),
        links,
        sessions,
        clients,
        notice,
        path,
    };
    let mut res = pages::html(&page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_table() {
        let search = |w: &[&str], l: &str| Plan::Search {
            words: w.iter().map(|s| (*s).to_owned()).collect(),
            login: l.to_owned(),
        };
        let cases = [
            ("", false, Plan::Browse),
            ("  ", true, Plan::TooShort),
            ("и", true, Plan::TooShort),
            ("и", false, search(&["и"], "")),
            ("ИВАНОВА Мар", true, search(&["иванова", "мар"], "")),
            ("Ivanova.M", true, search(&["ivanovam"], "ivanova.m")),
            ("p1", true, search(&["p1"], "p1")),
            ("%_", true, search(&[], "%_")),
            ("«»", true, Plan::Nothing),
        ];
        for (q, everyone, want) in cases {
            assert_eq!(plan(q, everyone), want, "{q:?} {everyone}");
        }
    }

    #[test]
    fn every_done_has_a_notice() {
        for done in ["unlinked", "sessions", "grants", "disabled", "enabled", "self"] {
            assert!(notice(done, 1).is_some(), "{done}");
        }
        assert_eq!(notice("<script>", 1), None);
        assert_eq!(account_path("a/b"), "/admin/accounts/a%2Fb");
    }
}
