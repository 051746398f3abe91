//! Operations endpoints: `/healthz` (the process answers), `/readyz` (the
//! database answers) and `/metrics` (Prometheus text). `/metrics` names clients and
//! login outcomes: it is served on the operations listener (`ops.listen`), and on the
//! main listener only to `Authorization: Bearer <ops.metrics_token>` (none without a token).

use crate::app::App;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
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

/// The routes of the main listener: the probes, and `/metrics` only when a token is set.
pub fn routes(ops: &crate::config::OpsConfig) -> Router<Arc<App>> {
    prometheus();
    let router = Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz));
    if ops.metrics_token.is_empty() { router } else { router.route("/metrics", get(guarded_metrics)) }
}

/// The operations listener: the probes and `/metrics`, no token (the listener is private).
pub fn ops_router(app: Arc<App>) -> Router {
    prometheus();
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(app.clone());
    crate::web::layers::ops_layers(router, &app.config.server)
}

/// Whether `Authorization` carries the metrics token. Both sides are hashed first, so
/// the comparison takes the same time whatever the length or content of the guess.
pub fn metrics_token_matches(token: &str, authorization: Option<&str>) -> bool {
    let Some(presented) = authorization.and_then(|a| a.strip_prefix("Bearer ")) else {
        return false;
    };
    if token.is_empty() {
        return false;
    }
    let (a, b) = (crate::crypto::sha256(token.as_bytes()), crate::crypto::sha256(presented.trim().as_bytes()));
    crate::crypto::ct_eq(&a, &b)
}

async fn guarded_metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if metrics_token_matches(app.config.ops.metrics_token.expose(), authorization) {
        metrics_text().await
    } else {
        (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")]).into_response()
    }
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

#[cfg(test)]
mod tests {
    use super::metrics_token_matches;

    #[test]
    fn metrics_token_rule() {
        let token = "s3cret-metrics-token-0123";
        let table: [(&str, Option<&str>, bool); 7] = [
            (token, Some("Bearer s3cret-metrics-token-0123"), true),
            (token, Some("Bearer s3cret-metrics-token-012"), false),
            (token, Some("Bearer s3cret-metrics-token-01234"), false),
            (token, Some("Basic s3cret-metrics-token-0123"), false),
            (token, Some("s3cret-metrics-token-0123"), false),
            (token, None, false),
            ("", Some("Bearer "), false),
        ];
        for (configured, authorization, expected) in table {
            assert_eq!(metrics_token_matches(configured, authorization), expected, "{authorization:?}");
        }
    }
}
