//! The console's «Аудит» over HTTP: a system admin finds a token's `token_issued` by
//! its `jti`, opens the event, exports the filter as JSON lines and CSV (the same rows
//! as `audit search`), pages newest first by a stable cursor, and checks the chain
//! before and after a row is rewritten in the database; other roles get 403 (AB-05),
//! a verification without the CSRF token is refused (AZ-12).

use crate::access_staff::signed_in;
use crate::audit_chain::execute;
use crate::common::*;
use crate::esia_journey::jwt_payload;
use crate::esia_support::{page, post};
use crate::support::*;
use propusk::audit::AuditEvent;
use propusk::audit::search::Filter;
use propusk::cli::{RoleChange, audit_search, staff_grant};

async fn grant(app: &TestApp, login: &str, role: &str) {
    let c = RoleChange { login: login.into(), role: role.into(), org: None };
    staff_grant(&app.config, &c).await.unwrap();
}

/// A signed-in system admin.
async fn system_admin(app: &TestApp) -> reqwest::Client {
    grant(app, "petrov.teacher", "system-admin").await;
    signed_in(app, SCHOOL1, "petrov.teacher").await
}

/// The event numbers a list page links to, in page order.
fn listed(html: &str) -> Vec<i64> {
    html.split("<td><a href=\"/admin/audit/").skip(1).map(|s| s.split('"').next().unwrap().parse().unwrap()).collect()
}

/// The link «Старше →» of a list page.
fn older(html: &str) -> Option<String> {
    let i = html.find("\">Старше →")?;
    let start = html[..i].rfind("href=\"")? + 6;
    Some(html[start..i].replace("&#38;", "&").replace("&amp;", "&"))
}

async fn cli_count(app: &TestApp, filter: &Filter) -> usize {
    audit_search(&app.config, filter, None, &mut Vec::new()).await.unwrap()
}

