//! Shared SQL: [`crate::store::logout::LogoutOutbox`], the back-channel logout
//! outbox, and `insert_logouts_in`, the helper store methods call inside their own
//! transaction to queue the logouts of the change they make.

use crate::store::logout::{LogoutNotice, LogoutScope};

/// Every column but `claimed_until`, in the order of [`LogoutRow`].
pub(crate) const LOGOUT_COLUMNS: &str =
    "id, client_id, account_id, sid, created_at, attempts, next_attempt_at, delivered_at, last_error";

#[derive(sqlx::FromRow)]
pub(crate) struct LogoutRow {
    id: String,
    client_id: String,
    account_id: String,
    sid: Option<String>,
    created_at: i64,
    attempts: i64,
    next_attempt_at: Option<i64>,
    delivered_at: Option<i64>,
    last_error: Option<String>,
}

impl From<LogoutRow> for LogoutNotice {
    fn from(r: LogoutRow) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            account_id: r.account_id,
            sid: r.sid,
            created_at: r.created_at,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            delivered_at: r.delivered_at,
            last_error: r.last_error,
        }
    }
}

/// The claim statement of `due_logouts`: `$1` = now, `$2` = lease end, `$3` = limit
/// (`lock` as in [`super::outbox::claim_sql`]).
pub(crate) fn claim_sql(lock: &str) -> String {
    format!(
        "UPDATE logout_outbox SET claimed_until = $2 WHERE id IN (\
         SELECT id FROM logout_outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND claimed_until <= $1 \
         ORDER BY next_attempt_at, created_at, id LIMIT $3 {lock}) RETURNING {LOGOUT_COLUMNS}"
    )
}

/// The clients of a session's grants, live or not: `$1` the session's id hash.
pub(crate) const SESSION_TARGETS_SQL: &str = "SELECT DISTINCT g.client_id, g.account_id FROM grants g \
     JOIN clients c ON c.id = g.client_id WHERE c.backchannel_logout_uri IS NOT NULL AND g.session_hash = $1";

/// The `sid` column of a session: `$1` its id hash.
pub(crate) const SESSION_SID_SQL: &str = "SELECT sid FROM sessions WHERE id_hash = $1";

/// The (client, session, `sid`) of of an account's live grants: `$1` account, `$2` now,
/// `$3` one client only (`''`: any), `$4` a session left out (`''`: none).
pub(crate) const GRANT_TARGETS_SQL: &str = "SELECT DISTINCT g.client_id, g.session_hash, s.sid FROM grants g \
     JOIN clients c ON c.id = g.client_id LEFT JOIN sessions s ON s.id_hash = g.session_hash WHERE c.backchannel_logout_uri IS NOT NULL AND g.account_id = $1 \
     AND g.revoked_at IS NULL AND g.expires_at > $2 AND ($3 = '' OR g.client_id = $3) \
     AND ($4 = '' OR g.session_hash IS NULL OR g.session_hash <> $4)";

/// The clients an account consented to: `$1` account, `$2` one client only (`''`: any).
pub(crate) const CONSENT_TARGETS_SQL: &str = "SELECT k.client_id FROM consents k \
     JOIN clients c ON c.id = k.client_id WHERE c.backchannel_logout_uri IS NOT NULL AND k.account_id = $1 \
     AND ($2 = '' OR k.client_id = $2)";

/// The `(account, only client, left-out session, with consents)` of an account scope.
pub(crate) fn account_filter<'a>(scope: &LogoutScope<'a>) -> Option<(&'a str, &'a str, &'a str, bool)> {
    match *scope {
        LogoutScope::Session(_) => None,
        LogoutScope::Account(a) => Some((a, "", "", true)),
        LogoutScope::AccountClient(a, c) => Some((a, c, "", true)),
        // A client whose only live grant is in the kept session keeps its session.
        LogoutScope::AccountExceptSession(a, s) => Some((a, "", s, false)),
    }
}

