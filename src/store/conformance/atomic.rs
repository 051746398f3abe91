//! Conformance checks, part 2: the operations that must be atomic under
//! concurrency (AC-01/02/05, RT-01/02/03) and the audit chain under parallel writes.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::*;

fn token_issued(grant_id: &str) -> AuditEvent {
    issued_event("authorization_code", grant_id)
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
    assert_eq!(rotate(s, "rt-1", "rt-2").await, "invalid");
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
    super::harness::verify_chain(&db.store().audit_records(0, 1000).await.unwrap()).unwrap();
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
    assert_eq!(rotate(s, "rt-1", "rt-2").await, "rotated");
    let (old, _) = s.refresh_token("rt-1").await.unwrap().unwrap();
    assert_eq!(old.used_at, Some(T0 + 10));
    assert!(!is_revoked(s, "g-1").await);

    // Replaying the rotated token revokes the family: rt-2 dies with it.
    assert_eq!(rotate(s, "rt-1", "rt-3").await, "reused");
    assert!(is_revoked(s, "g-1").await);
    assert_eq!(s.refresh_token("rt-3").await.unwrap(), None);
    assert_eq!(rotate(s, "rt-2", "rt-4").await, "invalid");
    assert_eq!(rotate(s, "nope", "rt-5").await, "invalid");
    assert_eq!(audit_kinds(s).await, ["demo_seeded", "demo_seeded", "token_issued", "refresh_reuse_detected"]);
}

pub async fn rt_02_parallel_rotation_at_most_one(db: &mut TestDb) {
    issued_grant(db.store(), "g-1", "rt-1", None).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = db.shared();
            tokio::spawn(async move { rotate(&*store, "rt-1", &format!("rt-new-{i}")).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| **o == "rotated").count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| *o != "invalid"), "{outcomes:?}");
}

pub async fn rt_02_rotation_racing_revocation_leaves_no_live_token(db: &mut TestDb) {
    for round in 0..10 {
        let grant_id = format!("g-{round}");
        let old = format!("rt-{round}");
        issued_grant(db.store(), &grant_id, &old, None).await;
        let (a, b) = (db.shared(), db.shared());
        let new = format!("rt-new-{round}");
        let rotation = tokio::spawn(async move { rotate(&*a, &old, &new).await });
        let gid = grant_id.clone();
        let revoke = tokio::spawn(async move { b.revoke_grant(&gid, &event()).await });
        rotation.await.unwrap();
        assert!(revoke.await.unwrap().unwrap());
        let after = rotate(db.store(), &format!("rt-new-{round}"), &format!("rt-next-{round}")).await;
        assert_eq!(after, "invalid", "round {round}");
    }
}

pub async fn rt_05_rotation_checks_client_account_and_caller(db: &mut TestDb) {
    let s = db.store();
    issued_grant(s, "g-1", "rt-1", None).await;
    // Another client's presentation: refused, and the family is left alone.
    let other = RefreshRequest { old_hash: "rt-1", client_id: "other", new_hash: "rt-x" };
    assert_eq!(
        s.rotate_refresh(other, &|g| Some(issued_event("refresh_token", &g.id))).await.unwrap(),
        Rotation::Invalid
    );
    // The caller's own check of the grant (e.g. a wider scope) says no: nothing written.
    let req = RefreshRequest { old_hash: "rt-1", client_id: "rp", new_hash: "rt-2" };
    assert_eq!(
        s.rotate_refresh(req, &|g| (g.scope == "something else").then(|| issued_event("refresh_token", &g.id)))
            .await
            .unwrap(),
        Rotation::Refused
    );
    let (token, grant) = s.refresh_token("rt-1").await.unwrap().unwrap();
    assert_eq!((token.used_at, grant.revoked_at), (None, None), "untouched");
    // The grant and the enabled account come back with a rotation, in the same commit.
    let Rotation::Rotated(family) =
        s.rotate_refresh(req, &|g| Some(issued_event("refresh_token", &g.id))).await.unwrap()
    else {
        panic!("rotated")
    };
    assert_eq!((family.0.id.as_str(), family.1.id.as_str()), ("g-1", "acc-1"));
    let (new, _) = s.refresh_token("rt-2").await.unwrap().unwrap();
    assert_eq!((new.grant_id.as_str(), new.client_id.as_str(), new.expires_at), ("g-1", "rp", grant.expires_at));
    // RT-07: a disabled account cannot refresh.
    let mut acc = s.account("acc-1").await.unwrap().unwrap();
    acc.disabled = true;
    let batch = DirectoryBatch { accounts: vec![acc], ..Default::default() };
    s.import_directory(&batch, &event()).await.unwrap();
    assert_eq!(rotate(s, "rt-2", "rt-3").await, "invalid");
    assert_eq!(audit_kinds(s).await, ["demo_seeded", "demo_seeded", "token_issued", "demo_seeded"]);
}

