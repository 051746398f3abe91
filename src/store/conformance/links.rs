//! Conformance checks, part 3: the «Через Госуслуги» storage (`LinkStore`):
//! links keyed by (issuer, subject), idempotent linking, unlinking that revokes
//! only ESIA-born grants, the PD consent and the profile it takes along, the
//! chooser's default account and relations confirmed through ESIA.

use super::fixtures::*;
use super::harness::verify_chain;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::links::{LinkMethod, PdConsent, Unlink, UpstreamLink};
use crate::store::*;

pub(super) const ISS: &str = "https://esia.gosuslugi.ru/";

/// Two parents, a pupil, and an unconfirmed relation acc-1 → acc-pupil.
pub(super) async fn directory(s: &dyn Store) {
    let batch = DirectoryBatch {
        organisations: vec![organisation("org-1")],
        classes: vec![],
        accounts: vec![
            account("acc-1", "org-1", "parent1", Role::Parent),
            account("acc-2", "org-1", "parent2", Role::Parent),
            account("acc-pupil", "org-1", "pupil1", Role::Pupil),
        ],
        relations: vec![Relation {
            parent_id: "acc-1".into(),
            child_id: "acc-pupil".into(),
            confirmed_via_esia: false,
        }],
    };
    s.import_directory(&batch, &event()).await.unwrap();
}

pub(super) fn link(subject: &str, account_id: &str, method: LinkMethod, at: i64) -> UpstreamLink {
    UpstreamLink { issuer: ISS.into(), subject: subject.into(), account_id: account_id.into(), method, created_at: at }
}

pub(super) fn linked(l: &UpstreamLink) -> AuditEvent {
    AuditEvent::AccountLinked {
        account_id: l.account_id.clone(),
        upstream_subject: l.subject.clone(),
        method: l.method.as_str().into(),
        evidence: vec!["snils".into()],
    }
}

pub(super) async fn chain_verifies(s: &dyn Store) {
    let rows = s.audit_records(0, 100_000).await.unwrap();
    assert_eq!(verify_chain(&rows), Ok(rows.len()));
}

pub async fn br_04_links_keyed_by_issuer_and_subject(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    let a = link("1000001", "acc-1", LinkMethod::Auto, T0);
    let b = link("1000001", "acc-2", LinkMethod::Credentials, T0 + 1);
    s.add_links(&[a.clone(), b.clone()], &[linked(&a), linked(&b)], &[]).await.unwrap();

    assert_eq!(s.links_by_subject(ISS, "1000001").await.unwrap(), [a.clone(), b.clone()]);
    assert_eq!(s.links_of_account("acc-1").await.unwrap(), std::slice::from_ref(&a));
    // The same subject at another issuer is another person.
    assert!(s.links_by_subject("https://other.example/", "1000001").await.unwrap().is_empty());
    assert!(s.links_by_subject(ISS, "1000002").await.unwrap().is_empty());
    assert!(s.links_of_account("acc-pupil").await.unwrap().is_empty());

    // Adding again is a no-op for the links (first method and time kept); events are still written.
    let mut again = a.clone();
    again.method = LinkMethod::Staff;
    again.created_at = T0 + 50;
    s.add_links(&[again.clone()], &[linked(&again)], &[]).await.unwrap();
    assert_eq!(s.links_by_subject(ISS, "1000001").await.unwrap(), [a.clone(), b.clone()]);

    // Another issuer's subject links to the same account alongside.
    let other = UpstreamLink {
        issuer: "https://other.example/".into(),
        ..link("1000001", "acc-1", LinkMethod::Account, T0 + 2)
    };
    s.add_links(std::slice::from_ref(&other), &[], &[]).await.unwrap();
    assert_eq!(s.links_of_account("acc-1").await.unwrap(), [a.clone(), other]);

    // A link to an unknown account fails and stores nothing of its batch, events included.
    let before = audit_kinds(s).await;
    let c = link("1000003", "acc-2", LinkMethod::Auto, T0);
    let ghost = link("1000003", "no-such-account", LinkMethod::Auto, T0);
    assert!(s.add_links(&[c.clone(), ghost.clone()], &[linked(&c), linked(&ghost)], &[]).await.is_err());
    assert!(s.links_by_subject(ISS, "1000003").await.unwrap().is_empty());
    assert_eq!(audit_kinds(s).await, before);

    assert_eq!(audit_kinds(s).await, ["demo_seeded", "account_linked", "account_linked", "account_linked"]);
    chain_verifies(s).await;
}

