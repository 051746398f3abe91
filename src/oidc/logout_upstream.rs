//! LO-05: our logout of a session that came from ESIA also ends the ESIA session.
//! The browser goes through ESIA's `/idp/ext/Logout` and back to `/logout/esia`,
//! which then sends it where our logout would have: the relying party's registered
//! `post_logout_redirect_uri` with its `state`, or the «Вы вышли» page.
//!
//! The way back is never taken from a URL: it is a stored record (in the flows
//! table, its id signed in a short-lived cookie) spent by one atomic update, so a
//! forged, absent, stale or replayed cookie gets a page, never a redirect.

use crate::app::App;
use crate::crypto::random_token;
use crate::store::{FlowRecord, Session};
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::pages::{self, LoggedOutPage};
use crate::web::redirect::redirect;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// How long the way back waits for ESIA.
const RETURN_TTL_SECS: i64 = 300;
const PURPOSE: &str = "esia-logout";
const KIND: &str = "esia_logout";

/// Whether ending `session` must also end ESIA's: it came from ESIA, ESIA is the
/// configured upstream and `esia.end_session_on_logout` is on.
pub fn ends_esia(app: &App, session: &Session) -> bool {
    let esia = &app.config.esia;
    session.amr == "esia" && session.upstream.is_some() && esia.enabled && esia.end_session_on_logout
}

/// The redirect through ESIA's logout, carrying `target` (already validated: a
/// registered post-logout URI with its `state`) in a stored single-use record.
pub async fn through_esia(app: &App, target: Option<String>, clear: HeaderValue) -> Result<Response, PageError> {
    let esia = &app.config.esia;
    let back = format!("{}/logout/esia", app.config.issuer);
    let Some(url) = crate::connector::esia::protocol::logout_url(&esia.base_url, &esia.client_id, &back) else {
        return Err(PageError::internal(anyhow::anyhow!("esia.base_url is not a URL")));
    };
    let id = random_token();
    let data = serde_json::json!({ "kind": KIND, "target": target }).to_string();
    let record = FlowRecord { id: id.clone(), data, expires_at: app.clock.now() + RETURN_TTL_SECS, version: 0 };
    app.store.put_flow(&record).await?;
    let carry = app.cookies.set_logout(&app.cookies.sign(PURPOSE, &id), RETURN_TTL_SECS);
    Ok(redirect(url.as_str(), true, &[clear, carry]))
}

/// GET /logout/esia — back from ESIA's logout.
pub async fn returned(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, PageError> {
    let clear = app.cookies.clear_logout();
    let target = match spend(&app, &headers).await? {
        Some(target) => target,
        None => {
            let message = "Выход из системы завершён, но ссылка возврата недействительна или устарела. \
                           Вернитесь в приложение и войдите снова, если нужно.";
            let mut res = PageError::bad_request(message).into_response();
            res.headers_mut().append(header::SET_COOKIE, clear);
            return Ok(res);
        }
    };
    match target {
        Some(url) => Ok(redirect(&url, false, &[clear])),
        None => {
            let mut res = crate::web::viewer::render_as(None, || pages::html(&LoggedOutPage {}));
            res.headers_mut().append(header::SET_COOKIE, clear);
            Ok(res)
        }
    }
}

/// The way back of this browser's logout, spent once: `Some(target)` the first
/// time, `None` for a forged, absent, expired or already spent cookie.
async fn spend(app: &App, headers: &HeaderMap) -> Result<Option<Option<String>>, PageError> {
    let Some(id) = cookie::read(headers, app.cookies.logout_name()).and_then(|s| app.cookies.unsign(PURPOSE, &s))
    else {
        return Ok(None);
    };
    let Some(record) = app.store.flow(&id).await? else { return Ok(None) };
    let data: serde_json::Value = serde_json::from_str(&record.data).unwrap_or_default();
    if data["kind"] != KIND || record.expires_at <= app.clock.now() {
        return Ok(None);
    }
    let spent = FlowRecord { data: serde_json::json!({ "kind": "spent" }).to_string(), ..record.clone() };
    if !app.store.replace_flow(&spent, record.version).await? {
        return Ok(None);
    }
    app.store.delete_flow(&id).await?;
    Ok(Some(data["target"].as_str().map(str::to_owned)))
}
