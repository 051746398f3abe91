//! The browser journey between `/authorize` and the code. A [`Flow`] is stored
//! server-side; the browser carries only its signed id, and the flow is bound to
//! the browser that started it. Its [`journey::Stage`] says which pages and forms
//! may act ([`journey::next`]); every handler loads its flow through [`enter`],
//! the one dispatcher. `/authorize` starts a flow ([`begin`]) when the protocol's
//! prompt decision (`oidc::prompt`) asks for a page.

pub mod access_code;
pub mod access_form;
pub mod access_request;
pub mod account;
pub mod begin;
pub mod consent;
pub mod esia;
pub mod esia_error;
pub mod esia_link;
pub mod finish;
pub mod journey;
pub mod linking;
pub mod login;
pub mod password;
pub mod password_reset;
pub mod pd_consent;
pub mod resolve;

use crate::app::App;
use crate::clock::UnixTime;
use crate::oidc::request::AuthRequest;
use crate::session::Authenticated;
use crate::store::FlowRecord;
use crate::web::error_page::PageError;
use journey::{Action, Gate, Stage};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub fn routes() -> axum::Router<Arc<App>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/authorize", get(begin::get).post(begin::post))
        .route("/login", get(login::show).post(login::submit))
        .route("/forgot-password", get(password_reset::forgot_page).post(password_reset::forgot_submit))
        .route("/forgot-password/sent", get(password_reset::forgot_sent))
        .route("/reset-password", get(password_reset::reset_page).post(password_reset::reset_submit))
        .route("/consent", get(consent::show).post(consent::submit))
        .route("/account", get(account::show))
        .route("/account/consents/revoke", post(account::revoke_consent))
        .route("/account/esia/link", post(account::esia_notice))
        .route("/account/esia/start", post(account::esia_start))
        .route("/account/esia/unlink", post(account::esia_unlink))
        .route("/account/pd-consent/revoke", post(account::revoke_pd_consent))
        .route("/account/password", post(password::change))
        .route("/login/esia", get(esia::role_page).post(esia::start))
        .route("/login/esia/callback", get(esia::callback))
        .route("/login/esia/refused", get(resolve::refused))
        .route("/login/esia/consent", get(pd_consent::show).post(pd_consent::submit))
        .route("/login/esia/choose", get(resolve::chooser).post(resolve::choose))
        .route("/login/esia/not-found", get(esia_link::not_found))
        .route("/login/esia/link", get(esia_link::link_page).post(esia_link::link_submit))
        .route("/login/esia/request", get(access_request::check))
        .route("/login/esia/request/form", get(access_request::form_page).post(access_request::form_submit))
        .route("/login/esia/request/code", get(access_code::code_page).post(access_code::code_submit))
        .route("/login/esia/request/done", get(access_request::done))
        .route("/login/esia/exit", get(esia_link::exit))
        .route("/login/esia/leave", post(esia_link::leave))
}

/// An authorization in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub id: String,
    /// Hash of the browser-binding id of the browser that started the flow.
    pub browser: String,
    /// Where the journey is; only the actions of this stage may act.
    #[serde(default)]
    pub stage: Stage,
    /// The stored row's version when loaded (not part of the JSON); `None` until
    /// first stored. [`save`] replaces the row only if it is still this version.
    #[serde(skip)]
    pub version: Option<i64>,
    /// The client address that started the flow (not part of the JSON): the first
    /// [`save`] counts it against `login.max_flows_per_address`.
    #[serde(skip)]
    pub origin: Option<std::net::IpAddr>,
    /// The relying party's request; `None` when the flow links ESIA from `/account`
    /// or signs in «Через Госуслуги» from the login page itself.
    pub request: Option<AuthRequest>,
    /// A sign-in without a relying party: the local path to land on afterwards.
    #[serde(default)]
    pub return_to: Option<String>,
    /// Set once the person authenticated within this flow.
    pub login: Option<Authenticated>,
    /// Set once the person gave the relying-party consent within this flow.
    #[serde(default)]
    pub consented: bool,
    /// The «Через Госуслуги» part of the flow, once started.
    #[serde(default)]
    pub esia: Option<esia::EsiaStep>,
    /// «Обратиться в организацию»: a draft waiting for its email code, the request filed.
    #[serde(default)]
    pub access: Option<access_request::AccessState>,
    pub created_at: UnixTime,
}

