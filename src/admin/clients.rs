//! «Клиенты» (system-admin): `GET /admin/clients` (the list), `GET|POST
//! /admin/clients/{id}` (the settings as an edit form) and `POST
//! /admin/clients/{id}/rotate-secret` (a new secret, shown once). Changes go through
//! [`crate::oidc::client_ops`], the same path as `propusk clients update|rotate-secret`,
//! audited with the acting admin's account id.

use super::{AdminError, Section, posted_in, staff_in};
use crate::app::App;
use crate::oidc::client::ClientRuleError;
use crate::oidc::client_change::ClientChange;
use crate::oidc::client_ops::{self, ChangeError};
use crate::oidc::params::Params;
use crate::store::{AuthMethod, Client, ConsentMode};
use crate::web::admin_pages::date_time;
use crate::web::console_pages::{ClientForm, ClientPage, ClientRow, ClientsPage, SecretPage};
use crate::web::error_page::PageError;
use crate::web::{cookie, pages};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

/// The longest overlap of an old secret, hours (30 days).
const MAX_OVERLAP_HOURS: i64 = 30 * 24;

/// The path of a client's page, percent-encoded.
pub fn client_path(id: &str) -> String {
    format!("/admin/clients/{}", url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>())
}

fn kind(c: &Client) -> &'static str {
    match c.auth_method {
        AuthMethod::None => "публичный",
        AuthMethod::PrivateKeyJwt => "конфиденциальный (ключи)",
        _ => "конфиденциальный",
    }
}

fn consent_label(c: ConsentMode) -> &'static str {
    match c {
        ConsentMode::Implicit => "неявное",
        ConsentMode::Explicit => "явное",
    }
}

