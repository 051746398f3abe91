//! Throttle tests (AB-01, AB-04): the pure decision as a table, then the counters
//! in a real SQLite store with a fixed clock — parallel reservations, two nodes, a
//! restart.

use super::*;
use crate::clock::FixedClock;
use crate::store::Store;

const NOW: i64 = 1_000_000;

fn config() -> LoginConfig {
    LoginConfig {
        max_failures_per_login: 5,
        max_failures_per_ip: 8,
        lock_secs: 900,
        delay_step_ms: 250,
        ip_delay_ms: 2000,
        ..LoginConfig::default()
    }
}

fn c(hits: u32, window_end: i64, locked_until: i64) -> Counter {
    Counter { hits, window_end, locked_until }
}

fn ms(n: u64) -> Throttle {
    Throttle::Allow { delay: Duration::from_millis(n) }
}

fn locked(secs: u64) -> Throttle {
    Throttle::Locked { retry_after: Duration::from_secs(secs) }
}

fn refused(secs: u64) -> Locked {
    Locked { retry_after: Duration::from_secs(secs) }
}

#[test]
fn ab_01_decision_table() {
    let w = NOW + 900;
    let clean_ip = Counter::default();
    let busy_ip = c(8, w, 0);
    let locked_ip = c(0, NOW, NOW + 600);
    let cases = [
        // (login after this attempt, address, decision)
        (c(1, w, 0), clean_ip, ms(0)),
        (c(2, w, 0), clean_ip, ms(250)),
        (c(5, w, 0), clean_ip, ms(1000)),
        // Counted past the limit while the earlier ones are checked: refused unchecked.
        (c(6, w, 0), clean_ip, locked(900)),
        (c(25, w, 0), clean_ip, locked(900)),
        // A locked login, whatever its count.
        (c(1, NOW, NOW + 30), clean_ip, locked(30)),
        // AB-04: a busy or locked address slows a clean login, never refuses it...
        (c(1, w, 0), busy_ip, ms(2000)),
        (c(1, w, 0), locked_ip, ms(2000)),
        // ...and refuses a login with failures of its own.
        (c(2, w, 0), busy_ip, locked(900)),
        (c(3, w, 0), locked_ip, locked(600)),
        (c(2, w, 0), c(7, w, 0), ms(250)),
    ];
    for (i, (login, ip, want)) in cases.into_iter().enumerate() {
        assert_eq!(decide(&config(), BusyAddress::Slow, login, ip, NOW), want, "case {i}: {login:?} {ip:?}");
    }
    assert_eq!(decide(&config(), BusyAddress::Refuse, c(1, w, 0), busy_ip, NOW), locked(900), "resets: refused");
    let mut huge = config();
    huge.delay_step_ms = 60_000;
    assert_eq!(decide(&huge, BusyAddress::Slow, c(3, w, 0), clean_ip, NOW), ms(10_000), "the delay is capped");
}

struct Fixture {
    _dir: tempfile::TempDir,
    url: String,
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    throttle: LoginThrottle,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(NOW));
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = crate::store::open(&url, 8, clock.clone()).await.unwrap();
    store.migrate().await.unwrap();
    let throttle = LoginThrottle::new(&config(), clock.clone(), [7; 32], "login");
    Fixture { _dir: dir, url, store, clock, throttle }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

impl Fixture {
    async fn fail(&self, login: &str, addr: &str) -> Result<(), Locked> {
        let attempt = self.throttle.reserve(self.store.as_ref(), login, ip(addr)).await.unwrap()?;
        self.throttle.failed(self.store.as_ref(), &attempt).await.unwrap();
        Ok(())
    }

    async fn state(&self, login: &str, addr: &str) -> Result<Duration, Locked> {
        let attempt = self.throttle.reserve(self.store.as_ref(), login, ip(addr)).await.unwrap()?;
        self.throttle.succeeded(self.store.as_ref(), &attempt).await.unwrap();
        Ok(attempt.delay)
    }
}

#[tokio::test]
async fn ab_01_delay_grows_and_the_login_locks() {
    let f = fixture().await;
    let key = login_key("sosh1", "ivanov.is");
    for i in 0..5u64 {
        let attempt = f.throttle.reserve(f.store.as_ref(), &key, ip(&format!("10.0.0.{i}"))).await.unwrap().unwrap();
        assert_eq!(attempt.delay, Duration::from_millis(250 * i), "attempt {i}");
        f.throttle.failed(f.store.as_ref(), &attempt).await.unwrap();
    }
    assert_eq!(f.fail(&key, "10.9.9.9").await, Err(refused(900)), "locked from anywhere");
    f.clock.advance(899);
    assert_eq!(f.fail(&key, "10.9.9.9").await, Err(refused(1)));
    assert!(f.state(&login_key("sosh1", "ivanova.as"), "10.9.9.9").await.is_ok(), "other logins are not locked");
    f.clock.advance(1);
    assert_eq!(f.state(&key, "10.9.9.9").await, Ok(Duration::ZERO), "the lock is over and forgotten");
}

