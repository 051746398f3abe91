//! «Запись не найдена» and its three ways on: «Привязать учетную запись» (proof by
//! the school account's own login and password, throttled like the login form, in
//! this flow only: the proof is bound to the ESIA person this flow holds, and the
//! link policy may still refuse it), «Обратиться в организацию» (the access
//! request, `super::access_request`), and «Выход» (back to the login page to choose
//! another way in; the relying party hears `access_denied` only when the person
//! leaves from there).

use super::esia::FlowQuery;
use super::journey::{Action, Stage};
use super::resolve::login_as;
use super::{Flow, linking};
use crate::account::link_policy;
use crate::account::login::{LoginError, verify_legacy};
use crate::app::App;
use crate::clock::today_utc;
use crate::crypto::SecretString;
use crate::oidc::error::ErrorCode;
use crate::oidc::params::Params;
use crate::store::OrgKind;
use crate::store::links::LinkMethod;
use crate::web::client_addr::ClientAddr;
use crate::web::error_page::PageError;
use crate::web::esia_pages::{LinkPage, NotFoundPage};
use crate::web::org_cascade::{self, Tabs};
use crate::web::pages;
use crate::web::redirect::redirect;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// GET /login/esia/not-found
pub async fn not_found(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (_, browser_id) = super::queried_flow(&app, &headers, &q.flow, Action::NotFoundPage).await?;
    Ok(pages::html(&NotFoundPage { flow: q.flow, csrf: app.cookies.csrf_token(&browser_id) }))
}

/// What the linking form shows again: the cascade and organisation chosen, the
/// login typed (never the password), and a message.
#[derive(Default)]
struct LinkForm {
    error: Option<String>,
    login: String,
    selected_org: Option<String>,
    tabs: Tabs,
}

impl LinkForm {
    fn posted(p: &Params, error: Option<String>) -> Self {
        Self {
            error,
            login: p.get("login").unwrap_or_default().trim().to_owned(),
            selected_org: Some(super::chosen_org(p).to_owned()).filter(|o| !o.is_empty()),
            tabs: Tabs::from_form(|name| p.get(name)),
        }
    }
}

async fn render_link(
    app: &App,
    signed: String,
    browser_id: &str,
    form: LinkForm,
    status: StatusCode,
) -> Result<Response, PageError> {
    let orgs = app.store.organisations().await?;
    let schools = org_cascade::cascade(&orgs, OrgKind::School, &form.tabs.school, true);
    let authorities = org_cascade::cascade(&orgs, OrgKind::Authority, &form.tabs.authority, true);
    // An organisation the filters no longer show is no longer chosen.
    let selected_org = form.selected_org.filter(|id| schools.shows(id) || authorities.shows(id));
    let page = LinkPage {
        flow: signed,
        csrf: app.cookies.csrf_token(browser_id),
        schools,
        authorities,
        authority_open: form.tabs.authority_open,
        selected_org,
        login: form.login,
        error: form.error,
    };
    Ok(pages::html_with_status(status, &page))
}

/// GET /login/esia/link
pub async fn link_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (_, browser_id) = super::queried_flow(&app, &headers, &q.flow, Action::LinkPage).await?;
    render_link(&app, q.flow, &browser_id, LinkForm::default(), StatusCode::OK).await
}

