//! The staff console (`/admin/...`): its sections ([`console`]) and the review of
//! access requests by school staff. Every page needs a fresh propusk session of a
//! staff account whose roles open the section ([`staff_in`]; roles: [`roles`]); every
//! POST checks CSRF first ([`posted_in`]);
//! a request of an organisation the staff member does not review is answered exactly
//! like a missing one ([`request_of`], AB-05: authorisation per object).

pub mod account_actions;
pub mod accounts;
pub mod api;
pub mod audit;
pub mod audit_export;
pub mod client_new;
pub mod client_roles;
pub mod clients;
pub mod consents;
pub mod console;
pub mod decide;
pub mod keys;
pub mod new_account;
pub mod pd_ledger;
pub mod requests;
pub mod review;
pub mod roles;
pub mod staff_roles;

use crate::app::App;
use crate::oidc::params::Params;
use crate::session::{checked_browser, current_session};
use crate::store::Account;
use crate::store::requests::{AccessRequest, is_request_number};
use crate::web::error_page::PageError;
use axum::response::{IntoResponse, Response};
pub use console::Section;
use std::sync::Arc;

/// The queue: where staff land after signing in from a form POST.
pub const QUEUE: &str = "/admin/requests";

pub fn routes() -> axum::Router<Arc<App>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin", get(landing))
        .route("/admin/requests", get(requests::list))
        .route("/admin/requests/{number}", get(requests::show))
        .route("/admin/requests/{number}/link", post(decide::link))
        .route("/admin/requests/{number}/create", post(decide::create))
        .route("/admin/requests/{number}/reject", post(decide::reject))
        .route("/admin/accounts", get(accounts::list))
        .route("/admin/accounts/{id}", get(accounts::show))
        .route("/admin/accounts/{id}/pd", get(pd_ledger::show))
        .route("/admin/accounts/{id}/unlink", post(account_actions::unlink_esia))
        .route("/admin/accounts/{id}/end-sessions", post(account_actions::end_all_sessions))
        .route("/admin/accounts/{id}/revoke-grants", post(account_actions::revoke))
        .route("/admin/accounts/{id}/disable", post(account_actions::disable))
        .route("/admin/accounts/{id}/enable", post(account_actions::enable))
        .route("/admin/audit", get(audit::list))
        .route("/admin/audit/export.jsonl", get(audit_export::jsonl))
        .route("/admin/audit/export.csv", get(audit_export::csv))
        .route("/admin/audit/verify", post(audit::verify))
        .route("/admin/audit/{seq}", get(audit::show))
        .route("/admin/clients", get(clients::list))
        .route("/admin/keys", get(keys::list))
        .route("/admin/keys/rotate", post(keys::rotate))
        .route("/admin/keys/{kid}/retire", post(keys::retire))
        .route("/admin/clients/new", get(client_new::form).post(client_new::create))
        .route("/admin/clients/{id}/delete", post(client_new::delete))
        .route("/admin/clients/{id}/disable", post(client_new::disable))
        .route("/admin/clients/{id}/enable", post(client_new::enable))
        .route("/admin/clients/{id}", get(clients::show).post(clients::update))
        .route("/admin/clients/{id}/rotate-secret", post(clients::rotate_secret))
        .route("/admin/clients/{id}/consents", get(consents::list))
        .route("/admin/clients/{id}/consents/revoke", post(consents::revoke))
        .route("/admin/clients/{id}/consents/revoke-all", post(consents::revoke_every))
}

/// Why a staff page was not served: an error page, or no session (then the login page).
#[derive(Debug)]
pub enum AdminError {
    Page(PageError),
    /// No session: to the login page and back to `next` (303 after a POST, 302 after a GET).
    SignIn {
        after_post: bool,
        next: String,
    },
}

impl From<PageError> for AdminError {
    fn from(e: PageError) -> Self {
        Self::Page(e)
    }
}

impl From<crate::store::StoreError> for AdminError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Page(e.into())
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(e) => e.into_response(),
            Self::SignIn { after_post, next } => {
                let url = format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                crate::web::redirect::redirect(&url, after_post, &[])
            }
        }
    }
}

/// A signed-in staff member with the roles they hold.
#[derive(Debug, Clone)]
pub struct Staff {
    pub account: Account,
    pub roles: Vec<roles::Held>,
}

impl Staff {
    /// The console's navigation, `current` marked.
    pub fn nav(&self, current: Section) -> Vec<console::NavLink> {
        console::nav(&self.roles, current)
    }

