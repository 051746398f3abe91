//! Shared SQL, part 8: [`crate::store::limits::LimitStore`] — counters of
//! attempts, each hit one UPSERT that counts and returns the count.

/// `$1` key, `$2` now, `$3` the end of a window starting now. The SET expressions
/// read the row as it was, on both backends.
pub(crate) const HIT_SQL: &str = "INSERT INTO limit_counters (key, hits, window_end, locked_until) \
     VALUES ($1, 1, $3, 0) ON CONFLICT (key) DO UPDATE SET \
     hits = CASE WHEN limit_counters.window_end <= $2 AND limit_counters.locked_until <= $2 \
       THEN 1 ELSE limit_counters.hits + 1 END, \
     window_end = CASE WHEN limit_counters.window_end <= $2 AND limit_counters.locked_until <= $2 \
       THEN $3 ELSE limit_counters.window_end END \
     RETURNING hits, window_end, locked_until";

/// `hits`, `window_end`, `locked_until` as stored.
pub(crate) type CounterRow = (i64, i64, i64);

pub(crate) fn counter_of((hits, window_end, locked_until): CounterRow) -> crate::store::limits::Counter {
    crate::store::limits::Counter { hits: u32::try_from(hits).unwrap_or(u32::MAX), window_end, locked_until }
}

/// Expands to the `LimitStore` impl of `$store`. See [`crate::store::sql`].
macro_rules! limit_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::clock::UnixTime;
            use $crate::store::limits::{Counter, LimitStore};
            use $crate::store::sql::limits::{CounterRow, HIT_SQL, counter_of};
            use $crate::store::sql::{Backend as _, db_err};
            use $crate::store::{FlowRecord, StoreResult};

            #[async_trait::async_trait]
            impl LimitStore for $store {
                async fn hit(&self, key: &str, window_secs: i64) -> StoreResult<Counter> {
                    let now = self.now();
                    let row: CounterRow = sqlx::query_as(HIT_SQL)
                        .bind(key)
                        .bind(now)
                        .bind(now.saturating_add(window_secs))
                        .fetch_one(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(counter_of(row))
                }

                async fn counter(&self, key: &str) -> StoreResult<Counter> {
                    let row: Option<CounterRow> =
                        sqlx::query_as("SELECT hits, window_end, locked_until FROM limit_counters WHERE key = $1")
                            .bind(key)
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(row.map(counter_of).unwrap_or_default().at(self.now()))
                }

                async fn lock_counter(&self, key: &str, until: UnixTime) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO limit_counters (key, hits, window_end, locked_until) VALUES ($1, 0, $2, $3) \
                         ON CONFLICT (key) DO UPDATE SET hits = 0, window_end = $2, locked_until = $3",
                    )
                    .bind(key)
                    .bind(self.now())
                    .bind(until)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(())
                }

                async fn clear_hits(&self, key: &str) -> StoreResult<()> {
                    sqlx::query("UPDATE limit_counters SET hits = 0 WHERE key = $1")
                        .bind(key)
                        .execute(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                async fn put_flow_counted(
                    &self,
                    flow: &FlowRecord,
                    key: &str,
                    max: u32,
                    window_secs: i64,
                ) -> StoreResult<bool> {
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let row: CounterRow = sqlx::query_as(HIT_SQL)
                        .bind(key)
                        .bind(now)
                        .bind(now.saturating_add(window_secs))
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if counter_of(row).hits > max {
                        // The refused hit is still counted: a flood keeps its window full.
                        tx.commit().await.map_err(db_err)?;
                        return Ok(false);
                    }
                    sqlx::query("INSERT INTO flows (id, data, expires_at) VALUES ($1, $2, $3)")
                        .bind(&flow.id)
                        .bind(&flow.data)
                        .bind(flow.expires_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }
            }
        };
    };
}
pub(crate) use limit_store;
