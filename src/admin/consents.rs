//! The consents given to one client (system-admin, «Клиенты»):
//! `GET /admin/clients/{id}/consents` (who consented, [`PAGE`] a page, by account id),
//! `POST …/consents/revoke` (one account's consent) and `POST …/consents/revoke-all`
//! (every consent, with a confirmation checkbox). A revocation is the owner's own at
//! `/account` ([`crate::store::GrantStore::revoke_consent`]: the consent, its grants and
//! refresh families and the client's back-channel logout notices in one transaction),
//! audited with the acting admin (`by`); «all» is a bounded loop of that operation.

use super::accounts::{account_path, organisation_names};
use super::clients::{client_of, client_path};
use super::{AdminError, Section, posted_in, staff_in};
use crate::account::names::full_name;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::oidc::params::Params;
use crate::store::StoreResult;
use crate::web::admin_pages::date_time;
use crate::web::consent_pages::{ClientConsentsPage, ConsentRow};
use crate::web::error_page::PageError;
use crate::web::{cookie, pages, redirect};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::sync::Arc;

/// Consents on one page.
pub const PAGE: i64 = 50;

/// The most pages «Отозвать все» goes through in one request (then it says how many
/// are left to revoke by pressing it again).
pub const MAX_ROUNDS: usize = 40;

/// The path of a client's consents page.
pub fn consents_path(client_id: &str) -> String {
    format!("{}/consents", client_path(client_id))
}

/// The notice of a finished revocation (`?done=…&n=…`), in Russian.
pub fn notice(done: &str, n: u64) -> Option<String> {
    Some(match done {
        "one" => "Согласие отозвано: доступ приложения к учетной записи прекращен.".to_owned(),
        "all" => format!("Отозвано согласий: {n}."),
        "more" => format!("Отозвано согласий: {n}. Остались еще — нажмите «Отозвать все» снова."),
        "unconfirmed" => "Отметьте подтверждение, чтобы отозвать все согласия.".to_owned(),
        _ => return None,
    })
}

fn param(raw: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.as_bytes()).find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}

/// GET /admin/clients/{id}/consents?after=…
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AdminError> {
    let path = consents_path(&id);
    let staff = staff_in(&app, &headers, &path, Section::Clients).await?;
    let client = client_of(&app, &id).await?;
    let raw = raw.unwrap_or_default();
    let after = param(&raw, "after").filter(|a| !a.is_empty());
    let n = param(&raw, "n").and_then(|n| n.parse().ok()).unwrap_or(0);
    let consents = app.store.consents_of_client(&id, after.as_deref(), PAGE + 1).await?;
    let more = consents.len() as i64 > PAGE;
    let orgs = organisation_names(&app).await?;
    let mut rows = Vec::new();
    for c in consents.into_iter().take(PAGE as usize) {
        let account = app.store.account(&c.account_id).await?;
        let (login, name, organisation) = match &account {
            Some(a) => (
                a.login.clone(),
                full_name(&a.surname, &a.given_name, a.patronymic.as_deref()),
                orgs.get(&a.organisation_id).cloned().unwrap_or_else(|| a.organisation_id.clone()),
            ),
            None => (String::new(), "(учетная запись удалена)".to_owned(), String::new()),
        };
        rows.push(ConsentRow {
            href: account_path(&c.account_id),
            account_id: c.account_id,
            login,
            name,
            organisation,
            scope: c.scope,
            granted: date_time(c.granted_at),
        });
    }
    let next = more.then(|| rows.last().map(|r| pages_after(&path, &r.account_id))).flatten();
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, &headers);
    let page = ClientConsentsPage {
        nav: staff.nav(Section::Clients),
        csrf: app.cookies.csrf_token(&browser_id),
        id: client.id.clone(),
        client_path: client_path(&client.id),
        path,
        first: after.is_none(),
        rows,
        next,
        notice: param(&raw, "done").and_then(|d| notice(&d, n)),
    };
    let mut res = pages::html(&page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

fn pages_after(path: &str, account_id: &str) -> String {
    format!("{path}?after={}", url::form_urlencoded::byte_serialize(account_id.as_bytes()).collect::<String>())
}

fn back(client_id: &str, done: &str, n: u64) -> Response {
    redirect::redirect(&format!("{}?done={done}&n={n}", consents_path(client_id)), true, &[])
}

/// Revokes one account's consent to the client as its owner would, audited with `by`.
pub async fn revoke_one(app: &App, by: &str, account_id: &str, client_id: &str) -> StoreResult<()> {
    let event = AuditEvent::ConsentRevoked {
        account_id: account_id.to_owned(),
        client_id: client_id.to_owned(),
        by: Some(by.to_owned()),
    };
    app.store.revoke_consent(account_id, client_id, &event).await
}

/// Revokes every consent to the client, a page at a time, at most [`MAX_ROUNDS`]
/// pages; each revocation is its own atomic operation. Returns how many were revoked
/// and whether some are left.
pub async fn revoke_all(app: &App, by: &str, client_id: &str) -> StoreResult<(u64, bool)> {
    let mut n = 0;
    for _ in 0..MAX_ROUNDS {
        let page = app.store.consents_of_client(client_id, None, PAGE).await?;
        if page.is_empty() {
            return Ok((n, false));
        }
        for c in page {
            revoke_one(app, by, &c.account_id, client_id).await?;
            n += 1;
        }
    }
    let left = !app.store.consents_of_client(client_id, None, 1).await?.is_empty();
    Ok((n, left))
}

/// POST /admin/clients/{id}/consents/revoke — `csrf`, `account_id`.
pub async fn revoke(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, &consents_path(&id), Section::Clients).await?;
    client_of(&app, &id).await?;
    let account_id = p.get("account_id").map(str::trim).filter(|a| !a.is_empty());
    let account_id = account_id.ok_or_else(|| PageError::bad_request("Не указана учетная запись."))?;
    revoke_one(&app, &staff.id, account_id, &id).await?;
    Ok(back(&id, "one", 1))
}

/// POST /admin/clients/{id}/consents/revoke-all — `csrf`, `confirm=on`.
pub async fn revoke_every(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, &consents_path(&id), Section::Clients).await?;
    client_of(&app, &id).await?;
    if p.get("confirm") != Some("on") {
        return Ok(back(&id, "unconfirmed", 0));
    }
    let (n, left) = revoke_all(&app, &staff.id, &id).await?;
    Ok(back(&id, if left { "more" } else { "all" }, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_done_has_a_notice() {
        for done in ["one", "all", "more", "unconfirmed"] {
            assert!(notice(done, 1).is_some(), "{done}");
        }
        assert_eq!(notice("<script>", 1), None);
    }

    #[test]
    fn paths_are_encoded() {
        assert_eq!(consents_path("rp 1"), "/admin/clients/rp+1/consents");
        assert_eq!(pages_after("/p", "a&b"), "/p?after=a%26b");
    }
}
