//! The three grants: `authorization_code` (with PKCE, single use, AC-01…AC-05,
//! PK-04/PK-05), `refresh_token` (rotation with family revocation, RT-01…RT-07)
//! and `client_credentials`. Tokens are signed first, then recorded in one
//! transaction; the response leaves only after that commit. The access token's
//! `aud` follows RFC 8707 `resource` ([`super::resource`], TK-06). With a DPoP
//! proof (`jkt`) the access token carries `cnf.jkt`, and a public client's family is
//! bound to the key: its refreshes need a proof of it (RFC 9449 §5). A code bound
//! to a key (`dpop_jkt`, RFC 9449 §10) is exchanged only with a proof of that key.

use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::request::pkce_verifies;
use super::resource::{self, TargetError};
use super::token::TokenResponse;
use crate::app::App;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::store::{Account, Client, CodeExchange, Grant, RefreshRequest, RefreshToken, Rotation};
use crate::token::claims::subject;
use crate::token::{AccessClaims, Audience, Confirmation, IdTokenInput, Scopes};

/// Who the tokens are about, and in which authentication.
struct Subject<'a> {
    account: &'a Account,
    grant_id: &'a str,
    auth_time: i64,
    amr: &'a str,
    nonce: Option<String>,
    /// The access token's audience (never empty).
    audience: Vec<String>,
    /// The browser session the grant came from: the ID token's `sid`.
    session_hash: Option<&'a str>,
}

fn invalid_target(e: TargetError) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidTarget, e.to_string())
}

struct Minted {
    access_token: String,
    jti: String,
    id_token: Option<String>,
}

/// A new access token's `jti`: chosen before the commit that records it.
fn new_jti() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `token_type` of a token bound to `jkt`, or of a bearer token.
fn token_type(jkt: Option<&str>) -> &'static str {
    if jkt.is_some() { "DPoP" } else { "Bearer" }
}

fn confirmation(jkt: Option<&str>) -> Option<Confirmation> {
    jkt.map(|k| Confirmation { jkt: k.to_owned() })
}

async fn mint(
    app: &App,
    client: &Client,
    scope: &Scopes,
    who: Subject<'_>,
    jti: String,
    jkt: Option<&str>,
) -> Result<Minted, OAuthError> {
    let now = app.clock.now();
    let sub = subject(&who.account.subject, client, &app.pairwise_key);
    let access = AccessClaims {
        iss: app.config.issuer.clone(),
        sub: sub.clone(),
        aud: Audience(who.audience),
        client_id: client.id.clone(),
        iat: now,
        exp: now + client.access_token_ttl,
        jti: jti.clone(),
        scope: scope.to_string(),
        auth_time: Some(who.auth_time),
        gid: Some(who.grant_id.to_owned()),
        cnf: confirmation(jkt),
    };
    let access_token = app.issuer.access_token(&client.id_token_alg, &access).await?;
    let id_token = if scope.contains("openid") {
        let extra = super::claims::scope_claims(app, scope, who.account, client).await?;
        let input = IdTokenInput {
            sub,
            client_id: client.id.clone(),
            nonce: who.nonce,
            auth_time: Some(who.auth_time),
            amr: vec![who.amr.to_owned()],
            acr: None,
            access_token: Some(access_token.clone()),
            // Every session's `sid` is derived from its id hash (`public_sid`): no read.
            sid: who.session_hash.map(crate::store::logout::public_sid),
            ttl_secs: client.id_token_ttl,
            extra,
        };
        Some(app.issuer.id_token(&client.id_token_alg, input).await?)
    } else {
        None
    };
    Ok(Minted { access_token, jti, id_token })
}

fn wants_refresh(client: &Client, scope: &Scopes) -> bool {
    scope.contains("offline_access") && client.grant_types.iter().any(|g| g == "refresh_token")
}

/// The one `token_issued` event of a token response: the access token's `jti`, and
/// for a person's tokens the grant's account, family, `amr` and session.
fn issued_event(
    grant_type: &str,
    client: &Client,
    scope: &Scopes,
    jti: &str,
    grant: Option<&Grant>,
    request_id: Option<&str>,
) -> AuditEvent {
    AuditEvent::TokenIssued {
        grant_type: grant_type.to_owned(),
        client_id: client.id.clone(),
        subject: grant.map(|g| g.account_id.clone()),
        scope: scope.to_string(),
        token_id: jti.to_owned(),
        grant_id: grant.map(|g| g.id.clone()),
        amr: grant.map(|g| vec![g.amr.clone()]).unwrap_or_default(),
        session_id: grant.and_then(|g| g.session_hash.clone()),
        request_id: request_id.map(str::to_owned),
    }
}

async fn enabled_account(app: &App, id: &str) -> Result<Account, OAuthError> {
    match app.store.account(id).await? {
        Some(a) if !a.disabled => Ok(a),
        _ => Err(OAuthError::invalid_grant("the account is no longer available")),
    }
}

