//! Conformance checks, part 5: access requests (`RequestStore`): filing with its
//! mail and audit event, the duplicate guard, the organisation queue, and staff
//! decisions (link with correction, create, reject) that happen exactly once.

use super::fixtures::*;
use super::harness::verify_chain;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::outbox::OutboxMessage;
use crate::store::requests::*;
use crate::store::*;

const ISS: &str = "https://esia.example";

pub(super) async fn two_schools(s: &dyn Store) {
    let batch = DirectoryBatch {
        organisations: vec![organisation("org-1"), organisation("org-2")],
        classes: vec![class("cl-1", "org-1"), class("cl-2", "org-2")],
        accounts: vec![
            account("acc-1", "org-1", "ivanova", Role::Parent),
            account("staff-1", "org-1", "admin", Role::Staff),
        ],
        relations: vec![],
    };
    s.import_directory(&batch, &event()).await.unwrap();
}

pub(super) fn request(id: &str, subject: &str, org: &str) -> AccessRequest {
    AccessRequest {
        id: id.into(),
        number: new_request_number(),
        issuer: ISS.into(),
        subject: subject.into(),
        role: Role::Parent,
        surname: "Соколов".into(),
        given_name: "Дмитрий".into(),
        patronymic: Some("Игоревич".into()),
        birth_date: Some("1988-07-20".into()),
        email: "sokolov@example.ru".into(),
        email_from_esia: true,
        child: Some(RequestChild {
            surname: "Соколов".into(),
            given_name: "Артём".into(),
            patronymic: None,
            birth_date: Some("2014-02-03".into()),
            from_esia: true,
        }),
        organisation_id: org.into(),
        class_id: Some(if org == "org-1" { "cl-1" } else { "cl-2" }.into()),
        comment: Some("Не могу войти".into()),
        status: RequestStatus::Open,
        created_at: T0,
        decided_at: None,
        decided_by: None,
        reason: None,
        account_id: None,
    }
}

pub(super) fn mail(to: &str) -> OutboxMessage {
    OutboxMessage::new(T0, to, "Обращение", "Текст", "<p>Текст</p>")
}

pub(super) fn filed(r: &AccessRequest) -> AuditEvent {
    AuditEvent::RequestFiled {
        number: r.number.clone(),
        organisation_id: r.organisation_id.clone(),
        upstream_subject: r.subject.clone(),
    }
}

pub async fn request_filed_once_with_mail_and_audit(db: &mut TestDb) {
    let s = db.store();
    two_schools(s).await;
    let r = request("r-1", "1000000004", "org-1");
    let m = mail(&r.email);
    assert_eq!(s.file_request(&r, &m, &filed(&r)).await.unwrap(), Filed::Created);
    assert_eq!(s.access_request("r-1").await.unwrap(), Some(r.clone()));
    assert_eq!(s.access_request_by_number(&r.number).await.unwrap(), Some(r.clone()));
    assert!(s.mail(&m.id).await.unwrap().is_some(), "the confirmation is in the outbox");

    // The same person, organisation, role and child again: nothing new, the open one back.
    let mut again = request("r-2", "1000000004", "org-1");
    again.child.as_mut().unwrap().surname = "СОКОЛОВ".into();
    let m2 = mail(&r.email);
    assert_eq!(s.file_request(&again, &m2, &filed(&again)).await.unwrap(), Filed::Duplicate(Box::new(r.clone())));
    assert_eq!(s.access_request("r-2").await.unwrap(), None);
    assert_eq!(s.mail(&m2.id).await.unwrap(), None, "no second email");

    // Another organisation is another request; a reused number is a conflict.
    let other = request("r-3", "1000000004", "org-2");
    assert_eq!(s.file_request(&other, &mail("a@b.ru"), &filed(&other)).await.unwrap(), Filed::Created);
    let mut clash = request("r-4", "1000000009", "org-1");
    clash.number = r.number.clone();
    assert!(matches!(s.file_request(&clash, &mail("a@b.ru"), &filed(&clash)).await, Err(StoreError::Conflict(_))));

    assert_eq!(audit_kinds(s).await, ["demo_seeded", "request_filed", "request_filed"]);
    assert_eq!(s.requests_of_person(ISS, "1000000004").await.unwrap().len(), 2);
}

