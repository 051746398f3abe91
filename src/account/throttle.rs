//! Login throttling (AB-01): a growing delay per failed attempt and a temporary
//! lock per (organisation, login) and per client IP.
//!
//! Counters live in memory (moka caches bounded in size) and are **per node**: with
//! several propusk nodes behind a load balancer each node counts on its own, so the
//! effective limit is at most `nodes × max_failures`. Correctness never depends on
//! moka's own expiry: every counter carries the times it was last touched and how long
//! it is locked for, read from [`Clock`], and moka's idle expiry only frees memory.

use crate::clock::{Clock, UnixTime};
use crate::config::LoginConfig;
use moka::sync::Cache;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the login form may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Go ahead after waiting `delay` (zero when there were no recent failures).
    Allow { delay: Duration },
    /// Refuse without checking the password; try again after `retry_after`.
    Locked { retry_after: Duration },
}

/// The longest delay ever imposed before a check, whatever the configuration.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// Most keys remembered per cache (old ones are evicted first).
const CAPACITY: u64 = 100_000;

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    failures: u32,
    last_failure: UnixTime,
    locked_until: UnixTime,
}

type Slot = Arc<Mutex<Counter>>;

/// Failure counters for the legacy password login (and account linking).
#[derive(Debug)]
pub struct LoginThrottle {
    config: LoginConfig,
    clock: Arc<dyn Clock>,
    by_login: Cache<String, Slot>,
    by_ip: Cache<String, Slot>,
}

/// The throttle key of a login in an organisation (logins compared case-insensitively).
pub fn login_key(organisation_id: &str, login: &str) -> String {
    format!("{organisation_id}\u{0}{}", login.trim().to_lowercase())
}

/// IPv4 addresses count one by one; IPv6 addresses by their /64 network, since one
/// client usually holds a whole /64.
fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl LoginThrottle {
    pub fn new(config: &LoginConfig, clock: Arc<dyn Clock>) -> Self {
        // Keep idle counters a little longer than a lock or a failure window lasts.
        let idle = Duration::from_secs(config.lock_secs.max(1).saturating_mul(2));
        let cache = || Cache::builder().max_capacity(CAPACITY).time_to_idle(idle).build();
        Self { config: config.clone(), clock, by_login: cache(), by_ip: cache() }
    }

    fn lock_secs(&self) -> i64 {
        i64::try_from(self.config.lock_secs).unwrap_or(i64::MAX)
    }

    /// Failures older than a lock's length are forgotten.
    fn current(&self, c: &Counter, now: UnixTime) -> Counter {
        if c.locked_until <= now && now.saturating_sub(c.last_failure) >= self.lock_secs() {
            Counter { locked_until: c.locked_until, ..Counter::default() }
        } else {
            *c
        }
    }

    fn read(&self, cache: &Cache<String, Slot>, key: &str, now: UnixTime) -> Counter {
        match cache.get(key) {
            Some(slot) => self.current(&lock(&slot), now),
            None => Counter::default(),
        }
    }

    /// May this login be tried from this IP now, and after which delay?
    pub fn check(&self, login_key: &str, ip: IpAddr) -> Throttle {
        let now = self.clock.now();
        let login = self.read(&self.by_login, login_key, now);
        let addr = self.read(&self.by_ip, &ip_key(ip), now);
        let locked_until = login.locked_until.max(addr.locked_until);
        if locked_until > now {
            let secs = u64::try_from(locked_until - now).unwrap_or(0);
            return Throttle::Locked { retry_after: Duration::from_secs(secs) };
        }
        let delay = Duration::from_millis(self.config.delay_step_ms.saturating_mul(u64::from(login.failures)));
        Throttle::Allow { delay: delay.min(MAX_DELAY) }
    }

    /// Counts a failed attempt against the login and the IP; locks either one that
    /// reaches its limit.
    pub fn record_failure(&self, login_key: &str, ip: IpAddr) {
        let now = self.clock.now();
        self.bump(&self.by_login, login_key.to_owned(), self.config.max_failures_per_login, now);
        self.bump(&self.by_ip, ip_key(ip), self.config.max_failures_per_ip, now);
    }

    fn bump(&self, cache: &Cache<String, Slot>, key: String, max: u32, now: UnixTime) {
        let slot = cache.get_with(key, Slot::default);
        let mut guard = lock(&slot);
        let mut c = self.current(&guard, now);
        c.failures = c.failures.saturating_add(1);
        c.last_failure = now;
        if max > 0 && c.failures >= max {
            c.locked_until = now.saturating_add(self.lock_secs());
            c.failures = 0;
        }
        *guard = c;
    }

    /// A successful login clears the login's counter (the IP's stays).
    pub fn record_success(&self, login_key: &str) {
        if let Some(slot) = self.by_login.get(login_key) {
            let mut guard = lock(&slot);
            let locked_until = guard.locked_until;
            *guard = Counter { locked_until, ..Counter::default() };
        }
    }
}

/// A poisoned counter is still a counter: keep counting.
fn lock(slot: &Slot) -> std::sync::MutexGuard<'_, Counter> {
    slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
#[path = "throttle_tests.rs"]
mod tests;
