//! Shared SQL: [`crate::store::seen::SeenOnce`] — single-use identifiers seen; one
//! `INSERT … ON CONFLICT DO NOTHING` into the kind's table decides by its affected-row
//! count.

/// Expands to the `SeenOnce` impl of `$store`. See [`crate::store::sql`].
macro_rules! seen_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::seen::{Seen, SeenOnce};
            use $crate::store::sql::{Backend as _, db_err};

            #[async_trait::async_trait]
            impl SeenOnce for $store {
                async fn record_once(&self, kind: Seen, jti_hash: &str, expires_at: UnixTime) -> StoreResult<bool> {
                    // The table name is one of `Seen::table`'s constants.
                    let sql = format!(
                        "INSERT INTO {} (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT (jti_hash) DO NOTHING",
                        kind.table()
                    );
                    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
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
pub(crate) use seen_store;