pub async fn br_06_link_notices_commit_with_the_change(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    let notice = |to: &str| crate::store::outbox::OutboxMessage::new(T0, to, "Привязка", "Текст", "<p>Текст</p>");
    let a = link("1000001", "acc-1", LinkMethod::Auto, T0);
    let sent = notice("acc1@example.ru");
    s.add_links(std::slice::from_ref(&a), &[linked(&a)], std::slice::from_ref(&sent)).await.unwrap();
    assert!(s.mail(&sent.id).await.unwrap().is_some(), "the notice is queued with the link");

    // A batch that fails queues nothing.
    let ghost = link("1000003", "no-such-account", LinkMethod::Auto, T0);
    let lost = notice("ghost@example.ru");
    assert!(s.add_links(&[ghost], &[], std::slice::from_ref(&lost)).await.is_err());
    assert_eq!(s.mail(&lost.id).await.unwrap(), None);

    let gone = notice("acc1@example.ru");
    let unlinked = AuditEvent::AccountUnlinked { account_id: "acc-1".into(), links: 1, by: "owner".into() };
    let unlink = Unlink { account_id: "acc-1", tombstone: false, audit: &unlinked, mail: Some(&gone) };
    assert_eq!(s.unlink_account(&unlink).await.unwrap(), 1);
    assert!(s.mail(&gone.id).await.unwrap().is_some(), "the unlink notice is queued");
    chain_verifies(s).await;
}

/// A grant of `account_id` with the given `amr` and a live refresh token `rt-<grant_id>`.
pub(super) async fn grant_with_amr(s: &dyn Store, grant_id: &str, account_id: &str, amr: &str) {
    let mut c = code(&format!("code-{grant_id}"), grant_id, None);
    c.account_id = account_id.into();
    c.amr = amr.into();
    s.insert_code(&c).await.unwrap();
    let mut g = grant(grant_id, account_id, "rp", None);
    g.amr = amr.into();
    let rt = refresh(&format!("rt-{grant_id}"), grant_id);
    assert_eq!(s.exchange_code(&c.code_hash, &g, Some(&rt), &event()).await.unwrap(), CodeExchange::Issued);
}

pub async fn rt_06_unlink_revokes_only_esia_grants(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    let links = [
        link("1000001", "acc-1", LinkMethod::Auto, T0),
        link("1000009", "acc-1", LinkMethod::Credentials, T0),
        link("1000002", "acc-2", LinkMethod::Auto, T0),
    ];
    s.add_links(&links, &[], &[]).await.unwrap();
    grant_with_amr(s, "g-esia", "acc-1", "esia").await;
    grant_with_amr(s, "g-pwd", "acc-1", "pwd").await;
    grant_with_amr(s, "g-other", "acc-2", "esia").await;

    let unlinked = AuditEvent::AccountUnlinked { account_id: "acc-1".into(), links: 2, by: "owner".into() };
    let unlink = Unlink { account_id: "acc-1", tombstone: false, audit: &unlinked, mail: None };
    assert_eq!(s.unlink_account(&unlink).await.unwrap(), 2);

    assert!(s.links_of_account("acc-1").await.unwrap().is_empty());
    assert!(s.links_by_subject(ISS, "1000001").await.unwrap().is_empty());
    assert_eq!(s.links_of_account("acc-2").await.unwrap(), [links[2].clone()]);
    assert!(is_revoked(s, "g-esia").await);
    assert!(!is_revoked(s, "g-pwd").await);
    assert!(!is_revoked(s, "g-other").await);
    // The ESIA grant's refresh token is dead; the password grant's still rotates.
    assert_eq!(rotate(s, "rt-g-esia", "rt-esia-2").await, "invalid");
    assert_eq!(rotate(s, "rt-g-pwd", "rt-pwd-2").await, "rotated");

    // Nothing left to remove: 0, and the request is still recorded.
    let again = AuditEvent::AccountUnlinked { account_id: "acc-1".into(), links: 0, by: "owner".into() };
    let unlink = Unlink { account_id: "acc-1", tombstone: false, audit: &again, mail: None };
    assert_eq!(s.unlink_account(&unlink).await.unwrap(), 0);
    let kinds = audit_kinds(s).await;
    assert_eq!(kinds.iter().filter(|k| *k == "account_unlinked").count(), 2);
    chain_verifies(s).await;
}

