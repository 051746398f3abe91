//! Conformance checks, part 9: the ESIA sandbox's rows (one winner of parallel
//! takes, expiry, purge) and the change feed (PostgreSQL: a notification per client
//! and key change, delivered at commit; SQLite: none).

use super::fixtures::{client, event};
use super::harness::{T0, TestDb};
use crate::store::changes::Change;
use crate::store::*;
use std::time::Duration;

pub async fn sandbox_rows_expire_and_are_purged(db: &mut TestDb) {
    let s = db.store();
    s.sandbox_put("code", "h1", r#"{"a":1}"#, T0 + 60).await.unwrap();
    s.sandbox_put("request", "h1", "other kind", T0 + 600).await.unwrap();
    assert_eq!(s.sandbox_get("code", "h1", T0).await.unwrap().as_deref(), Some(r#"{"a":1}"#));
    s.sandbox_put("code", "h1", r#"{"a":2}"#, T0 + 120).await.unwrap();
    assert_eq!(s.sandbox_get("code", "h1", T0 + 60).await.unwrap().as_deref(), Some(r#"{"a":2}"#), "replaced");
    assert_eq!(s.sandbox_get("code", "h1", T0 + 120).await.unwrap(), None, "expired at its expiry");
    assert_eq!(s.sandbox_take("code", "h1", T0 + 120).await.unwrap(), None, "an expired row is not taken");
    assert_eq!(s.sandbox_get("request", "h1", T0).await.unwrap().as_deref(), Some("other kind"));
    db.clock.advance(120);
    assert_eq!(s.sandbox_purge(T0 + 120).await.unwrap(), 1, "the expired code goes");
    db.clock.advance(600);
    assert!(s.purge_expired().await.unwrap() >= 1, "purge_expired takes the sandbox's rows too");
    assert_eq!(s.sandbox_get("request", "h1", T0).await.unwrap(), None);
}

pub async fn sandbox_parallel_takes_one_winner(db: &mut TestDb) {
    let s = db.shared();
    for round in 0..5 {
        let key = format!("code-{round}");
        s.sandbox_put("code", &key, "grant", T0 + 60).await.unwrap();
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (s, key) = (s.clone(), key.clone());
                tokio::spawn(async move { s.sandbox_take("code", &key, T0).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.unwrap().is_some() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: one of 12 parallel takes gets the code");
    }
}

pub async fn change_feed_notifies_client_and_key_changes(db: &mut TestDb) {
    let s = db.shared();
    let Some(mut rx) = s.changes() else {
        assert_eq!(s.backend(), "sqlite", "only SQLite (one node) has no feed");
        return;
    };
    // The listener connects in the background; a change made before it listens is lost.
    let mut first = None;
    for attempt in 0..50 {
        let id = format!("feed-{attempt}");
        s.insert_client(&client(&id), &event()).await.unwrap();
        if let Ok(Some(change)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            first = Some((id, change));
            break;
        }
    }
    let (id, change) = first.expect("the feed tells of a new client");
    assert!(matches!(&change, Change::Client(c) if c.starts_with("feed-")), "{change:?}");
    // Drain what the earlier attempts may still deliver.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {}
    s.remove_client(&id, &event()).await.unwrap();
    let key = StoredKey {
        kid: "k-feed".into(),
        alg: "ES256".into(),
        private_jwk_enc: vec![1, 2, 3],
        public_jwk: r#"{"kid":"k-feed"}"#.into(),
        created_at: T0,
        activates_at: T0,
        retire_at: None,
    };
    s.add_signing_key(&key, &event()).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let next = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        seen.push(next.expect("a notification within 5 s").expect("the feed is open"));
    }
    assert_eq!(seen, [Change::Client(id), Change::Keys], "in commit order");
}
