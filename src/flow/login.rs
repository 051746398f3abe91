//! The login page (`/login`): the legacy school login and password, with the
//! organisation chosen through the cascade «Регион» → «Городской округ / Муниципальный
//! район» → «Населенный пункт» → «Тип ОО» → «Организация» (`web::org_cascade`; live with
//! JavaScript, by «Показать» without it), and «Остаться в системе». A successful login
//! opens a new server-side session (a new id: the session is rotated at every login)
//! (`session::open_session`) and the flow goes on.

use super::journey::Action;
use crate::account::login::{LoginError, verify_legacy};
use crate::app::App;
use crate::audit::LoginMethod;
use crate::crypto::SecretString;
use crate::oidc::params::Params;
use crate::session::{Sessions, checked_browser, open_session};
use crate::store::{OrgKind, Organisation};
use crate::web::client_addr::ClientAddr;
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::org_cascade::{self, Chosen, Tabs};
use crate::web::pages::{self, LoginPage, OrgChoice};
use crate::web::redirect::{local_path, redirect, same_origin_path};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    pub flow: Option<String>,
    pub next: Option<String>,
}

/// The organisation choice of a form without «Показать» (the linking form): nothing
/// chosen, every organisation of `kind` offered, the cascade live with JavaScript only.
pub fn org_groups(orgs: &[Organisation], kind: OrgKind) -> OrgChoice {
    org_cascade::cascade(orgs, kind, &Chosen::default(), false)
}

struct Form {
    flow: Option<String>,
    next: Option<String>,
    error: Option<String>,
    login: String,
    selected_org: Option<String>,
    /// The cascade and the open tab, as posted.
    tabs: Tabs,
}