pub async fn authorization_code(
    app: &App,
    client: &Client,
    p: &Params,
    jkt: Option<&str>,
    request_id: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let code = p.get("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let hash = crypto::token_hash(code);
    let invalid = || OAuthError::invalid_grant("the code is invalid, expired or already used");
    let rec = app.store.code(&hash).await?.ok_or_else(invalid)?;
    let reject = |reason: &str| AuditEvent::CodeRejected { client_id: client.id.clone(), reason: reason.to_owned() };
    // AC-03: a code belongs to the client it was issued to.
    if rec.client_id != client.id {
        app.store.append_audit(&reject("wrong_client")).await?;
        return Err(invalid());
    }
    let now = app.clock.now();
    let scope = Scopes::parse(&rec.scope).map_err(|_| invalid())?;
    let mut grant = Grant {
        id: rec.grant_id.clone(),
        client_id: client.id.clone(),
        account_id: rec.account_id.clone(),
        scope: rec.scope.clone(),
        auth_time: rec.auth_time,
        amr: rec.amr.clone(),
        session_hash: rec.session_hash.clone(),
        resources: Vec::new(),
        // RFC 9449 §5: a public client's refresh tokens are bound to the proof's key
        // (a confidential client's are bound to its authentication).
        dpop_jkt: jkt.filter(|_| client.is_public()).map(str::to_owned),
        created_at: now,
        expires_at: now + client.refresh_token_ttl,
        revoked_at: None,
    };
    if rec.consumed_at.is_some() {
        // AC-01: a second redemption revokes what the first one issued.
        let event = AuditEvent::CodeReuseDetected { client_id: client.id.clone(), grant_id: grant.id.clone() };
        app.store.revoke_grant(&grant.id, &event).await?;
        return Err(invalid());
    }
    if rec.expires_at <= now {
        return Err(invalid());
    }
    if p.get("redirect_uri") != Some(rec.redirect_uri.as_str()) {
        app.store.burn_code(&hash, &reject("redirect_uri_mismatch")).await?;
        return Err(invalid());
    }
    // PK-04/PK-05: the verifier is required and must match; a failed attempt spends the code.
    if !p.get("code_verifier").is_some_and(|v| pkce_verifies(v, &rec.code_challenge)) {
        app.store.burn_code(&hash, &reject("pkce_mismatch")).await?;
        return Err(OAuthError::invalid_grant("PKCE verification failed"));
    }
    // RFC 9449 §10: "the authorization server MUST ensure that the DPoP proof's key
    // matches dpop_jkt". No proof or another key's is refused, and, as a failed PKCE
    // check, spends the code (RFC 6749 §4.1.2: single use), so whoever holds the code
    // without the key cannot try again, nor can the key's holder after a refusal.
    if rec.dpop_jkt.as_deref().is_some_and(|bound| jkt != Some(bound)) {
        app.store.burn_code(&hash, &reject("dpop_key_mismatch")).await?;
        return Err(OAuthError::invalid_grant("the code is bound to another DPoP key (dpop_jkt)"));
    }
    // TK-06: the token's audience, among what /authorize asked for (the code stays unspent).
    let target = resource::at_code_exchange(&p.all("resource"), &rec.resources, client, &app.config.issuer)
        .map_err(invalid_target)?;
    grant.resources = target.granted;
    let account = enabled_account(app, &rec.account_id).await?;
    let who = Subject {
        account: &account,
        grant_id: &grant.id,
        auth_time: rec.auth_time,
        amr: &rec.amr,
        nonce: rec.nonce.clone(),
        audience: target.audience,
        session_hash: grant.session_hash.as_deref(),
    };
    let minted = mint(app, client, &scope, who, new_jti(), jkt).await?;
    let refresh = wants_refresh(client, &scope).then(crypto::random_token);
    let refresh_rec = refresh.as_ref().map(|t| RefreshToken {
        token_hash: crypto::token_hash(t),
        grant_id: grant.id.clone(),
        client_id: client.id.clone(),
        created_at: now,
        expires_at: grant.expires_at,
        used_at: None,
    });
    if refresh.is_none() {
        grant.expires_at = now + client.access_token_ttl;
    }
    let event = issued_event("authorization_code", client, &scope, &minted.jti, Some(&grant), request_id);
    match app.store.exchange_code(&hash, &grant, refresh_rec.as_ref(), &event).await? {
        CodeExchange::Issued => Ok(TokenResponse {
            access_token: minted.access_token,
            token_type: token_type(jkt),
            expires_in: client.access_token_ttl,
            scope: scope.to_string(),
            id_token: minted.id_token,
            refresh_token: refresh,
        }),
        CodeExchange::Replayed | CodeExchange::NotFound => Err(invalid()),
    }
}

/// `grant_type=refresh_token`: the whole check-and-rotate is one store transaction
/// (one commit); minting follows from the grant and account it returns.
pub async fn refresh_token(
    app: &App,
    client: &Client,
    p: &Params,
    jkt: Option<&str>,
    request_id: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let token = p.get("refresh_token").ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    // The scope may only be narrowed (checked against the grant inside the rotation).
    let asked = match p.get("scope") {
        None => None,
        Some(s) => Some(Scopes::parse(s).map_err(|_| OAuthError::new(ErrorCode::InvalidScope, "malformed scope"))?),
    };
    // The audience too may only be narrowed to the grant's resources.
    let resources = p.all("resource");
    let issuer = app.config.issuer.as_str();
    let target_of = |grant: &Grant| resource::at_refresh(&resources, &grant.resources, issuer).map_err(invalid_target);
    let target_refused = std::sync::atomic::AtomicBool::new(false);
    let key_refused = std::sync::atomic::AtomicBool::new(false);
    let jti = new_jti();
    // Accepts a grant the request only narrows, with the event of the token it gets.
    let narrows = |grant: &Grant| {
        // RFC 9449 §5: a bound family is refreshed only with a proof of its key.
        if grant.dpop_jkt.as_deref().is_some_and(|bound| Some(bound) != jkt) {
            key_refused.store(true, std::sync::atomic::Ordering::Relaxed);
            return None;
        }
        let granted = Scopes::parse(&grant.scope).unwrap_or_default();
        let target_ok = target_of(grant).is_ok();
        target_refused.store(!target_ok, std::sync::atomic::Ordering::Relaxed);
        let narrowed = asked.as_ref().is_none_or(|a| a.is_subset_of(&granted)) && target_ok;
        let scope = asked.as_ref().unwrap_or(&granted);
        narrowed.then(|| issued_event("refresh_token", client, scope, &jti, Some(grant), request_id))
    };
    let new_token = crypto::random_token();
    let req = RefreshRequest {
        old_hash: &crypto::token_hash(token),
        client_id: &client.id,
        new_hash: &crypto::token_hash(&new_token),
    };
    let (grant, account) = match app.store.rotate_refresh(req, &narrows).await? {
        Rotation::Rotated(family) => *family,
        Rotation::Refused if key_refused.load(std::sync::atomic::Ordering::Relaxed) => {
            return Err(OAuthError::invalid_dpop_proof("the refresh token is bound to another DPoP key"));
        }
        Rotation::Refused if target_refused.load(std::sync::atomic::Ordering::Relaxed) => {
            return Err(OAuthError::new(ErrorCode::InvalidTarget, "resource may only be narrowed on refresh"));
        }
        Rotation::Refused => {
            return Err(OAuthError::new(ErrorCode::InvalidScope, "scope may only be narrowed on refresh"));
        }
        Rotation::Reused | Rotation::Invalid => return Err(invalid()),
    };
    let scope = match asked {
        Some(a) => a,
        None => Scopes::parse(&grant.scope).map_err(|_| invalid())?,
    };
    let audience = target_of(&grant)?.audience;
    let who = Subject {
        account: &account,
        grant_id: &grant.id,
        auth_time: grant.auth_time,
        amr: &grant.amr,
        nonce: None,
        audience,
        session_hash: grant.session_hash.as_deref(),
    };
    // Minting after the commit: should signing fail, the client gets a server error
    // and signs in again (the spent token cannot be replayed without killing the family).
    let minted = mint(app, client, &scope, who, jti, jkt).await?;
    Ok(TokenResponse {
        access_token: minted.access_token,
        token_type: token_type(jkt),
        expires_in: client.access_token_ttl,
        scope: scope.to_string(),
        id_token: minted.id_token,
        refresh_token: Some(new_token),
    })
}

pub async fn client_credentials(
    app: &App,
    client: &Client,
    p: &Params,
    jkt: Option<&str>,
    request_id: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "public clients cannot use client_credentials"));
    }
    let allowed = Scopes::parse(&client.scope).unwrap_or_default();
    let user_scopes = Scopes::parse(&super::request::SUPPORTED_SCOPES.join(" ")).unwrap_or_default();
    let scope = match p.get("scope") {
        None => Scopes::default(),
        Some(s) => {
            let asked = Scopes::parse(s).map_err(|_| OAuthError::new(ErrorCode::InvalidScope, "malformed scope"))?;
            if !asked.is_subset_of(&allowed) || asked.iter().any(|s| user_scopes.contains(s)) {
                return Err(OAuthError::new(ErrorCode::InvalidScope, "scope not available to client_credentials"));
            }
            asked
        }
    };
    let audience =
        resource::at_client_credentials(&p.all("resource"), client, &app.config.issuer).map_err(invalid_target)?;
    let now = app.clock.now();
    let jti = new_jti();
    let claims = AccessClaims {
        iss: app.config.issuer.clone(),
        sub: client.id.clone(),
        aud: Audience(audience),
        client_id: client.id.clone(),
        iat: now,
        exp: now + client.access_token_ttl,
        jti: jti.clone(),
        scope: scope.to_string(),
        auth_time: None,
        gid: None,
        cnf: confirmation(jkt),
    };
    let access_token = app.issuer.access_token(&client.id_token_alg, &claims).await?;
    app.store.append_audit(&issued_event("client_credentials", client, &scope, &jti, None, request_id)).await?;
    Ok(TokenResponse {
        access_token,
        token_type: token_type(jkt),
        expires_in: client.access_token_ttl,
        scope: scope.to_string(),
        id_token: None,
        refresh_token: None,
    })
}
