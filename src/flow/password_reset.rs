//! «Забыли пароль?» in the browser: the request form (`/forgot-password`), the one
//! answer for every login (`/forgot-password/sent`), and the emailed link
//! (`/reset-password?token=…`) with its form and success page. The decisions are
//! in [`crate::account::password_reset`]; a link that cannot be used is a 400 page.

use super::login::org_groups;
use crate::account::password_reset::{self, RESET_TTL_SECS, RequestError, ResetError};
use crate::app::App;
use crate::crypto::SecretString;
use crate::oidc::params::Params;
use crate::session::checked_browser;
use crate::store::OrgKind;
use crate::web::client_addr::ClientAddr;
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::pages::{self, html_with_status};
use crate::web::password_pages::{ForgotPage, ForgotSentPage, ResetDonePage, ResetInvalidPage, ResetPage};
use crate::web::redirect::redirect;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

const MINUTES: i64 = RESET_TTL_SECS / 60;

/// Sets the browser-binding cookie (the forms' CSRF token needs it) when it is new.
fn with_browser(mut res: Response, set: Option<HeaderValue>) -> Response {
    if let Some(c) = set {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

async fn forgot_form(
    app: &App,
    browser_id: &str,
    login: String,
    selected_org: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let orgs = app.store.organisations().await?;
    let page = ForgotPage {
        csrf: app.cookies.csrf_token(browser_id),
        schools: org_groups(&orgs, OrgKind::School),
        authorities: org_groups(&orgs, OrgKind::Authority),
        selected_org,
        login,
        error,
    };
    Ok(html_with_status(status, &page))
}

/// GET /forgot-password
pub async fn forgot_page(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, PageError> {
    let (browser_id, set) = cookie::browser_id(&app.cookies, &headers);
    let res = forgot_form(&app, &browser_id, String::new(), None, None, StatusCode::OK).await?;
    Ok(with_browser(res, set))
}

/// POST /forgot-password: always the same redirect to the answer page, unless the
/// form is incomplete or the limit of requests is reached (both regardless of the login).
pub async fn forgot_submit(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let browser_id = checked_browser(&app.cookies, &headers, &p)?;
    let org_id = super::chosen_org(&p).to_owned();
    let login = p.get("login").unwrap_or_default().trim().to_owned();
    let selected = Some(org_id.clone()).filter(|o| !o.is_empty());
    if org_id.is_empty() || login.is_empty() {
        let error = Some("Выберите организацию и введите логин.".to_owned());
        return forgot_form(&app, &browser_id, login, selected, error, StatusCode::BAD_REQUEST).await;
    }
    let reset_url = format!("{}/reset-password", app.config.issuer);
    let now = app.clock.now();
    let store = app.store.clone();
    match password_reset::request_reset(store, &app.reset_throttle, &org_id, &login, client, &reset_url, now).await {
        Ok(_) => {
            metrics::counter!("propusk_password_resets_total", "outcome" => "requested").increment(1);
            Ok(redirect("/forgot-password/sent", true, &[]))
        }
        Err(RequestError::Locked { retry_after }) => {
            metrics::counter!("propusk_password_resets_total", "outcome" => "locked").increment(1);
            let minutes = retry_after.as_secs().div_ceil(60).max(1);
            let error =
                Some(format!("Слишком много запросов на восстановление пароля. Попробуйте снова через {minutes} мин."));
            let mut res = forgot_form(&app, &browser_id, login, selected, error, StatusCode::TOO_MANY_REQUESTS).await?;
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(RequestError::Store(e)) => Err(e.into()),
    }
}

/// GET /forgot-password/sent
pub async fn forgot_sent() -> Response {
    pages::html(&ForgotSentPage { minutes: MINUTES })
}

fn invalid_link() -> Response {
    html_with_status(StatusCode::BAD_REQUEST, &ResetInvalidPage { minutes: MINUTES })
}

#[derive(Debug, serde::Deserialize)]
pub struct ResetQuery {
    pub token: Option<String>,
}

async fn reset_form(
    app: &App,
    browser_id: &str,
    token: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let now = app.clock.now();
    let Some(account) = password_reset::link_target(&*app.store, token, now).await? else {
        return Ok(invalid_link());
    };
    let organisation = app.store.organisation(&account.organisation_id).await?.map(|o| o.name).unwrap_or_default();
    let page = ResetPage {
        csrf: app.cookies.csrf_token(browser_id),
        token: token.to_owned(),
        login: account.login,
        organisation,
        error,
    };
    Ok(html_with_status(status, &page))
}

/// GET /reset-password?token=…
pub async fn reset_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<ResetQuery>,
) -> Result<Response, PageError> {
    let (browser_id, set) = cookie::browser_id(&app.cookies, &headers);
    let token = q.token.unwrap_or_default();
    let res = reset_form(&app, &browser_id, &token, None, StatusCode::OK).await?;
    Ok(with_browser(res, set))
}

/// POST /reset-password
pub async fn reset_submit(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, PageError> {
    let p = Params::parse(&body);
    let browser_id = checked_browser(&app.cookies, &headers, &p)?;
    let token = p.get("token").unwrap_or_default().to_owned();
    let new = SecretString::new(p.get("new_password").unwrap_or_default());
    let repeat = SecretString::new(p.get("new_password_repeat").unwrap_or_default());
    let now = app.clock.now();
    match password_reset::complete_reset(&*app.store, &token, &new, &repeat, now).await {
        Ok(account) => {
            metrics::counter!("propusk_password_resets_total", "outcome" => "reset").increment(1);
            tracing::info!(account_id = %account.id, "password reset through a link");
            Ok(pages::html(&ResetDonePage {}))
        }
        Err(ResetError::Invalid) => {
            metrics::counter!("propusk_password_resets_total", "outcome" => "invalid_link").increment(1);
            Ok(invalid_link())
        }
        Err(ResetError::Policy(e)) => {
            reset_form(&app, &browser_id, &token, Some(e.message().to_owned()), StatusCode::BAD_REQUEST).await
        }
        Err(ResetError::Store(e)) => Err(e.into()),
        Err(ResetError::Password(e)) => Err(PageError::internal(e)),
    }
}
