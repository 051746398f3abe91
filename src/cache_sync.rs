//! Keeps this node's caches in step with changes made elsewhere: the store's
//! [`ChangeFeed`](crate::store::changes::ChangeFeed) (PostgreSQL `LISTEN/NOTIFY`)
//! drops a changed client from the [`ClientRegistry`](crate::oidc::client::ClientRegistry)
//! and reloads the key ring at once. Without a feed (SQLite) or when a notification
//! is lost, the time bounds remain: `clients.cache_ttl_secs` and the key reload of
//! the upkeep task.

use crate::app::App;
use crate::store::changes::Change;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Applies the store's changes to `app`'s caches until the feed ends; `None`
/// when the store has no feed.
pub fn spawn(app: Arc<App>) -> Option<tokio::task::JoinHandle<()>> {
    let rx = app.store.changes()?;
    Some(tokio::spawn(run(app, rx)))
}

async fn run(app: Arc<App>, mut rx: mpsc::Receiver<Change>) {
    while let Some(change) = rx.recv().await {
        apply(&app, change).await;
    }
}

async fn apply(app: &App, change: Change) {
    tracing::debug!(?change, "cache invalidation");
    let reload_keys = match change {
        Change::Client(id) => {
            app.clients.invalidate(&id).await;
            false
        }
        Change::Keys => true,
        Change::All => {
            app.clients.invalidate_all();
            true
        }
    };
    if reload_keys && let Err(e) = app.keys.reload().await {
        tracing::warn!(error = %e, "key reload after a change notification failed");
    }
}
