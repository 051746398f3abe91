//! The audit log is tamper-evident (DESIGN §3.9): `audit verify` accepts the
//! chain the server wrote and finds a row edited directly in the database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use crate::support::*;
use propusk::audit::search::Filter;
use sqlx::Connection as _;

/// Runs one SQL statement on the test database (SQLite file or PostgreSQL).
pub async fn execute(url: &str, sql: &'static str) -> u64 {
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let n = sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected();
        c.close().await.unwrap();
        n
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let n = sqlx::query(sql).execute(&mut c).await.unwrap().rows_affected();
        c.close().await.unwrap();
        n
    }
}

#[tokio::test]
async fn audit_verify_detects_edited_row() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "audit-rp").await;
    let t = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    rp.refresh(&app, &t.str("refresh_token"), None).await;
    submit_login(&browser(), &app.base, "/login", "ivanov.is", "wrong-password").await;
    let n = propusk::cli::audit_verify(&app.config).await.expect("the chain the server wrote verifies");
    assert!(n >= 5, "logins, tokens and rotation were audited: {n} rows");

    let edited = execute(
        &app.config.database.url,
        "UPDATE audit_events SET data = REPLACE(data, '\"audit-rp\"', '\"other-rp\"') \
         WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE kind = 'token_issued')",
    )
    .await;
    assert_eq!(edited, 1, "one row edited");
    let err = propusk::cli::audit_verify(&app.config).await.expect_err("an edited row is found");
    assert_eq!(err.exit_code(), 1);
    let msg = err.to_string();
    assert!(msg.contains("audit"), "the reason names the audit chain: {msg}");
}

#[tokio::test]
async fn audit_verify_detects_deleted_row() {
    let app = TestApp::spawn().await;
    let rp = Rp::public(&app, "audit-rp2").await;
    rp.tokens(&app, "openid", "ivanova.mp").await;
    propusk::cli::audit_verify(&app.config).await.expect("intact");
    let deleted = execute(
        &app.config.database.url,
        "DELETE FROM audit_events WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE kind = 'login_succeeded')",
    )
    .await;
    assert_eq!(deleted, 1);
    assert!(propusk::cli::audit_verify(&app.config).await.is_err(), "a deleted row is found");
}

/// The audit log as exported by `propusk audit export`: (kind, event) per row.
async fn exported(app: &TestApp) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    propusk::cli::audit_export(&app.config, None, &mut out).await.unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["kind"].as_str().unwrap().to_owned(), v["event"].clone())
        })
        .collect()
}

#[tokio::test]
async fn every_token_issued_is_one_event_with_its_jti() {
    let app = TestApp::spawn().await;
    let secret = app
        .add_client(propusk::cli::AddClient {
            id: "audit-all".into(),
            redirect_uris: vec![RP_CB.into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into(), "client_credentials".into()],
            ..Default::default()
        })
        .await;
    let rp = Rp { id: "audit-all".into(), secret, redirect: RP_CB.into(), post: false };
    let first = rp.tokens(&app, "openid offline_access", "ivanova.mp").await;
    let mut jtis = vec![jwt_claims(&first.str("access_token"))["jti"].as_str().unwrap().to_owned()];
    let mut refresh = first.str("refresh_token");
    for _ in 0..3 {
        let next = rp.refresh(&app, &refresh, None).await;
        assert_eq!(next.status, 200, "{}", next.text);
        jtis.push(jwt_claims(&next.str("access_token"))["jti"].as_str().unwrap().to_owned());
        refresh = next.str("refresh_token");
    }
    let cc = rp.call(&app, "/token", &[("grant_type", "client_credentials")]).await;
    assert_eq!(cc.status, 200, "{}", cc.text);
    jtis.push(jwt_claims(&cc.str("access_token"))["jti"].as_str().unwrap().to_owned());

    let issued: Vec<serde_json::Value> =
        exported(&app).await.into_iter().filter(|(k, _)| k == "token_issued").map(|(_, e)| e).collect();
    let logged: Vec<&str> = issued.iter().map(|e| e["token_id"].as_str().unwrap()).collect();
    assert_eq!(logged, jtis, "one event per token, in order, each with the token's jti");
    let grants: Vec<&str> = issued.iter().map(|e| e["grant_type"].as_str().unwrap()).collect();
    assert_eq!(grants, ["authorization_code", "refresh_token", "refresh_token", "refresh_token", "client_credentials"]);
    for e in &issued[..4] {
        assert_eq!(e["client_id"], "audit-all");
        assert!(e["subject"].is_string(), "the account: {e}");
        assert_eq!(e["amr"], serde_json::json!(["pwd"]), "{e}");
        assert!(e["session_id"].is_string(), "the session the grant came from: {e}");
        assert!(e["request_id"].is_string(), "the token request's id: {e}");
        assert_eq!(e["grant_id"], issued[0]["grant_id"], "one family");
    }
    assert!(issued[4]["subject"].is_null() && issued[4]["grant_id"].is_null(), "{}", issued[4]);

    // `audit search` finds a token's issuance by its jti, a client's issuances, one request.
    let found = |filter: Filter| {
        let config = app.config.clone();
        async move {
            let mut out = Vec::new();
            propusk::cli::audit_search(&config, &filter, None, &mut out).await.unwrap();
            String::from_utf8(out)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<serde_json::Value>>()
        }
    };
    let by_jti = found(Filter { token_id: Some(jtis[2].clone()), ..Filter::default() }).await;
    assert_eq!(by_jti.len(), 1, "{by_jti:?}");
    assert_eq!(by_jti[0]["event"]["grant_type"], "refresh_token");
    let request_id = by_jti[0]["event"]["request_id"].as_str().unwrap().to_owned();
    let by_request = found(Filter { request_id: Some(request_id), ..Filter::default() }).await;
    assert_eq!(by_request.len(), 1, "one token request, one event: {by_request:?}");
    let by_client =
        found(Filter { kind: Some("token_issued".into()), client_id: Some("audit-all".into()), ..Filter::default() })
            .await;
    assert_eq!(by_client.len(), 5);
    let mut out = Vec::new();
    let filter = Filter { client_id: Some("audit-all".into()), ..Filter::default() };
    assert_eq!(propusk::cli::audit_search(&app.config, &filter, Some(2), &mut out).await.unwrap(), 2, "--limit");
}

