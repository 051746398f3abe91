//! A failed ESIA callback: one log line with ESIA's code and its class, the audit
//! event (`EsiaError` when ESIA answered with an error, `UpstreamRejected` when its
//! answer failed our checks), and the Russian page of `connector::esia::errors` with
//! «Вернуться в приложение» (`/login/esia/exit`: the relying party, whose client and
//! `redirect_uri` were validated when the flow began, gets `access_denied`).

use crate::app::App;
use crate::audit::AuditEvent;
use crate::connector::ConnectorError;
use crate::web::error_page::PageError;
use crate::web::esia_pages::EsiaErrorPage;
use crate::web::pages;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// The answer to a callback whose login failed with `e`; `signed` is the flow's signed id.
pub async fn failed(app: &App, headers: &HeaderMap, signed: String, e: &ConnectorError) -> Result<Response, PageError> {
    let class = e.class().as_str();
    tracing::warn!(code = %e.code(), class, error = %e, "ESIA login failed");
    metrics::counter!("propusk_logins_total", "method" => "esia", "outcome" => "upstream_error").increment(1);
    // The generic OIDC upstream (`[oidc]`) is named by its configured name.
    let connector = if app.config.oidc.enabled { app.config.oidc.name.clone() } else { "esia".into() };
    let event = match e.esia_answer() {
        Some(code) if !app.config.oidc.enabled => AuditEvent::EsiaError { code, class: class.to_owned() },
        _ => AuditEvent::UpstreamRejected { connector, code: e.code() },
    };
    app.store.append_audit(&event).await?;
    let request_id = crate::web::headers::request_id(headers);
    let page = EsiaErrorPage { flow: signed, message: e.user_message().to_owned(), request_id };
    Ok(pages::html_with_status(StatusCode::BAD_GATEWAY, &page))
}
