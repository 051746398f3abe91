//! Who is signed in, for the page header of seed 004 (the person's name, a link to
//! `/account`, and «Выход» to `/logout`): the [`Viewer`] of a page request.
//!
//! How it reaches the page: [`layer`] wraps the page routes only (`app::router`): the
//! login journey, `/account`, the staff pages, `/authorize` and `/logout` — not
//! `/token`, `/jwks`, `/userinfo`, introspection, the ESIA sandbox, the demo RP or the
//! static files. Per request it reads the session named by the cookie (one indexed
//! read, and none without the cookie), takes the name from a small per-node cache of
//! account names, and runs the handler inside a `tokio::task_local!` scope holding the
//! result. `templates/base.html` reads it through [`current`]. So every page that
//! extends `base.html` shows the header without any handler or page struct knowing of
//! it: no field to fill in ~25 handlers, no template to forget. The scope is the
//! handler's own task (askama renders synchronously inside it); a page rendered
//! anywhere else (unit tests, a spawned task) simply shows no header. A page that ends
//! the session (`/logout`) renders itself with [`render_as`]`(None, …)`.

use crate::app::App;
use crate::crypto;
use crate::store::StoreError;
use crate::web::cookie;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a name stays cached on a node (a renamed account shows its new name at most this late).
const NAME_TTL: Duration = Duration::from_secs(60);
/// At most this many names are cached per node.
const NAME_CAPACITY: u64 = 10_000;

tokio::task_local! {
    static VIEWER: Option<Viewer>;
}

/// The signed-in person as the page header shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// «Иванова М. П.».
    pub name: String,
}

/// The viewer of the page being rendered; `None` without a session or outside a page request.
pub fn current() -> Option<Viewer> {
    VIEWER.try_with(Clone::clone).ok().flatten()
}

/// Runs `render` as seen by `viewer` (a page after logout, an error page re-rendered
/// by an outer layer, tests).
pub fn render_as<R>(viewer: Option<Viewer>, render: impl FnOnce() -> R) -> R {
    VIEWER.sync_scope(viewer, render)
}

/// The per-node part: the name cache and counters of the reads made (the tests in
/// `tests/it/pages_viewer.rs` check them: one session read per page request, none elsewhere).
pub struct Viewers {
    names: moka::sync::Cache<String, Arc<str>>,
    session_reads: AtomicU64,
    account_reads: AtomicU64,
}

impl Default for Viewers {
    fn default() -> Self {
        Self {
            names: moka::sync::Cache::builder().max_capacity(NAME_CAPACITY).time_to_live(NAME_TTL).build(),
            session_reads: AtomicU64::new(0),
            account_reads: AtomicU64::new(0),
        }
    }
}

impl Viewers {
    /// The viewer of a request with these headers. A database that cannot be reached
    /// is the caller's to answer (one wait, not one here and one in the handler); any
    /// other failed read shows no header.
    pub async fn resolve(&self, app: &App, headers: &HeaderMap) -> Result<Option<Viewer>, StoreError> {
        let Some(id) = cookie::read(headers, app.cookies.session_name()) else {
            return Ok(None);
        };
        self.session_reads.fetch_add(1, Ordering::Relaxed);
        let session = match app.store.session(&crypto::token_hash(&id)).await {
            Ok(Some(session)) => session,
            Ok(None) => return Ok(None),
            Err(e) => return quiet(e, "session"),
        };
        if let Some(name) = self.names.get(&session.account_id) {
            return Ok(Some(Viewer { name: name.to_string() }));
        }
        self.account_reads.fetch_add(1, Ordering::Relaxed);
        let account = match app.store.account(&session.account_id).await {
            Ok(Some(account)) => account,
            Ok(None) => return Ok(None),
            Err(e) => return quiet(e, "account"),
        };
        let name =
            crate::account::names::short_name(&account.surname, &account.given_name, account.patronymic.as_deref());
        let name = if name.is_empty() { account.login } else { name };
        self.names.insert(session.account_id, Arc::from(name.as_str()));
        Ok(Some(Viewer { name }))
    }

    /// Session reads made for page headers since start.
    pub fn session_reads(&self) -> u64 {
        self.session_reads.load(Ordering::Relaxed)
    }

    /// Account reads made for page headers since start (cache misses).
    pub fn account_reads(&self) -> u64 {
        self.account_reads.load(Ordering::Relaxed)
    }
}

/// The middleware of the page routes: resolves the viewer once, runs the handler in
/// its scope, and leaves it in the response's extensions for `headers::security_layer`
/// (which re-renders error pages outside this scope).
pub async fn layer(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let viewer = match app.viewers.resolve(&app, req.headers()).await {
        Ok(viewer) => viewer,
        Err(e) => return crate::web::error_page::PageError::from(e).into_response(),
    };
    let mut res = VIEWER.scope(viewer.clone(), next.run(req)).await;
    if let Some(v) = viewer {
        res.extensions_mut().insert(v);
    }
    res
}

/// A failed read: "unavailable" goes up, anything else only loses the header.
fn quiet(e: StoreError, what: &str) -> Result<Option<Viewer>, StoreError> {
    if matches!(e, StoreError::Unavailable(_)) {
        return Err(e);
    }
    tracing::warn!(error = %e, "{what} read for the page header failed");
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_is_the_scoped_viewer() {
        assert_eq!(current(), None);
        let v = Viewer { name: "Иванова М. П.".into() };
        assert_eq!(render_as(Some(v.clone()), current), Some(v.clone()));
        assert_eq!(render_as(Some(v), || render_as(None, current)), None);
    }
}
