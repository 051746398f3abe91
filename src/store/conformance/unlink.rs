//! Conformance checks, part 7: the linking lifecycle (DESIGN.md §4). An ESIA-born
//! session lives only while its link does; an unlink ends sessions, unused codes
//! and grants of ESIA logins in one transaction, leaves the owner's tombstones, and
//! deletes the person's stored data (with a deletion record) once no link is left;
//! a code is never minted from a session that is gone.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use super::links::{ISS, chain_verifies, directory, grant_with_amr, link};
use crate::audit::AuditEvent;
use crate::store::links::{LinkMethod, PD_DELETION_RETENTION_SECS, PdConsent, Unlink};
use crate::store::*;

fn esia_session(id: &str, account_id: &str, subject: &str) -> Session {
    Session { amr: "esia".into(), upstream: Some((ISS.into(), subject.into())), ..session(id, account_id, 3600) }
}

async fn consent_and_profile(s: &dyn Store, subject: &str) {
    let consent = PdConsent {
        issuer: ISS.into(),
        subject: subject.into(),
        text_version: "v".into(),
        given_at: T0,
        ip: "::1".into(),
    };
    let given = AuditEvent::PdConsentGiven { upstream_subject: subject.into(), text_version: "v".into() };
    s.put_pd_consent(&consent, &given).await.unwrap();
    s.put_upstream_profile(ISS, subject, "{}", None).await.unwrap();
}

pub async fn rt_07_esia_session_lives_only_while_linked(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    s.add_links(&[link("1000001", "acc-1", LinkMethod::Auto, T0)], &[], &[]).await.unwrap();
    s.create_session(&esia_session("s-esia", "acc-1", "1000001"), &event()).await.unwrap();
    // A session whose ESIA identity is linked to another account is not valid for this one.
    s.create_session(&esia_session("s-foreign", "acc-2", "1000001"), &event()).await.unwrap();
    assert!(s.session("s-esia").await.unwrap().is_some());
    assert_eq!(s.session("s-esia").await.unwrap().unwrap().upstream, Some((ISS.into(), "1000001".into())));
    assert!(s.session("s-foreign").await.unwrap().is_none(), "no link of 1000001 to acc-2");
}

pub async fn rt_07_unlink_ends_sessions_codes_and_grants(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    s.add_links(&[link("1000001", "acc-1", LinkMethod::Auto, T0)], &[], &[]).await.unwrap();
    s.create_session(&esia_session("s-esia", "acc-1", "1000001"), &event()).await.unwrap();
    s.create_session(&session("s-pwd", "acc-1", 3600), &event()).await.unwrap();
    grant_with_amr(s, "g-esia", "acc-1", "esia").await;
    let mut unused = code("code-unused", "g-next", Some("s-esia"));
    unused.account_id = "acc-1".into();
    unused.amr = "esia".into();
    s.insert_code(&unused).await.unwrap();

    let event = AuditEvent::AccountUnlinked { account_id: "acc-1".into(), links: 1, by: "owner".into() };
    let unlink = Unlink { account_id: "acc-1", tombstone: true, audit: &event, mail: None };
    assert_eq!(s.unlink_account(&unlink).await.unwrap(), 1);

    assert!(s.session("s-esia").await.unwrap().is_none(), "the ESIA session ended");
    assert!(s.session("s-pwd").await.unwrap().is_some(), "the password session stays");
    assert!(is_revoked(s, "g-esia").await);
    assert!(s.code("code-unused").await.unwrap().unwrap().consumed_at.is_some(), "the unused code is spent");
    assert_eq!(s.tombstones(ISS, "1000001").await.unwrap(), ["acc-1"]);
    // A code is never minted from the ended session.
    let late = code("code-late", "g-late", Some("s-esia"));
    assert!(matches!(s.insert_code(&late).await, Err(StoreError::NotFound)));
    assert_eq!(s.code("code-late").await.unwrap(), None);
    chain_verifies(s).await;
}

