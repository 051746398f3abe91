//! «Через Госуслуги»: the role choice («Выберите роль для входа»), the start of the
//! ESIA login (scopes by role; the pending state is kept in the flow and the flow
//! is bound to this browser by a cookie, BR-01), and the callback that turns
//! ESIA's answer into an [`EsiaPerson`] before [`super::resolve`] decides.

use super::journey::{Action, Stage};
use super::resolve;
use crate::app::App;
use crate::connector::{AccountLevel, Callback, ContactKind, Pending, StartRequest, UpstreamIdentity};
use crate::oidc::params::Params;
use crate::session::checked_browser;
use crate::store::Role;
use crate::web::client_addr::ClientAddr;
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::esia_pages::RolePage;
use crate::web::pages;
use crate::web::redirect::{local_path, redirect, same_origin_path};
use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The ESIA part of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsiaStep {
    pub role: Role,
    /// Between the redirect to ESIA and the callback; taken (once) by the callback.
    pub pending: Option<Pending>,
    /// Who ESIA vouched for, once the callback succeeded.
    pub person: Option<EsiaPerson>,
    /// Linking from `/account`: the signed-in school account to link to.
    pub link_to: Option<String>,
    /// The accounts offered by «Выберите учетную запись».
    #[serde(default)]
    pub choices: Vec<String>,
}

/// What the flow keeps of the ESIA person: enough to decide, to pre-fill an access
/// request and to compare children — never the SNILS itself, never documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsiaPerson {
    pub issuer: String,
    pub subject: String,
    pub level: AccountLevel,
    pub trusted: bool,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Keyed hash of a SNILS with a valid checksum.
    pub snils_hash: Option<String>,
    /// Keyed hash of the normalised name and birth date.
    pub match_key: Option<String>,
    pub children: Vec<EsiaChild>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsiaChild {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub birth_date: Option<String>,
}

/// ESIA scopes for a role: children's data only for parents (CONTRACT.md §5).
/// Minimisation: passport data (`id_doc`), birth certificates and gender are not
/// requested — matching and the diary do not need them (docs/link-policy.md).
pub fn scopes_for(role: Role) -> Vec<String> {
    let mut s = vec!["openid", "fullname", "birthdate", "snils", "email", "mobile"];
    if role == Role::Parent {
        s.extend(["kid_fullname", "kid_birthdate", "kid_snils"]);
    }
    s.into_iter().map(str::to_owned).collect()
}

