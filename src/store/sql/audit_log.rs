//! Shared SQL of the audit log: [`crate::store::AuditStore`] and the helper every
//! audited write ends with.
//!
//! An event is written in the transaction of the change it records, into
//! `audit_pending` (no lock, one multi-row INSERT). Linking it into the hash chain
//! is deferred: [`crate::store::AuditStore::chain_pending`] moves pending rows into
//! `audit_events` under the `audit_head` lock, oldest id first, a batch per
//! transaction. So a write no longer holds the head's row lock through its own
//! commit (on PostgreSQL, through a WAL flush), and many writers commit at once.
//! Standalone events (`append_audit`) go the same way, group-committed. Pending ids
//! are taken in order, so events written one after another are chained in that order.
//! What a crash can lose is unchanged: an event is durable exactly when its change
//! is. Every reader of the log chains what is pending first, so it sees every
//! committed event. The design and its window are in docs/audit.md.

/// The most pending rows linked in one transaction.
pub(crate) const CHAIN_BATCH: i64 = 500;

/// Expands to the audit helpers of `$store` and its `AuditStore` impl. See
/// [`crate::store::sql`] for how to read it.
macro_rules! audit_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::{AuditEvent, AuditRecord};
            use $crate::store::sql::{self, Backend as _, db_err};
            use $crate::store::*;

            impl $store {
                /// Writes `events`, in order, to `audit_pending` inside `tx`: one
                /// statement, no lock; each row carries its MAC.
                async fn append_audit_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    events: &[AuditEvent],
                ) -> Result<(), sqlx::Error> {
                    if events.is_empty() {
                        return Ok(());
                    }
                    let at = self.now();
                    let rows: Vec<(String, String, String)> = events
                        .iter()
                        .map(|event| {
                            let (kind, data) = (event.kind(), event.to_json());
                            let mac = $crate::audit::pending_mac(self.chain_key(), at, &kind, &data);
                            (kind, data, mac)
                        })
                        .collect();
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO audit_pending (at, kind, data, mac) ");
                    insert.push_values(rows, |mut row, (kind, data, mac)| {
                        row.push_bind(at).push_bind(kind).push_bind(data).push_bind(mac);
                    });
                    insert.build().execute(&mut **tx).await?;
                    Ok(())
                }

                /// Links up to [`sql::audit_log::CHAIN_BATCH`] pending rows into the chain in
                /// one transaction under the head's lock: reads the head, takes the rows
                /// oldest id first, links each to the one before, writes them in one
                /// multi-row INSERT and moves the head. Returns how many it linked.
                /// A row whose MAC fails stops the batch (nothing of it is written).
                async fn chain_batch(&self) -> StoreResult<usize> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let (mut seq, mut prev_hash): (i64, String) =
                        sqlx::query_as(Self::AUDIT_HEAD_SQL).fetch_one(&mut *tx).await.map_err(db_err)?;
                    let mut pending: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
                        "DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT $1) \
                         RETURNING id, at, kind, data, mac",
                    )
                    .bind(sql::audit_log::CHAIN_BATCH)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if pending.is_empty() {
                        return Ok(0);
                    }
                    // RETURNING gives no order.
                    pending.sort_unstable_by_key(|row| row.0);
                    let mut rows = Vec::with_capacity(pending.len());
                    for (id, at, kind, data, mac) in pending {
                        let expected = $crate::audit::pending_mac(self.chain_key(), at, &kind, &data);
                        if !$crate::crypto::ct_eq(expected.as_bytes(), mac.as_bytes()) {
                            return Err(StoreError::Backend(anyhow::anyhow!(
                                "audit_pending row {id} does not match its MAC: it was changed outside propusk; \
                                 the chain stops before it (docs/audit.md)"
                            )));
                        }
                        seq += 1;
                        let hash = $crate::audit::chain_hash(self.chain_key(), &prev_hash, seq, at, &kind, &data);
                        rows.push((seq, at, kind, data, std::mem::replace(&mut prev_hash, hash.clone()), hash));
                    }
                    let linked = rows.len();
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit_events (seq, at, kind, data, prev_hash, hash) ",
                    );
                    insert.push_values(rows, |mut row, (seq, at, kind, data, prev, hash)| {
                        row.push_bind(seq)
                            .push_bind(at)
                            .push_bind(kind)
                            .push_bind(data)
                            .push_bind(prev)
                            .push_bind(hash);
                    });
                    insert.build().execute(&mut *tx).await.map_err(db_err)?;
                    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                        .bind(seq)
                        .bind(&prev_hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(linked)
                }
            }

            #[async_trait::async_trait]
            impl AuditStore for $store {
                async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
                    // Group commit (store/sql/group.rs): one transaction for every event queued.
                    self.audit_queue()
                        .append(event, |events| async move {
                            let mut tx = self.begin_write().await.map_err(db_err)?;
                            self.append_audit_in(&mut tx, &events).await.map_err(db_err)?;
                            tx.commit().await.map_err(db_err)
                        })
                        .await
                }

                async fn chain_pending(&self) -> StoreResult<u64> {
                    // A look without a transaction first: most calls find nothing, and
                    // an empty batch would take the head's lock for nothing.
                    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_pending)")
                        .fetch_one(self.pool())
                        .await
                        .map_err(db_err)?;
                    if !any {
                        return Ok(0);
                    }
                    let mut linked = 0;
                    loop {
                        let n = self.chain_batch().await?;
                        linked += n as u64;
                        if (n as i64) < sql::audit_log::CHAIN_BATCH {
                            return Ok(linked);
                        }
                    }
                }

                async fn audit_head(&self) -> StoreResult<(i64, String)> {
                    self.chain_pending().await?;
                    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                        .fetch_one(self.pool())
                        .await
                        .map_err(db_err)
                }

                async fn audit_records(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditRecord>> {
                    self.chain_pending().await?;
                    let rows: Vec<sql::AuditRow> =
                        sqlx::query_as("SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
                            .bind(after)
                            .bind(limit)
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn audit_anchor(&self) -> StoreResult<Option<String>> {
                    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                        .bind($crate::audit::retention::ANCHOR_SETTING)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)
                }

                async fn prune_audit(&self, p: &$crate::audit::retention::Prune<'_>) -> StoreResult<bool> {
                    use $crate::audit::retention::ANCHOR_SETTING;
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // The head's row lock (PostgreSQL; SQLite's write transaction) orders
                    // this prune after every other prune and every chaining.
                    let _: (i64, String) =
                        sqlx::query_as(Self::AUDIT_HEAD_SQL).fetch_one(&mut *tx).await.map_err(db_err)?;
                    let anchor: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                        .bind(ANCHOR_SETTING)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let hash: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
                        .bind(p.upto_seq)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if anchor.as_deref() != p.expected || hash.as_deref() != Some(p.upto_hash) {
                        return Ok(false);
                    }
                    sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
                        .bind(p.upto_seq)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO settings (key, value) VALUES ($1, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(ANCHOR_SETTING)
                    .bind(p.anchor)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_with_audit(tx, p.event).await?;
                    Ok(true)
                }
            }
        };
    };
}
pub(crate) use audit_store;
