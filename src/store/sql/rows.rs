//! Row structs as the tables store them, and their mapping into the records of
//! [`crate::store::model`]. Text enums and JSON lists are parsed here; one
//! `FromRow` struct serves both backends (sqlx decodes SQLite INTEGER as `bool`).

use super::bad_value;
use crate::store::model::*;
use crate::store::{StoreError, StoreResult};

fn json_list(table: &str, column: &str, text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|_| bad_value(table, column))
}

/// The resources of a code or grant. Unreadable text counts as none asked, which
/// narrows the audience to the issuer (never widens it).
pub(super) fn resource_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrganisationRow {
    id: String,
    kind: String,
    region: String,
    municipality: String,
    locality: String,
    org_type: String,
    name: String,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = StoreError;
    fn try_from(r: OrganisationRow) -> StoreResult<Self> {
        Ok(Self {
            kind: OrgKind::parse(&r.kind).ok_or_else(|| bad_value("organisations", "kind"))?,
            id: r.id,
            region: r.region,
            municipality: r.municipality,
            locality: r.locality,
            org_type: r.org_type,
            name: r.name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClassRow {
    id: String,
    organisation_id: String,
    name: String,
}

impl From<ClassRow> for Class {
    fn from(r: ClassRow) -> Self {
        Self { id: r.id, organisation_id: r.organisation_id, name: r.name }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: String,
    subject: String,
    organisation_id: String,
    login: String,
    password_hash: String,
    role: String,
    can_review_requests: bool,
    surname: String,
    given_name: String,
    patronymic: Option<String>,
    birth_date: String,
    snils_hash: Option<String>,
    match_key: String,
    class_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    disabled: bool,
    created_at: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> StoreResult<Self> {
        Ok(Self {
            role: Role::parse(&r.role).ok_or_else(|| bad_value("accounts", "role"))?,
            id: r.id,
            subject: r.subject,
            organisation_id: r.organisation_id,
            login: r.login,
            password_hash: r.password_hash,
            can_review_requests: r.can_review_requests,
            surname: r.surname,
            given_name: r.given_name,
            patronymic: r.patronymic,
            birth_date: r.birth_date,
            snils_hash: r.snils_hash,
            match_key: r.match_key,
            class_id: r.class_id,
            email: r.email,
            phone: r.phone,
            disabled: r.disabled,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RelationRow {
    parent_id: String,
    child_id: String,
    confirmed_via_esia: bool,
}

impl From<RelationRow> for Relation {
    fn from(r: RelationRow) -> Self {
        Self { parent_id: r.parent_id, child_id: r.child_id, confirmed_via_esia: r.confirmed_via_esia }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClientRow {
    id: String,
    secret_hash: Option<String>,
    auth_method: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    grant_types: String,
    scope: String,
    consent: String,
    id_token_alg: String,
    access_token_ttl: i64,
    id_token_ttl: i64,
    refresh_token_ttl: i64,
    subject_type: String,
    sector_identifier_uri: Option<String>,
    resources: String,
    display_name: Option<String>,
    previous_secret_hash: Option<String>,
    previous_secret_until: Option<i64>,
    require_pushed_authorization_requests: bool,
    dpop_bound_access_tokens: bool,
    disabled: bool,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: bool,
    jwks: Option<String>,
    logo_uri: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;
    fn try_from(r: ClientRow) -> StoreResult<Self> {
        Ok(Self {
            auth_method: AuthMethod::parse(&r.auth_method).ok_or_else(|| bad_value("clients", "auth_method"))?,
            consent: ConsentMode::parse(&r.consent).ok_or_else(|| bad_value("clients", "consent"))?,
            redirect_uris: json_list("clients", "redirect_uris", &r.redirect_uris)?,
            post_logout_redirect_uris: json_list("clients", "post_logout_redirect_uris", &r.post_logout_redirect_uris)?,
            grant_types: json_list("clients", "grant_types", &r.grant_types)?,
            resources: json_list("clients", "resources", &r.resources)?,
            sector_identifier_uri: r.sector_identifier_uri,
            display_name: r.display_name,
            previous_secret_hash: r.previous_secret_hash,
            previous_secret_until: r.previous_secret_until,
            require_pushed_authorization_requests: r.require_pushed_authorization_requests,
            dpop_bound_access_tokens: r.dpop_bound_access_tokens,
            disabled: r.disabled,
            backchannel_logout_uri: r.backchannel_logout_uri,
            backchannel_logout_session_required: r.backchannel_logout_session_required,
            jwks: r.jwks,
            logo_uri: r.logo_uri,
            id: r.id,
            secret_hash: r.secret_hash,
            scope: r.scope,
            id_token_alg: r.id_token_alg,
            access_token_ttl: r.access_token_ttl,
            id_token_ttl: r.id_token_ttl,
            refresh_token_ttl: r.refresh_token_ttl,
            subject_type: r.subject_type,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    kid: String,
    alg: String,
    private_jwk_enc: Vec<u8>,
    public_jwk: String,
    created_at: i64,
    activates_at: i64,
    retire_at: Option<i64>,
}

impl From<KeyRow> for StoredKey {
    fn from(r: KeyRow) -> Self {
        Self {
            kid: r.kid,
            alg: r.alg,
            private_jwk_enc: r.private_jwk_enc,
            public_jwk: r.public_jwk,
            created_at: r.created_at,
            activates_at: r.activates_at,
            retire_at: r.retire_at,
        }
    }
}

/// Maps a list of rows, failing on the first one the model cannot represent.
pub(crate) fn try_map<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}
