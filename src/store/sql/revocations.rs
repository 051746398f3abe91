//! Shared SQL, part 12: [`crate::store::revocations::RevocationStore`] — the
//! revocations since a moment, read by two indexed range scans (migration 0025).

/// Expands to the `RevocationStore` impl of `$store`. See [`crate::store::sql`].
macro_rules! revocation_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::revocations::{RevocationStore, Revoked};
            use $crate::store::sql::{Backend as _, db_err};

            #[async_trait::async_trait]
            impl RevocationStore for $store {
                async fn revoked_since(
                    &self,
                    tokens_since: UnixTime,
                    grants_since: UnixTime,
                    max_tokens: usize,
                ) -> StoreResult<Revoked> {
                    let tokens: Vec<(String, i64)> = sqlx::query_as(
                        "SELECT jti, expires_at FROM revoked_tokens WHERE revoked_at >= $1 AND expires_at > $2 \
                         ORDER BY revoked_at LIMIT $3",
                    )
                    .bind(tokens_since)
                    .bind(self.now())
                    .bind(i64::try_from(max_tokens).unwrap_or(i64::MAX))
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    let grants: Vec<(String, i64)> =
                        sqlx::query_as("SELECT id, revoked_at FROM grants WHERE revoked_at >= $1 ORDER BY revoked_at")
                            .bind(grants_since)
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(Revoked { tokens, grants })
                }

                fn revocation_epoch(&self) -> u64 {
                    <Self as $crate::store::sql::Backend>::revocation_epoch(self)
                        .load(std::sync::atomic::Ordering::Acquire)
                }
            }
        };
    };
}
pub(crate) use revocation_store;
