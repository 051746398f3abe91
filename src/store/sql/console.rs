//! Shared SQL: [`crate::store::console::AccountConsole`] — the console's search of
//! accounts by `name_key` or login, an account's sessions and grants, and the
//! administrator's changes (each one transaction with its audit event); and the
//! filling of `name_key` for rows from before migration 0017.

use crate::store::console::AccountSearch;

/// Rows whose `name_key` is filled per transaction after migrating.
pub(crate) const FILL_BATCH: i64 = 500;

/// A `LIKE` pattern matching strings that start with `s` (`\` escapes).
fn prefix_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The search's statement and its text values in order (`$1`…); the limit is bound
/// last, as `$n+1`. `None` when it can find nothing (no organisation to search).
pub(crate) fn search_sql(search: &AccountSearch<'_>) -> Option<(String, Vec<String>)> {
    let mut values: Vec<String> = Vec::new();
    let next = |values: &mut Vec<String>, v: String| {
        values.push(v);
        format!("${}", values.len())
    };
    let mut conditions = Vec::new();
    if let Some(orgs) = search.organisations {
        if orgs.is_empty() {
            return None;
        }
        let list: Vec<String> = orgs.iter().map(|o| next(&mut values, o.clone())).collect();
        conditions.push(format!("organisation_id IN ({})", list.join(", ")));
    }
    let mut either = Vec::new();
    if !search.words.is_empty() {
        let words: Vec<String> = search
            .words
            .iter()
            .map(|w| {
                let first = next(&mut values, prefix_pattern(w));
                let later = next(&mut values, format!("% {}", prefix_pattern(w)));
                format!("(name_key LIKE {first} ESCAPE '\\' OR name_key LIKE {later} ESCAPE '\\')")
            })
            .collect();
        either.push(format!("({})", words.join(" AND ")));
    }
    if !search.login.is_empty() {
        let p = next(&mut values, prefix_pattern(search.login));
        either.push(format!("lower(login) LIKE {p} ESCAPE '\\'"));
    }
    if !either.is_empty() {
        conditions.push(format!("({})", either.join(" OR ")));
    }
    // Keyset paging: strictly after the previous page's last account, in the ORDER BY's
    // terms (a row value compares column by column, with the columns' collation).
    if let Some(after) = search.after {
        let name = next(&mut values, after.name_key.clone());
        let login = next(&mut values, after.login.clone());
        let id = next(&mut values, after.id.clone());
        conditions.push(format!("(name_key, login, id) > ({name}, {login}, {id})"));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let limit = format!("${}", values.len() + 1);
    Some((format!("SELECT * FROM accounts{filter} ORDER BY name_key, login, id LIMIT {limit}"), values))
}

/// Expands to the `AccountConsole` impl of `$store` and its `fill_name_keys`.
/// See [`crate::store::sql`].
macro_rules! console_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::console::{AccountConsole, AccountSearch, Disabled};
            use $crate::store::sql::{self, Backend as _, GrantFilter, db_err, try_map};
            use $crate::store::*;

            impl $store {
                /// Fills `accounts.name_key` where it is NULL (rows from before migration
                /// 0017), [`sql::console::FILL_BATCH`] rows per transaction.
                pub(crate) async fn fill_name_keys(&self) -> StoreResult<u64> {
                    let mut filled = 0;
                    loop {
                        let mut tx = self.begin_write().await.map_err(db_err)?;
                        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
                            "SELECT id, surname, given_name, patronymic FROM accounts WHERE name_key IS NULL LIMIT $1",
                        )
                        .bind(sql::console::FILL_BATCH)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                        if rows.is_empty() {
                            return Ok(filled);
                        }
                        for (id, surname, given, patronymic) in &rows {
                            let key = $crate::account::names_key::name_key(surname, given, patronymic.as_deref());
                            sqlx::query("UPDATE accounts SET name_key = $1 WHERE id = $2")
                                .bind(key)
                                .bind(id)
                                .execute(&mut *tx)
                                .await
                                .map_err(db_err)?;
                        }
                        tx.commit().await.map_err(db_err)?;
                        filled += rows.len() as u64;
                    }
                }

                /// Deletes every session of the account inside `tx`; how many.
                async fn end_sessions_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    account_id: &str,
                ) -> Result<u64, sqlx::Error> {
                    Ok(sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                        .bind(account_id)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected())
                }

                /// Spends the account's unused codes (of one client) inside `tx`, so
                /// none becomes a grant after a revocation.
                async fn spend_codes_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    account_id: &str,
                    client: Option<&str>,
                ) -> Result<(), sqlx::Error> {
                    sqlx::query(
                        "UPDATE codes SET consumed_at = $1 WHERE account_id = $2 AND consumed_at IS NULL \
                         AND ($3 IS NULL OR client_id = $3)",
                    )
                    .bind(self.now())
                    .bind(account_id)
                    .bind(client)
                    .execute(&mut **tx)
                    .await?;
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl AccountConsole for $store {
                async fn search_accounts(&self, search: &AccountSearch<'_>) -> StoreResult<Vec<Account>> {
                    let Some((statement, values)) = sql::console::search_sql(search) else {
                        return Ok(Vec::new());
                    };
                    // Built from constant text and numbered placeholders only; every value is bound.
                    let mut query = sqlx::query_as::<_, sql::AccountRow>(sqlx::AssertSqlSafe(statement));
                    for v in values {
                        query = query.bind(v);
                    }
                    let rows = query.bind(search.limit).fetch_all(self.pool()).await.map_err(db_err)?;
                    try_map(rows)
                }

                async fn sessions_of_account(&self, account_id: &str) -> StoreResult<Vec<Session>> {
                    let rows: Vec<sql::SessionRow> = sqlx::query_as(
                        "SELECT s.* FROM sessions s WHERE s.account_id = $1 AND s.expires_at > $2 \
                         AND (s.upstream_subject IS NULL OR EXISTS (SELECT 1 FROM upstream_links l \
                         WHERE l.issuer = s.upstream_issuer AND l.subject = s.upstream_subject \
                         AND l.account_id = s.account_id)) ORDER BY s.created_at DESC, s.id_hash",
                    )
                    .bind(account_id)
                    .bind(self.now())
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn live_grants_of_account(&self, account_id: &str) -> StoreResult<Vec<Grant>> {
                    let rows: Vec<sql::GrantRow> = sqlx::query_as(
                        "SELECT * FROM grants WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
                         ORDER BY client_id, created_at DESC, id",
                    )
                    .bind(account_id)
                    .bind(self.now())
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn end_sessions_of_account(&self, account_id: &str, audit: &AuditEvent) -> StoreResult<u64> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // Each session's clients hear of it (back-channel logout), with its sid.
                    let hashes: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    for hash in &hashes {
                        self.insert_logouts_in(&mut tx, logout::LogoutScope::Session(hash)).await.map_err(db_err)?;
                    }
                    let ended = self.end_sessions_in(&mut tx, account_id).await.map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await?;
                    Ok(ended)
                }

                async fn revoke_grants_of_account(
                    &self,
                    account_id: &str,
                    client: Option<&str>,
                    audit: &AuditEvent,
                ) -> StoreResult<u64> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    self.spend_codes_in(&mut tx, account_id, client).await.map_err(db_err)?;
                    let (filter, scope) = match client {
                        Some(c) => (
                            GrantFilter::AccountClient(account_id, c),
                            logout::LogoutScope::AccountClient(account_id, c),
                        ),
                        None => (GrantFilter::Account(account_id), logout::LogoutScope::Account(account_id)),
                    };
                    self.insert_logouts_in(&mut tx, scope).await.map_err(db_err)?;
                    let revoked = self.revoke_grants_in(&mut tx, filter).await.map_err(db_err)?;
                    self.commit_revoking(tx, audit).await?;
                    Ok(revoked)
                }

                async fn set_account_disabled(
                    &self,
                    account_id: &str,
                    disabled: bool,
                    audit: &AuditEvent,
                ) -> StoreResult<Disabled> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let changed = sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2 AND disabled <> $1")
                        .bind(disabled)
                        .bind(account_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected()
                        == 1;
                    if !changed {
                        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = $1")
                            .bind(account_id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        if exists == 0 {
                            return Err(StoreError::NotFound);
                        }
                    }
                    let mut out = Disabled { changed, sessions_ended: 0, grants_revoked: 0 };
                    if disabled {
                        // Every client of the account hears of it (back-channel logout), read
                        // before the sessions and grants below end.
                        let scope = logout::LogoutScope::Account(account_id);
                        self.insert_logouts_in(&mut tx, scope).await.map_err(db_err)?;
                        out.sessions_ended = self.end_sessions_in(&mut tx, account_id).await.map_err(db_err)?;
                        self.spend_codes_in(&mut tx, account_id, None).await.map_err(db_err)?;
                        let filter = GrantFilter::Account(account_id);
                        out.grants_revoked = self.revoke_grants_in(&mut tx, filter).await.map_err(db_err)?;
                    }
                    self.commit_revoking(tx, audit).await?;
                    Ok(out)
                }
            }
        };
    };
}
pub(crate) use console_store;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::console::SearchKey;

    #[test]
    fn search_statements_bind_every_value_in_order() {
        let orgs = ["o1".to_owned(), "o2".to_owned()];
        let words = ["ив".to_owned(), "ма".to_owned()];
        let s = AccountSearch { organisations: Some(&orgs), words: &words, login: "iv_", limit: 50, after: None };
        let (sql, values) = search_sql(&s).unwrap_or_default();
        assert_eq!(values, ["o1", "o2", "ив%", "% ив%", "ма%", "% ма%", "iv\\_%"]);
        assert!(sql.contains("organisation_id IN ($1, $2)"), "{sql}");
        assert!(sql.ends_with("LIMIT $8"), "{sql}");
        let key = SearchKey { name_key: "иванова мария".into(), login: "m".into(), id: "a-1".into() };
        let paged = AccountSearch { after: Some(&key), ..s };
        let (sql, values) = search_sql(&paged).unwrap_or_default();
        assert_eq!(values[7..], ["иванова мария", "m", "a-1"]);
        assert!(sql.contains("(name_key, login, id) > ($8, $9, $10)"), "{sql}");
        assert!(sql.ends_with("ORDER BY name_key, login, id LIMIT $11"), "{sql}");
        let everyone = AccountSearch { organisations: None, words: &[], login: "", limit: 5, after: None };
        assert_eq!(search_sql(&everyone).map(|(s, v)| (s.contains("WHERE"), v.len())), Some((false, 0)));
        let nowhere = AccountSearch { organisations: Some(&[]), words: &words, login: "", limit: 5, after: None };
        assert!(search_sql(&nowhere).is_none());
    }
}
