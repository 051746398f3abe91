//! The one place where a sqlx error gets its [`StoreError`] kind: "unavailable"
//! (the database cannot be reached or is going away — the caller answers 503 with
//! `Retry-After`), a conflict (a unique constraint), or a plain backend error.
//! No SQL values ever reach the message.

use crate::store::StoreError;

/// Maps a sqlx error into the store's error without SQL values in the message.
pub(crate) fn db_err(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(anyhow::Error::new(err)),
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(conflict_name(db.as_ref())),
        sqlx::Error::Database(db) if db.code().is_some_and(|code| unavailable_code(&code)) => {
            StoreError::Unavailable(anyhow::Error::new(sqlx::Error::Database(db)))
        }
        other => StoreError::Backend(anyhow::Error::new(other)),
    }
}

/// Whether a database error code says "the database is not there for now" rather
/// than "this statement is wrong". PostgreSQL SQLSTATEs are five characters;
/// SQLite codes are the (extended) result-code numbers, so the two never collide.
pub(crate) fn unavailable_code(code: &str) -> bool {
    // PostgreSQL class 08: connection exception (the connection broke or was refused).
    if code.len() == 5 && code.starts_with("08") {
        return true;
    }
    matches!(
        code,
        // PostgreSQL admin_shutdown, crash_shutdown, cannot_connect_now: a restart or
        // a stop ended the session, or the server is still starting.
        "57P01" | "57P02" | "57P03"
        // PostgreSQL too_many_connections: no session to be had for now.
        | "53300"
        // SQLite BUSY (and its BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT forms) and
        // LOCKED: still locked after the busy timeout.
        | "5" | "261" | "517" | "773" | "6" | "262"
    )
}

/// The constraint that was violated: PostgreSQL names it; SQLite only says
/// `UNIQUE constraint failed: table.column, …` (column names, never values).
fn conflict_name(db: &dyn sqlx::error::DatabaseError) -> String {
    if let Some(name) = db.constraint() {
        return name.to_owned();
    }
    db.message().strip_prefix("UNIQUE constraint failed: ").unwrap_or("unique constraint").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_codes_that_mean_unavailable() {
        let table = [
            ("57P01", true, "admin_shutdown: the server was stopped or restarted"),
            ("57P02", true, "crash_shutdown"),
            ("57P03", true, "cannot_connect_now: still starting"),
            ("08006", true, "connection_failure"),
            ("08001", true, "sqlclient_unable_to_establish_sqlconnection"),
            ("08P01", true, "protocol_violation is class 08 too"),
            ("53300", true, "too_many_connections"),
            ("5", true, "SQLITE_BUSY after the busy timeout"),
            ("517", true, "SQLITE_BUSY_SNAPSHOT"),
            ("6", true, "SQLITE_LOCKED"),
            ("23505", false, "unique_violation is a conflict, not an outage"),
            ("40001", false, "serialization_failure"),
            ("42P01", false, "undefined_table is a bug"),
            ("57014", false, "query_canceled"),
            ("2067", false, "SQLITE_CONSTRAINT_UNIQUE"),
            ("19", false, "SQLITE_CONSTRAINT"),
            ("08", false, "not a SQLSTATE"),
            ("", false, "empty"),
        ];
        for (code, want, what) in table {
            assert_eq!(unavailable_code(code), want, "{code}: {what}");
        }
    }

    #[test]
    fn transport_failures_are_unavailable() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let eof = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed");
        for err in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Io(refused),
            sqlx::Error::Io(reset),
            sqlx::Error::Io(eof),
        ] {
            let shown = err.to_string();
            assert!(matches!(db_err(err), StoreError::Unavailable(_)), "{shown}");
        }
        assert!(matches!(db_err(sqlx::Error::RowNotFound), StoreError::Backend(_)));
        assert!(matches!(db_err(sqlx::Error::Protocol("bad".into())), StoreError::Backend(_)));
    }
}
