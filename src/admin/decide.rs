//! The staff actions on an open request: «Привязать к учетной записи» (optionally
//! correcting the account from the ESIA data), «Создать учетную запись» and
//! «Отклонить» with a «Причина». Each ends the request in one store transaction with
//! the link, the mail to the person and the audit events; then back to the request.

use super::new_account::{self, NewAccount};
use super::{AdminError, posted_staff, request_of, request_path, review};
use crate::account::request_mail;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::crypto::SecretString;
use crate::oidc::params::Params;
use crate::store::Account;
use crate::store::links::{LinkMethod, UpstreamLink};
use crate::store::requests::{AccessRequest, Correction, Decision, Outcome, RequestStatus};
use crate::web::error_page::PageError;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The longest «Причина».
pub const MAX_REASON_CHARS: usize = 1000;
/// How many numbered variants of a login are tried.
const LOGIN_ATTEMPTS: u32 = 1000;

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
) -> Result<(Account, AccessRequest), AdminError> {
    let staff = posted_staff(app, headers, p).await?;
    let req = request_of(app, &staff, number).await?;
    if req.status != RequestStatus::Open {
        return Err(already_decided().into());
    }
    Ok((staff, req))
}

fn staff_link(app: &App, req: &AccessRequest, account_id: &str) -> UpstreamLink {
    UpstreamLink {
        issuer: req.issuer.clone(),
        subject: req.subject.clone(),
        account_id: account_id.to_owned(),
        method: LinkMethod::Staff,
        created_at: app.clock.now(),
    }
}

fn linked_event(req: &AccessRequest, account_id: &str) -> AuditEvent {
    AuditEvent::AccountLinked {
        account_id: account_id.to_owned(),
        upstream_subject: req.subject.clone(),
        method: LinkMethod::Staff.as_str().to_owned(),
        evidence: vec!["staff_review".to_owned()],
    }
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
    if !app.store.decide_request(&decision, &msg, &audit).await? {
        return Err(already_decided().into());
    }
    Ok(crate::flow::finish::redirect(&request_path(&req.number), true, &[]))
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
    .filter(|a| a.organisation_id == staff.organisation_id && a.organisation_id == req.organisation_id)
    .filter(|a| a.role == req.role)
    .ok_or_else(wrong)?;
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
                Some(correction_of(&app, &req, birth))
            }
        }
    } else {
        None
    };
    audit.push(linked_event(&req, &account.id));
    audit.push(decided_event(&req, &staff, "linked", Some(&account.id)));
    let decision = Decision {
        request_id: req.id.clone(),
        staff_id: staff.id.clone(),
        outcome: Outcome::Link { account_id: account.id.clone(), correction },
        link: Some(staff_link(&app, &req, &account.id)),
    };
    let mail = resolved_mail(&app, &req).await?;
    commit(&app, decision, mail, &req, audit).await
}

/// The account's personal data as ESIA has it, with its matching key recomputed.
fn correction_of(app: &App, req: &AccessRequest, birth: &str) -> Correction {
    let patronymic = req.patronymic.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    let birth_date = birth.trim().to_owned();
    let match_key = crate::account::names::match_key(
        &app.directory_keys.matching,
        &req.surname,
        &req.given_name,
        patronymic.as_deref(),
        &birth_date,
    );
    Correction {
        surname: req.surname.trim().to_owned(),
        given_name: req.given_name.trim().to_owned(),
        patronymic,
        birth_date,
        match_key,
    }
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
    let login = free_login(&app, &req).await?;
    // Nobody knows this password: the person signs in through Госуслуги.
    let password_hash = crate::account::password::hash(&SecretString::new(crate::crypto::random_token()))
        .await
        .map_err(PageError::internal)?;
    let match_key = crate::account::names::match_key(
        &app.directory_keys.matching,
        &req.surname,
        &req.given_name,
        req.patronymic.as_deref(),
        birth,
    );
    let account = new_account::account_from_request(
        &req,
        NewAccount {
            id: crate::account::directory::account_id(&req.organisation_id, &login),
            login,
            password_hash,
            match_key,
            birth_date: birth.to_owned(),
            now: app.clock.now(),
        },
    );
    let audit = vec![
        AuditEvent::AccountCreated { account_id: account.id.clone(), staff_id: staff.id.clone() },
        linked_event(&req, &account.id),
        decided_event(&req, &staff, "created", Some(&account.id)),
    ];
    let decision = Decision {
        request_id: req.id.clone(),
        staff_id: staff.id.clone(),
        link: Some(staff_link(&app, &req, &account.id)),
        outcome: Outcome::Create { account: Box::new(account) },
    };
    let mail = resolved_mail(&app, &req).await?;
    commit(&app, decision, mail, &req, audit).await
}

/// A login not yet used in the request's organisation: `surname.ip`, then `surname.ip2`, …
async fn free_login(app: &App, req: &AccessRequest) -> Result<String, AdminError> {
    let base = new_account::login_base(&req.surname, &req.given_name, req.patronymic.as_deref());
    for n in 0..LOGIN_ATTEMPTS {
        let login = new_account::login_candidate(&base, n);
        if app.store.account_by_login(&req.organisation_id, &login).await?.is_none() {
            return Ok(login);
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
    let decision = Decision {
        request_id: req.id.clone(),
        staff_id: staff.id.clone(),
        outcome: Outcome::Reject { reason },
        link: None,
    };
    // The mail names the reason: the request as it will be stored.
    let decided = AccessRequest { reason: reason_of(&decision), status: RequestStatus::Rejected, ..req.clone() };
    let mail = request_mail::rejected(&decided, &org_name(&app, &req).await?);
    commit(&app, decision, mail, &req, audit).await
}

fn reason_of(d: &Decision) -> Option<String> {
    match &d.outcome {
        Outcome::Reject { reason } => Some(reason.clone()),
        _ => None,
    }
}