#[tokio::test]
async fn ab_01_success_clears_the_count() {
    let f = fixture().await;
    let key = login_key("sosh1", "Ivanov.IS");
    for _ in 0..4 {
        f.fail(&key, "10.0.0.1").await.unwrap();
    }
    assert_eq!(f.state(&login_key("sosh1", " ivanov.is"), "10.0.0.1").await, Ok(Duration::from_millis(1000)));
    assert_eq!(f.state(&key, "10.0.0.1").await, Ok(Duration::ZERO), "counted again from zero");
}

#[tokio::test]
async fn ab_01_parallel_attempts_are_checked_at_most_the_limit() {
    let f = Arc::new(fixture().await);
    let key = login_key("sosh1", "petrov.pp");
    let tasks: Vec<_> = (0..25)
        .map(|_| {
            let (f, key) = (f.clone(), key.clone());
            tokio::spawn(async move { f.throttle.reserve(f.store.as_ref(), &key, ip("10.0.0.1")).await.unwrap() })
        })
        .collect();
    let mut allowed = 0;
    for t in tasks {
        allowed += usize::from(t.await.unwrap().is_ok());
    }
    assert_eq!(allowed, 5, "25 parallel attempts: exactly the limit may be checked");
}

#[tokio::test]
async fn ab_01_counters_are_shared_by_nodes_and_survive_a_restart() {
    let f = fixture().await;
    let key = login_key("sosh1", "petrov.pp");
    // A second node: its own pool on the same database.
    let other = crate::store::open(&f.url, 4, f.clock.clone()).await.unwrap();
    let node2 = LoginThrottle::new(&config(), f.clock.clone(), [7; 32], "login");
    for i in 0..5 {
        let store: &dyn Store = if i % 2 == 0 { f.store.as_ref() } else { other.as_ref() };
        let throttle = if i % 2 == 0 { &f.throttle } else { &node2 };
        let attempt = throttle.reserve(store, &key, ip("10.0.0.1")).await.unwrap().unwrap();
        throttle.failed(store, &attempt).await.unwrap();
    }
    drop(other);
    // A restart: a new pool, a new throttle.
    let reopened = crate::store::open(&f.url, 4, f.clock.clone()).await.unwrap();
    let restarted = LoginThrottle::new(&config(), f.clock.clone(), [7; 32], "login");
    let again = restarted.reserve(reopened.as_ref(), &key, ip("10.0.0.2")).await.unwrap();
    assert!(again.is_err(), "{again:?}");
}

#[tokio::test]
async fn ab_04_a_busy_address_slows_clean_logins_and_refuses_failing_ones() {
    let f = fixture().await;
    for i in 0..8 {
        f.fail(&login_key("sosh1", &format!("user{i}")), "192.0.2.7").await.unwrap();
    }
    let fresh = login_key("sosh1", "someone.else");
    assert_eq!(f.state(&fresh, "192.0.2.7").await, Ok(Duration::from_secs(2)), "slowed, not refused");
    assert_eq!(f.state(&fresh, "192.0.2.8").await, Ok(Duration::ZERO), "another address is not slowed");
    f.fail(&fresh, "192.0.2.7").await.unwrap();
    assert_eq!(f.fail(&fresh, "192.0.2.7").await, Err(refused(900)), "a failing login from a busy address");
    f.clock.advance(900);
    assert_eq!(f.state(&login_key("sosh1", "third"), "192.0.2.7").await, Ok(Duration::ZERO), "the address recovers");
}

#[tokio::test]
async fn ab_01_ipv6_counts_per_64() {
    let f = fixture().await;
    for i in 0..8 {
        f.fail(&login_key("sosh1", &format!("u{i}")), &format!("2001:db8:1:2::{i}")).await.unwrap();
    }
    let k = login_key("sosh1", "x");
    assert_eq!(f.state(&k, "2001:db8:1:2:ffff::1").await, Ok(Duration::from_secs(2)));
    assert_eq!(f.state(&k, "2001:db8:1:3::1").await, Ok(Duration::ZERO));
}

#[tokio::test]
async fn ab_01_counters_are_purged_after_their_window() {
    let f = fixture().await;
    f.fail(&login_key("sosh1", "ivanov.is"), "10.0.0.1").await.unwrap();
    assert_eq!(f.store.purge_expired().await.unwrap(), 0, "a live window is kept");
    f.clock.advance(900);
    assert_eq!(f.store.purge_expired().await.unwrap(), 2, "the login's and the address's counters");
}
