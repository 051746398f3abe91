//! Changes made by other nodes (or the CLI) that cached copies must not outlive:
//! the [`ChangeFeed`] of a store. On PostgreSQL triggers notify the channel
//! `propusk_changes` in the transaction of every change of a client or a signing key
//! (migration 0012) and `store/postgres/listen.rs` turns the notifications into
//! [`Change`]s; SQLite (one node) has no feed and the caches' time bounds suffice.

use tokio::sync::mpsc;

/// The channel the triggers of migration 0012 notify.
pub const CHANNEL: &str = "propusk_changes";

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The client with this id was added, changed or removed.
    Client(String),
    /// A signing key was added or changed.
    Keys,
    /// Notifications may have been missed (the listener connected again): drop everything.
    All,
}

impl Change {
    /// The change a notification's payload names (`client:<id>`, `keys`); `None` for others.
    pub fn parse(payload: &str) -> Option<Self> {
        match payload.split_once(':') {
            Some(("client", id)) if !id.is_empty() => Some(Self::Client(id.to_owned())),
            None if payload == "keys" => Some(Self::Keys),
            _ => None,
        }
    }
}

pub trait ChangeFeed: Send + Sync {
    /// A stream of changes for as long as the receiver is kept (one listener per
    /// call); `None` where the backend has none.
    fn changes(&self) -> Option<mpsc::Receiver<Change>>;
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn payloads() {
        let cases = [
            ("client:demo-diary", Some(Change::Client("demo-diary".into()))),
            ("client:a:b", Some(Change::Client("a:b".into()))),
            ("keys", Some(Change::Keys)),
            ("client:", None),
            ("", None),
            ("keys:1", None),
            ("other", None),
        ];
        for (payload, want) in cases {
            assert_eq!(Change::parse(payload), want, "{payload}");
        }
    }
}