pub async fn pd_consent_revoke_deletes_profile(db: &mut TestDb) {
    let s = db.store();
    assert_eq!(s.pd_consent(ISS, "1000001").await.unwrap(), None);
    let consent = PdConsent {
        issuer: ISS.into(),
        subject: "1000001".into(),
        text_version: "2026-09".into(),
        given_at: T0,
        ip: "203.0.113.7".into(),
    };
    let given = AuditEvent::PdConsentGiven { upstream_subject: "1000001".into(), text_version: "2026-09".into() };
    s.put_pd_consent(&consent, &given).await.unwrap();
    assert_eq!(s.pd_consent(ISS, "1000001").await.unwrap(), Some(consent.clone()));
    assert_eq!(s.pd_consent("https://other.example/", "1000001").await.unwrap(), None);

    // Upsert: a new text version replaces the old consent.
    let renewed = PdConsent { text_version: "2026-11".into(), given_at: T0 + 10, ip: "198.51.100.1".into(), ..consent };
    s.put_pd_consent(&renewed, &given).await.unwrap();
    assert_eq!(s.pd_consent(ISS, "1000001").await.unwrap(), Some(renewed));

    // Profiles: the first write carries no event, a change does.
    assert_eq!(s.upstream_profile(ISS, "1000001").await.unwrap(), None);
    s.put_upstream_profile(ISS, "1000001", r#"{"v":1}"#, None).await.unwrap();
    assert_eq!(s.upstream_profile(ISS, "1000001").await.unwrap().as_deref(), Some(r#"{"v":1}"#));
    let changed = AuditEvent::UpstreamProfileChanged { upstream_subject: "1000001".into(), fields: vec!["v".into()] };
    s.put_upstream_profile(ISS, "1000001", r#"{"v":2}"#, Some(&changed)).await.unwrap();
    assert_eq!(s.upstream_profile(ISS, "1000001").await.unwrap().as_deref(), Some(r#"{"v":2}"#));
    s.put_upstream_profile(ISS, "1000002", r#"{"v":9}"#, None).await.unwrap();

    let revoked = AuditEvent::PdConsentRevoked { upstream_subject: "1000001".into() };
    s.revoke_pd_consent(ISS, "1000001", &revoked).await.unwrap();
    assert_eq!(s.pd_consent(ISS, "1000001").await.unwrap(), None);
    assert_eq!(s.upstream_profile(ISS, "1000001").await.unwrap(), None);
    // Another person's profile stays.
    assert_eq!(s.upstream_profile(ISS, "1000002").await.unwrap().as_deref(), Some(r#"{"v":9}"#));

    assert_eq!(
        audit_kinds(s).await,
        ["pd_consent_given", "pd_consent_given", "upstream_profile_changed", "pd_data_deleted", "pd_consent_revoked"]
    );
    chain_verifies(s).await;
}

pub async fn default_account_upsert(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    assert_eq!(s.default_account(ISS, "1000001", "parent").await.unwrap(), None);
    s.set_default_account(ISS, "1000001", "parent", "acc-1").await.unwrap();
    assert_eq!(s.default_account(ISS, "1000001", "parent").await.unwrap().as_deref(), Some("acc-1"));
    s.set_default_account(ISS, "1000001", "parent", "acc-2").await.unwrap();
    assert_eq!(s.default_account(ISS, "1000001", "parent").await.unwrap().as_deref(), Some("acc-2"));
    // One default per role, per person.
    s.set_default_account(ISS, "1000001", "pupil", "acc-pupil").await.unwrap();
    assert_eq!(s.default_account(ISS, "1000001", "parent").await.unwrap().as_deref(), Some("acc-2"));
    assert_eq!(s.default_account(ISS, "1000001", "pupil").await.unwrap().as_deref(), Some("acc-pupil"));
    assert_eq!(s.default_account(ISS, "1000002", "parent").await.unwrap(), None);
    // Not audited: only the directory import is in the log.
    assert_eq!(audit_kinds(s).await, ["demo_seeded"]);
}

pub async fn confirm_relation_marks_relation(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    assert!(!s.children("acc-1").await.unwrap()[0].confirmed_via_esia);
    let confirmed = AuditEvent::RelationConfirmed { parent_id: "acc-1".into(), child_id: "acc-pupil".into() };
    s.confirm_relation("acc-1", "acc-pupil", &confirmed).await.unwrap();
    assert!(s.children("acc-1").await.unwrap()[0].confirmed_via_esia);

    // No such relation: NotFound and no event.
    let none = AuditEvent::RelationConfirmed { parent_id: "acc-2".into(), child_id: "acc-pupil".into() };
    assert!(matches!(s.confirm_relation("acc-2", "acc-pupil", &none).await, Err(StoreError::NotFound)));
    assert!(s.children("acc-2").await.unwrap().is_empty());

    // A re-import does not undo the confirmation.
    directory(s).await;
    assert!(s.children("acc-1").await.unwrap()[0].confirmed_via_esia);
    assert_eq!(audit_kinds(s).await, ["demo_seeded", "relation_confirmed", "demo_seeded"]);
    chain_verifies(s).await;
}
