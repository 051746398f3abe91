//! The back-channel logout worker: claims due notices of the logout outbox, mints
//! each one's logout token at delivery (the key that signs now, the client's `sub`
//! of the account now) and POSTs it, `application/x-www-form-urlencoded`
//! `logout_token=…`, to the `backchannel_logout_uri` the client has registered *now*
//! (re-read from the store, never the cache; a client without one, or gone, is never
//! sent anything). 200 or 204 is delivered; anything else is tried again with
//! backoff, up to `backchannel.max_attempts`. Delivery and giving up are audited.
//! At least once: a crash between the POST and the mark sends that token again once
//! the claim runs out (the same `jti`).

use super::backchannel::{LogoutTokenInput, logout_claims, next_attempt, validate_uri};
use crate::app::App;
use crate::audit::AuditEvent;
use crate::connector::http::HttpClient;
use crate::store::StoreResult;
use crate::store::logout::LogoutNotice;
use crate::token::claims::subject;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the worker looks for due notices when the last round was not full.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Notices claimed per round.
pub const BATCH: i64 = 20;
/// The most of a relying party's answer that is read.
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// The hardened HTTP client (`connector::http`: no redirects, bounded time and size)
/// with `backchannel.timeout_ms`. Plain `http` is let through: the registration rule
/// (checked again before each POST) allows it on loopback IP literals only.
pub fn http_client(app: &App) -> Result<HttpClient, crate::connector::ConnectorError> {
    let cfg = crate::connector::EsiaConfig {
        connect_timeout_ms: app.config.backchannel.timeout_ms,
        timeout_ms: app.config.backchannel.timeout_ms,
        allow_http: true,
        max_response_bytes: MAX_ANSWER_BYTES,
        ca_bundle: None,
        ca_bundle_only: false,
        ..crate::connector::EsiaConfig::default()
    };
    HttpClient::new(&cfg)
}

/// What became of one attempt.
enum Outcome {
    Delivered,
    /// Worth trying again (the RP answered otherwise, or could not be reached).
    Retry(String),
    /// Never worth trying again: no URI registered, the client or account gone.
    GiveUp(String),
}

async fn attempt(app: &App, http: &HttpClient, n: &LogoutNotice) -> StoreResult<Outcome> {
    let Some(client) = app.store.client(&n.client_id).await? else {
        return Ok(Outcome::GiveUp("client_removed".into()));
    };
    let Some(uri) = client.backchannel_logout_uri.as_deref().filter(|u| validate_uri(u).is_ok()) else {
        return Ok(Outcome::GiveUp("not_registered".into()));
    };
    let Some(account) = app.store.account(&n.account_id).await? else {
        return Ok(Outcome::GiveUp("account_removed".into()));
    };
    let sub = subject(&account.subject, &client, &app.pairwise_key);
    let claims = logout_claims(&LogoutTokenInput {
        issuer: &app.config.issuer,
        client_id: &client.id,
        sub: &sub,
        sid: n.sid.as_deref(),
        jti: &n.id,
        now: app.clock.now(),
    });
    let token = match app.issuer.logout_token(&client.id_token_alg, &claims).await {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::Retry(format!("signing: {e}"))),
    };
    let body: String =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("logout_token", &token).finish();
    let req =
        http.inner().post(uri).header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body);
    Ok(match http.send(req).await {
        Ok(a) if a.status == 200 || a.status == 204 => Outcome::Delivered,
        Ok(a) => Outcome::Retry(format!("status {}", a.status)),
        Err(e) => Outcome::Retry(e.to_string()),
    })
}

async fn deliver_one(app: &App, http: &HttpClient, n: &LogoutNotice) -> StoreResult<()> {
    let attempts = n.attempts + 1;
    let failed = |reason: &str| AuditEvent::BackchannelLogoutFailed {
        client_id: n.client_id.clone(),
        account_id: n.account_id.clone(),
        notice_id: n.id.clone(),
        attempts,
        reason: reason.to_owned(),
    };
    match attempt(app, http, n).await? {
        Outcome::Delivered => {
            let event = AuditEvent::BackchannelLogoutDelivered {
                client_id: n.client_id.clone(),
                account_id: n.account_id.clone(),
                notice_id: n.id.clone(),
                attempts,
            };
            app.store.mark_logout_delivered(&n.id, &event).await?;
            tracing::info!(notice_id = %n.id, client_id = %n.client_id, attempts, "back-channel logout delivered");
        }
        Outcome::Retry(reason) => match next_attempt(&app.config.backchannel, app.clock.now(), attempts) {
            Some(at) => {
                app.store.mark_logout_failed(&n.id, &reason, Some(at), None).await?;
                tracing::warn!(notice_id = %n.id, client_id = %n.client_id, attempts, next_attempt_at = at,
                    reason = %reason, "back-channel logout failed");
            }
            None => {
                app.store.mark_logout_failed(&n.id, &reason, None, Some(&failed(&reason))).await?;
                tracing::error!(notice_id = %n.id, client_id = %n.client_id, attempts, reason = %reason,
                    "back-channel logout failed; giving up");
            }
        },
        Outcome::GiveUp(reason) => {
            app.store.mark_logout_failed(&n.id, &reason, None, Some(&failed(&reason))).await?;
            tracing::warn!(notice_id = %n.id, client_id = %n.client_id, reason = %reason,
                "back-channel logout not sent");
        }
    }
    Ok(())
}

/// One round: claims up to [`BATCH`] due notices and delivers them one by one.
/// Returns how many were claimed.
pub async fn deliver_due(app: &App, http: &HttpClient) -> StoreResult<usize> {
    let due = app.store.due_logouts(BATCH).await?;
    for n in &due {
        deliver_one(app, http, n).await?;
    }
    Ok(due.len())
}

/// Runs the worker until the task is aborted (as the mail worker: a full round is
/// followed at once by the next; a store error is logged and retried on the next poll).
pub fn spawn_worker(app: Arc<App>, http: HttpClient) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let claimed = match deliver_due(&app, &http).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "back-channel logout worker: store error");
                    0
                }
            };
            if i64::try_from(claimed).unwrap_or(0) < BATCH {
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    })
}