async fn render(
    app: &App,
    browser_id: &str,
    form: Form,
    client_name: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let orgs = app.store.organisations().await?;
    let schools = org_cascade::cascade(&orgs, OrgKind::School, &form.tabs.school, true);
    let authorities = org_cascade::cascade(&orgs, OrgKind::Authority, &form.tabs.authority, true);
    // An organisation the filters no longer show is no longer chosen.
    let selected_org = form.selected_org.filter(|id| schools.shows(id) || authorities.shows(id));
    // «Через Госуслуги» with a relying party's flow, or on its own (landing on `next`).
    let esia_url = app.esia.as_ref().map(|_| match &form.flow {
        Some(f) => format!("/login/esia?flow={f}"),
        None => {
            let next = local_path(&app.config.issuer, form.next.as_deref());
            format!("/login/esia?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
        }
    });
    let page = LoginPage {
        flow: form.flow.unwrap_or_default(),
        csrf: app.cookies.csrf_token(browser_id),
        client_name,
        schools,
        authorities,
        authority_open: form.tabs.authority_open,
        error: form.error,
        login: form.login,
        selected_org,
        esia_url,
        // Only a `next` that would be followed is carried on (web::redirect::same_origin_path).
        next: form.next.and_then(|n| same_origin_path(&app.config.issuer, &n)).unwrap_or_default(),
    };
    let mut res = pages::html(&page);
    *res.status_mut() = status;
    Ok(res)
}

/// GET /login
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, &headers);
    // `login_hint` only pre-fills «Логин» (oidc::login_hint): never trusted, never an error.
    let (client_name, login) = match &q.flow {
        Some(f) => {
            let flow = super::enter(&app, f, &browser_id, Action::LoginPage).await?;
            flow.request
                .map(|r| (r.client_id, crate::oidc::login_hint::prefill(r.login_hint.as_deref())))
                .unwrap_or_default()
        }
        None => Default::default(),
    };
    let form = Form { flow: q.flow, next: q.next, error: None, login, selected_org: None, tabs: Tabs::default() };
    let mut res = render(&app, &browser_id, form, client_name, StatusCode::OK).await?;
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// POST /login
pub async fn submit(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let browser_id = checked_browser(&app.cookies, &headers, &p)?;
    let flow = match p.get("flow") {
        Some(f) => Some(super::enter(&app, f, &browser_id, Action::PasswordLogin).await?),
        None => None,
    };
    let org_id = super::chosen_org(&p).to_owned();
    let login = p.get("login").unwrap_or_default().trim().to_owned();
    let password = SecretString::new(p.get("password").unwrap_or_default());
    let retry = |error: &str| Form {
        flow: p.get("flow").map(str::to_owned),
        next: p.get("next").map(str::to_owned),
        error: Some(error.to_owned()),
        login: login.clone(),
        selected_org: Some(org_id.clone()).filter(|o| !o.is_empty()),
        tabs: Tabs::from_form(|name| p.get(name)),
    };
    let client_name = flow.as_ref().and_then(|f| f.request.as_ref()).map(|r| r.client_id.clone()).unwrap_or_default();
    // «Показать» (no JavaScript): the same form with the cascade's options, never the password.
    if p.get("action") == Some("refresh") {
        let form = Form { error: None, ..retry("") };
        return render(&app, &browser_id, form, client_name, StatusCode::OK).await;
    }
    if org_id.is_empty() || login.is_empty() || password.is_empty() {
        let form = retry("Выберите организацию и введите логин и пароль.");
        return render(&app, &browser_id, form, client_name, StatusCode::BAD_REQUEST).await;
    }
    let account = match verify_legacy(&*app.store, &app.throttle, &org_id, &login, &password, client).await {
        Ok(account) => account,
        Err(LoginError::BadCredentials) => {
            metrics::counter!("propusk_logins_total", "method" => "password", "outcome" => "failure").increment(1);
            let form = retry("Неверный логин или пароль.");
            return render(&app, &browser_id, form, client_name, StatusCode::UNAUTHORIZED).await;
        }
        Err(LoginError::Locked { retry_after }) => {
            metrics::counter!("propusk_logins_total", "method" => "password", "outcome" => "locked").increment(1);
            let minutes = retry_after.as_secs().div_ceil(60).max(1);
            let form = retry(&format!("Слишком много неудачных попыток входа. Попробуйте снова через {minutes} мин."));
            let mut res = render(&app, &browser_id, form, client_name, StatusCode::TOO_MANY_REQUESTS).await?;
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(res);
        }
        Err(LoginError::Store(e)) => return Err(e.into()),
        Err(LoginError::Password(e)) => return Err(PageError::internal(e)),
    };
    metrics::counter!("propusk_logins_total", "method" => "password", "outcome" => "success").increment(1);
    let remember = p.get("remember") == Some("1");
    let mut flow = flow;
    if let Some(f) = flow.as_mut() {
        super::commit_sign_in(&app, f).await?;
    }
    let (auth, set_session) =
        open_session(Sessions::of(&app), &account.id, None, remember, LoginMethod::Password).await?;
    match flow {
        Some(mut flow) => {
            flow.login = Some(auth);
            flow.esia = None;
            super::finish::advance(&app, flow, &[set_session]).await
        }
        None => Ok(redirect(&local_path(&app.config.issuer, p.get("next")), true, &[set_session])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linking_form_offers_every_organisation_of_the_kind() {
        let org = |id: &str, kind| Organisation {
            id: id.into(),
            kind,
            region: "Сахалинская область".into(),
            municipality: "ГО Южно-Сахалинск".into(),
            locality: "Южно-Сахалинск".into(),
            org_type: "Общеобразовательная".into(),
            name: format!("Школа {id}"),
        };
        let orgs = vec![org("a", OrgKind::School), org("b", OrgKind::School), org("c", OrgKind::Authority)];
        let choice = org_groups(&orgs, OrgKind::School);
        assert!(!choice.refresh);
        assert_eq!(choice.groups.len(), 1);
        assert_eq!(choice.groups[0].label, "Сахалинская область — ГО Южно-Сахалинск");
        assert_eq!(choice.groups[0].orgs.len(), 2);
        assert_eq!(choice.groups[0].orgs[0].label, "Школа a (Южно-Сахалинск)");
        assert!(choice.shows("a") && choice.shows("b") && !choice.shows("c"));
    }
}
