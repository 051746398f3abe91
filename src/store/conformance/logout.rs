//! Conformance checks: the back-channel logout outbox (`LogoutOutbox`): notices
//! written in the transaction of a logout, a consent revocation, an unlink and a
//! password change — only to clients with a `backchannel_logout_uri`, with the
//! session's `sid` (stable when a password change renames the session) — claims that
//! two workers never share, delivery and giving up with their audit events.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::links::Unlink;
use crate::store::logout::{LOGOUT_LEASE_SECS, LogoutNotice, public_sid};
use crate::store::passwords::PasswordChange;
use crate::store::*;
use std::collections::HashSet;

const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bmV3LXNhbHQ$bmV3LWhhc2g";

/// Client `rp` with a back-channel URI, `quiet` without one.
async fn clients(s: &dyn Store) {
    let rp = Client { backchannel_logout_uri: Some("https://rp.example/bc".into()), ..client("rp") };
    s.insert_client(&rp, &event()).await.unwrap();
    s.insert_client(&client("quiet"), &event()).await.unwrap();
}

/// A live grant `grant_id` of `acc-1` for `client_id` from session `session_hash`.
async fn grant_of(s: &dyn Store, client_id: &str, grant_id: &str, session_hash: Option<&str>) {
    if client_id == "rp" {
        return issued_grant(s, grant_id, &format!("rt-{grant_id}"), session_hash).await;
    }
    with_acc1(s).await;
    let code_hash = format!("code-{grant_id}");
    s.insert_code(&AuthCode { client_id: client_id.into(), ..code(&code_hash, grant_id, session_hash) }).await.unwrap();
    let g = grant(grant_id, "acc-1", client_id, session_hash);
    assert_eq!(s.exchange_code(&code_hash, &g, None, &event()).await.unwrap(), CodeExchange::Issued);
}

/// The (client, sid) of every notice of acc-1, sorted.
async fn notices(s: &dyn Store) -> Vec<(String, Option<String>)> {
    let mut all: Vec<_> =
        s.logouts_of_account("acc-1").await.unwrap().into_iter().map(|n| (n.client_id, n.sid)).collect();
    all.sort();
    all
}

pub async fn logout_notices_commit_with_end_session(db: &mut TestDb) {
    let s = db.store();
    clients(s).await;
    grant_of(s, "rp", "g1", Some("s1")).await;
    grant_of(s, "rp", "g1b", Some("s1")).await;
    grant_of(s, "quiet", "g2", Some("s1")).await;
    grant_of(s, "rp", "g3", Some("s2")).await;
    assert!(notices(s).await.is_empty(), "nothing before the logout");
    s.end_session("s1", &event()).await.unwrap();
    assert_eq!(notices(s).await, [("rp".to_owned(), Some(public_sid("s1")))], "one per client, not `quiet`");
    let n = &s.logouts_of_account("acc-1").await.unwrap()[0];
    assert_eq!((n.attempts, n.next_attempt_at, n.delivered_at), (0, Some(T0), None));
}

pub async fn logout_notices_of_account_changes(db: &mut TestDb) {
    let s = db.store();
    clients(s).await;
    grant_of(s, "rp", "g-a", Some("sa")).await;
    grant_of(s, "rp", "g-b", Some("sb")).await;
    grant_of(s, "quiet", "g-q", Some("sa")).await;
    // A password change in `sa` keeps `sa`: only `sb`'s client hears of it.
    let change = PasswordChange { account_id: "acc-1", phc: PHC, session_hash: "sa", new_session_hash: "sa-new" };
    s.change_password(&change, &AuditEvent::PasswordChanged { account_id: "acc-1".into(), by: "owner".into() }, None)
        .await
        .unwrap();
    assert_eq!(notices(s).await, [("rp".to_owned(), Some(public_sid("sb")))]);
    // The kept session keeps its sid under its new id hash.
    assert_eq!(s.session("sa-new").await.unwrap().unwrap().sid, public_sid("sa"));

    // An unlink tells every client of the account, with each live session's sid.
    let unlinked = AuditEvent::AccountUnlinked { account_id: "acc-1".into(), links: 0, by: "owner".into() };
    s.unlink_account(&Unlink { account_id: "acc-1", tombstone: false, audit: &unlinked, mail: None }).await.unwrap();
    let after = notices(s).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&("rp".to_owned(), Some(public_sid("sa")))), "the renamed session's own sid: {after:?}");
}

pub async fn logout_notice_of_consent_revocation(db: &mut TestDb) {
    let s = db.store();
    clients(s).await;
    with_acc1(s).await;
    for c in ["rp", "quiet"] {
        let consent =
            Consent { account_id: "acc-1".into(), client_id: c.into(), scope: "openid".into(), granted_at: T0 };
        s.put_consent(&consent, &event()).await.unwrap();
    }
    s.revoke_consent("acc-1", "quiet", &event()).await.unwrap();
    assert!(notices(s).await.is_empty(), "no URI registered: nothing queued");
    // A consent with no live grant: a notice without sid (the RP logs the `sub` out).
    s.revoke_consent("acc-1", "rp", &event()).await.unwrap();
    assert_eq!(notices(s).await, [("rp".to_owned(), None)]);
}