pub async fn requests_listed_per_organisation(db: &mut TestDb) {
    let s = db.store();
    two_schools(s).await;
    for (i, org) in ["org-1", "org-2", "org-1"].iter().enumerate() {
        let mut r = request(&format!("r-{i}"), &format!("sub-{i}"), org);
        r.created_at = T0 + i as i64;
        s.file_request(&r, &mail("a@b.ru"), &filed(&r)).await.unwrap();
    }
    let open = s.requests_of_organisation("org-1", Some(RequestStatus::Open), 100).await.unwrap();
    assert_eq!(open.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["r-0", "r-2"], "oldest first");
    assert!(s.requests_of_organisation("org-1", Some(RequestStatus::Rejected), 100).await.unwrap().is_empty());
    assert_eq!(s.requests_of_organisation("org-2", None, 100).await.unwrap().len(), 1);
    assert_eq!(s.requests_of_organisation("org-1", None, 1).await.unwrap().len(), 1, "limit");
    let parents = s.accounts_of_organisation("org-1", Role::Parent, 10).await.unwrap();
    assert_eq!(parents.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["acc-1"]);
}

fn decided(r: &AccessRequest, decision: &str) -> AuditEvent {
    AuditEvent::RequestDecided {
        number: r.number.clone(),
        staff_id: "staff-1".into(),
        decision: decision.into(),
        account_id: None,
    }
}

pub async fn request_decided_once_link_with_correction(db: &mut TestDb) {
    let s = db.store();
    two_schools(s).await;
    let r = request("r-1", "sub-1", "org-1");
    s.file_request(&r, &mail("a@b.ru"), &filed(&r)).await.unwrap();
    let correction = Correction {
        surname: "Соколова".into(),
        given_name: "Мария".into(),
        patronymic: None,
        birth_date: "1988-07-20".into(),
        match_key: "mk-new".into(),
    };
    let d = Decision {
        request_id: "r-1".into(),
        staff_id: "staff-1".into(),
        outcome: Outcome::Link { account_id: "acc-1".into(), correction: Some(correction) },
    };
    let m = mail(&r.email);
    assert!(s.decide_request(&d, &m, &[decided(&r, "linked")]).await.unwrap());
    let after = s.access_request("r-1").await.unwrap().unwrap();
    assert_eq!(after.status, RequestStatus::Resolved);
    assert_eq!(
        (after.decided_at, after.decided_by.as_deref(), after.account_id.as_deref()),
        (Some(T0), Some("staff-1"), Some("acc-1"))
    );
    let acc = s.account("acc-1").await.unwrap().unwrap();
    assert_eq!(
        (acc.surname.as_str(), acc.patronymic.as_deref(), acc.birth_date.as_str(), acc.match_key.as_str()),
        ("Соколова", None, "1988-07-20", "mk-new")
    );
    assert_eq!(s.links_by_subject(ISS, "sub-1").await.unwrap().len(), 1);
    assert!(s.mail(&m.id).await.unwrap().is_some());

    // A second decision (another staff member, same moment) writes nothing.
    let reject = Decision { outcome: Outcome::Reject { reason: "нет".into() }, ..d.clone() };
    let m2 = mail(&r.email);
    assert!(!s.decide_request(&reject, &m2, &[decided(&r, "rejected")]).await.unwrap());
    assert_eq!(s.access_request("r-1").await.unwrap().unwrap().status, RequestStatus::Resolved);
    assert_eq!(s.mail(&m2.id).await.unwrap(), None);

    // Decided requests no longer block a new one from the same person.
    let again = request("r-2", "sub-1", "org-1");
    assert_eq!(s.file_request(&again, &mail("a@b.ru"), &filed(&again)).await.unwrap(), Filed::Created);
    verify_chain(&s.audit_records(0, 100).await.unwrap()).unwrap();
}

