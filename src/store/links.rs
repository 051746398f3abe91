//! Storage of the «Через Госуслуги» journey: links between an ESIA person
//! (issuer, subject) and school accounts, the personal-data consent per ESIA
//! person, the last ESIA profile seen (for change detection, deleted when the
//! consent is revoked), the remembered default account, and confirmed children.

use super::StoreResult;
use super::outbox::OutboxMessage;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// How a link came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMethod {
    /// A full match of a confirmed ESIA person (name, birth date, SNILS where on file).
    Auto,
    /// Proof by the school account's own login and password in the same flow.
    Credentials,
    /// From `/account` by a person signed in to that school account.
    Account,
    /// By school staff reviewing an access request.
    Staff,
}

impl LinkMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Credentials => "credentials",
            Self::Account => "account",
            Self::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "credentials" => Some(Self::Credentials),
            "account" => Some(Self::Account),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }
}

/// (ESIA issuer, ESIA subject) ↔ school account. Unique per (issuer, subject, account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamLink {
    pub issuer: String,
    pub subject: String,
    pub account_id: String,
    pub method: LinkMethod,
    pub created_at: UnixTime,
}

/// The personal-data consent of one ESIA person («Согласие на передачу персональных данных»).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdConsent {
    pub issuer: String,
    pub subject: String,
    /// Version of the consent text shown.
    pub text_version: String,
    pub given_at: UnixTime,
    /// Client IP at the time of consent (kept with the consent record only).
    pub ip: String,
}

/// How long a deletion record of an ESIA person's data is kept (three years, 152-ФЗ).
pub const PD_DELETION_RETENTION_SECS: i64 = 1096 * 24 * 3600;

/// What an unlink deletes of a person's ESIA data when no link of theirs is left.
pub const PD_CATEGORIES: &[&str] = &["pd_consent", "esia_profile", "default_accounts"];

/// A record that an ESIA person's stored data was deleted (kept for
/// [`PD_DELETION_RETENTION_SECS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdDeletion {
    pub issuer: String,
    pub subject: String,
    pub categories: Vec<String>,
    /// `unlinked` or `consent_revoked`.
    pub reason: String,
    pub deleted_at: UnixTime,
    pub keep_until: UnixTime,
}

/// An unlink of every ESIA link of one account ([`LinkStore::unlink_account`]).
#[derive(Debug, Clone, Copy)]
pub struct Unlink<'a> {
    pub account_id: &'a str,
    /// The owner's unlink: each removed pair gets a tombstone (no automatic link again).
    pub tombstone: bool,
    pub audit: &'a AuditEvent,
    /// BR-06: the owner hears of it.
    pub mail: Option<&'a OutboxMessage>,
}

/// Storage of the journey, implemented once for both backends in
/// `store/sql/links.rs`. Every write that links, unlinks, consents or confirms
/// writes its audit event(s) in the same transaction.
#[async_trait::async_trait]
pub trait LinkStore: Send + Sync {
    /// The person's links, oldest first.
    async fn links_by_subject(&self, issuer: &str, subject: &str) -> StoreResult<Vec<UpstreamLink>>;
    /// The account's links, oldest first (a stable order: `/account` names links by position).
    async fn links_of_account(&self, account_id: &str) -> StoreResult<Vec<UpstreamLink>>;
    /// Inserts the links (ignoring ones that exist), writes every event and enqueues
    /// every `mail` (BR-06: the accounts' owners are told), in one transaction.
    /// A link to an unknown account fails and stores nothing.
    async fn add_links(&self, links: &[UpstreamLink], audit: &[AuditEvent], mail: &[OutboxMessage]) -> StoreResult<()>;
    /// Ends every ESIA link of the account in one transaction: removes the links
    /// (leaving tombstones when asked), ends the account's sessions that came from
    /// ESIA, spends its unused ESIA-born codes, revokes its ESIA-born grants (amr
    /// `esia`) with their refresh tokens — grants of other logins stay live — and,
    /// for each ESIA person left without any link, deletes their PD consent, stored
    /// profile and remembered choices with a [`PdDeletion`] record and a
    /// `pd_data_deleted` event. Writes `audit` even when there was nothing to
    /// remove, enqueues `mail` (BR-06). Returns the number of links removed.
    async fn unlink_account(&self, unlink: &Unlink<'_>) -> StoreResult<u64>;
    /// A person who leaves «Запись не найдена» with no link and no access request:
    /// deletes their PD consent and stored data (a [`PdDeletion`] record, reason
    /// `left_without_account`, and a `pd_data_deleted` event) — unless a link or a
    /// request of theirs exists, checked in the same statement. `true` when deleted.
    async fn forget_unused_pd_consent(&self, issuer: &str, subject: &str) -> StoreResult<bool>;
    /// Accounts the owner unlinked from this ESIA person (tombstones), which never
    /// link to it automatically again.
    async fn tombstones(&self, issuer: &str, subject: &str) -> StoreResult<Vec<String>>;
    /// The ESIA persons (issuer, subject) the owner unlinked from this account (its
    /// tombstones), ordered: where the PD ledger finds a person no longer linked.
    async fn unlinked_persons(&self, account_id: &str) -> StoreResult<Vec<(String, String)>>;
    /// The deletion records of an ESIA person's data, oldest first.
    async fn pd_deletions(&self, issuer: &str, subject: &str) -> StoreResult<Vec<PdDeletion>>;

    async fn pd_consent(&self, issuer: &str, subject: &str) -> StoreResult<Option<PdConsent>>;
    /// Insert or replace, with `audit`.
    async fn put_pd_consent(&self, consent: &PdConsent, audit: &AuditEvent) -> StoreResult<()>;
    /// Deletes the consent and the stored ESIA profile of that person, with `audit`
    /// and a [`PdDeletion`] record (reason `consent_revoked`).
    async fn revoke_pd_consent(&self, issuer: &str, subject: &str, audit: &AuditEvent) -> StoreResult<()>;

    /// The last ESIA profile seen for the person (JSON owned by `account::`), for change detection.
    async fn upstream_profile(&self, issuer: &str, subject: &str) -> StoreResult<Option<String>>;
    /// Insert or replace; writes `audit` only when one is given.
    async fn put_upstream_profile(
        &self,
        issuer: &str,
        subject: &str,
        profile: &str,
        audit: Option<&AuditEvent>,
    ) -> StoreResult<()>;

    /// The account this person chose last time for a role (the chooser's default).
    async fn default_account(&self, issuer: &str, subject: &str, role: &str) -> StoreResult<Option<String>>;
    /// Insert or replace. The account must exist.
    async fn set_default_account(&self, issuer: &str, subject: &str, role: &str, account_id: &str) -> StoreResult<()>;

    /// Marks a parent–child relation as confirmed through ESIA, with `audit`.
    /// Fails with [`super::StoreError::NotFound`] (writing nothing) when there is no such relation.
    async fn confirm_relation(&self, parent_id: &str, child_id: &str, audit: &AuditEvent) -> StoreResult<()>;
}