impl Flow {
    /// A new flow of this browser (hashed browser id), started from `client`, at `stage`.
    pub fn new(
        browser_id: &str,
        client: std::net::IpAddr,
        request: Option<AuthRequest>,
        stage: Stage,
        now: UnixTime,
    ) -> Self {
        Self {
            id: crate::crypto::random_token(),
            browser: crate::crypto::token_hash(browser_id),
            stage,
            version: None,
            origin: Some(client),
            request,
            return_to: None,
            login: None,
            consented: false,
            esia: None,
            access: None,
            created_at: now,
        }
    }

    /// The relying party's request of a login flow (not of an `/account` linking flow).
    pub fn rp(&self) -> Result<&AuthRequest, PageError> {
        self.request.as_ref().ok_or_else(|| PageError::bad_request("Этот шаг доступен только при входе в приложение."))
    }
}

/// Inserts a new flow unless its client address has started too many in the window.
async fn create(app: &App, flow: &mut Flow, record: &FlowRecord) -> Result<(), PageError> {
    let limits = &app.config.login;
    let stored = match (flow.origin, limits.max_flows_per_address) {
        (Some(client), max) if max > 0 => {
            let key = app.throttle.address_counter("flows", client);
            let window = i64::try_from(limits.flows_window_secs).unwrap_or(i64::MAX);
            app.store.put_flow_counted(record, &key, max, window).await?
        }
        _ => {
            app.store.put_flow(record).await?;
            true
        }
    };
    if !stored {
        metrics::counter!("propusk_flows_refused_total").increment(1);
        return Err(PageError::too_many(limits.flows_window_secs));
    }
    flow.version = Some(0);
    Ok(())
}

/// Stores a flow until `session.flow_ttl_secs` after it began: a new flow is
/// inserted, counted against its client address (AB-02: a flood of `/authorize`
/// from one address stores at most `login.max_flows_per_address` flows per window,
/// and expired flows are purged); a loaded one is replaced only if no other request moved it on since it
/// was loaded (one conditional update). Every step that signs in, links or issues
/// saves the flow's new stage first, so of two submissions of one flow at once only
/// one gets past it; the other is sent to the page of the stage the flow is at.
pub async fn save(app: &App, flow: &mut Flow) -> Result<(), PageError> {
    let data = serde_json::to_string(&*flow).map_err(PageError::internal)?;
    let expires_at = flow.created_at + app.config.session.flow_ttl_secs;
    let record = FlowRecord { id: flow.id.clone(), data, expires_at, version: 0 };
    let Some(version) = flow.version else {
        return create(app, flow, &record).await;
    };
    if !app.store.replace_flow(&record, version).await? {
        let stored = app.store.flow(&flow.id).await?.and_then(|r| serde_json::from_str::<Flow>(&r.data).ok());
        let signed = app.cookies.sign("flow", &flow.id);
        let stage = stored.map(|f| f.stage).unwrap_or_default();
        return Err(PageError::elsewhere(&format!("{}?flow={signed}", journey::page_of(stage))));
    }
    flow.version = Some(version + 1);
    Ok(())
}

/// The commitment of a sign-in: the flow's stage becomes `SignedIn` in one
/// conditional update ([`save`]) before any link, session or code exists, so of two
/// requests of the same flow at once only one signs in.
pub async fn commit_sign_in(app: &App, flow: &mut Flow) -> Result<(), PageError> {
    if flow.stage != Stage::SignedIn {
        flow.stage = Stage::SignedIn;
        save(app, flow).await?;
    }
    Ok(())
}

