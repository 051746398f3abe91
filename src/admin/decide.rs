//! The staff actions on an open request: «Привязать к учетной записи» (optionally
//! correcting the account from the ESIA data), «Создать учетную запись» and
//! «Отклонить» with a «Причина». Each ends the request in one store transaction with
//! the link, the mail to the person and the audit events; then back to the request.

use super::new_account::{self, NewAccount};
use super::{AdminError, posted_staff, request_of, request_path, review};
use crate::account::link_policy::{self, Difference, EsiaKind};
use crate::account::request_mail;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::crypto::SecretString;
use crate::oidc::params::Params;
use crate::store::links::LinkMethod;
use crate::store::requests::{AccessRequest, Decision, Outcome, RequestStatus};
use crate::store::{Account, StoreError};
use crate::web::error_page::PageError;
use crate::web::redirect::redirect;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The longest «Причина».
pub const MAX_REASON_CHARS: usize = 1000;
/// How many numbered variants of a login are looked at.
const LOGIN_ATTEMPTS: u32 = 1000;
/// How many times a decision is retried with the next login after losing a race.
const LOGIN_RETRIES: u32 = 20;

fn already_decided() -> PageError {
    PageError::new(
        StatusCode::CONFLICT,
        "Обращение уже рассмотрено",
        "По этому обращению уже принято решение. Откройте обращение, чтобы увидеть его.",
    )
}

/// The staff member and the open request of a form POST (CSRF, session, organisation).
async fn open_request(
    app: &App,
    headers: &HeaderMap,
    number: &str,
    p: &Params,
) -> Result<(super::Staff, AccessRequest), AdminError> {
    let staff = posted_staff(app, headers, p).await?;
    let req = request_of(app, &staff, number).await?;
    if req.status != RequestStatus::Open {
        return Err(already_decided().into());
    }
    Ok((staff, req))
}

fn linked_event(req: &AccessRequest, account_id: &str, confirmed: &[Difference]) -> AuditEvent {
    let mut evidence = vec!["staff_review".to_owned()];
    evidence.extend(confirmed.iter().map(|d| d.code().to_owned()));
    if !confirmed.is_empty() {
        evidence.push("staff_confirmed_differences".to_owned());
    }
    AuditEvent::AccountLinked {
        account_id: account_id.to_owned(),
        upstream_subject: req.subject.clone(),
        method: LinkMethod::Staff.as_str().to_owned(),
        evidence,
    }
}

/// The link policy's warnings for linking the request's person to `account`. The
/// request keeps no ESIA account kind: a person under 14 filed from a child account.
pub fn staff_warnings(app: &App, req: &AccessRequest, account: &Account) -> Vec<Difference> {
    let today = crate::clock::today_utc(&*app.clock);
    let young =
        req.birth_date.as_deref().and_then(link_policy::iso_date).is_some_and(|b| link_policy::age_on(b, today) < 14);
    let person = link_policy::Person {
        kind: Some(if young { EsiaKind::Child } else { EsiaKind::Confirmed }),
        surname: req.surname.clone(),
        given_name: req.given_name.clone(),
        patronymic: req.patronymic.clone(),
        birth_date: req.birth_date.clone(),
        ..Default::default()
    };
    link_policy::by_staff(req.role, &person, account, today)
}

fn decided_event(req: &AccessRequest, staff: &Account, decision: &str, account_id: Option<&str>) -> AuditEvent {
    AuditEvent::RequestDecided {
        number: req.number.clone(),
        staff_id: staff.id.clone(),
        decision: decision.to_owned(),
        account_id: account_id.map(str::to_owned),
    }
}

async fn org_name(app: &App, req: &AccessRequest) -> Result<String, AdminError> {
    Ok(app.store.organisation(&req.organisation_id).await?.map(|o| o.name).unwrap_or_default())
}

/// Stores the decision; `false` from the store means someone decided first (409).
async fn commit(
    app: &App,
    decision: Decision,
    mail: request_mail::MailText,
    req: &AccessRequest,
    audit: Vec<AuditEvent>,
) -> Result<Response, AdminError> {
    let msg = mail.message(app.clock.now(), &req.email);
    let stored = app.store.decide_request(&decision, &msg, &audit).await?;
    back_to_request(stored, req)
}

/// After a decision: back to the request, or 409 when someone decided first.
fn back_to_request(stored: bool, req: &AccessRequest) -> Result<Response, AdminError> {
    if !stored {
        return Err(already_decided().into());
    }
    Ok(redirect(&request_path(&req.number), true, &[]))
}

async fn resolved_mail(app: &App, req: &AccessRequest) -> Result<request_mail::MailText, AdminError> {
    let login_url = format!("{}/login", app.config.issuer);
    Ok(request_mail::resolved(req, &org_name(app, req).await?, &login_url))
}

