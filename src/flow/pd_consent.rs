//! «Согласие на передачу персональных данных»: the first time an ESIA person
//! arrives, the page lists exactly what propusk receives from ESIA; «Даю согласие»
//! records it (person, text version, time, IP); «Отказаться» deletes the flow —
//! the only copy of the person's data until then — audits the refusal and ends the
//! flow with `access_denied`. A recorded consent holds until revoked in `/account`
//! or until the person's last link is removed.

use super::esia::FlowQuery;
use super::journey::Action;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::oidc::params::Params;
use crate::store::Role;
use crate::store::links::PdConsent;
use crate::web::client_addr::ClientAddr;
use crate::web::error_page::PageError;
use crate::web::esia_pages::PdConsentPage;
use crate::web::pages;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// The version of the consent text below; stored with every consent.
pub const TEXT_VERSION: &str = "2026-12-02";

/// What is transferred, in the words of seed 004, for the ESIA scopes the role asks
/// for (`esia::scopes_for`): only what matching and the diary need
/// (docs/link-policy.md says why passport data, birth certificates, gender and
/// children's contacts are not taken).
pub fn data_items(role: Role) -> Vec<&'static str> {
    const ITEMS: [(&str, &str); 5] = [
        ("fullname", "ФИО"),
        ("birthdate", "Дата рождения"),
        ("email", "Контактные данные (телефон, адрес электронной почты)"),
        ("snils", "СНИЛС"),
        ("kid_fullname", "Список детей: ФИО, дата рождения, СНИЛС"),
    ];
    let scopes = super::esia::scopes_for(role);
    ITEMS.iter().filter(|(scope, _)| scopes.iter().any(|s| s == scope)).map(|(_, item)| *item).collect()
}

/// GET /login/esia/consent
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, browser_id) = super::queried_flow(&app, &headers, &q.flow, Action::PdConsentPage).await?;
    let role =
        flow.esia.as_ref().map(|s| s.role).ok_or_else(|| PageError::bad_request("Вход через Госуслуги не начат."))?;
    let items = data_items(role).into_iter().map(str::to_owned).collect();
    Ok(pages::html(&PdConsentPage { flow: q.flow, csrf: app.cookies.csrf_token(&browser_id), items }))
}

/// POST /login/esia/consent
pub async fn submit(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (flow, signed, _) = super::posted_flow(&app, &headers, &p, Action::PdConsentAnswer).await?;
    let Some(person) = flow.esia.as_ref().and_then(|s| s.person.clone()) else {
        return Err(PageError::bad_request("Вход через Госуслуги не завершён."));
    };
    if p.get("decision") != Some("agree") {
        // Nothing of the person was stored but the flow's copy: it goes with the flow.
        let event = AuditEvent::PdConsentRefused { upstream_subject: person.subject.clone() };
        app.store.append_audit(&event).await?;
        return super::esia_link::leave_journey(&app, &flow, "the user refused the personal-data consent").await;
    }
    let consent = PdConsent {
        issuer: person.issuer.clone(),
        subject: person.subject.clone(),
        text_version: TEXT_VERSION.into(),
        given_at: app.clock.now(),
        ip: client.to_string(),
    };
    let event =
        AuditEvent::PdConsentGiven { upstream_subject: person.subject.clone(), text_version: TEXT_VERSION.into() };
    app.store.put_pd_consent(&consent, &event).await?;
    super::resolve::resolve(&app, flow, &signed).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_only_for_parents() {
        assert!(data_items(Role::Parent).iter().any(|i| i.starts_with("Список детей")));
        assert!(!data_items(Role::Pupil).iter().any(|i| i.starts_with("Список детей")));
        assert!(data_items(Role::Staff).contains(&"СНИЛС"));
        assert!(!data_items(Role::Parent).iter().any(|i| i.contains("паспорт")));
    }
}
