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
    /// RFC 9449 §5: the `DPoP` proof is missing, malformed, replayed or of another key.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the nonce of the `DPoP-Nonce` header.
    UseDpopNonce,
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
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
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
    /// RFC 9449 §8: the nonce a `use_dpop_nonce` answer hands out (`DPoP-Nonce`).
    pub dpop_nonce: Option<String>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self { code, description: description.into(), cause: None, basic_challenge: false, dpop_nonce: None }
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
    pub fn invalid_dpop_proof(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidDpopProof, d)
    }
    /// `use_dpop_nonce` with the nonce to use.
    pub fn use_dpop_nonce(nonce: String) -> Self {
        Self { dpop_nonce: Some(nonce), ..Self::new(ErrorCode::UseDpopNonce, "use the DPoP-Nonce header's nonce") }
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
        if let Some(nonce) = self.dpop_nonce.as_deref().and_then(|n| HeaderValue::from_str(n).ok()) {
            h.insert("dpop-nonce", nonce);
        }
        res
    }
}

/// The challenges of RFC 9449 §7.1, naming the algorithms a proof may use.
pub(super) const DPOP_INVALID_TOKEN: &str = "DPoP algs=\"ES256 PS256 RS256 EdDSA\", error=\"invalid_token\"";
pub(super) const DPOP_INVALID_PROOF: &str = "DPoP algs=\"ES256 PS256 RS256 EdDSA\", error=\"invalid_dpop_proof\"";
/// RFC 9449 §9: the resource server's challenge asking for its nonce.
pub(super) const DPOP_USE_NONCE: &str = "DPoP algs=\"ES256 PS256 RS256 EdDSA\", error=\"use_dpop_nonce\", \
     error_description=\"the DPoP proof must carry the nonce of the DPoP-Nonce header\"";

/// RFC 6750 §3 errors of bearer-protected endpoints (UserInfo); RFC 9449 §7.1 for DPoP.
#[derive(Debug)]
pub enum BearerError {
    /// 400 `invalid_request` (e.g. the token was sent in the query string).
    InvalidRequest(&'static str),
    /// 401 `invalid_token`: missing, malformed, expired or revoked.
    InvalidToken,
    /// 403 `insufficient_scope`.
    InsufficientScope,
    /// 401 `invalid_token` with a DPoP challenge: a DPoP-bound token used as a bearer token.
    DpopBound,
    /// 401 `invalid_dpop_proof`: a bound token without a good proof of its key (RFC 9449 §7.1).
    InvalidDpopProof,
    /// 401 `use_dpop_nonce` with this nonce in `DPoP-Nonce` (RFC 9449 §9).
    UseDpopNonce(String),
    Store(StoreError),
}

impl From<StoreError> for BearerError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let nonce = match &self {
            Self::UseDpopNonce(n) => HeaderValue::from_str(n).ok(),
            _ => None,
        };
        let (status, code, challenge) = match self {
            Self::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request", "Bearer error=\"invalid_request\""),
            Self::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token", "Bearer error=\"invalid_token\""),
            Self::InsufficientScope => {
                (StatusCode::FORBIDDEN, "insufficient_scope", "Bearer error=\"insufficient_scope\", scope=\"openid\"")
            }
            Self::DpopBound => (StatusCode::UNAUTHORIZED, "invalid_token", DPOP_INVALID_TOKEN),
            Self::InvalidDpopProof => (StatusCode::UNAUTHORIZED, "invalid_dpop_proof", DPOP_INVALID_PROOF),
            Self::UseDpopNonce(_) => (StatusCode::UNAUTHORIZED, "use_dpop_nonce", DPOP_USE_NONCE),
            Self::Store(e) => return OAuthError::from(e).into_response(),
        };
        let mut res = (status, Json(serde_json::json!({ "error": code }))).into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(nonce) = nonce {
            res.headers_mut().insert("dpop-nonce", nonce);
        }
        res
    }
}
