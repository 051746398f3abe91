//! The middleware stack: request id (set and propagated), tracing span, security
//! headers, panic → 500 (no stack trace to the client, AB-03), load shedding past
//! `server.max_in_flight` (503 + `Retry-After`, AB-02), request timeout (408), and per
//! route: metrics and the body-size limit (413, AB-02).

use crate::config::ServerConfig;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// What a shed request is told to wait, in seconds.
pub const SHED_RETRY_AFTER: &str = "1";

/// Counts requests and records latency per route (`propusk_http_*`).
async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("propusk_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("propusk_http_request_duration_seconds", "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

/// The whole stack around `router`. The outer part wraps the router as one service, so
/// every answer — the router's 404 and 405, the body limit's 413, the timeout's 408,
/// the shed 503, the panic's 500 — passes the security headers (AZ-12).
pub fn layers(router: Router, server: &ServerConfig) -> Router {
    let inner =
        router.layer(middleware::from_fn(record_metrics)).layer(RequestBodyLimitLayer::new(server.max_body_bytes));
    let slots = Arc::new(Semaphore::new(server.max_in_flight.max(1)));
    let outer = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::from_fn(crate::web::headers::security_layer))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(slots, shed))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(server.request_timeout_secs),
        ))
        .service(inner);
    Router::new().fallback_service(outer)
}

/// The operations listener's stack: request id, security headers, timeout; no shedding
/// (a probe must see the process even when the main listener sheds).
pub fn ops_layers(router: Router, server: &ServerConfig) -> Router {
    router
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(server.request_timeout_secs),
        ))
        .layer(middleware::from_fn(crate::web::headers::security_layer))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// At most `server.max_in_flight` requests are handled at once; one more is answered
/// at once (not queued) with 503 + `Retry-After`. `/healthz` is never shed.
async fn shed(State(slots): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    match slots.try_acquire_owned() {
        Ok(slot) => {
            let res = next.run(req).await;
            drop(slot);
            res
        }
        Err(_) => {
            metrics::counter!("propusk_http_shed_total").increment(1);
            overloaded(req.headers())
        }
    }
}

/// Who asked: a person's browser gets a small page, anything else an RFC 6749 error.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

const OVERLOADED_HTML: &str = "<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\">\
<title>Сервис перегружен</title><p>Сервис сейчас перегружен. Повторите через минуту.</p></html>\n";
const OVERLOADED_JSON: &str =
    "{\"error\":\"temporarily_unavailable\",\"error_description\":\"the server is overloaded; retry later\"}";

/// The 503 of a shed request: static, so that shedding costs next to nothing.
pub fn overloaded(request_headers: &HeaderMap) -> Response {
    let (content_type, body) = if wants_html(request_headers) {
        ("text/html; charset=utf-8", OVERLOADED_HTML)
    } else {
        ("application/json", OVERLOADED_JSON)
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::RETRY_AFTER, HeaderValue::from_static(SHED_RETRY_AFTER)),
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shed_answer_by_audience() {
        let table: [(&str, &str); 4] = [
            ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8"),
            ("application/json", "application/json"),
            ("*/*", "application/json"),
            ("", "application/json"),
        ];
        for (accept, expected) in table {
            let mut h = HeaderMap::new();
            if !accept.is_empty() {
                h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            }
            let res = overloaded(&h);
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{accept}");
            assert_eq!(res.headers()[header::RETRY_AFTER], SHED_RETRY_AFTER, "{accept}");
            assert_eq!(res.headers()[header::CONTENT_TYPE], expected, "{accept}");
        }
    }
}
