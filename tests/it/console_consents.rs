//! The console's consents per client and PD-consent ledger over HTTP: a consent given
//! on the consent page of a real login is listed on the client's consents page; the
//! system admin's «Отозвать» ends its refresh token, removes it from `/account` and
//! tells the client by back-channel logout, audited with the admin; «Отозвать все»
//! wants its confirmation; no revocation without the form's token (AZ-12); the ledger
//! of an account shows the PD consent given at the ESIA step and its revocation; other
//! roles get 403, another organisation's account 404 (AB-05).

use crate::access_staff::signed_in;
use crate::common::*;
use crate::esia_support::{audit_of, esia_login, page, post};
use crate::support::*;
use propusk::account::demo::GYMN2;
use propusk::account::directory::account_id;
use propusk::cli::{AddClient, RoleChange, staff_grant};
use propusk::flow::pd_consent::TEXT_VERSION;

const OFFLINE: &str = "openid profile offline_access";
const RP_ID: &str = "consents-rp";
const CONSENTS: &str = "/admin/clients/consents-rp/consents";

async fn grant(app: &TestApp, login: &str, role: &str) {
    let c = RoleChange { login: login.into(), role: role.into(), org: None };
    staff_grant(&app.config, &c).await.unwrap();
}

/// A staff member of school 1 holding `role`, signed in.
async fn staff(app: &TestApp, login: &str, role: &str) -> reqwest::Client {
    grant(app, login, role).await;
    signed_in(app, SCHOOL1, login).await
}

/// A confidential client that asks for consent.
async fn explicit_rp(app: &TestApp) -> Rp {
    let secret = app
        .add_client(AddClient {
            id: RP_ID.into(),
            redirect_uris: vec![RP_CB.into()],
            post_logout_redirect_uris: vec![RP_LOGGED_OUT.into()],
            consent: Some("explicit".into()),
            ..Default::default()
        })
        .await;
    Rp { id: RP_ID.into(), secret, redirect: RP_CB.into(), post: false }
}

/// `login` signs in, allows on the consent page, and the client gets its tokens.
/// Returns the person's browser and the refresh token.
async fn consented(app: &TestApp, rp: &Rp, login: &str) -> (reqwest::Client, String) {
    let http = browser();
    let to_consent = login_for_code(app, &http, &rp.authorize(app, OFFLINE), login).await;
    assert!(to_consent.starts_with("/consent?flow="), "an explicit client asks: {to_consent}");
    let html = http.get(app.url(&to_consent)).send().await.unwrap().text().await.unwrap();
    let form = [
        ("flow", hidden(&html, "flow").unwrap()),
        ("csrf", hidden(&html, "csrf").unwrap()),
        ("decision", "allow".to_owned()),
    ];
    let back = location(&http.post(app.url("/consent")).form(&form).send().await.unwrap());
    let code = query_param(&back, "code").expect("a code after the consent");
    let t = rp.exchange(app, &code).await;
    (http, t.str("refresh_token"))
}

/// Posts a console form with a fresh token from `page_path`, expecting the redirect
/// back; returns the page it leads to.
async fn act(app: &TestApp, http: &reqwest::Client, action: &str, form: &[(&str, &str)]) -> String {
    let (_, html) = page(app, http, CONSENTS).await;
    let csrf = hidden(&html, "csrf").unwrap();
    let mut f = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let res = post(app, http, &format!("{CONSENTS}/{action}"), &f).await;
    assert_eq!(res.status(), 303, "{action}");
    let back = location(&res);
    assert!(back.starts_with(CONSENTS) && back.contains("done="), "{back}");
    let (status, html) = page(app, http, &back).await;
    assert_eq!(status, 200);
    assert!(html.contains("role=\"status\""), "a notice: {html}");
    html
}

async fn consent_count(app: &TestApp) -> usize {
    app.app().store.consents_of_client(RP_ID, None, 100).await.unwrap().len()
}

