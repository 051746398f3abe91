//! Shared SQL: [`crate::store::client_assertions::ClientAssertions`] — the client
//! assertions seen; one `INSERT … ON CONFLICT DO NOTHING` decides by its affected-row count.

/// Expands to the `ClientAssertions` impl of `$store`. See [`crate::store::sql`].
macro_rules! client_assertion_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::client_assertions::ClientAssertions;
            use $crate::store::sql::{Backend as _, db_err};

            #[async_trait::async_trait]
            impl ClientAssertions for $store {
                async fn record_client_assertion(&self, jti_hash: &str, expires_at: UnixTime) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO client_assertions (jti_hash, expires_at) VALUES ($1, $2) \
                         ON CONFLICT (jti_hash) DO NOTHING",
                    )
                    .bind(jti_hash)
                    .bind(expires_at)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(done.rows_affected() == 1)
                }
            }
        };
    };
}
pub(crate) use client_assertion_store;
