//! Conformance checks, part 12: the revocations introspection keeps in memory —
//! read back since a moment (tokens while unexpired, grants by the moment of their
//! revocation), and the epoch that moves after every revoking commit, only then.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::store::*;

pub async fn revocations_read_since_a_moment(db: &mut TestDb) {
    let s = db.store();
    with_acc1(s).await;
    for id in ["g-1", "g-2"] {
        s.insert_code(&code(&format!("c-{id}"), id, None)).await.unwrap();
        let outcome = s.exchange_code(&format!("c-{id}"), &grant(id, "acc-1", "rp", None), None, &event()).await;
        assert_eq!(outcome.unwrap(), CodeExchange::Issued);
    }
    let epoch = s.revocation_epoch();
    assert_eq!(s.revoked_since(i64::MIN, T0 - 100, 10).await.unwrap(), revocations::Revoked::default());
    s.revoke_token_id("jti-short", T0 + 5, &event()).await.unwrap();
    assert!(s.revocation_epoch() > epoch, "a revoked token moves the epoch");
    db.clock.advance(10);
    let s = db.store();
    s.revoke_token_id("jti-long", T0 + 500, &event()).await.unwrap();
    let epoch = s.revocation_epoch();
    assert!(s.revoke_grant("g-1", &event()).await.unwrap());
    assert!(s.revocation_epoch() > epoch, "a revoked grant moves the epoch");
    // Everything unexpired; the expired token is left out.
    let all = s.revoked_since(i64::MIN, T0 - 100, 10).await.unwrap();
    assert_eq!(all.tokens, vec![("jti-long".to_owned(), T0 + 500)]);
    assert_eq!(all.grants, vec![("g-1".to_owned(), T0 + 10)]);
    // Since a later moment: only what was revoked from then on.
    let later = s.revoked_since(T0 + 11, T0 + 11, 10).await.unwrap();
    assert_eq!(later, revocations::Revoked::default());
    // At most `max_tokens` tokens.
    s.revoke_token_id("jti-third", T0 + 500, &event()).await.unwrap();
    assert_eq!(s.revoked_since(i64::MIN, T0, 1).await.unwrap().tokens.len(), 1);
    // A write that revokes nothing leaves the epoch alone; so does a grant revoked twice.
    let epoch = s.revocation_epoch();
    s.append_audit(&event()).await.unwrap();
    assert!(!s.revoke_grant("g-1", &event()).await.unwrap());
    assert_eq!(s.revocation_epoch(), epoch);
}
