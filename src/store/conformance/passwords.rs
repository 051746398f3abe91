//! Conformance checks, part 6: passwords set by their owners (`PasswordStore`):
//! a change rotates the session and ends every other one with its grants, in one
//! transaction with its audit event and mail; reset links are single use (also
//! under parallel use), expire, belong to one account, and end every session.

use super::fixtures::*;
use super::harness::verify_chain;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::outbox::OutboxMessage;
use crate::store::passwords::{PasswordChange, PasswordReset};
use crate::store::*;

const NEW_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bmV3LXNhbHQ$bmV3LWhhc2g";

fn changed() -> AuditEvent {
    AuditEvent::PasswordChanged { account_id: "acc-1".into(), by: "owner".into() }
}

fn reset_done() -> AuditEvent {
    AuditEvent::PasswordReset { account_id: "acc-1".into() }
}

fn mail(n: usize) -> OutboxMessage {
    OutboxMessage::new(T0, format!("owner{n}@example.ru"), "Пароль изменён", "Текст", "<p>Текст</p>")
}

fn link(token_hash: &str, account_id: &str, ttl: i64) -> PasswordReset {
    PasswordReset {
        token_hash: token_hash.into(),
        account_id: account_id.into(),
        created_at: T0,
        expires_at: T0 + ttl,
        used_at: None,
    }
}

fn change<'a>(session_hash: &'a str, new_session_hash: &'a str) -> PasswordChange<'a> {
    PasswordChange { account_id: "acc-1", phc: NEW_PHC, session_hash, new_session_hash }
}

/// acc-1 (with a second account acc-2 in the same school), sessions s-cur and
/// s-other of acc-1 and s-acc2 of acc-2, and a live grant from each.
async fn signed_in_twice(s: &dyn Store) {
    with_acc1(s).await;
    let batch =
        DirectoryBatch { accounts: vec![account("acc-2", "org-1", "petrov", Role::Parent)], ..Default::default() };
    s.import_directory(&batch, &event()).await.unwrap();
    for (sid, acc) in [("s-cur", "acc-1"), ("s-other", "acc-1"), ("s-acc2", "acc-2")] {
        s.create_session(&session(sid, acc, 3600), &event()).await.unwrap();
    }
    issued_grant(s, "g-cur", "rt-cur", Some("s-cur")).await;
    issued_grant(s, "g-other", "rt-other", Some("s-other")).await;
    issued_grant(s, "g-none", "rt-none", None).await;
    s.insert_code(&code("c-acc2", "g-acc2", Some("s-acc2"))).await.unwrap();
    let g = grant("g-acc2", "acc-2", "rp", Some("s-acc2"));
    let outcome = s.exchange_code("c-acc2", &g, Some(&refresh("rt-acc2", "g-acc2")), &event()).await;
    assert_eq!(outcome.unwrap(), CodeExchange::Issued);
}

pub async fn password_change_rotates_session_and_ends_the_others(db: &mut TestDb) {
    let s = db.store();
    signed_in_twice(s).await;
    s.insert_password_reset(&link("link-1", "acc-1", 1800), &mail(1), &event()).await.unwrap();
    let notice = mail(2);
    let ended = s.change_password(&change("s-cur", "s-new"), &changed(), Some(&notice)).await.unwrap();
    assert_eq!(ended, 1, "s-other ended");

    assert_eq!(s.account("acc-1").await.unwrap().unwrap().password_hash, NEW_PHC);
    assert_eq!(s.session("s-cur").await.unwrap(), None, "the old id is gone");
    let kept = s.session("s-new").await.unwrap().expect("this session lives on under its new id");
    assert_eq!((kept.account_id.as_str(), kept.expires_at), ("acc-1", T0 + 3600));
    assert_eq!(s.session("s-other").await.unwrap(), None);
    assert!(s.session("s-acc2").await.unwrap().is_some(), "other accounts are untouched");

    let current = s.grant("g-cur").await.unwrap().unwrap();
    assert_eq!((current.revoked_at, current.session_hash.as_deref()), (None, Some("s-new")));
    assert!(is_revoked(s, "g-other").await && is_revoked(s, "g-none").await);
    assert!(!is_revoked(s, "g-acc2").await);
    assert_eq!(rotate(s, "rt-other", "rt-other-2").await, "invalid", "refresh tokens die with their grant");
    assert_eq!(rotate(s, "rt-cur", "rt-cur-2").await, "rotated");

    let spent = s.password_reset("link-1").await.unwrap().unwrap();
    assert_eq!(spent.used_at, Some(T0), "a pending reset link is spent by the change");
    assert_eq!(s.mail(&notice.id).await.unwrap(), Some(notice));
    assert_eq!(audit_kinds(s).await.iter().filter(|k| *k == "password_changed").count(), 1);
    verify_chain(&s.audit_records(0, 1000).await.unwrap()).unwrap();
}

