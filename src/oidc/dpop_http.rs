//! DPoP at the endpoints (`/token`, `/par`, UserInfo): the one `DPoP` header of a
//! request, checked by [`super::dpop::check`] against the endpoint under the issuer's
//! public URL (never the Host header), its `jti` recorded once across nodes (the store
//! decides), and the answers: `invalid_dpop_proof`, or, with `tokens.require_dpop_nonce`,
//! `use_dpop_nonce` with a `DPoP-Nonce` (RFC 9449 §8 at the authorization server, §9
//! at UserInfo).

use super::dpop::{self, Expected, Proof, ProofError};
use super::error::{BearerError, OAuthError};
use crate::app::App;
use crate::store::seen::Seen;
use axum::http::HeaderMap;

/// Why a request's proof is unusable, before it is mapped to its endpoint's error.
#[derive(Debug)]
pub enum Refusal {
    Invalid(&'static str),
    UseNonce,
    Store(crate::store::StoreError),
}

impl From<Refusal> for OAuthError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid(why) => OAuthError::invalid_dpop_proof(why),
            // The caller attaches the nonce (it knows the key and the time).
            Refusal::UseNonce => OAuthError::invalid_dpop_proof("a DPoP nonce is required"),
            Refusal::Store(e) => e.into(),
        }
    }
}

impl From<Refusal> for BearerError {
    fn from(r: Refusal) -> Self {
        match r {
            // The caller answers `use_dpop_nonce` with the nonce (it knows the key and the time).
            Refusal::Invalid(_) | Refusal::UseNonce => BearerError::InvalidDpopProof,
            Refusal::Store(e) => BearerError::Store(e),
        }
    }
}

/// The `DPoP` header's value: `None` without one; more than one is refused.
fn header(headers: &HeaderMap) -> Result<Option<&str>, Refusal> {
    let mut values = headers.get_all("dpop").iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => v.to_str().map(Some).map_err(|_| Refusal::Invalid("the DPoP header is not text")),
        (Some(_), Some(_)) => Err(Refusal::Invalid("more than one DPoP header")),
    }
}

/// Checks the request's proof for `method` at `path` under the issuer and records its
/// `jti`: a proof is used once, whichever node sees it first.
async fn checked(
    app: &App,
    value: &str,
    method: &str,
    path: &str,
    nonces: Option<&[String]>,
    bound: Option<(&str, &str)>,
) -> Result<Proof, Refusal> {
    let (access_token, jkt) = bound.unzip();
    let url = format!("{}{path}", app.config.issuer);
    let expected = Expected { method, url: &url, now: app.clock.now(), nonces, access_token };
    let proof = dpop::check(value, &expected).map_err(|e| match e {
        ProofError::Invalid(why) => Refusal::Invalid(why),
        ProofError::UseNonce => Refusal::UseNonce,
    })?;
    if jkt.is_some_and(|k| k != proof.jkt) {
        return Err(Refusal::Invalid("the DPoP proof is not of the token's key"));
    }
    if !app
        .store
        .record_once(Seen::DpopProof, &proof.replay_key(), proof.replay_until())
        .await
        .map_err(Refusal::Store)?
    {
        return Err(Refusal::Invalid("the DPoP proof was used before"));
    }
    Ok(proof)
}

/// The nonces a proof may carry now, when `tokens.require_dpop_nonce` asks for one.
fn accepted_nonces(app: &App) -> Option<[String; 2]> {
    app.config.tokens.require_dpop_nonce.then(|| dpop::nonces(&app.dpop_nonce_key, app.clock.now()))
}

/// The nonce a `use_dpop_nonce` answer hands out (`DPoP-Nonce`).
fn fresh_nonce(app: &App) -> String {
    dpop::nonce(&app.dpop_nonce_key, app.clock.now())
}

/// The proof of a `POST` to the authorization server's `path`, if it has one. With
/// `tokens.require_dpop_nonce` a proof without a current nonce is answered
/// `use_dpop_nonce` and the nonce (RFC 9449 §8).
async fn at_authorization_server(app: &App, headers: &HeaderMap, path: &str) -> Result<Option<Proof>, OAuthError> {
    let Some(value) = header(headers)? else {
        return Ok(None);
    };
    let accepted = accepted_nonces(app);
    match checked(app, value, "POST", path, accepted.as_ref().map(|a| a.as_slice()), None).await {
        Ok(proof) => Ok(Some(proof)),
        Err(Refusal::UseNonce) => Err(OAuthError::use_dpop_nonce(fresh_nonce(app))),
        Err(other) => Err(other.into()),
    }
}

/// The proof of a `/token` request, if it has one.
pub async fn at_token(app: &App, headers: &HeaderMap) -> Result<Option<Proof>, OAuthError> {
    at_authorization_server(app, headers, "/token").await
}

/// The proof of a pushed authorization request (RFC 9449 §10.1), if it has one:
/// checked as at `/token`, with `htu` the PAR endpoint.
pub async fn at_par(app: &App, headers: &HeaderMap) -> Result<Option<Proof>, OAuthError> {
    at_authorization_server(app, headers, "/par").await
}

/// The proof that must come with a DPoP-bound access token at a resource endpoint:
/// `htm`/`htu` of this request, `ath` of the token, the key of `jkt`. With
/// `tokens.require_dpop_nonce` a proof without a current nonce is answered 401
/// `use_dpop_nonce` with a `DPoP-Nonce` (RFC 9449 §9).
pub async fn at_resource(
    app: &App,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    access_token: &str,
    jkt: &str,
) -> Result<Proof, BearerError> {
    let value = header(headers)?.ok_or(BearerError::InvalidDpopProof)?;
    let accepted = accepted_nonces(app);
    match checked(app, value, method, path, accepted.as_ref().map(|a| a.as_slice()), Some((access_token, jkt))).await {
        Ok(proof) => Ok(proof),
        Err(Refusal::UseNonce) => Err(BearerError::UseDpopNonce(fresh_nonce(app))),
        Err(other) => Err(other.into()),
    }
}
