//! Shared SQL, part 1: committing with an audit event and grant revocation, used by
//! every write, then [`crate::store::SessionStore`] and [`crate::store::Lifecycle`]
//! (the audit log itself is in `audit_log.rs`).

/// Expands to the private helpers of `$store` and its `SessionStore` and
/// `Lifecycle` impls. See [`crate::store::sql`] for how to read it.
macro_rules! session_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::sql::{self, db_err, Backend as _, GrantFilter};
            use $crate::store::*;

            impl $store {
                /// Appends `event` and commits: the last step of every audited write.
                async fn commit_with_audit(
                    &self,
                    mut tx: sqlx::Transaction<'static, $db>,
                    event: &AuditEvent,
                ) -> StoreResult<()> {
                    self.append_audit_in(&mut tx, std::slice::from_ref(event)).await.map_err(db_err)?;
                    tx.commit().await.map_err(db_err)
                }

                /// [`Self::commit_with_audit`] for a transaction that revoked grants or
                /// access tokens: after the commit, the process's revocation epoch moves,
                /// so this node's in-memory revocation set re-reads before it answers
                /// (store/revocations.rs).
                async fn commit_revoking(
                    &self,
                    tx: sqlx::Transaction<'static, $db>,
                    event: &AuditEvent,
                ) -> StoreResult<()> {
                    self.commit_with_audit(tx, event).await?;
                    <Self as sql::Backend>::revocation_epoch(self).fetch_add(1, std::sync::atomic::Ordering::Release);
                    Ok(())
                }

                /// Revokes the grants `filter` selects and every refresh token of them.
                /// Returns how many grants were newly revoked. The transaction must end
                /// with [`Self::commit_revoking`].
                async fn revoke_grants_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    filter: GrantFilter<'_>,
                ) -> Result<u64, sqlx::Error> {
                    let now = self.now();
                    let mut grants = sqlx::query(filter.grants_sql()).bind(now);
                    let mut tokens = sqlx::query(filter.tokens_sql()).bind(now);
                    for value in filter.values() {
                        grants = grants.bind(value);
                        tokens = tokens.bind(value);
                    }
                    let revoked = grants.execute(&mut **tx).await?.rows_affected();
                    tokens.execute(&mut **tx).await?;
                    Ok(revoked)
                }
            }

            #[async_trait::async_trait]
            impl SessionStore for $store {
                async fn create_session(
                    &self,
                    s: &Session,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO sessions (id_hash, account_id, auth_time, amr, persistent, created_at, \
                         expires_at, upstream_issuer, upstream_subject, sid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&s.id_hash)
                    .bind(&s.account_id)
                    .bind(s.auth_time)
                    .bind(&s.amr)
                    .bind(s.persistent)
                    .bind(s.created_at)
                    .bind(s.expires_at)
                    .bind(s.upstream.as_ref().map(|u| u.0.as_str()))
                    .bind(s.upstream.as_ref().map(|u| u.1.as_str()))
                    // Empty: a caller that did not set it (the first hash's, as always).
                    .bind(if s.sid.is_empty() { logout::public_sid(&s.id_hash) } else { s.sid.clone() })
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
                    let row: Option<sql::SessionRow> = sqlx::query_as(sql::LIVE_SESSION_SQL)
                            .bind(id_hash)
                            .bind(self.now())
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn end_session(
                    &self,
                    id_hash: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    self.insert_logouts_in(&mut tx, logout::LogoutScope::Session(id_hash)).await.map_err(db_err)?;
                    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    self.revoke_grants_in(&mut tx, GrantFilter::Session(id_hash)).await.map_err(db_err)?;
                    self.commit_revoking(tx, audit).await
                }

                async fn put_flow(&self, flow: &FlowRecord) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO flows (id, data, expires_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
                    )
                    .bind(&flow.id)
                    .bind(&flow.data)
                    .bind(flow.expires_at)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn replace_flow(&self, flow: &FlowRecord, version: i64) -> StoreResult<bool> {
                    let replaced = sqlx::query(
                        "UPDATE flows SET data = $1, expires_at = $2, version = version + 1 \
                         WHERE id = $3 AND version = $4 AND expires_at > $5",
                    )
                    .bind(&flow.data)
                    .bind(flow.expires_at)
                    .bind(&flow.id)
                    .bind(version)
                    .bind(self.now())
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    Ok(replaced == 1)
                }

                async fn flow(&self, id: &str) -> StoreResult<Option<FlowRecord>> {
                    let row: Option<sql::FlowRow> =
                        sqlx::query_as("SELECT * FROM flows WHERE id = $1 AND expires_at > $2")
                            .bind(id)
                            .bind(self.now())
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn delete_flow(&self, id: &str) -> StoreResult<()> {
                    sqlx::query("DELETE FROM flows WHERE id = $1")
                        .bind(id)
                        .execute(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn purge_expired(&self) -> StoreResult<u64> {
                    const PURGES: [&str; 11] = [
                        "DELETE FROM sessions WHERE expires_at <= $1",
                        "DELETE FROM flows WHERE expires_at <= $1",
                        "DELETE FROM codes WHERE expires_at <= $1",
                        "DELETE FROM refresh_tokens WHERE expires_at <= $1",
                        "DELETE FROM revoked_tokens WHERE expires_at <= $1",
                        "DELETE FROM pd_deletions WHERE keep_until <= $1",
                        "DELETE FROM limit_counters WHERE window_end <= $1 AND locked_until <= $1",
                        "DELETE FROM sandbox_rows WHERE expires_at <= $1",
                        "DELETE FROM pushed_requests WHERE expires_at <= $1",
                        "DELETE FROM dpop_proofs WHERE expires_at <= $1",
                        "DELETE FROM client_assertions WHERE expires_at <= $1",
                    ];
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let mut removed = 0;
                    for sql in PURGES {
                        removed += sqlx::query(sql).bind(now).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(removed)
                }
            }

            #[async_trait::async_trait]
            impl Lifecycle for $store {
                async fn migrate(&self) -> StoreResult<()> {
                    $crate::store::sql::installation::tolerant(Self::migrator()).run(self.pool()).await.map_err(|e| StoreError::Backend(anyhow::Error::new(e)))?;
                    // Rows from before migration 0017 get their search key (store/sql/console.rs).
                    self.fill_name_keys().await?;
                    Ok(())
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query("SELECT 1").execute(self.pool()).await.map_err(db_err)?;
                    Ok(())
                }

                fn backend(&self) -> &'static str {
                    Self::NAME
                }
            }
        };
    };
}
pub(crate) use session_store;
