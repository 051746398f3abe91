//! The email code of an access request whose address is not the one ESIA vouched for
//! (none in the profile, or changed on the form): a 6-digit code from the CSPRNG is
//! mailed (the outbox, with its audit event), only its keyed hash is kept in the flow
//! with the draft, it expires after 10 minutes and five wrong codes drop the draft.

use super::Flow;
use super::access_form::{Draft, FormValues};
use super::access_request::{AccessState, file, flow_url, render_form, requester};
use super::esia::{EsiaPerson, FlowQuery};
use crate::account::request_mail;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::oidc::params::Params;
use crate::web::error_page::PageError;
use crate::web::pages;
use crate::web::redirect::redirect;
use crate::web::request_pages::{FieldErrors, RequestCodePage};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long an email code is valid.
pub const CODE_TTL_SECS: i64 = 600;
/// Wrong codes before the draft is dropped.
pub const CODE_MAX_ATTEMPTS: u32 = 5;
/// Codes one flow may have sent (no mail bombing through one login).
pub const CODES_PER_FLOW: u32 = 5;

/// A request waiting for the code sent to its address (`AccessState::pending`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub draft: Draft,
    /// The form as typed (to re-render it when the draft is dropped).
    pub values: FormValues,
    /// Keyed hash of the code, bound to the flow and the address.
    pub code_hash: String,
    pub expires_at: UnixTime,
    pub attempts: u32,
}

/// Sends a code for `draft` to its address and keeps the draft waiting for it;
/// answers with the redirect to «Введите код из письма».
pub(super) async fn send_code(
    app: &App,
    mut flow: Flow,
    signed: &str,
    browser_id: &str,
    person: &EsiaPerson,
    draft: Draft,
    values: FormValues,
) -> Result<Response, PageError> {
    let state = flow.access.get_or_insert_with(AccessState::default);
    if state.codes_sent >= CODES_PER_FLOW {
        let errors = FieldErrors {
            email: Some(
                "Слишком много писем с кодом. Укажите адрес из профиля Госуслуг или начните вход заново.".into(),
            ),
            ..FieldErrors::default()
        };
        return render_form(app, signed, browser_id, &flow, &values, errors, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let code = six_digit_code();
    let now = app.clock.now();
    state.codes_sent += 1;
    state.pending = Some(PendingCode {
        code_hash: code_hash(app, &flow.id, &draft.email, &code),
        draft: draft.clone(),
        values,
        expires_at: now + CODE_TTL_SECS,
        attempts: 0,
    });
    super::save(app, &mut flow).await?;
    let msg = request_mail::email_code(&code).message(now, &draft.email);
    let audit = AuditEvent::RequestEmailCodeSent { upstream_subject: person.subject.clone() };
    app.store.enqueue_mail(&msg, Some(&audit)).await?;
    Ok(redirect(&flow_url("/login/esia/request/code", signed), true, &[]))
}

/// A uniform 6-digit code from the CSPRNG.
fn six_digit_code() -> String {
    const SPACE: u32 = 1_000_000;
    let limit = u32::MAX - u32::MAX % SPACE;
    loop {
        for chunk in crate::crypto::random_bytes().chunks_exact(4) {
            let mut word = [0u8; 4];
            word.copy_from_slice(chunk);
            let n = u32::from_le_bytes(word);
            if n < limit {
                return format!("{:06}", n % SPACE);
            }
        }
    }
}

/// HMAC of the code under a key derived for this purpose, bound to the flow and address.
fn code_hash(app: &App, flow_id: &str, email: &str, code: &str) -> String {
    let key = crate::crypto::hmac_sha256(&app.pairwise_key, b"propusk/request-email-code");
    let data = format!("{flow_id}\n{}\n{code}", email.to_lowercase());
    crate::crypto::b64(&crate::crypto::hmac_sha256(&key, data.as_bytes()))
}

fn pending_of(flow: &Flow) -> Option<&PendingCode> {
    flow.access.as_ref().and_then(|a| a.pending.as_ref())
}

/// GET /login/esia/request/code — «Введите код из письма».
pub async fn code_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<FlowQuery>,
) -> Result<Response, PageError> {
    let (flow, browser_id) = super::queried_flow(&app, &headers, &q.flow, super::journey::Action::Request).await?;
    requester(&flow)?;
    let Some(pending) = pending_of(&flow) else {
        return Ok(redirect(&flow_url("/login/esia/request/form", &q.flow), false, &[]));
    };
    let page = RequestCodePage {
        email: pending.draft.email.clone(),
        flow: q.flow,
        csrf: app.cookies.csrf_token(&browser_id),
        error: None,
    };
    Ok(pages::html(&page))
}

/// POST /login/esia/request/code — a right code files the request; wrong codes are
/// counted and the fifth drops the draft (back to the form, values kept).
pub async fn code_submit(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let (mut flow, signed, browser_id) =
        super::posted_flow(&app, &headers, &p, super::journey::Action::Request).await?;
    let (person, role) = requester(&flow)?;
    let Some(pending) = pending_of(&flow).cloned() else {
        return Ok(redirect(&flow_url("/login/esia/request/form", &signed), true, &[]));
    };
    let drop_draft = |flow: &mut Flow| {
        if let Some(a) = flow.access.as_mut() {
            a.pending = None;
        }
    };
    if app.clock.now() > pending.expires_at {
        drop_draft(&mut flow);
        super::save(&app, &mut flow).await?;
        let errors = FieldErrors {
            form: Some("Срок действия кода истёк. Отправьте обращение ещё раз, чтобы получить новый код.".into()),
            ..FieldErrors::default()
        };
        return render_form(&app, &signed, &browser_id, &flow, &pending.values, errors, StatusCode::BAD_REQUEST).await;
    }
    // The attempt is counted before the code is compared (AB-01): the conditional
    // save lets one of parallel submissions through, the others are sent back to
    // the page, so at most `CODE_MAX_ATTEMPTS` codes are ever compared.
    let attempts = pending.attempts + 1;
    if let Some(p) = flow.access.as_mut().and_then(|a| a.pending.as_mut()) {
        p.attempts = attempts;
    }
    super::save(&app, &mut flow).await?;
    let typed = p.get("code").unwrap_or_default().trim();
    let right = code_hash(&app, &flow.id, &pending.draft.email, typed);
    if crate::crypto::ct_eq(right.as_bytes(), pending.code_hash.as_bytes()) {
        drop_draft(&mut flow);
        return file(&app, flow, &signed, &person, role, &pending.draft, false).await;
    }
    if attempts >= CODE_MAX_ATTEMPTS {
        drop_draft(&mut flow);
        super::save(&app, &mut flow).await?;
        let errors = FieldErrors {
            form: Some("Код введён неверно слишком много раз. Проверьте данные и отправьте обращение ещё раз.".into()),
            ..FieldErrors::default()
        };
        return render_form(&app, &signed, &browser_id, &flow, &pending.values, errors, StatusCode::BAD_REQUEST).await;
    }
    let page = RequestCodePage {
        flow: signed,
        csrf: app.cookies.csrf_token(&browser_id),
        email: pending.draft.email,
        error: Some(format!("Неверный код. Осталось попыток: {}.", CODE_MAX_ATTEMPTS - attempts)),
    };
    Ok(pages::html_with_status(StatusCode::BAD_REQUEST, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| six_digit_code()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 40, "{codes:?}");
    }
}