/// Expands to the `LogoutOutbox` impl of `$store` and its `insert_logouts_in`
/// helper. See [`crate::store::sql`] for how to read it.
macro_rules! logout_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::clock::UnixTime;
            use $crate::store::StoreResult;
            use $crate::store::logout::{LOGOUT_LEASE_SECS, LogoutNotice, LogoutOutbox, LogoutScope, public_sid};
            use $crate::store::sql::logout::{
                CONSENT_TARGETS_SQL, GRANT_TARGETS_SQL, LOGOUT_COLUMNS, LogoutRow, SESSION_SID_SQL,
                SESSION_TARGETS_SQL, account_filter, claim_sql,
            };
            use $crate::store::sql::{Backend as _, db_err};

            impl $store {
                /// Queues, inside `tx`, a logout notice for every client `scope`
                /// names (read in `tx`, so the notices match the change exactly).
                /// Call it before revoking the grants it reads. Returns how many.
                pub(crate) async fn insert_logouts_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    scope: LogoutScope<'_>,
                ) -> Result<usize, sqlx::Error> {
                    let now = self.now();
                    let mut notices = Vec::new();
                    if let LogoutScope::Session(hash) = scope {
                        let rows: Vec<(String, String)> =
                            sqlx::query_as(SESSION_TARGETS_SQL).bind(hash).fetch_all(&mut **tx).await?;
                        let stored: Option<Option<String>> =
                            sqlx::query_scalar(SESSION_SID_SQL).bind(hash).fetch_optional(&mut **tx).await?;
                        let sid = stored.flatten().unwrap_or_else(|| public_sid(hash));
                        for (client, account) in rows {
                            notices.push(LogoutNotice::new(now, &client, &account, Some(sid.clone())));
                        }
                    }
                    if let Some((account, client, except, consents)) = account_filter(&scope) {
                        let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(GRANT_TARGETS_SQL)
                            .bind(account)
                            .bind(now)
                            .bind(client)
                            .bind(except)
                            .fetch_all(&mut **tx)
                            .await?;
                        let mut told: Vec<String> = Vec::new();
                        for (client, session, stored) in rows {
                            let sid = stored.or_else(|| session.as_deref().map(public_sid));
                            notices.push(LogoutNotice::new(now, &client, account, sid));
                            if !told.contains(&client) {
                                told.push(client);
                            }
                        }
                        if consents {
                            let rows: Vec<(String,)> = sqlx::query_as(CONSENT_TARGETS_SQL)
                                .bind(account)
                                .bind(client)
                                .fetch_all(&mut **tx)
                                .await?;
                            for (client,) in rows.into_iter().filter(|(c,)| !told.contains(c)) {
                                notices.push(LogoutNotice::new(now, &client, account, None));
                            }
                        }
                    }
                    for n in &notices {
                        sqlx::query(
                            "INSERT INTO logout_outbox (id, client_id, account_id, sid, created_at, attempts, \
                             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(&n.id)
                        .bind(&n.client_id)
                        .bind(&n.account_id)
                        .bind(n.sid.as_deref())
                        .bind(n.created_at)
                        .bind(n.attempts)
                        .bind(n.next_attempt_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Ok(notices.len())
                }
            }

            #[async_trait::async_trait]
            impl LogoutOutbox for $store {
                async fn due_logouts(&self, limit: i64) -> StoreResult<Vec<LogoutNotice>> {
                    let lock = if <$store>::NAME == "postgres" { "FOR UPDATE SKIP LOCKED" } else { "" };
                    let now = self.now();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let rows: Vec<LogoutRow> = sqlx::query_as(sqlx::AssertSqlSafe(claim_sql(lock)))
                        .bind(now)
                        .bind(now.saturating_add(LOGOUT_LEASE_SECS))
                        .bind(limit.max(0))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    let mut due: Vec<LogoutNotice> = rows.into_iter().map(Into::into).collect();
                    // RETURNING has no order of its own.
                    due.sort_by(|a, b| {
                        (a.next_attempt_at, a.created_at, &a.id).cmp(&(b.next_attempt_at, b.created_at, &b.id))
                    });
                    Ok(due)
                }

                async fn mark_logout_delivered(&self, id: &str, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let changed = sqlx::query(
                        "UPDATE logout_outbox SET delivered_at = $1, claimed_until = 0 \
                         WHERE id = $2 AND delivered_at IS NULL",
                    )
                    .bind(self.now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if changed == 0 {
                        return Err($crate::store::StoreError::NotFound);
                    }
                    self.commit_with_audit(tx, audit).await
                }

                async fn mark_logout_failed(
                    &self,
                    id: &str,
                    error: &str,
                    next_attempt_at: Option<UnixTime>,
                    audit: Option<&AuditEvent>,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let changed = sqlx::query(
                        "UPDATE logout_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
                         claimed_until = 0 WHERE id = $3 AND delivered_at IS NULL",
                    )
                    .bind(error)
                    .bind(next_attempt_at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if changed == 0 {
                        return Err($crate::store::StoreError::NotFound);
                    }
                    match audit {
                        Some(event) => self.commit_with_audit(tx, event).await,
                        None => tx.commit().await.map_err(db_err),
                    }
                }

                async fn logouts_of_account(&self, account_id: &str) -> StoreResult<Vec<LogoutNotice>> {
                    let sql = format!(
                        "SELECT {LOGOUT_COLUMNS} FROM logout_outbox WHERE account_id = $1 ORDER BY created_at, id"
                    );
                    let rows: Vec<LogoutRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(account_id)
                        .fetch_all(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }
            }
        };
    };
}
pub(crate) use logout_store;