/// The flow of a journey form POST for `action`: CSRF checked, loaded, bound to
/// this browser and let through by its stage ([`enter`]). Returns the flow, its
/// signed id and the browser id.
pub async fn posted_flow(
    app: &App,
    headers: &axum::http::HeaderMap,
    form: &crate::oidc::params::Params,
    action: Action,
) -> Result<(Flow, String, String), PageError> {
    let browser_id = crate::session::checked_browser(&app.cookies, headers, form)?;
    let signed = form.get("flow").unwrap_or_default().to_owned();
    let flow = enter(app, &signed, &browser_id, action).await?;
    Ok((flow, signed, browser_id))
}

/// The flow named in a journey page's query (`?flow=…`) for `action`, bound to this
/// browser and let through by its stage ([`enter`]); with the browser id.
pub async fn queried_flow(
    app: &App,
    headers: &axum::http::HeaderMap,
    signed: &str,
    action: Action,
) -> Result<(Flow, String), PageError> {
    let browser_id = crate::web::cookie::read(headers, app.cookies.browser_name()).unwrap_or_default();
    let flow = enter(app, signed, &browser_id, action).await?;
    Ok((flow, browser_id))
}

/// The dispatcher: loads the flow (bound to this browser) and lets `action` act only
/// in a stage that allows it ([`journey::next`]); out of order, the answer is the
/// page of the current stage. The checks every ESIA step needs are made here once:
/// the ESIA person is known from `EsiaReturned` on, and actions that link or sign
/// in need the personal-data consent on file.
pub async fn enter(app: &App, signed: &str, browser_id: &str, action: Action) -> Result<Flow, PageError> {
    let mut flow = load(app, signed, browser_id).await?;
    if let Gate::Show(stage) = journey::next(flow.stage, action) {
        tracing::info!(?stage, ?action, "journey action out of order");
        return Err(PageError::elsewhere(&format!("{}?flow={signed}", journey::page_of(stage))));
    }
    let needs_person = !matches!(flow.stage, Stage::Login | Stage::RoleChosen | Stage::SignedIn);
    let person = flow.esia.as_ref().and_then(|s| s.person.as_ref());
    if needs_person && person.is_none() {
        return Err(PageError::bad_request("Вход через Госуслуги не завершён. Начните вход заново."));
    }
    if matches!(action, Action::LinkSubmit | Action::Choose | Action::Request)
        && let Some(p) = person
        && app.store.pd_consent(&p.issuer, &p.subject).await?.is_none()
    {
        // Revoked meanwhile (another tab): ask again before anything links.
        flow.stage = Stage::EsiaReturned;
        save(app, &mut flow).await?;
        return Err(PageError::elsewhere(&format!("{}?flow={signed}", journey::page_of(flow.stage))));
    }
    Ok(flow)
}

/// The organisation chosen on a login or linking form (the open tab's select).
pub fn chosen_org(form: &crate::oidc::params::Params) -> &str {
    match form.get("org_kind") {
        Some("authority") => form.get("org_authority"),
        _ => form.get("org"),
    }
    .unwrap_or_default()
}

/// Loads the flow named by a signed id, checking that this browser started it.
pub async fn load(app: &App, signed_id: &str, browser_id: &str) -> Result<Flow, PageError> {
    let expired = || {
        PageError::bad_request(
            "Время на вход истекло или ссылка недействительна. Вернитесь в приложение и начните вход заново.",
        )
    };
    let id = app.cookies.unsign("flow", signed_id).ok_or_else(expired)?;
    let record = app.store.flow(&id).await?.ok_or_else(expired)?;
    let mut flow: Flow = serde_json::from_str(&record.data).map_err(PageError::internal)?;
    if !crate::crypto::ct_eq(flow.browser.as_bytes(), crate::crypto::token_hash(browser_id).as_bytes()) {
        return Err(PageError::forbidden(
            "Вход был начат в другом браузере. Вернитесь в приложение и начните вход заново.",
        ));
    }
    flow.version = Some(record.version);
    Ok(flow)
}