/// GET /admin/clients
pub async fn list(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, AdminError> {
    let staff = staff_in(&app, &headers, "/admin/clients", Section::Clients).await?;
    let rows = app
        .store
        .clients()
        .await?
        .into_iter()
        .map(|c| ClientRow {
            href: client_path(&c.id),
            name: c.display_name.clone().unwrap_or_default(),
            kind: kind(&c),
            consent: consent_label(c.consent),
            redirect_uris: c.redirect_uris.len(),
            id: c.id,
        })
        .collect();
    Ok(pages::html(&ClientsPage { nav: staff.nav(Section::Clients), rows }))
}

pub(super) fn form_of(c: &Client) -> ClientForm {
    ClientForm {
        display_name: c.display_name.clone().unwrap_or_default(),
        logo_uri: c.logo_uri.clone().unwrap_or_default(),
        redirect_uris: c.redirect_uris.join("\n"),
        post_logout_redirect_uris: c.post_logout_redirect_uris.join("\n"),
        grant_types: c.grant_types.join(" "),
        scope: c.scope.clone(),
        consent: c.consent.as_str().to_owned(),
        id_token_alg: c.id_token_alg.clone(),
        access_token_ttl: c.access_token_ttl.to_string(),
        id_token_ttl: c.id_token_ttl.to_string(),
        refresh_token_ttl: c.refresh_token_ttl.to_string(),
        require_par: c.require_pushed_authorization_requests,
        require_dpop: c.dpop_bound_access_tokens,
        backchannel_logout_uri: c.backchannel_logout_uri.clone().unwrap_or_default(),
        backchannel_logout_session_required: c.backchannel_logout_session_required,
        jwks: c.jwks.as_deref().map(pretty_jwks).unwrap_or_default(),
    }
}

/// A stored JWK Set, indented for the textarea.
fn pretty_jwks(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

fn posted_form(p: &Params) -> ClientForm {
    let text = |name: &str| p.get(name).unwrap_or_default().trim().to_owned();
    ClientForm {
        display_name: text("display_name"),
        logo_uri: text("logo_uri"),
        redirect_uris: text("redirect_uris"),
        post_logout_redirect_uris: text("post_logout_redirect_uris"),
        grant_types: text("grant_types"),
        scope: text("scope"),
        consent: text("consent"),
        id_token_alg: text("id_token_alg"),
        access_token_ttl: text("access_token_ttl"),
        id_token_ttl: text("id_token_ttl"),
        refresh_token_ttl: text("refresh_token_ttl"),
        require_par: p.get("require_par") == Some("on"),
        require_dpop: p.get("require_dpop") == Some("on"),
        backchannel_logout_uri: text("backchannel_logout_uri"),
        backchannel_logout_session_required: p.get("backchannel_logout_session_required") == Some("on"),
        jwks: text("jwks"),
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn seconds(label: &str, s: &str) -> Result<Option<i64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| format!("«{label}»: укажите целое число секунд."))
}

/// The change a posted form asks for, or a Russian message.
fn change_of(f: &ClientForm) -> Result<ClientChange, String> {
    let consent = ConsentMode::parse(&f.consent).ok_or("«Согласие»: выберите неявное или явное.")?;
    Ok(ClientChange {
        display_name: Some(f.display_name.clone()),
        // Always on the form: empty removes it.
        logo_uri: Some(f.logo_uri.clone()),
        redirect_uris: lines(&f.redirect_uris),
        post_logout_redirect_uris: lines(&f.post_logout_redirect_uris),
        grant_types: f.grant_types.split_whitespace().map(str::to_owned).collect(),
        scope: Some(f.scope.clone()).filter(|s| !s.is_empty()),
        consent: Some(consent),
        id_token_alg: Some(f.id_token_alg.clone()).filter(|s| !s.is_empty()),
        resources: Vec::new(),
        access_token_ttl: seconds("Время жизни access-токена", &f.access_token_ttl)?,
        id_token_ttl: seconds("Время жизни ID-токена", &f.id_token_ttl)?,
        refresh_token_ttl: seconds("Время жизни refresh-токена", &f.refresh_token_ttl)?,
        require_par: Some(f.require_par),
        require_dpop: Some(f.require_dpop),
        // The form shows the list: emptied, it means none.
        clear_post_logout_uris: true,
        disabled: None,
        // Always on the form: empty removes it.
        backchannel_logout_uri: Some(f.backchannel_logout_uri.clone()),
        backchannel_logout_session_required: Some(f.backchannel_logout_session_required),
        auth_method: None,
        // Empty (or a client without keys): the registered keys stay.
        jwks: Some(f.jwks.clone()).filter(|j| !j.is_empty()),
    })
}

/// A registration rule's refusal, in Russian (the rule's own reason in parentheses).
pub fn rule_message(e: &ClientRuleError) -> String {
    let field = match e.field {
        "--redirect-uri" => "Адреса возврата",
        "--post-logout-redirect-uri" => "Адреса после выхода",
        "--grant-type" => "Типы грантов",
        "--scope" => "Scope",
        "--id-token-alg" => "Алгоритм подписи ID-токена",
        "--display-name" => "Название",
        "--access-token-ttl" => "Время жизни access-токена",
        "--id-token-ttl" => "Время жизни ID-токена",
        "--refresh-token-ttl" => "Время жизни refresh-токена",
        "--old-valid-until" => "Старый секрет действует до",
        "--id" => "Идентификатор",
        "--secret" => "Секрет",
        "--backchannel-logout-uri" => "Адрес back-channel logout",
        "--jwks-file" => "Ключи клиента (JWKS)",
        "--auth-method" => "Способ аутентификации",
        "--logo-uri" => "Логотип",
        _ => "Настройки клиента",
    };
    format!("Поле «{field}» заполнено неверно ({}). Ничего не сохранено.", e.reason)
}

/// The client `id`, or the 404 page.
pub(super) async fn client_of(app: &App, id: &str) -> Result<Client, AdminError> {
    Ok(app.store.client(id).await?.ok_or_else(PageError::not_found)?)
}

/// Renders the edit page with a fresh CSRF token.
pub(super) fn edit_page(
    app: &App,
    headers: &HeaderMap,
    staff: &super::Staff,
    c: &Client,
    form: ClientForm,
    outcome: Result<bool, String>,
) -> Response {
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, headers);
    let (status, saved, error) = match outcome {
        Ok(saved) => (StatusCode::OK, saved, None),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, false, Some(e)),
    };
    let page = ClientPage {
        nav: staff.nav(Section::Clients),
        csrf: app.cookies.csrf_token(&browser_id),
        id: c.id.clone(),
        path: client_path(&c.id),
        confidential: c.auth_method != AuthMethod::None,
        by_key: c.auth_method == AuthMethod::PrivateKeyJwt,
        previous_secret_until: c.previous_secret_until.filter(|&t| t > app.clock.now()).map(date_time),
        disabled: c.disabled,
        form,
        error,
        saved,
    };
    let mut res = pages::html_with_status(status, &page);
    if let Some(cookie) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, cookie);
    }
    res
}

