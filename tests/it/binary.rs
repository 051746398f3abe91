//! The real `propusk` binary run by tests: a command with the environment's
//! `PROPUSK_*` removed, a server process killed when the test ends, free ports, and
//! waiting for `/healthz`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_propusk");

/// `propusk ARGS` run in `cwd`, with no `PROPUSK_*` from the test's environment.
pub fn command(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("PROPUSK_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

pub fn run(cwd: &Path, args: &[&str]) -> Output {
    command(cwd, args).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process, killed when the test ends however it ends.
pub struct Server(pub Child);

impl Server {
    pub fn spawn(mut cmd: Command) -> Self {
        Self(cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (up to 15 s) until `url` answers 200.
pub async fn wait_ok(url: &str) -> bool {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    for _ in 0..150 {
        if http.get(url).send().await.is_ok_and(|r| r.status() == 200) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Waits (up to 15 s) until `url` answers at all (any status).
pub async fn wait_up(url: &str) -> bool {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    for _ in 0..150 {
        if http.get(url).send().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Runs `sql` on the database at `url` with the `sqlite3` or `psql` client.
pub fn sql(url: &str, statement: &str) {
    let out = match url.strip_prefix("sqlite://") {
        Some(file) => Command::new("sqlite3").arg(file).arg(statement).output().unwrap(),
        None => Command::new("psql").arg(url).arg("-qc").arg(statement).output().unwrap(),
    };
    assert!(out.status.success(), "{statement}: {}", String::from_utf8_lossy(&out.stderr));
}
