//! The audit log is tamper-evident (DESIGN §3.9): `audit verify` accepts the
//! chain the server wrote and finds a row edited directly in the database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use sqlx::Connection as _;

/// Runs one SQL statement on the test database (SQLite file or PostgreSQL).
pub async fn execute(url: &str, sql: &'static str) -> u64 {
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let n = sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected();
        c.close().await.unwrap();
        n
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let n = sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected();
        c.close().await.unwrap();
        n
    }
}

#[tokio::test]
async fn audit_verify_detects_edited_row() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "audit-rp").await;
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    rp.refresh(&app, &t.str("refresh_token"), None).await;
    submit_login(&browser(), &app.base, "/login", "ivanov.is", "wrong-password").await;
    let n = propusk::cli::audit_verify(&app.config).await.expect("the chain the server wrote verifies");
    assert!(n >= 5, "logins, tokens and rotation were audited: {n} rows");

    let edited = execute(
        &app.config.database.url,
        "UPDATE audit_events SET data = REPLACE(data, '\"audit-rp\"', '\"other-rp\"') \
         WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE kind = 'token_issued')",
    )
    .await;
    assert_eq!(edited, 1, "one row edited");
    let err = propusk::cli::audit_verify(&app.config).await.expect_err("an edited row is found");
    assert_eq!(err.exit_code(), 1);
    let msg = err.to_string();
    assert!(msg.contains("audit"), "the reason names the audit chain: {msg}");
}

#[tokio::test]
async fn audit_verify_detects_deleted_row() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "audit-rp2").await;
    rp.tokens(&app, "openid", "ivanova.mp").await;
    propusk::cli::audit_verify(&app.config).await.expect("intact");
    let deleted = execute(
        &app.config.database.url,
        "DELETE FROM audit_events WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE kind = 'login_succeeded')",
    )
    .await;
    assert_eq!(deleted, 1);
    assert!(propusk::cli::audit_verify(&app.config).await.is_err(), "a deleted row is found");
}
