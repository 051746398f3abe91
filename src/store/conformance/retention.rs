//! `audit prune`'s store half: the rows up to a seq removed with the new anchor and the
//! `audit_pruned` event in one transaction, refused (nothing written) when the anchor
//! or the row changed meanwhile; the chain verifies from the anchor afterwards.

use super::harness::{TestDb, chain_key};
use crate::audit::retention::{Anchor, Prune, prune};
use crate::audit::{AuditEvent, checkpoint::CheckpointMatcher, verify::walk};
use crate::clock::Clock as _;

fn event(i: i64) -> AuditEvent {
    AuditEvent::ClientRemoved { client_id: format!("rp-{i}"), by: "cli".into() }
}

/// Ten events, one a day; returns the time of the first.
async fn ten_days(db: &TestDb) -> i64 {
    let start = db.clock.now();
    for i in 0..10 {
        db.store().append_audit(&event(i)).await.unwrap();
        db.clock.advance(86_400);
    }
    start
}

pub async fn audit_prune_exports_removes_and_verifies_from_the_anchor(db: &mut TestDb) {
    let start = ten_days(db).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    let now = db.clock.now();
    let pruned = prune(db.store(), &chain_key(), (now, start + 6 * 86_400), &mut file, "cli").await.unwrap();
    assert_eq!((pruned.rows, pruned.range), (6, Some((1, 6))));
    let export = std::fs::read_to_string(&path).unwrap();
    assert_eq!(export.lines().count(), 6);
    assert!(export.lines().all(|l| l.contains("\"hash\":\"k1:")), "{export}");

    let rows = db.store().audit_records(0, 100).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![7, 8, 9, 10, 11]);
    assert_eq!(rows[4].kind, "audit_pruned");
    let report = walk(db.store(), &chain_key(), CheckpointMatcher::default()).await.unwrap();
    assert_eq!((report.rows, report.pruned_upto), (5, Some(6)));

    // Nothing older left: a second prune removes nothing and writes nothing.
    let mut again = std::fs::File::create(dir.path().join("again.jsonl")).unwrap();
    let none = prune(db.store(), &chain_key(), (now, start + 6 * 86_400), &mut again, "cli").await.unwrap();
    assert_eq!(none.rows, 0);
    assert_eq!(db.store().audit_head().await.unwrap().0, 11);
}

pub async fn audit_prune_refuses_a_changed_anchor_or_row_and_one_of_two_at_once_wins(db: &mut TestDb) {
    ten_days(db).await;
    let rows = db.store().audit_records(0, 100).await.unwrap();
    let anchor = Anchor::new(&chain_key(), 3, &rows[2].hash, 1).to_line();
    let ev = event(99);
    let wrong_row = Prune { expected: None, upto_seq: 3, upto_hash: &rows[1].hash, anchor: &anchor, event: &ev };
    assert!(!db.store().prune_audit(&wrong_row).await.unwrap());
    let wrong_anchor =
        Prune { expected: Some("{}"), upto_seq: 3, upto_hash: &rows[2].hash, anchor: &anchor, event: &ev };
    assert!(!db.store().prune_audit(&wrong_anchor).await.unwrap());
    assert_eq!(db.store().audit_records(0, 100).await.unwrap().len(), 10, "nothing removed");
    assert_eq!(db.store().audit_anchor().await.unwrap(), None);

    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (store, anchor, hash) = (db.shared(), anchor.clone(), rows[2].hash.clone());
            tokio::spawn(async move {
                let ev = event(99);
                let p = Prune { expected: None, upto_seq: 3, upto_hash: &hash, anchor: &anchor, event: &ev };
                store.prune_audit(&p).await.unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1, "one prune of two at once");
    assert_eq!(db.store().audit_anchor().await.unwrap().as_deref(), Some(anchor.as_str()));
    let report = walk(db.store(), &chain_key(), CheckpointMatcher::default()).await.unwrap();
    assert_eq!((report.rows, report.pruned_upto), (8, Some(3)), "rows 4..10 and the one audit_pruned");
}

pub async fn audit_rows_removed_behind_the_anchors_back_are_found(db: &mut TestDb) {
    let start = ten_days(db).await;
    let mut file = tempfile::tempfile().unwrap();
    prune(db.store(), &chain_key(), (db.clock.now(), start + 3 * 86_400), &mut file, "cli").await.unwrap();
    // Someone with write access, but not the key, removes row 4 (the first kept) and
    // signs an anchor of their own.
    let rows = db.store().audit_records(0, 100).await.unwrap();
    let forged = Anchor::new(
        &crate::audit::ChainKey::from_master(&crate::crypto::MasterKey::from_bytes([8; 32])),
        4,
        &rows[0].hash,
        1,
    );
    let (ev, current) = (event(100), db.store().audit_anchor().await.unwrap());
    let later = Prune {
        expected: current.as_deref(),
        upto_seq: 4,
        upto_hash: &rows[0].hash,
        anchor: &forged.to_line(),
        event: &ev,
    };
    assert!(db.store().prune_audit(&later).await.unwrap());
    let err = walk(db.store(), &chain_key(), CheckpointMatcher::default()).await.unwrap_err();
    assert!(err.to_string().contains("not signed with this installation's key"), "{err}");
}
