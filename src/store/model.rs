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
    /// RFC 7523 §2.2, OIDC Core §9: a JWT signed with one of the client's registered keys.
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            "private_key_jwt" => Some(Self::PrivateKeyJwt),
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
    /// Disabled by an admin: the protocol treats the client as unknown
    /// ([`crate::oidc::client::ClientRegistry::get`]) until it is enabled again.
    #[serde(default)]
    pub disabled: bool,
    /// Back-Channel Logout 1.0: where logout tokens are POSTed (`https`, or `http`
    /// on a loopback IP literal); `None`: the client is not told of logouts.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in its logout tokens (and in ID tokens, always sent).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// The public keys of a `private_key_jwt` client: an inline JWK Set (RFC 7517 §5)
    /// as JSON text, checked at registration (`oidc::client_jwks`); `None` otherwise.
    #[serde(default)]
    pub jwks: Option<String>,
    /// OIDC Dynamic Client Registration 1.0 §2 `logo_uri`: an `https` URL of the
    /// client's logo, shown on the consent page ([`crate::oidc::logo`]).
    #[serde(default)]
    pub logo_uri: Option<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

impl Client {
    /// A public client (`none`): no secret and no keys, only PKCE. A confidential one
    /// authenticates with a secret or, `private_key_jwt`, with its keys (no secret).
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }
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
