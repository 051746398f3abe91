//! The admin API's accounts over HTTP: an org-admin's session searches and reads its
//! own organisation's accounts, another organisation's account and its actions are the
//! 404 of a missing one (AB-05), and clients, keys and audit are 403 to it; a system
//! admin and a client with the org-admin role act through the console's functions,
//! each action audited with who acted. Answers checked against the OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::signed_in;
use crate::admin_api::{Api, Auth, csrf_of, robot, role, system_admin, token};
use crate::common::*;
use crate::esia_support::{account_id, audit_of};
use propusk::account::demo::GYMN2;
use propusk::cli::{ClientRoleArgs, clients_grant_role, staff_grant};
use serde_json::json;

const ACTIONS: [&str; 5] = ["unlink-esia", "end-sessions", "revoke-grants", "disable", "enable"];

#[tokio::test]
async fn ab_05_an_org_admin_sees_its_own_accounts_only_and_acts_on_them() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    staff_grant(&app.config, &role("petrov.teacher", "org-admin", None)).await.unwrap();
    let http = signed_in(&app, SCHOOL1, "petrov.teacher").await;
    let org_admin = Auth::Session(http.clone(), Some(csrf_of(&app, &http).await));
    let own = account_id(&app, SCHOOL1, "ivanova.mp").await;
    let other = account_id(&app, GYMN2, "petrov.pp2").await;

    let (s, list) = api.call(&app, &org_admin, "GET", "/admin/api/v1/accounts?q=petrov", None).await;
    assert_eq!(s, 200, "{list}");
    let orgs: Vec<&str> =
        list["accounts"].as_array().unwrap().iter().map(|a| a["organisation_id"].as_str().unwrap()).collect();
    assert!(!orgs.is_empty() && orgs.iter().all(|o| *o == SCHOOL1), "{list}");
    let (s, one) = api.call(&app, &org_admin, "GET", &format!("/admin/api/v1/accounts/{own}"), None).await;
    assert_eq!((s, one["account"]["login"].as_str()), (200, Some("ivanova.mp")), "{one}");

    let (s, missing) = api.call(&app, &org_admin, "GET", "/admin/api/v1/accounts/nobody", None).await;
    let (s2, foreign) = api.call(&app, &org_admin, "GET", &format!("/admin/api/v1/accounts/{other}"), None).await;
    assert_eq!((s, s2), (404, 404));
    assert_eq!(missing, foreign, "another organisation's account answers like a missing one");
    for action in ACTIONS {
        let (s, _) =
            api.call(&app, &org_admin, "POST", &format!("/admin/api/v1/accounts/{other}/{action}"), None).await;
        assert_eq!(s, 404, "{action} on another organisation's account");
    }
    assert!(!app.app().store.account(&other).await.unwrap().unwrap().disabled);
    for path in ["/admin/api/v1/clients", "/admin/api/v1/keys", "/admin/api/v1/audit/events"] {
        assert_eq!(api.call(&app, &org_admin, "GET", path, None).await.0, 403, "{path}");
    }

    // Its own organisation's account: every action, audited with its id.
    let me = account_id(&app, SCHOOL1, "petrov.teacher").await;
    for action in ACTIONS {
        let (s, done) =
            api.call(&app, &org_admin, "POST", &format!("/admin/api/v1/accounts/{own}/{action}"), None).await;
        assert_eq!((s, done["action"].as_str()), (200, Some(action)), "{done}");
    }
    let (s, _) = api.call(&app, &org_admin, "POST", &format!("/admin/api/v1/accounts/{me}/disable"), None).await;
    assert_eq!(s, 409, "not one's own account");
    for kind in ["account_disabled", "account_enabled", "account_sessions_ended", "account_grants_revoked"] {
        let events = audit_of(&app, kind).await;
        assert!(events.len() == 1 && events[0].contains(&me), "{kind}: {events:?}");
    }
    assert!(!app.app().store.account(&own).await.unwrap().unwrap().disabled);

    // Without the CSRF header: refused, nothing done.
    let bare = Auth::Session(http, None);
    assert_eq!(api.call(&app, &bare, "POST", &format!("/admin/api/v1/accounts/{own}/disable"), None).await.0, 403);
    assert!(!app.app().store.account(&own).await.unwrap().unwrap().disabled);
    // A reviewer: 403.
    let reviewer = signed_in(&app, SCHOOL1, "admin1").await;
    let reviewer = Auth::Session(reviewer, None);
    assert_eq!(api.call(&app, &reviewer, "GET", "/admin/api/v1/accounts?q=ivanova", None).await.0, 403);
}

