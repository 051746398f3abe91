//! Shared SQL, part 4: [`crate::store::links::LinkStore`]: ESIA links, the
//! personal-data consent, the last ESIA profile seen, the chooser's default
//! account and relations confirmed through ESIA.

pub(crate) use super::link_rows::{LinkRow, PdConsentRow, PdDeletionRow};

/// The `amr` of grants born from an ESIA login: unlinking revokes them.
pub(crate) const ESIA_AMR: &str = "esia";

/// The statements that delete an ESIA person's stored data (`$1` issuer, `$2` subject).
pub(crate) const PERSON_DATA_DELETES: [&str; 3] = [
    "DELETE FROM pd_consents WHERE issuer = $1 AND subject = $2",
    "DELETE FROM upstream_profiles WHERE issuer = $1 AND subject = $2",
    "DELETE FROM default_accounts WHERE issuer = $1 AND subject = $2",
];

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
            use $crate::store::logout;
            use $crate::store::links::{LinkStore, PdConsent, UpstreamLink};
            use $crate::store::links::{PD_CATEGORIES, PD_DELETION_RETENTION_SECS, PdDeletion, Unlink};
            use $crate::store::outbox::OutboxMessage;
            use $crate::store::sql::links::{ESIA_AMR, LinkRow, PERSON_DATA_DELETES, PdConsentRow, PdDeletionRow};
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

                /// Deletes the stored data of an ESIA person inside `tx`; when anything
                /// was there, keeps a deletion record and writes `pd_data_deleted`.
                async fn delete_person_data_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    issuer: &str,
                    subject: &str,
                    reason: &str,
                ) -> StoreResult<()> {
                    let mut deleted = 0;
                    for sql in PERSON_DATA_DELETES {
                        let q = sqlx::query(sql).bind(issuer).bind(subject);
                        deleted += q.execute(&mut **tx).await.map_err(db_err)?.rows_affected();
                    }
                    if deleted == 0 {
                        return Ok(());
                    }
                    let now = self.now();
                    let categories = serde_json::to_string(PD_CATEGORIES).unwrap_or_default();
                    sqlx::query(
                        "INSERT INTO pd_deletions (issuer, subject, categories, reason, deleted_at, keep_until) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .bind(categories)
                    .bind(reason)
                    .bind(now)
                    .bind(now + PD_DELETION_RETENTION_SECS)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                    let event =
                        AuditEvent::PdDataDeleted { upstream_subject: subject.to_owned(), reason: reason.to_owned() };
                    self.append_audit_in(tx, std::slice::from_ref(&event)).await.map_err(db_err)
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
                    self.append_audit_in(&mut tx, audit).await.map_err(db_err)?;
                    tx.commit().await.map_err(db_err)
                }

                async fn unlink_account(&self, u: &Unlink<'_>) -> StoreResult<u64> {
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // Every client of the account hears of it (back-channel logout), read
                    // before the grants below are revoked.
                    self.insert_logouts_in(&mut tx, logout::LogoutScope::Account(u.account_id))
                        .await
                        .map_err(db_err)?;
                    let removed: Vec<(String, String)> =
                        sqlx::query_as("DELETE FROM upstream_links WHERE account_id = $1 RETURNING issuer, subject")
                            .bind(u.account_id)
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    // Sessions first (a code being minted from one holds it, see
                    // insert_code), then unused codes (an exchange in progress holds its
                    // code), then the grants those may have created.
                    // Every ESIA login of the account (also sessions from before they
                    // remembered their ESIA identity).
                    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND amr = $2")
                        .bind(u.account_id)
                        .bind(ESIA_AMR)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    sqlx::query(
                        "UPDATE codes SET consumed_at = $1 WHERE account_id = $2 AND amr = $3 AND consumed_at IS NULL",
                    )
                    .bind(now)
                    .bind(u.account_id)
                    .bind(ESIA_AMR)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    let filter = GrantFilter::AccountAmr(u.account_id, ESIA_AMR);
                    self.revoke_grants_in(&mut tx, filter).await.map_err(db_err)?;
                    for (issuer, subject) in &removed {
                        if u.tombstone {
                            sqlx::query(
                                "INSERT INTO link_tombstones (issuer, subject, account_id, created_at) \
                                 VALUES ($1, $2, $3, $4) ON CONFLICT (issuer, subject, account_id) DO NOTHING",
                            )
                            .bind(issuer)
                            .bind(subject)
                            .bind(u.account_id)
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        }
                        let left: i64 = sqlx::query_scalar(
                            "SELECT COUNT(*) FROM upstream_links WHERE issuer = $1 AND subject = $2",
                        )
                        .bind(issuer)
                        .bind(subject)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                        if left == 0 {
                            self.delete_person_data_in(&mut tx, issuer, subject, "unlinked").await?;
                        }
                    }
                    if let Some(msg) = u.mail {
                        self.insert_mail_in(&mut tx, msg).await.map_err(db_err)?;
                    }
                    self.commit_revoking(tx, u.audit).await?;
                    Ok(removed.len() as u64)
                }

                async fn tombstones(&self, issuer: &str, subject: &str) -> StoreResult<Vec<String>> {
                    sqlx::query_scalar(
                        "SELECT account_id FROM link_tombstones WHERE issuer = $1 AND subject = $2 ORDER BY account_id",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)
                }

                async fn unlinked_persons(&self, account_id: &str) -> StoreResult<Vec<(String, String)>> {
                    sqlx::query_as(
                        "SELECT issuer, subject FROM link_tombstones WHERE account_id = $1 ORDER BY issuer, subject",
                    )
                    .bind(account_id)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)
                }

                async fn pd_deletions(&self, issuer: &str, subject: &str) -> StoreResult<Vec<PdDeletion>> {
                    let rows: Vec<PdDeletionRow> = sqlx::query_as(
                        "SELECT issuer, subject, categories, reason, deleted_at, keep_until FROM pd_deletions \
                         WHERE issuer = $1 AND subject = $2 ORDER BY id",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
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
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    self.delete_person_data_in(&mut tx, issuer, subject, "consent_revoked").await?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn forget_unused_pd_consent(&self, issuer: &str, subject: &str) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let unused = sqlx::query(
                        "SELECT 1 FROM pd_consents c WHERE c.issuer = $1 AND c.subject = $2 \
                         AND NOT EXISTS (SELECT 1 FROM upstream_links l WHERE l.issuer = $1 AND l.subject = $2) \
                         AND NOT EXISTS (SELECT 1 FROM access_requests r WHERE r.issuer = $1 AND r.subject = $2)",
                    )
                    .bind(issuer)
                    .bind(subject)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .is_some();
                    if !unused {
                        return Ok(false);
                    }
                    self.delete_person_data_in(&mut tx, issuer, subject, "left_without_account").await?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
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
