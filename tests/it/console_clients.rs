//! The console's «Клиенты» over HTTP (issue 10): a system admin lists, edits and
//! rotates a client's secret through the same path as `propusk clients`, audited with
//! their account id; a bad redirect URI re-renders the form and stores nothing; other
//! roles get 403 (AB-05) and a POST without CSRF is refused (AZ-12), nothing changed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::access_staff::{file, made_up, request_page, signed_in};
use crate::common::*;
use crate::esia_support::{account_id, audit_of, page, post};
use crate::support::*;
use propusk::cli::{AddClient, RoleChange, staff_grant};
use propusk::store::Role;
use std::time::Duration;

const CB: &str = "https://rp.example/cb";

fn grant(login: &str, role: &str, org: Option<&str>) -> RoleChange {
    RoleChange { login: login.into(), role: role.into(), org: org.map(str::to_owned) }
}

/// A confidential client `machine` (client credentials); its secret.
async fn machine(app: &TestApp) -> String {
    app.add_client(AddClient {
        id: "machine".into(),
        redirect_uris: vec![CB.into()],
        grant_types: vec!["authorization_code".into(), "client_credentials".into()],
        scope: Some("openid".into()),
        ..Default::default()
    })
    .await
    .unwrap()
}

fn rp(secret: &str) -> Rp {
    Rp { id: "machine".into(), secret: Some(secret.into()), redirect: String::new(), post: false }
}

/// Polls `/token` with `client_credentials` until it answers `status`; the last status.
async fn token_status(app: &TestApp, rp: &Rp, status: u16) -> u16 {
    let mut last = rp.call(app, "/token", &[("grant_type", "client_credentials")]).await.status;
    for _ in 0..70 {
        if last == status {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = rp.call(app, "/token", &[("grant_type", "client_credentials")]).await.status;
    }
    last
}

/// The edit form as posted by the page, with `redirect_uris` replaced.
fn edit_form<'a>(csrf: &'a str, redirect_uris: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("display_name", "Машина"),
        ("redirect_uris", redirect_uris),
        ("post_logout_redirect_uris", ""),
        ("grant_types", "authorization_code client_credentials"),
        ("scope", "openid"),
        ("consent", "implicit"),
        ("id_token_alg", "RS256"),
        ("access_token_ttl", "600"),
        ("id_token_ttl", "600"),
        ("refresh_token_ttl", "86400"),
    ]
}

fn new_form<'a>(csrf: &'a str, id: &'a str, redirect_uris: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("id", id),
        ("display_name", "Новый"),
        ("redirect_uris", redirect_uris),
        ("scope", ""),
        ("consent", "explicit"),
    ]
}

async fn stored(app: &TestApp) -> propusk::store::Client {
    app.app().store.client("machine").await.unwrap().unwrap()
}

