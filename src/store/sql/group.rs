//! Group commit for audit events that come alone (`AuditStore::append_audit`: a
//! `client_credentials` token, a failed login). Each caller queues its event and
//! waits for the writer lock; whoever gets it writes every queued event in one
//! transaction and hands each waiter the outcome. A caller still returns only
//! after its own row is committed, but under load one commit (one WAL flush or
//! fsync) serves many tokens. The rows are pending ones, linked into the chain
//! later (`audit_log.rs`): the caller does not wait for the chain's head.
//!
//! A failed batch hands every waiter the kind of its error unchanged: "database
//! unavailable" stays [`StoreError::Unavailable`] (503 + `Retry-After` at the
//! edge), never a generic backend error. When the database is unavailable, the
//! events queued meanwhile fail with it at once instead of each waiting another
//! acquire timeout in turn: no caller waits much longer than one acquire timeout.

use crate::audit::AuditEvent;
use crate::store::{StoreError, StoreResult};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// The most events written in one transaction.
pub(crate) const MAX_BATCH: usize = 256;

type Waiter = (AuditEvent, oneshot::Sender<Outcome>);

/// What a waiter is told: `Err` carries the batch's error, rebuilt per waiter.
type Outcome = Result<(), Failure>;

/// A batch's error in a form every waiter can get a copy of.
#[derive(Debug, Clone)]
struct Failure {
    unavailable: bool,
    message: String,
}

impl Failure {
    fn of(err: &StoreError) -> Self {
        Self { unavailable: matches!(err, StoreError::Unavailable(_)), message: format!("{err:#}") }
    }

    fn into_error(self) -> StoreError {
        let cause = anyhow::anyhow!(self.message).context("audit group commit");
        if self.unavailable { StoreError::Unavailable(cause) } else { StoreError::Backend(cause) }
    }
}

/// The queue and the writer lock of one store.
#[derive(Debug, Default)]
pub(crate) struct AuditQueue {
    pending: Mutex<Vec<Waiter>>,
    writer: tokio::sync::Mutex<()>,
}

impl AuditQueue {
    /// Appends `event` through `write_batch`, sharing the transaction with whatever
    /// else is queued. `write_batch` writes the events in order and commits.
    pub(crate) async fn append<F, Fut>(&self, event: &AuditEvent, write_batch: F) -> StoreResult<()>
    where
        F: Fn(Vec<AuditEvent>) -> Fut,
        Fut: std::future::Future<Output = StoreResult<()>>,
    {
        let (tx, mut rx) = oneshot::channel();
        self.lock_pending().push((event.clone(), tx));
        let _writer = self.writer.lock().await;
        loop {
            // A writer before us may have committed our event already.
            match rx.try_recv() {
                Ok(outcome) => return outcome.map_err(Failure::into_error),
                Err(oneshot::error::TryRecvError::Empty) => {}
                // The writer that took our event was cancelled before telling us:
                // its transaction (and our event) is gone with it.
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(StoreError::Backend(anyhow::anyhow!("the audit group commit was abandoned")));
                }
            }
            // Oldest first: ours is in this batch unless more than MAX_BATCH came before it.
            let batch: Vec<Waiter> = {
                let mut pending = self.lock_pending();
                let n = pending.len().min(MAX_BATCH);
                pending.drain(..n).collect()
            };
            let (events, waiters): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let outcome = write_batch(events).await.map_err(|e| Failure::of(&e));
            for waiter in waiters {
                let _ = waiter.send(outcome.clone());
            }
            if let Err(failure) = &outcome
                && failure.unavailable
            {
                // The database just proved unreachable: whatever queued during the
                // attempt fails with it now (each of those callers answers 503).
                let queued: Vec<Waiter> = self.lock_pending().drain(..).collect();
                for (_, waiter) in queued {
                    let _ = waiter.send(Err(failure.clone()));
                }
            }
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Vec<Waiter>> {
        // A panic while holding this lock cannot leave the Vec half-updated.
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn event(i: usize) -> AuditEvent {
        AuditEvent::ClientRemoved { client_id: format!("rp-{i}"), by: "cli".into() }
    }

    /// The database is down: each attempt takes the acquire timeout (300 ms here)
    /// and fails "unavailable". Every caller gets that kind back, and the callers
    /// queued behind the first attempt fail with it instead of each waiting anew.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_outage_reaches_every_waiter_as_unavailable_within_one_attempt() {
        let queue = Arc::new(AuditQueue::default());
        let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for i in 0..20 {
            let (queue, attempts) = (queue.clone(), attempts.clone());
            set.spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 * i as u64)).await;
                let begun = Instant::now();
                let outcome = queue
                    .append(&event(i), |_| {
                        let attempts = attempts.clone();
                        async move {
                            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(300)).await;
                            Err(StoreError::Unavailable(anyhow::anyhow!("pool timed out")))
                        }
                    })
                    .await;
                (outcome, begun.elapsed())
            });
        }
        while let Some(joined) = set.join_next().await {
            let (outcome, waited) = joined.unwrap();
            assert!(matches!(outcome, Err(StoreError::Unavailable(_))), "{outcome:?}");
            assert!(waited < Duration::from_millis(450), "waited {waited:?}: more than one attempt");
        }
        assert!(started.elapsed() < Duration::from_millis(700));
        assert!(attempts.load(std::sync::atomic::Ordering::SeqCst) <= 2);
    }

    #[tokio::test]
    async fn other_failures_stay_backend_errors_and_success_is_shared() {
        let queue = AuditQueue::default();
        let failed = queue.append(&event(1), |_| async { Err(StoreError::Backend(anyhow::anyhow!("disk I/O"))) }).await;
        assert!(matches!(failed, Err(StoreError::Backend(_))), "{failed:?}");
        let second = event(2);
        let written = queue
            .append(&second, |events| async move {
                assert_eq!(events.len(), 1);
                Ok(())
            })
            .await;
        assert!(written.is_ok());
    }
}
