//! The key ring: which signing key is next, active or retiring (DS-03; the states:
//! `key_state.rs`), the JWKS, and loading, generating, rotating and retiring keys
//! through the store. Keys are parsed once per load; the ring keeps an
//! immutable view behind a lock and swaps it when the store changes or when the clock
//! passes the next moment a key changes state.

use super::TokenError;
pub use super::key_state::KeyState;
use super::key_state::states_at;
use super::keygen::{self, Alg, LoadedKey};
use crate::audit::AuditEvent;
use crate::clock::{Clock, UnixTime};
use crate::crypto::MasterKey;
use crate::store::{Store, StoredKey};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// How keys rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// How long a rotated-in key is published before it signs.
    pub rotation_grace_secs: i64,
    /// The longest lifetime of any token we sign: how long a superseded key stays published.
    pub max_token_ttl_secs: i64,
}

/// One line of `keys list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeySummary {
    pub kid: String,
    pub alg: String,
    pub created_at: UnixTime,
    pub activates_at: UnixTime,
    pub state: KeyState,
    /// When a retiring key leaves the JWKS (`None` while active or next).
    pub published_until: Option<UnixTime>,
}

/// A stored key's metadata plus, unless it had expired when loaded, its parsed form.
struct Entry {
    meta: StoredKey,
    loaded: Option<Arc<LoadedKey>>,
}

/// Everything the hot path needs, computed for one moment and valid until `valid_until`.
struct View {
    entries: Arc<Vec<Entry>>,
    computed_at: UnixTime,
    valid_until: UnixTime,
    states: Vec<(KeyState, Option<UnixTime>)>,
    active: Vec<Arc<LoadedKey>>,
    published: HashMap<String, Arc<LoadedKey>>,
    jwks: Arc<str>,
}

impl View {
    fn compute(entries: Arc<Vec<Entry>>, now: UnixTime, ttl: i64) -> Self {
        let (states, valid_until) = states_at(entries.iter().map(|e| &e.meta), now, ttl);
        let mut active = Vec::new();
        let mut pending = Vec::new();
        let mut retiring = Vec::new();
        let mut published = HashMap::new();
        for (entry, (state, _)) in entries.iter().zip(&states) {
            let Some(key) = &entry.loaded else { continue };
            match state {
                KeyState::Active => active.push(key.clone()),
                KeyState::Next => pending.push(key.clone()),
                KeyState::Retiring => retiring.push(key.clone()),
                KeyState::Retired => continue,
            }
            published.insert(key.kid.clone(), key.clone());
        }
        active.sort_by_key(|k| k.alg);
        pending.sort_by_key(|k| (k.activates_at, k.alg));
        retiring.sort_by_key(|k| (std::cmp::Reverse(k.activates_at), k.alg));
        let list: Vec<&serde_json::Map<String, serde_json::Value>> =
            active.iter().chain(&pending).chain(&retiring).map(|k| &k.public_jwk).collect();
        let jwks =
            serde_json::to_string(&serde_json::json!({ "keys": list })).unwrap_or_else(|_| "{\"keys\":[]}".into());
        Self { entries, computed_at: now, valid_until, states, active, published, jwks: jwks.into() }
    }
}

/// The signing keys in memory, parsed once, with the JWKS pre-serialised.
pub struct KeyRing {
    store: Option<Arc<dyn Store>>,
    master: MasterKey,
    clock: Arc<dyn Clock>,
    policy: KeyPolicy,
    view: RwLock<Arc<View>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Loads the store's keys; generates (activating now) and stores one for every
    /// supported algorithm that has no started key.
    pub async fn load_or_init(
        store: Arc<dyn Store>,
        master: &MasterKey,
        clock: Arc<dyn Clock>,
        policy: KeyPolicy,
    ) -> Result<Arc<KeyRing>, TokenError> {
        let mut keys = store.signing_keys().await?;
        let now = clock.now();
        for alg in keygen::SUPPORTED_ALGS {
            if keys.iter().any(|k| k.alg == alg && k.activates_at <= now && k.retire_at.is_none()) {
                continue;
            }
            let key = keygen::generate_key(alg, master, now, now).await?;
            let audit = AuditEvent::KeyAdded { kid: key.kid.clone(), alg: key.alg.clone(), activates_at: now };
            store.add_signing_key(&key, &audit).await?;
            tracing::info!(kid = %key.kid, alg, "generated signing key");
            keys.push(key);
        }
        let mut ring = Self::build(keys, master, clock, policy)?;
        ring.store = Some(store);
        Ok(Arc::new(ring))
    }

