//! Conformance checks, part 8: counters of attempts (AB-01) — one hit is one atomic
//! count under concurrency, windows and locks end, flows are stored only within
//! their address's limit.

use super::harness::{T0, TestDb};
use crate::store::limits::Counter;
use crate::store::*;

pub async fn ab_01_parallel_hits_count_one_by_one(db: &mut TestDb) {
    let s = db.shared();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.hit("k", 60).await.unwrap().hits })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=40).collect::<Vec<u32>>(), "every parallel hit saw its own count");
    assert_eq!(s.counter("k").await.unwrap().hits, 40);
}

pub async fn ab_01_windows_and_locks_end(db: &mut TestDb) {
    let s = db.shared();
    assert_eq!(s.hit("k", 60).await.unwrap(), Counter { hits: 1, window_end: T0 + 60, locked_until: 0 });
    assert_eq!(s.hit("k", 60).await.unwrap().hits, 2);
    assert_eq!(s.counter("other").await.unwrap(), Counter::default(), "an unknown key counts nothing");
    db.clock.advance(60);
    assert_eq!(s.counter("k").await.unwrap(), Counter::default(), "the window is over");
    assert_eq!(s.hit("k", 60).await.unwrap(), Counter { hits: 1, window_end: T0 + 120, locked_until: 0 });
    s.lock_counter("k", T0 + 200).await.unwrap();
    let locked = s.hit("k", 60).await.unwrap();
    assert!(locked.locked(T0 + 60) && locked.hits == 1, "a lock holds past the window: {locked:?}");
    s.clear_hits("k").await.unwrap();
    assert!(s.counter("k").await.unwrap().locked(T0 + 60), "clearing keeps the lock");
    db.clock.advance(140);
    assert_eq!(s.hit("k", 60).await.unwrap().hits, 1, "after the lock, a new window");
    db.clock.advance(60);
    assert_eq!(s.purge_expired().await.unwrap(), 1, "the finished counter is purged");
}

pub async fn ab_02_flows_are_stored_within_their_limit(db: &mut TestDb) {
    let s = db.shared();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let flow = FlowRecord { id: format!("f-{i}"), data: "{}".into(), expires_at: T0 + 600, version: 0 };
                s.put_flow_counted(&flow, "addr", 5, 60).await.unwrap()
            })
        })
        .collect();
    let mut stored = 0;
    for t in tasks {
        stored += usize::from(t.await.unwrap());
    }
    assert_eq!(stored, 5, "five of twelve parallel flows stored");
    let mut present = 0;
    for i in 0..12 {
        present += usize::from(s.flow(&format!("f-{i}")).await.unwrap().is_some());
    }
    assert_eq!(present, 5, "exactly the stored ones exist");
}
