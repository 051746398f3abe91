//! The [`Issuer`]: mints ID tokens and RFC 9068 JWT access tokens with the key ring's
//! active keys, and verifies our own access tokens (AT-01/AT-02) and ID token hints.

use super::TokenError;
use super::jws;
use super::keys::KeyRing;
use crate::clock::Clock;
use crate::crypto::b64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The `aud` of an access token (RFC 9068 §3, RFC 8707): the resources it is for —
/// a JSON string for one, an array for several. Never empty when minted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience(pub Vec<String>);

impl Audience {
    pub fn one(aud: impl Into<String>) -> Self {
        Self(vec![aud.into()])
    }
    pub fn contains(&self, aud: &str) -> bool {
        self.0.iter().any(|a| a == aud)
    }
    /// As it is written in the token (and in an introspection answer).
    pub fn as_json(&self) -> Value {
        match self.0.as_slice() {
            [one] => json!(one),
            many => json!(many),
        }
    }
}

impl From<&str> for Audience {
    fn from(aud: &str) -> Self {
        Self::one(aud)
    }
}

impl From<String> for Audience {
    fn from(aud: String) -> Self {
        Self::one(aud)
    }
}

impl Serialize for Audience {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(a) => Self(vec![a]),
            OneOrMany::Many(a) => Self(a),
        })
    }
}

/// Claims of a JWT access token (RFC 9068 §2.2). No personal data beyond `sub` (AT-03).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    /// The resources asked for (RFC 8707), or the issuer when none was.
    pub aud: Audience,
    pub client_id: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_time: Option<i64>,
    /// id of the grant (token family) so introspection can see revocation; absent for client_credentials
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gid: Option<String>,
    /// RFC 9449 §6.1: the DPoP key the token is bound to; absent for a bearer token.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cnf: Option<Confirmation>,
}

/// The confirmation claim of a DPoP-bound access token (RFC 7800, RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
}

/// What an ID token says beyond `iss`, `iat` and `exp`, which the issuer sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdTokenInput {
    pub sub: String,
    pub client_id: String,
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    pub amr: Vec<String>,
    pub acr: Option<String>,
    /// The access token issued alongside; becomes `at_hash` (IT-03).
    pub access_token: Option<String>,
    pub sid: Option<String>,
    pub ttl_secs: i64,
    /// User claims by scope (see [`super::claims::user_claims`]); registered claim names
    /// in it are ignored.
    pub extra: Map<String, Value>,
}

/// What an `id_token_hint` tells the logout endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintClaims {
    pub sub: String,
    pub aud: Vec<String>,
    pub sid: Option<String>,
}

/// Claims that only the issuer sets; removed from [`IdTokenInput::extra`].
const REGISTERED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "nonce",
    "auth_time",
    "amr",
    "acr",
    "azp",
    "at_hash",
    "c_hash",
    "sid",
];

#[derive(Deserialize)]
struct HintPayload {
    iss: String,
    sub: String,
    aud: Audience,
    #[serde(default)]
    sid: Option<String>,
}

/// Signs and checks propusk's own tokens.
#[derive(Debug, Clone)]
pub struct Issuer {
    issuer: String,
    keys: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    /// Access tokens already checked (introspection sees the same token many times).
    verified: super::verified::VerifiedTokens,
}

impl Issuer {
    pub fn new(issuer: String, keys: Arc<KeyRing>, clock: Arc<dyn Clock>) -> Self {
        Self { issuer, keys, clock, verified: super::verified::VerifiedTokens::default() }
    }

