//! The login page (`/login`): the legacy school login and password, with the
//! organisation chosen by region → municipality → organisation, and «Остаться в
//! системе». A successful login opens a new server-side session (a new id: the
//! session is rotated at every login) and the flow goes on.

use super::Authenticated;
use crate::account::login::{LoginError, verify_legacy};
use crate::app::App;
use crate::audit::{AuditEvent, LoginMethod};
use crate::crypto::{self, SecretString};
use crate::oidc::params::Params;
use crate::store::{OrgKind, Organisation, Session};
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::pages::{self, LoginPage, OrgGroup, OrgOption};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    pub flow: Option<String>,
    pub next: Option<String>,
}

/// `next` after a login without a flow: only local paths (never `//host`).
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/account",
    }
}

/// Options of the organisation selects, grouped «Регион — Муниципальное образование».
pub fn org_groups(orgs: &[Organisation], kind: OrgKind) -> Vec<OrgGroup> {
    let mut groups: BTreeMap<String, Vec<OrgOption>> = BTreeMap::new();
    for o in orgs.iter().filter(|o| o.kind == kind) {
        groups
            .entry(format!("{} — {}", o.region, o.municipality))
            .or_default()
            .push(OrgOption { id: o.id.clone(), label: format!("{} ({})", o.name, o.locality) });
    }
    groups.into_iter().map(|(label, orgs)| OrgGroup { label, orgs }).collect()
}

struct Form {
    flow: Option<String>,
    next: Option<String>,
    error: Option<String>,
    login: String,
    selected_org: Option<String>,
}

async fn render(
    app: &App,
    browser_id: &str,
    form: Form,
    client_name: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let orgs = app.store.organisations().await?;
    let esia_url = form.flow.as_ref().map(|f| format!("/login/esia?flow={f}"));
    let page = LoginPage {
        flow: form.flow.unwrap_or_default(),
        csrf: app.cookies.csrf_token(browser_id),
        client_name,
        schools: org_groups(&orgs, OrgKind::School),
        authorities: org_groups(&orgs, OrgKind::Authority),
        error: form.error,
        login: form.login,
        selected_org: form.selected_org,
        esia_url,
        next: form.next.unwrap_or_default(),
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
    let client_name = match &q.flow {
        Some(f) => super::load(&app, f, &browser_id).await?.rp()?.client_id.clone(),
        None => String::new(),
    };
    let form = Form { flow: q.flow, next: q.next, error: None, login: String::new(), selected_org: None };
    let mut res = render(&app, &browser_id, form, client_name, StatusCode::OK).await?;
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// POST /login
pub async fn submit(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let browser_id = crate::flow::checked_browser(&app, &headers, &p)?;
    let flow = match p.get("flow") {
        Some(f) => Some(super::load(&app, f, &browser_id).await?),
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
    };
    let client_name = flow.as_ref().and_then(|f| f.request.as_ref()).map(|r| r.client_id.clone()).unwrap_or_default();
    if org_id.is_empty() || login.is_empty() || password.is_empty() {
        let form = retry("Выберите организацию и введите логин и пароль.");
        return render(&app, &browser_id, form, client_name, StatusCode::BAD_REQUEST).await;
    }
    let account = match verify_legacy(&*app.store, &app.throttle, &org_id, &login, &password, peer.ip()).await {
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
    let (auth, set_session) = open_session(&app, &account.id, "pwd", remember, LoginMethod::Password).await?;
    match flow {
        Some(mut flow) => {
            flow.login = Some(auth);
            super::finish::advance(&app, flow, &[set_session]).await
        }
        None => Ok(super::finish::redirect(local_path(p.get("next")), true, &[set_session])),
    }
}

/// Opens a new session (always a new id) and returns its cookie.
pub async fn open_session(
    app: &App,
    account_id: &str,
    amr: &str,
    remember: bool,
    method: LoginMethod,
) -> Result<(Authenticated, HeaderValue), PageError> {
    let now = app.clock.now();
    let id = crypto::random_token();
    let ttl = if remember { app.config.session.persistent_ttl_secs } else { app.config.session.ttl_secs };
    let session = Session {
        id_hash: crypto::token_hash(&id),
        account_id: account_id.to_owned(),
        auth_time: now,
        amr: amr.to_owned(),
        persistent: remember,
        created_at: now,
        expires_at: now + ttl,
    };
    let event =
        AuditEvent::LoginSucceeded { method, account_id: account_id.to_owned(), session_id: session.id_hash.clone() };
    app.store.create_session(&session, &event).await?;
    let cookie = app.cookies.set_session(&id, remember.then_some(ttl));
    Ok((Authenticated::from_session(&session), cookie))
}

/// The session of this request, if its cookie names a live one.
pub async fn current_session(app: &App, headers: &HeaderMap) -> Result<Option<Session>, PageError> {
    match cookie::read(headers, app.cookies.session_name()) {
        Some(id) => Ok(app.store.session(&crypto::token_hash(&id)).await?),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(local_path(Some("/account")), "/account");
        assert_eq!(local_path(Some("//evil.example")), "/account");
        assert_eq!(local_path(Some("https://evil.example")), "/account");
        assert_eq!(local_path(None), "/account");
    }

    #[test]
    fn organisations_grouped_by_region_and_municipality() {
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
        let groups = org_groups(&orgs, OrgKind::School);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].label, "Сахалинская область — ГО Южно-Сахалинск");
        assert_eq!(groups[0].orgs.len(), 2);
        assert_eq!(groups[0].orgs[0].label, "Школа a (Южно-Сахалинск)");
    }
}
