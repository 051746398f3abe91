//! `ApiError`, the admin API's one error type, and its one map to an RFC 9457 problem
//! (`application/problem+json`: `type`, `title`, `status`, `detail`).

use super::types::Problem;
use crate::oidc::client_ops::ChangeError;
use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why an admin API call was refused.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the input named by `field` is wrong.
    BadInput { field: &'static str, detail: String },
    /// 401 with `WWW-Authenticate: Bearer`: no valid session or token.
    Unauthenticated,
    /// 403: the caller's role or scope does not allow the operation (or no CSRF token).
    Forbidden(&'static str),
    /// 404: no such object, or one the caller may not see (AB-05).
    NotFound,
    /// 409: the operation refuses in the object's present state.
    Conflict(String),
    /// 503 with `Retry-After`: the store is unavailable.
    Unavailable,
    /// 500: logged with its cause, never shown.
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn bad(field: &'static str, detail: impl Into<String>) -> Self {
        Self::BadInput { field, detail: detail.into() }
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::BadInput { field, detail } => (StatusCode::BAD_REQUEST, "bad-input", format!("{field}: {detail}")),
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a fresh admin session or a bearer access token is required".into(),
            ),
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, "forbidden", (*why).into()),
            Self::NotFound => (StatusCode::NOT_FOUND, "not-found", "no such object".into()),
            Self::Conflict(why) => (StatusCode::CONFLICT, "conflict", why.clone()),
            Self::Unavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database is unavailable; retry later".into())
            }
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error".into()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Unavailable,
            StoreError::NotFound => Self::NotFound,
            e => Self::Internal(e.into()),
        }
    }
}

impl From<crate::web::error_page::PageError> for ApiError {
    fn from(e: crate::web::error_page::PageError) -> Self {
        match e.status {
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            StatusCode::NOT_FOUND => Self::NotFound,
            s => Self::Internal(anyhow::anyhow!("page error {s}")),
        }
    }
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::NotFound => Self::NotFound,
            ChangeError::Rule(e) => Self::bad(e.field.trim_start_matches("--"), e.reason),
            ChangeError::Exists => Self::Conflict("a client with this id exists".into()),
            ChangeError::Meanwhile => Self::Conflict("the client changed meanwhile; read it again".into()),
            ChangeError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %cause, "admin API");
        }
        let (status, kind, detail) = self.parts();
        let problem = Problem {
            r#type: format!("urn:propusk:problem:{kind}"),
            title: status.canonical_reason().unwrap_or("error").to_owned(),
            status: status.as_u16(),
            detail,
        };
        let mut res = (status, axum::Json(problem)).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            Self::Unauthenticated => {
                h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"propusk-admin\""));
            }
            Self::Unavailable => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::ApiError;
    use crate::store::StoreError;
    use axum::response::IntoResponse;

    #[test]
    fn each_error_is_one_problem_with_its_status_and_headers() {
        for (e, status, header) in [
            (ApiError::bad("limit", "1 to 200"), 400, None),
            (ApiError::Unauthenticated, 401, Some("www-authenticate")),
            (ApiError::Forbidden("no"), 403, None),
            (ApiError::NotFound, 404, None),
            (ApiError::Conflict("active".into()), 409, None),
            (StoreError::Unavailable(anyhow::anyhow!("pool timed out")).into(), 503, Some("retry-after")),
            (StoreError::Backend(anyhow::anyhow!("secret detail")).into(), 500, None),
        ] {
            let detail = e.parts().2;
            let res = e.into_response();
            assert_eq!(res.status().as_u16(), status);
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            if let Some(h) = header {
                assert!(res.headers().contains_key(h), "{status}: {h}");
            }
            assert!(!detail.contains("secret detail"), "internals never shown");
        }
        assert_eq!(ApiError::bad("limit", "1 to 200").parts().2, "limit: 1 to 200");
    }
}
