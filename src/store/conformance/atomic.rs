//! Conformance checks, part 2: the operations that must be atomic under
//! concurrency (AC-01/02/05, RT-01/02/03) and the audit chain under parallel writes.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::*;

fn token_issued(grant_id: &str) -> AuditEvent {
    AuditEvent::TokenIssued {
        grant_type: "authorization_code".into(),
        client_id: "rp".into(),
        subject: Some("acc-1".into()),
        scope: "openid".into(),
        token_id: "jti".into(),
        grant_id: Some(grant_id.into()),
    }
}

fn rotated(grant_id: &str) -> AuditEvent {
    AuditEvent::RefreshRotated { client_id: "rp".into(), grant_id: grant_id.into() }
}

pub async fn ac_01_code_replay_revokes_grant(db: &mut TestDb) {
    let s = db.store();
    s.insert_code(&code("c-1", "g-1", None)).await.unwrap();
    let g = grant("g-1", "acc-1", "rp", None);
    let first = s.exchange_code("c-1", &g, Some(&refresh("rt-1", "g-1")), &token_issued("g-1")).await;
    assert_eq!(first.unwrap(), CodeExchange::Issued);
    assert!(!is_revoked(s, "g-1").await);

    let replay = s.exchange_code("c-1", &g, Some(&refresh("rt-x", "g-1")), &token_issued("g-1")).await;
    assert_eq!(replay.unwrap(), CodeExchange::Replayed);
    assert!(is_revoked(s, "g-1").await);
    assert_eq!(s.refresh_token("rt-x").await.unwrap(), None, "the replay stored nothing");
    assert_eq!(s.rotate_refresh("rt-1", &refresh("rt-2", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Invalid);
    assert_eq!(audit_kinds(s).await, ["token_issued", "code_reuse_detected"]);

    let unknown = s.exchange_code("nope", &g, None, &token_issued("g-1")).await;
    assert_eq!(unknown.unwrap(), CodeExchange::NotFound);
}

pub async fn ac_02_parallel_code_exchange_one_winner(db: &mut TestDb) {
    db.store().insert_code(&code("c-1", "g-1", None)).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = db.shared();
            tokio::spawn(async move {
                let g = grant("g-1", "acc-1", "rp", None);
                let rt = refresh(&format!("rt-{i}"), "g-1");
                store.exchange_code("c-1", &g, Some(&rt), &token_issued("g-1")).await.unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| **o == CodeExchange::Issued).count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == CodeExchange::Replayed).count(), 19);
    assert!(is_revoked(db.store(), "g-1").await, "the losers' replays revoke the winner's grant");
    crate::audit::verify_chain(&db.store().audit_records(0, 1000).await.unwrap()).unwrap();
}

pub async fn ac_05_expired_code_not_exchanged(db: &mut TestDb) {
    let s = db.store();
    s.insert_code(&code("c-1", "g-1", None)).await.unwrap();
    db.clock.set(T0 + 60);
    let g = grant("g-1", "acc-1", "rp", None);
    assert_eq!(s.exchange_code("c-1", &g, None, &token_issued("g-1")).await.unwrap(), CodeExchange::NotFound);
    assert_eq!(s.grant("g-1").await.unwrap(), None);
    assert!(audit_kinds(s).await.is_empty());
}

pub async fn rt_01_reuse_revokes_family(db: &mut TestDb) {
    let s = db.store();
    issued_grant(s, "g-1", "rt-1", None).await;
    db.clock.advance(10);
    assert_eq!(s.rotate_refresh("rt-1", &refresh("rt-2", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Rotated);
    let (old, _) = s.refresh_token("rt-1").await.unwrap().unwrap();
    assert_eq!(old.used_at, Some(T0 + 10));
    assert!(!is_revoked(s, "g-1").await);

    // Replaying the rotated token revokes the family: rt-2 dies with it.
    assert_eq!(s.rotate_refresh("rt-1", &refresh("rt-3", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Reused);
    assert!(is_revoked(s, "g-1").await);
    assert_eq!(s.refresh_token("rt-3").await.unwrap(), None);
    assert_eq!(s.rotate_refresh("rt-2", &refresh("rt-4", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Invalid);
    assert_eq!(s.rotate_refresh("nope", &refresh("rt-5", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Invalid);
    assert_eq!(audit_kinds(s).await, ["demo_seeded", "refresh_rotated", "refresh_reuse_detected"]);
}

pub async fn rt_02_parallel_rotation_at_most_one(db: &mut TestDb) {
    issued_grant(db.store(), "g-1", "rt-1", None).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = db.shared();
            tokio::spawn(async move {
                let new = refresh(&format!("rt-new-{i}"), "g-1");
                store.rotate_refresh("rt-1", &new, &rotated("g-1")).await.unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| **o == Rotation::Rotated).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| *o != Rotation::Invalid), "{outcomes:?}");
}

pub async fn rt_02_rotation_racing_revocation_leaves_no_live_token(db: &mut TestDb) {
    for round in 0..10 {
        let grant_id = format!("g-{round}");
        let old = format!("rt-{round}");
        issued_grant(db.store(), &grant_id, &old, None).await;
        let (a, b) = (db.shared(), db.shared());
        let (gid, new) = (grant_id.clone(), format!("rt-new-{round}"));
        let rotate = tokio::spawn(async move { a.rotate_refresh(&old, &refresh(&new, &gid), &rotated(&gid)).await });
        let gid = grant_id.clone();
        let revoke = tokio::spawn(async move { b.revoke_grant(&gid, &event()).await });
        rotate.await.unwrap().unwrap();
        assert!(revoke.await.unwrap().unwrap());
        let next = refresh(&format!("rt-next-{round}"), &grant_id);
        let after = db.store().rotate_refresh(&format!("rt-new-{round}"), &next, &rotated(&grant_id)).await;
        assert_eq!(after.unwrap(), Rotation::Invalid, "round {round}");
    }
}

pub async fn rt_03_rotation_survives_reopen(db: &mut TestDb) {
    issued_grant(db.store(), "g-1", "rt-1", None).await;
    let s = db.store();
    assert_eq!(s.rotate_refresh("rt-1", &refresh("rt-2", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Rotated);
    db.reopen().await;
    let s = db.store();
    assert_eq!(s.rotate_refresh("rt-1", &refresh("rt-3", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Reused);
    assert!(is_revoked(s, "g-1").await);
    crate::audit::verify_chain(&s.audit_records(0, 100).await.unwrap()).unwrap();
}

pub async fn revoked_grant_invalidates_refresh(db: &mut TestDb) {
    let s = db.store();
    issued_grant(s, "g-1", "rt-1", None).await;
    let ev = AuditEvent::TokenRevoked { client_id: "rp".into(), grant_id: Some("g-1".into()), token_id: None };
    assert!(s.revoke_grant("g-1", &ev).await.unwrap());
    assert!(!s.revoke_grant("g-1", &ev).await.unwrap());
    assert!(!s.revoke_grant("unknown", &ev).await.unwrap());
    assert_eq!(s.rotate_refresh("rt-1", &refresh("rt-2", "g-1"), &rotated("g-1")).await.unwrap(), Rotation::Invalid);
    assert_eq!(audit_kinds(s).await, ["demo_seeded", "token_revoked"]);

    // An expired grant cannot rotate either.
    issued_grant(s, "g-2", "rt-a", None).await;
    db.clock.set(T0 + 30 * 86_400);
    assert_eq!(s.rotate_refresh("rt-a", &refresh("rt-b", "g-2"), &rotated("g-2")).await.unwrap(), Rotation::Invalid);
}

pub async fn audit_chain_verifies(db: &mut TestDb) {
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = db.shared();
            tokio::spawn(async move {
                match i % 4 {
                    0 => store
                        .append_audit(&AuditEvent::LoginFailed {
                            method: crate::audit::LoginMethod::Password,
                            reason: "bad_credentials".into(),
                            organisation_id: None,
                        })
                        .await
                        .unwrap(),
                    1 => store.insert_client(&client(&format!("rp-{i}")), &event()).await.unwrap(),
                    2 => issued_grant(store.as_ref(), &format!("g-{i}"), &format!("rt-{i}"), None).await,
                    _ => store.create_session(&session(&format!("sid-{i}"), "acc-1", 60), &event()).await.unwrap(),
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let rows = db.store().audit_records(0, 10_000).await.unwrap();
    assert_eq!(crate::audit::verify_chain(&rows), Ok(40));
    assert_eq!(rows.first().map(|r| r.prev_hash.as_str()), Some(crate::audit::GENESIS_HASH));
    assert_eq!(db.store().audit_records(38, 10).await.unwrap().len(), 2);
    assert_eq!(db.store().audit_records(0, 5).await.unwrap().len(), 5);
}
