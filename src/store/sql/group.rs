//! Group commit for audit events that come alone (`AuditStore::append_audit`: a
//! `client_credentials` token, a failed login). Each caller queues its event and
//! waits for the writer lock; whoever gets it writes every queued event in one
//! transaction and hands each waiter the outcome. A caller still returns only
//! after its own row is committed, but under load one commit (and, on PostgreSQL,
//! one hold of the `audit_head` row lock) serves many tokens.

use crate::audit::AuditEvent;
use crate::store::{StoreError, StoreResult};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// The most events written in one transaction.
pub(crate) const MAX_BATCH: usize = 256;

type Waiter = (AuditEvent, oneshot::Sender<Result<(), String>>);

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
            if let Ok(outcome) = rx.try_recv() {
                return outcome.map_err(backend);
            }
            // Oldest first: ours is in this batch unless more than MAX_BATCH came before it.
            let batch: Vec<Waiter> = {
                let mut pending = self.lock_pending();
                let n = pending.len().min(MAX_BATCH);
                pending.drain(..n).collect()
            };
            let (events, waiters): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let outcome = write_batch(events).await.map_err(|e| e.to_string());
            for waiter in waiters {
                let _ = waiter.send(outcome.clone());
            }
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Vec<Waiter>> {
        // A panic while holding this lock cannot leave the Vec half-updated.
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn backend(message: String) -> StoreError {
    StoreError::Backend(anyhow::anyhow!(message))
}