pub async fn password_change_needs_the_live_session(db: &mut TestDb) {
    let s = db.store();
    signed_in_twice(s).await;
    let before = s.account("acc-1").await.unwrap().unwrap().password_hash;
    let kinds = audit_kinds(s).await;
    for (sid, why) in [("s-none", "unknown session"), ("s-acc2", "another account's session")] {
        let notice = mail(1);
        let refused = s.change_password(&change(sid, "s-new"), &changed(), Some(&notice)).await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{why}: {refused:?}");
        assert_eq!(s.mail(&notice.id).await.unwrap(), None, "{why}: no mail");
    }
    let unknown = PasswordChange { account_id: "acc-9", ..change("s-cur", "s-new") };
    assert!(matches!(s.change_password(&unknown, &changed(), None).await, Err(StoreError::NotFound)));
    db.clock.advance(3600);
    let s = db.store();
    let expired = s.change_password(&change("s-cur", "s-new"), &changed(), None).await;
    assert!(matches!(expired, Err(StoreError::NotFound)), "an expired session: {expired:?}");

    assert_eq!(s.account("acc-1").await.unwrap().unwrap().password_hash, before, "nothing changed");
    assert!(!is_revoked(s, "g-other").await);
    assert_eq!(audit_kinds(s).await, kinds);
}

pub async fn password_change_parallel_in_one_session_one_wins(db: &mut TestDb) {
    signed_in_twice(db.store()).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = db.shared();
            tokio::spawn(async move {
                let new = format!("s-new-{i}");
                let c = change("s-cur", &new);
                let outcome = store.change_password(&c, &changed(), None).await;
                outcome.map(|_| new)
            })
        })
        .collect();
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(new) => won.push(new),
            Err(StoreError::NotFound) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one change wins: {won:?}");
    assert!(db.store().session(&won[0]).await.unwrap().is_some());
    let kinds = audit_kinds(db.store()).await;
    assert_eq!(kinds.iter().filter(|k| *k == "password_changed").count(), 1);
}

