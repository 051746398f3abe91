//! «Запись не найдена» and its three ways on: «Привязать учетную запись» (proof by
//! the school account's own login and password, throttled like the login form, in
//! this flow only: the proof is bound to the ESIA person this flow holds),
//! «Обратиться в организацию» (the access request, `super::access_request`), and «Выход» (`access_denied`).

use super::esia::FlowQuery;
use super::resolve::{link, login_as};
use crate::account::login::{LoginError, verify_legacy};
use crate::app::App;
use crate::crypto::SecretString;
use crate::oidc::error::ErrorCode;
use crate::oidc::params::Params;
use crate::store::OrgKind;
use crate::store::links::LinkMethod;
use crate::web::error_page::PageError;
use crate::web::esia_pages::{LinkPage, NotFoundPage};
use crate::web::pages;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::Arc;

/// GET /login/esia/not-found
pub async fn not_found(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, _) = super::queried_flow(&app, &headers, &q.flow).await?;
    if flow.esia.as_ref().and_then(|s| s.person.as_ref()).is_none() {
        return Err(PageError::bad_request("Вход через Госуслуги не завершён."));
    }
    Ok(pages::html(&NotFoundPage { flow: q.flow }))
}

async fn render_link(
    app: &App,
    signed: String,
    browser_id: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let orgs = app.store.organisations().await?;
    let page = LinkPage {
        flow: signed,
        csrf: app.cookies.csrf_token(browser_id),
        schools: super::login::org_groups(&orgs, OrgKind::School),
        authorities: super::login::org_groups(&orgs, OrgKind::Authority),
        error,
    };
    Ok(pages::html_with_status(status, &page))
}

/// GET /login/esia/link
pub async fn link_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (_, browser_id) = super::queried_flow(&app, &headers, &q.flow).await?;
    render_link(&app, q.flow, &browser_id, None, StatusCode::OK).await
}

/// POST /login/esia/link — BR-05: the school account's own credentials, in this
/// browser's flow, for the ESIA person of this flow; then the link and the login.
pub async fn link_submit(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (flow, signed, browser_id) = super::posted_flow(&app, &headers, &p).await?;
    let Some((issuer, subject, role)) = flow
        .esia
        .as_ref()
        .and_then(|s| s.person.as_ref().map(|person| (person.issuer.clone(), person.subject.clone(), s.role)))
    else {
        return Err(PageError::bad_request("Вход через Госуслуги не завершён."));
    };
    let org = super::chosen_org(&p);
    let login = p.get("login").unwrap_or_default().trim();
    let password = SecretString::new(p.get("password").unwrap_or_default());
    let retry = |msg: &str, status| render_link(&app, signed.clone(), &browser_id, Some(msg.to_owned()), status);
    if org.is_empty() || login.is_empty() || password.is_empty() {
        return retry("Выберите организацию и введите логин и пароль.", StatusCode::BAD_REQUEST).await;
    }
    let account = match verify_legacy(&*app.store, &app.throttle, org, login, &password, peer.ip()).await {
        Ok(a) => a,
        Err(LoginError::BadCredentials) => return retry("Неверный логин или пароль.", StatusCode::UNAUTHORIZED).await,
        Err(LoginError::Locked { retry_after }) => {
            let minutes = retry_after.as_secs().div_ceil(60).max(1);
            let msg = format!("Слишком много неудачных попыток. Попробуйте снова через {minutes} мин.");
            return retry(&msg, StatusCode::TOO_MANY_REQUESTS).await;
        }
        Err(LoginError::Store(e)) => return Err(e.into()),
        Err(LoginError::Password(e)) => return Err(PageError::internal(e)),
    };
    // Never link to an account of another role than the one chosen for this login.
    if account.role != role {
        let msg = format!(
            "Эта учетная запись имеет роль «{}», а вход выполняется с ролью «{}».",
            account.role.label(),
            role.label()
        );
        return retry(&msg, StatusCode::BAD_REQUEST).await;
    }
    link(&app, &issuer, &subject, std::slice::from_ref(&account.id), LinkMethod::Credentials, &["legacy_credentials"])
        .await?;
    login_as(&app, flow, &account.id).await
}

/// GET /login/esia/exit — «Выход» / «Вернуться в приложение»: `access_denied` to the
/// relying party (or back to `/account` when linking from there).
pub async fn exit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, _) = super::queried_flow(&app, &headers, &q.flow).await?;
    if flow.request.is_none() {
        app.store.delete_flow(&flow.id).await?;
        return Ok(super::finish::redirect("/account", false, &[]));
    }
    super::finish::abort(&app, &flow, ErrorCode::AccessDenied, "the user did not sign in through ESIA").await
}
