//! Redirects, plain HTTP: the `Location` answer (303 after a form POST, 302 after a
//! GET) and the URLs back to a relying party's `redirect_uri` — with its parameters,
//! or with an error, `state` and `iss`. Shared by `oidc`, `flow` and `admin`.

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
    fn az_09_redirect_after_post_is_303() {
        assert_eq!(redirect("/x", true, &[]).status(), StatusCode::SEE_OTHER);
        assert_eq!(redirect("/x", false, &[]).status(), StatusCode::FOUND);
    }
}
