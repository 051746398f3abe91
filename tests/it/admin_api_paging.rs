//! The admin API's account search, page by page: `next_cursor` continues the search
//! by name without repeating or skipping an account while accounts are added, until
//! the last page (`null`); an org-admin's pages never leave its organisation, whatever
//! cursor it sends (AB-05); a cursor that is none is a 400 naming it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::signed_in;
use crate::admin_api::{Api, Auth, csrf_of, role, system_admin};
use crate::common::*;
use propusk::account::demo::GYMN2;
use propusk::audit::AuditEvent;
use propusk::cli::staff_grant;
use propusk::store::DirectoryBatch;
use serde_json::Value;

/// Accounts `Пагинов <given>` (login `pg-<org>-<n>`) in `org`, copies of a demo account.
async fn namesakes(app: &TestApp, org: &str, given: &[&str]) {
    let store = &app.app().store;
    let model = store.account_by_login(SCHOOL1, "ivanova.mp").await.unwrap().unwrap();
    let accounts = given
        .iter()
        .map(|g| {
            let login = format!("pg-{org}-{}", g.to_lowercase());
            let mut a = model.clone();
            a.id = format!("acc-{login}");
            a.subject = format!("sub-{login}");
            a.organisation_id = org.to_owned();
            a.class_id = None;
            a.surname = "Пагинов".into();
            a.given_name = (*g).to_owned();
            a.patronymic = None;
            a.snils_hash = None;
            a.match_key = format!("mk-{login}");
            a.email = None;
            a.phone = None;
            a.login = login;
            a
        })
        .collect();
    let batch = DirectoryBatch { accounts, ..Default::default() };
    store.import_directory(&batch, &AuditEvent::DemoSeeded).await.unwrap();
}

fn ids(page: &Value) -> Vec<String> {
    page["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
}

fn next_of(q: &str, limit: usize, page: &Value) -> Option<String> {
    let cursor = page["next_cursor"].as_str()?;
    let cursor = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>();
    Some(format!("/admin/api/v1/accounts?q={q}&limit={limit}&cursor={cursor}"))
}

/// Every page of the search `q` for `who`, `limit` a page; `between` runs after the
/// first page. The ids in page order, and the first page's answer.
async fn all_pages(
    app: &TestApp,
    api: &Api,
    who: &Auth,
    q: &str,
    limit: usize,
    between: impl AsyncFnOnce(),
) -> (Vec<String>, Value) {
    let first = format!("/admin/api/v1/accounts?q={q}&limit={limit}");
    let (s, page1) = api.call(app, who, "GET", &first, None).await;
    assert_eq!(s, 200, "{page1}");
    let mut seen = ids(&page1);
    between().await;
    let mut next = next_of(q, limit, &page1);
    let mut pages = 1;
    while let Some(path) = next {
        let (s, page) = api.call(app, who, "GET", &path, None).await;
        assert_eq!(s, 200, "{page}");
        assert!(ids(&page).len() <= limit);
        assert_eq!(page["limited"].as_bool(), Some(!page["next_cursor"].is_null()), "{page}");
        seen.extend(ids(&page));
        next = next_of(q, limit, &page);
        pages += 1;
        assert!(pages < 20, "the pages end");
    }
    (seen, page1)
}

const GIVEN: [&str; 7] = ["Борис", "Вадим", "Глеб", "Денис", "Егор", "Жора", "Захар"];

#[tokio::test]
async fn account_search_pages_by_next_cursor_without_repeats_or_gaps_while_accounts_are_added() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    let admin = system_admin(&app).await;
    namesakes(&app, SCHOOL1, &GIVEN).await;
    namesakes(&app, GYMN2, &["Виктор", "Игорь"]).await;
    let q = url::form_urlencoded::byte_serialize("пагинов".as_bytes()).collect::<String>();
    let added = || async {
        // One before the first page's last account (never shown now), one after it.
        namesakes(&app, SCHOOL1, &["Аарон", "Яков"]).await;
    };
    let (seen, page1) = all_pages(&app, &api, &admin, &q, 3, added).await;
    assert_eq!((ids(&page1).len(), page1["limited"].as_bool()), (3, Some(true)), "{page1}");
    assert!(page1["next_cursor"].is_string(), "{page1}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no account twice: {seen:?}");
    let mut want: Vec<String> = GIVEN.iter().map(|g| format!("acc-pg-{SCHOOL1}-{}", g.to_lowercase())).collect();
    want.extend(["Виктор", "Игорь"].map(|g| format!("acc-pg-{GYMN2}-{}", g.to_lowercase())));
    want.push(format!("acc-pg-{SCHOOL1}-яков"));
    want.sort();
    assert_eq!(unique, want, "every account that was there, and the one added after the cursor");

    // Read again from the start: the same order, now with the one added before.
    let (again, _) = all_pages(&app, &api, &admin, &q, 200, async || {}).await;
    assert_eq!(again.len(), want.len() + 1);
    assert_eq!(again.iter().filter(|id| seen.contains(id)).cloned().collect::<Vec<_>>(), seen, "one order");

    for bad in ["not-a-cursor", "WyJhIl0", "%22%22"] {
        let (s, p) = api.call(&app, &admin, "GET", &format!("/admin/api/v1/accounts?q={q}&cursor={bad}"), None).await;
        assert!(s == 400 && p["detail"].as_str().unwrap().starts_with("cursor:"), "{bad}: {p}");
    }
}

#[tokio::test]
async fn ab_05_an_org_admin_never_pages_into_another_organisation() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app).await;
    let admin = system_admin(&app).await;
    staff_grant(&app.config, &role("admin1", "org-admin", Some(SCHOOL1))).await.unwrap();
    let http = signed_in(&app, SCHOOL1, "admin1").await;
    let org_admin = Auth::Session(http.clone(), Some(csrf_of(&app, &http).await));
    namesakes(&app, SCHOOL1, &GIVEN).await;
    namesakes(&app, GYMN2, &["Ааа", "Виктор", "Игорь", "Яков"]).await;
    let q = url::form_urlencoded::byte_serialize("пагинов".as_bytes()).collect::<String>();

    let (seen, _) = all_pages(&app, &api, &org_admin, &q, 2, async || {}).await;
    let mut want: Vec<String> = GIVEN.iter().map(|g| format!("acc-pg-{SCHOOL1}-{}", g.to_lowercase())).collect();
    want.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, want, "its own organisation's accounts, each once");

    // A system admin's cursor, placed on another organisation's account, pages the
    // org-admin's own organisation only.
    let (_, everyone) = api.call(&app, &admin, "GET", &format!("/admin/api/v1/accounts?q={q}&limit=1"), None).await;
    assert_eq!(ids(&everyone), [format!("acc-pg-{GYMN2}-ааа")], "{everyone}");
    let foreign = next_of(&q, 200, &everyone).unwrap();
    let (s, page) = api.call(&app, &org_admin, "GET", &foreign, None).await;
    assert_eq!(s, 200, "{page}");
    let orgs: Vec<&str> =
        page["accounts"].as_array().unwrap().iter().map(|a| a["organisation_id"].as_str().unwrap()).collect();
    assert_eq!(orgs.len(), GIVEN.len(), "{page}");
    assert!(orgs.iter().all(|o| *o == SCHOOL1), "{page}");
}
