//! Operations endpoints: `/healthz` (the process answers), `/readyz` (the
//! database answers) and `/metrics` (Prometheus text).

use crate::app::App;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};

/// The metrics recorder is process-wide by the `metrics` crate's design; it is
/// installed once, on first use.
static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

pub fn prometheus() -> Option<&'static PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|_| handle)
        })
        .as_ref()
}

pub fn routes() -> Router<Arc<App>> {
    prometheus();
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics_text))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    // A readiness probe with a 1 s timeout must see the answer: never wait for the
    // pool's full acquire timeout here.
    const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(800);
    let wait = READY_WITHIN.min(app.config.database.pool().acquire_timeout);
    let failure = match tokio::time::timeout(wait, app.store.ping()).await {
        Ok(Ok(())) => return "ready".into_response(),
        Ok(Err(e)) => format!("{e:#}"),
        Err(_) => format!("no database answer within {} ms", wait.as_millis()),
    };
    tracing::warn!(error = %failure, "readiness check failed");
    let retry_after = crate::web::error_page::RETRY_AFTER_SECS;
    let headers = [("retry-after", retry_after), ("cache-control", "no-store")];
    (StatusCode::SERVICE_UNAVAILABLE, headers, "database unavailable").into_response()
}

async fn metrics_text() -> Response {
    match prometheus() {
        Some(h) => ([("content-type", "text/plain; version=0.0.4")], h.render()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder not installed").into_response(),
    }
}
