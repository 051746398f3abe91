//! Page view structs of the console's «Учетные записи» (templates in
//! `templates/admin/accounts/`).

use crate::admin::console::NavLink;
use askama::Template;

/// One account found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub href: String,
    /// «Фамилия Имя Отчество».
    pub name: String,
    pub login: String,
    pub organisation: String,
    /// «Родитель», «Ученик», «Сотрудник».
    pub role: &'static str,
    pub disabled: bool,
}

/// `GET /admin/accounts?q=…`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/accounts/list.html")]
pub struct AccountsPage {
    pub nav: Vec<NavLink>,
    pub q: String,
    pub rows: Vec<AccountRow>,
    /// Why nothing was searched (a query too short), in Russian.
    pub hint: Option<String>,
    /// As many rows as the limit: there may be more.
    pub limited: bool,
    pub limit: i64,
}

/// One ESIA link of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    /// How it came to be, in Russian.
    pub method: &'static str,
    pub created: String,
}

/// One live session (never its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// «по паролю» or «через Госуслуги».
    pub method: &'static str,
    pub started: String,
    pub expires: String,
}

/// The live grants of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGrants {
    pub client_id: String,
    /// The client's display name (empty when it has none).
    pub name: String,
    pub grants: usize,
    /// The scope of the newest grant.
    pub scope: String,
    /// When the newest grant was issued.
    pub latest: String,
}

/// `GET /admin/accounts/{id}`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/accounts/show.html")]
pub struct AccountPage {
    pub nav: Vec<NavLink>,
    pub csrf: String,
    /// The account's path (the forms post below it).
    pub path: String,
    pub name: String,
    pub login: String,
    pub organisation: String,
    pub role: &'static str,
    pub disabled: bool,
    /// The staff member's own account (it cannot be disabled from here).
    pub own: bool,
    /// The actions are offered (`admin::account_actions::may_act`).
    pub may_act: bool,
    pub links: Vec<LinkRow>,
    pub sessions: Vec<SessionRow>,
    pub clients: Vec<ClientGrants>,
    /// What the last action did, in Russian.
    pub notice: Option<String>,
}