pub async fn request_create_and_reject(db: &mut TestDb) {
    let s = db.store();
    two_schools(s).await;
    let r = request("r-1", "sub-1", "org-1");
    s.file_request(&r, &mail("a@b.ru"), &filed(&r)).await.unwrap();
    let mut new = account("acc-new", "org-1", "sokolov.di", Role::Parent);
    new.surname = "Соколов".into();
    let d = Decision {
        request_id: "r-1".into(),
        staff_id: "staff-1".into(),
        outcome: Outcome::Create { account: Box::new(new.clone()) },
    };
    assert!(s.decide_request(&d, &mail("a@b.ru"), &[decided(&r, "created")]).await.unwrap());
    assert_eq!(s.account("acc-new").await.unwrap(), Some(new));
    assert_eq!(s.links_by_subject(ISS, "sub-1").await.unwrap()[0].account_id, "acc-new");

    // A create that loses the race leaves no account behind.
    let r2 = request("r-2", "sub-2", "org-1");
    s.file_request(&r2, &mail("a@b.ru"), &filed(&r2)).await.unwrap();
    let reject = Decision {
        request_id: "r-2".into(),
        staff_id: "staff-1".into(),
        outcome: Outcome::Reject { reason: "Не обучается в школе".into() },
    };
    assert!(s.decide_request(&reject, &mail("a@b.ru"), &[decided(&r2, "rejected")]).await.unwrap());
    let after = s.access_request("r-2").await.unwrap().unwrap();
    assert_eq!((after.status, after.reason.as_deref()), (RequestStatus::Rejected, Some("Не обучается в школе")));
    let late = Decision {
        request_id: "r-2".into(),
        staff_id: "staff-1".into(),
        outcome: Outcome::Create { account: Box::new(account("acc-late", "org-1", "late", Role::Parent)) },
    };
    assert!(!s.decide_request(&late, &mail("a@b.ru"), &[]).await.unwrap());
    assert_eq!(s.account("acc-late").await.unwrap(), None);
    assert!(s.links_by_subject(ISS, "sub-2").await.unwrap().is_empty());
}

/// Two people of the same name, their requests decided «Создать учетную запись» at
/// once: both pick the same login; one insert wins, the other fails with `Conflict`
/// and writes nothing — never one account for two people.
pub async fn two_creates_of_one_login_never_merge_two_people(db: &mut TestDb) {
    let s = db.store();
    two_schools(s).await;
    let (r1, r2) = (request("r-1", "sub-1", "org-1"), request("r-2", "sub-2", "org-1"));
    for r in [&r1, &r2] {
        s.file_request(r, &mail("a@b.ru"), &filed(r)).await.unwrap();
    }
    let create = |req: &str, surname: &str| {
        let mut a = account("acc-same", "org-1", "sokolov.di", Role::Parent);
        a.surname = surname.into();
        Decision {
            request_id: req.into(),
            staff_id: "staff-1".into(),
            outcome: Outcome::Create { account: Box::new(a) },
        }
    };
    let (d1, d2) = (create("r-1", "Соколов"), create("r-2", "Соколова"));
    let (m1, m2) = (mail("a@b.ru"), mail("b@b.ru"));
    let (e1, e2) = ([decided(&r1, "created")], [decided(&r2, "created")]);
    let (a, b) = tokio::join!(s.decide_request(&d1, &m1, &e1), s.decide_request(&d2, &m2, &e2));
    let results = [a, b];
    assert_eq!(results.iter().filter(|r| matches!(r, Ok(true))).count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count(), 1, "{results:?}");
    // (winner's subject, loser's request, loser's subject, winner's surname)
    let (won, lost_req, lost, surname) = if matches!(results[0], Ok(true)) {
        ("sub-1", "r-2", "sub-2", "Соколов")
    } else {
        ("sub-2", "r-1", "sub-1", "Соколова")
    };
    assert_eq!(s.account("acc-same").await.unwrap().unwrap().surname, surname, "the winner's data, untouched");
    assert_eq!(s.links_by_subject(ISS, lost).await.unwrap(), [], "the loser is linked to nothing");
    assert_eq!(s.access_request(lost_req).await.unwrap().unwrap().status, RequestStatus::Open, "still open");
    assert_eq!(s.links_by_subject(ISS, won).await.unwrap().len(), 1);
}