/// POST /login/esia/link — BR-05: the school account's own credentials, in this
/// browser's flow, for the ESIA person of this flow; the link policy decides; then
/// the link and the login.
pub async fn link_submit(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (flow, signed, browser_id) = super::posted_flow(&app, &headers, &p, Action::LinkSubmit).await?;
    let Some((person, role)) = flow.esia.as_ref().and_then(|s| s.person.clone().map(|person| (person, s.role))) else {
        return Err(PageError::bad_request("Вход через Госуслуги не завершён."));
    };
    let org = super::chosen_org(&p);
    let login = p.get("login").unwrap_or_default().trim();
    let password = SecretString::new(p.get("password").unwrap_or_default());
    let retry = |msg: &str, status| {
        render_link(&app, signed.clone(), &browser_id, LinkForm::posted(&p, Some(msg.into())), status)
    };
    // «Показать» (no JavaScript): the same form with the cascade's options.
    if p.get("action") == Some("refresh") {
        return render_link(&app, signed.clone(), &browser_id, LinkForm::posted(&p, None), StatusCode::OK).await;
    }
    if org.is_empty() || login.is_empty() || password.is_empty() {
        return retry("Выберите организацию и введите логин и пароль.", StatusCode::BAD_REQUEST).await;
    }
    let account = match verify_legacy(&*app.store, &app.throttle, org, login, &password, client).await {
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
    let policy_person = linking::policy_person(&app.directory_keys, &person);
    let today = today_utc(&*app.clock);
    let differences = match link_policy::by_credentials(role, &policy_person, &account, today) {
        Ok(d) => d,
        Err(refusal) => {
            linking::refused(&*app.store, &account, &person.subject, "credentials", refusal).await?;
            return retry(&refusal.message(), StatusCode::FORBIDDEN).await;
        }
    };
    let mut flow = flow;
    super::commit_sign_in(&app, &mut flow).await?;
    let who = linking::Links { issuer: &person.issuer, subject: &person.subject, method: LinkMethod::Credentials };
    let accounts = [(&account, differences)];
    linking::link(&*app.store, app.clock.now(), &who, &accounts, &["legacy_credentials"]).await?;
    login_as(&app, flow, &account.id).await
}

/// GET /login/esia/exit — «Вернуться в приложение»: `access_denied` to the relying
/// party (or back to `/account` when linking from there).
pub async fn exit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, _) = super::queried_flow(&app, &headers, &q.flow, Action::Exit).await?;
    forget_unused_consent(&app, &flow).await?;
    leave_journey(&app, &flow, "the user did not sign in through ESIA").await
}

/// Ends a flow without a login: `access_denied` to the relying party; a link from
/// `/account` returns there; a sign-in started on the login page returns to it.
pub async fn leave_journey(app: &App, flow: &Flow, description: &str) -> Result<Response, PageError> {
    if flow.request.is_some() {
        return super::finish::abort(app, flow, ErrorCode::AccessDenied, description).await;
    }
    app.store.delete_flow(&flow.id).await?;
    let linking_from_account = flow.esia.as_ref().is_some_and(|s| s.link_to.is_some());
    let back = if linking_from_account {
        "/account".to_owned()
    } else {
        login_url(&app.config.issuer, flow.return_to.as_deref())
    };
    Ok(redirect(&back, true, &[]))
}

/// Leaving «Запись не найдена» without any account or request: the consent just
/// given serves nothing and no `/account` shows it, so it is not kept.
async fn forget_unused_consent(app: &App, flow: &Flow) -> Result<(), PageError> {
    let person = flow.esia.as_ref().and_then(|s| s.person.as_ref());
    if flow.stage == Stage::NotFound
        && let Some(p) = person
    {
        app.store.forget_unused_pd_consent(&p.issuer, &p.subject).await?;
    }
    Ok(())
}

fn login_url(issuer: &str, next: Option<&str>) -> String {
    let next = crate::web::redirect::local_path(issuer, next);
    format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
}

/// POST /login/esia/leave — «Выход» on «Запись не найдена»: back to the login page
/// «для выбора другого способа авторизации» (seed 000); the ESIA data of the flow
/// is dropped.
pub async fn leave(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (mut flow, signed, _) = super::posted_flow(&app, &headers, &p, Action::Leave).await?;
    forget_unused_consent(&app, &flow).await?;
    if flow.request.is_none() {
        return leave_journey(&app, &flow, "").await;
    }
    flow.esia = None;
    flow.access = None;
    flow.stage = Stage::Login;
    super::save(&app, &mut flow).await?;
    Ok(redirect(&format!("/login?flow={signed}"), true, &[]))
}
