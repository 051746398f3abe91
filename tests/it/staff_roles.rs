//! Staff roles granted by `propusk staff grant|revoke` (CONTRACT.md §1): who may open
//! «Обращения» and whose requests they see (AB-05), every change audited, bad usage
//! exit code 2 without a change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::{file, made_up, path_of, signed_in};
use crate::common::*;
use crate::esia_support::{audit_of, page};
use propusk::account::demo::GYMN2;
use propusk::cli::{CliError, RoleChange, staff_grant, staff_list, staff_revoke};
use propusk::store::Role;

fn change(login: &str, role: &str, org: Option<&str>) -> RoleChange {
    RoleChange { login: login.into(), role: role.into(), org: org.map(str::to_owned) }
}

#[tokio::test]
async fn ab_05_a_granted_role_opens_the_review_of_its_organisation_only_until_revoked() {
    let app = TestApp::spawn().await;
    let own = made_up(SCHOOL1, "p-own", Role::Parent, ["Смирнова", "Ольга", "Викторовна"], "1990-06-05");
    let other = made_up(GYMN2, "p-other", Role::Parent, ["Петров", "Петр", "Петрович"], "1979-01-30");
    file(&app, &own).await;
    file(&app, &other).await;
    let teacher = signed_in(&app, SCHOOL1, "petrov.teacher").await;
    assert_eq!(page(&app, &teacher, "/admin/requests").await.0, 403, "no role yet");

    // A reviewer of the gymnasium (another organisation than the teacher's own).
    let out = staff_grant(&app.config, &change("petrov.teacher", "reviewer", Some("МАОУ Гимназия №2"))).await.unwrap();
    assert_eq!(
        (out["role"].as_str(), out["organisation_id"].as_str(), out["granted"].as_bool()),
        (Some("reviewer"), Some(GYMN2), Some(true))
    );
    let (status, html) = page(&app, &teacher, "/admin/requests").await;
    assert_eq!(status, 200);
    assert!(html.contains(&other.number) && !html.contains(&own.number), "only the gymnasium's requests");
    assert_eq!(page(&app, &teacher, &path_of(&other)).await.0, 200);
    assert_eq!(page(&app, &teacher, &path_of(&own)).await.0, 404, "the own school is not granted");
    let (_, html) = page(&app, &teacher, &format!("/admin/requests?org={SCHOOL1}")).await;
    assert!(!html.contains(&own.number), "asking for the own school lists the gymnasium's");

    // A system admin sees every organisation and can choose between them.
    staff_grant(&app.config, &change("petrov.teacher", "system-admin", None)).await.unwrap();
    let (_, html) = page(&app, &teacher, &format!("/admin/requests?org={SCHOOL1}")).await;
    assert!(html.contains(&own.number) && html.contains("МАОУ Гимназия №2"), "both organisations offered");
    assert_eq!(page(&app, &teacher, &path_of(&own)).await.0, 200);

    // Revoked: back to nothing, at once (roles are read on every request).
    staff_revoke(&app.config, &change("petrov.teacher", "system-admin", None)).await.unwrap();
    staff_revoke(&app.config, &change("petrov.teacher", "reviewer", Some(GYMN2))).await.unwrap();
    assert_eq!(page(&app, &teacher, "/admin/requests").await.0, 403);
    assert_eq!(page(&app, &teacher, &path_of(&other)).await.0, 403);

    let granted = audit_of(&app, "role_granted").await;
    let revoked = audit_of(&app, "role_revoked").await;
    assert_eq!((granted.len(), revoked.len()), (2, 2), "{granted:?} {revoked:?}");
    assert!(granted.iter().all(|e| e.contains("\"by\":\"cli\"")), "{granted:?}");
}

#[tokio::test]
async fn staff_grant_refuses_bad_usage_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let cases = [
        (change("petrov.teacher", "superuser", None), "ROLE"),
        (change("ivanova.mp", "reviewer", None), "not a staff account"),
        (change("nobody", "reviewer", None), "no account"),
        (change("petrov.teacher", "reviewer", Some("no-such-school")), "--org"),
        (change("petrov.teacher", "system-admin", Some(SCHOOL1)), "--org"),
    ];
    for (c, says) in &cases {
        match staff_grant(&app.config, c).await {
            Err(e @ CliError::Usage(_)) => {
                assert_eq!(e.exit_code(), 2);
                assert!(e.to_string().contains(says), "{c:?}: {e}");
            }
            other => panic!("{c:?}: {other:?}"),
        }
    }
    let err = staff_revoke(&app.config, &change("petrov.teacher", "reviewer", None)).await.unwrap_err();
    assert_eq!(err.exit_code(), 1, "revoking a role not held: {err}");
    assert_eq!(staff_list(&app.config).await.unwrap(), serde_json::json!([]), "nothing stored");
    assert!(audit_of(&app, "role_granted").await.is_empty());
}

#[tokio::test]
async fn staff_grant_twice_is_one_role_and_one_event() {
    let app = TestApp::spawn().await;
    let c = change("petrov.teacher", "org-admin", None);
    let (a, b) = tokio::join!(staff_grant(&app.config, &c), staff_grant(&app.config, &c));
    let granted = [a.unwrap()["granted"].as_bool(), b.unwrap()["granted"].as_bool()];
    assert!(granted.contains(&Some(true)) && granted.contains(&Some(false)), "{granted:?}");
    let list = staff_list(&app.config).await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["organisation_id"], SCHOOL1, "the account's own organisation by default");
    assert_eq!(audit_of(&app, "role_granted").await.len(), 1);
}

/// Admin pages want a fresh sign-in (`admin.max_age_secs`): an older session goes to
/// the login page and back, a page and a decision alike, and the console's
/// navigation shows only the sections the roles open.
#[tokio::test]
async fn admin_pages_want_a_fresh_login_and_show_only_the_sections_a_role_opens() {
    let app = TestApp::spawn_with(|c| c.admin.max_age_secs = 600, true).await;
    let clock = app.clock.clone().unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;
    let (status, html) = page(&app, &admin, "/admin/requests").await;
    assert_eq!(status, 200);
    assert!(html.contains("Обращения") && !html.contains("/admin/clients"), "a reviewer sees «Обращения» only");
    let res = admin.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(location(&res), "/admin/requests", "/admin lands on the first section the roles open");

    clock.advance(601);
    let res = admin.get(app.url("/admin/requests?org=x")).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), "/login?next=%2Fadmin%2Frequests", "a stale sign-in signs in again");
    let again = signed_in(&app, SCHOOL1, "admin1").await;
    assert_eq!(page(&app, &again, "/admin/requests").await.0, 200, "a fresh sign-in opens the page");

    staff_grant(&app.config, &change("admin1", "system-admin", None)).await.unwrap();
    let (_, html) = page(&app, &again, "/admin/requests").await;
    for href in ["/admin/accounts", "/admin/clients", "/admin/keys", "/admin/audit"] {
        assert!(html.contains(href), "a system admin's navigation names {href}");
    }
}
