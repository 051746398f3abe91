//! Shared SQL: [`crate::store::ClientStore`] — relying parties; a change is one
//! locked read-modify-write with its audit event.

/// Binds the 27 columns of a client `$c` to `$q` as `$1`…`$27`, in the order of the
/// INSERT's column list (the UPDATE uses the same numbers).
macro_rules! bind_client {
    ($q:expr, $c:expr) => {
        $q.bind(&$c.id)
            .bind($c.secret_hash.as_deref())
            .bind($c.auth_method.as_str())
            .bind(to_json_list(&$c.redirect_uris))
            .bind(to_json_list(&$c.post_logout_redirect_uris))
            .bind(to_json_list(&$c.grant_types))
            .bind(&$c.scope)
            .bind($c.consent.as_str())
            .bind(&$c.id_token_alg)
            .bind($c.access_token_ttl)
            .bind($c.id_token_ttl)
            .bind($c.refresh_token_ttl)
            .bind(&$c.subject_type)
            .bind($c.created_at)
            .bind($c.updated_at)
            .bind($c.sector_identifier_uri.as_deref())
            .bind(to_json_list(&$c.resources))
            .bind($c.display_name.as_deref())
            .bind($c.previous_secret_hash.as_deref())
            .bind($c.previous_secret_until)
            .bind($c.require_pushed_authorization_requests)
            .bind($c.dpop_bound_access_tokens)
            .bind($c.backchannel_logout_uri.as_deref())
            .bind($c.backchannel_logout_session_required)
            .bind($c.disabled)
            .bind($c.jwks.as_deref())
            .bind($c.logo_uri.as_deref())
    };
}
pub(crate) use bind_client;

/// Expands to the `ClientStore` impl of `$store`. See [`crate::store::sql`].
macro_rules! client_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::sql::clients::bind_client;
            use $crate::store::sql::{self, db_err, to_json_list, try_map, Backend as _, GrantFilter};
            use $crate::store::*;

            #[async_trait::async_trait]
            impl ClientStore for $store {
                async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
                    let row: Option<sql::ClientRow> = sqlx::query_as("SELECT * FROM clients WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db_err)?;
                    row.map(TryInto::try_into).transpose()
                }

                async fn clients(&self) -> StoreResult<Vec<Client>> {
                    let rows: Vec<sql::ClientRow> = sqlx::query_as("SELECT * FROM clients ORDER BY id")
                        .fetch_all(self.pool())
                        .await
                        .map_err(db_err)?;
                    try_map(rows)
                }

                async fn insert_client(&self, c: &Client, audit: &AuditEvent) -> StoreResult<()> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    bind_client!(sqlx::query(
                        "INSERT INTO clients (id, secret_hash, auth_method, redirect_uris, post_logout_redirect_uris, \
                         grant_types, scope, consent, id_token_alg, access_token_ttl, id_token_ttl, \
                         refresh_token_ttl, subject_type, created_at, updated_at, sector_identifier_uri, resources, \
                         display_name, previous_secret_hash, previous_secret_until, require_pushed_authorization_requests, \
                         dpop_bound_access_tokens, backchannel_logout_uri, backchannel_logout_session_required, disabled, \
                         jwks, logo_uri) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
                         $21, $22, $23, $24, $25, $26, $27)",
                    ), c)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await
                }

                async fn change_client(
                    &self,
                    id: &str,
                    change: &(dyn for<'c> Fn(&'c Client) -> Option<Client> + Send + Sync),
                    audit: &AuditEvent,
                ) -> StoreResult<Option<Client>> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // The row is read inside the write transaction (locked on PostgreSQL), so
                    // two changes at once apply one after the other, never one over the other.
                    let lock = if <$store>::NAME == "postgres" { " FOR UPDATE" } else { "" };
                    let row: Option<sql::ClientRow> =
                        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT * FROM clients WHERE id = $1{lock}")))
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    let Some(row) = row else {
                        return Err(StoreError::NotFound);
                    };
                    let current = Client::try_from(row)?;
                    let Some(c) = change(&current) else {
                        return Ok(None);
                    };
                    // The id is the row's, whatever `change` made of it.
                    let c = Client { id: current.id.clone(), ..c };
                    bind_client!(sqlx::query(
                        "UPDATE clients SET secret_hash = $2, auth_method = $3, redirect_uris = $4, \
                         post_logout_redirect_uris = $5, grant_types = $6, scope = $7, consent = $8, \
                         id_token_alg = $9, access_token_ttl = $10, id_token_ttl = $11, refresh_token_ttl = $12, \
                         subject_type = $13, created_at = $14, updated_at = $15, sector_identifier_uri = $16, \
                         resources = $17, display_name = $18, previous_secret_hash = $19, \
                         previous_secret_until = $20, require_pushed_authorization_requests = $21, \
                         dpop_bound_access_tokens = $22, backchannel_logout_uri = $23, \
                         backchannel_logout_session_required = $24, disabled = $25, jwks = $26, \
                         logo_uri = $27 WHERE id = $1",
                    ), c)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await?;
                    Ok(Some(c))
                }

                async fn remove_client(&self, id: &str, audit: &AuditEvent) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let removed = sqlx::query("DELETE FROM clients WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    if removed == 0 {
                        return Ok(false);
                    }
                    self.revoke_grants_in(&mut tx, GrantFilter::Client(id)).await.map_err(db_err)?;
                    for sql in ["DELETE FROM codes WHERE client_id = $1", "DELETE FROM consents WHERE client_id = $1"] {
                        sqlx::query(sql).bind(id).execute(&mut *tx).await.map_err(db_err)?;
                    }
                    self.commit_revoking(tx, audit).await?;
                    Ok(true)
                }
            }
        };
    };
}
pub(crate) use client_store;
