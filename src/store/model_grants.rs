//! Plain records of what a sign-in leaves behind: sessions, flows in progress,
//! authorization codes, grants with their refresh tokens, and consents (re-exported by
//! [`crate::store`] with the rest of [`super::model`]).

use super::model::Account;
use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// A browser session. The cookie holds the id; the store holds its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id_hash: String,
    pub account_id: String,
    pub auth_time: UnixTime,
    /// `pwd` or `esia` (the `amr` value).
    pub amr: String,
    pub persistent: bool,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// The ESIA identity (issuer, subject) the session came from, for `amr` `esia`:
    /// the session is valid only while that identity is linked to the account.
    pub upstream: Option<(String, String)>,
    /// The public session id (`sid`), [`super::logout::public_sid`] of its first id
    /// hash; it stays when a password change renames the session.
    #[serde(default)]
    pub sid: String,
}

/// An authorization in progress between `/authorize` and the code. The flow's
/// own content is opaque JSON owned by `flow::`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRecord {
    pub id: String,
    pub data: String,
    pub expires_at: UnixTime,
    /// Moved on by one at each [`super::SessionStore::replace_flow`]; a `put_flow`
    /// keeps it.
    #[serde(default)]
    pub version: i64,
}

/// An issued authorization code (stored by hash). `grant_id` is chosen when the
/// code is issued, so a replay can revoke what the first redemption issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCode {
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub account_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: UnixTime,
    pub amr: String,
    pub acr: Option<String>,
    /// Hash of the browser session the code came from.
    pub session_hash: Option<String>,
    /// Whether `auth_time` must appear in the ID token (max_age was sent).
    pub require_auth_time: bool,
    /// RFC 8707 resources asked for at `/authorize` (empty: none asked).
    pub resources: Vec<String>,
    /// RFC 9449 §10: the JWK thumbprint the code is bound to (`dpop_jkt`): `/token`
    /// spends it only with a DPoP proof of that key (None: not bound).
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub consumed_at: Option<UnixTime>,
}

/// A grant: one authorization of a client by an account, the family of every
/// refresh and access token that descends from one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub account_id: String,
    pub scope: String,
    pub auth_time: UnixTime,
    pub amr: String,
    pub session_hash: Option<String>,
    /// RFC 8707 resources granted (empty: the issuer only). A refresh may narrow the
    /// audience of a token to some of them, never add one.
    pub resources: Vec<String>,
    /// RFC 9449: the JWK thumbprint a public client's family is bound to; a refresh
    /// needs a DPoP proof of that key.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    pub created_at: UnixTime,
    /// Absolute end of the family.
    pub expires_at: UnixTime,
    pub revoked_at: Option<UnixTime>,
}

/// One refresh token of a grant (stored by hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// Set when it was exchanged for a new one.
    pub used_at: Option<UnixTime>,
}

/// A remembered relying-party consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub account_id: String,
    pub client_id: String,
    pub scope: String,
    pub granted_at: UnixTime,
}

/// Outcome of an attempt to spend an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeExchange {
    /// The code was fresh; it is now consumed and the grant, refresh token and
    /// audit event are stored (one transaction).
    Issued,
    /// The code had already been consumed (replay or lost race): the grant it
    /// issued has been revoked and a `code_reuse_detected` event written.
    Replayed,
    /// No such code.
    NotFound,
}

/// A refresh-token rotation as the token endpoint asks for it.
#[derive(Debug, Clone, Copy)]
pub struct RefreshRequest<'a> {
    /// Hash of the presented refresh token.
    pub old_hash: &'a str,
    /// The authenticated client: another client's token is `Invalid` (RT-05), untouched.
    pub client_id: &'a str,
    /// Hash of the token that replaces it (same grant, client and expiry).
    pub new_hash: &'a str,
}

/// Outcome of a refresh-token rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The old token is marked used, the new one stored, the caller's `token_issued`
    /// event written: the grant and its (enabled) account, to mint from.
    Rotated(Box<(Grant, Account)>),
    /// The token had already been used: the whole grant is now revoked and a
    /// `refresh_reuse_detected` event written.
    Reused,
    /// The caller's check of the grant (e.g. the requested scope) said no; nothing written.
    Refused,
    /// Unknown, expired or revoked token, another client's token, or a disabled
    /// account; nothing written.
    Invalid,
}
