//! Conformance checks, part 9: staff roles — a grant and a revocation each commit
//! with their audit event; twice at once is one change and one event. Clients' admin
//! roles alike, removed with their client.

use super::fixtures::*;
use super::harness::{T0, TestDb};
use crate::audit::AuditEvent;
use crate::store::roles::RoleRow;
use crate::store::*;

fn role(account: &str, role: &str, org: &str) -> RoleRow {
    RoleRow {
        account_id: account.into(),
        role: role.into(),
        organisation_id: org.into(),
        granted_at: T0,
        granted_by: "cli".into(),
    }
}

fn granted(r: &RoleRow) -> AuditEvent {
    AuditEvent::RoleGranted {
        account_id: r.account_id.clone(),
        role: r.role.clone(),
        organisation_id: r.organisation_id.clone(),
        by: r.granted_by.clone(),
    }
}

async fn with_staff(store: &dyn Store) {
    let batch = DirectoryBatch {
        organisations: vec![organisation("org-1"), organisation("org-2")],
        accounts: vec![account("st-1", "org-1", "teacher", Role::Staff)],
        ..Default::default()
    };
    store.import_directory(&batch, &event()).await.unwrap();
}

pub async fn staff_roles_grant_and_revoke_with_their_events(db: &mut TestDb) {
    let s = db.store();
    with_staff(s).await;
    let r = role("st-1", "reviewer", "org-2");
    assert!(s.grant_role(&r, &granted(&r)).await.unwrap());
    assert!(!s.grant_role(&r, &granted(&r)).await.unwrap(), "the same role again changes nothing");
    let admin = role("st-1", "system-admin", "");
    assert!(s.grant_role(&admin, &granted(&admin)).await.unwrap());
    assert_eq!(s.roles_of("st-1").await.unwrap(), vec![r.clone(), admin.clone()]);
    assert_eq!(s.all_roles().await.unwrap().len(), 2);
    assert!(s.roles_of("nobody").await.unwrap().is_empty());
    let revoked = AuditEvent::RoleRevoked {
        account_id: "st-1".into(),
        role: "reviewer".into(),
        organisation_id: "org-2".into(),
        by: "cli".into(),
    };
    assert!(s.revoke_role("st-1", "reviewer", "org-2", &revoked).await.unwrap());
    assert!(!s.revoke_role("st-1", "reviewer", "org-2", &revoked).await.unwrap(), "revoked once");
    assert!(!s.revoke_role("st-1", "reviewer", "org-1", &revoked).await.unwrap(), "the scope is part of the role");
    assert_eq!(s.roles_of("st-1").await.unwrap(), vec![admin]);
    let kinds = audit_kinds(s).await;
    assert_eq!(kinds.iter().filter(|k| *k == "role_granted").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "role_revoked").count(), 1, "{kinds:?}");
}

pub async fn staff_role_granted_twice_at_once_is_one_event(db: &mut TestDb) {
    let s = db.shared();
    with_staff(&*s).await;
    let r = role("st-1", "org-admin", "org-1");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, r) = (s.clone(), r.clone());
            tokio::spawn(async move { s.grant_role(&r, &granted(&r)).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1, "one grant wins");
    let kinds = audit_kinds(&*s).await;
    assert_eq!(kinds.iter().filter(|k| *k == "role_granted").count(), 1, "{kinds:?}");
}

fn client_event(r: &RoleRow, granted: bool) -> AuditEvent {
    let (client_id, role, organisation_id, by) =
        (r.account_id.clone(), r.role.clone(), r.organisation_id.clone(), r.granted_by.clone());
    if granted {
        AuditEvent::ClientRoleGranted { client_id, role, organisation_id, by }
    } else {
        AuditEvent::ClientRoleRevoked { client_id, role, organisation_id, by }
    }
}

pub async fn client_admin_roles_grant_and_revoke_with_their_events(db: &mut TestDb) {
    let s = db.store();
    with_staff(s).await;
    s.insert_client(&client("machine"), &event()).await.unwrap();
    let admin = role("machine", "system-admin", "");
    assert!(s.grant_client_role(&admin, &client_event(&admin, true)).await.unwrap());
    assert!(!s.grant_client_role(&admin, &client_event(&admin, true)).await.unwrap(), "held already");
    let org = role("machine", "org-admin", "org-1");
    assert!(s.grant_client_role(&org, &client_event(&org, true)).await.unwrap());
    let ghost = role("ghost", "system-admin", "");
    assert!(!s.grant_client_role(&ghost, &client_event(&ghost, true)).await.unwrap(), "no such client");
    assert_eq!(s.client_admin_roles("machine").await.unwrap(), vec![org.clone(), admin.clone()]);
    assert!(s.client_admin_roles("ghost").await.unwrap().is_empty());
    assert!(s.roles_of("machine").await.unwrap().is_empty(), "a client's roles are not staff roles");
    let revoked = client_event(&org, false);
    assert!(s.revoke_client_role("machine", "org-admin", "org-1", &revoked).await.unwrap());
    assert!(!s.revoke_client_role("machine", "org-admin", "org-1", &revoked).await.unwrap(), "revoked once");
    assert!(!s.revoke_client_role("machine", "system-admin", "org-1", &revoked).await.unwrap(), "the scope counts");
    assert_eq!(s.client_admin_roles("machine").await.unwrap(), vec![admin]);
    let kinds = audit_kinds(s).await;
    assert_eq!(kinds.iter().filter(|k| *k == "client_role_granted").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "client_role_revoked").count(), 1, "{kinds:?}");
    assert!(s.remove_client("machine", &event()).await.unwrap());
    assert!(s.client_admin_roles("machine").await.unwrap().is_empty(), "removed with its client");
}
