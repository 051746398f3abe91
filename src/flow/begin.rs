//! `/authorize` (GET and POST) as the start of the journey: the protocol decides
//! (`oidc::authorize::decide`: validation, the prompt decision, the code at once);
//! when a login or consent page is needed, a [`Flow`] is stored and the browser is
//! sent to that page with the flow's signed id.

use super::Flow;
use super::journey::Stage;
use crate::app::App;
use crate::oidc::authorize::{Decision, decide};
use crate::oidc::params::Params;
use crate::oidc::prompt::Step;
use crate::web::client_addr::ClientAddr;
use crate::web::cookie;
use crate::web::error_page::PageError;
use crate::web::redirect::redirect;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// GET /authorize
pub async fn get(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    authorize(&app, client, &headers, Params::parse(q.unwrap_or_default().as_bytes()), false).await
}

/// POST /authorize
pub async fn post(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    authorize(&app, client, &headers, Params::parse(&body), true).await
}

async fn authorize(
    app: &App,
    client: std::net::IpAddr,
    headers: &HeaderMap,
    params: Params,
    after_post: bool,
) -> Result<Response, PageError> {
    let (req, step, auth, now) = match decide(app, headers, params, after_post).await? {
        Decision::Answer(res) => return Ok(res),
        Decision::Interact { request, step, auth, now } => (request, step, auth, now),
    };
    let (browser_id, set_browser) = cookie::browser_id(&app.cookies, headers);
    // A session that needs no new login (consent only) carries over.
    let stage = if step == Step::Consent { Stage::SignedIn } else { Stage::Login };
    let mut flow = Flow::new(&browser_id, client, Some(*req), stage, now);
    flow.login = auth.filter(|_| step == Step::Consent);
    super::save(app, &mut flow).await?;
    let page = if step == Step::Consent { "consent" } else { "login" };
    let url = format!("/{page}?flow={}", app.cookies.sign("flow", &flow.id));
    Ok(redirect(&url, after_post, &set_browser.into_iter().collect::<Vec<_>>()))
}
