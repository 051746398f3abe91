//! Security headers for every response (AZ-12) and the embedded static files.

use super::pages::ErrorPage;
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// No third-party resources, no inline scripts or styles, no framing. Deliberately no
/// `form-action`: it would block the redirect to a relying party after a form POST.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CSS: &str = include_str!("../../static/propusk.css");
const LOGIN_JS: &str = include_str!("../../static/login.js");
const REQUEST_JS: &str = include_str!("../../static/request.js");
/// Static files are small and change only with a release.
const STATIC_CACHE: &str = "public, max-age=86400";

/// The middleware that adds the security headers to every response, and the request
/// id (the `x-request-id` request header, set by the request-id layer outside) to error
/// pages; `web::layers` puts it around the whole router.
pub async fn security_layer(req: Request, next: Next) -> Response {
    let request_id = request_id(req.headers());
    let mut res = next.run(req).await;
    if let Some(mut page) = res.extensions_mut().remove::<ErrorPage>()
        && let Some(id) = request_id
    {
        page.request_id = Some(id);
        // Outside the page routes' viewer scope: the viewer the page was first rendered for.
        let viewer = res.extensions_mut().remove::<super::viewer::Viewer>();
        if let Ok(body) = super::viewer::render_as(viewer, || page.render()) {
            res.headers_mut().remove(header::CONTENT_LENGTH);
            *res.body_mut() = Body::from(body);
        }
    }
    apply(res.headers_mut());
    res
}

/// Request ids we generate are UUIDs; a client-sent id is shown only if it looks like one.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The request id (set by the request-id layer outside) as an error page may show it,
/// for pages that a handler renders itself with a «Номер запроса».
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|id| is_plain_id(id)).map(str::to_owned)
}

/// The middleware body, public for routers built differently (e.g. `map_response`).
pub async fn add_security_headers(mut res: Response) -> Response {
    apply(res.headers_mut());
    res
}

/// Sets the headers on a header map (also used by tests and non-axum paths).
pub fn apply(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if is_html && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// `GET /static/propusk.css`, `/static/login.js` and `/static/request.js`, embedded in the binary.
pub fn static_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/static/propusk.css", get(|| async { static_file("text/css; charset=utf-8", CSS) }))
        .route("/static/login.js", get(|| async { static_file("text/javascript; charset=utf-8", LOGIN_JS) }))
        .route("/static/request.js", get(|| async { static_file("text/javascript; charset=utf-8", REQUEST_JS) }))
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(STATIC_CACHE)),
        ],
        body,
    )
        .into_response()
}
