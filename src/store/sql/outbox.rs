//! Shared SQL, part 5: [`crate::store::outbox::MailOutbox`], the mail outbox,
//! and `insert_mail_in`, the helper other store methods use to enqueue a message
//! inside their own transaction.

use crate::store::outbox::OutboxMessage;

/// Every column but `claimed_until`, in the order of [`OutboxRow`].
pub(crate) const OUTBOX_COLUMNS: &str =
    "id, to_addr, subject, text_body, html_body, created_at, attempts, next_attempt_at, sent_at, last_error";

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: String,
    to_addr: String,
    subject: String,
    text_body: String,
    html_body: String,
    created_at: i64,
    attempts: i64,
    next_attempt_at: Option<i64>,
    sent_at: Option<i64>,
    last_error: Option<String>,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            to: r.to_addr,
            subject: r.subject,
            text_body: r.text_body,
            html_body: r.html_body,
            created_at: r.created_at,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            sent_at: r.sent_at,
            last_error: r.last_error,
        }
    }
}

/// The claim statement of `due_mail`: `$1` = now, `$2` = lease end, `$3` = limit.
/// `lock` is `FOR UPDATE SKIP LOCKED` on PostgreSQL (concurrent claimers skip each
/// other's rows) and empty on SQLite (one writer at a time already).
pub(crate) fn claim_sql(lock: &str) -> String {
    format!(
        "UPDATE mail_outbox SET claimed_until = $2 WHERE id IN (\
         SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 AND claimed_until <= $1 \
         ORDER BY next_attempt_at, created_at, id LIMIT $3 {lock}) RETURNING {OUTBOX_COLUMNS}"
    )
}

/// Expands to the `MailOutbox` impl of `$store` and its `insert_mail_in` helper.
/// See [`crate::store::sql`] for how to read it.
macro_rules! outbox_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::outbox::{CLAIM_LEASE_SECS, MailOutbox, OutboxMessage};
            use $crate::store::sql::outbox::{OUTBOX_COLUMNS, OutboxRow, claim_sql};
            use $crate::store::sql::{Backend as _, db_err};

            impl $store {
                /// Inserts `msg` into the outbox inside `tx`: a store method that
                /// announces its change by email calls this before committing, so
                /// the message exists exactly when the change does.
                async fn insert_mail_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    msg: &OutboxMessage,
                ) -> Result<(), sqlx::Error> {
                    sqlx::query(
                        "INSERT INTO mail_outbox (id, to_addr, subject, text_body, html_body, created_at, \
                         attempts, next_attempt_at, sent_at, last_error) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&msg.id)
                    .bind(&msg.to)
                    .bind(&msg.subject)
                    .bind(&msg.text_body)
                    .bind(&msg.html_body)
                    .bind(msg.created_at)
                    .bind(msg.attempts)
                    .bind(msg.next_attempt_at)
                    .bind(msg.sent_at)
                    .bind(&msg.last_error)
                    .execute(&mut **tx)
                    .await?;
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl MailOutbox for $store {
                async fn enqueue_mail(&self, msg: &OutboxMessage, audit: Option<&AuditEvent>) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    self.insert_mail_in(&mut tx, msg).await.map_err(db_err)?;
                    match audit {
                        Some(event) => self.commit_with_audit(tx, event).await,
                        None => tx.commit().await.map_err(db_err),
                    }
                }

                async fn due_mail(&self, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
                    let lock = if <$store>::NAME == "postgres" { "FOR UPDATE SKIP LOCKED" } else { "" };
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(claim_sql(lock)))
                        .bind(now)
                        .bind(now.saturating_add(CLAIM_LEASE_SECS))
                        .bind(limit.max(0))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    let mut due: Vec<OutboxMessage> = rows.into_iter().map(Into::into).collect();
                    // RETURNING has no order of its own.
                    due.sort_by(|a, b| {
                        (a.next_attempt_at, a.created_at, &a.id).cmp(&(b.next_attempt_at, b.created_at, &b.id))
                    });
                    Ok(due)
                }

                async fn mark_mail_sent(&self, id: &str) -> StoreResult<()> {
                    let changed = sqlx::query(
                        "UPDATE mail_outbox SET sent_at = $1, claimed_until = 0 WHERE id = $2 AND sent_at IS NULL",
                    )
                    .bind(self.now())
                    .bind(id)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if changed == 0 && self.mail(id).await?.is_none() {
                        return Err($crate::store::StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn mark_mail_failed(
                    &self,
                    id: &str,
                    error: &str,
                    next_attempt_at: Option<UnixTime>,
                ) -> StoreResult<()> {
                    let changed = sqlx::query(
                        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
                         claimed_until = 0 WHERE id = $3 AND sent_at IS NULL",
                    )
                    .bind(error)
                    .bind(next_attempt_at)
                    .bind(id)
                    .execute(self.pool())
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if changed == 0 && self.mail(id).await?.is_none() {
                        return Err($crate::store::StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn mail(&self, id: &str) -> StoreResult<Option<OutboxMessage>> {
                    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id = $1");
                    let row: Option<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }
            }
        };
    };
}
pub(crate) use outbox_store;
