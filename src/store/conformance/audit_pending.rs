//! The deferred audit chain (store/sql/audit_log.rs): events written with their
//! change are linked exactly once, in one chain, whoever chains and however many
//! chain at once; a pending row changed in the database is refused, not chained.

use super::harness::TestDb;
use crate::audit::AuditEvent;
use crate::store::{PoolSettings, Store, StoreError};

fn event(i: usize) -> AuditEvent {
    AuditEvent::ClientRemoved { client_id: format!("rp-{i}"), by: "cli".into() }
}

/// A write with a change and its event (the event goes pending): an access token
/// revoked by `jti`.
async fn write(store: &dyn Store, i: usize) {
    store.revoke_token_id(&format!("jti-{i}"), super::harness::T0 + 3600, &event(i)).await.unwrap();
}

/// Two nodes write 200 events — 150 with a change, 50 standalone (group-committed) —
/// while four chainers on both nodes run at once: every event is linked once into
/// one chain, nothing stays pending.
pub async fn pending_events_are_chained_once_by_chainers_at_once(db: &mut TestDb) {
    let other =
        crate::store::open_with(&db.url, PoolSettings::new(4), db.clock.clone(), Some(super::harness::chain_key()))
            .await
            .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let chainers: Vec<_> = (0..4)
        .map(|i| {
            let store = if i % 2 == 0 { db.shared() } else { other.clone() };
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut linked = 0;
                while !stop.load(std::sync::atomic::Ordering::Acquire) {
                    linked += store.chain_pending().await.unwrap();
                    tokio::task::yield_now().await;
                }
                linked
            })
        })
        .collect();
    let writers: Vec<_> = (0..200)
        .map(|i| {
            let store = if i % 2 == 0 { db.shared() } else { other.clone() };
            tokio::spawn(async move {
                if i % 4 == 0 {
                    store.append_audit(&event(i)).await.unwrap();
                } else {
                    write(&*store, i).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Release);
    let mut linked = 0;
    for chainer in chainers {
        linked += chainer.await.unwrap();
    }
    linked += db.store().chain_pending().await.unwrap();
    assert_eq!(linked, 200, "each event linked by exactly one chainer");
    let rows = db.store().audit_records(0, 10_000).await.unwrap();
    assert_eq!(super::harness::verify_chain(&rows), Ok(200));
    let mut clients: Vec<&str> = rows.iter().map(|r| r.data.as_str()).collect();
    clients.sort_unstable();
    clients.dedup();
    assert_eq!(clients.len(), 200, "no event lost or linked twice");
    assert_eq!(db.execute("DELETE FROM audit_pending").await, 0, "nothing left pending");
}

/// Every reader chains first: an event is in the log as soon as its write returned,
/// also when the process that wrote it stopped before chaining (a crash). Events
/// written one after another, standalone or with a change, keep their order.
pub async fn readers_see_an_event_as_soon_as_it_is_written(db: &mut TestDb) {
    write(db.store(), 1).await;
    assert_eq!(db.store().audit_head().await.unwrap().0, 1);
    write(db.store(), 2).await;
    db.store().append_audit(&event(4)).await.unwrap();
    write(db.store(), 5).await;
    let rows = db.store().audit_records(0, 10).await.unwrap();
    assert_eq!(super::harness::verify_chain(&rows), Ok(4));
    let order: Vec<bool> = ["rp-2", "rp-4", "rp-5"].iter().zip(&rows[1..]).map(|(c, r)| r.data.contains(c)).collect();
    assert_eq!(order, [true; 3], "in the order written");
    write(db.store(), 3).await;
    db.reopen().await;
    let rows = db.store().audit_records(0, 10).await.unwrap();
    assert_eq!(
        super::harness::verify_chain(&rows),
        Ok(5),
        "left pending by the closed store, chained by the next reader"
    );
}

/// A pending row edited in the database before it was chained: the chainer and
/// every reader refuse it by name; nothing of its batch is linked; the rows
/// chained before it still verify. The operator removes or restores it.
pub async fn a_pending_row_changed_in_the_database_is_refused(db: &mut TestDb) {
    write(db.store(), 1).await;
    db.store().chain_pending().await.unwrap();
    write(db.store(), 2).await;
    write(db.store(), 3).await;
    let edited = db.execute("UPDATE audit_pending SET data = REPLACE(data, 'rp-2', 'rp-9')").await;
    assert_eq!(edited, 2, "both pending rows rewritten (one actually changed)");
    for err in [db.store().chain_pending().await.unwrap_err(), db.store().audit_records(0, 10).await.unwrap_err()] {
        let StoreError::Backend(cause) = err else { panic!("{err:?}") };
        assert!(cause.to_string().contains("audit_pending row"), "the row is named: {cause:#}");
    }
    db.execute("DELETE FROM audit_pending WHERE data LIKE '%rp-9%'").await;
    let rows = db.store().audit_records(0, 10).await.unwrap();
    assert_eq!(super::harness::verify_chain(&rows), Ok(2), "the row before and the untouched one after");
    assert!(rows[1].data.contains("rp-3"));
}