    /// A ring over the given keys, without a store (tests, tools). [`reload`](Self::reload)
    /// then only re-evaluates time; use [`replace_keys`](Self::replace_keys) to change keys.
    pub fn from_keys(
        keys: Vec<StoredKey>,
        master: &MasterKey,
        clock: Arc<dyn Clock>,
        policy: KeyPolicy,
    ) -> Result<Arc<KeyRing>, TokenError> {
        Self::build(keys, master, clock, policy).map(Arc::new)
    }

    fn build(
        keys: Vec<StoredKey>,
        master: &MasterKey,
        clock: Arc<dyn Clock>,
        policy: KeyPolicy,
    ) -> Result<Self, TokenError> {
        let entries = load_entries(keys, &[], master, clock.now(), policy.max_token_ttl_secs)?;
        let view = View::compute(Arc::new(entries), clock.now(), policy.max_token_ttl_secs);
        Ok(Self { store: None, master: master.clone(), clock, policy, view: RwLock::new(Arc::new(view)) })
    }

    /// Re-reads the store (CLI rotations, other nodes). Keys already parsed are reused.
    /// On error the previous keys stay in use.
    pub async fn reload(&self) -> Result<(), TokenError> {
        match &self.store {
            Some(store) => {
                let keys = store.signing_keys().await?;
                self.replace_keys(keys)
            }
            None => {
                let entries = self.current().entries.clone();
                self.swap(View::compute(entries, self.clock.now(), self.policy.max_token_ttl_secs));
                Ok(())
            }
        }
    }

    /// Replaces the key set with `keys` (the sync half of [`reload`](Self::reload)).
    pub fn replace_keys(&self, keys: Vec<StoredKey>) -> Result<(), TokenError> {
        let now = self.clock.now();
        let old = self.current().entries.clone();
        let entries = load_entries(keys, &old, &self.master, now, self.policy.max_token_ttl_secs)?;
        self.swap(View::compute(Arc::new(entries), now, self.policy.max_token_ttl_secs));
        Ok(())
    }

    /// Adds a key of `alg` through the store that activates after the policy's grace
    /// period, then reloads.
    pub async fn rotate(&self, alg: &str) -> Result<StoredKey, TokenError> {
        let store = self.store.as_ref().ok_or_else(|| TokenError::Key("key ring has no store".into()))?;
        let key =
            rotate(store.as_ref(), &self.master, self.clock.as_ref(), alg, self.policy.rotation_grace_secs).await?;
        self.reload().await?;
        Ok(key)
    }

    pub fn policy(&self) -> KeyPolicy {
        self.policy
    }

    /// `{"keys":[…]}` of the published keys, active keys first. Pre-serialised.
    pub fn jwks_json(&self) -> Arc<str> {
        self.view().jwks.clone()
    }

