//! Throttle tests with a fixed clock (AB-01).

use super::*;
use crate::clock::FixedClock;

fn setup() -> (Arc<FixedClock>, LoginThrottle) {
    let clock = Arc::new(FixedClock::new(1_000_000));
    let config = LoginConfig { max_failures_per_login: 5, max_failures_per_ip: 8, lock_secs: 900, delay_step_ms: 250 };
    let throttle = LoginThrottle::new(&config, clock.clone());
    (clock, throttle)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn ab_01_delay_grows_with_failures() {
    let (_clock, t) = setup();
    let key = login_key("sosh1", "ivanov.is");
    assert_eq!(t.check(&key, ip("10.0.0.1")), Throttle::Allow { delay: Duration::ZERO });
    for n in 1..=4u64 {
        t.record_failure(&key, ip("10.0.0.1"));
        assert_eq!(t.check(&key, ip("10.0.0.1")), Throttle::Allow { delay: Duration::from_millis(250 * n) });
    }
}

#[test]
fn ab_01_login_locked_after_failures() {
    let (clock, t) = setup();
    let key = login_key("sosh1", "ivanov.is");
    for i in 0..5 {
        // Different IPs: the login's own counter locks it.
        t.record_failure(&key, ip(&format!("10.0.0.{i}")));
    }
    assert_eq!(t.check(&key, ip("10.9.9.9")), Throttle::Locked { retry_after: Duration::from_secs(900) });
    clock.advance(899);
    assert_eq!(t.check(&key, ip("10.9.9.9")), Throttle::Locked { retry_after: Duration::from_secs(1) });
    // Other logins of the same organisation are not affected.
    assert!(matches!(t.check(&login_key("sosh1", "ivanova.as"), ip("10.9.9.9")), Throttle::Allow { .. }));
    clock.advance(1);
    assert_eq!(t.check(&key, ip("10.9.9.9")), Throttle::Allow { delay: Duration::ZERO });
}

#[test]
fn ab_01_login_key_ignores_case() {
    let (_clock, t) = setup();
    for _ in 0..5 {
        t.record_failure(&login_key("sosh1", "Ivanov.IS"), ip("10.0.0.1"));
    }
    assert!(matches!(t.check(&login_key("sosh1", "ivanov.is"), ip("10.0.0.2")), Throttle::Locked { .. }));
    assert!(matches!(t.check(&login_key("gymn2", "ivanov.is"), ip("10.0.0.2")), Throttle::Allow { .. }));
}

#[test]
fn ab_01_ip_locked_after_failures_across_logins() {
    let (clock, t) = setup();
    for i in 0..8 {
        t.record_failure(&login_key("sosh1", &format!("user{i}")), ip("192.0.2.7"));
    }
    let fresh = login_key("sosh1", "someone.else");
    assert_eq!(t.check(&fresh, ip("192.0.2.7")), Throttle::Locked { retry_after: Duration::from_secs(900) });
    assert!(matches!(t.check(&fresh, ip("192.0.2.8")), Throttle::Allow { .. }));
    clock.advance(900);
    assert!(matches!(t.check(&fresh, ip("192.0.2.7")), Throttle::Allow { .. }));
}

#[test]
fn ab_01_ipv6_counts_per_64() {
    let (_clock, t) = setup();
    for i in 0..8 {
        t.record_failure(&login_key("sosh1", &format!("u{i}")), ip(&format!("2001:db8:1:2::{i}")));
    }
    let k = login_key("sosh1", "x");
    assert!(matches!(t.check(&k, ip("2001:db8:1:2:ffff::1")), Throttle::Locked { .. }));
    assert!(matches!(t.check(&k, ip("2001:db8:1:3::1")), Throttle::Allow { .. }));
}

#[test]
fn ab_01_success_clears_login_counter() {
    let (_clock, t) = setup();
    let key = login_key("sosh1", "ivanov.is");
    for _ in 0..4 {
        t.record_failure(&key, ip("10.0.0.1"));
    }
    t.record_success(&key);
    assert_eq!(t.check(&key, ip("10.0.0.1")), Throttle::Allow { delay: Duration::ZERO });
    // Four more failures are needed again... and the fifth locks.
    for _ in 0..4 {
        t.record_failure(&key, ip("10.0.0.2"));
    }
    assert!(matches!(t.check(&key, ip("10.0.0.3")), Throttle::Allow { .. }));
}

#[test]
fn ab_01_old_failures_are_forgotten() {
    let (clock, t) = setup();
    let key = login_key("sosh1", "ivanov.is");
    for _ in 0..4 {
        t.record_failure(&key, ip("10.0.0.1"));
    }
    clock.advance(900);
    assert_eq!(t.check(&key, ip("10.0.0.1")), Throttle::Allow { delay: Duration::ZERO });
    t.record_failure(&key, ip("10.0.0.1"));
    assert_eq!(t.check(&key, ip("10.0.0.1")), Throttle::Allow { delay: Duration::from_millis(250) });
}

#[test]
fn ab_01_delay_is_capped() {
    let clock = Arc::new(FixedClock::new(0));
    let config =
        LoginConfig { max_failures_per_login: 1000, max_failures_per_ip: 1000, lock_secs: 900, delay_step_ms: 5000 };
    let t = LoginThrottle::new(&config, clock);
    for _ in 0..10 {
        t.record_failure("k", ip("10.0.0.1"));
    }
    assert_eq!(t.check("k", ip("10.0.0.1")), Throttle::Allow { delay: MAX_DELAY });
}