/// Writes a checkpoint now into `dir/checkpoints.jsonl` (the CLI's `audit checkpoint --out`).
async fn checkpoint(app: &TestApp, dir: &tempfile::TempDir) -> std::path::PathBuf {
    let file = dir.path().join("checkpoints.jsonl");
    propusk::cli::audit_checkpoint(&app.config, Some(&file)).await.unwrap();
    file
}

#[tokio::test]
async fn audit_verify_with_a_checkpoint_finds_a_truncated_log() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "audit-cp").await;
    rp.tokens(&app, "openid", "ivanova.mp").await;
    let dir = tempfile::tempdir().unwrap();
    let file = checkpoint(&app, &dir).await;
    rp.tokens(&app, "openid", "ivanov.is").await;
    let report = propusk::cli::audit_verify_report(&app.config, Some(&file)).await.unwrap();
    assert_eq!((report.unkeyed, report.checkpoints), (0, 1), "keyed from the first row; {report:?}");

    // The last rows cut off, the head moved back: the chain that is left is intact…
    execute(&app.config.database.url, "DELETE FROM audit_events WHERE seq > (SELECT MAX(seq) - 8 FROM audit_events)")
        .await;
    execute(
        &app.config.database.url,
        "UPDATE audit_head SET seq = (SELECT MAX(seq) FROM audit_events), \
         hash = (SELECT hash FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events))",
    )
    .await;
    propusk::cli::audit_verify(&app.config).await.expect("a truncated chain is still a chain");
    // …but not the log the checkpoint saw.
    let err = propusk::cli::audit_verify_report(&app.config, Some(&file)).await.expect_err("truncation is found");
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[tokio::test]
async fn audit_verify_with_a_checkpoint_names_a_rewritten_row() {
    let app = TestApp::spawn().await;
    let rp = Rp::confidential(&app, "audit-rw").await;
    rp.tokens(&app, "openid", "ivanova.mp").await;
    let dir = tempfile::tempdir().unwrap();
    let file = checkpoint(&app, &dir).await;
    execute(
        &app.config.database.url,
        "UPDATE audit_events SET data = REPLACE(data, '\"audit-rw\"', '\"other-rp\"') \
         WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE kind = 'token_issued')",
    )
    .await;
    let err = propusk::cli::audit_verify_report(&app.config, Some(&file)).await.expect_err("rewriting is found");
    assert!(err.to_string().contains("audit row"), "the break is named: {err}");

    // A checkpoint file edited to match is refused: its lines are signed.
    let text = std::fs::read_to_string(&file).unwrap().replace("\"seq\":", "\"seq\":1");
    std::fs::write(&file, text).unwrap();
    let err = propusk::cli::audit_verify_report(&app.config, Some(&file)).await.expect_err("forged checkpoint");
    assert!(err.to_string().contains("not signed"), "{err}");
}

#[tokio::test]
async fn the_binary_takes_and_checks_checkpoints() {
    let app = TestApp::spawn().await;
    Rp::confidential(&app, "audit-bin").await.tokens(&app, "openid", "ivanova.mp").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp.jsonl");
    let config = dir.path().join("propusk.toml");
    std::fs::write(&config, format!("[database]\nurl = \"{}\"\n", app.config.database.url)).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_propusk"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env_remove("PROPUSK_DATABASE__URL")
            .env("PROPUSK_KEYS__MASTER_KEY", app.config.keys.master_key.expose())
            .output()
            .unwrap()
    };
    let out = run(&["audit", "checkpoint", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["audit", "verify", "--checkpoint", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("agrees with 1 checkpoints"));
    let out = run(&["audit", "verify", "--checkpoint", dir.path().join("missing").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a missing checkpoint file is a usage error");
}
