//! Shared SQL, part 6: [`crate::store::requests::RequestStore`], access requests
//! and the staff decisions that end them.

use crate::store::requests::{AccessRequest, RequestChild, RequestStatus};
use crate::store::{Role, StoreError, StoreResult};

/// Every column but `open_key`, in the order of [`RequestRow`]. Statements are
/// built with `format!` from this constant only (hence `AssertSqlSafe`).
pub(crate) const REQUEST_COLUMNS: &str = "id, number, issuer, subject, role, surname, given_name, patronymic, \
     birth_date, email, email_from_esia, child_surname, child_given_name, child_patronymic, child_birth_date, \
     child_from_esia, organisation_id, class_id, comment, status, created_at, decided_at, decided_by, reason, account_id";

#[derive(sqlx::FromRow)]
pub(crate) struct RequestRow {
    id: String,
    number: String,
    issuer: String,
    subject: String,
    role: String,
    surname: String,
    given_name: String,
    patronymic: Option<String>,
    birth_date: Option<String>,
    email: String,
    email_from_esia: bool,
    child_surname: Option<String>,
    child_given_name: Option<String>,
    child_patronymic: Option<String>,
    child_birth_date: Option<String>,
    child_from_esia: bool,
    organisation_id: String,
    class_id: Option<String>,
    comment: Option<String>,
    status: String,
    created_at: i64,
    decided_at: Option<i64>,
    decided_by: Option<String>,
    reason: Option<String>,
    account_id: Option<String>,
}

impl TryFrom<RequestRow> for AccessRequest {
    type Error = StoreError;
    fn try_from(r: RequestRow) -> StoreResult<Self> {
        let bad = |column: &str| StoreError::Backend(anyhow::anyhow!("bad value in access_requests.{column}"));
        let child = match (r.child_surname, r.child_given_name) {
            (Some(surname), Some(given_name)) => Some(RequestChild {
                surname,
                given_name,
                patronymic: r.child_patronymic,
                birth_date: r.child_birth_date,
                from_esia: r.child_from_esia,
            }),
            _ => None,
        };
        Ok(Self {
            role: Role::parse(&r.role).ok_or_else(|| bad("role"))?,
            status: RequestStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
            id: r.id,
            number: r.number,
            issuer: r.issuer,
            subject: r.subject,
            surname: r.surname,
            given_name: r.given_name,
            patronymic: r.patronymic,
            birth_date: r.birth_date,
            email: r.email,
            email_from_esia: r.email_from_esia,
            child,
            organisation_id: r.organisation_id,
            class_id: r.class_id,
            comment: r.comment,
            created_at: r.created_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            reason: r.reason,
            account_id: r.account_id,
        })
    }
}

/// The duplicate guard's key of an open request: one open request per person,
/// organisation, role and child (the child's name normalised for case and ё).
pub(crate) fn open_key(r: &AccessRequest) -> String {
    let child = r.child.as_ref().map(|c| {
        let name = format!("{} {} {}", c.surname, c.given_name, c.patronymic.as_deref().unwrap_or_default());
        format!("{}|{}", crate::account::names::normalise_name(&name), c.birth_date.as_deref().unwrap_or_default())
    });
    let parts = [&r.issuer, &r.subject, &r.organisation_id, r.role.as_str(), child.as_deref().unwrap_or_default()];
    crate::crypto::b64(&crate::crypto::sha256(parts.join("\u{0}").as_bytes()))
}

