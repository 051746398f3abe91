//! The PostgreSQL [`ChangeFeed`]: a `LISTEN propusk_changes` connection of the
//! store's pool, in a task of its own. When the connection drops (a restart of
//! PostgreSQL, a network cut) the task connects again, retrying every second, and
//! then sends [`Change::All`]: notifications sent meanwhile are lost, so every cache
//! entry goes. The task ends when the receiver is dropped.

use super::PgStore;
use crate::store::changes::{CHANNEL, Change, ChangeFeed};
use sqlx::postgres::{PgListener, PgPool};
use std::time::Duration;
use tokio::sync::mpsc;

/// Pause between attempts to connect again.
const RETRY: Duration = Duration::from_secs(1);

impl ChangeFeed for PgStore {
    fn changes(&self) -> Option<mpsc::Receiver<Change>> {
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(listen(self.pool.clone(), tx));
        Some(rx)
    }
}

async fn listen(pool: PgPool, tx: mpsc::Sender<Change>) {
    let mut first = true;
    loop {
        let mut listener = match subscribe(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change listener: cannot listen, retrying");
                if wait_or_closed(&tx).await {
                    return;
                }
                continue;
            }
        };
        // Whatever happened before this connection listened is unknown.
        if !std::mem::take(&mut first) && tx.send(Change::All).await.is_err() {
            return;
        }
        tracing::debug!("change listener: listening");
        loop {
            let next = tokio::select! {
                n = listener.try_recv() => n,
                () = tx.closed() => return,
            };
            match next {
                Ok(Some(n)) => {
                    let Some(change) = Change::parse(n.payload()) else { continue };
                    if tx.send(change).await.is_err() {
                        return;
                    }
                }
                // The connection was lost and made again: resynchronise.
                Ok(None) => {
                    tracing::info!("change listener: connection lost, listening again");
                    if tx.send(Change::All).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change listener: connection failed");
                    break;
                }
            }
        }
        if wait_or_closed(&tx).await {
            return;
        }
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Sleeps [`RETRY`]; `true` when the receiver went away meanwhile.
async fn wait_or_closed(tx: &mpsc::Sender<Change>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(RETRY) => tx.is_closed(),
        () = tx.closed() => true,
    }
}
