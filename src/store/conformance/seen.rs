//! Conformance checks: single-use identifiers (DPoP proofs, RFC 9449 §11.1; client
//! assertions, RFC 7523 §3 item 7) — each recorded once, of parallel uses exactly one
//! is first, the kinds' key spaces apart, rows gone when purged.

use super::harness::{T0, TestDb};
use crate::store::seen::Seen;

const KINDS: [Seen; 2] = [Seen::DpopProof, Seen::ClientAssertion];

pub async fn seen_once_recorded_once_and_purged(db: &mut TestDb) {
    let s = db.store();
    for kind in KINDS {
        assert!(s.record_once(kind, "p1", T0 + 61).await.unwrap(), "{kind:?}: first use");
        assert!(!s.record_once(kind, "p1", T0 + 61).await.unwrap(), "{kind:?}: a replay");
        assert!(!s.record_once(kind, "p1", T0 + 999).await.unwrap(), "{kind:?}: a replay whatever its expiry");
        assert!(s.record_once(kind, "p2", T0).await.unwrap());
    }
    assert!(s.purge_expired().await.unwrap() >= 2, "the expired identifiers go");
    for kind in KINDS {
        assert!(s.record_once(kind, "p2", T0 + 61).await.unwrap(), "{kind:?}: purged, recorded anew");
        assert!(!s.record_once(kind, "p1", T0 + 61).await.unwrap(), "{kind:?}: a live one stays");
    }
    assert!(s.record_once(Seen::DpopProof, "only-one", T0 + 61).await.unwrap());
    assert!(
        s.record_once(Seen::ClientAssertion, "only-one", T0 + 61).await.unwrap(),
        "each kind's key space is its own"
    );
}

pub async fn seen_once_parallel_records_one_first(db: &mut TestDb) {
    let s = db.shared();
    for kind in KINDS {
        for round in 0..5 {
            let key = format!("jti-{round}");
            let tasks: Vec<_> = (0..12)
                .map(|_| {
                    let (s, key) = (s.clone(), key.clone());
                    tokio::spawn(async move { s.record_once(kind, &key, T0 + 60).await.unwrap() })
                })
                .collect();
            let mut first = 0;
            for t in tasks {
                if t.await.unwrap() {
                    first += 1;
                }
            }
            assert_eq!(first, 1, "{kind:?}, round {round}: one of 12 parallel uses is first");
        }
    }
}
