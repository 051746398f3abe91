//! Login throttling (AB-01, AB-04): a growing delay per failed attempt, a temporary
//! lock per (organisation, login), and a slow-down per client address.
//!
//! The counters are the store's ([`LimitStore`]): every node shares them and a restart
//! keeps them. An attempt is counted **before** the password is checked
//! ([`LoginThrottle::reserve`], one atomic UPSERT): of 25 parallel attempts on one
//! login only the first `max_failures_per_login` are checked at all. A success
//! clears the login's count ([`LoginThrottle::succeeded`]); a failure keeps it and,
//! at the limit, locks the login ([`LoginThrottle::failed`]).
//!
//! An address past its limit only slows attempts down (`ip_delay_ms`): behind a NAT
//! or a proxy one address is many people, so it refuses only logins that have
//! failures of their own. The decision is the pure [`decide`].

use crate::clock::{Clock, UnixTime};
use crate::config::LoginConfig;
use crate::store::StoreResult;
use crate::store::limits::{Counter, LimitStore};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// What the form may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Go ahead after waiting `delay` (zero when there were no recent failures).
    Allow { delay: Duration },
    /// Refuse without checking the password; try again after `retry_after`.
    Locked { retry_after: Duration },
}

/// An attempt refused unchecked: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub retry_after: Duration,
}

/// The longest delay ever imposed before a check, whatever the configuration.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// An attempt counted by [`LoginThrottle::reserve`], to be settled by
/// [`LoginThrottle::failed`] or [`LoginThrottle::succeeded`].
#[derive(Debug, Clone)]
pub struct Attempt {
    login: String,
    ip: String,
    /// This attempt's number in the login's window.
    number: u32,
    /// How long to wait before checking.
    pub delay: Duration,
}

/// Failure counters of one kind of attempt (the password login and account linking
/// share one; «Забыли пароль?» has its own), kept in the store.
#[derive(Debug)]
pub struct LoginThrottle {
    config: LoginConfig,
    clock: Arc<dyn Clock>,
    /// Keys the counters' names, so the table holds no login or address in clear.
    key: [u8; 32],
    /// Separates the counters of different throttles in one table.
    scope: &'static str,
    busy: BusyAddress,
}

/// The throttle key of a login in an organisation (logins compared case-insensitively).
pub fn login_key(organisation_id: &str, login: &str) -> String {
    format!("{organisation_id}\u{0}{}", login.trim().to_lowercase())
}

/// IPv4 addresses count one by one; IPv6 addresses by their /64 network, since one
/// client usually holds a whole /64.
pub fn ip_key(ip: IpAddr) -> String {
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

/// What an address past its limit gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyAddress {
    /// Slowed down by `ip_delay_ms`; refused only for keys with failures of their own
    /// (logins: one address is many people behind a NAT or a proxy).
    Slow,
    /// Refused (requests that sign no one in, e.g. «Забыли пароль?» mails).
    Refuse,
}

/// The decision for an attempt, given the login's counter after this attempt was
/// counted and the address's counter.
pub fn decide(config: &LoginConfig, busy: BusyAddress, login: Counter, ip: Counter, now: UnixTime) -> Throttle {
    let wait = |until: UnixTime| Duration::from_secs(u64::try_from(until.saturating_sub(now)).unwrap_or(0).max(1));
    if login.locked(now) {
        return Throttle::Locked { retry_after: wait(login.locked_until) };
    }
    let max = config.max_failures_per_login;
    if max > 0 && login.hits > max {
        // Counted past the limit while earlier attempts are still being checked.
        return Throttle::Locked { retry_after: wait(login.window_end) };
    }
    let earlier = login.hits.saturating_sub(1);
    let mut delay = Duration::from_millis(config.delay_step_ms.saturating_mul(u64::from(earlier)));
    let max_ip = config.max_failures_per_ip;
    if ip.locked(now) || (max_ip > 0 && ip.hits >= max_ip) {
        if earlier > 0 || busy == BusyAddress::Refuse {
            return Throttle::Locked { retry_after: wait(ip.locked_until.max(ip.window_end)) };
        }
        delay = delay.max(Duration::from_millis(config.ip_delay_ms));
    }
    Throttle::Allow { delay: delay.min(MAX_DELAY) }
}

impl LoginThrottle {
    /// The throttle of the password login: a busy address is slowed down.
    pub fn new(config: &LoginConfig, clock: Arc<dyn Clock>, key: [u8; 32], scope: &'static str) -> Self {
        Self { config: config.clone(), clock, key, scope, busy: BusyAddress::Slow }
    }

    /// A throttle that refuses a busy address outright.
    pub fn refusing_busy_addresses(self) -> Self {
        Self { busy: BusyAddress::Refuse, ..self }
    }

    fn lock_secs(&self) -> i64 {
        i64::try_from(self.config.lock_secs).unwrap_or(i64::MAX)
    }

    fn counter_name(&self, kind: &str, value: &str) -> String {
        let material = format!("{}\u{0}{kind}\u{0}{value}", self.scope);
        crate::crypto::b64(&crate::crypto::hmac_sha256(&self.key, material.as_bytes()))
    }

    /// The name of the counter of `kind` for a client address (e.g. the flows it
    /// started), keyed like the throttle's own.
    pub fn address_counter(&self, kind: &str, ip: IpAddr) -> String {
        self.counter_name(kind, &ip_key(ip))
    }

    /// Counts an attempt on `login_key` from `ip` before anything is checked.
    /// `Err` refuses it; `Ok` carries the delay to wait before checking.
    pub async fn reserve(
        &self,
        store: &dyn LimitStore,
        login_key: &str,
        ip: IpAddr,
    ) -> StoreResult<Result<Attempt, Locked>> {
        let login = self.counter_name("login", login_key);
        let addr = self.counter_name("ip", &ip_key(ip));
        let counted = store.hit(&login, self.lock_secs()).await?;
        let addr_counter = store.counter(&addr).await?;
        Ok(match decide(&self.config, self.busy, counted, addr_counter, self.clock.now()) {
            Throttle::Allow { delay } => Ok(Attempt { login, ip: addr, number: counted.hits, delay }),
            Throttle::Locked { retry_after } => Err(Locked { retry_after }),
        })
    }

    /// The attempt failed: it stays counted; the login is locked at its limit, and
    /// the address's failure is counted.
    pub async fn failed(&self, store: &dyn LimitStore, attempt: &Attempt) -> StoreResult<()> {
        let until = self.clock.now().saturating_add(self.lock_secs());
        let max = self.config.max_failures_per_login;
        if max > 0 && attempt.number >= max {
            store.lock_counter(&attempt.login, until).await?;
        }
        let addr = store.hit(&attempt.ip, self.lock_secs()).await?;
        let max_ip = self.config.max_failures_per_ip;
        if max_ip > 0 && addr.hits == max_ip {
            store.lock_counter(&attempt.ip, until).await?;
        }
        Ok(())
    }

    /// The attempt succeeded: the login's count starts again (the address's stays).
    pub async fn succeeded(&self, store: &dyn LimitStore, attempt: &Attempt) -> StoreResult<()> {
        store.clear_hits(&attempt.login).await
    }
}

#[cfg(test)]
#[path = "throttle_tests.rs"]
mod tests;
