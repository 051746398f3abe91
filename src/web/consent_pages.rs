//! Page view structs of the console's consents per client
//! (`templates/admin/clients/consents.html`) and the PD-consent ledger of an account
//! (`templates/admin/accounts/pd.html`).

use crate::admin::console::NavLink;
use askama::Template;

/// One account's consent to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub account_id: String,
    /// The account's page in «Учетные записи».
    pub href: String,
    pub login: String,
    /// «Фамилия Имя Отчество».
    pub name: String,
    pub organisation: String,
    pub scope: String,
    pub granted: String,
}

/// `GET /admin/clients/{id}/consents`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/clients/consents.html")]
pub struct ClientConsentsPage {
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub id: String,
    pub client_path: String,
    /// This page's path (the forms post below it).
    pub path: String,
    /// The first page (no `after`).
    pub first: bool,
    pub rows: Vec<ConsentRow>,
    /// The next page's address, when there are more.
    pub next: Option<String>,
    /// What the last revocation did, in Russian.
    pub notice: Option<String>,
}

/// A recorded PD consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdGiven {
    pub text_version: String,
    pub given: String,
    pub ip: String,
}

/// A deletion record of the person's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdDeletionRow {
    /// Why, in Russian.
    pub reason: String,
    /// What was deleted, in Russian.
    pub categories: String,
    pub deleted: String,
    pub keep_until: String,
}

/// One ESIA person linked to the account now or before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdPerson {
    /// The ESIA subject (the person's id at Госуслуги).
    pub subject: String,
    /// Linked now (otherwise unlinked by the owner or an administrator).
    pub linked: bool,
    pub consent: Option<PdGiven>,
    pub deletions: Vec<PdDeletionRow>,
}

/// `GET /admin/accounts/{id}/pd`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/accounts/pd.html")]
pub struct PdLedgerPage {
    pub nav: Vec<NavLink>,
    pub account_path: String,
    pub name: String,
    pub login: String,
    /// What the consent covers for the account's role («ФИО», «СНИЛС», …).
    pub items: Vec<&'static str>,
    pub persons: Vec<PdPerson>,
}