/// POST /admin/requests/{number}/link — fields `csrf`, `account`, `correct=on` (optional).
pub async fn link(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let (staff, req) = open_request(&app, &headers, &number, &p).await?;
    let wrong = || PageError::bad_request("Выберите учетную запись этой организации с той же ролью, что в обращении.");
    let account_id = p.get("account").unwrap_or_default();
    let account = match account_id {
        "" => None,
        id => app.store.account(id).await?,
    }
    // `request_of` already holds the request to the staff member's organisation.
    .filter(|a| a.organisation_id == req.organisation_id)
    .filter(|a| a.role == req.role)
    .ok_or_else(wrong)?;
    // Differences other than the ones a correction fixes need an explicit confirmation.
    let correcting = p.get("correct") == Some("on");
    let warnings: Vec<Difference> = staff_warnings(&app, &req, &account)
        .into_iter()
        .filter(|d| !(correcting && matches!(d, Difference::Name | Difference::BirthDate)))
        .collect();
    if !warnings.is_empty() && p.get("confirm") != Some("on") {
        let named: Vec<&str> = warnings.iter().map(|d| d.warning()).collect();
        let msg = format!("{} Отметьте «Подтверждаю привязку несмотря на различия», если уверены.", named.join(" "));
        return Err(PageError::bad_request(msg).into());
    }
    let mut audit = Vec::new();
    let correction = if p.get("correct") == Some("on") {
        let fields = review::changed_fields(&req, &account);
        match (&req.birth_date, fields.is_empty()) {
            (_, true) => None,
            (None, false) => {
                return Err(PageError::bad_request("В обращении нет даты рождения: исправить данные нельзя.").into());
            }
            (Some(birth), false) => {
                audit.push(AuditEvent::AccountCorrected {
                    account_id: account.id.clone(),
                    staff_id: staff.id.clone(),
                    fields: fields.iter().map(|f| (*f).to_owned()).collect(),
                });
                Some(new_account::esia_data(&req, birth, &app.directory_keys.matching))
            }
        }
    } else {
        None
    };
    audit.push(linked_event(&req, &account.id, &warnings));
    audit.push(decided_event(&req, &staff, "linked", Some(&account.id)));
    let decision = Decision {
        request_id: req.id.clone(),
        staff_id: staff.id.clone(),
        outcome: Outcome::Link { account_id: account.id.clone(), correction },
    };
    let mail = resolved_mail(&app, &req).await?;
    commit(&app, decision, mail, &req, audit).await
}

/// POST /admin/requests/{number}/create — field `csrf`.
pub async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let (staff, req) = open_request(&app, &headers, &number, &p).await?;
    let Some(birth) = req.birth_date.as_deref().map(str::trim).filter(|b| !b.is_empty()) else {
        return Err(PageError::bad_request("В обращении нет даты рождения: создать учетную запись нельзя.").into());
    };
    // Nobody knows this password: the person signs in through Госуслуги.
    let password_hash = crate::account::password::hash(&SecretString::new(crate::crypto::random_token()))
        .await
        .map_err(PageError::internal)?;
    let msg = resolved_mail(&app, &req).await?.message(app.clock.now(), &req.email);
    let base = new_account::login_base(&req.surname, &req.given_name, req.patronymic.as_deref());
    // The login is taken by a plain insert in the decision's transaction: when another
    // decision took it meanwhile, the insert fails and the next login is tried.
    let mut n = first_free_login(&app, &req, &base).await?;
    for _ in 0..LOGIN_RETRIES {
        let login = new_account::login_candidate(&base, n);
        let account = new_account::account_from_request(
            &req,
            NewAccount::for_login(
                &req.organisation_id,
                login,
                password_hash.clone(),
                app.clock.now(),
                &app.directory_keys.subject,
            ),
            new_account::esia_data(&req, birth, &app.directory_keys.matching),
        );
        let audit = vec![
            AuditEvent::AccountCreated { account_id: account.id.clone(), staff_id: staff.id.clone() },
            linked_event(&req, &account.id, &[]),
            decided_event(&req, &staff, "created", Some(&account.id)),
        ];
        let decision = Decision {
            request_id: req.id.clone(),
            staff_id: staff.id.clone(),
            outcome: Outcome::Create { account: Box::new(account) },
        };
        match app.store.decide_request(&decision, &msg, &audit).await {
            Err(StoreError::Conflict(_)) => n += 1,
            stored => return back_to_request(stored?, &req),
        }
    }
    Err(PageError::internal(anyhow::anyhow!("no free login for a new account")).into())
}

/// The first numbered variant of the login not used in the request's organisation
/// (`surname.ip`, then `surname.ip2`, …) — a starting point: the insert decides.
async fn first_free_login(app: &App, req: &AccessRequest, base: &str) -> Result<u32, AdminError> {
    for n in 0..LOGIN_ATTEMPTS {
        let login = new_account::login_candidate(base, n);
        if app.store.account_by_login(&req.organisation_id, &login).await?.is_none() {
            return Ok(n);
        }
    }
    Err(PageError::internal(anyhow::anyhow!("no free login for a new account")).into())
}

/// POST /admin/requests/{number}/reject — fields `csrf`, `reason` (required, ≤ 1000 characters).
pub async fn reject(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let p = Params::parse(&body);
    let (staff, req) = open_request(&app, &headers, &number, &p).await?;
    let reason = p.get("reason").unwrap_or_default().trim().to_owned();
    if reason.is_empty() {
        return Err(PageError::bad_request("Укажите причину отклонения обращения.").into());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(
            PageError::bad_request(format!("Причина не должна быть длиннее {MAX_REASON_CHARS} символов.")).into()
        );
    }
    let audit = vec![decided_event(&req, &staff, "rejected", None)];
    // The mail names the reason: the request as it will be stored.
    let decided = AccessRequest { reason: Some(reason.clone()), status: RequestStatus::Rejected, ..req.clone() };
    let mail = request_mail::rejected(&decided, &org_name(&app, &req).await?);
    let decision =
        Decision { request_id: req.id.clone(), staff_id: staff.id.clone(), outcome: Outcome::Reject { reason } };
    commit(&app, decision, mail, &req, audit).await
}
