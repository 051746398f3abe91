//! What a presented token is, and whether it is still live: shared by UserInfo,
//! introspection and revocation. An access token is live while its signature,
//! issuer, audience and expiry hold, its `jti` is not revoked and its grant (if
//! any) is not revoked; a refresh token while it is unused, unexpired and its
//! grant is live.

use crate::app::App;
use crate::crypto;
use crate::store::{Grant, RefreshToken, Store, StoreResult};
use crate::token::AccessClaims;

#[derive(Debug)]
pub enum Found {
    Access { claims: AccessClaims, live: bool },
    Refresh { token: RefreshToken, grant: Grant, live: bool },
}

impl Found {
    pub fn live(&self) -> bool {
        match self {
            Self::Access { live, .. } | Self::Refresh { live, .. } => *live,
        }
    }
    pub fn client_id(&self) -> &str {
        match self {
            Self::Access { claims, .. } => &claims.client_id,
            Self::Refresh { token, .. } => &token.client_id,
        }
    }
}

/// Whether an access token (already verified) is still live in storage.
pub async fn access_live(app: &App, claims: &AccessClaims) -> StoreResult<bool> {
    access_live_in_store(&*app.store, claims).await
}

/// [`access_live`] asking `store` (two reads).
pub async fn access_live_in_store(store: &dyn Store, claims: &AccessClaims) -> StoreResult<bool> {
    if store.token_id_revoked(&claims.jti).await? {
        return Ok(false);
    }
    match &claims.gid {
        Some(gid) => Ok(store.grant(gid).await?.is_some_and(|g| g.revoked_at.is_none())),
        None => Ok(true),
    }
}

/// Identifies a token. The `hint` is only a hint (RV-02): both kinds are tried.
pub async fn find(app: &App, token: &str, hint: Option<&str>) -> StoreResult<Option<Found>> {
    let looks_like_jwt = token.split('.').count() == 3;
    let refresh_first = hint == Some("refresh_token") || !looks_like_jwt;
    if refresh_first && let Some(found) = find_refresh(app, token).await? {
        return Ok(Some(found));
    }
    if looks_like_jwt && let Ok(claims) = app.issuer.verify_access_token_any_audience(token) {
        // Introspection and revocation: from the in-memory set (oidc::revocations).
        let live = !app.revocations.revoked(&*app.store, &claims, app.clock.now()).await?;
        return Ok(Some(Found::Access { claims, live }));
    }
    if !refresh_first {
        return find_refresh(app, token).await;
    }
    Ok(None)
}

async fn find_refresh(app: &App, token: &str) -> StoreResult<Option<Found>> {
    let now = app.clock.now();
    Ok(app.store.refresh_token(&crypto::token_hash(token)).await?.map(|(rt, grant)| {
        let live = rt.used_at.is_none() && rt.expires_at > now && grant.revoked_at.is_none() && grant.expires_at > now;
        Found::Refresh { token: rt, grant, live }
    }))
}
