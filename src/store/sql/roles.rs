//! Shared SQL: [`crate::store::roles::RoleStore`] — staff roles, each change one
//! statement and its audit event in one transaction; clients' admin roles
//! (`client_admin_roles`) alike.

/// `account_id`, `role`, `organisation_id`, `granted_at`, `granted_by` as stored.
pub(crate) type RoleRowTuple = (String, String, String, i64, String);

pub(crate) fn role_of(
    (account_id, role, organisation_id, granted_at, granted_by): RoleRowTuple,
) -> crate::store::roles::RoleRow {
    crate::store::roles::RoleRow { account_id, role, organisation_id, granted_at, granted_by }
}

/// Expands to the `RoleStore` impl of `$store`. See [`crate::store::sql`].
macro_rules! role_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::StoreResult;
            use $crate::store::roles::{RoleRow, RoleStore};
            use $crate::store::sql::roles::{RoleRowTuple, role_of};
            use $crate::store::sql::{Backend as _, db_err};

            impl $store {
                /// Runs `sql`, an INSERT of one role row (`$1`…`$5` in [`RoleRow`]'s order),
                /// and commits it with `audit` when it added the row. Whether it did.
                async fn insert_role(&self, sql: &'static str, r: &RoleRow, audit: &AuditEvent) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let added = sqlx::query(sql)
                        .bind(&r.account_id)
                        .bind(&r.role)
                        .bind(&r.organisation_id)
                        .bind(r.granted_at)
                        .bind(&r.granted_by)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    if added == 0 {
                        return Ok(false);
                    }
                    self.commit_with_audit(tx, audit).await?;
                    Ok(true)
                }

                /// Runs `sql`, a DELETE of the row of (holder, role, organisation) as `$1`…`$3`,
                /// and commits it with `audit` when it removed the row. Whether it did.
                async fn delete_role(
                    &self,
                    sql: &'static str,
                    (holder, role, organisation_id): (&str, &str, &str),
                    audit: &AuditEvent,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let removed = sqlx::query(sql)
                        .bind(holder)
                        .bind(role)
                        .bind(organisation_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    if removed == 0 {
                        return Ok(false);
                    }
                    self.commit_with_audit(tx, audit).await?;
                    Ok(true)
                }

                /// The role rows `sql` selects, with `holder` as `$1` when given.
                async fn select_roles(&self, sql: &'static str, holder: Option<&str>) -> StoreResult<Vec<RoleRow>> {
                    let mut q = sqlx::query_as::<_, RoleRowTuple>(sql);
                    if let Some(h) = holder {
                        q = q.bind(h);
                    }
                    let rows = q.fetch_all(self.pool()).await.map_err(db_err)?;
                    Ok(rows.into_iter().map(role_of).collect())
                }
            }

            #[async_trait::async_trait]
            impl RoleStore for $store {
                async fn grant_role(&self, r: &RoleRow, audit: &AuditEvent) -> StoreResult<bool> {
                    let sql = "INSERT INTO staff_roles (account_id, role, organisation_id, granted_at, granted_by) \
                               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
                    self.insert_role(sql, r, audit).await
                }

                async fn revoke_role(
                    &self,
                    account_id: &str,
                    role: &str,
                    organisation_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<bool> {
                    let sql = "DELETE FROM staff_roles WHERE account_id = $1 AND role = $2 AND organisation_id = $3";
                    self.delete_role(sql, (account_id, role, organisation_id), audit).await
                }

                async fn roles_of(&self, account_id: &str) -> StoreResult<Vec<RoleRow>> {
                    let sql = "SELECT account_id, role, organisation_id, granted_at, granted_by FROM staff_roles \
                               WHERE account_id = $1 ORDER BY role, organisation_id";
                    self.select_roles(sql, Some(account_id)).await
                }

                async fn all_roles(&self) -> StoreResult<Vec<RoleRow>> {
                    let sql = "SELECT account_id, role, organisation_id, granted_at, granted_by FROM staff_roles \
                               ORDER BY account_id, role, organisation_id";
                    self.select_roles(sql, None).await
                }

                async fn grant_client_role(&self, r: &RoleRow, audit: &AuditEvent) -> StoreResult<bool> {
                    // An unknown client adds nothing (false), never a foreign-key error.
                    let sql = "INSERT INTO client_admin_roles (client_id, role, organisation_id, granted_at, granted_by) \
                               SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1) \
                               ON CONFLICT DO NOTHING";
                    self.insert_role(sql, r, audit).await
                }

                async fn revoke_client_role(
                    &self,
                    client_id: &str,
                    role: &str,
                    organisation_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<bool> {
                    let sql = "DELETE FROM client_admin_roles WHERE client_id = $1 AND role = $2 AND organisation_id = $3";
                    self.delete_role(sql, (client_id, role, organisation_id), audit).await
                }

                async fn client_admin_roles(&self, client_id: &str) -> StoreResult<Vec<RoleRow>> {
                    let sql = "SELECT client_id, role, organisation_id, granted_at, granted_by FROM client_admin_roles \
                               WHERE client_id = $1 ORDER BY role, organisation_id";
                    self.select_roles(sql, Some(client_id)).await
                }
            }
        };
    };
}
pub(crate) use role_store;