/// GET /admin/clients/{id}
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let staff = staff_in(&app, &headers, &client_path(&id), Section::Clients).await?;
    let c = client_of(&app, &id).await?;
    Ok(edit_page(&app, &headers, &staff, &c, form_of(&c), Ok(false)))
}

pub(super) fn page_error(e: ChangeError) -> AdminError {
    match e {
        ChangeError::NotFound => PageError::not_found().into(),
        ChangeError::Rule(e) => PageError::bad_request(rule_message(&e)).into(),
        ChangeError::Meanwhile | ChangeError::Exists => PageError::new(
            StatusCode::CONFLICT,
            "Клиент изменен",
            "Клиента только что изменили. Откройте его страницу и повторите.",
        )
        .into(),
        ChangeError::Store(e) => e.into(),
    }
}

/// POST /admin/clients/{id} — the edit form's fields and `csrf`. A refused change
/// re-renders the form with the posted values and a Russian message; nothing is stored.
pub async fn update(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, &client_path(&id), Section::Clients).await?;
    let c = client_of(&app, &id).await?;
    let form = posted_form(&p);
    let change = match change_of(&form) {
        Ok(change) => change,
        Err(e) => return Ok(edit_page(&app, &headers, &staff, &c, form, Err(e))),
    };
    match client_ops::update(&*app.store, &app.config.tokens, app.clock.now(), &id, change, &staff.id).await {
        Ok(changed) => {
            app.clients.invalidate(&id).await;
            Ok(edit_page(&app, &headers, &staff, &changed, form_of(&changed), Ok(true)))
        }
        Err(ChangeError::Rule(e)) => Ok(edit_page(&app, &headers, &staff, &c, form, Err(rule_message(&e)))),
        Err(e) => Err(page_error(e)),
    }
}

/// POST /admin/clients/{id}/rotate-secret — `csrf`, `overlap_hours` (0–720: how long
/// the old secret still works). The new secret is shown once, on this response only.
pub async fn rotate_secret(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, &client_path(&id), Section::Clients).await?;
    let c = client_of(&app, &id).await?;
    let hours = match p.get("overlap_hours").map(str::trim).filter(|h| !h.is_empty()) {
        None => 0,
        Some(h) => match h.parse::<i64>() {
            Ok(h) if (0..=MAX_OVERLAP_HOURS).contains(&h) => h,
            _ => {
                let e = format!("«Старый секрет действует до»: укажите от 0 до {MAX_OVERLAP_HOURS} часов.");
                return Ok(edit_page(&app, &headers, &staff, &c, form_of(&c), Err(e)));
            }
        },
    };
    let now = app.clock.now();
    let until = (hours > 0).then(|| now.saturating_add(hours * 3600));
    let (changed, secret) =
        client_ops::rotate_secret(&*app.store, now, &id, until, &staff.id).await.map_err(page_error)?;
    app.clients.invalidate(&id).await;
    let page = SecretPage {
        nav: staff.nav(Section::Clients),
        path: client_path(&id),
        id,
        secret: secret.expose().to_owned(),
        old_valid_until: changed.previous_secret_until.map(date_time),
        created: false,
    };
    let mut res = pages::html(&page);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
