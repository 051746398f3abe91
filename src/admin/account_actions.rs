//! What an administrator does to an account from «Учетные записи», in one place:
//! unlink ESIA, end sessions, revoke grants, disable and enable. Each is one store
//! call (one transaction with its audit event naming the admin, `by`), answered by a
//! redirect back to the account's page with a short notice. Every POST checks the
//! form's CSRF token first ([`super::posted_in`]).

use super::accounts::{account_of, account_path};
use super::roles::{self, Held};
use super::{AdminError, Section, Staff, posted_in};
use crate::account::link_mail;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::oidc::params::Params;
use crate::store::links::Unlink;
use crate::store::{Account, StoreResult};
use crate::web::error_page::PageError;
use crate::web::redirect;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// An action of the account page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unlink,
    EndSessions,
    /// Of one client (the form's `client_id`), or every grant.
    RevokeGrants,
    Disable,
    Enable,
}

/// Whether staff holding `actor` may act on an account holding `target`: an account
/// with `system-admin` only by a system admin (an org-admin sees it, changes nothing).
pub fn may_act(actor: &[Held], target: &[Held]) -> bool {
    roles::is_system_admin(actor) || !roles::is_system_admin(target)
}

/// Unlinks every ESIA link of the account, as its owner's «Отвязать» does (tombstones,
/// so no automatic link again; its ESIA sessions, codes and grants end in the same
/// transaction; the owner is told, BR-06). Returns the links removed.
pub async fn unlink(app: &App, by: &str, account: &Account) -> StoreResult<u64> {
    let n = app.store.links_of_account(&account.id).await?.len() as u64;
    let event = AuditEvent::AccountUnlinked { account_id: account.id.clone(), links: n, by: by.to_owned() };
    let notice = match &account.email {
        Some(to) if n > 0 => Some(link_mail::unlinked(account).message(app.clock.now(), to)),
        _ => None,
    };
    let u = Unlink { account_id: &account.id, tombstone: true, audit: &event, mail: notice.as_ref() };
    app.store.unlink_account(&u).await
}

/// Ends every session of the account. Returns how many ended.
pub async fn end_sessions(app: &App, by: &str, account_id: &str) -> StoreResult<u64> {
    let event = AuditEvent::AccountSessionsEnded { account_id: account_id.to_owned(), by: by.to_owned() };
    app.store.end_sessions_of_account(account_id, &event).await
}

/// Revokes the account's grants (of `client`, or all) with their refresh tokens.
pub async fn revoke_grants(app: &App, by: &str, account_id: &str, client: Option<&str>) -> StoreResult<u64> {
    let event = AuditEvent::AccountGrantsRevoked {
        account_id: account_id.to_owned(),
        client_id: client.map(str::to_owned),
        by: by.to_owned(),
    };
    app.store.revoke_grants_of_account(account_id, client, &event).await
}

/// Disables (sessions end, grants revoked, one transaction) or enables the account.
pub async fn set_disabled(app: &App, by: &str, account_id: &str, disabled: bool) -> StoreResult<()> {
    let (account_id, by) = (account_id.to_owned(), by.to_owned());
    let event = if disabled {
        AuditEvent::AccountDisabled { account_id: account_id.clone(), by }
    } else {
        AuditEvent::AccountEnabled { account_id: account_id.clone(), by }
    };
    app.store.set_account_disabled(&account_id, disabled, &event).await.map(|_| ())
}

/// The account of an action's POST: CSRF, the section, the organisation (AB-05: 404),
/// then the rule of [`may_act`] (403).
async fn posted_account(app: &App, headers: &HeaderMap, p: &Params, id: &str) -> Result<(Staff, Account), AdminError> {
    let staff = posted_in(app, headers, p, &account_path(id), Section::Accounts).await?;
    let account = account_of(app, &staff, id).await?;
    let target = roles::held(&account, &app.store.roles_of(&account.id).await?);
    if !may_act(&staff.roles, &target) {
        return Err(PageError::forbidden(
            "Учетную запись администратора системы изменяет только администратор системы.",
        )
        .into());
    }
    Ok((staff, account))
}

fn back(id: &str, done: &str, n: u64) -> Response {
    redirect::redirect(&format!("{}?done={done}&n={n}", account_path(id)), true, &[])
}

async fn act(app: &App, headers: &HeaderMap, id: &str, body: &Bytes, action: Action) -> Result<Response, AdminError> {
    let p = Params::parse(body);
    let (staff, account) = posted_account(app, headers, &p, id).await?;
    let by = staff.id.as_str();
    Ok(match action {
        Action::Unlink => back(id, "unlinked", unlink(app, by, &account).await?),
        Action::EndSessions => back(id, "sessions", end_sessions(app, by, &account.id).await?),
        Action::RevokeGrants => {
            let client = p.get("client_id").map(str::trim).filter(|c| !c.is_empty());
            back(id, "grants", revoke_grants(app, by, &account.id, client).await?)
        }
        Action::Disable if account.id == staff.id => back(id, "self", 0),
        Action::Disable => {
            set_disabled(app, by, &account.id, true).await?;
            back(id, "disabled", 0)
        }
        Action::Enable => {
            set_disabled(app, by, &account.id, false).await?;
            back(id, "enabled", 0)
        }
    })
}

/// POST /admin/accounts/{id}/unlink — `csrf`.
pub async fn unlink_esia(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    act(&app, &headers, &id, &body, Action::Unlink).await
}

/// POST /admin/accounts/{id}/end-sessions — `csrf`.
pub async fn end_all_sessions(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    act(&app, &headers, &id, &body, Action::EndSessions).await
}

/// POST /admin/accounts/{id}/revoke-grants — `csrf`, `client_id` (empty: every client).
pub async fn revoke(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    act(&app, &headers, &id, &body, Action::RevokeGrants).await
}

/// POST /admin/accounts/{id}/disable — `csrf`.
pub async fn disable(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    act(&app, &headers, &id, &body, Action::Disable).await
}

/// POST /admin/accounts/{id}/enable — `csrf`.
pub async fn enable(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    act(&app, &headers, &id, &body, Action::Enable).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::roles::StaffRole;

    fn held(role: StaffRole, org: Option<&str>) -> Held {
        Held { role, organisation_id: org.map(str::to_owned) }
    }

    #[test]
    fn a_system_admin_account_is_changed_only_by_a_system_admin() {
        let system = [held(StaffRole::SystemAdmin, None)];
        let org_admin = [held(StaffRole::OrgAdmin, Some("a"))];
        let reviewer = [held(StaffRole::Reviewer, Some("a"))];
        assert!(may_act(&system, &system));
        assert!(may_act(&system, &org_admin));
        assert!(may_act(&org_admin, &org_admin));
        assert!(may_act(&org_admin, &reviewer));
        assert!(may_act(&org_admin, &[]));
        assert!(!may_act(&org_admin, &system));
    }
}