pub async fn unlink_deletes_the_data_of_a_person_left_without_links(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    let links = [link("1000001", "acc-1", LinkMethod::Auto, T0), link("1000001", "acc-2", LinkMethod::Auto, T0)];
    s.add_links(&links, &[], &[]).await.unwrap();
    consent_and_profile(s, "1000001").await;
    s.set_default_account(ISS, "1000001", "parent", "acc-2").await.unwrap();

    // One link is left: the consent stays (it is visible and revocable from acc-2).
    let first = AuditEvent::AccountUnlinked { account_id: "acc-1".into(), links: 1, by: "owner".into() };
    s.unlink_account(&Unlink { account_id: "acc-1", tombstone: true, audit: &first, mail: None }).await.unwrap();
    assert!(s.pd_consent(ISS, "1000001").await.unwrap().is_some());
    assert!(s.pd_deletions(ISS, "1000001").await.unwrap().is_empty());

    // The last link goes: consent, profile and remembered choice go with it, recorded.
    let last = AuditEvent::AccountUnlinked { account_id: "acc-2".into(), links: 1, by: "owner".into() };
    s.unlink_account(&Unlink { account_id: "acc-2", tombstone: true, audit: &last, mail: None }).await.unwrap();
    assert_eq!(s.pd_consent(ISS, "1000001").await.unwrap(), None);
    assert_eq!(s.upstream_profile(ISS, "1000001").await.unwrap(), None);
    assert_eq!(s.default_account(ISS, "1000001", "parent").await.unwrap(), None);
    let deleted = s.pd_deletions(ISS, "1000001").await.unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].reason, "unlinked");
    assert!(deleted[0].categories.contains(&"pd_consent".to_owned()));
    assert_eq!(deleted[0].keep_until - deleted[0].deleted_at, PD_DELETION_RETENTION_SECS);
    assert_eq!(s.tombstones(ISS, "1000001").await.unwrap(), ["acc-1", "acc-2"]);
    let person = (ISS.to_owned(), "1000001".to_owned());
    assert_eq!(s.unlinked_persons("acc-2").await.unwrap(), [person]);
    assert!(s.unlinked_persons("acc-pupil").await.unwrap().is_empty());
    assert!(audit_kinds(s).await.contains(&"pd_data_deleted".to_owned()));
    chain_verifies(s).await;
}

pub async fn pd_consent_revocation_leaves_a_deletion_record(db: &mut TestDb) {
    let s = db.store();
    consent_and_profile(s, "1000007").await;
    let revoked = AuditEvent::PdConsentRevoked { upstream_subject: "1000007".into() };
    s.revoke_pd_consent(ISS, "1000007", &revoked).await.unwrap();
    let deleted = s.pd_deletions(ISS, "1000007").await.unwrap();
    assert_eq!(deleted.iter().map(|d| d.reason.as_str()).collect::<Vec<_>>(), ["consent_revoked"]);
    chain_verifies(s).await;
}

/// Leaving «Запись не найдена»: a consent with no link and no request behind it is
/// deleted (recorded); one that a link or an access request rests on stays.
pub async fn a_consent_nothing_rests_on_is_forgotten(db: &mut TestDb) {
    let s = db.store();
    directory(s).await;
    for subject in ["1000001", "1000002", "1000003"] {
        consent_and_profile(s, subject).await;
    }
    s.add_links(&[link("1000002", "acc-1", LinkMethod::Auto, T0)], &[], &[]).await.unwrap();
    super::requests::two_schools(s).await;
    let mut req = super::requests::request("r-1", "1000003", "org-1");
    req.issuer = ISS.into();
    s.file_request(&req, &super::requests::mail("a@b.ru"), &super::requests::filed(&req)).await.unwrap();

    assert!(s.forget_unused_pd_consent(ISS, "1000001").await.unwrap(), "nothing rests on it");
    assert_eq!(s.pd_consent(ISS, "1000001").await.unwrap(), None);
    assert_eq!(s.upstream_profile(ISS, "1000001").await.unwrap(), None);
    assert_eq!(s.pd_deletions(ISS, "1000001").await.unwrap()[0].reason, "left_without_account");
    assert!(!s.forget_unused_pd_consent(ISS, "1000002").await.unwrap(), "a link rests on it");
    assert!(!s.forget_unused_pd_consent(ISS, "1000003").await.unwrap(), "a request rests on it");
    assert!(
        s.pd_consent(ISS, "1000002").await.unwrap().is_some() && s.pd_consent(ISS, "1000003").await.unwrap().is_some()
    );
    assert!(!s.forget_unused_pd_consent(ISS, "1000001").await.unwrap(), "already gone");
    chain_verifies(s).await;
}
