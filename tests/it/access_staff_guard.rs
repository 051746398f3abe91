//! The staff guard of the access-request review over HTTP (AB-05): a session and the
//! review permission needed, staff seeing and acting only on their organisation's
//! requests, CSRF on every post. The review itself: `access_staff.rs`.

use crate::access_staff::*;
use crate::common::*;
use crate::esia_support::{account_id, audit_of, page, post};
use propusk::account::demo::GYMN2;
use propusk::store::Role;
use propusk::store::requests::RequestStatus;

#[tokio::test]
async fn ab_05_staff_pages_need_a_session_and_send_to_the_login_page() {
    let app = TestApp::spawn().await;
    let req = smirnova("s-nosession");
    file(&app, &req).await;
    let http = browser();
    let res = http.get(app.url("/admin/requests")).send().await.unwrap();
    assert_eq!(location(&res), "/login?next=%2Fadmin%2Frequests");
    // A request's page (e.g. a link sent to staff) comes back after the login.
    let res = http.get(app.url(&path_of(&req))).send().await.unwrap();
    let to_login = location(&res);
    assert!(to_login.starts_with("/login?next=%2Fadmin%2Frequests%2F%25D0%2590-"), "{to_login}");
    let res = submit_login(&http, &app.base, &to_login, "admin1", PASSWORD).await;
    assert_eq!(location(&res), propusk::admin::request_path(&req.number), "back to the request after the login");
    // The normal login page brings admin1 back to the list.
    let http = signed_in(&app, SCHOOL1, "admin1").await;
    let (status, html) = page(&app, &http, "/admin/requests").await;
    assert_eq!(status, 200);
    assert!(html.contains("Обращения") && html.contains(&req.number));
}

#[tokio::test]
async fn ab_05_accounts_without_the_review_permission_are_refused() {
    let app = TestApp::spawn().await;
    let req = smirnova("s-forbidden");
    file(&app, &req).await;
    for login in ["petrov.teacher", "ivanova.mp"] {
        let http = signed_in(&app, SCHOOL1, login).await;
        for path in ["/admin/requests".to_owned(), path_of(&req)] {
            let (status, html) = page(&app, &http, &path).await;
            assert_eq!(status, 403, "{login} {path}");
            assert!(html.contains("Доступ запрещён") && !html.contains(&req.number), "{login}: an HTML page");
        }
    }
}

#[tokio::test]
async fn ab_05_staff_see_and_act_only_on_their_organisation() {
    let app = TestApp::spawn().await;
    import_gymn2_reviewer(&app).await;
    let own = smirnova("s-own");
    let other = gymn2_request();
    file(&app, &own).await;
    file(&app, &other).await;

    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    for filter in ["", "?status=all", "?status=open"] {
        let (status, html) = page(&app, &admin1, &format!("/admin/requests{filter}")).await;
        assert_eq!(status, 200);
        assert!(html.contains(&own.number), "own request listed ({filter})");
        assert!(!html.contains(&other.number) && !html.contains("Петров"), "no other organisation ({filter})");
        assert!(html.contains("Новое") && html.contains("3 ч"), "status and age");
    }
    // Another organisation's request is answered like a missing one, for GET and every POST.
    let (_, csrf) = request_page(&app, &admin1, &own).await;
    let missing = made_up(SCHOOL1, "nobody", Role::Parent, ["А", "Б", "В"], "2000-01-01");
    let (status_missing, html_missing) = page(&app, &admin1, &path_of(&missing)).await;
    let (status, html) = page(&app, &admin1, &path_of(&other)).await;
    assert_eq!((status, status_missing), (404, 404));
    assert_eq!(
        without_request_id(&html),
        without_request_id(&html_missing),
        "indistinguishable from a missing request"
    );
    let petrov_pp2 = account_id(&app, GYMN2, "petrov.pp2").await;
    let posts: [(&str, Vec<(&str, &str)>); 3] = [
        ("link", vec![("csrf", &csrf), ("account", &petrov_pp2)]),
        ("create", vec![("csrf", &csrf)]),
        ("reject", vec![("csrf", &csrf), ("reason", "чужое")]),
    ];
    for (action, form) in &posts {
        let res = post(&app, &admin1, &format!("{}/{action}", path_of(&other)), form).await;
        assert_eq!(res.status(), 404, "{action}");
    }
    let after = stored(&app, &other).await;
    assert_eq!(after.status, RequestStatus::Open, "nothing changed");
    assert!(app.app().store.links_by_subject(ESIA, &other.subject).await.unwrap().is_empty());
    assert!(app.app().store.account_by_login(GYMN2, "petrov.pp").await.unwrap().is_none(), "no account created");
    assert!(audit_of(&app, "request_viewed").await.iter().all(|e| !e.contains(&other.number)), "not viewed");

    // GYMN2's reviewer sees it, and not SOSH1's.
    let admin2 = signed_in(&app, GYMN2, "admin2").await;
    let (_, html) = page(&app, &admin2, "/admin/requests").await;
    assert!(html.contains(&other.number) && !html.contains(&own.number));
    let (html, _) = request_page(&app, &admin2, &other).await;
    assert!(html.contains("petrov.pp2"), "the GYMN2 candidate");
    assert_eq!(page(&app, &admin2, &path_of(&own)).await.0, 404);
}

#[tokio::test]
async fn ab_05_staff_posts_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let req = smirnova("s-csrf");
    file(&app, &req).await;
    let admin1 = signed_in(&app, SCHOOL1, "admin1").await;
    request_page(&app, &admin1, &req).await;
    let reject = format!("{}/reject", path_of(&req));
    let res = post(&app, &admin1, &reject, &[("reason", "без токена")]).await;
    assert_eq!(res.status(), 403, "no token");
    let res = post(&app, &admin1, &reject, &[("csrf", "forged"), ("reason", "чужой токен")]).await;
    assert_eq!(res.status(), 403, "wrong token");
    let smirnova_ov = account_id(&app, SCHOOL1, "smirnova.ov").await;
    let res = post(&app, &admin1, &format!("{}/link", path_of(&req)), &[("account", &smirnova_ov)]).await;
    assert_eq!(res.status(), 403, "link without a token");
    assert_eq!(stored(&app, &req).await.status, RequestStatus::Open);
}