#[tokio::test]
async fn a_system_admin_finds_a_token_by_its_jti_and_exports_the_filter() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "audit-console").await;
    let t = rp.tokens(&app, "openid", "ivanova.mp").await;
    rp.tokens(&app, "openid", "ivanov.is").await;
    let jti = jwt_payload(&t.str("access_token"))["jti"].as_str().unwrap().to_owned();
    let admin = system_admin(&app).await;

    let (status, html) = page(&app, &admin, &format!("/admin/audit?jti={jti}")).await;
    assert_eq!(status, 200, "{html}");
    let seqs = listed(&html);
    assert_eq!(seqs.len(), 1, "one event names the token: {html}");
    assert!(html.contains("token_issued") && html.contains(&jti));

    let (status, event) = page(&app, &admin, &format!("/admin/audit/{}", seqs[0])).await;
    assert_eq!(status, 200);
    assert!(event.contains(&jti) && event.contains("audit-console") && event.contains("Место в цепочке"));
    assert!(event.contains("k1:"), "its keyed hash is shown");
    assert!(event.contains(&format!("/admin/audit/{}", seqs[0] - 1)), "a link to the previous event");
    assert!(event.contains("token_id") && !event.contains("\"token_id\""), "the JSON is escaped");
    assert_eq!(page(&app, &admin, "/admin/audit/999999").await.0, 404);
    assert_eq!(page(&app, &admin, "/admin/audit/x").await.0, 404);

    // The export of a filter: the rows `audit search` finds for it.
    let filter =
        Filter { kind: Some("token_issued".into()), client_id: Some("audit-console".into()), ..Filter::default() };
    let expected = cli_count(&app, &filter).await;
    assert_eq!(expected, 2);
    let q = "kind=token_issued&client=audit-console";
    let res = admin.get(app.url(&format!("/admin/audit/export.jsonl?{q}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let body = res.text().await.unwrap();
    let lines: Vec<serde_json::Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), expected);
    assert!(lines.iter().all(|l| l["kind"] == "token_issued" && l["event"]["client_id"] == "audit-console"));
    assert!(lines.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()), "oldest first");

    let res = admin.get(app.url(&format!("/admin/audit/export.csv?{q}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let csv = res.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "seq,at,kind,client,account,jti,hash");
    assert_eq!(rows.len(), expected + 1, "{csv}");
    assert!(csv.contains(",audit-console,") && csv.contains(&jti));

    // The whole log and a bad filter.
    let (status, html) = page(&app, &admin, "/admin/audit").await;
    assert_eq!(status, 200);
    assert!(listed(&html).windows(2).all(|w| w[0] > w[1]), "newest first");
    let (status, html) =
        page(&app, &admin, "/admin/audit?since=%D0%B2%D1%87%D0%B5%D1%80%D0%B0&kind=login_failed").await;
    assert_eq!(status, 400);
    assert!(
        html.contains("Не удалось прочитать время «С»") && html.contains("value=\"login_failed\""),
        "the form again"
    );
    let res = admin.get(app.url("/admin/audit/export.csv?until=soon")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let (status, html) = page(&app, &admin, "/admin/audit?since=1970-01-02&until=2100-01-01T00:00:00Z").await;
    assert_eq!(status, 200, "dates and RFC 3339 times are read: {html}");
}

#[tokio::test]
async fn the_list_pages_newest_first_by_a_stable_cursor() {
    let app = TestApp::spawn().await;
    let store = &app.app().store;
    for i in 0..70 {
        store
            .append_audit(&AuditEvent::ClientAdded { client_id: format!("paged-{i}"), by: "cli".into() })
            .await
            .unwrap();
    }
    let admin = system_admin(&app).await;
    let (_, first) = page(&app, &admin, "/admin/audit?kind=client_added").await;
    let first_seqs = listed(&first);
    assert_eq!(first_seqs.len(), 50);
    let next = older(&first).expect("a link to older events");
    assert!(next.contains("kind=client_added") && next.contains("before="), "{next}");
    // Events written after the first page do not move the next ones.
    store.append_audit(&AuditEvent::ClientAdded { client_id: "late".into(), by: "cli".into() }).await.unwrap();
    let mut seen = first_seqs.clone();
    let mut link = Some(next);
    for _ in 0..10 {
        let Some(next) = link else { break };
        let (status, html) = page(&app, &admin, &next).await;
        assert_eq!(status, 200);
        let seqs = listed(&html);
        assert!(!seqs.is_empty() && seqs.len() <= 50);
        seen.extend(seqs);
        link = older(&html);
    }
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no event twice: {seen:?}");
    let all = cli_count(&app, &Filter { kind: Some("client_added".into()), ..Filter::default() }).await;
    assert_eq!(seen.len() + 1, all, "every event but the late one, once");
    assert_eq!(page(&app, &admin, "/admin/audit?before=x").await.0, 400);
}

#[tokio::test]
async fn ab_05_reviewers_and_org_admins_get_403_in_audit() {
    let app = TestApp::spawn().await;
    let reviewer = signed_in(&app, SCHOOL1, "admin1").await;
    grant(&app, "petrov.teacher", "org-admin").await;
    let org_admin = signed_in(&app, SCHOOL1, "petrov.teacher").await;
    for http in [&reviewer, &org_admin] {
        for path in ["/admin/audit", "/admin/audit/1", "/admin/audit/export.jsonl", "/admin/audit/export.csv"] {
            assert_eq!(page(&app, http, path).await.0, 403, "{path}");
        }
        let (_, html) = page(&app, http, "/admin/requests").await;
        assert!(!html.contains("/admin/audit"), "no «Аудит» in their navigation");
        let (_, login) = page(&app, http, "/login").await;
        let csrf = hidden(&login, "csrf").unwrap();
        let res = post(&app, http, "/admin/audit/verify", &[("csrf", &csrf)]).await;
        assert_eq!(res.status(), 403);
    }
}

#[tokio::test]
async fn az_12_verify_wants_the_csrf_token_and_finds_the_rewritten_row() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "audit-verify").await;
    rp.tokens(&app, "openid", "ivanova.mp").await;
    let admin = system_admin(&app).await;
    let (_, html) = page(&app, &admin, "/admin/audit").await;
    let csrf = hidden(&html, "csrf").unwrap();

    let res = post(&app, &admin, "/admin/audit/verify", &[("csrf", "forged")]).await;
    assert_eq!(res.status(), 403, "no verification without the form's token");

    let res = post(&app, &admin, "/admin/audit/verify", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let rows = propusk::cli::audit_verify(&app.config).await.unwrap();
    assert!(html.contains("Цепочка цела") && html.contains(&format!("Проверено событий: {rows}")), "{html}");

    let mut out = Vec::new();
    let f = Filter { kind: Some("token_issued".into()), ..Filter::default() };
    audit_search(&app.config, &f, Some(1), &mut out).await.unwrap();
    let seq = serde_json::from_slice::<serde_json::Value>(&out).unwrap()["seq"].as_i64().unwrap();
    let edited = execute(
        &app.config.database.url,
        "UPDATE audit_events SET data = REPLACE(data, '\"audit-verify\"', '\"other-rp\"') \
         WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE kind = 'token_issued')",
    )
    .await;
    assert_eq!(edited, 1);
    let res = post(&app, &admin, "/admin/audit/verify", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Цепочка нарушена") && html.contains(&format!("событие № {seq}</a>")), "{html}");
}
