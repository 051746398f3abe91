//! Who calls the admin API, checked per operation by role AND scope: an admin's
//! console session (the console's fresh-login rule, [`crate::admin::session_staff`];
//! every non-GET also carries the session's CSRF token in `X-CSRF-Token`, the
//! console's one scheme), or `Authorization: Bearer` with an access token of
//! propusk's own `client_credentials` grant: verified by the issuer's keys, live
//! (not revoked by jti or grant, as introspection decides), scope `admin:read` for
//! reads and `admin:write` for changes, and the client's admin role
//! (`client_admin_roles`); a client without a role is refused whatever its scopes.

use super::error::ApiError;
use crate::admin::roles::Held;
use crate::admin::{Section, Staff, session_staff};
use crate::app::App;
use axum::http::{HeaderMap, header};

/// The scope a token needs for reads (a token with [`WRITE_SCOPE`] reads too).
pub const READ_SCOPE: &str = "admin:read";
/// The scope a token needs for changes.
pub const WRITE_SCOPE: &str = "admin:write";
/// The header that carries a session's CSRF token on every non-GET.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller of the admin API.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A staff member signed in to the console.
    Staff(Box<Staff>),
    /// A client with a bearer access token, and the admin roles it holds.
    Client { client_id: String, roles: Vec<Held> },
}

impl Caller {
    pub fn roles(&self) -> &[Held] {
        match self {
            Self::Staff(s) => &s.roles,
            Self::Client { roles, .. } => roles,
        }
    }

    /// Who acted, for audit events' `by`: the admin's account id, or `client:ID`.
    pub fn by(&self) -> String {
        match self {
            Self::Staff(s) => s.account.id.clone(),
            Self::Client { client_id, .. } => format!("client:{client_id}"),
        }
    }
}

/// Whether a token's `scope` allows the operation (`write`: a change).
pub fn scope_allows(scope: &str, write: bool) -> bool {
    scope.split(' ').any(|s| s == WRITE_SCOPE || (!write && s == READ_SCOPE))
}

fn bearer(headers: &HeaderMap) -> Option<Option<&str>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let value = value.to_str().ok();
    Some(value.and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))).map(str::trim))
}

/// The caller of an operation of `section`; `write` for a change.
pub async fn caller(app: &App, headers: &HeaderMap, section: Section, write: bool) -> Result<Caller, ApiError> {
    caller_if(app, headers, write, |roles| section.opens(roles)).await
}

/// The caller of an operation whose roles `allowed` accepts; `write` for a change.
pub async fn caller_if(
    app: &App,
    headers: &HeaderMap,
    write: bool,
    allowed: impl Fn(&[Held]) -> bool,
) -> Result<Caller, ApiError> {
    let caller = match bearer(headers) {
        Some(token) => client_caller(app, token.ok_or(ApiError::Unauthenticated)?, write).await?,
        None => {
            let staff = session_staff(app, headers).await?.ok_or(ApiError::Unauthenticated)?;
            if write {
                let token = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
                if crate::session::csrf_checked(&app.cookies, headers, token).is_none() {
                    return Err(ApiError::Forbidden("the X-CSRF-Token header is missing or wrong"));
                }
            }
            Caller::Staff(Box::new(staff))
        }
    };
    if !allowed(caller.roles()) {
        return Err(ApiError::Forbidden("the caller's role does not allow this operation"));
    }
    Ok(caller)
}

async fn client_caller(app: &App, token: &str, write: bool) -> Result<Caller, ApiError> {
    let claims = app.issuer.verify_access_token(token).map_err(|_| ApiError::Unauthenticated)?;
    if !crate::oidc::inspect::access_live(app, &claims).await? {
        return Err(ApiError::Unauthenticated);
    }
    // Only propusk's own client_credentials tokens: no person behind them.
    if claims.sub != claims.client_id || claims.gid.is_some() {
        return Err(ApiError::Forbidden("only client_credentials tokens call the admin API"));
    }
    if !scope_allows(&claims.scope, write) {
        return Err(ApiError::Forbidden(if write {
            "the token lacks the admin:write scope"
        } else {
            "the token lacks the admin:read scope"
        }));
    }
    let roles = crate::admin::roles::client_held(&app.store.client_admin_roles(&claims.client_id).await?);
    if roles.is_empty() {
        return Err(ApiError::Forbidden("the client holds no admin role"));
    }
    Ok(Caller::Client { client_id: claims.client_id, roles })
}

#[cfg(test)]
mod tests {
    use super::scope_allows;

    #[test]
    fn reads_need_admin_read_or_write_and_changes_admin_write() {
        for (scope, write, allowed) in [
            ("admin:read", false, true),
            ("admin:read", true, false),
            ("admin:write", true, true),
            ("admin:write", false, true),
            ("openid admin:read", false, true),
            ("admin:readx", false, false),
            ("", false, false),
            ("admin", true, false),
        ] {
            assert_eq!(scope_allows(scope, write), allowed, "{scope:?} write={write}");
        }
    }
}
