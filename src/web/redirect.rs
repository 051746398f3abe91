//! Redirects, plain HTTP: the `Location` answer (303 after a form POST, 302 after a
//! GET), the URLs back to a relying party's `redirect_uri` — with its parameters,
//! or with an error, `state` and `iss` — and the one check of a `next` / return path
//! ([`same_origin_path`]). Shared by `oidc`, `flow` and `admin`.

use crate::oidc::error::ErrorCode;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A redirect. After a form POST it is 303 (never 307, which would replay the
/// password to the relying party: AZ-09); after a GET, 302.
pub fn redirect(url: &str, after_post: bool, set_cookies: &[HeaderValue]) -> Response {
    let status = if after_post { StatusCode::SEE_OTHER } else { StatusCode::FOUND };
    let mut res = status.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(url) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for c in set_cookies {
        h.append(header::SET_COOKIE, c.clone());
    }
    res
}

/// Where a sign-in without a relying party lands when `next` is absent or refused.
pub const DEFAULT_LANDING: &str = "/account";

/// The one check of every `next` / return path: `next` joined to the issuer with the
/// URL standard's parser (what a browser does with a `Location`) must stay on the
/// issuer's origin, and its serialised path and query must be `next` itself — so
/// nothing a browser strips or rewrites (TAB, CR, LF, `\`, spaces, dot segments,
/// `//host`) can take it elsewhere. Anything else is refused (None).
pub fn same_origin_path(issuer: &str, next: &str) -> Option<String> {
    if !next.starts_with('/') {
        return None;
    }
    let base = url::Url::parse(issuer).ok()?;
    let joined = base.join(next).ok()?;
    if joined.origin() != base.origin() || joined.fragment().is_some() {
        return None;
    }
    let mut serialised = joined.path().to_owned();
    if let Some(q) = joined.query() {
        serialised.push('?');
        serialised.push_str(q);
    }
    (serialised == next).then_some(serialised)
}

/// `next` if [`same_origin_path`] accepts it, else [`DEFAULT_LANDING`].
pub fn local_path(issuer: &str, next: Option<&str>) -> String {
    next.and_then(|n| same_origin_path(issuer, n)).unwrap_or_else(|| DEFAULT_LANDING.to_owned())
}

/// `redirect_uri` with `params` appended to its query (keeping a registered query).
pub fn client_url(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

/// The error response to a validated redirect URI: `error`, `error_description`, `state`, `iss`.
pub fn error_url(issuer: &str, redirect_uri: &str, state: Option<&str>, code: ErrorCode, description: &str) -> String {
    let mut params = vec![("error", code.as_str()), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    client_url(redirect_uri, &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_04_error_url_carries_iss_and_state() {
        let u = error_url("https://id.example", "https://rp/cb?x=1", Some("s t"), ErrorCode::AccessDenied, "no");
        assert_eq!(
            u,
            "https://rp/cb?x=1&error=access_denied&error_description=no&state=s+t&iss=https%3A%2F%2Fid.example"
        );
    }

    #[test]
    fn next_is_a_same_origin_path_that_parses_back_to_itself() {
        for issuer in ["https://id.example", "http://127.0.0.1:8080", "https://id.example/"] {
            for ok in ["/account", "/", "/admin/requests?status=new", "/admin/requests/A-1?x=1&y=%20z", "/a%2Fb"] {
                assert_eq!(same_origin_path(issuer, ok).as_deref(), Some(ok), "{issuer} {ok}");
            }
            for evil in [
                "//evil.example",
                "///evil.example",
                "/\t/evil.example",
                "/\n/evil.example",
                "/\r//evil.example",
                "/\t\t/evil.example",
                "/\\evil.example",
                "\\/evil.example",
                "\\\\evil.example",
                "/\\/evil.example",
                "/ /evil.example",
                " /evil.example",
                "/evil.example\u{0}",
                "https://evil.example",
                "https:evil.example",
                "http://127.0.0.1:8080/account",
                "javascript:alert(1)",
                "evil.example",
                "",
                "/account#frag",
                "/a/../b",
                "/./account",
                "/%2e%2e/account",
                "/\u{0430}ccount",
                "/account\u{200b}",
                "/\u{3000}/evil.example",
                "/\u{ff0f}evil.example",
                "/account?q=a b",
                "/account\u{7f}",
            ] {
                assert_eq!(same_origin_path(issuer, evil), None, "{issuer} {evil:?}");
                assert_eq!(local_path(issuer, Some(evil)), DEFAULT_LANDING, "{issuer} {evil:?}");
            }
        }
        assert_eq!(local_path("https://id.example", None), DEFAULT_LANDING);
    }

    #[test]
    fn az_09_redirect_after_post_is_303() {
        assert_eq!(redirect("/x", true, &[]).status(), StatusCode::SEE_OTHER);
        assert_eq!(redirect("/x", false, &[]).status(), StatusCode::FOUND);
    }
}
