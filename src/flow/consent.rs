//! The relying-party consent page (`/consent`) for clients registered with
//! explicit consent: «Разрешить» remembers the consent (per account and client,
//! with its scopes; revocable in `/account`), «Отказать» returns `access_denied`.

use crate::app::App;
use crate::audit::AuditEvent;
use crate::oidc::error::ErrorCode;
use crate::oidc::params::Params;
use crate::store::Consent;
use crate::web::error_page::PageError;
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
    // Its display name when the admin gave one, else its id.
    let client_name = match app.clients.get(&request.client_id).await? {
        Some(c) => c.display_name.clone().unwrap_or_else(|| c.id.clone()),
        None => request.client_id.clone(),
    };
    let scopes = request
        .scope
        .split(' ')
        .filter_map(|s| describe_scope(s).map(|d| ScopeLine { scope: s.to_owned(), description: d.to_owned() }))
        .collect();
    Ok(pages::html(&ConsentPage { flow: q.flow, csrf: app.cookies.csrf_token(&browser_id), client_name, scopes }))
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
