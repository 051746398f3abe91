//! Changes to a registered client applied to the store, each read and written in one
//! transaction with its audit event naming who acted (`by`: `cli` or the acting
//! admin's account id). `propusk clients update|rotate-secret` and the console's
//! «Клиенты» both call these, so a change is checked by one set of rules.

use super::client::{ClientRuleError, NewClient, build_client, hash_secret};
use super::client_change::{ClientChange, rotated, updated};
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use crate::config::TokensConfig;
use crate::crypto::SecretString;
use crate::store::{Client, Store, StoreError};

/// Why a change was not stored.
#[derive(Debug)]
pub enum ChangeError {
    /// No client with this id.
    NotFound,
    /// The change breaks a registration rule.
    Rule(ClientRuleError),
    /// A client with this id exists already (a new one).
    Exists,
    /// The client changed between the check and the locked write; try again.
    Meanwhile,
    Store(StoreError),
}

impl From<StoreError> for ChangeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(_) => Self::Exists,
            e => Self::Store(e),
        }
    }
}

async fn current(store: &dyn Store, id: &str) -> Result<Client, ChangeError> {
    store.client(id).await?.ok_or(ChangeError::NotFound)
}

/// Applies `change` to client `id` (audited `client_changed`); returns the client as stored.
pub async fn update(
    store: &dyn Store,
    tokens: &TokensConfig,
    now: UnixTime,
    id: &str,
    change: ClientChange,
    by: &str,
) -> Result<Client, ChangeError> {
    // Checked first for a clear message; applied again to the row as locked.
    updated(&current(store, id).await?, change.clone(), tokens, now).map_err(ChangeError::Rule)?;
    let event = AuditEvent::ClientChanged { client_id: id.to_owned(), by: by.to_owned() };
    let apply = |c: &Client| updated(c, change.clone(), tokens, now).ok();
    store.change_client(id, &apply, &event).await?.ok_or(ChangeError::Meanwhile)
}

/// A new secret for client `id` (audited `client_secret_rotated`); the old one stays
/// valid until `old_valid_until` (at most 30 days on). Returns the client and the new
/// secret, to show once.
pub async fn rotate_secret(
    store: &dyn Store,
    now: UnixTime,
    id: &str,
    old_valid_until: Option<UnixTime>,
    by: &str,
) -> Result<(Client, SecretString), ChangeError> {
    let (_, secret) = rotated(&current(store, id).await?, now, old_valid_until).map_err(ChangeError::Rule)?;
    let event = AuditEvent::ClientSecretRotated {
        client_id: id.to_owned(),
        old_valid_until: old_valid_until.filter(|&t| t > now),
        by: by.to_owned(),
    };
    let hash = hash_secret(&secret);
    let apply = |c: &Client| {
        rotated(c, now, old_valid_until).ok().map(|(c, _)| Client { secret_hash: Some(hash.clone()), ..c })
    };
    let client = store.change_client(id, &apply, &event).await?.ok_or(ChangeError::Meanwhile)?;
    Ok((client, secret))
}

/// The client `new` registers, checked by the registration rules, and for a
/// confidential one without a given secret the generated secret (to show once).
pub fn registered(
    new: NewClient,
    tokens: &TokensConfig,
    now: UnixTime,
    require_par: bool,
) -> Result<(Client, Option<SecretString>), ChangeError> {
    let (mut client, secret) = build_client(new, tokens, now).map_err(ChangeError::Rule)?;
    client.require_pushed_authorization_requests = require_par;
    Ok((client, secret))
}

/// Stores a [`registered`] client (audited `client_added`); [`ChangeError::Exists`]
/// when the id is taken.
pub async fn add(store: &dyn Store, client: &Client, by: &str) -> Result<(), ChangeError> {
    let event = AuditEvent::ClientAdded { client_id: client.id.clone(), by: by.to_owned() };
    Ok(store.insert_client(client, &event).await?)
}

/// Removes client `id` and revokes its grants (audited `client_removed`); `false`
/// when it did not exist.
pub async fn remove(store: &dyn Store, id: &str, by: &str) -> Result<bool, StoreError> {
    store.remove_client(id, &AuditEvent::ClientRemoved { client_id: id.to_owned(), by: by.to_owned() }).await
}