#[tokio::test]
async fn a_system_admin_searches_everyone_and_a_client_acts_as_org_admin() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    let admin = system_admin(&app).await;
    let other = account_id(&app, GYMN2, "petrov.pp2").await;
    let (s, list) = api.call(&app, &admin, "GET", "/admin/api/v1/accounts?q=petrov&limit=200", None).await;
    assert_eq!(s, 200);
    assert!(list["accounts"].as_array().unwrap().iter().any(|a| a["id"] == other.as_str()), "{list}");
    assert_eq!(api.call(&app, &admin, "GET", "/admin/api/v1/accounts?q=p", None).await.0, 400, "too short");
    let (s, _) = api.call(&app, &admin, "GET", &format!("/admin/api/v1/accounts/{other}"), None).await;
    assert_eq!(s, 200);

    // A client holding org-admin of school 1: its accounts, not another's.
    let rp = robot(&app).await;
    let args = ClientRoleArgs { id: "robot".into(), role: "org-admin".into(), org: Some(SCHOOL1.into()) };
    clients_grant_role(&app.config, &args).await.unwrap();
    let write = token(&app, &rp, "admin:write").await;
    let own = account_id(&app, SCHOOL1, "ivanova.mp").await;
    assert_eq!(api.call(&app, &write, "GET", &format!("/admin/api/v1/accounts/{other}"), None).await.0, 404);
    let body = json!({"client_id": "nobody"});
    let (s, done) =
        api.call(&app, &write, "POST", &format!("/admin/api/v1/accounts/{own}/revoke-grants"), Some(body)).await;
    assert_eq!((s, done["count"].as_u64()), (200, Some(0)));
    let revoked = audit_of(&app, "account_grants_revoked").await;
    assert!(revoked.iter().any(|e| e.contains("client:robot")), "{revoked:?}");
    assert_eq!(api.call(&app, &write, "GET", "/admin/api/v1/clients", None).await.0, 403, "org-admin: no clients");
}

#[tokio::test]
async fn staff_roles_are_granted_and_revoked_by_a_system_admin_only() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    let admin = system_admin(&app).await;
    let admin_id = account_id(&app, SCHOOL1, "petrov.teacher").await;
    let reviewer_id = account_id(&app, SCHOOL1, "admin1").await;
    let parent = account_id(&app, SCHOOL1, "ivanova.mp").await;

    let change = json!({"account_id": reviewer_id, "role": "org-admin"});
    let (s, g) = api.call(&app, &admin, "POST", "/admin/api/v1/staff/roles", Some(change.clone())).await;
    assert_eq!((s, g["granted"].as_bool(), g["role"]["organisation_id"].as_str()), (200, Some(true), Some(SCHOOL1)));
    let (s, again) = api.call(&app, &admin, "POST", "/admin/api/v1/staff/roles", Some(change.clone())).await;
    assert_eq!((s, again["granted"].as_bool()), (200, Some(false)), "held already: nothing written");
    let not_staff = json!({"account_id": parent, "role": "reviewer"});
    let (s, p) = api.call(&app, &admin, "POST", "/admin/api/v1/staff/roles", Some(not_staff)).await;
    assert!(s == 400 && p["detail"].as_str().unwrap().starts_with("account_id"), "{p}");
    let bad_org = json!({"account_id": reviewer_id, "role": "system-admin", "org": SCHOOL1});
    assert_eq!(api.call(&app, &admin, "POST", "/admin/api/v1/staff/roles", Some(bad_org)).await.0, 400);
    let granted = audit_of(&app, "role_granted").await;
    assert!(granted.iter().any(|e| e.contains(&format!("\"by\":\"{admin_id}\""))), "{granted:?}");

    // The list, one by one: the system admin's and the new org-admin role.
    let (s, page) = api.call(&app, &admin, "GET", "/admin/api/v1/staff/roles?limit=1", None).await;
    assert_eq!((s, page["roles"].as_array().unwrap().len()), (200, 1));
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let next = format!(
        "/admin/api/v1/staff/roles?limit=1&cursor={}",
        url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()
    );
    let (_, page2) = api.call(&app, &admin, "GET", &next, None).await;
    assert_ne!(page["roles"][0], page2["roles"][0]);
    assert!(page2["next_cursor"].is_null());

    // The new org-admin may not grant roles.
    let org_admin = signed_in(&app, SCHOOL1, "admin1").await;
    let org_admin = Auth::Session(org_admin.clone(), Some(csrf_of(&app, &org_admin).await));
    assert_eq!(api.call(&app, &org_admin, "GET", "/admin/api/v1/staff/roles", None).await.0, 403);
    let mine = json!({"account_id": reviewer_id, "role": "system-admin"});
    assert_eq!(api.call(&app, &org_admin, "POST", "/admin/api/v1/staff/roles", Some(mine)).await.0, 403);

    assert_eq!(api.call(&app, &admin, "DELETE", "/admin/api/v1/staff/roles", Some(change.clone())).await.0, 204);
    assert_eq!(api.call(&app, &admin, "DELETE", "/admin/api/v1/staff/roles", Some(change)).await.0, 404);
    assert_eq!(audit_of(&app, "role_revoked").await.len(), 1);
}
