//! The PD-consent ledger of an account (read-only, «Учетные записи»):
//! `GET /admin/accounts/{id}/pd` — for every ESIA person linked to the account now or
//! unlinked from it before, the consent to the processing of personal data given at
//! the ESIA step (text version, what it covers, when, from which address) and the
//! records of the deletion of that person's data. Another organisation's account is a
//! 404 ([`super::accounts::account_of`], AB-05).

use super::accounts::{account_of, account_path};
use super::{AdminError, Section, staff_in};
use crate::account::names::full_name;
use crate::app::App;
use crate::flow::pd_consent::data_items;
use crate::store::StoreResult;
use crate::store::links::PdDeletion;
use crate::web::admin_pages::date_time;
use crate::web::consent_pages::{PdDeletionRow, PdGiven, PdLedgerPage, PdPerson};
use crate::web::pages;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// The path of an account's ledger.
pub fn ledger_path(account_id: &str) -> String {
    format!("{}/pd", account_path(account_id))
}

/// A deletion's reason, in Russian.
pub fn reason_label(reason: &str) -> String {
    match reason {
        "unlinked" => "учетная запись Госуслуг отвязана".to_owned(),
        "consent_revoked" => "согласие отозвано".to_owned(),
        "left_without_account" => "вход не завершен: учетная запись не найдена".to_owned(),
        other => other.to_owned(),
    }
}

/// A deleted category, in Russian.
pub fn category_label(category: &str) -> String {
    match category {
        "pd_consent" => "согласие".to_owned(),
        "esia_profile" => "данные из Госуслуг".to_owned(),
        "default_accounts" => "выбор учетной записи".to_owned(),
        other => other.to_owned(),
    }
}

fn deletion_row(d: PdDeletion) -> PdDeletionRow {
    PdDeletionRow {
        reason: reason_label(&d.reason),
        categories: d.categories.iter().map(|c| category_label(c)).collect::<Vec<_>>().join(", "),
        deleted: date_time(d.deleted_at),
        keep_until: date_time(d.keep_until),
    }
}

async fn person(app: &App, issuer: &str, subject: &str, linked: bool) -> StoreResult<PdPerson> {
    let consent = app.store.pd_consent(issuer, subject).await?.map(|c| PdGiven {
        text_version: c.text_version,
        given: date_time(c.given_at),
        ip: c.ip,
    });
    let deletions = app.store.pd_deletions(issuer, subject).await?.into_iter().map(deletion_row).collect();
    Ok(PdPerson { subject: subject.to_owned(), linked, consent, deletions })
}

/// GET /admin/accounts/{id}/pd
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let staff = staff_in(&app, &headers, &ledger_path(&id), Section::Accounts).await?;
    let a = account_of(&app, &staff, &id).await?;
    let mut persons = Vec::new();
    let mut seen = Vec::new();
    for l in app.store.links_of_account(&a.id).await? {
        if !seen.contains(&(l.issuer.clone(), l.subject.clone())) {
            persons.push(person(&app, &l.issuer, &l.subject, true).await?);
            seen.push((l.issuer, l.subject));
        }
    }
    for (issuer, subject) in app.store.unlinked_persons(&a.id).await? {
        if !seen.contains(&(issuer.clone(), subject.clone())) {
            persons.push(person(&app, &issuer, &subject, false).await?);
            seen.push((issuer, subject));
        }
    }
    Ok(pages::html(&PdLedgerPage {
        nav: staff.nav(Section::Accounts),
        account_path: account_path(&a.id),
        name: full_name(&a.surname, &a.given_name, a.patronymic.as_deref()),
        login: a.login.clone(),
        items: data_items(a.role),
        persons,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_and_category_is_in_russian() {
        for r in ["unlinked", "consent_revoked", "left_without_account"] {
            assert!(!reason_label(r).is_ascii(), "{r}");
        }
        for c in crate::store::links::PD_CATEGORIES {
            assert!(!category_label(c).is_ascii(), "{c}");
        }
        assert_eq!(reason_label("other"), "other");
    }

    #[test]
    fn the_ledger_is_below_the_account() {
        assert_eq!(ledger_path("acc 1"), "/admin/accounts/acc+1/pd");
    }
}
