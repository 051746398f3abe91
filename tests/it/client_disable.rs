//! A client disabled by an admin (issue 10): the protocol treats it as unknown — no
//! login (an error page, never a redirect), no token, no refresh, no UserInfo — while its
//! grants are kept, so enabling it again lets the same refresh token work. The console's
//! «Отключить клиента» needs the page's CSRF token (AZ-12) and names the admin.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::signed_in;
use crate::common::*;
use crate::esia_support::{account_id, audit_of, page, post};
use crate::support::*;
use propusk::cli::{RoleChange, UpdateArgs, clients_update, staff_grant};

async fn set_disabled(app: &TestApp, id: &str, disabled: bool) {
    let args = UpdateArgs { id: id.into(), disabled: Some(disabled), ..Default::default() };
    clients_update(&app.config, &args).await.unwrap();
    // The CLI writes the store; this node's cache hears of it through the change feed.
    app.app().clients.invalidate(id).await;
}

async fn userinfo(app: &TestApp, token: &str) -> u16 {
    reqwest::Client::new().get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_disabled_client_gets_nothing_and_its_grants_work_again_once_enabled() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "paused").await;
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    let (access, refresh) = (t.str("access_token"), t.str("refresh_token"));
    assert_eq!(userinfo(&app, &access).await, 200);

    let code = rp.code(&app, "openid", "ivanova.mp").await;
    set_disabled(&app, "paused", true).await;
    rp.exchange(&app, &code).await.assert_error(401, "invalid_client", "a code issued before the disable");
    let res = browser().get(rp.authorize(&app, "openid")).send().await.unwrap();
    assert_error_page(res, "/authorize of a disabled client").await;
    rp.refresh(&app, &refresh, None).await.assert_error(401, "invalid_client", "refresh of a disabled client");
    assert_eq!(userinfo(&app, &access).await, 401, "its access token no longer opens UserInfo");
    let stored = app.app().store.client("paused").await.unwrap().unwrap();
    assert!(stored.disabled);

    set_disabled(&app, "paused", false).await;
    let again = rp.refresh(&app, &refresh, None).await;
    assert_eq!(again.status, 200, "the grant was kept: {:?}", again.error());
}

#[tokio::test]
async fn az_12_the_console_disables_and_enables_a_client_with_the_pages_token_only() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "console-paused").await;
    staff_grant(&app.config, &RoleChange { login: "admin1".into(), role: "system-admin".into(), org: None })
        .await
        .unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;
    let (status, html) = page(&app, &admin, "/admin/clients/console-paused").await;
    assert_eq!(status, 200);
    assert!(html.contains("Отключить клиента"), "{html}");
    let csrf = hidden(&html, "csrf").unwrap();

    let res = post(&app, &admin, "/admin/clients/console-paused/disable", &[("csrf", "forged")]).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(!app.app().store.client("console-paused").await.unwrap().unwrap().disabled, "nothing changed");

    let res = post(&app, &admin, "/admin/clients/console-paused/disable", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Включить клиента"));
    let res = browser().get(rp.authorize(&app, "openid")).send().await.unwrap();
    assert_error_page(res, "/authorize right after the console disabled it").await;
    let admin_id = account_id(&app, SCHOOL1, "admin1").await;
    let events = audit_of(&app, "client_changed").await;
    assert!(events.iter().any(|e| e.contains(&format!("\"by\":\"{admin_id}\""))), "{events:?}");

    let res = post(&app, &admin, "/admin/clients/console-paused/enable", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 200);
    assert!(!app.app().store.client("console-paused").await.unwrap().unwrap().disabled);
    let code = rp.code(&app, "openid", "ivanova.mp").await;
    assert_eq!(rp.exchange(&app, &code).await.status, 200, "enabled again");
}
