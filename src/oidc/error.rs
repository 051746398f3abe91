//! The one place where protocol errors become HTTP: RFC 6749 §5.2 JSON for the
//! back-channel endpoints, RFC 6750 for bearer-protected ones, and the redirect
//! (with `error`, `state` and `iss`) for the authorization endpoint.

use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

/// `Retry-After` of every 503 while the database is unavailable (seconds): long
/// enough for a restart or a fail-over, short enough that clients come back soon.
use crate::web::error_page::RETRY_AFTER_SECS;

/// RFC 6749 / OIDC Core error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    /// RFC 8707 §2: a `resource` the client may not have.
    InvalidTarget,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    UnsupportedTokenType,
    ServerError,
    TemporarilyUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// What a relying party is told. `description` is public; `cause` is only logged.
#[derive(Debug)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    pub cause: Option<anyhow::Error>,
    /// The client authenticated (or tried to) with HTTP Basic: a 401 must carry
    /// `WWW-Authenticate: Basic`.
    pub basic_challenge: bool,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self { code, description: description.into(), cause: None, basic_challenge: false }
    }
    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_client(basic: bool) -> Self {
        Self { basic_challenge: basic, ..Self::new(ErrorCode::InvalidClient, "client authentication failed") }
    }
    pub fn server(cause: impl Into<anyhow::Error>) -> Self {
        Self { cause: Some(cause.into()), ..Self::new(ErrorCode::ServerError, "internal error") }
    }
}

/// Unexpected storage failures: 503 when the database is unreachable (fail closed),
/// 500 otherwise. Expected outcomes (not found …) are mapped at the call site.
impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self {
                cause: Some(e.into()),
                ..Self::new(ErrorCode::TemporarilyUnavailable, "storage temporarily unavailable")
            },
            other => Self::server(other),
        }
    }
}

/// A token could not be minted: a store failure keeps its kind (an unreachable
/// database is 503, not 500); anything else is a server error.
impl From<crate::token::TokenError> for OAuthError {
    fn from(e: crate::token::TokenError) -> Self {
        match e {
            crate::token::TokenError::Store(store) => store.into(),
            other => Self::server(other),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        match &self.cause {
            // An outage is logged once per request, as a warning: it is not a bug.
            Some(cause) if self.code == ErrorCode::TemporarilyUnavailable => {
                tracing::warn!(code = self.code.as_str(), error = format!("{cause:#}"), "request failed");
            }
            Some(cause) => tracing::error!(code = self.code.as_str(), error = format!("{cause:#}"), "request failed"),
            None => {}
        }
        let body = Json(serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        }));
        let mut res = (self.code.status(), body).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.code == ErrorCode::InvalidClient && self.basic_challenge {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"propusk\""));
        }
        if self.code == ErrorCode::TemporarilyUnavailable {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
        }
        res
    }
}

/// RFC 6750 §3 errors of bearer-protected endpoints (UserInfo).
#[derive(Debug)]
pub enum BearerError {
    /// 400 `invalid_request` (e.g. the token was sent in the query string).
    InvalidRequest(&'static str),
    /// 401 `invalid_token`: missing, malformed, expired or revoked.
    InvalidToken,
    /// 403 `insufficient_scope`.
    InsufficientScope,
    Store(StoreError),
}

impl From<StoreError> for BearerError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, code, challenge) = match self {
            Self::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request", "Bearer error=\"invalid_request\""),
            Self::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token", "Bearer error=\"invalid_token\""),
            Self::InsufficientScope => {
                (StatusCode::FORBIDDEN, "insufficient_scope", "Bearer error=\"insufficient_scope\", scope=\"openid\"")
            }
            Self::Store(e) => return OAuthError::from(e).into_response(),
        };
        let mut res = (status, Json(serde_json::json!({ "error": code }))).into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}