pub async fn rt_03_rotation_survives_reopen(db: &mut TestDb) {
    issued_grant(db.store(), "g-1", "rt-1", None).await;
    let s = db.store();
    assert_eq!(rotate(s, "rt-1", "rt-2").await, "rotated");
    db.reopen().await;
    let s = db.store();
    assert_eq!(rotate(s, "rt-1", "rt-3").await, "reused");
    assert!(is_revoked(s, "g-1").await);
    super::harness::verify_chain(&s.audit_records(0, 100).await.unwrap()).unwrap();
}

pub async fn revoked_grant_invalidates_refresh(db: &mut TestDb) {
    let s = db.store();
    issued_grant(s, "g-1", "rt-1", None).await;
    let ev = AuditEvent::TokenRevoked { client_id: "rp".into(), grant_id: Some("g-1".into()), token_id: None };
    assert!(s.revoke_grant("g-1", &ev).await.unwrap());
    assert!(!s.revoke_grant("g-1", &ev).await.unwrap());
    assert!(!s.revoke_grant("unknown", &ev).await.unwrap());
    assert_eq!(rotate(s, "rt-1", "rt-2").await, "invalid");
    assert_eq!(audit_kinds(s).await, ["demo_seeded", "demo_seeded", "token_revoked"]);

    // An expired grant cannot rotate either.
    issued_grant(s, "g-2", "rt-a", None).await;
    db.clock.set(T0 + 30 * 86_400);
    assert_eq!(rotate(s, "rt-a", "rt-b").await, "invalid");
}

pub async fn audit_chain_verifies(db: &mut TestDb) {
    with_acc1(db.store()).await;
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
    assert_eq!(super::harness::verify_chain(&rows), Ok(41), "the import and 40 parallel writes");
    assert_eq!(rows.first().map(|r| r.prev_hash.as_str()), Some(crate::audit::GENESIS_HASH));
    assert_eq!(db.store().audit_records(38, 10).await.unwrap().len(), 3);
    assert_eq!(db.store().audit_records(0, 5).await.unwrap().len(), 5);
}

pub async fn audit_group_commit_keeps_every_event(db: &mut TestDb) {
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let store = db.shared();
            tokio::spawn(async move {
                let event = AuditEvent::ClientRemoved { client_id: format!("rp-{i}"), by: "cli".into() };
                store.append_audit(&event).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let rows = db.store().audit_records(0, 10_000).await.unwrap();
    assert_eq!(super::harness::verify_chain(&rows), Ok(300), "each caller returned after its own row was committed");
    let mut clients: Vec<String> = rows.iter().map(|r| r.data.clone()).collect();
    clients.sort();
    clients.dedup();
    assert_eq!(clients.len(), 300, "no event lost or written twice");
}

pub async fn two_nodes_keep_one_keyed_chain(db: &mut TestDb) {
    // A second node: its own pool on the same database, the same master key.
    let settings = PoolSettings::new(4);
    let other =
        crate::store::open_with(&db.url, settings, db.clock.clone(), Some(super::harness::chain_key())).await.unwrap();
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let store = if i % 2 == 0 { db.shared() } else { other.clone() };
            tokio::spawn(async move {
                store
                    .append_audit(&AuditEvent::ClientRemoved { client_id: format!("rp-{i}"), by: "cli".into() })
                    .await
                    .unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let rows = db.store().audit_records(0, 10_000).await.unwrap();
    assert_eq!(super::harness::verify_chain(&rows), Ok(60), "one chain from both nodes");
    assert!(rows.iter().all(|r| r.hash.starts_with("k1:")), "every row keyed");
    assert_eq!(db.store().audit_head().await.unwrap(), (60, rows[59].hash.clone()));
}
