//! `/admin/api/v1/accounts` (org-admin of the account's organisation, or
//! system-admin): the console's search ([`crate::admin::accounts::plan`]), one
//! account, and its actions through [`crate::admin::account_actions`], the console's
//! one place. Another organisation's account is a 404 exactly like a missing one
//! (AB-05); an account holding `system-admin` is changed by a system admin only.

use super::account_types::{
    AccountDetail, AccountList, AccountView, ActionDone, GrantView, LinkView, RevokeGrants, SessionView,
};
use super::auth::{Caller, caller};
use super::error::ApiError;
use super::types::Problem;
use super::{MAX_LIMIT, json, json_body};
use crate::admin::account_actions::{self, may_act};
use crate::admin::accounts::{MIN_QUERY_EVERYONE, Plan, plan};
use crate::admin::{Section, roles};
use crate::app::App;
use crate::crypto;
use crate::store::Account;
use crate::store::console::{AccountSearch, SearchKey};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The account `id` if the caller administers its organisation; a missing account
/// and another organisation's are the same 404 (AB-05).
async fn account_of(app: &App, who: &Caller, id: &str) -> Result<Account, ApiError> {
    app.store
        .account(id)
        .await?
        .filter(|a| roles::administers(who.roles(), &a.organisation_id))
        .ok_or(ApiError::NotFound)
}

/// A search's cursor: the [`SearchKey`] of the page's last account, as base64url of
/// the JSON array `[name_key, login, id]`. Opaque to callers; it names no organisation,
/// which always comes from the caller's roles (AB-05).
fn cursor_of(key: &SearchKey) -> String {
    crypto::b64(serde_json::json!([key.name_key, key.login, key.id]).to_string().as_bytes())
}

/// The [`SearchKey`] a `cursor` carries; a 400 naming `cursor` for anything else.
fn key_of(cursor: &str) -> Result<SearchKey, ApiError> {
    let bad = || ApiError::bad("cursor", "not a cursor of this list (use `next_cursor` as given)");
    let bytes = crypto::b64_decode(cursor).ok_or_else(bad)?;
    let (name_key, login, id): (String, String, String) = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok(SearchKey { name_key, login, id })
}

/// Accounts whose name words or login start with `q`, by name, a page after `cursor`.
#[utoipa::path(get, path = "/admin/api/v1/accounts", tag = "accounts",
    params(("q" = Option<String>, Query, description = "name words or a login prefix; a system admin: at least 2 characters"),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page (with the same `q`)"),
           ("limit" = Option<u32>, Query, description = "1–200, default 50")),
    responses((status = 200, body = AccountList), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem)))]
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Accounts, false).await?;
    let raw = q.unwrap_or_default();
    let param =
        |name: &str| url::form_urlencoded::parse(raw.as_bytes()).find(|(n, _)| n == name).map(|(_, v)| v.into_owned());
    let paging = super::Paging::parse(Some(&raw))?;
    let limit = paging.limit;
    let after = paging.cursor.as_deref().map(key_of).transpose()?;
    let organisations = roles::administered(who.roles());
    let (words, login) = match plan(&param("q").unwrap_or_default(), organisations.is_none()) {
        Plan::Search { words, login } => (words, login),
        Plan::Browse => (Vec::new(), String::new()),
        Plan::TooShort => return Err(ApiError::bad("q", format!("at least {MIN_QUERY_EVERYONE} characters"))),
        Plan::Nothing => return Err(ApiError::bad("q", "a name or a login")),
    };
    let want = i64::try_from(limit.min(MAX_LIMIT)).unwrap_or(50) + 1;
    let search = AccountSearch {
        organisations: organisations.as_deref(),
        words: &words,
        login: &login,
        limit: want,
        after: after.as_ref(),
    };
    // One more than the page: whether another page follows.
    let mut found = app.store.search_accounts(&search).await?;
    let limited = found.len() > limit;
    found.truncate(limit);
    let next_cursor = if limited { found.last().map(|a| cursor_of(&SearchKey::of(a))) } else { None };
    let accounts = found.iter().map(AccountView::from).collect();
    Ok(json(StatusCode::OK, &AccountList { accounts, limited, next_cursor }))
}

