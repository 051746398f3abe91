//! Shared SQL, part 2: [`crate::store::DirectoryStore`] (clients: `sql/clients.rs`; the
//! keys: `sql/keys.rs`).

/// A plain insert of an account (a unique violation is the caller's to handle).
pub(crate) const ACCOUNT_INSERT: &str = "INSERT INTO accounts (id, organisation_id, login, password_hash, role, \
     can_review_requests, surname, given_name, patronymic, birth_date, snils_hash, \
     match_key, class_id, email, phone, disabled, created_at, subject, name_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

/// The import's insert-or-update of an account by its id. The `subject` of an
/// existing account is never updated: relying parties keep the `sub` they know.
pub(crate) static ACCOUNT_UPSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{ACCOUNT_INSERT} ON CONFLICT (id) DO UPDATE SET organisation_id = excluded.organisation_id, \
         login = excluded.login, password_hash = excluded.password_hash, role = excluded.role, \
         can_review_requests = excluded.can_review_requests, surname = excluded.surname, \
         given_name = excluded.given_name, patronymic = excluded.patronymic, \
         birth_date = excluded.birth_date, snils_hash = excluded.snils_hash, \
         match_key = excluded.match_key, class_id = excluded.class_id, \
         email = excluded.email, phone = excluded.phone, disabled = excluded.disabled, \
         name_key = excluded.name_key"
    )
});

/// Expands to the `DirectoryStore` impl of `$store`.
/// See [`crate::store::sql`] for how to read it.
macro_rules! directory_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::sql::{self, Backend as _, db_err, try_map};
            use $crate::store::*;

            impl $store {
                /// Inserts `a`, or updates the account with its id (the import); with
                /// `upsert` false a plain insert, failing with `Conflict` when the id or
                /// the login is taken (staff creating an account).
                async fn write_account_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    a: &Account,
                    upsert: bool,
                ) -> StoreResult<()> {
                    let sql =
                        if upsert { sql::directory::ACCOUNT_UPSERT.as_str() } else { sql::directory::ACCOUNT_INSERT };
                    sqlx::query(sql)
                        .bind(&a.id)
                        .bind(&a.organisation_id)
                        .bind(&a.login)
                        .bind(&a.password_hash)
                        .bind(a.role.as_str())
                        .bind(a.can_review_requests)
                        .bind(&a.surname)
                        .bind(&a.given_name)
                        .bind(a.patronymic.as_deref())
                        .bind(&a.birth_date)
                        .bind(a.snils_hash.as_deref())
                        .bind(&a.match_key)
                        .bind(a.class_id.as_deref())
                        .bind(a.email.as_deref())
                        .bind(a.phone.as_deref())
                        .bind(a.disabled)
                        .bind(a.created_at)
                        .bind(&a.subject)
                        .bind($crate::account::names_key::name_key(&a.surname, &a.given_name, a.patronymic.as_deref()))
                        .execute(&mut **tx)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl DirectoryStore for $store {
                async fn import_directory(&self, batch: &DirectoryBatch, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    for o in &batch.organisations {
                        sqlx::query(
                            "INSERT INTO organisations (id, kind, region, municipality, locality, org_type, name) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, region = excluded.region, \
                             municipality = excluded.municipality, locality = excluded.locality, \
                             org_type = excluded.org_type, name = excluded.name",
                        )
                        .bind(&o.id)
                        .bind(o.kind.as_str())
                        .bind(&o.region)
                        .bind(&o.municipality)
                        .bind(&o.locality)
                        .bind(&o.org_type)
                        .bind(&o.name)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    for c in &batch.classes {
                        sqlx::query(
                            "INSERT INTO classes (id, organisation_id, name) VALUES ($1, $2, $3) \
                             ON CONFLICT (id) DO UPDATE SET organisation_id = excluded.organisation_id, \
                             name = excluded.name",
                        )
                        .bind(&c.id)
                        .bind(&c.organisation_id)
                        .bind(&c.name)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    for a in &batch.accounts {
                        // Upsert by id; a clash on (organisation_id, login) with another
                        // id is a unique violation that aborts the whole batch.
                        self.write_account_in(&mut tx, a, true).await?;
                    }
                    for r in &batch.relations {
                        sqlx::query(
                            "INSERT INTO relations (parent_id, child_id, confirmed_via_esia) VALUES ($1, $2, $3) \
                             ON CONFLICT (parent_id, child_id) DO NOTHING",
                        )
                        .bind(&r.parent_id)
                        .bind(&r.child_id)
                        .bind(r.confirmed_via_esia)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    self.commit_with_audit(tx, audit).await
                }

                async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
                    let rows: Vec<sql::OrganisationRow> =
                        sqlx::query_as("SELECT * FROM organisations ORDER BY name, id")
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    try_map(rows)
                }

                async fn organisation(&self, id: &str) -> StoreResult<Option<Organisation>> {
                    let row: Option<sql::OrganisationRow> = sqlx::query_as("SELECT * FROM organisations WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    row.map(TryInto::try_into).transpose()
                }

                async fn classes(&self, organisation_id: &str) -> StoreResult<Vec<Class>> {
                    let rows: Vec<sql::ClassRow> =
                        sqlx::query_as("SELECT * FROM classes WHERE organisation_id = $1 ORDER BY name, id")
                            .bind(organisation_id)
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn all_classes(&self) -> StoreResult<Vec<Class>> {
                    let rows: Vec<sql::ClassRow> =
                        sqlx::query_as("SELECT * FROM classes ORDER BY organisation_id, name, id")
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn class(&self, id: &str) -> StoreResult<Option<Class>> {
                    let row: Option<sql::ClassRow> = sqlx::query_as("SELECT * FROM classes WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    Ok(row.map(Into::into))
                }

                async fn account(&self, id: &str) -> StoreResult<Option<Account>> {
                    let row: Option<sql::AccountRow> = sqlx::query_as("SELECT * FROM accounts WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    row.map(TryInto::try_into).transpose()
                }

                async fn account_by_login(&self, organisation_id: &str, login: &str) -> StoreResult<Option<Account>> {
                    let row: Option<sql::AccountRow> =
                        sqlx::query_as("SELECT * FROM accounts WHERE organisation_id = $1 AND login = $2")
                            .bind(organisation_id)
                            .bind(login)
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    row.map(TryInto::try_into).transpose()
                }

                async fn accounts_by_match_key(&self, match_key: &str, role: Role) -> StoreResult<Vec<Account>> {
                    let rows: Vec<sql::AccountRow> =
                        sqlx::query_as("SELECT * FROM accounts WHERE match_key = $1 AND role = $2 ORDER BY id")
                            .bind(match_key)
                            .bind(role.as_str())
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    try_map(rows)
                }

                async fn set_password_hash(&self, account_id: &str, phc: &str, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let changed = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                        .bind(phc)
                        .bind(account_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    if changed == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.commit_with_audit(tx, audit).await
                }

                async fn children(&self, parent_id: &str) -> StoreResult<Vec<Relation>> {
                    let rows: Vec<sql::RelationRow> =
                        sqlx::query_as("SELECT * FROM relations WHERE parent_id = $1 ORDER BY child_id")
                            .bind(parent_id)
                            .fetch_all(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
                    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)
                }

                async fn put_setting(&self, key: &str, value: &str, audit: Option<&AuditEvent>) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO settings (key, value) VALUES ($1, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    match audit {
                        Some(event) => self.commit_with_audit(tx, event).await,
                        None => tx.commit().await.map_err(db_err),
                    }
                }
            }
        };
    };
}
pub(crate) use directory_store;