/// Expands to the `RequestStore` impl of `$store`. See [`crate::store::sql`] for
/// how to read it.
macro_rules! request_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::audit::AuditEvent;
            use $crate::store::links::{LinkMethod, UpstreamLink};
            use $crate::store::outbox::OutboxMessage;
            use $crate::store::requests::{AccessRequest, Decision, Filed, Outcome, RequestStatus, RequestStore};
            use $crate::store::sql::requests::{REQUEST_COLUMNS, RequestRow, open_key};
            use $crate::store::sql::{self, Backend as _, db_err};
            use $crate::store::{Account, Role, StoreResult};

            impl $store {
                // `column` is one of this file's literals; the statement is built from constants only.
                async fn request_where(&self, column: &'static str, value: &str) -> StoreResult<Option<AccessRequest>> {
                    let sql = format!("SELECT {REQUEST_COLUMNS} FROM access_requests WHERE {column} = $1");
                    let row: Option<RequestRow> =
                        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(self.pool()).await.map_err(db_err)?;
                    row.map(TryInto::try_into).transpose()
                }
            }

            #[async_trait::async_trait]
            impl RequestStore for $store {
                async fn file_request(
                    &self,
                    r: &AccessRequest,
                    mail: &OutboxMessage,
                    audit: &AuditEvent,
                ) -> StoreResult<Filed> {
                    let key = open_key(r);
                    let child = r.child.as_ref();
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    let inserted = sqlx::query(
                        "INSERT INTO access_requests (id, number, issuer, subject, role, surname, given_name, \
                         patronymic, birth_date, email, email_from_esia, child_surname, child_given_name, \
                         child_patronymic, child_birth_date, child_from_esia, organisation_id, class_id, comment, status, \
                         created_at, open_key) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                         $19, $20, $21, $22) ON CONFLICT (open_key) DO NOTHING",
                    )
                    .bind(&r.id)
                    .bind(&r.number)
                    .bind(&r.issuer)
                    .bind(&r.subject)
                    .bind(r.role.as_str())
                    .bind(&r.surname)
                    .bind(&r.given_name)
                    .bind(r.patronymic.as_deref())
                    .bind(r.birth_date.as_deref())
                    .bind(&r.email)
                    .bind(r.email_from_esia)
                    .bind(child.map(|c| c.surname.as_str()))
                    .bind(child.map(|c| c.given_name.as_str()))
                    .bind(child.and_then(|c| c.patronymic.as_deref()))
                    .bind(child.and_then(|c| c.birth_date.as_deref()))
                    .bind(child.is_some_and(|c| c.from_esia))
                    .bind(&r.organisation_id)
                    .bind(r.class_id.as_deref())
                    .bind(r.comment.as_deref())
                    .bind(RequestStatus::Open.as_str())
                    .bind(r.created_at)
                    .bind(&key)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                    if inserted == 0 {
                        let sql = format!("SELECT {REQUEST_COLUMNS} FROM access_requests WHERE open_key = $1");
                        let row: RequestRow =
                            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&key).fetch_one(&mut *tx).await.map_err(db_err)?;
                        return Ok(Filed::Duplicate(Box::new(row.try_into()?)));
                    }
                    self.insert_mail_in(&mut tx, mail).await.map_err(db_err)?;
                    self.commit_with_audit(tx, audit).await?;
                    Ok(Filed::Created)
                }

                async fn access_request(&self, id: &str) -> StoreResult<Option<AccessRequest>> {
                    self.request_where("id", id).await
                }

                async fn access_request_by_number(&self, number: &str) -> StoreResult<Option<AccessRequest>> {
                    self.request_where("number", number).await
                }

                async fn requests_of_organisation(
                    &self,
                    organisation_id: &str,
                    status: Option<RequestStatus>,
                    limit: i64,
                ) -> StoreResult<Vec<AccessRequest>> {
                    // Open ones first, oldest first (the queue); decided ones newest first.
                    let sql = format!(
                        "SELECT {REQUEST_COLUMNS} FROM access_requests \
                         WHERE organisation_id = $1 AND ($2 = '' OR status = $2) \
                         ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, \
                         CASE WHEN status = 'open' THEN created_at ELSE -COALESCE(decided_at, created_at) END, id \
                         LIMIT $3"
                    );
                    let rows: Vec<RequestRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(organisation_id)
                        .bind(status.map(RequestStatus::as_str).unwrap_or_default())
                        .bind(limit)
                        .fetch_all(self.pool())
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(TryInto::try_into).collect()
                }

                async fn requests_of_person(&self, issuer: &str, subject: &str) -> StoreResult<Vec<AccessRequest>> {
                    let sql = format!(
                        "SELECT {REQUEST_COLUMNS} FROM access_requests WHERE issuer = $1 AND subject = $2 \
                         ORDER BY created_at DESC, id"
                    );
                    let rows: Vec<RequestRow> =
                        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(issuer).bind(subject).fetch_all(self.pool()).await.map_err(db_err)?;
                    rows.into_iter().map(TryInto::try_into).collect()
                }

                async fn accounts_of_organisation(
                    &self,
                    organisation_id: &str,
                    role: Role,
                    limit: i64,
                ) -> StoreResult<Vec<Account>> {
                    let rows: Vec<sql::AccountRow> = sqlx::query_as(
                        "SELECT * FROM accounts WHERE organisation_id = $1 AND role = $2 \
                         ORDER BY surname, given_name, id LIMIT $3",
                    )
                    .bind(organisation_id)
                    .bind(role.as_str())
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db_err)?;
                    rows.into_iter().map(TryInto::try_into).collect()
                }

                async fn decide_request(
                    &self,
                    d: &Decision,
                    mail: &OutboxMessage,
                    audit: &[AuditEvent],
                ) -> StoreResult<bool> {
                    let now = self.now();
                    let (status, reason, account_id) = match &d.outcome {
                        Outcome::Link { account_id, .. } => (RequestStatus::Resolved, None, Some(account_id.as_str())),
                        Outcome::Create { account } => (RequestStatus::Resolved, None, Some(account.id.as_str())),
                        Outcome::Reject { reason } => (RequestStatus::Rejected, Some(reason.as_str()), None),
                    };
                    let mut tx = self.begin_write().await.map_err(db_err)?;
                    // The account must exist before the request can point at it.
                    if let Outcome::Create { account } = &d.outcome {
                        self.write_account_in(&mut tx, account, false).await?;
                    }
                    // Conditional: of two staff deciding at once, one wins; the other
                    // finds the request no longer open and writes nothing.
                    let ended: Option<(String, String)> = sqlx::query_as(
                        "UPDATE access_requests SET status = $1, decided_at = $2, decided_by = $3, reason = $4, \
                         account_id = $5, open_key = NULL WHERE id = $6 AND status = 'open' \
                         RETURNING issuer, subject",
                    )
                    .bind(status.as_str())
                    .bind(now)
                    .bind(&d.staff_id)
                    .bind(reason)
                    .bind(account_id)
                    .bind(&d.request_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    let Some((issuer, subject)) = ended else {
                        return Ok(false);
                    };
                    if let Outcome::Link { account_id, correction: Some(c) } = &d.outcome {
                        sqlx::query(
                            "UPDATE accounts SET surname = $1, given_name = $2, patronymic = $3, birth_date = $4, \
                             match_key = $5, name_key = $7 WHERE id = $6",
                        )
                        .bind(&c.surname)
                        .bind(&c.given_name)
                        .bind(c.patronymic.as_deref())
                        .bind(&c.birth_date)
                        .bind(&c.match_key)
                        .bind(account_id)
                        .bind($crate::account::names_key::name_key(&c.surname, &c.given_name, c.patronymic.as_deref()))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    }
                    if let Some(account_id) = account_id {
                        let link = UpstreamLink {
                            issuer,
                            subject,
                            account_id: account_id.to_owned(),
                            method: LinkMethod::Staff,
                            created_at: now,
                        };
                        self.insert_link_in(&mut tx, &link).await?;
                    }
                    self.insert_mail_in(&mut tx, mail).await.map_err(db_err)?;
                    self.append_audit_in(&mut tx, audit).await.map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }
            }
        };
    };
}
pub(crate) use request_store;
