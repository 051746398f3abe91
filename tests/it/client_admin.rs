//! `clients update` and `clients rotate-secret` seen by a running server: the new
//! secret at once and the old one only through the chosen overlap, a display name on
//! the consent page, bad changes refused with exit code 2 and nothing stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use propusk::cli::{AddClient, UpdateArgs, clients_rotate_secret, clients_show, clients_update};
use std::time::Duration;

/// Polls `/token` with `client_credentials` until it answers `status` (the registry
/// sees a CLI change within its cache bound); the last answer.
async fn until_status(app: &TestApp, rp: &Rp, status: u16) -> Answer {
    let mut last = rp.call(app, "/token", &[("grant_type", "client_credentials")]).await;
    for _ in 0..70 {
        if last.status == status {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = rp.call(app, "/token", &[("grant_type", "client_credentials")]).await;
    }
    last
}

#[tokio::test]
async fn tk_02_a_rotated_secret_works_at_once_and_the_old_one_only_through_its_overlap() {
    let app = TestApp::spawn().await;
    let old = app
        .add_client(AddClient {
            id: "machine".into(),
            grant_types: vec!["client_credentials".into()],
            scope: Some("openid".into()),
            ..Default::default()
        })
        .await;
    let rp =
        |secret: &str| Rp { id: "machine".into(), secret: Some(secret.into()), redirect: String::new(), post: false };
    let old = rp(&old.unwrap());
    assert_eq!(old.call(&app, "/token", &[("grant_type", "client_credentials")]).await.status, 200);

    let until = (propusk::clock::Clock::now(&propusk::clock::SystemClock) + 600).to_string();
    let out = clients_rotate_secret(&app.config, "machine", Some(&until)).await.unwrap();
    assert_eq!(out["old_secret_valid_until"].as_i64().unwrap().to_string(), until);
    let second = rp(out["client_secret"].as_str().unwrap());
    assert_eq!(until_status(&app, &second, 200).await.status, 200, "the new secret");
    assert_eq!(old.call(&app, "/token", &[("grant_type", "client_credentials")]).await.status, 200, "overlap");

    // Rotated again without an overlap: only the newest secret is accepted.
    let out = clients_rotate_secret(&app.config, "machine", None).await.unwrap();
    assert!(out["old_secret_valid_until"].is_null());
    let third = rp(out["client_secret"].as_str().unwrap());
    assert_eq!(until_status(&app, &third, 200).await.status, 200);
    until_status(&app, &second, 401).await.assert_error(401, "invalid_client", "the second secret, no overlap");
    old.call(&app, "/token", &[("grant_type", "client_credentials")]).await.assert_error(
        401,
        "invalid_client",
        "the first secret is gone with the second rotation",
    );
    assert!(!clients_show(&app.config, "machine").await.unwrap().to_string().contains("secret_hash"));

    let bad = clients_rotate_secret(&app.config, "machine", Some("tomorrow")).await.unwrap_err();
    assert_eq!(bad.exit_code(), 2, "{bad}");
    assert!(clients_rotate_secret(&app.config, "demo-diary", None).await.unwrap_err().to_string().contains("public"));
    assert_eq!(clients_rotate_secret(&app.config, "nobody", None).await.unwrap_err().exit_code(), 1);
    assert_eq!(until_status(&app, &third, 200).await.status, 200, "a refused rotation changed nothing");
}

#[tokio::test]
async fn clients_update_changes_what_it_names_and_refuses_a_bad_change_whole() {
    let app = TestApp::spawn().await;
    app.add_client(AddClient {
        id: "diary".into(),
        redirect_uris: vec![RP_CB.into()],
        consent: Some("explicit".into()),
        ..Default::default()
    })
    .await;
    let before = clients_show(&app.config, "diary").await.unwrap();
    let bad = UpdateArgs {
        id: "diary".into(),
        display_name: Some("Дневник".into()),
        redirect_uris: vec!["javascript:alert(1)".into()],
        ..Default::default()
    };
    let e = clients_update(&app.config, &bad).await.unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("--redirect-uri"), "{e}");
    assert_eq!(clients_show(&app.config, "diary").await.unwrap(), before, "nothing of a refused change is stored");

    let good = UpdateArgs {
        id: "diary".into(),
        display_name: Some("Электронный дневник".into()),
        access_token_ttl: Some(120),
        ..Default::default()
    };
    let after = clients_update(&app.config, &good).await.unwrap();
    assert_eq!(after["redirect_uris"], before["redirect_uris"], "what is not named is kept");
    let audit = crate::esia_support::audit_of(&app, "client_changed").await;
    assert_eq!(audit.len(), 1, "{audit:?}");

    // The consent page names the client by its display name.
    let rp = Rp { id: "diary".into(), secret: None, redirect: RP_CB.into(), post: false };
    let mut named = false;
    for _ in 0..70 {
        let http = browser();
        let consent = login_for_code(&app, &http, &rp.authorize(&app, "openid profile"), "ivanova.mp").await;
        assert!(consent.starts_with("/consent"), "{consent}");
        let page = http.get(app.url(&consent)).send().await.unwrap().text().await.unwrap();
        if page.contains("Электронный дневник") {
            named = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(named, "the consent page shows the display name");
    let missing = UpdateArgs { id: "nobody".into(), ..Default::default() };
    assert_eq!(clients_update(&app.config, &missing).await.unwrap_err().exit_code(), 1);
}
