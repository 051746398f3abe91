//! «Обратиться в организацию» after «Запись не найдена»: the check «Действительно
//! ли у Вас есть проблема входа…» (with the organisations where this ESIA person
//! already has an account), the form ([`super::access_form`]), the email code when
//! the address is not the one ESIA vouched for ([`super::access_code`]), filing the request (numbered,
//! deduplicated, with its confirmation mail and audit event in one commit) and the
//! success page, reached by POST→redirect→GET so a reload never files again.

use super::Flow;
use super::access_form::{Catalogue, Draft, FormContext, FormValues, validate};
use super::esia::{EsiaPerson, FlowQuery};
use crate::account::request_mail;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::oidc::params::Params;
use crate::store::requests::{AccessRequest, Filed, RequestStatus, new_request_number};
use crate::store::{Role, StoreError};
use crate::web::error_page::PageError;
use crate::web::pages;
use crate::web::redirect::redirect;
use crate::web::request_pages::{FieldErrors, KnownAccount, OpenRequestLine, RequestCheckPage, RequestDonePage};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// New numbers drawn when a number exists already.
const NUMBER_TRIES: usize = 3;

/// The access-request part of a flow (`Flow::access`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessState {
    /// A request waiting for the code sent to its typed-in email.
    pub pending: Option<super::access_code::PendingCode>,
    /// Codes sent within this flow.
    #[serde(default)]
    pub codes_sent: u32,
    /// The request filed in this flow (or the open one it duplicated), for the success page.
    pub filed: Option<FiledNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiledNote {
    pub number: String,
    pub email: String,
    pub duplicate: bool,
}

pub(super) fn flow_url(path: &str, signed: &str) -> String {
    format!("{path}?flow={signed}")
}

/// The ESIA person and role of a flow that may file a request. That ESIA vouched for
/// the person and that the consent is on file, the dispatcher (`flow::enter`, stage
/// `NotFound`, action `Request`) has already checked.
pub(super) fn requester(flow: &Flow) -> Result<(EsiaPerson, Role), PageError> {
    let step = flow.esia.as_ref().ok_or_else(|| PageError::bad_request("Вход через Госуслуги не начат."))?;
    let person = step.person.as_ref().ok_or_else(|| PageError::bad_request("Вход через Госуслуги не завершён."))?;
    Ok((person.clone(), step.role))
}

/// GET /login/esia/request — «Действительно ли у Вас есть проблема входа в систему через Госуслуги?»
pub async fn check(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, _) = super::queried_flow(&app, &headers, &q.flow, super::journey::Action::Request).await?;
    let (person, _) = requester(&flow)?;
    let mut seen = Vec::new();
    let mut accounts = Vec::new();
    let linked = app.store.links_by_subject(&person.issuer, &person.subject).await?;
    let mut found: Vec<(String, bool)> = linked.into_iter().map(|l| (l.account_id, true)).collect();
    // Only accounts the link policy would sign this person in to under another role:
    // a namesake's record is never named (nothing about a near match is shown).
    let policy_person = super::linking::policy_person(&app.directory_keys, &person);
    for role in [Role::Parent, Role::Pupil, Role::Staff] {
        let (decision, _) = super::linking::automatic(&*app.store, &person, role, &policy_person).await?;
        if let crate::account::link_policy::Automatic::Link { accounts, .. } = decision {
            found.extend(accounts.into_iter().map(|id| (id, false)));
        }
    }
    for (id, is_linked) in found {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id.clone());
        let Some(account) = app.store.account(&id).await? else { continue };
        if account.disabled {
            continue;
        }
        let org = app.store.organisation(&account.organisation_id).await?;
        accounts.push(KnownAccount {
            organisation: org.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            locality: org.map(|o| o.locality).unwrap_or_default(),
            role: account.role.label().to_owned(),
            linked: is_linked,
        });
    }
    let mut open = Vec::new();
    for r in app.store.requests_of_person(&person.issuer, &person.subject).await? {
        if r.status == RequestStatus::Open {
            let org = app.store.organisation(&r.organisation_id).await?.map(|o| o.name).unwrap_or_default();
            open.push(OpenRequestLine { number: r.number, organisation: org });
        }
    }
    Ok(pages::html(&RequestCheckPage { flow: q.flow, accounts, open }))
}

pub(super) async fn render_form(
    app: &App,
    signed: &str,
    browser_id: &str,
    flow: &Flow,
    values: &FormValues,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (person, role) = requester(flow)?;
    let catalogue = Catalogue::load(app).await?;
    let ctx = FormContext {
        flow: signed.to_owned(),
        csrf: app.cookies.csrf_token(browser_id),
        person: &person,
        role,
        catalogue: &catalogue,
    };
    Ok(pages::html_with_status(status, &ctx.page(values, errors)))
}

/// GET /login/esia/request/form — the form, pre-filled from ESIA (or from a draft
/// waiting for its code, when the person comes back to change it).
pub async fn form_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, browser_id) = super::queried_flow(&app, &headers, &q.flow, super::journey::Action::Request).await?;
    let (person, _) = requester(&flow)?;
    let values = match flow.access.as_ref().and_then(|a| a.pending.as_ref()) {
        Some(p) => p.values.clone(),
        None => FormValues::initial(&person),
    };
    render_form(&app, &q.flow, &browser_id, &flow, &values, FieldErrors::default(), StatusCode::OK).await
}

