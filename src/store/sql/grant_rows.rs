//! Row structs of sessions, flows, codes, grants, refresh tokens, consents and audit
//! rows, and their mapping into [`crate::store::model_grants`] (the directory's and the
//! clients' rows are in [`super::rows`]).

use super::rows::resource_list;
use crate::audit::AuditRecord;
use crate::store::model_grants::*;

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id_hash: String,
    account_id: String,
    auth_time: i64,
    amr: String,
    persistent: bool,
    created_at: i64,
    expires_at: i64,
    upstream_issuer: Option<String>,
    upstream_subject: Option<String>,
    sid: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Self {
            sid: r.sid.unwrap_or_else(|| crate::store::logout::public_sid(&r.id_hash)),
            id_hash: r.id_hash,
            account_id: r.account_id,
            auth_time: r.auth_time,
            amr: r.amr,
            persistent: r.persistent,
            created_at: r.created_at,
            expires_at: r.expires_at,
            upstream: r.upstream_issuer.zip(r.upstream_subject),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FlowRow {
    id: String,
    data: String,
    expires_at: i64,
    version: i64,
}

impl From<FlowRow> for FlowRecord {
    fn from(r: FlowRow) -> Self {
        Self { id: r.id, data: r.data, expires_at: r.expires_at, version: r.version }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CodeRow {
    code_hash: String,
    grant_id: String,
    client_id: String,
    account_id: String,
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: String,
    auth_time: i64,
    amr: String,
    acr: Option<String>,
    session_hash: Option<String>,
    require_auth_time: bool,
    resources: String,
    dpop_jkt: Option<String>,
    created_at: i64,
    expires_at: i64,
    consumed_at: Option<i64>,
}

impl From<CodeRow> for AuthCode {
    fn from(r: CodeRow) -> Self {
        Self {
            code_hash: r.code_hash,
            grant_id: r.grant_id,
            client_id: r.client_id,
            account_id: r.account_id,
            redirect_uri: r.redirect_uri,
            scope: r.scope,
            nonce: r.nonce,
            code_challenge: r.code_challenge,
            auth_time: r.auth_time,
            amr: r.amr,
            acr: r.acr,
            session_hash: r.session_hash,
            require_auth_time: r.require_auth_time,
            resources: resource_list(&r.resources),
            dpop_jkt: r.dpop_jkt,
            created_at: r.created_at,
            expires_at: r.expires_at,
            consumed_at: r.consumed_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    id: String,
    client_id: String,
    account_id: String,
    scope: String,
    auth_time: i64,
    amr: String,
    session_hash: Option<String>,
    resources: String,
    dpop_jkt: Option<String>,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl From<GrantRow> for Grant {
    fn from(r: GrantRow) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            account_id: r.account_id,
            scope: r.scope,
            auth_time: r.auth_time,
            amr: r.amr,
            session_hash: r.session_hash,
            resources: resource_list(&r.resources),
            dpop_jkt: r.dpop_jkt,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// The state of a refresh token, read with its grant (`g.*`) in one row under the
/// family lock (`Backend::LOCK_FAMILY_SQL`).
#[derive(sqlx::FromRow)]
pub(crate) struct TokenStateRow {
    pub token_client_id: String,
    pub token_used_at: Option<i64>,
    pub token_revoked_at: Option<i64>,
    pub token_expires_at: i64,
}

/// Selects `g.*` and the [`TokenStateRow`] columns of the refresh token `$1`.
pub(crate) const FAMILY_SQL: &str = "SELECT g.*, t.client_id AS token_client_id, t.used_at AS token_used_at, \
     t.revoked_at AS token_revoked_at, t.expires_at AS token_expires_at \
     FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.token_hash = $1";

/// `revoked_at` stays internal: callers see the revocation on the grant.
#[derive(sqlx::FromRow)]
pub(crate) struct RefreshRow {
    token_hash: String,
    grant_id: String,
    client_id: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl From<RefreshRow> for RefreshToken {
    fn from(r: RefreshRow) -> Self {
        Self {
            token_hash: r.token_hash,
            grant_id: r.grant_id,
            client_id: r.client_id,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    account_id: String,
    client_id: String,
    scope: String,
    granted_at: i64,
}

impl From<ConsentRow> for Consent {
    fn from(r: ConsentRow) -> Self {
        Self { account_id: r.account_id, client_id: r.client_id, scope: r.scope, granted_at: r.granted_at }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    seq: i64,
    at: i64,
    kind: String,
    data: String,
    prev_hash: String,
    hash: String,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        Self { seq: r.seq, at: r.at, kind: r.kind, data: r.data, prev_hash: r.prev_hash, hash: r.hash }
    }
}