#[tokio::test]
async fn a_system_admin_edits_a_client_and_rotates_its_secret_with_an_overlap() {
    let app = TestApp::spawn().await;
    let old = rp(&machine(&app).await);
    staff_grant(&app.config, &grant("admin1", "system-admin", None)).await.unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;
    let admin_id = account_id(&app, SCHOOL1, "admin1").await;

    let (status, html) = page(&app, &admin, "/admin/clients").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("/admin/clients/machine") && html.contains("конфиденциальный"), "{html}");
    assert_eq!(page(&app, &admin, "/admin/clients/nobody").await.0, 404);

    let (status, html) = page(&app, &admin, "/admin/clients/machine").await;
    assert_eq!(status, 200);
    assert!(html.contains(CB), "the redirect URIs in the form");
    let csrf = hidden(&html, "csrf").unwrap();

    // A bad redirect URI: the form again with a Russian message, nothing stored.
    let before = stored(&app).await;
    let bad = format!("{CB}\njavascript:alert(1)");
    let res = post(&app, &admin, "/admin/clients/machine", &edit_form(&csrf, &bad)).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Адреса возврата") && html.contains("Ничего не сохранено"), "{html}");
    assert!(html.contains("javascript:alert(1)"), "the posted values are kept in the form");
    assert_eq!(stored(&app).await, before, "a refused change stores nothing");
    assert!(audit_of(&app, "client_changed").await.is_empty());

    let two = format!("{CB}\nhttps://rp.example/cb2");
    let res = post(&app, &admin, "/admin/clients/machine", &edit_form(&csrf, &two)).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Изменения сохранены"));
    let changed = stored(&app).await;
    assert_eq!(changed.redirect_uris, [CB, "https://rp.example/cb2"]);
    assert_eq!((changed.display_name.as_deref(), changed.access_token_ttl), (Some("Машина"), 600));
    let events = audit_of(&app, "client_changed").await;
    assert_eq!(events.len(), 1);
    assert!(events[0].contains(&format!("\"by\":\"{admin_id}\"")), "{events:?}");

    // A new secret with a one-hour overlap: shown once, both work.
    let res =
        post(&app, &admin, "/admin/clients/machine/rotate-secret", &[("csrf", &csrf), ("overlap_hours", "1")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let secret = html.split("<code class=\"client-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(html.contains("Старый секрет действует до"), "{html}");
    assert_eq!(token_status(&app, &rp(&secret), 200).await, 200, "the new secret");
    assert_eq!(token_status(&app, &old, 200).await, 200, "the old one through the overlap");
    let (_, html) = page(&app, &admin, "/admin/clients/machine").await;
    assert!(!html.contains(&secret), "the secret is not shown again");
    let rotated = audit_of(&app, "client_secret_rotated").await;
    assert!(rotated.len() == 1 && rotated[0].contains(&admin_id), "{rotated:?}");

    // No overlap: the previous secret stops at once.
    let res =
        post(&app, &admin, "/admin/clients/machine/rotate-secret", &[("csrf", &csrf), ("overlap_hours", "0")]).await;
    let html = res.text().await.unwrap();
    let newest = html.split("<code class=\"client-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(token_status(&app, &rp(&newest), 200).await, 200);
    assert_eq!(token_status(&app, &rp(&secret), 401).await, 401, "no overlap asked: none");
    let res =
        post(&app, &admin, "/admin/clients/machine/rotate-secret", &[("csrf", &csrf), ("overlap_hours", "721")]).await;
    assert_eq!(res.status(), 422, "more than 30 days refused");
    assert_eq!(token_status(&app, &rp(&newest), 200).await, 200, "a refused rotation changes nothing");
}

#[tokio::test]
async fn ab_05_a_reviewer_and_an_org_admin_get_403_on_every_client_page_and_change_nothing() {
    let app = TestApp::spawn().await;
    let secret = machine(&app).await;
    let before = stored(&app).await;
    let req = made_up(SCHOOL1, "p-own", Role::Parent, ["Смирнова", "Ольга", "Викторовна"], "1990-06-05");
    file(&app, &req).await;
    for role in ["reviewer", "org-admin"] {
        if role == "org-admin" {
            staff_grant(&app.config, &grant("admin1", "org-admin", Some(SCHOOL1))).await.unwrap();
        }
        let staff = signed_in(&app, SCHOOL1, "admin1").await;
        // A valid CSRF token of this browser, from a page their role opens.
        let (_, csrf) = request_page(&app, &staff, &req).await;
        assert!(!csrf.is_empty());
        for path in ["/admin/clients", "/admin/clients/machine", "/admin/clients/nobody", "/admin/clients/new"] {
            assert_eq!(page(&app, &staff, path).await.0, 403, "{role}: GET {path}");
        }
        let posts: [(&str, Vec<(&str, &str)>); 4] = [
            ("/admin/clients/machine", edit_form(&csrf, "https://evil.example/cb")),
            ("/admin/clients/machine/rotate-secret", vec![("csrf", &csrf), ("overlap_hours", "0")]),
            ("/admin/clients/machine/delete", vec![("csrf", &csrf), ("confirm", "on")]),
            ("/admin/clients/new", new_form(&csrf, "evil", "https://evil.example/cb")),
        ];
        for (path, form) in &posts {
            let res = post(&app, &staff, path, form).await;
            assert_eq!(res.status(), 403, "{role}: POST {path}");
            assert!(!res.text().await.unwrap().contains("client-secret"));
        }
    }
    assert_eq!(stored(&app).await, before, "nothing changed");
    assert!(app.app().store.client("evil").await.unwrap().is_none(), "nothing created");
    assert_eq!(token_status(&app, &rp(&secret), 200).await, 200);
}

#[tokio::test]
async fn az_12_a_client_post_without_csrf_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let secret = machine(&app).await;
    staff_grant(&app.config, &grant("admin1", "system-admin", None)).await.unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;
    let before = stored(&app).await;
    let mut form = edit_form("", "https://rp.example/other");
    form.retain(|(k, _)| *k != "csrf");
    for (path, form) in [
        ("/admin/clients/machine", form.clone()),
        ("/admin/clients/machine/rotate-secret", vec![("overlap_hours", "0")]),
        ("/admin/clients/machine", edit_form("forged", "https://rp.example/other")),
    ] {
        let res = post(&app, &admin, path, &form).await;
        assert_eq!(res.status(), 403, "POST {path}");
        assert!(res.text().await.unwrap().contains("Страница устарела"));
    }
    assert_eq!(stored(&app).await, before);
    assert_eq!(token_status(&app, &rp(&secret), 200).await, 200);
    assert!(audit_of(&app, "client_changed").await.is_empty());
}

#[tokio::test]
async fn a_system_admin_creates_and_deletes_clients_by_the_registration_rules() {
    let app = TestApp::spawn().await;
    staff_grant(&app.config, &grant("admin1", "system-admin", None)).await.unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;
    let admin_id = account_id(&app, SCHOOL1, "admin1").await;
    let (status, html) = page(&app, &admin, "/admin/clients/new").await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf").unwrap();
    let store = &app.app().store;

    let res = post(&app, &admin, "/admin/clients/new", &new_form(&csrf, "fresh", "javascript:alert(1)")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Ничего не сохранено"));
    assert!(store.client("fresh").await.unwrap().is_none(), "a bad redirect URI stores nothing");

    // Confidential: the secret shown once, and it is the stored one.
    let res = post(&app, &admin, "/admin/clients/new", &new_form(&csrf, "fresh", CB)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let secret = html.split("<code class=\"client-secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let fresh = store.client("fresh").await.unwrap().unwrap();
    assert!(propusk::oidc::client::verify_secret(fresh.secret_hash.as_deref().unwrap(), &secret));
    assert_eq!((fresh.consent.as_str(), fresh.redirect_uris.as_slice()), ("explicit", [CB.to_owned()].as_slice()));
    let added = audit_of(&app, "client_added").await;
    assert!(added.iter().any(|e| e.contains("fresh") && e.contains(&admin_id)), "{added:?}");
    let (_, html) = page(&app, &admin, "/admin/clients/fresh").await;
    assert!(!html.contains(&secret));

    let res = post(&app, &admin, "/admin/clients/new", &new_form(&csrf, "fresh", CB)).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("уже зарегистрирован"));

    let mut public = new_form(&csrf, "pub-app", CB);
    public.push(("public", "on"));
    let res = post(&app, &admin, "/admin/clients/new", &public).await;
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/admin/clients/pub-app"));
    assert!(store.client("pub-app").await.unwrap().unwrap().secret_hash.is_none());

    let res = post(&app, &admin, "/admin/clients/fresh/delete", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 422, "no confirmation: nothing deleted");
    assert!(store.client("fresh").await.unwrap().is_some());
    let res = post(&app, &admin, "/admin/clients/fresh/delete", &[("csrf", &csrf), ("confirm", "on")]).await;
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/admin/clients"));
    assert!(store.client("fresh").await.unwrap().is_none());
    let removed = audit_of(&app, "client_removed").await;
    assert!(removed.len() == 1 && removed[0].contains(&admin_id), "{removed:?}");
    let res = post(&app, &admin, "/admin/clients/fresh/delete", &[("csrf", &csrf), ("confirm", "on")]).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_key_list_shows_no_private_material_and_the_signing_key_is_not_retired() {
    let app = TestApp::spawn().await;
    let reviewer = signed_in(&app, SCHOOL1, "admin1").await;
    assert_eq!(page(&app, &reviewer, "/admin/keys").await.0, 403, "AB-05: a reviewer");
    staff_grant(&app.config, &grant("admin1", "system-admin", None)).await.unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;
    let (status, html) = page(&app, &admin, "/admin/keys").await;
    assert_eq!(status, 200);
    assert!(!html.contains("\"d\"") && !html.contains("PRIVATE"), "no private material");
    let csrf = hidden(&html, "csrf").unwrap();
    let keys = || app.app().keys.key_summaries();
    let active = keys().into_iter().find(|k| k.state == propusk::token::KeyState::Active).unwrap();
    assert!(html.contains(&active.kid) && html.contains("активный"));

    let before = app.app().store.signing_keys().await.unwrap();
    let res = post(&app, &admin, &format!("/admin/keys/{}/retire", active.kid), &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("нельзя вывести"));
    assert_eq!(app.app().store.signing_keys().await.unwrap(), before, "nothing changed");
    let res = post(&app, &admin, "/admin/keys/rotate", &[("alg", "RS256")]).await;
    assert_eq!(res.status(), 403, "AZ-12: no CSRF");
    assert_eq!(app.app().store.signing_keys().await.unwrap().len(), before.len());

    let res = post(&app, &admin, "/admin/keys/rotate", &[("csrf", &csrf), ("alg", "RS256")]).await;
    assert_eq!((res.status().as_u16(), location(&res).as_str()), (303, "/admin/keys"));
    let added = audit_of(&app, "key_added").await;
    assert!(!added.is_empty());
    let next = keys().into_iter().find(|k| k.state == propusk::token::KeyState::Next).unwrap();
    let (_, html) = page(&app, &admin, "/admin/keys").await;
    assert!(html.contains(&next.kid) && html.contains("следующий") && !html.contains("\"d\""));
    let res =
        post(&app, &admin, &format!("/admin/keys/{}/retire", next.kid), &[("csrf", &csrf), ("overlap_hours", "1")])
            .await;
    assert_eq!(res.status(), 303);
    assert_eq!(audit_of(&app, "key_retired").await.len(), 1);
    assert_eq!(page(&app, &admin, "/admin/keys").await.0, 200);
    let res = post(&app, &admin, "/admin/keys/nope/retire", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_new_client_gets_its_grant_types_and_a_pairwise_subject_from_the_form() {
    let app = TestApp::spawn().await;
    staff_grant(&app.config, &grant("admin1", "system-admin", None)).await.unwrap();
    let admin = signed_in(&app, SCHOOL1, "admin1").await;
    let (_, html) = page(&app, &admin, "/admin/clients/new").await;
    let csrf = hidden(&html, "csrf").unwrap();
    let mut form = new_form(&csrf, "paired", CB);
    form.extend([
        ("grant_types", "authorization_code client_credentials"),
        ("subject_type", "pairwise"),
        ("sector_identifier_uri", "https://sector.example/ids.json"),
    ]);
    let res = post(&app, &admin, "/admin/clients/new", &form).await;
    assert_eq!(res.status(), 200, "the secret page");
    let c = app.app().store.client("paired").await.unwrap().unwrap();
    assert_eq!(c.grant_types, ["authorization_code", "client_credentials"]);
    assert_eq!(
        (c.subject_type.as_str(), c.sector_identifier_uri.as_deref()),
        ("pairwise", Some("https://sector.example/ids.json"))
    );

    let mut bad = new_form(&csrf, "unpaired", CB);
    bad.push(("grant_types", "password"));
    let res = post(&app, &admin, "/admin/clients/new", &bad).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Ничего не сохранено"));
    assert!(app.app().store.client("unpaired").await.unwrap().is_none());
}
