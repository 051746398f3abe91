//! Conformance checks, part 4: the mail outbox (`MailOutbox`): enqueue with its
//! audit event, due order and limit, claims that two workers never share, the
//! claim lease (a crashed worker's messages come back), backoff and giving up.

use super::fixtures::*;
use super::harness::verify_chain;
use super::harness::{T0, TestDb};
use crate::store::outbox::{CLAIM_LEASE_SECS, OutboxMessage};
use crate::store::*;
use std::collections::HashSet;

fn message(at: i64, n: usize) -> OutboxMessage {
    OutboxMessage::new(at, format!("parent{n}@example.ru"), "Обращение №А-1", "Текст письма", "<p>Текст письма</p>")
}

fn ids(list: &[OutboxMessage]) -> Vec<String> {
    list.iter().map(|m| m.id.clone()).collect()
}

pub async fn outbox_round_trip_with_audit(db: &mut TestDb) {
    let s = db.store();
    let msg = message(T0, 1);
    s.enqueue_mail(&msg, Some(&event())).await.unwrap();
    assert_eq!(s.mail(&msg.id).await.unwrap(), Some(msg.clone()));
    let rows = s.audit_records(0, 100).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(verify_chain(&rows), Ok(1));
    // Without an audit event nothing is appended.
    s.enqueue_mail(&message(T0, 2), None).await.unwrap();
    assert_eq!(s.audit_records(0, 100).await.unwrap().len(), 1);
    // The same id twice is a conflict.
    assert!(matches!(s.enqueue_mail(&msg, None).await, Err(StoreError::Conflict(_))));

    let due = s.due_mail(10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert!(due.contains(&msg), "same second: any order");
    s.mark_mail_sent(&msg.id).await.unwrap();
    let sent = s.mail(&msg.id).await.unwrap().unwrap();
    assert_eq!(sent.sent_at, Some(T0));
    assert!(matches!(s.mark_mail_sent("no-such-id").await, Err(StoreError::NotFound)));
}

pub async fn outbox_due_oldest_first_limited(db: &mut TestDb) {
    let s = db.store();
    let later = message(T0 + 5, 1);
    let older = message(T0 - 5, 2);
    let future = OutboxMessage { next_attempt_at: Some(T0 + 100), ..message(T0, 3) };
    for m in [&later, &older, &future] {
        s.enqueue_mail(m, None).await.unwrap();
    }
    db.clock.advance(10);
    let s = db.store();
    assert_eq!(ids(&s.due_mail(1).await.unwrap()), [older.id]);
    assert_eq!(ids(&s.due_mail(10).await.unwrap()), [later.id]);
    assert!(s.due_mail(10).await.unwrap().is_empty());
    assert!(s.due_mail(0).await.unwrap().is_empty());
}

pub async fn outbox_parallel_claims_never_overlap(db: &mut TestDb) {
    for n in 0..30 {
        db.store().enqueue_mail(&message(T0, n), None).await.unwrap();
    }
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = db.shared();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store.due_mail(3).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(ids(&batch));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 30, "every message claimed exactly once");
    assert_eq!(unique.len(), 30);
}

pub async fn outbox_claim_lease_runs_out(db: &mut TestDb) {
    let msg = message(T0, 1);
    db.store().enqueue_mail(&msg, None).await.unwrap();
    assert_eq!(db.store().due_mail(10).await.unwrap().len(), 1);
    // A worker died holding the claim: nobody else gets it until the lease ends…
    db.clock.advance(CLAIM_LEASE_SECS - 1);
    assert!(db.store().due_mail(10).await.unwrap().is_empty());
    // …then it is delivered again (at least once).
    db.clock.advance(1);
    assert_eq!(ids(&db.store().due_mail(10).await.unwrap()), [msg.id]);
}

pub async fn outbox_failure_backoff_and_give_up(db: &mut TestDb) {
    let msg = message(T0, 1);
    db.store().enqueue_mail(&msg, None).await.unwrap();
    assert_eq!(db.store().due_mail(10).await.unwrap().len(), 1);
    db.store().mark_mail_failed(&msg.id, "smtp: connection refused", Some(T0 + 60)).await.unwrap();
    let failed = db.store().mail(&msg.id).await.unwrap().unwrap();
    assert_eq!((failed.attempts, failed.next_attempt_at), (1, Some(T0 + 60)));
    assert_eq!(failed.last_error.as_deref(), Some("smtp: connection refused"));
    // Released at once, but not due before its next attempt.
    assert!(db.store().due_mail(10).await.unwrap().is_empty());
    db.clock.advance(60);
    assert_eq!(db.store().due_mail(10).await.unwrap().len(), 1);
    db.store().mark_mail_failed(&msg.id, "smtp: timed out", None).await.unwrap();
    db.clock.advance(CLAIM_LEASE_SECS * 10);
    assert!(db.store().due_mail(10).await.unwrap().is_empty(), "given up");
    let given_up = db.store().mail(&msg.id).await.unwrap().unwrap();
    assert_eq!((given_up.attempts, given_up.next_attempt_at, given_up.sent_at), (2, None, None));
    assert_eq!(given_up.last_error.as_deref(), Some("smtp: timed out"));
    // Survives a restart.
    db.reopen().await;
    assert_eq!(db.store().mail(&msg.id).await.unwrap(), Some(given_up));
}
