//! `PageError`: the one error type of the HTML pages, mapped to an [`ErrorPage`] here.
//!
//! The person sees a title and a fixed message; the cause of an internal error goes to
//! the log only (with the request's span, which carries the request id), never to the page.

use super::pages::{ErrorPage, html_with_status};
use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt;

/// `Retry-After` (seconds) of every 503 while the database or an upstream is
/// unavailable: the HTML pages, the OAuth/bearer JSON errors and `/readyz`.
pub const RETRY_AFTER_SECS: &str = "5";

/// An error shown to a person as an HTML page.
pub struct PageError {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
    /// Logged with `tracing::error!` when the response is built; never shown.
    pub cause: Option<anyhow::Error>,
    /// Not an error page but `303 See Other` to this local URL ([`Self::elsewhere`]).
    pub location: Option<String>,
    /// Sent as `Retry-After` (seconds) with a 429 or a 503.
    pub retry_after: Option<u64>,
}

impl PageError {
    pub fn new(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, title: title.into(), message: message.into(), cause: None, location: None, retry_after: None }
    }

    /// A journey step reached out of order: the person is sent (303) to the page
    /// of the step they are at, instead of an error page.
    pub fn elsewhere(local_url: &str) -> Self {
        Self {
            location: Some(local_url.to_owned()), ..Self::new(StatusCode::SEE_OTHER, "См. другую страницу", "")
        }
    }

    /// 400: the request cannot be served; `message` says what the person can do.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Неверный запрос", message)
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Страница не найдена",
            "Такой страницы нет. Проверьте адрес или вернитесь в приложение.",
        )
    }

    /// 403: e.g. a CSRF check failed or the person may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Доступ запрещён", message)
    }

    /// 500: the person sees «Внутренняя ошибка…»; `cause` is logged.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Внутренняя ошибка".into(),
            message: "Внутренняя ошибка сервера. Попробуйте повторить попытку позже.".into(),
            cause: Some(cause.into()),
            location: None,
            retry_after: None,
        }
    }

    /// 503 with `Retry-After: 5` (the database or an upstream is unavailable).
    pub fn unavailable() -> Self {
        Self {
            retry_after: RETRY_AFTER_SECS.parse().ok(),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Сервис временно недоступен",
                "Сервис временно недоступен. Повторите попытку через несколько секунд.",
            )
        }
    }

    /// 429: this address started too many logins; try again after `retry_after_secs`.
    pub fn too_many(retry_after_secs: u64) -> Self {
        let minutes = retry_after_secs.div_ceil(60).max(1);
        Self {
            retry_after: Some(retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Слишком много попыток входа",
                format!("С этого адреса начато слишком много входов. Попробуйте снова через {minutes} мин."),
            )
        }
    }

    /// The page a person sees for this error.
    pub fn page(&self) -> ErrorPage {
        ErrorPage { title: self.title.clone(), message: self.message.clone(), request_id: None }
    }
}

impl fmt::Debug for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageError")
            .field("status", &self.status)
            .field("title", &self.title)
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.title)
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                Self::unavailable()
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(url) = &self.location {
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(url) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return res;
        }
        if let Some(cause) = &self.cause {
            tracing::error!(status = %self.status, error = ?cause, "page error");
        }
        let page = self.page();
        let mut res = html_with_status(self.status, &page);
        // `headers::security_layer` re-renders the page with the request id.
        res.extensions_mut().insert(page);
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}
