//! Migration 0010 on a database that already holds accounts, on both backends:
//! every existing account keeps its id as subject, so the `sub` (public or
//! pairwise) its relying parties know does not change; new columns have their
//! defaults. Not part of [`conformance!`]: it needs a database migrated only up
//! to before 0010.

use super::harness::PgDatabase;
use crate::clock::FixedClock;
use crate::store::postgres::PgStore;
use crate::store::sql::Backend;
use crate::store::sqlite::SqliteStore;
use crate::store::{Lifecycle, Store};
use sqlx::Connection;
use std::borrow::Cow;
use std::sync::Arc;

const SUBJECTS_MIGRATION: i64 = 10;

/// `full` without 0010 and later.
fn before_0010(full: &sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    sqlx::migrate::Migrator {
        migrations: Cow::Owned(full.migrations.iter().filter(|m| m.version < SUBJECTS_MIGRATION).cloned().collect()),
        ignore_missing: full.ignore_missing,
        locking: full.locking,
        no_tx: full.no_tx,
        table_name: full.table_name.clone(),
        create_schemas: full.create_schemas.clone(),
    }
}

const ORG: &str = "INSERT INTO organisations (id, kind, region, municipality, locality, org_type, name) \
     VALUES ('s1', 'school', 'r', 'm', 'l', 't', 'School 1')";
const ACCOUNT: &str = "INSERT INTO accounts (id, organisation_id, login, password_hash, role, surname, \
     given_name, birth_date, match_key, created_at) \
     VALUES ($1, 's1', $2, '$argon2id$x', 'parent', 'S', 'G', '1980-01-01', 'k', 0)";

async fn after_migration(store: &dyn Store, ids: &[String]) {
    for id in ids {
        let a = store.account(id).await.unwrap().unwrap();
        assert_eq!(a.subject, *id, "IT-01: an existing account keeps its id as `sub`");
        // …and so its pairwise subject: HMAC(key, first redirect host | account id), as before.
        let mut client = super::fixtures::client("legacy-pairwise");
        client.sector_identifier_uri = None;
        let key = [5u8; 32];
        let legacy = crate::crypto::b64(&crate::crypto::hmac_sha256(&key, format!("rp.example|{id}").as_bytes()));
        assert_eq!(crate::token::claims::subject(&a.subject, &client, &key), legacy);
    }
}

fn legacy_ids() -> Vec<String> {
    ["p1", "p2"].iter().map(|l| crate::account::directory::account_id("s1", l)).collect()
}

#[tokio::test]
async fn it_01_migration_0010_keeps_existing_subjects_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let store = SqliteStore::open(&url, 2, Arc::new(FixedClock::new(0))).await.unwrap();
    before_0010(SqliteStore::migrator()).run(store.pool()).await.unwrap();
    sqlx::query(ORG).execute(store.pool()).await.unwrap();
    let ids = legacy_ids();
    for (id, login) in ids.iter().zip(["p1", "p2"]) {
        sqlx::query(ACCOUNT).bind(id).bind(login).execute(store.pool()).await.unwrap();
    }
    // The upgrade: the new binary opens the same file and migrates it.
    store.close().await;
    let store = SqliteStore::open(&url, 2, Arc::new(FixedClock::new(0))).await.unwrap();
    store.migrate().await.unwrap();
    after_migration(&store, &ids).await;
}

#[tokio::test]
async fn it_01_migration_0010_keeps_existing_subjects_postgres() {
    let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
        eprintln!("skipped: TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("propusk_t_{}", hex::encode(&crate::crypto::random_bytes()[..8]));
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
    admin.close().await.unwrap();
    let _guard = PgDatabase { admin_url: admin_url.clone(), name: name.clone() };
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let store = PgStore::open(url.as_str(), 2, Arc::new(FixedClock::new(0))).await.unwrap();
    before_0010(PgStore::migrator()).run(store.pool()).await.unwrap();
    sqlx::query(ORG).execute(store.pool()).await.unwrap();
    let ids = legacy_ids();
    for (id, login) in ids.iter().zip(["p1", "p2"]) {
        sqlx::query(ACCOUNT).bind(id).bind(login).execute(store.pool()).await.unwrap();
    }
    store.close().await;
    let store = PgStore::open(url.as_str(), 2, Arc::new(FixedClock::new(0))).await.unwrap();
    store.migrate().await.unwrap();
    after_migration(&store, &ids).await;
    store.close().await;
}
