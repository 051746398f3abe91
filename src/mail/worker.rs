//! The delivery worker: polls the outbox, sends due messages, marks them sent or
//! failed with exponential backoff. Delivery is at least once: a crash between
//! sending and marking sends that message again once its claim runs out.

use super::{MailConfig, Transport};
use crate::clock::{Clock, UnixTime};
use crate::store::outbox::OutboxMessage;
use crate::store::{Store, StoreResult};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the worker looks for due messages when the last round was not full.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Messages claimed per round.
pub const BATCH: i64 = 20;
/// The longest wait between two attempts.
pub const MAX_BACKOFF_SECS: u64 = 6 * 3600;

/// When to try again after the `attempts`-th failure (1-based), or `None` to give up:
/// `base × 2^(attempts−1)`, capped at [`MAX_BACKOFF_SECS`].
pub fn next_attempt(cfg: &MailConfig, now: UnixTime, attempts: i64) -> Option<UnixTime> {
    if attempts >= i64::from(cfg.max_attempts) {
        return None;
    }
    let exp = u32::try_from((attempts - 1).clamp(0, 32)).unwrap_or(32);
    let delay = cfg.backoff_base_secs.saturating_mul(2u64.saturating_pow(exp)).min(MAX_BACKOFF_SECS);
    Some(now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX)))
}

/// One round: claims up to [`BATCH`] due messages and delivers them one by one.
/// Returns how many were claimed.
pub async fn deliver_due(
    store: &dyn Store,
    transport: &dyn Transport,
    clock: &dyn Clock,
    cfg: &MailConfig,
) -> StoreResult<usize> {
    let due = store.due_mail(BATCH).await?;
    for msg in &due {
        deliver_one(store, transport, clock, cfg, msg).await?;
    }
    Ok(due.len())
}

async fn deliver_one(
    store: &dyn Store,
    transport: &dyn Transport,
    clock: &dyn Clock,
    cfg: &MailConfig,
    msg: &OutboxMessage,
) -> StoreResult<()> {
    match transport.send(msg).await {
        Ok(()) => {
            store.mark_mail_sent(&msg.id).await?;
            tracing::info!(mail_id = %msg.id, attempts = msg.attempts + 1, "mail delivered");
        }
        Err(e) => {
            let attempts = msg.attempts + 1;
            let next = if e.is_permanent() { None } else { next_attempt(cfg, clock.now(), attempts) };
            store.mark_mail_failed(&msg.id, &e.to_string(), next).await?;
            match next {
                Some(at) => tracing::warn!(mail_id = %msg.id, attempts, next_attempt_at = at, "mail delivery failed"),
                None => tracing::error!(mail_id = %msg.id, attempts, "mail delivery failed; giving up"),
            }
        }
    }
    Ok(())
}

/// Runs the worker until the task is aborted: a full round is followed at once
/// by the next one; otherwise it sleeps [`POLL_INTERVAL`]. A store error (database
/// down) is logged and retried on the next poll; nothing is lost.
pub fn spawn_worker(
    store: Arc<dyn Store>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    cfg: MailConfig,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let claimed = match deliver_due(store.as_ref(), transport.as_ref(), clock.as_ref(), &cfg).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "mail worker: store error");
                    0
                }
            };
            if i64::try_from(claimed).unwrap_or(0) < BATCH {
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    })
}
