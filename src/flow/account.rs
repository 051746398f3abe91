//! Personal settings (`/account`) of the signed-in person: their data, the
//! relying-party consents they gave (revocable), and sign-out. Without a session
//! it sends the person to the login page and back.

use crate::account::link_mail;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::oidc::params::Params;
use crate::session::{checked_browser, current_session};
use crate::store::Session;
use crate::store::links::Unlink;
use crate::web::client_addr::ClientAddr;
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::esia_pages::EsiaNoticePage;
use crate::web::pages::{self, AccountPage, ConsentLine, PdConsentLine, russian_date};
use crate::web::redirect::redirect;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::sync::Arc;

fn date_of(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| format!("{:02}.{:02}.{}", t.day(), u8::from(t.month()), t.year()))
        .unwrap_or_default()
}

#[derive(Debug, serde::Deserialize)]
pub struct AccountQuery {
    pub esia: Option<String>,
    /// `changed` after «Сменить пароль» (POST → redirect → GET).
    pub password: Option<String>,
}

/// GET /account
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<AccountQuery>,
) -> Result<Response, PageError> {
    let message = match (q.esia.as_deref(), q.password.as_deref()) {
        (Some("linked"), _) => Some("Учетная запись портала Госуслуг привязана.".to_owned()),
        (_, Some("changed")) => Some(super::password::CHANGED.to_owned()),
        _ => None,
    };
    render(&app, &headers, message).await
}

async fn render(app: &App, headers: &HeaderMap, message: Option<String>) -> Result<Response, PageError> {
    render_page(app, headers, message, None).await
}

/// `/account` with `error` in the «Сменить пароль» section, answered with `status`.
pub(super) async fn render_password_error(
    app: &App,
    headers: &HeaderMap,
    error: String,
    status: axum::http::StatusCode,
) -> Result<Response, PageError> {
    let mut res = render_page(app, headers, None, Some(error)).await?;
    if res.status().is_success() {
        *res.status_mut() = status;
    }
    Ok(res)
}

async fn render_page(
    app: &App,
    headers: &HeaderMap,
    message: Option<String>,
    password_error: Option<String>,
) -> Result<Response, PageError> {
    let Some(session) = current_session(app, headers).await? else {
        return Ok(redirect("/login?next=/account", false, &[]));
    };
    let account = app.store.account(&session.account_id).await?.ok_or_else(PageError::not_found)?;
    let org = app.store.organisation(&account.organisation_id).await?;
    let class = match &account.class_id {
        Some(id) => app.store.class(id).await?.map(|c| c.name),
        None => None,
    };
    let consents = app
        .store
        .consents(&account.id)
        .await?
        .into_iter()
        .map(|c| ConsentLine {
            client_name: c.client_id.clone(),
            client_id: c.client_id,
            scope: c.scope,
            granted: date_of(c.granted_at),
        })
        .collect();
    let links = app.store.links_of_account(&account.id).await?;
    let mut pd_consents = Vec::new();
    for (index, l) in links.iter().enumerate() {
        if let Some(c) = app.store.pd_consent(&l.issuer, &l.subject).await? {
            pd_consents.push(PdConsentLine { index, granted: date_of(c.given_at) });
        }
    }
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, headers);
    let full_name =
        crate::account::names::full_name(&account.surname, &account.given_name, account.patronymic.as_deref());
    let page = AccountPage {
        csrf: app.cookies.csrf_token(&browser_id),
        full_name,
        surname: account.surname.clone(),
        given_name: account.given_name.clone(),
        patronymic: account.patronymic.clone(),
        birth_date: russian_date(&account.birth_date),
        school_year: crate::account::school_year::school_year(app.clock.now()),
        organisation: org.map(|o| o.name).unwrap_or_default(),
        role: account.role.label().to_owned(),
        class,
        login: account.login.clone(),
        esia_linked: !links.is_empty(),
        consents,
        pd_consents,
        message,
        password_error,
    };
    let mut res = pages::html(&page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// POST /account/consents/revoke: forgets the consent and revokes the client's tokens.
pub async fn revoke_consent(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AccountError> {
    let p = Params::parse(&body);
    let session = signed_in(&app, &headers, &p).await?;
    let client_id = p.get("client_id").unwrap_or_default().to_owned();
    let event =
        AuditEvent::ConsentRevoked { account_id: session.account_id.clone(), client_id: client_id.clone(), by: None };
    app.store.revoke_consent(&session.account_id, &client_id, &event).await?;
    Ok(render(&app, &headers, Some(format!("Согласие для приложения «{client_id}» отозвано."))).await?)
}

/// The signed-in session of a form POST (CSRF checked), or a redirect to the login page.
pub(super) async fn signed_in(app: &App, headers: &HeaderMap, p: &Params) -> Result<Session, AccountError> {
    checked_browser(&app.cookies, headers, p)?;
    current_session(app, headers).await?.ok_or(AccountError::SignIn)
}

/// Why an `/account` action did not happen: an error page, or no session (then the
/// login page, and back to `/account` after it).
#[derive(Debug)]
pub enum AccountError {
    Page(PageError),
    SignIn,
}

impl From<PageError> for AccountError {
    fn from(e: PageError) -> Self {
        Self::Page(e)
    }
}

impl From<crate::store::StoreError> for AccountError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Page(e.into())
    }
}

