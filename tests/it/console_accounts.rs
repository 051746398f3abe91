//! The console's «Учетные записи» over HTTP: an org-admin finds accounts of their
//! organisation by a Cyrillic name in another case and by login, a system admin
//! searches every organisation; each action (unlink ESIA, end sessions, revoke
//! grants, disable, enable) has its effect on tokens, sessions and logins and writes
//! its event naming the admin; another organisation's account and its actions are
//! 404 like a missing one (AB-05); no action without the form's token (AZ-12).

use crate::access_staff::signed_in;
use crate::common::*;
use crate::esia_support::{page, post};
use crate::support::*;
use propusk::account::demo::GYMN2;
use propusk::account::directory::account_id;
use propusk::cli::{RoleChange, staff_grant};
use propusk::store::links::{LinkMethod, UpstreamLink};

const OFFLINE: &str = "openid profile offline_access";

async fn grant(app: &TestApp, login: &str, role: &str) {
    let c = RoleChange { login: login.into(), role: role.into(), org: None };
    staff_grant(&app.config, &c).await.unwrap();
}

/// `petrov.teacher` signed in as org-admin of school 1 (or system admin).
async fn admin(app: &TestApp, role: &str) -> reqwest::Client {
    grant(app, "petrov.teacher", role).await;
    signed_in(app, SCHOOL1, "petrov.teacher").await
}

/// The logins a result page lists, in page order.
fn listed(html: &str) -> Vec<String> {
    html.split("</a></td>\n      <td>").skip(1).map(|s| s.split('<').next().unwrap().to_owned()).collect()
}

/// An error page without its request number (different per request).
fn without_request_id(html: &str) -> String {
    match (html.find("<code>"), html.find("</code>")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_owned(),
    }
}

fn path(id: &str) -> String {
    format!("/admin/accounts/{id}")
}

