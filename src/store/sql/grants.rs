//! Shared SQL, part 3: [`crate::store::GrantStore`]: codes, grants, refresh
//! tokens, revocations and consents, with the atomic spend/rotate operations.

/// Expands to the `GrantStore` impl of `$store`. See [`crate::store::sql`] for
/// how to read it.
///
/// Atomicity rests on row locks taken before any decision: spending a code is
/// `UPDATE … WHERE consumed_at IS NULL … RETURNING` (a second writer blocks on
/// the row and then re-checks the condition); rotating a token first locks its
/// grant row ([`crate::store::sql::Backend::LOCK_FAMILY_SQL`]), so every writer
/// of a family queues there. On SQLite `BEGIN IMMEDIATE` serialises writers outright.
macro_rules! grant_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::sql::{self, Backend as _, GrantFilter, db_err};
            use $crate::store::*;

            impl $store {
                async fn insert_grant_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    g: &Grant,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO grants (id, client_id, account_id, scope, auth_time, amr, session_hash, \
                         created_at, expires_at, revoked_at, resources, dpop_jkt) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(&g.id)
                    .bind(&g.client_id)
                    .bind(&g.account_id)
                    .bind(&g.scope)
                    .bind(g.auth_time)
                    .bind(&g.amr)
                    .bind(g.session_hash.as_deref())
                    .bind(g.created_at)
                    .bind(g.expires_at)
                    .bind(g.revoked_at)
                    .bind(sql::to_json_list(&g.resources))
                    .bind(g.dpop_jkt.as_deref())
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn insert_refresh_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    t: &RefreshToken,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, created_at, expires_at, used_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&t.token_hash)
                    .bind(&t.grant_id)
                    .bind(&t.client_id)
                    .bind(t.created_at)
                    .bind(t.expires_at)
                    .bind(t.used_at)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl GrantStore for $store {
                async fn insert_code(&self, c: &AuthCode) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // A code is minted only from a session that still exists, read under a
                    // share lock: an unlink or logout that deletes it waits for this insert
                    // (and then spends the code), or this insert sees it gone.
                    if let Some(session) = c.session_hash.as_deref() {
                        let live: Option<String> = sqlx::query_scalar(Self::LOCK_SESSION_SQL)
                            .bind(session)
                            .bind(self.now())
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        if live.is_none() {
                            return Err(StoreError::NotFound);
                        }
                    }
                    sqlx::query(
                        "INSERT INTO codes (code_hash, grant_id, client_id, account_id, redirect_uri, scope, nonce, \
                         code_challenge, auth_time, amr, acr, session_hash, require_auth_time, created_at, \
                         expires_at, consumed_at, resources, dpop_jkt) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
                    )
                    .bind(&c.code_hash)
                    .bind(&c.grant_id)
                    .bind(&c.client_id)
                    .bind(&c.account_id)
                    .bind(&c.redirect_uri)
                    .bind(&c.scope)
                    .bind(c.nonce.as_deref())
                    .bind(&c.code_challenge)
                    .bind(c.auth_time)
                    .bind(&c.amr)
                    .bind(c.acr.as_deref())
                    .bind(c.session_hash.as_deref())
                    .bind(c.require_auth_time)
                    .bind(c.created_at)
                    .bind(c.expires_at)
                    .bind(c.consumed_at)
                    .bind(sql::to_json_list(&c.resources))
                    .bind(c.dpop_jkt.as_deref())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)
                }

                async fn code(&self, code_hash: &str) -> StoreResult<Option<AuthCode>> {
                    let row: Option<sql::CodeRow> = sqlx::query_as("SELECT * FROM codes WHERE code_hash = $1")
                        .bind(code_hash)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn exchange_code(
                    &self,
                    code_hash: &str,
                    grant: &Grant,
                    refresh: Option<&RefreshToken>,
                    audit: &AuditEvent,
                ) -> StoreResult<CodeExchange> {
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let spent: Option<String> = sqlx::query_scalar(
                        "UPDATE codes SET consumed_at = $1 \
                         WHERE code_hash = $2 AND consumed_at IS NULL AND expires_at > $1 RETURNING grant_id",
                    )
                    .bind(now)
                    .bind(code_hash)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if let Some(grant_id) = spent {
                        if grant_id != grant.id {
                            return Err(StoreError::Backend(anyhow::anyhow!("grant does not belong to the code")));
                        }
                        self.insert_grant_in(&mut tx, grant).await?;
                        if let Some(refresh) = refresh {
                            self.insert_refresh_in(&mut tx, refresh).await?;
                        }
                        self.commit_with_audit(tx, audit).await?;
                        return Ok(CodeExchange::Issued);
                    }
                    // Nothing spent: unknown, expired, or already consumed (a replay).
                    let found: Option<(String, String, Option<i64>)> =
                        sqlx::query_as("SELECT grant_id, client_id, consumed_at FROM codes WHERE code_hash = $1")
                            .bind(code_hash)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    match found {
                        Some((grant_id, client_id, Some(_))) => {
                            self.revoke_grants_in(&mut tx, GrantFilter::Id(&grant_id)).await.map_err(db_err)?;
                            let event = AuditEvent::CodeReuseDetected { client_id, grant_id };
                            self.commit_revoking(tx, &event).await?;
                            Ok(CodeExchange::Replayed)
                        }
                        _ => Ok(CodeExchange::NotFound),
                    }
                }

                async fn burn_code(&self, code_hash: &str, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query("UPDATE codes SET consumed_at = $1 WHERE code_hash = $2 AND consumed_at IS NULL")
                        .bind(self.now())
                        .bind(code_hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn grant(&self, id: &str) -> StoreResult<Option<Grant>> {
                    let row: Option<sql::GrantRow> = sqlx::query_as("SELECT * FROM grants WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn refresh_token(&self, token_hash: &str) -> StoreResult<Option<(RefreshToken, Grant)>> {
                    let token: Option<sql::RefreshRow> =
                        sqlx::query_as("SELECT * FROM refresh_tokens WHERE token_hash = $1")
                            .bind(token_hash)
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    let Some(token) = token.map(RefreshToken::from) else {
                        return Ok(None);
                    };
                    Ok(self.grant(&token.grant_id).await?.map(|grant| (token, grant)))
                }

                async fn rotate_refresh(
                    &self,
                    req: RefreshRequest<'_>,
                    accept: &(dyn for<'g> Fn(&'g Grant) -> Option<AuditEvent> + Send + Sync),
                ) -> StoreResult<Rotation> {
                    use sqlx::FromRow as _;
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // Lock the family (its grant row) before touching any token row: every
                    // writer of a family takes the grant first, then tokens, then the audit
                    // head, so racing rotations and revocations queue instead of deadlocking.
                    // The read comes after the lock, so it sees what the previous holder wrote.
                    if let Some(lock) = Self::LOCK_FAMILY_SQL {
                        sqlx::query(lock).bind(req.old_hash).execute(&mut *tx).await.map_err(db_err)?;
                    }
                    let row = sqlx::query(sql::FAMILY_SQL)
                        .bind(req.old_hash)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let Some(row) = row else {
                        return Ok(Rotation::Invalid);
                    };
                    let token = sql::TokenStateRow::from_row(&row).map_err(db_err)?;
                    let grant = Grant::from(sql::GrantRow::from_row(&row).map_err(db_err)?);
                    // RT-05: another client's token is refused and left alone.
                    if token.token_client_id != req.client_id {
                        return Ok(Rotation::Invalid);
                    }
                    if token.token_used_at.is_some() {
                        // RT-01: a replay of a spent token; the whole family dies.
                        self.revoke_grants_in(&mut tx, GrantFilter::Id(&grant.id)).await.map_err(db_err)?;
                        let event =
                            AuditEvent::RefreshReuseDetected { client_id: token.token_client_id, grant_id: grant.id };
                        self.commit_revoking(tx, &event).await?;
                        return Ok(Rotation::Reused);
                    }
                    let live = token.token_revoked_at.is_none()
                        && grant.revoked_at.is_none()
                        && token.token_expires_at > now
                        && grant.expires_at > now;
                    if !live {
                        return Ok(Rotation::Invalid);
                    }
                    // RT-07: the account must still be there and enabled.
                    let account: Option<sql::AccountRow> = sqlx::query_as("SELECT * FROM accounts WHERE id = $1")
                        .bind(&grant.account_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let Some(account) = account.map(Account::try_from).transpose()?.filter(|a| !a.disabled) else {
                        return Ok(Rotation::Invalid);
                    };
                    let Some(event) = accept(&grant) else {
                        return Ok(Rotation::Refused);
                    };
                    sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2")
                        .bind(now)
                        .bind(req.old_hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let new = RefreshToken {
                        token_hash: req.new_hash.to_owned(),
                        grant_id: grant.id.clone(),
                        client_id: req.client_id.to_owned(),
                        created_at: now,
                        expires_at: grant.expires_at,
                        used_at: None,
                    };
                    self.insert_refresh_in(&mut tx, &new).await?;
                    self.commit_with_audit(tx, &event).await?;
                    Ok(Rotation::Rotated(Box::new((grant, account))))
                }

                async fn revoke_grant(&self, grant_id: &str, audit: &AuditEvent) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let revoked = self.revoke_grants_in(&mut tx, GrantFilter::Id(grant_id)).await.map_err(db_err)?;
                    if revoked == 0 {
                        return Ok(false);
                    }
                    self.commit_revoking(tx, audit).await?;
                    Ok(true)
                }

                async fn revoke_token_id(&self, jti: &str, expires_at: i64, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (jti) DO NOTHING",
                    )
                    .bind(jti)
                    .bind(expires_at)
                    .bind(self.now())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_revoking(tx, audit).await
                }

                async fn token_id_revoked(&self, jti: &str) -> StoreResult<bool> {
                    let found: Option<i64> = sqlx::query_scalar("SELECT expires_at FROM revoked_tokens WHERE jti = $1")
                        .bind(jti)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(found.is_some())
                }

                async fn consent(&self, account_id: &str, client_id: &str) -> StoreResult<Option<Consent>> {
                    let row: Option<sql::ConsentRow> =
                        sqlx::query_as("SELECT * FROM consents WHERE account_id = $1 AND client_id = $2")
                            .bind(account_id)
                            .bind(client_id)
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn consents(&self, account_id: &str) -> StoreResult<Vec<Consent>> {
                    let rows: Vec<sql::ConsentRow> =
                        sqlx::query_as("SELECT * FROM consents WHERE account_id = $1 ORDER BY client_id")
                            .bind(account_id)
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn consents_of_client(
                    &self,
                    client_id: &str,
                    after: Option<&str>,
                    limit: i64,
                ) -> StoreResult<Vec<Consent>> {
                    let rows: Vec<sql::ConsentRow> = sqlx::query_as(
                        "SELECT * FROM consents WHERE client_id = $1 AND account_id > $2 \
                         ORDER BY account_id LIMIT $3",
                    )
                    .bind(client_id)
                    .bind(after.unwrap_or_default())
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn put_consent(&self, c: &Consent, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO consents (account_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, \
                         granted_at = excluded.granted_at",
                    )
                    .bind(&c.account_id)
                    .bind(&c.client_id)
                    .bind(&c.scope)
                    .bind(c.granted_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn revoke_consent(
                    &self,
                    account_id: &str,
                    client_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let scope = logout::LogoutScope::AccountClient(account_id, client_id);
                    self.insert_logouts_in(&mut tx, scope).await.map_err(db_err)?;
                    sqlx::query("DELETE FROM consents WHERE account_id = $1 AND client_id = $2")
                        .bind(account_id)
                        .bind(client_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let filter = GrantFilter::AccountClient(account_id, client_id);
                    self.revoke_grants_in(&mut tx, filter).await.map_err(db_err)?;
                    self.commit_revoking(tx, audit).await
                }
            }
        };
    };
}
pub(crate) use grant_store;