#[tokio::test]
async fn a_revoked_consent_ends_the_refresh_token_and_leaves_account() {
    let app = TestApp::spawn().await;
    let rp = explicit_rp(&app).await;
    let args = propusk::cli::UpdateArgs {
        id: RP_ID.into(),
        backchannel_logout_uri: Some("http://127.0.0.1:9/backchannel".into()),
        ..Default::default()
    };
    propusk::cli::clients_update(&app.config, &args).await.unwrap();
    let (person, refresh) = consented(&app, &rp, "ivanova.mp").await;
    let (_, html) = page(&app, &person, "/account").await;
    assert!(html.contains(&format!("value=\"{RP_ID}\"")), "listed at /account: {html}");

    let admin = staff(&app, "admin1", "system-admin").await;
    let (status, html) = page(&app, &admin, "/admin/clients/consents-rp").await;
    assert_eq!(status, 200);
    assert!(html.contains("/admin/clients/consents-rp/consents"), "linked from the client's page");
    let (status, html) = page(&app, &admin, CONSENTS).await;
    assert_eq!(status, 200, "{html}");
    let id = account_id(SCHOOL1, "ivanova.mp");
    assert!(html.contains("ivanova.mp") && html.contains("Иванова Мария Петровна"), "{html}");
    assert!(html.contains(&id) && html.contains("offline_access") && html.contains("МБОУ СОШ №1"), "{html}");

    let html = act(&app, &admin, "revoke", &[("account_id", &id)]).await;
    assert!(html.contains("Согласие отозвано") && !html.contains("ivanova.mp"), "{html}");
    rp.refresh(&app, &refresh, None).await.assert_error(400, "invalid_grant", "after the admin's revocation");
    let (_, html) = page(&app, &person, "/account").await;
    assert!(!html.contains(&format!("value=\"{RP_ID}\"")), "gone from /account: {html}");
    let notices = app.app().store.logouts_of_account(&id).await.unwrap();
    assert!(notices.iter().any(|n| n.client_id == RP_ID), "the client is told by back-channel logout");

    let admin_id = account_id(SCHOOL1, "admin1");
    let revoked: Vec<serde_json::Value> =
        audit_of(&app, "consent_revoked").await.iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!((revoked[0]["account_id"].as_str(), revoked[0]["by"].as_str()), (Some(&*id), Some(&*admin_id)));
}

#[tokio::test]
async fn revoke_all_wants_its_confirmation_and_ends_every_consent() {
    let app = TestApp::spawn().await;
    let rp = explicit_rp(&app).await;
    let (_, first) = consented(&app, &rp, "ivanova.mp").await;
    let (_, second) = consented(&app, &rp, "smirnova.ov").await;
    let admin = staff(&app, "admin1", "system-admin").await;

    let html = act(&app, &admin, "revoke-all", &[]).await;
    assert!(html.contains("Отметьте подтверждение"), "{html}");
    assert_eq!(consent_count(&app).await, 2, "nothing without the checkbox");

    let html = act(&app, &admin, "revoke-all", &[("confirm", "on")]).await;
    assert!(html.contains("Отозвано согласий: 2") && html.contains("Согласий этому клиенту нет"), "{html}");
    assert_eq!(consent_count(&app).await, 0);
    for t in [first, second] {
        rp.refresh(&app, &t, None).await.assert_error(400, "invalid_grant", "after «Отозвать все»");
    }
    assert_eq!(audit_of(&app, "consent_revoked").await.len(), 2);
}

