//! Shared SQL: [`crate::store::KeyStore`], the signing keys (adding, listing, `keys retire`).

/// Whether the key (`$1` alg, `$2` activates_at, `$3` created_at, `$4` kid) has a later
/// started key of its algorithm not retired by hand at `$5`: then it is not the one that signs.
pub(crate) const LATER_STARTED_KEY: &str = "SELECT COUNT(*) FROM signing_keys WHERE alg = $1 \
     AND retire_at IS NULL AND activates_at <= $5 \
     AND (activates_at > $2 OR (activates_at = $2 AND (created_at > $3 OR (created_at = $3 AND kid > $4))))";

/// Expands to the `KeyStore` impl of `$store`. See [`crate::store::sql`] for how to read it.
macro_rules! key_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::clock::UnixTime;
            use $crate::store::sql::{self, Backend as _, db_err};
            use $crate::store::*;

            #[async_trait::async_trait]
            impl KeyStore for $store {
                async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
                    let rows: Vec<sql::KeyRow> = sqlx::query_as("SELECT * FROM signing_keys ORDER BY created_at, kid")
                        .fetch_all(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn add_signing_key(&self, key: &StoredKey, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO signing_keys (kid, alg, private_jwk_enc, public_jwk, created_at, activates_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&key.kid)
                    .bind(&key.alg)
                    .bind(key.private_jwk_enc.as_slice())
                    .bind(&key.public_jwk)
                    .bind(key.created_at)
                    .bind(key.activates_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn retire_signing_key(
                    &self,
                    kid: &str,
                    retire_at: UnixTime,
                    audit: &AuditEvent,
                ) -> StoreResult<RetireOutcome> {
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let row: Option<sql::KeyRow> = sqlx::query_as("SELECT * FROM signing_keys WHERE kid = $1")
                        .bind(kid)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let Some(key) = row.map(StoredKey::from) else { return Ok(RetireOutcome::Unknown) };
                    if key.retire_at.is_some_and(|at| at <= now) {
                        return Ok(RetireOutcome::AlreadyRetired);
                    }
                    if key.retire_at.is_none() && key.activates_at <= now {
                        let later: i64 = sqlx::query_scalar($crate::store::sql::keys::LATER_STARTED_KEY)
                            .bind(&key.alg)
                            .bind(key.activates_at)
                            .bind(key.created_at)
                            .bind(&key.kid)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        if later == 0 {
                            return Ok(RetireOutcome::Active);
                        }
                    }
                    sqlx::query("UPDATE signing_keys SET retire_at = $1 WHERE kid = $2")
                        .bind(retire_at)
                        .bind(kid)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await?;
                    Ok(RetireOutcome::Retired)
                }
            }
        };
    };
}
pub(crate) use key_store;
