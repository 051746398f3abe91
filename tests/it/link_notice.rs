//! BR-06 over HTTP: linking a Госуслуги account to a school account, and unlinking
//! it from /account, email the school account's own address (the files transport
//! of the test app writes them as `.eml`).

use crate::common::*;
use crate::esia_support::*;
use std::time::Duration;

/// The subjects of the emails delivered to `to` so far (waits up to 10 s for `n`).
async fn subjects_to(app: &TestApp, to: &str, n: usize) -> Vec<String> {
    let dir = app.config.mail.dir.clone();
    let mut subjects = Vec::new();
    for _ in 0..100 {
        subjects = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                    .filter_map(|raw| {
                        let m = mail_parser::MessageParser::default().parse(&raw)?;
                        let addressed = m.to()?.first()?.address()? == to;
                        addressed.then(|| m.subject().unwrap_or_default().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        if subjects.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    subjects
}

#[tokio::test]
async fn br_06_link_and_unlink_notify_the_account_email() {
    let app = TestApp::spawn().await;
    let store = &app.app().store;
    let mut smirnova = store.account_by_login(SCHOOL1, "smirnova.ov").await.unwrap().unwrap();
    smirnova.email = Some("smirnova.school@example.ru".into());
    let batch = propusk::store::DirectoryBatch { accounts: vec![smirnova], ..Default::default() };
    store.import_directory(&batch, &propusk::audit::AuditEvent::DemoSeeded).await.unwrap();

    let (http, next) = to_not_found(&app, "parent", "smirnova@example.ru").await;
    let res = submit_link(&app, &http, &flow_of(&app, &next), "smirnova.ov", PASSWORD).await;
    assert_eq!(res.status(), 303, "linked");
    let subjects = subjects_to(&app, "smirnova.school@example.ru", 1).await;
    assert_eq!(subjects, ["К учетной записи привязана учетная запись портала Госуслуг"]);

    let http = browser();
    let html = password_login_to_account(&app, &http, "smirnova.ov").await;
    let res = post(&app, &http, "/account/esia/unlink", &[("csrf", &hidden(&html, "csrf").unwrap())]).await;
    assert_eq!(res.status(), 200);
    let subjects = subjects_to(&app, "smirnova.school@example.ru", 2).await;
    assert!(subjects.iter().any(|s| s == "Учетная запись портала Госуслуг отвязана"), "{subjects:?}");
}
