//! The relying-party consent page (`/consent`) for clients registered with
//! explicit consent: «Разрешить» remembers the consent (per account and client,
//! with its scopes; revocable in `/account`), «Отказать» returns `access_denied`.

use crate::app::App;
use crate::audit::AuditEvent;
use crate::oidc::error::ErrorCode;
use crate::oidc::params::Params;
use crate::store::Consent;
use crate::web::error_page::PageError;
use crate::web::headers::ImageOrigin;
use crate::web::pages::{self, ConsentPage, ScopeLine};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// What a person is told each scope gives the application.
pub fn describe_scope(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "Идентификатор вашей учётной записи",
        "profile" => "ФИО и дата рождения",
        "email" => "Адрес электронной почты",
        "phone" => "Номер телефона",
        "school" => "Организация, роль и класс",
        "children" => "Список ваших детей, подтверждённый через Госуслуги",
        "offline_access" => "Доступ, когда вы не в сети (обновление входа)",
        _ => return None,
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct ConsentQuery {
    pub flow: String,
}

/// GET /consent
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<ConsentQuery>,
) -> Result<Response, PageError> {
    let (flow, browser_id) = super::queried_flow(&app, &headers, &q.flow, super::journey::Action::ConsentPage).await?;
    if flow.login.is_none() {
        return Err(PageError::bad_request("Сначала войдите в систему."));
    }
    let request = flow.rp()?;
    // Its display name when the admin gave one, else its id; its logo when it has one
    // whose origin the page's CSP can name.
    let (client_name, logo) = match app.clients.get(&request.client_id).await? {
        Some(c) => {
            let logo = c.logo_uri.as_deref().and_then(|u| Some((u.to_owned(), logo_origin(u)?)));
            (c.display_name.clone().unwrap_or_else(|| c.id.clone()), logo)
        }
        None => (request.client_id.clone(), None),
    };
    let scopes = request
        .scope
        .split(' ')
        .filter_map(|s| describe_scope(s).map(|d| ScopeLine { scope: s.to_owned(), description: d.to_owned() }))
        .collect();
    let (logo_uri, origin) = logo.unzip();
    let csrf = app.cookies.csrf_token(&browser_id);
    let mut res = pages::html(&ConsentPage { flow: q.flow, csrf, client_name, logo_uri, scopes });
    if let Some(origin) = origin {
        // This response only: the security layer adds it to `img-src`.
        res.extensions_mut().insert(origin);
    }
    Ok(res)
}

/// The origin the consent page lets a logo come from; `None` for a stored URL that
/// breaks today's rule (it is then not shown).
fn logo_origin(uri: &str) -> Option<ImageOrigin> {
    crate::oidc::logo::origin(uri).as_deref().and_then(ImageOrigin::new)
}

/// POST /consent
pub async fn submit(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (mut flow, _, _) = super::posted_flow(&app, &headers, &p, super::journey::Action::ConsentAnswer).await?;
    let Some(auth) = flow.login.clone() else {
        return Err(PageError::bad_request("Сначала войдите в систему."));
    };
    match p.get("decision") {
        Some("allow") => {
            // The commitment: of two «Разрешить» of one flow at once, one issues.
            flow.consented = true;
            super::save(&app, &mut flow).await?;
            let request = flow.rp()?;
            let consent = Consent {
                account_id: auth.account_id.clone(),
                client_id: request.client_id.clone(),
                scope: request.scope.clone(),
                granted_at: app.clock.now(),
            };
            let event = AuditEvent::ConsentGiven {
                account_id: consent.account_id.clone(),
                client_id: consent.client_id.clone(),
                scope: consent.scope.clone(),
            };
            app.store.put_consent(&consent, &event).await?;
            super::finish::advance(&app, flow, &[]).await
        }
        _ => super::finish::abort(&app, &flow, ErrorCode::AccessDenied, "the user denied the request").await,
    }
}
