//! Legacy login against a real SQLite store: throttling (AB-01), no login
//! enumeration (AB-03), rehash of legacy hashes.

use super::*;
use crate::account::demo;
use crate::account::directory::{DirectoryKeys, RawRecord, import_records};
use crate::clock::FixedClock;
use crate::config::LoginConfig;
use std::sync::Arc;

const NOW: i64 = 1_790_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    throttle: LoginThrottle,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(NOW));
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = crate::store::open(&url, 4, clock.clone()).await.unwrap();
    store.migrate().await.unwrap();
    let keys = DirectoryKeys { snils: [1; 32], matching: [2; 32], subject: [3; 32] };
    assert!(demo::seed_at(store.as_ref(), &keys, clock.as_ref()).await.unwrap());
    // One account with a bcrypt hash from an old system.
    let legacy = RawRecord::new(1)
        .with("record", "account")
        .with("organisation", demo::SOSH1)
        .with("login", "old.bcrypt")
        .with("password", &bcrypt::hash("Old-pass-1", 4).unwrap())
        .with("role", "parent")
        .with("surname", "Старов")
        .with("given_name", "Олег")
        .with("birth_date", "01.01.1970");
    let disabled = RawRecord::new(2)
        .with("record", "account")
        .with("organisation", demo::SOSH1)
        .with("login", "gone")
        .with("password", demo::DEMO_PASSWORD)
        .with("role", "staff")
        .with("surname", "Ушедший")
        .with("given_name", "Сотрудник")
        .with("birth_date", "01.01.1970")
        .with("disabled", "true");
    import_records(store.as_ref(), &[legacy, disabled], &keys, clock.as_ref()).await.unwrap();
    let config = LoginConfig {
        max_failures_per_login: 3,
        max_failures_per_ip: 10,
        lock_secs: 600,
        delay_step_ms: 1,
        ..LoginConfig::default()
    };
    let throttle = LoginThrottle::new(&config, clock.clone(), [3; 32], "login");
    Fixture { _dir: dir, store, clock, throttle }
}

fn ip() -> IpAddr {
    "203.0.113.5".parse().unwrap()
}

fn pw(s: &str) -> SecretString {
    SecretString::new(s)
}

async fn failed_reasons(store: &dyn Store) -> Vec<String> {
    let rows = store.audit_records(0, 1000).await.unwrap();
    rows.iter()
        .filter(|r| r.kind == "login_failed")
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.data).unwrap()["reason"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn demo_login_succeeds() {
    let f = fixture().await;
    let acc = verify_legacy(f.store.as_ref(), &f.throttle, demo::SOSH1, "ivanova.mp", &pw(demo::DEMO_PASSWORD), ip())
        .await
        .unwrap();
    assert_eq!(acc.login, "ivanova.mp");
    assert_eq!(acc.organisation_id, demo::SOSH1);
}

#[tokio::test]
async fn ab_03_unknown_login_and_wrong_password_look_the_same() {
    let f = fixture().await;
    let s = f.store.as_ref();
    let wrong = verify_legacy(s, &f.throttle, demo::SOSH1, "ivanova.mp", &pw("nope"), ip()).await.unwrap_err();
    let unknown = verify_legacy(s, &f.throttle, demo::SOSH1, "nobody", &pw("nope"), ip()).await.unwrap_err();
    let other_org =
        verify_legacy(s, &f.throttle, demo::GYMN2, "ivanova.mp", &pw(demo::DEMO_PASSWORD), ip()).await.unwrap_err();
    let disabled =
        verify_legacy(s, &f.throttle, demo::SOSH1, "gone", &pw(demo::DEMO_PASSWORD), ip()).await.unwrap_err();
    for e in [&wrong, &unknown, &other_org, &disabled] {
        assert!(matches!(e, LoginError::BadCredentials), "{e:?}");
        assert_eq!(e.to_string(), "bad credentials");
    }
    assert_eq!(failed_reasons(s).await, ["bad_credentials", "bad_credentials", "bad_credentials", "disabled"]);
    // No personal data in the events: ids only.
    let rows = s.audit_records(0, 1000).await.unwrap();
    assert!(rows.iter().all(|r| !r.data.contains("ivanova.mp") && !r.data.contains("nobody")));
}

#[tokio::test]
async fn ab_01_login_locked_after_failures() {
    let f = fixture().await;
    let s = f.store.as_ref();
    for _ in 0..3 {
        let e = verify_legacy(s, &f.throttle, demo::SOSH1, "petrov.pp", &pw("guess"), ip()).await.unwrap_err();
        assert!(matches!(e, LoginError::BadCredentials));
    }
    // Locked: even the right password is refused without being checked.
    let e = verify_legacy(s, &f.throttle, demo::SOSH1, "petrov.pp", &pw(demo::DEMO_PASSWORD), ip()).await.unwrap_err();
    assert!(matches!(e, LoginError::Locked { retry_after } if retry_after.as_secs() == 600), "{e:?}");
    assert_eq!(failed_reasons(s).await.last().map(String::as_str), Some("locked"));
    f.clock.advance(600);
    verify_legacy(s, &f.throttle, demo::SOSH1, "petrov.pp", &pw(demo::DEMO_PASSWORD), ip()).await.unwrap();
}

#[tokio::test]
async fn ab_01_unknown_logins_are_throttled_too() {
    let f = fixture().await;
    for _ in 0..3 {
        let _ = verify_legacy(f.store.as_ref(), &f.throttle, demo::SOSH1, "ghost", &pw("x"), ip()).await;
    }
    let e = verify_legacy(f.store.as_ref(), &f.throttle, demo::SOSH1, "ghost", &pw("x"), ip()).await.unwrap_err();
    assert!(matches!(e, LoginError::Locked { .. }));
}

#[tokio::test]
async fn legacy_hash_is_rehashed_to_argon2id() {
    let f = fixture().await;
    let s = f.store.as_ref();
    let before = s.account_by_login(demo::SOSH1, "old.bcrypt").await.unwrap().unwrap();
    assert!(before.password_hash.starts_with("$2b$"));
    verify_legacy(s, &f.throttle, demo::SOSH1, "old.bcrypt", &pw("Old-pass-1"), ip()).await.unwrap();
    let after = s.account_by_login(demo::SOSH1, "old.bcrypt").await.unwrap().unwrap();
    assert!(after.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", after.password_hash);
    let rows = s.audit_records(0, 1000).await.unwrap();
    assert!(rows.iter().any(|r| r.kind == "password_rehashed" && r.data.contains(&after.id)));
    // The new hash works, and is not replaced again.
    verify_legacy(s, &f.throttle, demo::SOSH1, "old.bcrypt", &pw("Old-pass-1"), ip()).await.unwrap();
    let again = s.account_by_login(demo::SOSH1, "old.bcrypt").await.unwrap().unwrap();
    assert_eq!(again.password_hash, after.password_hash);
}