/// POST /login/esia/request/form — «Показать» re-renders with the options filtered;
/// «Отправить» validates, then files at once (the ESIA email) or sends a code.
pub async fn form_submit(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (flow, signed, browser_id) = super::posted_flow(&app, &headers, &p, super::journey::Action::Request).await?;
    let (person, role) = requester(&flow)?;
    let values = FormValues::from_params(&p);
    if p.get("action") == Some("refresh") {
        return render_form(&app, &signed, &browser_id, &flow, &values, FieldErrors::default(), StatusCode::OK).await;
    }
    let catalogue = Catalogue::load(&app).await?;
    let draft = match validate(&values, &person, role, &catalogue) {
        Ok(d) => d,
        Err(errors) => {
            return render_form(&app, &signed, &browser_id, &flow, &values, *errors, StatusCode::BAD_REQUEST).await;
        }
    };
    let from_esia = person.email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(&draft.email));
    if from_esia {
        return file(&app, flow, &signed, &person, role, &draft, true).await;
    }
    super::access_code::send_code(&app, flow, &signed, &browser_id, &person, draft, values).await
}

/// A UUID v7 of `now` with random bits from the CSPRNG (as `OutboxMessage::new`).
fn uuid_v7(now: UnixTime) -> String {
    let random = crate::crypto::random_bytes();
    let mut counter = [0u8; 10];
    counter.copy_from_slice(&random[..10]);
    let millis = u64::try_from(now).unwrap_or(0).saturating_mul(1000);
    uuid::Builder::from_unix_timestamp_millis(millis, &counter).into_uuid().to_string()
}

/// Files the request (a new number on a collision, up to [`NUMBER_TRIES`] times),
/// remembers what the success page shows, and redirects there.
pub(super) async fn file(
    app: &App,
    mut flow: Flow,
    signed: &str,
    person: &EsiaPerson,
    role: Role,
    draft: &Draft,
    email_from_esia: bool,
) -> Result<Response, PageError> {
    let org = app.store.organisation(&draft.organisation_id).await?.ok_or_else(PageError::not_found)?;
    let now = app.clock.now();
    let mut req = AccessRequest {
        id: uuid_v7(now),
        number: new_request_number(),
        issuer: person.issuer.clone(),
        subject: person.subject.clone(),
        role,
        surname: person.surname.clone(),
        given_name: person.given_name.clone(),
        patronymic: person.patronymic.clone(),
        birth_date: person.birth_date.clone(),
        email: draft.email.clone(),
        email_from_esia,
        child: draft.child.clone(),
        organisation_id: org.id.clone(),
        class_id: draft.class_id.clone(),
        comment: draft.comment.clone(),
        status: RequestStatus::Open,
        created_at: now,
        decided_at: None,
        decided_by: None,
        reason: None,
        account_id: None,
    };
    let mut tries = 0;
    let note = loop {
        let mail = request_mail::filed(&req, &org.name).message(now, &req.email);
        let audit = AuditEvent::RequestFiled {
            number: req.number.clone(),
            organisation_id: org.id.clone(),
            upstream_subject: person.subject.clone(),
        };
        match app.store.file_request(&req, &mail, &audit).await {
            Ok(Filed::Created) => {
                metrics::counter!("propusk_access_requests_total", "outcome" => "filed").increment(1);
                break FiledNote { number: req.number.clone(), email: req.email.clone(), duplicate: false };
            }
            Ok(Filed::Duplicate(open)) => {
                metrics::counter!("propusk_access_requests_total", "outcome" => "duplicate").increment(1);
                break FiledNote { number: open.number, email: open.email, duplicate: true };
            }
            Err(StoreError::Conflict(_)) if tries + 1 < NUMBER_TRIES => {
                tries += 1;
                req.number = new_request_number();
            }
            Err(e) => return Err(e.into()),
        }
    };
    let state = flow.access.get_or_insert_with(AccessState::default);
    state.pending = None;
    state.filed = Some(note);
    super::save(app, &mut flow).await?;
    Ok(redirect(&flow_url("/login/esia/request/done", signed), true, &[]))
}

/// GET /login/esia/request/done — «Успешно создано обращение №…».
pub async fn done(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, _) = super::queried_flow(&app, &headers, &q.flow, super::journey::Action::Request).await?;
    let Some(note) = flow.access.as_ref().and_then(|a| a.filed.clone()) else {
        return Ok(redirect(&flow_url("/login/esia/request/form", &q.flow), false, &[]));
    };
    let page = RequestDonePage { flow: q.flow, number: note.number, email: note.email, duplicate: note.duplicate };
    Ok(pages::html(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuid_v7() {
        let id = uuid_v7(1_750_000_000);
        let parsed = uuid::Uuid::parse_str(&id).ok();
        assert_eq!(parsed.map(|u| u.get_version_num()), Some(7));
        assert_ne!(uuid_v7(1_750_000_000), id);
    }
}