    /// Whether they review the requests of `organisation_id`.
    pub fn reviews(&self, organisation_id: &str) -> bool {
        roles::may_review(&self.roles, organisation_id)
    }
}

impl std::ops::Deref for Staff {
    type Target = Account;
    fn deref(&self) -> &Account {
        &self.account
    }
}

/// The account of the request's propusk session with the roles it holds, when the
/// sign-in is at most `admin.max_age_secs` old (the console's and the API's one rule);
/// `None` without a session, with an older one or for a removed account.
pub async fn session_staff(app: &App, headers: &axum::http::HeaderMap) -> Result<Option<Staff>, PageError> {
    let Some(session) = current_session(app, headers).await? else {
        return Ok(None);
    };
    if !console::fresh(session.auth_time, app.clock.now(), app.config.admin.max_age_secs) {
        return Ok(None);
    }
    let Some(account) = app.store.account(&session.account_id).await? else {
        return Ok(None);
    };
    let roles = roles::held(&account, &app.store.roles_of(&account.id).await?);
    Ok(Some(Staff { account, roles }))
}

/// The signed-in staff member whose roles open `section`, with a sign-in at most
/// `admin.max_age_secs` old: no session, or an older one, goes to the login page and
/// back to `next` (a fresh login); roles that do not open the section get a 403 page.
async fn signed_in(
    app: &App,
    headers: &axum::http::HeaderMap,
    after_post: bool,
    next: &str,
    section: Section,
) -> Result<Staff, AdminError> {
    let Some(Staff { account, roles }) = session_staff(app, headers).await? else {
        return Err(AdminError::SignIn { after_post, next: next.to_owned() });
    };
    if !section.opens(&roles) {
        return Err(PageError::forbidden(section.refusal()).into());
    }
    Ok(Staff { account, roles })
}

/// The staff member of a page request (GET) of `section` at the local path `here`
/// (where the login page sends them back).
pub async fn staff_in(
    app: &App,
    headers: &axum::http::HeaderMap,
    here: &str,
    section: Section,
) -> Result<Staff, AdminError> {
    signed_in(app, headers, false, here, section).await
}

/// The staff member of a form POST in `section`: the CSRF token first (AZ-12, AB-05),
/// then the session; a stale sign-in comes back to the page `back` after the login.
pub async fn posted_in(
    app: &App,
    headers: &axum::http::HeaderMap,
    form: &Params,
    back: &str,
    section: Section,
) -> Result<Staff, AdminError> {
    checked_browser(&app.cookies, headers, form)?;
    signed_in(app, headers, true, back, section).await
}

/// A request page's staff member («Обращения»).
pub async fn staff(app: &App, headers: &axum::http::HeaderMap, here: &str) -> Result<Staff, AdminError> {
    staff_in(app, headers, here, Section::Requests).await
}

/// A request decision's staff member («Обращения»).
pub async fn posted_staff(app: &App, headers: &axum::http::HeaderMap, form: &Params) -> Result<Staff, AdminError> {
    posted_in(app, headers, form, QUEUE, Section::Requests).await
}

/// `GET /admin`: the first section the staff member's roles open.
async fn landing(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AdminError> {
    let Some(session) = current_session(&app, &headers).await? else {
        return Err(AdminError::SignIn { after_post: false, next: "/admin".into() });
    };
    let roles = match app.store.account(&session.account_id).await? {
        Some(account) => roles::held(&account, &app.store.roles_of(&account.id).await?),
        None => Vec::new(),
    };
    Ok(crate::web::redirect::redirect(console::landing(&roles).href(), false, &[]))
}

/// The request `number` of an organisation the staff member reviews; a malformed
/// number, a missing request and another organisation's request are the same 404 (AB-05).
pub async fn request_of(app: &App, staff: &Staff, number: &str) -> Result<AccessRequest, PageError> {
    if !is_request_number(number) {
        return Err(PageError::not_found());
    }
    app.store
        .access_request_by_number(number)
        .await?
        .filter(|r| staff.reviews(&r.organisation_id))
        .ok_or_else(PageError::not_found)
}

/// The path of a request's page, percent-encoded (the number starts with a Cyrillic
/// «А», which a `Location` header cannot carry as is).
pub fn request_path(number: &str) -> String {
    format!("/admin/requests/{}", url::form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_paths_are_ascii() {
        assert_eq!(super::request_path("А-107119599-94-07"), "/admin/requests/%D0%90-107119599-94-07");
    }
}