    /// Algorithms that currently have an active key (for discovery).
    pub fn signing_algs(&self) -> Vec<&'static str> {
        self.view().active.iter().map(|k| k.alg.as_str()).collect()
    }

    /// Every stored key with its state now, for `keys list`.
    pub fn key_summaries(&self) -> Vec<KeySummary> {
        let view = self.view();
        let mut out: Vec<KeySummary> = view
            .entries
            .iter()
            .zip(&view.states)
            .map(|(e, (state, until))| KeySummary {
                kid: e.meta.kid.clone(),
                alg: e.meta.alg.clone(),
                created_at: e.meta.created_at,
                activates_at: e.meta.activates_at,
                state: *state,
                published_until: *until,
            })
            .collect();
        out.sort_by(|a, b| (&a.alg, a.activates_at, &a.kid).cmp(&(&b.alg, b.activates_at, &b.kid)));
        out
    }

    /// The active key of `alg`.
    pub(crate) fn signing_key(&self, alg: &str) -> Result<Arc<LoadedKey>, TokenError> {
        let view = self.view();
        view.active
            .iter()
            .find(|k| k.alg.as_str() == alg)
            .cloned()
            .ok_or_else(|| TokenError::Key(format!("no active {alg} key")))
    }

    /// A published key by `kid` (active, pending or retiring).
    pub(crate) fn verifying_key(&self, kid: &str) -> Option<Arc<LoadedKey>> {
        self.view().published.get(kid).cloned()
    }

    fn current(&self) -> Arc<View> {
        self.view.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn swap(&self, view: View) {
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(view);
    }

    /// The view for now, recomputed (without parsing) when a key changed state since.
    fn view(&self) -> Arc<View> {
        let now = self.clock.now();
        let cur = self.current();
        if now < cur.valid_until && now >= cur.computed_at {
            return cur;
        }
        let mut guard = self.view.write().unwrap_or_else(|e| e.into_inner());
        if now >= guard.valid_until || now < guard.computed_at {
            *guard = Arc::new(View::compute(guard.entries.clone(), now, self.policy.max_token_ttl_secs));
        }
        guard.clone()
    }
}

/// Parses every key that has not expired, reusing parsed keys of `old` with the same
/// content. Any key that fails to decrypt or parse fails the whole load.
fn load_entries(
    keys: Vec<StoredKey>,
    old: &[Entry],
    master: &MasterKey,
    now: UnixTime,
    ttl: i64,
) -> Result<Vec<Entry>, TokenError> {
    let (states, _) = states_at(&keys, now, ttl);
    let mut entries = Vec::with_capacity(keys.len());
    for (meta, (state, _)) in keys.into_iter().zip(states) {
        if Alg::parse(&meta.alg).is_none() {
            return Err(TokenError::Key(format!("key {}: unsupported alg {}", meta.kid, meta.alg)));
        }
        let loaded = if state == KeyState::Retired {
            None
        } else if let Some(prev) = old.iter().find(|e| e.meta == meta).and_then(|e| e.loaded.clone()) {
            Some(prev)
        } else {
            Some(Arc::new(keygen::load(&meta, master)?))
        };
        entries.push(Entry { meta, loaded });
    }
    Ok(entries)
}

/// Retires key `kid` (the `keys retire` CLI and the console): it stops signing now
/// and leaves the JWKS at `retire_at`, audited `key_retired` in the store's
/// transaction. `None` when no such key; the key that signs for its algorithm is refused.
pub async fn retire(
    store: &dyn Store,
    kid: &str,
    retire_at: UnixTime,
) -> Result<Option<(String, crate::store::RetireOutcome)>, crate::store::StoreError> {
    let keys = store.signing_keys().await?;
    let Some(alg) = keys.iter().find(|k| k.kid == kid).map(|k| k.alg.clone()) else {
        return Ok(None);
    };
    let audit = AuditEvent::KeyRetired { kid: kid.to_owned(), alg: alg.clone(), retire_at };
    let outcome = store.retire_signing_key(kid, retire_at, &audit).await?;
    Ok(Some((alg, outcome)))
}

/// Adds a new key of `alg` that activates `grace_secs` from now (the `keys rotate` CLI).
/// Running nodes publish it at their next reload and sign with it once it activates.
pub async fn rotate(
    store: &dyn Store,
    master: &MasterKey,
    clock: &dyn Clock,
    alg: &str,
    grace_secs: i64,
) -> Result<StoredKey, TokenError> {
    if grace_secs < 0 {
        return Err(TokenError::Key("rotation grace must not be negative".into()));
    }
    let now = clock.now();
    let key = keygen::generate_key(alg, master, now, now.saturating_add(grace_secs)).await?;
    let audit = AuditEvent::KeyAdded { kid: key.kid.clone(), alg: key.alg.clone(), activates_at: key.activates_at };
    store.add_signing_key(&key, &audit).await?;
    Ok(key)
}