    /// Our issuer identifier (`iss` of every token, `aud` of access tokens).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.keys
    }

    /// A JWT access token (`typ: at+jwt`) signed with the active key of `alg`.
    /// `claims.iss` must be our issuer.
    pub async fn access_token(&self, alg: &str, claims: &AccessClaims) -> Result<String, TokenError> {
        if claims.iss != self.issuer {
            return Err(TokenError::Invalid("iss is not this issuer"));
        }
        let key = self.keys.signing_key(alg)?;
        let input = jws::signing_input(&key.at_header, claims)?;
        jws::sign(key, input).await
    }

    /// An ID token (`typ: JWT`) for `input.client_id`, signed with the active key of `alg`.
    pub async fn id_token(&self, alg: &str, input: IdTokenInput) -> Result<String, TokenError> {
        let key = self.keys.signing_key(alg)?;
        let now = self.clock.now();
        let mut claims = input.extra;
        claims.retain(|k, _| !REGISTERED.contains(&k.as_str()));
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(input.sub));
        claims.insert("aud".into(), json!(input.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now.saturating_add(input.ttl_secs)));
        if let Some(nonce) = input.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        if let Some(auth_time) = input.auth_time {
            claims.insert("auth_time".into(), json!(auth_time));
        }
        if !input.amr.is_empty() {
            claims.insert("amr".into(), json!(input.amr));
        }
        if let Some(acr) = input.acr {
            claims.insert("acr".into(), json!(acr));
        }
        if let Some(at) = input.access_token {
            claims.insert("at_hash".into(), json!(b64(&key.alg.half_hash(at.as_bytes()))));
        }
        if let Some(sid) = input.sid {
            claims.insert("sid".into(), json!(sid));
        }
        let payload = jws::signing_input(&key.id_header, &claims)?;
        jws::sign(key, payload).await
    }

    /// A logout token (`typ: logout+jwt`, Back-Channel Logout §2.4) of `claims`
    /// (`oidc::backchannel::logout_claims`), signed with the active key of `alg`.
    /// `claims.iss` must be our issuer.
    pub async fn logout_token(&self, alg: &str, claims: &Value) -> Result<String, TokenError> {
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(TokenError::Invalid("iss is not this issuer"));
        }
        let key = self.keys.signing_key(alg)?;
        let input = jws::signing_input(&key.logout_header, claims)?;
        jws::sign(key, input).await
    }

    /// Checks one of our access tokens for our own resources (AT-01/AT-02): `typ`
    /// `at+jwt`, a published key named by `kid` with its own `alg`, a good signature,
    /// our `iss`, an `aud` that includes our issuer, not expired. Revocation is the
    /// caller's business (`gid`, `jti`).
    pub fn verify_access_token(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let claims = self.verify_access_token_any_audience(token)?;
        if !claims.aud.contains(&self.issuer) {
            return Err(TokenError::Invalid("wrong aud"));
        }
        Ok(claims)
    }

    /// [`Self::verify_access_token`] whatever the audience: for introspection and
    /// revocation, which answer about tokens minted for other resources too.
    /// A token checked before is answered from memory (`token::verified`).
    pub fn verify_access_token_any_audience(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let now = self.clock.now();
        if let Some(claims) = self.verified.get(token, &self.keys, now) {
            return Ok(claims);
        }
        let (payload, kid) = jws::verify_with_kid(&self.keys, token, "at+jwt")?;
        let claims: AccessClaims =
            serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid("malformed claims"))?;
        if claims.iss != self.issuer {
            return Err(TokenError::Invalid("wrong iss"));
        }
        if claims.exp <= now {
            return Err(TokenError::Invalid("expired"));
        }
        self.verified.insert(token, kid, &claims);
        Ok(claims)
    }

    /// Checks an `id_token_hint` for RP-initiated logout: `typ` `JWT` (an access token is
    /// refused), signed by one of our published keys, our `iss`. Expiry is not checked:
    /// an expired ID token is still a valid hint.
    pub fn verify_id_token_hint(&self, token: &str) -> Result<HintClaims, TokenError> {
        let payload = jws::verify(&self.keys, token, "JWT")?;
        let claims: HintPayload =
            serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid("malformed claims"))?;
        if claims.iss != self.issuer {
            return Err(TokenError::Invalid("wrong iss"));
        }
        Ok(HintClaims { sub: claims.sub, aud: claims.aud.0, sid: claims.sid })
    }
}
