//! «Сменить пароль» on `/account` (`POST /account/password`): CSRF and session
//! checked like every `/account` form, then [`password_change::change_password`];
//! on success the session cookie is replaced (the session was rotated) and the
//! browser goes back to `/account?password=changed` («Пароль изменён»).

use super::account::{AccountError, render_password_error, signed_in};
use crate::account::password_change::{self, ChangeError, ChangeRequest};
use crate::app::App;
use crate::crypto::{self, SecretString};
use crate::oidc::params::Params;
use crate::web::client_addr::ClientAddr;
use crate::web::error_page::PageError;
use crate::web::redirect::redirect;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

/// The notice on `/account` after a change.
pub const CHANGED: &str = "Пароль изменён. Другие входы в эту учетную запись завершены.";

/// POST /account/password
pub async fn change(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AccountError> {
    let p = Params::parse(&body);
    let session = signed_in(&app, &headers, &p).await?;
    let account = app.store.account(&session.account_id).await?.ok_or_else(PageError::not_found)?;
    let now = app.clock.now();
    let form = ChangeRequest {
        current: SecretString::new(p.get("current_password").unwrap_or_default()),
        new: SecretString::new(p.get("new_password").unwrap_or_default()),
        repeat: SecretString::new(p.get("new_password_repeat").unwrap_or_default()),
        ip: client,
        now,
    };
    let new_id = crypto::random_token();
    let outcome = password_change::change_password(
        &*app.store,
        &app.throttle,
        &account,
        &session,
        &form,
        &crypto::token_hash(&new_id),
    )
    .await;
    let refuse = |message: String, status| render_password_error(&app, &headers, message, status);
    match outcome {
        Ok(ended) => {
            metrics::counter!("propusk_password_changes_total", "outcome" => "changed").increment(1);
            tracing::info!(account_id = %account.id, sessions_ended = ended, "password changed");
            let max_age = session.persistent.then(|| session.expires_at - now);
            let cookie = app.cookies.set_session(&new_id, max_age);
            Ok(redirect("/account?password=changed", true, &[cookie]))
        }
        Err(ChangeError::Missing) => {
            Ok(refuse("Введите текущий пароль и новый пароль дважды.".into(), StatusCode::BAD_REQUEST).await?)
        }
        Err(ChangeError::Policy(e)) => Ok(refuse(e.message().into(), StatusCode::BAD_REQUEST).await?),
        Err(ChangeError::BadCurrent) => {
            metrics::counter!("propusk_password_changes_total", "outcome" => "bad_current").increment(1);
            Ok(refuse("Текущий пароль введён неверно.".into(), StatusCode::UNAUTHORIZED).await?)
        }
        Err(ChangeError::Locked { retry_after }) => {
            metrics::counter!("propusk_password_changes_total", "outcome" => "locked").increment(1);
            let minutes = retry_after.as_secs().div_ceil(60).max(1);
            let message = format!(
                "Слишком много неудачных попыток ввести пароль. Пароль не изменён. Попробуйте снова через {minutes} мин."
            );
            let mut res = refuse(message, StatusCode::TOO_MANY_REQUESTS).await?;
            if let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(ChangeError::SessionGone) => Err(AccountError::SignIn),
        Err(ChangeError::Store(e)) => Err(e.into()),
        Err(ChangeError::Password(e)) => Err(PageError::internal(e).into()),
    }
}