/// Queues `n` notices of acc-1 for `rp` through logouts of `n` sessions.
async fn queued(db: &mut TestDb, n: usize) -> Vec<String> {
    let s = db.store();
    clients(s).await;
    for i in 0..n {
        let sid = format!("s{i}");
        grant_of(s, "rp", &format!("g{i}"), Some(&sid)).await;
        s.end_session(&sid, &event()).await.unwrap();
    }
    s.logouts_of_account("acc-1").await.unwrap().into_iter().map(|n| n.id).collect()
}

fn ids(list: &[LogoutNotice]) -> Vec<String> {
    list.iter().map(|n| n.id.clone()).collect()
}

pub async fn logout_outbox_parallel_claims_never_overlap(db: &mut TestDb) {
    let all_ids = queued(db, 12).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = db.shared();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store.due_logouts(2).await.unwrap();
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
    assert_eq!(all.len(), all_ids.len(), "every notice claimed exactly once");
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), all_ids.len());
}

pub async fn logout_outbox_delivery_retry_and_give_up(db: &mut TestDb) {
    let queued = queued(db, 2).await;
    let (first, second) = (&queued[0], &queued[1]);
    assert_eq!(db.store().due_logouts(10).await.unwrap().len(), 2);
    // A crashed worker's claim runs out.
    db.clock.advance(LOGOUT_LEASE_SECS - 1);
    assert!(db.store().due_logouts(10).await.unwrap().is_empty());
    db.clock.advance(1);
    assert_eq!(db.store().due_logouts(10).await.unwrap().len(), 2);
    let delivered = AuditEvent::BackchannelLogoutDelivered {
        client_id: "rp".into(),
        account_id: "acc-1".into(),
        notice_id: first.clone(),
        attempts: 1,
    };
    db.store().mark_logout_delivered(first, &delivered).await.unwrap();
    let now = T0 + LOGOUT_LEASE_SECS;
    db.store().mark_logout_failed(second, "status 503", Some(now + 30), None).await.unwrap();
    assert!(db.store().due_logouts(10).await.unwrap().is_empty(), "not before its next attempt");
    db.clock.advance(30);
    assert_eq!(ids(&db.store().due_logouts(10).await.unwrap()), std::slice::from_ref(second));
    let failed = AuditEvent::BackchannelLogoutFailed {
        client_id: "rp".into(),
        account_id: "acc-1".into(),
        notice_id: second.clone(),
        attempts: 2,
        reason: "status 503".into(),
    };
    db.store().mark_logout_failed(second, "status 503", None, Some(&failed)).await.unwrap();
    db.clock.advance(LOGOUT_LEASE_SECS * 10);
    assert!(db.store().due_logouts(10).await.unwrap().is_empty(), "given up");
    let kinds = audit_kinds(db.store()).await;
    assert!(kinds.ends_with(&["backchannel_logout_delivered".into(), "backchannel_logout_failed".into()]), "{kinds:?}");
    let rows = db.store().logouts_of_account("acc-1").await.unwrap();
    let by_id = |id: &str| rows.iter().find(|n| n.id == id).unwrap().clone();
    assert!(by_id(first).delivered_at.is_some());
    let given_up = by_id(second);
    assert_eq!((given_up.attempts, given_up.next_attempt_at, given_up.delivered_at), (2, None, None));
    assert_eq!(given_up.last_error.as_deref(), Some("status 503"));
    // Delivered twice, or an unknown notice: NotFound, nothing written.
    assert!(matches!(db.store().mark_logout_delivered(first, &delivered).await, Err(StoreError::NotFound)));
    assert!(matches!(db.store().mark_logout_failed("nope", "x", None, None).await, Err(StoreError::NotFound)));
}

pub async fn logout_notices_of_the_consoles_account_actions(db: &mut TestDb) {
    let s = db.store();
    clients(s).await;
    grant_of(s, "rp", "g-a", Some("sa")).await;
    grant_of(s, "rp", "g-b", Some("sb")).await;
    // «Завершить сеансы»: each session's clients, with its sid.
    s.end_sessions_of_account("acc-1", &event()).await.unwrap();
    let ended = notices(s).await;
    let mut want = vec![("rp".to_owned(), Some(public_sid("sa"))), ("rp".to_owned(), Some(public_sid("sb")))];
    want.sort();
    assert_eq!(ended, want);
    // «Отозвать доступ» of one client: its live grants' sessions.
    grant_of(s, "rp", "g-c", Some("sc")).await;
    s.revoke_grants_of_account("acc-1", Some("quiet"), &event()).await.unwrap();
    assert_eq!(notices(s).await.len(), 2, "no URI: nothing");
    s.revoke_grants_of_account("acc-1", Some("rp"), &event()).await.unwrap();
    assert_eq!(notices(s).await.len(), 5, "the three live grants of rp (sessions gone or not)");
    // Disabling: every client of the account, once per live session.
    grant_of(s, "rp", "g-d", Some("sd")).await;
    s.set_account_disabled("acc-1", true, &event()).await.unwrap();
    let all = notices(s).await;
    assert_eq!(all.len(), 6, "{all:?}");
    assert!(all.contains(&("rp".to_owned(), Some(public_sid("sd")))));
}
