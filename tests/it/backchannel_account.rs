//! Back-channel logout on the console's account actions: a system admin disables an
//! account (or ends its sessions) and every relying party of the account hears of it —
//! the logout token arrives at the RP of the test's own, verified against `/jwks`, with
//! the `sid` of the person's session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::signed_in as staff_signed_in;
use crate::backchannel_logout::{assert_logout_token, register_uri, relying_party, signed_in, spawn};
use crate::common::*;
use crate::esia_support::{account_id, page, post};
use crate::support::*;
use propusk::cli::{RoleChange, staff_grant};

async fn act(app: &TestApp, admin: &reqwest::Client, account: &str, action: &str) {
    let path = format!("/admin/accounts/{account}");
    let (status, html) = page(app, admin, &path).await;
    assert_eq!(status, 200, "{html}");
    let csrf = hidden(&html, "csrf").unwrap();
    let res = post(app, admin, &format!("{path}/{action}"), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303, "{action}");
}

#[tokio::test]
async fn disabling_an_account_logs_its_relying_parties_out() {
    let app = spawn().await;
    let (uri, rp_end) = relying_party(0).await;
    let rp = Rp::confidential(&app, "bc-disable").await;
    register_uri(&app, &rp.id, &uri).await;
    let (_, id_token) = signed_in(&app, &rp).await;
    staff_grant(&app.config, &RoleChange { login: "admin1".into(), role: "system-admin".into(), org: None })
        .await
        .unwrap();
    let admin = staff_signed_in(&app, SCHOOL1, "admin1").await;
    let account = account_id(&app, SCHOOL1, "ivanova.mp").await;

    act(&app, &admin, &account, "disable").await;
    let tokens = rp_end.wait_for(1).await;
    let claims = assert_logout_token(&app, &tokens[0], &rp.id, &id_token).await;
    assert_eq!(claims["sid"], jwt_claims(&id_token)["sid"], "the person's session");
    assert!(app.app().store.account(&account).await.unwrap().unwrap().disabled);
}
