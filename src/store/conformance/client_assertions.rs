//! Conformance checks: `private_key_jwt` (RFC 7523 §3 item 7) — an assertion's `jti`
//! is recorded once, of parallel uses exactly one is first, its key space is not the
//! DPoP proofs', rows go when purged; a client's JWK Set is stored and changed.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::store::*;

pub async fn client_assertion_jti_recorded_once_and_purged(db: &mut TestDb) {
    let s = db.store();
    assert!(s.record_client_assertion("a1", T0 + 61).await.unwrap(), "first use");
    assert!(!s.record_client_assertion("a1", T0 + 61).await.unwrap(), "a replay");
    assert!(!s.record_client_assertion("a1", T0 + 999).await.unwrap(), "a replay whatever its expiry");
    assert!(s.record_dpop_proof("a1", T0 + 61).await.unwrap(), "a DPoP proof's key space is its own");
    assert!(s.record_client_assertion("a2", T0).await.unwrap());
    assert!(s.purge_expired().await.unwrap() >= 1, "the expired assertion goes");
    assert!(s.record_client_assertion("a2", T0 + 61).await.unwrap(), "purged: recorded anew");
    assert!(!s.record_client_assertion("a1", T0 + 61).await.unwrap(), "a live assertion stays");
}

pub async fn client_assertion_parallel_records_one_first(db: &mut TestDb) {
    let s = db.shared();
    for round in 0..5 {
        let key = format!("jti-{round}");
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (s, key) = (s.clone(), key.clone());
                tokio::spawn(async move { s.record_client_assertion(&key, T0 + 60).await.unwrap() })
            })
            .collect();
        let mut first = 0;
        for t in tasks {
            if t.await.unwrap() {
                first += 1;
            }
        }
        assert_eq!(first, 1, "round {round}: one of 12 parallel uses of an assertion is first");
    }
}

pub async fn client_jwks_round_trip(db: &mut TestDb) {
    let s = db.store();
    let keys = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y"}]}"#;
    let c = Client {
        secret_hash: None,
        auth_method: AuthMethod::PrivateKeyJwt,
        jwks: Some(keys.into()),
        ..client("by-key")
    };
    s.insert_client(&c, &event()).await.unwrap();
    assert_eq!(s.client("by-key").await.unwrap(), Some(c.clone()));
    let rotated = Client { jwks: Some(r#"{"keys":[]}"#.into()), updated_at: T0 + 1, ..c.clone() };
    let want = rotated.clone();
    assert_eq!(s.change_client("by-key", &|_| Some(want.clone()), &event()).await.unwrap(), Some(rotated.clone()));
    assert_eq!(s.client("by-key").await.unwrap(), Some(rotated));
    assert_eq!(s.client("rp").await.unwrap(), None);
    s.insert_client(&client("rp"), &event()).await.unwrap();
    assert_eq!(s.client("rp").await.unwrap().unwrap().jwks, None, "a client without keys");
}
