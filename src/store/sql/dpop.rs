//! Shared SQL, part 11: [`crate::store::dpop::DpopProofs`] — the DPoP proofs seen;
//! one `INSERT … ON CONFLICT DO NOTHING` decides by its affected-row count.

/// Expands to the `DpopProofs` impl of `$store`. See [`crate::store::sql`].
macro_rules! dpop_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::dpop::DpopProofs;
            use $crate::store::sql::{Backend as _, db_err};

            #[async_trait::async_trait]
            impl DpopProofs for $store {
                async fn record_dpop_proof(&self, jti_hash: &str, expires_at: UnixTime) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO dpop_proofs (jti_hash, expires_at) VALUES ($1, $2) \
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
pub(crate) use dpop_store;
