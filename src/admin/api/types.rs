//! The admin API's request and answer bodies, each with its OpenAPI schema
//! (`ToSchema`); conversions from the store's records live beside them.

use crate::audit::AuditRecord;
use crate::store::Client;
use crate::token::KeySummary;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An RFC 9457 problem (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem.
    pub r#type: String,
    pub title: String,
    pub status: u16,
    /// What went wrong; for bad input, the field first.
    pub detail: String,
}

/// A relying party's registration (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    pub id: String,
    pub display_name: Option<String>,
    /// OIDC Registration §2 `logo_uri`: the logo on the consent page.
    pub logo_uri: Option<String>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none` (public).
    pub auth_method: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scope: String,
    /// `implicit` or `explicit`.
    pub consent: String,
    pub id_token_alg: String,
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub subject_type: String,
    pub resources: Vec<String>,
    pub require_par: bool,
    /// RFC 9449: its access tokens are DPoP-bound.
    pub dpop_bound_access_tokens: bool,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Disabled by an admin: unknown to the protocol until enabled.
    pub disabled: bool,
    /// Until when the secret before the last rotation still works (Unix seconds).
    pub previous_secret_until: Option<i64>,
    /// A `private_key_jwt` client's public keys: a JWK Set (RFC 7517 §5).
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.clone(),
            display_name: c.display_name.clone(),
            logo_uri: c.logo_uri.clone(),
            auth_method: c.auth_method.as_str().to_owned(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.clone(),
            scope: c.scope.clone(),
            consent: c.consent.as_str().to_owned(),
            id_token_alg: c.id_token_alg.clone(),
            access_token_ttl: c.access_token_ttl,
            id_token_ttl: c.id_token_ttl,
            refresh_token_ttl: c.refresh_token_ttl,
            subject_type: c.subject_type.clone(),
            resources: c.resources.clone(),
            require_par: c.require_pushed_authorization_requests,
            dpop_bound_access_tokens: c.dpop_bound_access_tokens,
            backchannel_logout_uri: c.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: c.backchannel_logout_session_required,
            disabled: c.disabled,
            previous_secret_until: c.previous_secret_until,
            jwks: c.jwks.as_deref().and_then(|j| serde_json::from_str(j).ok()),
        }
    }
}

/// One page of clients, by id; `next_cursor` asks for the next (`?cursor=`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub clients: Vec<ClientView>,
    pub next_cursor: Option<String>,
}

/// A new client by the rules of `propusk clients add`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// OIDC Registration §2 `logo_uri`: an `https` URL (no user name, no fragment, at
    /// most 2000 characters), shown on the consent page.
    #[serde(default)]
    pub logo_uri: Option<String>,
    /// A public client (no secret; PKCE).
    #[serde(default)]
    pub public: bool,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// `implicit` or `explicit`.
    #[serde(default)]
    pub consent: Option<String>,
    #[serde(default)]
    pub require_par: bool,
    /// A confidential client's method: `client_secret_basic` (the default),
    /// `client_secret_post` or `private_key_jwt`.
    #[serde(default)]
    pub auth_method: Option<String>,
    /// `private_key_jwt`: the client's public keys, a JWK Set (RFC 7517 §5); never a
    /// private or symmetric key.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
}

/// A client just created; a confidential client's secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientCreated {
    pub client: ClientView,
    pub client_secret: Option<String>,
}

/// A change of a client, by the rules of `propusk clients update`: an absent field
/// (or an empty list) keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    pub display_name: Option<String>,
    /// An `https` URL of the logo (the rule of `clients add`); an empty string removes it.
    pub logo_uri: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub scope: Option<String>,
    /// `implicit` or `explicit`.
    pub consent: Option<String>,
    pub id_token_alg: Option<String>,
    pub resources: Option<Vec<String>>,
    pub access_token_ttl: Option<i64>,
    pub id_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub require_par: Option<bool>,
    pub require_dpop: Option<bool>,
    /// An empty string removes the URI.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
    /// `true` disables the client (unknown to the protocol, grants kept); `false` enables it.
    pub disabled: Option<bool>,
    /// Between `client_secret_basic` and `client_secret_post`, or from a secret to
    /// `private_key_jwt` (the secret is dropped; `jwks` needed).
    pub auth_method: Option<String>,
    /// A `private_key_jwt` client's new JWK Set, replacing its keys.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
}

/// `rotate-secret`: how long the old secret still works (0–720 hours; absent: 0).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    pub overlap_hours: Option<i64>,
}

/// A client's new secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewSecret {
    pub client_id: String,
    pub client_secret: String,
    /// Until when the previous secret still works (Unix seconds), if at all.
    pub old_secret_valid_until: Option<i64>,
}

/// A signing key's state and dates (never private material).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    /// `next`, `active`, `retiring` or `retired`.
    pub state: String,
    pub created_at: i64,
    pub activates_at: i64,
    /// When a retiring key leaves the JWKS.
    pub published_until: Option<i64>,
}

impl From<KeySummary> for KeyView {
    fn from(k: KeySummary) -> Self {
        Self {
            state: k.state.as_str().to_owned(),
            kid: k.kid,
            alg: k.alg,
            created_at: k.created_at,
            activates_at: k.activates_at,
            published_until: k.published_until,
        }
    }
}

/// The key ring: every key in one page (a ring holds a handful), so `next_cursor` is
/// always `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<KeyView>,
    pub next_cursor: Option<String>,
}

/// `keys/rotate`: the algorithm of the new key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// `RS256`, `ES256` or `EdDSA`.
    pub alg: String,
}

/// `keys/{kid}/retire`: how long it stays in the JWKS (hours; absent: the longest
/// token lifetime).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireKey {
    pub overlap_hours: Option<i64>,
}

/// A key retired: it leaves the JWKS at `retire_at` (Unix seconds).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyRetired {
    pub kid: String,
    pub retire_at: i64,
}

/// One audit event with its place in the hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    /// The event as stored (ids only).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRecord> for EventView {
    fn from(r: AuditRecord) -> Self {
        let data = serde_json::from_str(&r.data).unwrap_or(serde_json::Value::String(r.data));
        Self { seq: r.seq, at: r.at, kind: r.kind, data, prev_hash: r.prev_hash, hash: r.hash }
    }
}

/// One page of audit events, newest first; `next` is the older page's link and
/// `next_cursor` its `?before=` value.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub events: Vec<EventView>,
    pub next_cursor: Option<i64>,
    pub next: Option<String>,
}

/// A client's admin role: `system-admin`, or `org-admin` of `organisation_id`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientRoleView {
    pub role: String,
    pub organisation_id: Option<String>,
    pub granted_at: i64,
    /// `cli`, an admin's account id or `client:ID`.
    pub granted_by: String,
}

impl From<crate::store::roles::RoleRow> for ClientRoleView {
    fn from(r: crate::store::roles::RoleRow) -> Self {
        Self {
            role: r.role,
            organisation_id: Some(r.organisation_id).filter(|o| !o.is_empty()),
            granted_at: r.granted_at,
            granted_by: r.granted_by,
        }
    }
}

/// A client's admin roles (every one in one page).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientRoleList {
    pub roles: Vec<ClientRoleView>,
    pub next_cursor: Option<String>,
}

/// A role to grant or revoke: `system-admin`, or `org-admin` with `org`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientRoleChange {
    pub role: String,
    #[serde(default)]
    pub org: Option<String>,
}

/// A role granted; `granted` is `false` when the client held it already.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientRoleGranted {
    pub role: ClientRoleView,
    pub granted: bool,
}
