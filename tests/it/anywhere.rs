//! `propusk serve --demo` from a directory that holds nothing (CONTRACT.md §1): the
//! demo personas, the sandbox's keys and certificates and the static files come with
//! the binary; the database and the master key are created there, owner-only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_demo_runs_from_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_propusk"));
    cmd.args(["serve", "--demo"]).current_dir(dir.path()).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("PROPUSK_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("PROPUSK_ISSUER", &base).env("PROPUSK_SERVER__LISTEN", format!("127.0.0.1:{port}"));
    let _server = Server(cmd.spawn().unwrap());
    let http = browser();
    let mut up = false;
    for _ in 0..150 {
        if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the demo starts from an empty directory");
    let css = http.get(format!("{base}/static/propusk.css")).send().await.unwrap();
    assert_eq!(css.status(), 200, "static files come with the binary");
    assert_eq!(submit_login(&http, &base, "/login", "ivanova.mp", PASSWORD).await.status(), 303, "demo data");
    // The sandbox loaded its built-in personas and keys: its authorization endpoint answers.
    let sandbox = http.get(format!("{base}/esia-sandbox/aas/oauth2/v2/ac")).send().await.unwrap();
    assert!(sandbox.status().is_client_error(), "the sandbox is mounted: {}", sandbox.status());
    for created in ["data/propusk.db", "keys/master.key"] {
        assert!(dir.path().join(created).is_file(), "{created} is created in the working directory");
    }
    assert!(!dir.path().join("config").exists(), "nothing is read from a config/ directory");
}

/// `propusk --config /some/dir/propusk.toml serve --demo` from an unrelated empty
/// working directory: every relative path of the configuration (here all defaults)
/// resolves against the config file's directory.
#[tokio::test]
async fn serve_demo_with_only_a_config_file() {
    let conf = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let port = crate::binary::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = conf.path().join("propusk.toml");
    std::fs::write(&config, format!("issuer = \"{base}\"\n[server]\nlisten = \"127.0.0.1:{port}\"\n")).unwrap();
    let cmd = crate::binary::command(cwd.path(), &["--config", config.to_str().unwrap(), "serve", "--demo"]);
    let _server = crate::binary::Server::spawn(cmd);
    assert!(crate::binary::wait_ok(&format!("{base}/healthz")).await, "the demo starts with only a config file");
    let http = browser();
    assert_eq!(submit_login(&http, &base, "/login", "ivanova.mp", PASSWORD).await.status(), 303, "demo login");
    for created in ["data/propusk.db", "keys/master.key"] {
        assert!(conf.path().join(created).is_file(), "{created} is created next to the config");
    }
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing is written to the working directory: {left:?}");
}
