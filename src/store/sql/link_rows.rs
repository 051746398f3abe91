//! Rows of the «Через Госуслуги» tables (links, PD consents, deletion records) and
//! their conversion into the records of [`crate::store::links`].

use super::bad_value;
use crate::store::StoreResult;
use crate::store::links::{LinkMethod, PdConsent, PdDeletion, UpstreamLink};

#[derive(sqlx::FromRow)]
pub(crate) struct LinkRow {
    issuer: String,
    subject: String,
    account_id: String,
    method: String,
    created_at: i64,
}

impl TryFrom<LinkRow> for UpstreamLink {
    type Error = crate::store::StoreError;
    fn try_from(r: LinkRow) -> StoreResult<Self> {
        Ok(Self {
            method: LinkMethod::parse(&r.method).ok_or_else(|| bad_value("upstream_links", "method"))?,
            issuer: r.issuer,
            subject: r.subject,
            account_id: r.account_id,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PdConsentRow {
    issuer: String,
    subject: String,
    text_version: String,
    given_at: i64,
    ip: String,
}

impl From<PdConsentRow> for PdConsent {
    fn from(r: PdConsentRow) -> Self {
        Self { issuer: r.issuer, subject: r.subject, text_version: r.text_version, given_at: r.given_at, ip: r.ip }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PdDeletionRow {
    issuer: String,
    subject: String,
    categories: String,
    reason: String,
    deleted_at: i64,
    keep_until: i64,
}

impl From<PdDeletionRow> for PdDeletion {
    fn from(r: PdDeletionRow) -> Self {
        Self {
            categories: serde_json::from_str(&r.categories).unwrap_or_default(),
            issuer: r.issuer,
            subject: r.subject,
            reason: r.reason,
            deleted_at: r.deleted_at,
            keep_until: r.keep_until,
        }
    }
}