/// One account with its ESIA links, live sessions and live grants.
#[utoipa::path(get, path = "/admin/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = AccountDetail), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn show(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let who = caller(&app, &headers, Section::Accounts, false).await?;
    let a = account_of(&app, &who, &id).await?;
    let links = app.store.links_of_account(&a.id).await?;
    let sessions = app.store.sessions_of_account(&a.id).await?;
    let grants = app.store.live_grants_of_account(&a.id).await?;
    let detail = AccountDetail {
        account: AccountView::from(&a),
        links: links
            .into_iter()
            .map(|l| LinkView { method: l.method.as_str().to_owned(), created_at: l.created_at })
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|s| SessionView { amr: s.amr, auth_time: s.auth_time, expires_at: s.expires_at })
            .collect(),
        grants: grants
            .into_iter()
            .map(|g| GrantView { client_id: g.client_id, scope: g.scope, created_at: g.created_at })
            .collect(),
    };
    Ok(json(StatusCode::OK, &detail))
}

/// The account of an action: the section, the organisation (404), then
/// [`may_act`] (403).
async fn acted_on(app: &App, headers: &HeaderMap, id: &str) -> Result<(Caller, Account), ApiError> {
    let who = caller(app, headers, Section::Accounts, true).await?;
    let account = account_of(app, &who, id).await?;
    let target = roles::held(&account, &app.store.roles_of(&account.id).await?);
    if !may_act(who.roles(), &target) {
        return Err(ApiError::Forbidden("a system admin's account is changed by a system admin only"));
    }
    Ok((who, account))
}

fn done(account: &Account, action: &str, count: u64) -> Response {
    json(StatusCode::OK, &ActionDone { account_id: account.id.clone(), action: action.to_owned(), count })
}

/// Unlinks every ESIA link (its ESIA sessions, codes and grants end; the owner is told).
#[utoipa::path(post, path = "/admin/api/v1/accounts/{id}/unlink-esia", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = ActionDone), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn unlink_esia(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (who, a) = acted_on(&app, &headers, &id).await?;
    let n = account_actions::unlink(&app, &who.by(), &a).await?;
    Ok(done(&a, "unlink-esia", n))
}

/// Ends every session of the account.
#[utoipa::path(post, path = "/admin/api/v1/accounts/{id}/end-sessions", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = ActionDone), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn end_sessions(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (who, a) = acted_on(&app, &headers, &id).await?;
    let n = account_actions::end_sessions(&app, &who.by(), &a.id).await?;
    Ok(done(&a, "end-sessions", n))
}

/// Revokes the account's grants (of `client_id`, or all) with their refresh tokens.
#[utoipa::path(post, path = "/admin/api/v1/accounts/{id}/revoke-grants", tag = "accounts", params(("id" = String, Path)),
    request_body = RevokeGrants,
    responses((status = 200, body = ActionDone), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_grants(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (who, a) = acted_on(&app, &headers, &id).await?;
    let r: RevokeGrants = json_body(&body)?;
    let client = r.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let n = account_actions::revoke_grants(&app, &who.by(), &a.id, client).await?;
    Ok(done(&a, "revoke-grants", n))
}

/// Disables the account (its sessions end and grants are revoked); one's own: 409.
#[utoipa::path(post, path = "/admin/api/v1/accounts/{id}/disable", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = ActionDone), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn disable(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (who, a) = acted_on(&app, &headers, &id).await?;
    if matches!(&who, Caller::Staff(s) if s.account.id == a.id) {
        return Err(ApiError::Conflict("an administrator does not disable their own account".into()));
    }
    account_actions::set_disabled(&app, &who.by(), &a.id, true).await?;
    Ok(done(&a, "disable", 0))
}

/// Enables the account.
#[utoipa::path(post, path = "/admin/api/v1/accounts/{id}/enable", tag = "accounts", params(("id" = String, Path)),
    responses((status = 200, body = ActionDone), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn enable(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (who, a) = acted_on(&app, &headers, &id).await?;
    account_actions::set_disabled(&app, &who.by(), &a.id, false).await?;
    Ok(done(&a, "enable", 0))
}
