//! `audit prune` (docs/audit.md «Retention»): events older than the period are exported
//! and removed, the chain still verifies from the signed anchor and against the
//! checkpoints taken before; a log that does not verify is never pruned.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::audit_chain::execute;
use crate::common::*;
use crate::support::*;

fn now() -> i64 {
    propusk::clock::Clock::now(&propusk::clock::SystemClock)
}

async fn rows(app: &TestApp) -> usize {
    let mut out = Vec::new();
    propusk::cli::audit_export(&app.config, None, &mut out).await.unwrap();
    String::from_utf8(out).unwrap().lines().count()
}

/// The demo seeded and a token issued in the past (the fixed clock's start, months ago),
/// a checkpoint, then a token today and another checkpoint.
async fn old_and_new(app: &TestApp, file: &std::path::Path) {
    let rp = Rp::confidential(app, "retention-rp").await;
    rp.tokens(app, "openid", "ivanova.mp").await;
    propusk::cli::audit_checkpoint(&app.config, Some(file)).await.unwrap();
    app.clock.as_ref().unwrap().set(now());
    rp.tokens(app, "openid", "ivanov.is").await;
    propusk::cli::audit_checkpoint(&app.config, Some(file)).await.unwrap();
}

#[tokio::test]
async fn audit_prune_exports_old_events_and_the_chain_verifies_from_its_anchor() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints.jsonl");
    old_and_new(&app, &checkpoints).await;
    let before = rows(&app).await;

    let export = dir.path().join("export.jsonl");
    let pruned = propusk::cli::audit_prune(&app.config, &export, Some(30)).await.unwrap();
    let (first, last) = pruned.range.expect("old events removed");
    assert_eq!(first, 1);
    let exported = std::fs::read_to_string(&export).unwrap();
    assert_eq!(exported.lines().count() as i64, pruned.rows);
    assert_eq!(exported.lines().last().map(|l| l.contains(&format!("\"seq\":{last},"))), Some(true), "{exported}");
    assert_eq!(rows(&app).await, before - pruned.rows as usize + 1, "the old rows gone, `audit_pruned` added");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&export).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the export is its owner's only");

    let report = propusk::cli::audit_verify_report(&app.config, Some(&checkpoints)).await.unwrap();
    assert_eq!(report.pruned_upto, Some(last));
    // The older checkpoint saw the last old row, the anchor's own: it agrees with the anchor.
    assert_eq!(report.checkpoints, 2, "{report:?}");

    // The export is never overwritten, and a second run has nothing to remove.
    let again = propusk::cli::audit_prune(&app.config, &export, Some(30)).await.unwrap_err();
    assert_eq!(again.exit_code(), 2, "{again}");
    let none = propusk::cli::audit_prune(&app.config, &dir.path().join("2.jsonl"), Some(30)).await.unwrap();
    assert_eq!(none.rows, 0);

    // A row removed behind the anchor's back breaks the link to it.
    execute(&app.config.database.url, "DELETE FROM audit_events WHERE seq = (SELECT MIN(seq) FROM audit_events)").await;
    let err = propusk::cli::audit_verify(&app.config).await.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("audit row"), "the break is named: {err}");
}

#[tokio::test]
async fn audit_prune_needs_a_period_and_never_prunes_a_broken_log() {
    let app = TestApp::spawn_with(|_| {}, true).await;
    let dir = tempfile::tempdir().unwrap();
    old_and_new(&app, &dir.path().join("cp.jsonl")).await;
    let export = dir.path().join("export.jsonl");
    let err = propusk::cli::audit_prune(&app.config, &export, None).await.unwrap_err();
    assert_eq!(err.exit_code(), 2, "audit.retention_days is 0 by default: {err}");

    execute(
        &app.config.database.url,
        "UPDATE audit_events SET data = REPLACE(data, '\"retention-rp\"', '\"other-rp\"') \
         WHERE seq = (SELECT MAX(seq) FROM audit_events WHERE kind = 'token_issued')",
    )
    .await;
    let before = rows(&app).await;
    let err = propusk::cli::audit_prune(&app.config, &export, Some(30)).await.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("nothing removed"), "{err}");
    assert_eq!(rows(&app).await, before, "nothing removed");
    assert!(!export.exists(), "no export beside a log left whole");
}
