//! Shared SQL, part 9: [`crate::store::sandbox::SandboxRows`] — the ESIA
//! sandbox's rows; a take is one `DELETE … RETURNING`.

/// Expands to the `SandboxRows` impl of `$store`. See [`crate::store::sql`].
macro_rules! sandbox_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::sandbox::SandboxRows;
            use $crate::store::sql::{Backend as _, db_err};

            #[async_trait::async_trait]
            impl SandboxRows for $store {
                async fn sandbox_put(
                    &self,
                    kind: &str,
                    key: &str,
                    value: &str,
                    expires_at: UnixTime,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO sandbox_rows (kind, key, value, expires_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (kind, key) DO UPDATE SET value = $3, expires_at = $4",
                    )
                    .bind(kind)
                    .bind(key)
                    .bind(value)
                    .bind(expires_at)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn sandbox_get(&self, kind: &str, key: &str, now: UnixTime) -> StoreResult<Option<String>> {
                    let row: Option<(String,)> = sqlx::query_as(
                        "SELECT value FROM sandbox_rows WHERE kind = $1 AND key = $2 AND expires_at > $3",
                    )
                    .bind(kind)
                    .bind(key)
                    .bind(now)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(row.map(|(v,)| v))
                }

                async fn sandbox_take(&self, kind: &str, key: &str, now: UnixTime) -> StoreResult<Option<String>> {
                    let row: Option<(String,)> = sqlx::query_as(
                        "DELETE FROM sandbox_rows WHERE kind = $1 AND key = $2 AND expires_at > $3 RETURNING value",
                    )
                    .bind(kind)
                    .bind(key)
                    .bind(now)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(row.map(|(v,)| v))
                }

                async fn sandbox_purge(&self, now: UnixTime) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM sandbox_rows WHERE expires_at <= $1")
                        .bind(now)
                        .execute(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
pub(crate) use sandbox_store;
