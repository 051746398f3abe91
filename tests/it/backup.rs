//! Backups restored (docs/deployment.md): an online copy of the running server's
//! database (SQLite `VACUUM INTO`, PostgreSQL `pg_dump -Fc`), restored into a new
//! database, a server started on it with the same master key, and a token issued before
//! the backup still verifies (introspection, JWKS).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::binary::{self, Server, free_port};
use crate::common::fresh_database;
use serde_json::Value;
use std::path::Path;

const SECRET: &str = "backup-test-secret-0123456789-abcdefgh";

fn write_config(conf: &Path, url: &str, port: u16) {
    let toml = format!(
        "issuer = \"http://127.0.0.1:{port}\"\n[server]\nlisten = \"127.0.0.1:{port}\"\n\
         [database]\nurl = \"{url}\"\n[keys]\nmaster_key_file = \"keys/master.key\"\n"
    );
    std::fs::write(conf.join("propusk.toml"), toml).unwrap();
}

fn propusk(conf: &Path, args: &[&str]) -> std::process::Output {
    let config = conf.join("propusk.toml");
    let mut all = vec!["--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    binary::run(conf, &all)
}

async fn serve(conf: &Path, port: u16) -> Server {
    let config = conf.join("propusk.toml");
    let server = Server::spawn(binary::command(conf, &["--config", config.to_str().unwrap(), "serve"]));
    assert!(binary::wait_ok(&format!("http://127.0.0.1:{port}/healthz")).await, "the server starts");
    server
}

async fn token(base: &str) -> String {
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/token"))
        .basic_auth("backup-rp", Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap_or_else(|| panic!("a token: {body}")).to_owned()
}

async fn active(base: &str, token: &str) -> bool {
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/introspect"))
        .basic_auth("backup-rp", Some(SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["active"].as_bool().unwrap_or(false)
}

/// The `kid` of a JWT's header.
fn kid(jwt: &str) -> String {
    use base64::Engine as _;
    let header = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn backup_online_and_restore() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let conf = tempfile::tempdir().unwrap();
    let conf = conf.path();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (url, _pg) = fresh_database(&conf.join("live"));
    std::fs::create_dir_all(conf.join("live")).unwrap();
    write_config(conf, &url, port);
    let out = propusk(
        conf,
        &["clients", "add", "--id", "backup-rp", "--secret", SECRET, "--grant-type", "client_credentials"],
    );
    assert!(out.status.success(), "clients add: {}", binary::stderr(&out));
    let server = serve(conf, port).await;
    let before = token(&base).await;
    assert!(active(&base, &before).await, "the token is active before the backup");

    // The online copy, while the server runs.
    let backup_dir = tempfile::tempdir().unwrap();
    let restored = if let Some(file) = url.strip_prefix("sqlite://") {
        let copy = backup_dir.path().join("propusk-backup.db");
        binary::sql(&url, &format!("VACUUM INTO '{}'", copy.display()));
        drop(server);
        // Restore: the copy replaces the database (and its WAL) in place.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{file}{suffix}"));
        }
        std::fs::copy(&copy, file).unwrap();
        (url.clone(), None)
    } else {
        let dump = backup_dir.path().join("propusk.dump");
        let out = std::process::Command::new("pg_dump").args(["-Fc", "-f"]).arg(&dump).arg(&url).output().unwrap();
        assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
        drop(server);
        // Restore into a new, empty database.
        let (new_url, pg) = fresh_database(backup_dir.path());
        let out = std::process::Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "-d"])
            .arg(&new_url)
            .arg(&dump)
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_restore: {}", String::from_utf8_lossy(&out.stderr));
        (new_url, pg)
    };
    let (restored_url, _restored_pg) = restored;
    write_config(conf, &restored_url, port);
    let check = propusk(conf, &["check"]);
    assert!(check.status.success(), "check passes on the restored database: {}", binary::stderr(&check));
    let _server = serve(conf, port).await;
    assert!(active(&base, &before).await, "a token issued before the backup verifies after the restore");
    let jwks: Value = reqwest::get(format!("{base}/jwks")).await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().filter_map(|k| k["kid"].as_str()).collect();
    assert!(kids.contains(&kid(&before).as_str()), "its signing key is published again: {kids:?}");
    let after = token(&base).await;
    assert!(active(&base, &after).await, "the restored server issues tokens");
}
