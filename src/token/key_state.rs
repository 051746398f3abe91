//! Where each signing key is in its life at a moment (pure): `next`, `active`,
//! `retiring` or `retired`, and the next moment any of them changes.
//!
//! A key retired by hand (`keys retire`, `retire_at` set) never signs again; it is
//! `retiring` (published) until `retire_at`, then `retired`. Among the other keys of an
//! algorithm the ACTIVE one is the latest started (`activates_at <= now`); a later one is
//! `next` (published, not yet signing); an earlier one is `retiring` until
//! `superseded_at + ttl` (`superseded_at`: the next key's `activates_at`), then `retired`.
//! A retired key is neither published nor trusted; its private part stays in the store,
//! encrypted under the master key.

use crate::clock::UnixTime;
use crate::store::StoredKey;
use serde::Serialize;
use std::collections::HashMap;

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, signs from `activates_at`.
    Next,
    /// Signs new tokens of its algorithm; published.
    Active,
    /// No longer signs; published until the tokens it signed have expired (or `retire_at`).
    Retiring,
    /// Neither published nor trusted.
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
        }
    }
}

/// State of every key at `now` (parallel to `keys`) with the moment it leaves the JWKS
/// (`None` while active or next), and the next moment any state changes.
pub(crate) fn states_at<'a, I>(keys: I, now: UnixTime, ttl: i64) -> (Vec<(KeyState, Option<UnixTime>)>, UnixTime)
where
    I: IntoIterator<Item = &'a StoredKey>,
{
    let keys: Vec<&StoredKey> = keys.into_iter().collect();
    let mut out = vec![(KeyState::Retired, None); keys.len()];
    let mut next = UnixTime::MAX;
    let mut by_alg: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        match k.retire_at {
            Some(at) if now < at => {
                next = next.min(at);
                out[i] = (KeyState::Retiring, Some(at));
            }
            Some(at) => out[i] = (KeyState::Retired, Some(at)),
            None => by_alg.entry(k.alg.as_str()).or_default().push(i),
        }
    }
    for group in by_alg.values_mut() {
        group.sort_by(|&a, &b| {
            let (a, b) = (keys[a], keys[b]);
            (a.activates_at, a.created_at, &a.kid).cmp(&(b.activates_at, b.created_at, &b.kid))
        });
        let active = group.iter().rposition(|&i| keys[i].activates_at <= now);
        for (pos, &i) in group.iter().enumerate() {
            let k = keys[i];
            out[i] = if k.activates_at > now {
                next = next.min(k.activates_at);
                (KeyState::Next, None)
            } else if Some(pos) == active {
                (KeyState::Active, None)
            } else {
                // Not the last started key, so a later one exists and has started.
                let superseded_at = group.get(pos + 1).map_or(now, |&n| keys[n].activates_at);
                let until = superseded_at.saturating_add(ttl);
                if now < until {
                    next = next.min(until);
                    (KeyState::Retiring, Some(until))
                } else {
                    (KeyState::Retired, Some(until))
                }
            };
        }
    }
    (out, next)
}
