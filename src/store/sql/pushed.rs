//! Shared SQL, part 10: [`crate::store::pushed::PushedRequests`] — pushed
//! authorization requests; a take is one `DELETE … RETURNING`.

/// Expands to the `PushedRequests` impl of `$store`. See [`crate::store::sql`].
macro_rules! pushed_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::pushed::PushedRequests;
            use $crate::store::sql::{Backend as _, db_err};

            #[async_trait::async_trait]
            impl PushedRequests for $store {
                async fn put_pushed(
                    &self,
                    uri_hash: &str,
                    client_id: &str,
                    params: &str,
                    expires_at: UnixTime,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO pushed_requests (uri_hash, client_id, params, expires_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(uri_hash)
                    .bind(client_id)
                    .bind(params)
                    .bind(expires_at)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn take_pushed(
                    &self,
                    uri_hash: &str,
                    client_id: &str,
                    now: UnixTime,
                ) -> StoreResult<Option<String>> {
                    let row: Option<(String,)> = sqlx::query_as(
                        "DELETE FROM pushed_requests WHERE uri_hash = $1 AND client_id = $2 AND expires_at > $3 \
                         RETURNING params",
                    )
                    .bind(uri_hash)
                    .bind(client_id)
                    .bind(now)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(row.map(|(v,)| v))
                }
            }
        };
    };
}
pub(crate) use pushed_store;
