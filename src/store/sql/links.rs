//! Shared SQL, part 4: [`crate::store::links::LinkStore`]: ESIA links, the
//! personal-data consent, the last ESIA profile seen, the chooser's default
//! account and relations confirmed through ESIA.

use super::bad_value;
use crate::store::StoreResult;
use crate::store::links::{LinkMethod, PdConsent, UpstreamLink};

/// The `amr` of grants born from an ESIA login: unlinking revokes them.
pub(crate) const ESIA_AMR: &str = "esia";

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

/// Expands to the `LinkStore` impl of `$store`. See [`crate::store::sql`] for
/// how to read it.
///
/// Every audited write appends its event(s) in the same transaction, through the
/// helpers of `session_store!`. Unlinking revokes ESIA-born grants and their
/// refresh tokens exactly as `revoke_grant` does ([`super::GrantFilter`]).
macro_rules! link_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::links::{LinkStore, PdConsent, UpstreamLink};
            use $crate::store::outbox::OutboxMessage;
            use $crate::store::sql::links::{ESIA_AMR, LinkRow, PdConsentRow};
            use $crate::store::sql::{Backend as _, GrantFilter, db_err};
            use $crate::store::{StoreError, StoreResult};

            impl $store {
                /// Stores `l` inside `tx` (an existing identical link is kept).
                async fn insert_link_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    l: &UpstreamLink,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO upstream_links (issuer, subject, account_id, method, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, subject, account_id) DO NOTHING",
                    )
                    .bind(&l.issuer)
                    .bind(&l.subject)
                    .bind(&l.account_id)
                    .bind(l.method.as_str())
                    .bind(l.created_at)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl LinkStore for $store {
                async fn links_by_subject(&self, issuer: &str, subject: &str) -> StoreResult<Vec<UpstreamLink>> {
                    let rows: Vec<LinkRow> = sqlx::query_as(
                        "SELECT * FROM upstream_links WHERE issuer = $1 AND subject = $2 \
                         ORDER BY created_at, account_id",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    rows.into_iter().map(TryInto::try_into).collect()
                }

                async fn links_of_account(&self, account_id: &str) -> StoreResult<Vec<UpstreamLink>> {
                    let rows: Vec<LinkRow> = sqlx::query_as(
                        "SELECT * FROM upstream_links WHERE account_id = $1 ORDER BY created_at, issuer, subject",
                    )
                    .bind(account_id)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    rows.into_iter().map(TryInto::try_into).collect()
                }

                async fn add_links(
                    &self,
                    links: &[UpstreamLink],
                    audit: &[AuditEvent],
                    mail: &[OutboxMessage],
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    for l in links {
                        self.insert_link_in(&mut tx, l).await?;
                    }
                    for msg in mail {
                        self.insert_mail_in(&mut tx, msg).await.map_err(db_err)?;
                    }
                    for event in audit {
                        self.append_audit_in(&mut tx, event).await.map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn remove_links_of_account(
                    &self,
                    account_id: &str,
                    audit: &AuditEvent,
                    mail: Option<&OutboxMessage>,
                ) -> StoreResult<u64> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let removed = sqlx::query("DELETE FROM upstream_links WHERE account_id = $1")
                        .bind(account_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    let filter = GrantFilter::AccountAmr(account_id, ESIA_AMR);
                    self.revoke_grants_in(&mut tx, filter).await.map_err(db_err)?;
                    if let Some(msg) = mail {
                        self.insert_mail_in(&mut tx, msg).await.map_err(db_err)?;
                    }
                    self.commit_with_audit(tx, audit).await?;
                    Ok(removed)
                }

                async fn pd_consent(&self, issuer: &str, subject: &str) -> StoreResult<Option<PdConsent>> {
                    let row: Option<PdConsentRow> =
                        sqlx::query_as("SELECT * FROM pd_consents WHERE issuer = $1 AND subject = $2")
                            .bind(issuer)
                            .bind(subject)
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn put_pd_consent(&self, c: &PdConsent, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO pd_consents (issuer, subject, text_version, given_at, ip) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, subject) DO UPDATE SET \
                         text_version = excluded.text_version, given_at = excluded.given_at, ip = excluded.ip",
                    )
                    .bind(&c.issuer)
                    .bind(&c.subject)
                    .bind(&c.text_version)
                    .bind(c.given_at)
                    .bind(&c.ip)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn revoke_pd_consent(&self, issuer: &str, subject: &str, audit: &AuditEvent) -> StoreResult<()> {
                    const DELETES: [&str; 2] = [
                        "DELETE FROM pd_consents WHERE issuer = $1 AND subject = $2",
                        "DELETE FROM upstream_profiles WHERE issuer = $1 AND subject = $2",
                    ];
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    for sql in DELETES {
                        sqlx::query(sql).bind(issuer).bind(subject).execute(&mut *tx).await.map_err(db_err)?;
                    }
                    self.commit_with_audit(tx, audit).await
                }

                async fn upstream_profile(&self, issuer: &str, subject: &str) -> StoreResult<Option<String>> {
                    sqlx::query_scalar("SELECT profile FROM upstream_profiles WHERE issuer = $1 AND subject = $2")
                        .bind(issuer)
                        .bind(subject)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)
                }

                async fn put_upstream_profile(
                    &self,
                    issuer: &str,
                    subject: &str,
                    profile: &str,
                    audit: Option<&AuditEvent>,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO upstream_profiles (issuer, subject, profile, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (issuer, subject) DO UPDATE SET profile = excluded.profile, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .bind(profile)
                    .bind(self.now())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    match audit {
                        Some(event) => self.commit_with_audit(tx, event).await,
                        None => tx.commit().await.map_err(db_err),
                    }
                }

                async fn default_account(
                    &self,
                    issuer: &str,
                    subject: &str,
                    role: &str,
                ) -> StoreResult<Option<String>> {
                    sqlx::query_scalar(
                        "SELECT account_id FROM default_accounts WHERE issuer = $1 AND subject = $2 AND role = $3",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .bind(role)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(db_err)
                }

                async fn set_default_account(
                    &self,
                    issuer: &str,
                    subject: &str,
                    role: &str,
                    account_id: &str,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO default_accounts (issuer, subject, role, account_id) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (issuer, subject, role) DO UPDATE SET account_id = excluded.account_id",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .bind(role)
                    .bind(account_id)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn confirm_relation(
                    &self,
                    parent_id: &str,
                    child_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let changed = sqlx::query(
                        "UPDATE relations SET confirmed_via_esia = $1 WHERE parent_id = $2 AND child_id = $3",
                    )
                    .bind(true)
                    .bind(parent_id)
                    .bind(child_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if changed == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.commit_with_audit(tx, audit).await
                }
            }
        };
    };
}
pub(crate) use link_store;
