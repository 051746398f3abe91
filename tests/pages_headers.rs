//! Security headers (AZ-12), the static files and the HTML error page (AB-03).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use propusk::store::StoreError;
use propusk::web::error_page::PageError;
use propusk::web::headers::{CONTENT_SECURITY_POLICY, security_layer, static_routes};
use propusk::web::pages::{LoggedOutPage, html};
use tower::ServiceExt;

fn app() -> Router {
    let router = Router::new()
        .route("/page", get(|| async { html(&LoggedOutPage {}) }))
        .route("/json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], "{}") }))
        .route(
            "/cached",
            get(|| async { ([(header::CONTENT_TYPE, "text/html"), (header::CACHE_CONTROL, "max-age=60")], "<p>") }),
        )
        .route("/error", get(|| async { PageError::internal(anyhow::anyhow!("secret db detail")) }))
        .route("/busy", get(|| async { PageError::unavailable() }))
        .merge(static_routes());
    router.layer(axum::middleware::from_fn(security_layer))
}

async fn get_path(path: &str) -> Response {
    app().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
}

async fn body_text(res: Response) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn az_12_security_headers_on_pages() {
    let res = get_path("/page").await;
    let h = res.headers();
    assert_eq!(
        h["content-security-policy"],
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(h["content-security-policy"], CONTENT_SECURITY_POLICY);
    assert!(!CONTENT_SECURITY_POLICY.contains("form-action"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
}

#[tokio::test]
async fn az_12_security_headers_on_other_responses() {
    let res = get_path("/json").await;
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers().get("cache-control").is_none(), "only HTML gets no-store by default");
    let res = get_path("/cached").await;
    assert_eq!(res.headers()["cache-control"], "max-age=60", "an explicit Cache-Control is kept");
    let res = get_path("/nope").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn static_files_are_served() {
    let res = get_path("/static/propusk.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    assert!(body_text(res).await.contains(".tab-panel"));
    let res = get_path("/static/login.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn ab_03_internal_error_page_hides_cause() {
    let res = get_path("/error").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = body_text(res).await;
    assert!(body.contains("Внутренняя ошибка"));
    assert!(!body.contains("secret db detail"));
}

#[tokio::test]
async fn unavailable_page_has_retry_after() {
    let res = get_path("/busy").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
}

#[tokio::test]
async fn page_error_constructors_and_store_mapping() {
    assert_eq!(PageError::bad_request("x").status, StatusCode::BAD_REQUEST);
    assert_eq!(PageError::not_found().status, StatusCode::NOT_FOUND);
    assert_eq!(PageError::forbidden("x").status, StatusCode::FORBIDDEN);
    let e: PageError = StoreError::Unavailable(anyhow::anyhow!("down")).into();
    assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
    let e: PageError = StoreError::Backend(anyhow::anyhow!("bad sql")).into();
    assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(e.cause.is_some());
    let res = PageError::bad_request("Ссылка устарела.").into_response();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = body_text(res).await;
    assert!(body.contains("Неверный запрос") && body.contains("Ссылка устарела."));
}

#[tokio::test]
async fn error_page_shows_request_id() {
    let req = Request::get("/busy").header("x-request-id", "0192-abc-DEF").body(Body::empty()).unwrap();
    let res = app().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let body = body_text(res).await;
    assert!(body.contains("<code>0192-abc-DEF</code>"));
    assert!(body.contains("Сервис временно недоступен"));
}

#[tokio::test]
async fn ab_03_odd_request_id_is_not_echoed() {
    let req = Request::get("/error").header("x-request-id", "<b>x</b>").body(Body::empty()).unwrap();
    let body = body_text(app().oneshot(req).await.unwrap()).await;
    assert!(!body.contains("x</b>") && !body.contains("Номер запроса"));
}