#[tokio::test]
async fn az_12_consent_revocations_want_the_forms_token() {
    let app = TestApp::spawn().await;
    let rp = explicit_rp(&app).await;
    consented(&app, &rp, "ivanova.mp").await;
    let admin = staff(&app, "admin1", "system-admin").await;
    let id = account_id(SCHOOL1, "ivanova.mp");
    for action in ["revoke", "revoke-all"] {
        for csrf in [&[("csrf", "forged")][..], &[]] {
            let mut form = vec![("account_id", id.as_str()), ("confirm", "on")];
            form.extend_from_slice(csrf);
            let res = post(&app, &admin, &format!("{CONSENTS}/{action}"), &form).await;
            assert_eq!(res.status(), 403, "{action} {csrf:?}");
        }
    }
    assert_eq!(consent_count(&app).await, 1);
    assert!(audit_of(&app, "consent_revoked").await.is_empty());
}

#[tokio::test]
async fn ab_05_consents_are_for_the_system_admin_and_the_ledger_for_the_accounts_organisation() {
    let app = TestApp::spawn().await;
    let rp = explicit_rp(&app).await;
    consented(&app, &rp, "ivanova.mp").await;
    let reviewer = signed_in(&app, SCHOOL1, "admin1").await;
    let org_admin = staff(&app, "petrov.teacher", "org-admin").await;
    for http in [&reviewer, &org_admin] {
        assert_eq!(page(&app, http, CONSENTS).await.0, 403);
        let res = post(&app, http, &format!("{CONSENTS}/revoke-all"), &[("confirm", "on")]).await;
        assert_eq!(res.status(), 403);
    }
    assert_eq!(consent_count(&app).await, 1);

    let ours = format!("/admin/accounts/{}/pd", account_id(SCHOOL1, "ivanova.mp"));
    assert_eq!(page(&app, &reviewer, &ours).await.0, 403, "a reviewer does not open «Учетные записи»");
    assert_eq!(page(&app, &org_admin, &ours).await.0, 200);
    let theirs = format!("/admin/accounts/{}/pd", account_id(GYMN2, "petrov.pp2"));
    assert_eq!(page(&app, &org_admin, &theirs).await.0, 404, "another organisation's account");
    assert_eq!(page(&app, &org_admin, "/admin/accounts/no-such/pd").await.0, 404);

    let system = staff(&app, "admin1", "system-admin").await;
    assert_eq!(page(&app, &system, "/admin/clients/no-such/consents").await.0, 404);
    assert_eq!(page(&app, &system, &theirs).await.0, 200, "a system admin sees every organisation");
}

#[tokio::test]
async fn the_ledger_shows_the_pd_consent_given_at_the_esia_step_and_its_revocation() {
    let app = TestApp::spawn().await;
    let id = account_id(SCHOOL1, "ivanova.mp");
    let ledger = format!("/admin/accounts/{id}/pd");
    let org_admin = staff(&app, "petrov.teacher", "org-admin").await;
    let (_, html) = page(&app, &org_admin, &ledger).await;
    assert!(html.contains("согласий нет"), "no ESIA yet: {html}");
    let (_, html) = page(&app, &org_admin, &format!("/admin/accounts/{id}")).await;
    assert!(html.contains(&format!("{}/pd\"", format_args!("/admin/accounts/{id}"))), "linked: {html}");

    let (person, _) = esia_login(&app, "parent", "ivanova@example.ru", "").await;
    let (status, html) = page(&app, &org_admin, &ledger).await;
    assert_eq!(status, 200);
    assert!(html.contains("Согласие дано") && html.contains(TEXT_VERSION), "{html}");
    assert!(html.contains("ФИО") && html.contains("Список детей"), "what it covers: {html}");

    let (_, html) = page(&app, &person, "/account").await;
    let (csrf, index) = (hidden(&html, "csrf").unwrap(), hidden(&html, "index").unwrap());
    let res = post(&app, &person, "/account/pd-consent/revoke", &[("csrf", &csrf), ("index", &index)]).await;
    assert_eq!(res.status(), 200);
    let (_, html) = page(&app, &org_admin, &ledger).await;
    assert!(html.contains("Действующего согласия нет") && html.contains("согласие отозвано"), "{html}");
    assert!(!html.contains("Согласие дано"), "{html}");
}
