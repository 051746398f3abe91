//! Issuing the authorization code: a random code stored hashed with everything the
//! token endpoint needs, and the success URL back to the relying party with `code`,
//! `state` and `iss` (RFC 9207). Takes its dependencies explicitly, not the `App`.

use crate::clock::Clock;
use crate::crypto;
use crate::oidc::request::AuthRequest;
use crate::session::Authenticated;
use crate::store::{AuthCode, Store, StoreResult};
use crate::web::redirect::client_url;

/// Mints a code for `request` (valid `code_ttl_secs`) and returns the success URL.
pub async fn issue_code(
    store: &dyn Store,
    clock: &dyn Clock,
    issuer: &str,
    code_ttl_secs: i64,
    request: &AuthRequest,
    auth: &Authenticated,
) -> StoreResult<String> {
    let code = crypto::random_token();
    let now = clock.now();
    let record = AuthCode {
        code_hash: crypto::token_hash(&code),
        grant_id: uuid::Uuid::now_v7().to_string(),
        client_id: request.client_id.clone(),
        account_id: auth.account_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: auth.auth_time,
        amr: auth.amr.clone(),
        acr: None,
        session_hash: auth.session_hash.clone(),
        require_auth_time: request.max_age.is_some(),
        resources: request.resources.clone(),
        dpop_jkt: request.dpop_jkt.clone(),
        created_at: now,
        expires_at: now + code_ttl_secs,
        consumed_at: None,
    };
    store.insert_code(&record).await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &request.state {
        params.push(("state", s.as_str()));
    }
    params.push(("iss", issuer));
    Ok(client_url(&request.redirect_uri, &params))
}
