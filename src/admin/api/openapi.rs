//! The admin API's OpenAPI 3.1 document, generated from the handlers' annotations
//! and the bodies' schemas (utoipa), served at `GET /admin/api/openapi.json`.

use super::{accounts, audit, client_roles, clients, keys, staff_roles};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "propusk admin API", version = "1",
         description = "The console's operations as JSON (docs/admin.md). A fresh admin session with \
                        X-CSRF-Token on changes, or a client_credentials bearer token with admin:read / \
                        admin:write and the client's admin role. Errors are RFC 9457 problems."),
    paths(
        clients::list, clients::show, clients::create, clients::update, clients::delete, clients::rotate_secret,
        client_roles::list, client_roles::grant, client_roles::revoke,
        keys::list, keys::rotate, keys::retire,
        audit::list, audit::show,
        accounts::list, accounts::show, accounts::unlink_esia, accounts::end_sessions, accounts::revoke_grants,
        accounts::disable, accounts::enable,
        staff_roles::list, staff_roles::grant, staff_roles::revoke,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags((name = "clients"), (name = "keys"), (name = "audit"), (name = "accounts"), (name = "staff")),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "propusk_session",
                "an admin's console session; changes also carry X-CSRF-Token",
            ))),
        );
    }
}

/// The document as JSON; the error answers' media type is `application/problem+json`.
pub fn json() -> String {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    problems_as_problem_json(&mut doc);
    doc.to_string()
}

/// Every 4xx/5xx response's `application/json` content becomes
/// `application/problem+json` (RFC 9457), as [`super::error::ApiError`] answers.
fn problems_as_problem_json(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    for op in paths.values_mut().filter_map(|item| item.as_object_mut()).flat_map(|item| item.values_mut()) {
        let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else { continue };
        for (status, response) in responses.iter_mut() {
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            if let Some(content) = response.get_mut("content").and_then(|c| c.as_object_mut())
                && let Some(json) = content.remove("application/json")
            {
                content.insert("application/problem+json".to_owned(), json);
            }
        }
    }
}

/// GET /admin/api/openapi.json
pub async fn document() -> Response {
    let mut res = json().into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}
