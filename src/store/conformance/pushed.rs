//! Conformance checks, part 10: pushed authorization requests (RFC 9126): taken
//! once, only by the client that pushed them, never after their expiry, purged.

use super::harness::{T0, TestDb};

pub async fn pushed_request_taken_once_by_its_client(db: &mut TestDb) {
    let s = db.store();
    s.put_pushed("h1", "app", "scope=openid", T0 + 60).await.unwrap();
    assert_eq!(s.take_pushed("h1", "other", T0).await.unwrap(), None, "another client's");
    assert_eq!(s.take_pushed("h1", "app", T0 + 60).await.unwrap(), None, "expired at its expiry");
    assert_eq!(s.take_pushed("h1", "app", T0).await.unwrap().as_deref(), Some("scope=openid"));
    assert_eq!(s.take_pushed("h1", "app", T0).await.unwrap(), None, "used once");
    s.put_pushed("h2", "app", "x=1", T0 - 1).await.unwrap();
    s.put_pushed("h3", "app", "x=2", T0 + 600).await.unwrap();
    assert!(s.put_pushed("h3", "app", "x=3", T0 + 600).await.is_err(), "a request_uri is never replaced");
    assert!(s.purge_expired().await.unwrap() >= 1, "the expired push goes");
    assert_eq!(s.take_pushed("h2", "app", T0 - 10).await.unwrap(), None, "purged");
    assert_eq!(s.take_pushed("h3", "app", T0).await.unwrap().as_deref(), Some("x=2"), "a live push stays");
}

pub async fn pushed_request_parallel_takes_one_winner(db: &mut TestDb) {
    let s = db.shared();
    for round in 0..5 {
        let key = format!("uri-{round}");
        s.put_pushed(&key, "app", "p", T0 + 60).await.unwrap();
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (s, key) = (s.clone(), key.clone());
                tokio::spawn(async move { s.take_pushed(&key, "app", T0).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.unwrap().is_some() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: one of 12 parallel takes gets the request");
    }
}
