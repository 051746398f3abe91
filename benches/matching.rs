//! Matching at scale: seeds N school accounts (default 1,000,000; `MATCH_ACCOUNTS`)
//! into a fresh SQLite file (and PostgreSQL when `BENCH_POSTGRES_URL` is set), then
//! times the indexed lookup the ESIA journey makes (`accounts_by_match_key`) for
//! existing and missing keys and prints p50/p99/max. Target: p99 < 2 ms.
//!
//! Run: `cargo bench --bench matching` (quick: `MATCH_ACCOUNTS=100000`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use propusk::account::names::match_key;
use propusk::audit::AuditEvent;
use propusk::clock::{Clock, SystemClock};
use propusk::store::{Account, DirectoryBatch, OrgKind, Organisation, Role, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: [u8; 32] = [42; 32];
const SURNAMES: [&str; 8] = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Соколов", "Попов", "Лебедев", "Козлов"];
const NAMES: [&str; 8] = ["Иван", "Пётр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Михаил", "Николай"];

/// Deterministic person number `i`: name parts and a birth date spread over 60 years.
fn person(i: usize) -> (String, &'static str, String, String) {
    let surname = format!("{}-{}", SURNAMES[i % 8], i / 64);
    let given = NAMES[(i / 8) % 8];
    let patronymic = format!("{}ович", NAMES[(i / 3) % 8]);
    let day = (i * 7919) % (60 * 365);
    let date =
        time::Date::from_calendar_date(1960, time::Month::January, 1).unwrap() + time::Duration::days(day as i64);
    (surname, given, patronymic, date.to_string())
}

fn account(i: usize, org: &str, now: i64) -> Account {
    let (surname, given, patronymic, birth) = person(i);
    Account {
        id: format!("acc-{i:08}"),
        subject: format!("sub-{i:08}"),
        organisation_id: org.into(),
        login: format!("user{i}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g".into(),
        role: [Role::Parent, Role::Pupil, Role::Staff][i % 3],
        can_review_requests: false,
        match_key: match_key(&KEY, &surname, given, Some(&patronymic), &birth),
        surname,
        given_name: given.into(),
        patronymic: Some(patronymic),
        birth_date: birth,
        snils_hash: None,
        class_id: None,
        email: None,
        phone: None,
        disabled: false,
        created_at: now,
    }
}

async fn seed(store: &dyn Store, n: usize) -> Duration {
    let start = Instant::now();
    let now = SystemClock.now();
    let orgs = 100;
    let org_batch = DirectoryBatch {
        organisations: (0..orgs)
            .map(|o| Organisation {
                id: format!("org-{o}"),
                kind: OrgKind::School,
                region: "Регион".into(),
                municipality: "Город".into(),
                locality: "Город".into(),
                org_type: "Общеобразовательная".into(),
                name: format!("Школа №{o}"),
            })
            .collect(),
        ..DirectoryBatch::default()
    };
    let ev = AuditEvent::DirectoryImported { organisations: orgs as u64, accounts: 0, relations: 0 };
    store.import_directory(&org_batch, &ev).await.unwrap();
    let chunk = 20_000;
    for base in (0..n).step_by(chunk) {
        let accounts: Vec<Account> =
            (base..(base + chunk).min(n)).map(|i| account(i, &format!("org-{}", i % orgs), now)).collect();
        let ev = AuditEvent::DirectoryImported { organisations: 0, accounts: accounts.len() as u64, relations: 0 };
        store.import_directory(&DirectoryBatch { accounts, ..DirectoryBatch::default() }, &ev).await.unwrap();
        eprint!("\r  seeded {:>8}/{n}", (base + chunk).min(n));
    }
    eprintln!();
    start.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(label: &str, store: &dyn Store, n: usize) {
    let seeding = seed(store, n).await;
    let lookups = 20_000;
    let mut times = Vec::with_capacity(lookups);
    let mut found = 0usize;
    for k in 0..lookups {
        let i = (k * 104_729) % n;
        let role = [Role::Parent, Role::Pupil, Role::Staff][i % 3];
        let key = if k % 4 == 3 {
            match_key(&KEY, "Нет-Такого", "Человека", None, "2001-01-01")
        } else {
            account(i, "", 0).match_key
        };
        let t = Instant::now();
        let hits = store.accounts_by_match_key(&key, role).await.unwrap();
        times.push(t.elapsed());
        found += hits.len();
    }
    times.sort();
    println!(
        "{label:<10} accounts={n} seeded_in={:.1}s lookups={lookups} found={found} p50={:?} p99={:?} max={:?}  target p99 < 2ms: {}",
        seeding.as_secs_f64(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        if percentile(&times, 0.99) < Duration::from_millis(2) { "PASS" } else { "MISS" }
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: usize = std::env::var("MATCH_ACCOUNTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("match.db").display());
        let store = propusk::store::open(&url, 4, clock.clone()).await.unwrap();
        store.migrate().await.unwrap();
        measure("sqlite", &*store, n).await;
        if let Ok(admin) = std::env::var("BENCH_POSTGRES_URL") {
            let name = format!("propusk_match_{}", std::process::id());
            let psql = |sql: String| std::process::Command::new("psql").arg(&admin).arg("-qc").arg(sql).status();
            psql(format!("CREATE DATABASE {name}")).unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
            let store = propusk::store::open(&format!("{base}/{name}"), 4, clock).await.unwrap();
            store.migrate().await.unwrap();
            measure("postgres", &*store, n).await;
            drop(store);
            psql(format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
        }
    });
}