pub async fn password_reset_link_is_single_use(db: &mut TestDb) {
    let s = db.store();
    signed_in_twice(s).await;
    let requested = AuditEvent::PasswordResetRequested { account_id: "acc-1".into() };
    let sent = mail(1);
    s.insert_password_reset(&link("link-1", "acc-1", 1800), &sent, &requested).await.unwrap();
    s.insert_password_reset(&link("link-2", "acc-1", 1800), &mail(2), &requested).await.unwrap();
    assert_eq!(s.password_reset("link-1").await.unwrap(), Some(link("link-1", "acc-1", 1800)));
    assert_eq!(s.mail(&sent.id).await.unwrap(), Some(sent), "the link's mail commits with it");
    assert!(matches!(
        s.insert_password_reset(&link("link-1", "acc-1", 1800), &mail(3), &requested).await,
        Err(StoreError::Conflict(_))
    ));

    db.clock.advance(60);
    let s = db.store();
    let notice = mail(4);
    assert_eq!(s.reset_password("link-1", "acc-1", NEW_PHC, &reset_done(), Some(&notice)).await.unwrap(), Some(2));
    assert_eq!(s.account("acc-1").await.unwrap().unwrap().password_hash, NEW_PHC);
    for sid in ["s-cur", "s-other"] {
        assert_eq!(s.session(sid).await.unwrap(), None, "{sid} ended");
    }
    assert!(s.session("s-acc2").await.unwrap().is_some());
    for g in ["g-cur", "g-other", "g-none"] {
        assert!(is_revoked(s, g).await, "{g} revoked");
    }
    assert!(!is_revoked(s, "g-acc2").await);
    assert_eq!(s.password_reset("link-1").await.unwrap().unwrap().used_at, Some(T0 + 60));
    assert_eq!(s.password_reset("link-2").await.unwrap().unwrap().used_at, Some(T0 + 60), "the other link too");
    assert!(s.mail(&notice.id).await.unwrap().is_some());

    // A second use changes nothing and writes nothing.
    let kinds = audit_kinds(s).await;
    let again = mail(5);
    let other = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXI$b3RoZXI";
    assert_eq!(s.reset_password("link-1", "acc-1", other, &reset_done(), Some(&again)).await.unwrap(), None);
    assert_eq!(s.reset_password("link-2", "acc-1", other, &reset_done(), None).await.unwrap(), None);
    assert_eq!(s.account("acc-1").await.unwrap().unwrap().password_hash, NEW_PHC);
    assert_eq!(s.mail(&again.id).await.unwrap(), None);
    assert_eq!(audit_kinds(s).await, kinds);
    assert_eq!(kinds.last().map(String::as_str), Some("password_reset"));
    verify_chain(&s.audit_records(0, 1000).await.unwrap()).unwrap();
}

pub async fn password_reset_parallel_use_one_winner(db: &mut TestDb) {
    with_acc1(db.store()).await;
    db.store().insert_password_reset(&link("link-1", "acc-1", 1800), &mail(1), &event()).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = db.shared();
            tokio::spawn(async move {
                let phc = format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdC17aX0$aGFzaC0{i}");
                let done = store.reset_password("link-1", "acc-1", &phc, &reset_done(), None).await.unwrap();
                done.map(|_| phc)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        winners.extend(t.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "exactly one use of the link succeeds");
    assert_eq!(db.store().account("acc-1").await.unwrap().unwrap().password_hash, winners[0]);
    let kinds = audit_kinds(db.store()).await;
    assert_eq!(kinds.iter().filter(|k| *k == "password_reset").count(), 1);
}

pub async fn password_reset_expired_foreign_or_unknown_refused(db: &mut TestDb) {
    let s = db.store();
    signed_in_twice(s).await;
    s.insert_password_reset(&link("link-1", "acc-1", 1800), &mail(1), &event()).await.unwrap();
    let before = s.account("acc-1").await.unwrap().unwrap().password_hash;
    assert_eq!(s.reset_password("nope", "acc-1", NEW_PHC, &reset_done(), None).await.unwrap(), None);
    assert_eq!(s.reset_password("link-1", "acc-2", NEW_PHC, &reset_done(), None).await.unwrap(), None);
    assert_eq!(s.account("acc-2").await.unwrap().unwrap().password_hash, before, "not another account's");

    db.clock.advance(1800);
    let s = db.store();
    assert!(!s.password_reset("link-1").await.unwrap().unwrap().usable(T0 + 1800), "expired at expires_at");
    assert_eq!(s.reset_password("link-1", "acc-1", NEW_PHC, &reset_done(), None).await.unwrap(), None);
    assert_eq!(s.account("acc-1").await.unwrap().unwrap().password_hash, before);
    assert!(s.session("s-cur").await.unwrap().is_some(), "no session ended");
    assert!(!audit_kinds(s).await.contains(&"password_reset".to_owned()));

    // The next request forgets links that expired.
    s.insert_password_reset(&link("link-2", "acc-1", 1800 * 2), &mail(2), &event()).await.unwrap();
    assert_eq!(s.password_reset("link-1").await.unwrap(), None);
    assert!(s.password_reset("link-2").await.unwrap().unwrap().usable(T0 + 1800));
}
