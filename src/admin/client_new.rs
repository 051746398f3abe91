//! «Клиенты» (system-admin): `GET|POST /admin/clients/new` (a new client by the rules
//! of `propusk clients add`; a confidential one's secret shown once) and `POST
//! /admin/clients/{id}/delete` (with a confirmation), `POST /admin/clients/{id}/disable`
//! and `/enable`, through [`crate::oidc::client_ops`].

use super::clients::{client_of, client_path, edit_page, rule_message};
use super::{AdminError, Section, posted_in, staff_in};
use crate::app::App;
use crate::cli::{AddClient, new_client};
use crate::oidc::client_change::ClientChange;
use crate::oidc::client_ops::{self, ChangeError};
use crate::oidc::params::Params;
use crate::web::console_pages::{NewClientForm, NewClientPage, SecretPage};
use crate::web::error_page::PageError;
use crate::web::{cookie, pages, redirect};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

const NEW: &str = "/admin/clients/new";

fn new_page(
    app: &App,
    headers: &HeaderMap,
    staff: &super::Staff,
    form: NewClientForm,
    error: Option<String>,
) -> Response {
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, headers);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page =
        NewClientPage { nav: staff.nav(Section::Clients), csrf: app.cookies.csrf_token(&browser_id), form, error };
    let mut res = pages::html_with_status(status, &page);
    if let Some(c) = set_browser {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// GET /admin/clients/new
pub async fn form(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, AdminError> {
    let staff = staff_in(&app, &headers, NEW, Section::Clients).await?;
    Ok(new_page(&app, &headers, &staff, NewClientForm::default(), None))
}

fn add_args(f: &NewClientForm) -> AddClient {
    AddClient {
        id: f.id.clone(),
        redirect_uris: f.redirect_uris.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        public: f.public,
        scope: Some(f.scope.clone()).filter(|s| !s.is_empty()),
        consent: Some(f.consent.clone()),
        display_name: Some(f.display_name.clone()).filter(|s| !s.is_empty()),
        logo_uri: Some(f.logo_uri.clone()).filter(|s| !s.is_empty()),
        grant_types: f.grant_types.split_whitespace().map(str::to_owned).collect(),
        subject_type: Some(f.subject_type.clone()).filter(|s| !s.is_empty()),
        sector_identifier_uri: Some(f.sector_identifier_uri.clone()).filter(|s| !s.is_empty()),
        // A public client has no method to choose.
        auth_method: Some(f.auth_method.clone()).filter(|m| !m.is_empty() && !f.public),
        jwks: Some(f.jwks.clone()).filter(|j| !j.is_empty()),
        ..AddClient::default()
    }
}

/// POST /admin/clients/new — `csrf`, `id`, `display_name`, `logo_uri`, `public=on`, `redirect_uris`
/// (one per line), `scope`, `consent`, `grant_types`, `subject_type`, `sector_identifier_uri`,
/// `auth_method`, `jwks` (a `private_key_jwt` client's JWK Set). A refusal re-renders the form; nothing stored.
pub async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, NEW, Section::Clients).await?;
    let text = |name: &str| p.get(name).unwrap_or_default().trim().to_owned();
    let form = NewClientForm {
        id: text("id"),
        display_name: text("display_name"),
        logo_uri: text("logo_uri"),
        public: p.get("public") == Some("on"),
        redirect_uris: text("redirect_uris"),
        scope: text("scope"),
        consent: text("consent"),
        grant_types: text("grant_types"),
        subject_type: text("subject_type"),
        sector_identifier_uri: text("sector_identifier_uri"),
        auth_method: text("auth_method"),
        jwks: text("jwks"),
    };
    let (new, require_par) = match new_client(&app.config, add_args(&form)) {
        Ok(n) => n,
        Err(e) => {
            let e = format!("Настройки клиента заполнены неверно ({e}). Ничего не сохранено.");
            return Ok(new_page(&app, &headers, &staff, form, Some(e)));
        }
    };
    let now = app.clock.now();
    let added = match client_ops::registered(new, &app.config.tokens, now, require_par) {
        Ok((client, secret)) => client_ops::add(&*app.store, &client, &staff.id).await.map(|()| (client, secret)),
        Err(e) => Err(e),
    };
    match added {
        Ok((client, Some(secret))) => {
            let page = SecretPage {
                nav: staff.nav(Section::Clients),
                path: client_path(&client.id),
                id: client.id,
                secret: secret.expose().to_owned(),
                old_valid_until: None,
                created: true,
            };
            let mut res = pages::html(&page);
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Ok((client, None)) => Ok(redirect::redirect(&client_path(&client.id), true, &[])),
        Err(ChangeError::Rule(e)) => Ok(new_page(&app, &headers, &staff, form, Some(rule_message(&e)))),
        Err(ChangeError::Exists) => {
            let e = format!("Клиент «{}» уже зарегистрирован. Ничего не сохранено.", form.id);
            Ok(new_page(&app, &headers, &staff, form, Some(e)))
        }
        Err(ChangeError::Store(e)) => Err(e.into()),
        Err(ChangeError::NotFound | ChangeError::Meanwhile) => Err(PageError::not_found().into()),
    }
}

/// POST /admin/clients/{id}/delete — `csrf`, `confirm=on`; then back to the list.
pub async fn delete(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, &client_path(&id), Section::Clients).await?;
    let c = client_of(&app, &id).await?;
    if p.get("confirm") != Some("on") {
        let e = "Отметьте «Подтверждаю удаление клиента». Ничего не удалено.".to_owned();
        return Ok(edit_page(&app, &headers, &staff, &c, super::clients::form_of(&c), Err(e)));
    }
    if !client_ops::remove(&*app.store, &id, &staff.id).await? {
        return Err(PageError::not_found().into());
    }
    app.clients.invalidate(&id).await;
    Ok(redirect::redirect("/admin/clients", true, &[]))
}

/// POST /admin/clients/{id}/disable — `csrf`. The protocol treats the client as unknown
/// until it is enabled; its grants are kept.
pub async fn disable(
    state: State<Arc<App>>,
    headers: HeaderMap,
    id: Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    set_disabled(state, headers, id, body, true).await
}

/// POST /admin/clients/{id}/enable — `csrf`.
pub async fn enable(
    state: State<Arc<App>>,
    headers: HeaderMap,
    id: Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    set_disabled(state, headers, id, body, false).await
}

async fn set_disabled(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
    disabled: bool,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let staff = posted_in(&app, &headers, &p, &client_path(&id), Section::Clients).await?;
    let change = ClientChange { disabled: Some(disabled), ..ClientChange::default() };
    let changed = client_ops::update(&*app.store, &app.config.tokens, app.clock.now(), &id, change, &staff.id)
        .await
        .map_err(super::clients::page_error)?;
    app.clients.invalidate(&id).await;
    Ok(edit_page(&app, &headers, &staff, &changed, super::clients::form_of(&changed), Ok(true)))
}
