//! Conformance checks, part 11: DPoP (RFC 9449; its proofs seen: `seen.rs`): a family's `dpop_jkt`
//! is kept from the code exchange through the rotation; a code's `dpop_jkt` (RFC 9449
//! §10) is stored with it, and a refused code is spent once, for good.

use super::fixtures::*;
use super::harness::TestDb;
use crate::audit::AuditEvent;
use crate::store::*;

pub async fn dpop_jkt_kept_on_the_grant(db: &mut TestDb) {
    let s = db.store();
    with_acc1(s).await;
    s.insert_code(&code("c-1", "g-1", None)).await.unwrap();
    let g = Grant { dpop_jkt: Some("thumb".into()), ..grant("g-1", "acc-1", "rp", None) };
    let outcome = s.exchange_code("c-1", &g, Some(&refresh("rt-1", "g-1")), &event()).await.unwrap();
    assert_eq!(outcome, CodeExchange::Issued);
    assert_eq!(s.grant("g-1").await.unwrap().unwrap().dpop_jkt.as_deref(), Some("thumb"));
    let req = RefreshRequest { old_hash: "rt-1", client_id: "rp", new_hash: "rt-2" };
    let bound = |g: &Grant| (g.dpop_jkt.as_deref() == Some("other")).then(event);
    assert!(matches!(s.rotate_refresh(req, &bound).await.unwrap(), Rotation::Refused), "another key");
    let req = RefreshRequest { old_hash: "rt-1", client_id: "rp", new_hash: "rt-2" };
    let bound = |g: &Grant| (g.dpop_jkt.as_deref() == Some("thumb")).then(event);
    match s.rotate_refresh(req, &bound).await.unwrap() {
        Rotation::Rotated(family) => assert_eq!(family.0.dpop_jkt.as_deref(), Some("thumb")),
        _ => panic!("the refused rotation left the token unspent"),
    }
    let (_, grant) = s.refresh_token("rt-2").await.unwrap().unwrap();
    assert_eq!(grant.dpop_jkt.as_deref(), Some("thumb"), "the new token's family is the same");
    let plain = grant_unbound(s).await;
    assert_eq!(plain, None);
}

pub async fn dpop_jkt_kept_on_the_code(db: &mut TestDb) {
    let s = db.store();
    with_acc1(s).await;
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    s.insert_code(&AuthCode { dpop_jkt: Some(jkt.into()), ..code("c-b", "g-b", None) }).await.unwrap();
    s.insert_code(&code("c-u", "g-u", None)).await.unwrap();
    assert_eq!(s.code("c-b").await.unwrap().unwrap().dpop_jkt.as_deref(), Some(jkt), "bound");
    assert_eq!(s.code("c-u").await.unwrap().unwrap().dpop_jkt, None, "not bound");
    // A proof of another key burns the bound code: no later exchange gets tokens.
    let refused = AuditEvent::CodeRejected { client_id: "rp".into(), reason: "dpop_key_mismatch".into() };
    s.burn_code("c-b", &refused).await.unwrap();
    assert!(s.code("c-b").await.unwrap().unwrap().consumed_at.is_some(), "spent");
    let g = grant("g-b", "acc-1", "rp", None);
    assert_eq!(s.exchange_code("c-b", &g, None, &event()).await.unwrap(), CodeExchange::Replayed);
    assert!(s.grant("g-b").await.unwrap().is_none(), "no grant from a burnt code");
}

async fn grant_unbound(s: &dyn Store) -> Option<String> {
    s.insert_code(&code("c-2", "g-2", None)).await.unwrap();
    let g = grant("g-2", "acc-1", "rp", None);
    s.exchange_code("c-2", &g, None, &event()).await.unwrap();
    s.grant("g-2").await.unwrap().unwrap().dpop_jkt
}