impl axum::response::IntoResponse for AccountError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(e) => e.into_response(),
            Self::SignIn => redirect("/login?next=/account", true, &[]),
        }
    }
}

/// POST /account/esia/link — the notice before the redirect to Госуслуги.
pub async fn esia_notice(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AccountError> {
    let p = Params::parse(&body);
    signed_in(&app, &headers, &p).await?;
    Ok(pages::html(&EsiaNoticePage { csrf: p.get("csrf").unwrap_or_default().to_owned() }))
}

/// POST /account/esia/start — a linking flow for the signed-in account, then ESIA.
pub async fn esia_start(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AccountError> {
    let p = Params::parse(&body);
    let session = signed_in(&app, &headers, &p).await?;
    let account = app.store.account(&session.account_id).await?.ok_or_else(PageError::not_found)?;
    let browser_id = cookie::read(&headers, app.cookies.browser_name()).unwrap_or_default();
    let mut flow = super::Flow::new(&browser_id, client, None, super::journey::Stage::Login, app.clock.now());
    flow.esia = Some(super::esia::EsiaStep {
        role: account.role,
        pending: None,
        person: None,
        link_to: Some(account.id),
        choices: Vec::new(),
    });
    Ok(super::esia::redirect_to_esia(&app, flow).await?)
}

/// POST /account/esia/unlink — removes the links; ESIA-born refresh tokens die with them.
pub async fn esia_unlink(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AccountError> {
    let p = Params::parse(&body);
    let session = signed_in(&app, &headers, &p).await?;
    let n = app.store.links_of_account(&session.account_id).await?.len() as u64;
    let event = AuditEvent::AccountUnlinked { account_id: session.account_id.clone(), links: n, by: "owner".into() };
    // BR-06: the owner hears of it at the account's email, when the directory has one.
    let notice = match app.store.account(&session.account_id).await? {
        Some(account) if n > 0 => {
            account.email.as_deref().map(|to| link_mail::unlinked(&account).message(app.clock.now(), to))
        }
        _ => None,
    };
    // The owner's unlink: a tombstone per pair, ESIA sessions, codes and grants end,
    // and the person's stored data goes when no link of theirs is left.
    let unlink = Unlink { account_id: &session.account_id, tombstone: true, audit: &event, mail: notice.as_ref() };
    app.store.unlink_account(&unlink).await?;
    if session.upstream.is_some() {
        // This very session came from ESIA and has just ended.
        return Err(AccountError::SignIn);
    }
    Ok(render(&app, &headers, Some("Учетная запись портала Госуслуг отвязана.".into())).await?)
}

/// POST /account/pd-consent/revoke — withdraws the personal-data consent: the stored
/// ESIA data is deleted and the next ESIA login asks for consent again.
pub async fn revoke_pd_consent(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AccountError> {
    let p = Params::parse(&body);
    let session = signed_in(&app, &headers, &p).await?;
    let links = app.store.links_of_account(&session.account_id).await?;
    let index: usize = p.get("index").and_then(|i| i.parse().ok()).unwrap_or(usize::MAX);
    if let Some(l) = links.get(index) {
        let event = AuditEvent::PdConsentRevoked { upstream_subject: l.subject.clone() };
        app.store.revoke_pd_consent(&l.issuer, &l.subject, &event).await?;
    }
    Ok(render(&app, &headers, Some("Согласие на передачу персональных данных отозвано.".into())).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_in_russian_order() {
        assert_eq!(super::date_of(0), "01.01.1970");
    }
}
