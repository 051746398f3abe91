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

            #[async_trait::async_trait]
            impl RoleStore for $store {
                async fn grant_role(&self, r: &RoleRow, audit: &AuditEvent) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let added = sqlx::query(
                        "INSERT INTO staff_roles (account_id, role, organisation_id, granted_at, granted_by) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
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

                async fn revoke_role(
                    &self,
                    account_id: &str,
                    role: &str,
                    organisation_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let removed = sqlx::query(
                        "DELETE FROM staff_roles WHERE account_id = $1 AND role = $2 AND organisation_id = $3",
                    )
                    .bind(account_id)
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

                async fn roles_of(&self, account_id: &str) -> StoreResult<Vec<RoleRow>> {
                    let rows: Vec<RoleRowTuple> = sqlx::query_as(
                        "SELECT account_id, role, organisation_id, granted_at, granted_by FROM staff_roles \
                         WHERE account_id = $1 ORDER BY role, organisation_id",
                    )
                    .bind(account_id)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(role_of).collect())
                }

                async fn all_roles(&self) -> StoreResult<Vec<RoleRow>> {
                    let rows: Vec<RoleRowTuple> = sqlx::query_as(
                        "SELECT account_id, role, organisation_id, granted_at, granted_by FROM staff_roles \
                         ORDER BY account_id, role, organisation_id",
                    )
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(role_of).collect())
                }

                async fn grant_client_role(&self, r: &RoleRow, audit: &AuditEvent) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let added = sqlx::query(
                        "INSERT INTO client_admin_roles (client_id, role, organisation_id, granted_at, granted_by) \
                         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM clients WHERE id = $1) \
                         ON CONFLICT DO NOTHING",
                    )
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

                async fn revoke_client_role(
                    &self,
                    client_id: &str,
                    role: &str,
                    organisation_id: &str,
                    audit: &AuditEvent,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let removed = sqlx::query(
                        "DELETE FROM client_admin_roles WHERE client_id = $1 AND role = $2 AND organisation_id = $3",
                    )
                    .bind(client_id)
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

                async fn client_admin_roles(&self, client_id: &str) -> StoreResult<Vec<RoleRow>> {
                    let rows: Vec<RoleRowTuple> = sqlx::query_as(
                        "SELECT client_id, role, organisation_id, granted_at, granted_by FROM client_admin_roles \
                         WHERE client_id = $1 ORDER BY role, organisation_id",
                    )
                    .bind(client_id)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(role_of).collect())
                }
            }
        };
    };
}
pub(crate) use role_store;
