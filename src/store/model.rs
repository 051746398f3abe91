//! Plain records that cross the storage boundary. No sqlx here: the backends map
//! their rows into these, and the rest of propusk only ever sees these.

use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// A school or a management body («Орган управления»).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: String,
    pub kind: OrgKind,
    pub region: String,
    pub municipality: String,
    pub locality: String,
    /// e.g. «Общеобразовательная».
    pub org_type: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    School,
    Authority,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::Authority => "authority",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "school" => Some(Self::School),
            "authority" => Some(Self::Authority),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    pub id: String,
    pub organisation_id: String,
    /// e.g. «8А».
    pub name: String,
}

/// The role of a school account, as in the instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Родитель
    Parent,
    /// Ученик
    Pupil,
    /// Сотрудник
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parent => "parent",
            Self::Pupil => "pupil",
            Self::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "parent" => Some(Self::Parent),
            "pupil" => Some(Self::Pupil),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }
    /// The Russian label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Parent => "Родитель",
            Self::Pupil => "Ученик",
            Self::Staff => "Сотрудник",
        }
    }
}

/// A legacy school account: what a school created for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Stable opaque id (derived from organisation and login: a re-import updates
    /// the same row). Not shown to relying parties.
    pub id: String,
    /// The local subject: the public `sub`, and the input of pairwise ones
    /// (docs/subjects.md). Keyed with the installation's subject key for accounts
    /// created since migration 0010; the old `id` for accounts that existed before.
    /// Never changes once stored.
    pub subject: String,
    pub organisation_id: String,
    pub login: String,
    /// PHC string (argon2id, bcrypt `$2a$/$2b$/$2y$`, `$pbkdf2-sha256$`).
    pub password_hash: String,
    pub role: Role,
    /// Staff permission to review access requests.
    pub can_review_requests: bool,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ISO date `YYYY-MM-DD`.
    pub birth_date: String,
    /// Keyed hash of the normalised SNILS (never the SNILS itself).
    pub snils_hash: Option<String>,
    /// Keyed hash of normalised surname, name, patronymic and birth date
    /// (the matching index of the ESIA journey).
    pub match_key: String,
    pub class_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub disabled: bool,
    pub created_at: UnixTime,
}

/// A parent–child relation in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    pub parent_id: String,
    pub child_id: String,
    /// Set when the parent's ESIA profile confirmed the child.
    pub confirmed_via_esia: bool,
}

/// Everything one `directory import` (or the demo seed) writes, in one transaction.
/// Organisations, classes and accounts are upserted by id; accounts are unique by
/// (organisation, login).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryBatch {
    pub organisations: Vec<Organisation>,
    pub classes: Vec<Class>,
    pub accounts: Vec<Account>,
    pub relations: Vec<Relation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMode {
    Implicit,
    Explicit,
}

impl ConsentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Implicit => "implicit",
            Self::Explicit => "explicit",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "implicit" => Some(Self::Implicit),
            "explicit" => Some(Self::Explicit),
            _ => None,
        }
    }
}

/// A relying party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    /// Salted SHA-256 of the secret (`sha256$salt$hash`); `None` for public clients.
    pub secret_hash: Option<String>,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    /// Space-separated scopes the client may ask for.
    pub scope: String,
    pub consent: ConsentMode,
    /// `RS256`, `ES256` or `EdDSA`; also used for its access tokens.
    pub id_token_alg: String,
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub refresh_token_ttl: i64,
    /// `public` or `pairwise`.
    pub subject_type: String,
    /// OIDC Registration §2: its host is the sector of a pairwise client (else the
    /// host of its redirect URIs).
    pub sector_identifier_uri: Option<String>,
    /// RFC 8707 resources (absolute URIs) the client may ask access tokens for,
    /// besides the issuer (always permitted; the audience when none is asked).
    pub resources: Vec<String>,
    /// Shown to people (consent page) instead of the id, when set.
    pub display_name: Option<String>,
    /// The secret before the last rotation, accepted until `previous_secret_until`.
    pub previous_secret_hash: Option<String>,
    pub previous_secret_until: Option<UnixTime>,
    /// RFC 9126: `/authorize` only with a pushed request (`/par`).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.2: tokens only with a DPoP proof.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// Back-Channel Logout 1.0: where logout tokens are POSTed (`https`, or `http`
    /// on a loopback IP literal); `None`: the client is not told of logouts.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in its logout tokens (and in ID tokens, always sent).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A signing key; the private JWK is encrypted with a key derived from the master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    /// AES-256-GCM ciphertext of the private JWK JSON (nonce prepended).
    pub private_jwk_enc: Vec<u8>,
    pub public_jwk: String,
    pub created_at: UnixTime,
    /// When it starts signing (later than `created_at` after a rotation).
    pub activates_at: UnixTime,
    /// Set by `keys retire`: it no longer signs and leaves the JWKS at this moment.
    pub retire_at: Option<UnixTime>,
}

/// What `keys retire` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetireOutcome {
    /// Retiring from now; published until the given moment.
    Retired,
    /// No key has this kid.
    Unknown,
    /// It is the key that signs for its algorithm: rotate first.
    Active,
    /// Already past its `retire_at`.
    AlreadyRetired,
}

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
