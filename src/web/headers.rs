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

/// The images' directive of [`CONTENT_SECURITY_POLICY`], which one page may widen by
/// one origin ([`ImageOrigin`]).
const IMG_SRC: &str = "img-src 'self' data:";

/// One more origin images may come from, on one response only: a handler puts it in
/// the response's extensions (the consent page, for its client's logo) and
/// [`security_layer`] adds it to that response's `img-src`. Never a wildcard: only
/// `https://` and a host of letters, digits, `-` and `.`, with an optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOrigin(String);

impl ImageOrigin {
    /// `origin` as a CSP host-source (CSP 3 §2.3.1) that names exactly one origin:
    /// `https://host` or `https://host:port`; `None` for anything else.
    pub fn new(origin: &str) -> Option<Self> {
        let rest = origin.strip_prefix("https://")?;
        let (host, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let host_ok = !host.is_empty()
            && !host.starts_with('.')
            && host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
        (host_ok && port_ok).then(|| Self(origin.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The content security policy, its `img-src` widened by `extra` when given.
pub fn content_security_policy(extra: Option<&ImageOrigin>) -> String {
    match extra {
        Some(o) => CONTENT_SECURITY_POLICY.replacen(IMG_SRC, &format!("{IMG_SRC} {}", o.as_str()), 1),
        None => CONTENT_SECURITY_POLICY.to_owned(),
    }
}

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
    add_security_headers(res).await
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
    let image = res.extensions_mut().remove::<ImageOrigin>();
    apply_with(res.headers_mut(), image.as_ref());
    res
}

/// Sets the headers on a header map (also used by tests and non-axum paths).
pub fn apply(headers: &mut HeaderMap) {
    apply_with(headers, None);
}

/// [`apply`], with `image` added to `img-src` (a response's [`ImageOrigin`]).
pub fn apply_with(headers: &mut HeaderMap, image: Option<&ImageOrigin>) {
    let csp = match image.map(|o| HeaderValue::from_str(&content_security_policy(Some(o)))) {
        Some(Ok(v)) => v,
        _ => HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
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

#[cfg(test)]
mod tests {
    use super::{CONTENT_SECURITY_POLICY, IMG_SRC, ImageOrigin, content_security_policy};

    #[test]
    fn one_page_widens_img_src_by_exactly_one_origin() {
        assert_eq!(CONTENT_SECURITY_POLICY.matches(IMG_SRC).count(), 1);
        assert_eq!(content_security_policy(None), CONTENT_SECURITY_POLICY);
        let o = ImageOrigin::new("https://cdn.example:8443");
        let csp = content_security_policy(o.as_ref());
        assert!(csp.contains("img-src 'self' data: https://cdn.example:8443;"), "{csp}");
        assert_eq!(csp.replace(" https://cdn.example:8443", ""), CONTENT_SECURITY_POLICY);
        for bad in [
            "*",
            "https://*",
            "https://*.example",
            "http://cdn.example",
            "https://cdn.example/",
            "https://cdn.example; script-src *",
            "https://cdn.example 'unsafe-inline'",
            "https://CDN.example",
            "https://cdn.example:",
            "https://",
            "https://.example",
        ] {
            assert_eq!(ImageOrigin::new(bad), None, "{bad}");
        }
    }
}
