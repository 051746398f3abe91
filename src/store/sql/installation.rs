//! Shared SQL, part 9: [`crate::store::installation::InstallationStore`] — the
//! installation row and the migrations applied.

use crate::store::installation::SchemaState;

/// Compares the versions applied to a database with the binary's migrations.
pub(crate) fn schema_state(migrator: &sqlx::migrate::Migrator, applied: &[i64]) -> SchemaState {
    let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    SchemaState {
        pending: migrator
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{:04}_{}", m.version, m.description.replace(' ', "_")))
            .collect(),
        newer: applied.iter().copied().filter(|v| !known.contains(v)).collect(),
    }
}

/// The binary's migrations, accepting a database that has more: a node of the older
/// release keeps running (and restarting) while a newer one has migrated the shared
/// database, since every migration is additive (docs/deployment.md, upgrades).
pub(crate) fn tolerant(m: &sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    sqlx::migrate::Migrator {
        migrations: m.migrations.clone(),
        ignore_missing: true,
        locking: m.locking,
        no_tx: m.no_tx,
        table_name: m.table_name.clone(),
        create_schemas: m.create_schemas.clone(),
    }
}

/// Expands to the `InstallationStore` impl of `$store`. See [`crate::store::sql`].
macro_rules! installation_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::store::installation::{InstallationStore, SchemaState};
            use $crate::store::sql::{Backend as _, db_err};
            use $crate::store::{StoreError, StoreResult};

            #[async_trait::async_trait]
            impl InstallationStore for $store {
                async fn claim_installation(&self, fingerprint: &str) -> StoreResult<String> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO installation (id, key_fingerprint, created_at) VALUES (1, $1, $2) \
                         ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(fingerprint)
                    .bind(self.now())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    let (stored,): (String,) = sqlx::query_as("SELECT key_fingerprint FROM installation WHERE id = 1")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(stored)
                }

                async fn installation_fingerprint(&self) -> StoreResult<Option<String>> {
                    let row: Option<(String,)> =
                        sqlx::query_as("SELECT key_fingerprint FROM installation WHERE id = 1")
                            .fetch_optional(self.pool())
                            .await
                            .map_err(db_err)?;
                    Ok(row.map(|(f,)| f))
                }

                async fn schema_state(&self) -> StoreResult<SchemaState> {
                    let applied: Vec<(i64,)> =
                        match sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                            .fetch_all(self.pool())
                            .await
                        {
                            Ok(rows) => rows,
                            Err(e) => match db_err(e) {
                                // No migrations table: a database never migrated.
                                StoreError::Backend(_) => Vec::new(),
                                other => return Err(other),
                            },
                        };
                    let applied: Vec<i64> = applied.into_iter().map(|(v,)| v).collect();
                    Ok($crate::store::sql::installation::schema_state(Self::migrator(), &applied))
                }
            }
        };
    };
}
pub(crate) use installation_store;