/// The kinds and `by` of the audit rows about `account`, in order.
async fn events_of(app: &TestApp, account: &str) -> Vec<(String, String)> {
    let rows = app.app().store.audit_records(0, 100_000).await.unwrap();
    rows.into_iter()
        .filter_map(|r| {
            let data: serde_json::Value = serde_json::from_str(&r.data).ok()?;
            (data["account_id"] == account).then(|| (r.kind, data["by"].as_str().unwrap_or_default().to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn search_finds_a_cyrillic_name_in_another_case_and_a_login() {
    let app = TestApp::spawn().await;
    let org_admin = admin(&app, "org-admin").await;
    let (status, html) = page(&app, &org_admin, "/admin/accounts?q=ИВАНОВА").await;
    assert_eq!(status, 200, "{html}");
    let mut found = listed(&html);
    found.sort();
    assert_eq!(found, ["ivanova.as", "ivanova.mp"], "every word a prefix of a word of the name: {html}");
    let (_, html) =
        page(&app, &org_admin, "/admin/accounts?q=%D1%81%D0%BC%D0%B8%D1%80%D0%BD%20%D0%9E%D0%9B%D0%AC").await;
    assert_eq!(listed(&html), ["smirnova.ov"], "«смирн ОЛЬ»: {html}");
    let (_, html) = page(&app, &org_admin, "/admin/accounts?q=Petrov.P").await;
    assert_eq!(listed(&html), ["petrov.pp"], "a login prefix; the gymnasium's petrov.pp2 is not theirs");
    let (_, html) = page(&app, &org_admin, "/admin/accounts").await;
    assert_eq!(listed(&html).len(), 7, "no query: the school's accounts: {html}");
    assert!(html.contains("Учетные записи") && html.contains("aria-current=\"page\""));

    let system = signed_in(&app, SCHOOL1, "admin1").await;
    assert_eq!(page(&app, &system, "/admin/accounts").await.0, 403, "a reviewer does not open the section");
    grant(&app, "admin1", "system-admin").await;
    let (_, html) = page(&app, &system, "/admin/accounts?q=petrov.pp").await;
    let mut found = listed(&html);
    found.sort();
    assert_eq!(found, ["petrov.pp", "petrov.pp2"], "a system admin searches every organisation");
    let (status, html) = page(&app, &system, "/admin/accounts?q=%D0%B8").await;
    assert_eq!(status, 200);
    assert!(listed(&html).is_empty() && html.contains("не менее 2 символов"), "{html}");
}

#[tokio::test]
async fn ab_05_an_org_admin_gets_404_for_another_organisations_account_and_its_actions() {
    let app = TestApp::spawn().await;
    let org_admin = admin(&app, "org-admin").await;
    let theirs = account_id(SCHOOL1, "ivanova.mp");
    let (status, html) = page(&app, &org_admin, &path(&theirs)).await;
    assert_eq!(status, 200, "{html}");
    let csrf = hidden(&html, "csrf").unwrap();

    let other = account_id(GYMN2, "petrov.pp2");
    let (missing_status, missing) = page(&app, &org_admin, &path("no-such-account")).await;
    let (status, html) = page(&app, &org_admin, &path(&other)).await;
    assert_eq!((status, missing_status), (404, 404));
    assert_eq!(without_request_id(&html), without_request_id(&missing), "exactly like a missing account");
    for action in ["unlink", "end-sessions", "revoke-grants", "disable", "enable"] {
        let res = post(&app, &org_admin, &format!("{}/{action}", path(&other)), &[("csrf", &csrf)]).await;
        assert_eq!(res.status(), 404, "{action}");
    }
    assert!(!app.app().store.account(&other).await.unwrap().unwrap().disabled);
    assert!(events_of(&app, &other).await.iter().all(|(k, _)| !k.starts_with("account_")));
}

#[tokio::test]
async fn az_12_account_actions_want_the_forms_token() {
    let app = TestApp::spawn().await;
    let org_admin = admin(&app, "org-admin").await;
    let id = account_id(SCHOOL1, "ivanova.mp");
    for action in ["unlink", "end-sessions", "revoke-grants", "disable", "enable"] {
        for form in [&[("csrf", "forged")][..], &[]] {
            let res = post(&app, &org_admin, &format!("{}/{action}", path(&id)), form).await;
            assert_eq!(res.status(), 403, "{action} {form:?}");
        }
    }
    assert!(!app.app().store.account(&id).await.unwrap().unwrap().disabled);
    assert!(events_of(&app, &id).await.iter().all(|(k, _)| !k.starts_with("account_")));
}

#[tokio::test]
async fn each_action_has_its_effect_and_names_the_admin() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "accounts-console").await;
    let id = account_id(SCHOOL1, "ivanova.mp");
    let org_admin = admin(&app, "org-admin").await;
    let admin_id = account_id(SCHOOL1, "petrov.teacher");
    let act = |action: &'static str, form: Vec<(&'static str, String)>| {
        let (app, http, id) = (&app, &org_admin, id.clone());
        async move {
            let (_, html) = page(app, http, &path(&id)).await;
            let csrf = hidden(&html, "csrf").unwrap();
            let mut f: Vec<(&str, String)> = vec![("csrf", csrf)];
            f.extend(form);
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = post(app, http, &format!("{}/{action}", path(&id)), &f).await;
            assert_eq!(res.status(), 303, "{action}");
            let back = location(&res);
            assert!(back.starts_with(&path(&id)) && back.contains("done="), "{back}");
            let (status, html) = page(app, http, &back).await;
            assert_eq!(status, 200);
            assert!(html.contains("role=\"status\""), "a short notice: {html}");
            html
        }
    };

    // End sessions: the SSO session is gone.
    let person = browser();
    let code = rp.code_in(&app, &person, OFFLINE, "ivanova.mp").await;
    let t = rp.exchange(&app, &code).await;
    let refresh = t.str("refresh_token");
    let (_, html) = page(&app, &org_admin, &path(&id)).await;
    assert!(html.contains("по паролю") && html.contains("accounts-console"), "its session and grant: {html}");
    act("end-sessions", vec![]).await;
    let res = person.get(rp.authorize(&app, "openid")).send().await.unwrap();
    assert!(location(&res).starts_with("/login?flow="), "no SSO any more");
    assert_eq!(rp.refresh(&app, &refresh, None).await.status, 200, "ending sessions leaves the grants");

    // Revoke one client's grants: its refresh token stops working.
    let t = rp.tokens(&app, OFFLINE, "ivanova.mp").await;
    act("revoke-grants", vec![("client_id", rp.id.clone())]).await;
    rp.refresh(&app, &t.str("refresh_token"), None).await.assert_error(400, "invalid_grant", "after revoke");

    // Disable: refresh tokens die, the password no longer signs in; enable again.
    let t = rp.tokens(&app, OFFLINE, "ivanova.mp").await;
    let html = act("disable", vec![]).await;
    assert!(html.contains("отключена"), "{html}");
    rp.refresh(&app, &t.str("refresh_token"), None).await.assert_error(400, "invalid_grant", "after disable");
    let http = browser();
    let to_login = location(&http.get(rp.authorize(&app, "openid")).send().await.unwrap());
    let res = submit_login(&http, &app.base, &to_login, "ivanova.mp", PASSWORD).await;
    assert_ne!(res.status(), 303, "a disabled account cannot sign in");
    act("enable", vec![]).await;
    rp.tokens(&app, "openid", "ivanova.mp").await;

    // Unlink ESIA: the link is gone.
    let link = UpstreamLink {
        issuer: "https://esia.example".into(),
        subject: "esia-1".into(),
        account_id: id.clone(),
        method: LinkMethod::Auto,
        created_at: 1,
    };
    app.app().store.add_links(&[link], &[], &[]).await.unwrap();
    let (_, html) = page(&app, &org_admin, &path(&id)).await;
    assert!(html.contains("Отвязать Госуслуги") && html.contains("автоматически"), "{html}");
    act("unlink", vec![]).await;
    assert!(app.app().store.links_of_account(&id).await.unwrap().is_empty());

    let events = events_of(&app, &id).await;
    let by_admin: Vec<&str> = events.iter().filter(|(_, by)| *by == admin_id).map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        by_admin,
        ["account_sessions_ended", "account_grants_revoked", "account_disabled", "account_enabled", "account_unlinked"]
    );
}

#[tokio::test]
async fn an_org_admin_changes_no_system_admin_and_nobody_disables_themself() {
    let app = TestApp::spawn().await;
    grant(&app, "admin1", "system-admin").await;
    let org_admin = admin(&app, "org-admin").await;
    let system_admin = account_id(SCHOOL1, "admin1");
    let (status, html) = page(&app, &org_admin, &path(&system_admin)).await;
    assert_eq!(status, 200);
    assert!(!html.contains("/disable"), "no actions offered");
    let own = account_id(SCHOOL1, "petrov.teacher");
    let (_, own_page) = page(&app, &org_admin, &path(&own)).await;
    assert!(own_page.contains("Свою учетную запись отключить нельзя"), "{own_page}");
    let csrf = hidden(&own_page, "csrf").unwrap();
    let res = post(&app, &org_admin, &format!("{}/disable", path(&system_admin)), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 403);
    assert!(!app.app().store.account(&system_admin).await.unwrap().unwrap().disabled);

    let res = post(&app, &org_admin, &format!("{}/disable", path(&own)), &[("csrf", &csrf)]).await;
    assert_eq!(location(&res), format!("{}?done=self&n=0", path(&own)));
    assert!(!app.app().store.account(&own).await.unwrap().unwrap().disabled);
}

#[tokio::test]
async fn a_request_with_no_similar_account_searches_the_organisation_and_links_a_found_one() {
    use crate::access_staff::{file, made_up, path_of, stored};
    use propusk::store::Role;
    use propusk::store::requests::RequestStatus;
    let app = TestApp::spawn().await;
    let req = made_up(SCHOOL1, "kuzmin", Role::Parent, ["Кузьмин", "Олег", "Игоревич"], "1970-01-01");
    file(&app, &req).await;
    let reviewer = signed_in(&app, SCHOOL1, "admin1").await;
    let (status, html) = page(&app, &reviewer, &path_of(&req)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Похожих учетных записей не найдено") && html.contains("name=\"q\""), "{html}");
    assert!(!html.contains("/link\""), "nothing to link yet");

    let (_, html) = page(&app, &reviewer, &format!("{}?q=ИВАНОВ", path_of(&req))).await;
    let accounts: Vec<&str> =
        html.split("name=\"account\" value=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(accounts, [account_id(SCHOOL1, "ivanova.mp")], "parents only, of the request's school: {html}");
    let (_, html) = page(&app, &reviewer, &format!("{}?q=smirnova", path_of(&req))).await;
    let csrf = hidden(&html, "csrf").unwrap();
    assert!(html.contains("smirnova.ov") && html.contains("Подтверждаю привязку"), "the policy's warnings: {html}");

    let smirnova = account_id(SCHOOL1, "smirnova.ov");
    let link = format!("{}/link", path_of(&req));
    let res = post(&app, &reviewer, &link, &[("csrf", &csrf), ("account", &smirnova)]).await;
    assert_eq!(res.status(), 400, "differences need the confirmation");
    let form = [("csrf", csrf.as_str()), ("account", &smirnova), ("confirm", "on")];
    assert_eq!(post(&app, &reviewer, &link, &form).await.status(), 303);
    let after = stored(&app, &req).await;
    assert_eq!((after.status, after.account_id.as_deref()), (RequestStatus::Resolved, Some(smirnova.as_str())));
    assert_eq!(app.app().store.links_of_account(&smirnova).await.unwrap().len(), 1);
}