/// Reduces ESIA's identity to what the flow keeps.
pub fn summarise(id: &UpstreamIdentity, keys: &crate::account::directory::DirectoryKeys) -> EsiaPerson {
    use crate::account::{names, snils};
    let surname = id.surname.clone().unwrap_or_default();
    let given_name = id.given_name.clone().unwrap_or_default();
    let match_key = match (&id.birth_date, surname.is_empty() || given_name.is_empty()) {
        (Some(bd), false) => {
            Some(names::match_key(&keys.matching, &surname, &given_name, id.patronymic.as_deref(), bd))
        }
        _ => None,
    };
    let contact = |kind: ContactKind| id.contacts.iter().find(|c| c.kind == kind).map(|c| c.value.clone());
    EsiaPerson {
        issuer: id.issuer.clone(),
        subject: id.subject.clone(),
        level: id.account_level,
        trusted: id.trusted,
        surname,
        given_name,
        patronymic: id.patronymic.clone(),
        birth_date: id.birth_date.clone(),
        email: contact(ContactKind::Email),
        phone: contact(ContactKind::Mobile),
        snils_hash: id.snils.as_deref().and_then(snils::normalise).map(|n| snils::keyed_hash(&keys.snils, &n)),
        match_key,
        children: id
            .children
            .iter()
            .map(|c| EsiaChild {
                surname: c.surname.clone().unwrap_or_default(),
                given_name: c.given_name.clone().unwrap_or_default(),
                patronymic: c.patronymic.clone(),
                birth_date: c.birth_date.clone(),
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize)]
pub struct FlowQuery {
    pub flow: String,
}

/// The role page's query: a flow, or (a sign-in from the login page itself) where to land.
#[derive(Debug, Deserialize)]
pub struct RoleQuery {
    pub flow: Option<String>,
    pub next: Option<String>,
}

fn connector(app: &App) -> Result<&Arc<dyn crate::connector::Connector>, PageError> {
    app.esia.as_ref().ok_or_else(|| PageError::bad_request("Вход через Госуслуги не настроен."))
}

/// GET /login/esia — «Выберите роль для входа».
pub async fn role_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<RoleQuery>,
) -> Result<Response, PageError> {
    connector(&app)?;
    let next = local_path(&app.config.issuer, q.next.as_deref());
    let Some(flow) = q.flow else {
        let (browser_id, set_browser) = cookie::browser_id(&app.cookies, &headers);
        let page = RolePage { flow: String::new(), csrf: app.cookies.csrf_token(&browser_id), error: None, next };
        let mut res = pages::html(&page);
        if let Some(c) = set_browser {
            res.headers_mut().append(axum::http::header::SET_COOKIE, c);
        }
        return Ok(res);
    };
    let (_, browser_id) = super::queried_flow(&app, &headers, &flow, Action::RolePage).await?;
    Ok(pages::html(&RolePage { flow, csrf: app.cookies.csrf_token(&browser_id), error: None, next }))
}

/// POST /login/esia — remembers the role and sends the browser to ESIA. Without a
/// flow (the login page opened directly) it starts one that lands on `next`.
pub async fn start(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (mut flow, signed, browser_id) = match p.get("flow") {
        Some(_) => super::posted_flow(&app, &headers, &p, Action::StartEsia).await?,
        None => {
            let browser_id = checked_browser(&app.cookies, &headers, &p)?;
            let mut flow = super::Flow::new(&browser_id, client, None, Stage::Login, app.clock.now());
            flow.return_to = Some(local_path(&app.config.issuer, p.get("next")));
            (flow, String::new(), browser_id)
        }
    };
    let Some(role) = p.get("role").and_then(Role::parse) else {
        let next = p.get("next").and_then(|n| same_origin_path(&app.config.issuer, n)).unwrap_or_default();
        let page = RolePage {
            flow: signed,
            csrf: app.cookies.csrf_token(&browser_id),
            error: Some("Выберите роль.".into()),
            next,
        };
        return Ok(pages::html_with_status(axum::http::StatusCode::BAD_REQUEST, &page));
    };
    // Choosing the role (again) restarts the ESIA part: nothing of an earlier attempt is kept.
    flow.esia = Some(EsiaStep { role, pending: None, person: None, link_to: None, choices: Vec::new() });
    flow.login = None;
    redirect_to_esia(&app, flow).await
}

/// Starts the ESIA login of a flow whose `esia` step is set, and answers with the redirect.
pub async fn redirect_to_esia(app: &App, mut flow: super::Flow) -> Result<Response, PageError> {
    let connector = connector(app)?;
    let Some(step) = flow.esia.as_mut() else { return Err(PageError::bad_request("Не выбрана роль.")) };
    // ESIA's scopes by role; the `[oidc]` upstream asks for its configured `oidc.scopes`.
    let scopes = if app.config.oidc.enabled { Vec::new() } else { scopes_for(step.role) };
    let req = StartRequest { scopes, redirect_uri: String::new() };
    let (url, pending) = connector.start(req).await.map_err(|e| {
        PageError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "Госуслуги недоступны", e.user_message())
    })?;
    step.pending = Some(pending);
    flow.stage = Stage::RoleChosen;
    super::save(app, &mut flow).await?;
    let bind = app.cookies.set_esia(&app.cookies.sign("flow", &flow.id), app.config.session.flow_ttl_secs);
    Ok(redirect(url.as_str(), true, &[bind]))
}

/// GET /login/esia/callback — ESIA's redirect back (`code`/`error` + `state`).
pub async fn callback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let connector = connector(&app)?.clone();
    let p = Params::parse(q.unwrap_or_default().as_bytes());
    let stale =
        || PageError::bad_request("Вход через Госуслуги начат в другом браузере или устарел. Начните вход заново.");
    let signed = cookie::read(&headers, app.cookies.esia_name()).ok_or_else(stale)?;
    let browser_id = cookie::read(&headers, app.cookies.browser_name()).unwrap_or_default();
    let mut flow = super::enter(&app, &signed, &browser_id, Action::Callback).await?;
    // The pending state is spent by this callback, whatever its outcome (one use).
    let pending = flow.esia.as_mut().and_then(|s| s.pending.take()).ok_or_else(stale)?;
    super::save(&app, &mut flow).await?;
    let cb = Callback {
        state: p.get("state").map(str::to_owned),
        code: p.get("code").map(str::to_owned),
        error: p.get("error").map(str::to_owned),
        error_description: p.get("error_description").map(str::to_owned),
    };
    let clear = app.cookies.clear_esia();
    let identity = match connector.finish(&pending, cb).await {
        Ok(identity) => identity,
        Err(e) => {
            let mut res = super::esia_error::failed(&app, &headers, signed, &e).await?;
            res.headers_mut().append(axum::http::header::SET_COOKIE, clear);
            return Ok(res);
        }
    };
    let person = summarise(&identity, &app.directory_keys);
    if let Some(step) = flow.esia.as_mut() {
        step.person = Some(person);
    }
    flow.stage = Stage::EsiaReturned;
    let mut res = resolve::after_esia(&app, flow, &signed).await?;
    res.headers_mut().append(axum::http::header::SET_COOKIE, clear);
    Ok(res)
}
