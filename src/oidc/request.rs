//! The authorization request, checked as a pure function (no IO): first the
//! client and its redirect URI (errors before that point are pages, AZ-02), then
//! everything else (errors go back to the relying party, AZ-03).

use super::error::ErrorCode;
use super::params::Params;
use super::redirect;
use crate::store::{AuthMethod, Client};
use crate::token::Scopes;
use serde::{Deserialize, Serialize};

/// Scopes propusk knows.
pub const SUPPORTED_SCOPES: [&str; 7] = ["openid", "profile", "email", "phone", "school", "children", "offline_access"];

/// `prompt` values (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
    pub select_account: bool,
}

/// A validated authorization request: what the flow carries to the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// The granted scope: requested ∩ allowed for the client ∩ supported.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// RFC 8707 resources asked for, each permitted for the client (empty: none).
    #[serde(default)]
    pub resources: Vec<String>,
    /// RFC 9449 §10: the JWK thumbprint the code is bound to (`dpop_jkt`, or the
    /// key of the `DPoP` proof a pushed request came with, §10.1).
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

/// Why a request was refused, and how the refusal must be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Client or redirect URI not trusted: an HTML page, never a redirect.
    Page(&'static str),
    /// Back to the (validated) redirect URI with `error`, `state` and `iss`.
    Redirect { redirect_uri: String, state: Option<String>, code: ErrorCode, description: &'static str },
}

/// Step 1: the `client_id` to look up.
pub fn client_id(params: &Params) -> Result<&str, Rejection> {
    if params.is_repeated("client_id") {
        return Err(Rejection::Page("Параметр client_id передан несколько раз."));
    }
    params.get("client_id").ok_or(Rejection::Page("В запросе нет идентификатора приложения (client_id)."))
}

/// Step 2: everything else, given the client found for `client_id` (None: unknown)
/// and our issuer (a permitted `resource` of every client).
pub fn validate(params: &Params, client: Option<&Client>, issuer: &str) -> Result<AuthRequest, Rejection> {
    let client = client.ok_or(Rejection::Page("Приложение, запросившее вход, не зарегистрировано."))?;
    if params.is_repeated("redirect_uri") {
        return Err(Rejection::Page("Параметр redirect_uri передан несколько раз."));
    }
    let redirect_uri =
        params.get("redirect_uri").ok_or(Rejection::Page("В запросе нет адреса возврата (redirect_uri)."))?;
    if !redirect::matches(&client.redirect_uris, redirect_uri, client.auth_method == AuthMethod::None) {
        return Err(Rejection::Page("Адрес возврата не зарегистрирован для этого приложения."));
    }
    // From here on, errors go back to the relying party.
    let state = if params.is_repeated("state") { None } else { params.get("state").map(str::to_owned) };
    let back = |code: ErrorCode, description: &'static str| Rejection::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        code,
        description,
    };
    if params.first_repeated().is_some() {
        return Err(back(ErrorCode::InvalidRequest, "a parameter is repeated"));
    }
    if params.get("request").is_some() {
        return Err(back(ErrorCode::RequestNotSupported, "request objects are not supported"));
    }
    if params.get("request_uri").is_some() {
        return Err(back(ErrorCode::RequestUriNotSupported, "request_uri is not supported"));
    }
    match params.get("response_type") {
        None => return Err(back(ErrorCode::InvalidRequest, "response_type is required")),
        Some("code") => {}
        Some(_) => return Err(back(ErrorCode::UnsupportedResponseType, "only response_type=code is supported")),
    }
    if params.get("response_mode").is_some_and(|m| m != "query") {
        return Err(back(ErrorCode::InvalidRequest, "only response_mode=query is supported"));
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(back(ErrorCode::UnauthorizedClient, "the client may not use the authorization code grant"));
    }
    let scope = granted_scope(params.get("scope").unwrap_or_default(), &client.scope)
        .ok_or_else(|| back(ErrorCode::InvalidScope, "the openid scope is required"))?;
    let resources = super::resource::at_authorize(&params.all("resource"), client, issuer)
        .map_err(|_| back(ErrorCode::InvalidTarget, "resource is not permitted for this client"))?;
    let code_challenge = pkce_challenge(params).map_err(|d| back(ErrorCode::InvalidRequest, d))?;
    let dpop_jkt = dpop_jkt(params.get("dpop_jkt")).map_err(|d| back(ErrorCode::InvalidRequest, d))?;
    let prompt = parse_prompt(params.get("prompt")).map_err(|d| back(ErrorCode::InvalidRequest, d))?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| back(ErrorCode::InvalidRequest, "max_age must be a non-negative integer"))?,
        ),
    };
    Ok(AuthRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state,
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        resources,
        dpop_jkt,
    })
}

/// requested ∩ allowed ∩ supported, or None when `openid` is not in it (AZ-05).
fn granted_scope(requested: &str, allowed: &str) -> Option<String> {
    let requested = Scopes::parse(requested).ok()?;
    let allowed = Scopes::parse(allowed).ok()?;
    let granted: Vec<&str> =
        SUPPORTED_SCOPES.iter().copied().filter(|s| requested.contains(s) && allowed.contains(s)).collect();
    granted.contains(&"openid").then(|| granted.join(" "))
}

/// PK-01/PK-02/PK-03: a 43-character base64url S256 challenge is required.
fn pkce_challenge(params: &Params) -> Result<String, &'static str> {
    let challenge = params.get("code_challenge").ok_or("code_challenge is required (PKCE)")?;
    match params.get("code_challenge_method") {
        Some("S256") => {}
        Some(_) => return Err("only code_challenge_method=S256 is supported"),
        None => return Err("code_challenge_method=S256 is required"),
    }
    let well_formed =
        challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err("code_challenge must be 43 base64url characters");
    }
    Ok(challenge.to_owned())
}

/// RFC 9449 §10: `dpop_jkt` is the base64url SHA-256 JWK thumbprint (RFC 7638) of
/// the key the client will prove at `/token`: 43 base64url characters, no padding.
pub fn dpop_jkt(value: Option<&str>) -> Result<Option<String>, &'static str> {
    let Some(jkt) = value else { return Ok(None) };
    let well_formed = jkt.len() == 43 && jkt.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err("dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters)");
    }
    Ok(Some(jkt.to_owned()))
}

fn parse_prompt(value: Option<&str>) -> Result<Prompt, &'static str> {
    let mut p = Prompt::default();
    for v in value.unwrap_or_default().split(' ').filter(|s| !s.is_empty()) {
        match v {
            "none" => p.none = true,
            "login" => p.login = true,
            "consent" => p.consent = true,
            "select_account" => p.select_account = true,
            _ => return Err("unsupported prompt value"),
        }
    }
    if p.none && (p.login || p.consent || p.select_account) {
        return Err("prompt=none cannot be combined with other values");
    }
    Ok(p)
}

/// PK-03/PK-04: the verifier's syntax and the S256 comparison (constant time).
pub fn pkce_verifies(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return false;
    }
    let computed = crate::crypto::b64(&crate::crypto::sha256(verifier.as_bytes()));
    crate::crypto::ct_eq(computed.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
