//! Shared SQL, part 7: [`crate::store::passwords::PasswordStore`]: «Сменить
//! пароль» (the hash, the session rotated, every other session and grant of the
//! account ended) and the «Забыли пароль?» links (stored hashed, spent by one
//! conditional UPDATE).

use crate::store::passwords::PasswordReset;

#[derive(sqlx::FromRow)]
pub(crate) struct PasswordResetRow {
    token_hash: String,
    account_id: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl From<PasswordResetRow> for PasswordReset {
    fn from(r: PasswordResetRow) -> Self {
        Self {
            token_hash: r.token_hash,
            account_id: r.account_id,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
        }
    }
}

/// `$1` = now, `$2` = account: revokes the account's grants except those of the
/// session `$3` (none when `$3` names no session), then their refresh tokens.
pub(crate) const REVOKE_OTHER_GRANTS: [&str; 2] = [
    "UPDATE grants SET revoked_at = $1 WHERE revoked_at IS NULL AND account_id = $2 \
     AND (session_hash IS NULL OR session_hash <> $3)",
    "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id IN \
     (SELECT id FROM grants WHERE account_id = $2 AND (session_hash IS NULL OR session_hash <> $3))",
];

/// `$1` = now, `$2` = account: every still-usable reset link of the account is spent.
pub(crate) const SPEND_LINKS: &str =
    "UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL";

/// Expands to the `PasswordStore` impl of `$store`. See [`crate::store::sql`] for
/// how to read it. Writes go through the helpers of `session_store!` (audit) and
/// `outbox_store!` (mail), inside one write transaction each.
macro_rules! password_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::logout;
            use $crate::store::outbox::OutboxMessage;
            use $crate::store::passwords::{PasswordChange, PasswordReset, PasswordStore};
            use $crate::store::sql::passwords::{PasswordResetRow, REVOKE_OTHER_GRANTS, SPEND_LINKS};
            use $crate::store::sql::{Backend as _, db_err};
            use $crate::store::{StoreError, StoreResult};

            impl $store {
                /// Ends the account's sessions but `keep` and revokes its grants but
                /// those of `keep`, inside `tx`; spends its reset links. Returns the
                /// number of sessions ended. `keep` = "" keeps nothing.
                async fn end_account_sessions_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    account_id: &str,
                    keep: &str,
                ) -> Result<u64, sqlx::Error> {
                    let now = self.now();
                    // The clients of what ends here hear of it (back-channel logout).
                    let scope = if keep.is_empty() {
                        logout::LogoutScope::Account(account_id)
                    } else {
                        logout::LogoutScope::AccountExceptSession(account_id, keep)
                    };
                    self.insert_logouts_in(tx, scope).await?;
                    for sql in REVOKE_OTHER_GRANTS {
                        sqlx::query(sql).bind(now).bind(account_id).bind(keep).execute(&mut **tx).await?;
                    }
                    let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
                        .bind(account_id)
                        .bind(keep)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                    sqlx::query(SPEND_LINKS).bind(now).bind(account_id).execute(&mut **tx).await?;
                    Ok(ended)
                }

                /// Stores the hash inside `tx`; `false` when there is no such account.
                async fn set_hash_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    account_id: &str,
                    phc: &str,
                ) -> Result<bool, sqlx::Error> {
                    let changed = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                        .bind(phc)
                        .bind(account_id)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                    Ok(changed == 1)
                }
            }

            #[async_trait::async_trait]
            impl PasswordStore for $store {
                async fn change_password(
                    &self,
                    c: &PasswordChange<'_>,
                    audit: &AuditEvent,
                    mail: Option<&OutboxMessage>,
                ) -> StoreResult<u64> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // The account row first: on PostgreSQL it serialises parallel changes.
                    if !self.set_hash_in(&mut tx, c.account_id, c.phc).await.map_err(db_err)? {
                        return Err(StoreError::NotFound);
                    }
                    let renamed = sqlx::query(
                        "UPDATE sessions SET id_hash = $1 WHERE id_hash = $2 AND account_id = $3 AND expires_at > $4",
                    )
                    .bind(c.new_session_hash)
                    .bind(c.session_hash)
                    .bind(c.account_id)
                    .bind(self.now())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if renamed == 0 {
                        return Err(StoreError::NotFound);
                    }
                    sqlx::query("UPDATE grants SET session_hash = $1 WHERE session_hash = $2")
                        .bind(c.new_session_hash)
                        .bind(c.session_hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let ended = self
                        .end_account_sessions_in(&mut tx, c.account_id, c.new_session_hash)
                        .await
                        .map_err(db_err)?;
                    if let Some(msg) = mail {
                        self.insert_mail_in(&mut tx, msg).await.map_err(db_err)?;
                    }
                    self.commit_revoking(tx, audit).await?;
                    Ok(ended)
                }

                async fn insert_password_reset(
                    &self,
                    r: &PasswordReset,
                    mail: &OutboxMessage,
                    audit: &AuditEvent,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1")
                        .bind(self.now())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at, used_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&r.token_hash)
                    .bind(&r.account_id)
                    .bind(r.created_at)
                    .bind(r.expires_at)
                    .bind(r.used_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.insert_mail_in(&mut tx, mail).await.map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn password_reset(&self, token_hash: &str) -> StoreResult<Option<PasswordReset>> {
                    let row: Option<PasswordResetRow> = sqlx::query_as(
                        "SELECT token_hash, account_id, created_at, expires_at, used_at \
                         FROM password_resets WHERE token_hash = $1",
                    )
                    .bind(token_hash)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn reset_password(
                    &self,
                    token_hash: &str,
                    account_id: &str,
                    phc: &str,
                    audit: &AuditEvent,
                    mail: Option<&OutboxMessage>,
                ) -> StoreResult<Option<u64>> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // Spend the link: one conditional UPDATE, never a read first.
                    let spent = sqlx::query(
                        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND account_id = $3 \
                         AND used_at IS NULL AND expires_at > $1",
                    )
                    .bind(self.now())
                    .bind(token_hash)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if spent == 0 || !self.set_hash_in(&mut tx, account_id, phc).await.map_err(db_err)? {
                        return Ok(None);
                    }
                    let ended = self.end_account_sessions_in(&mut tx, account_id, "").await.map_err(db_err)?;
                    if let Some(msg) = mail {
                        self.insert_mail_in(&mut tx, msg).await.map_err(db_err)?;
                    }
                    self.commit_revoking(tx, audit).await?;
                    Ok(Some(ended))
                }
            }
        };
    };
}
pub(crate) use password_store;
