//! What the fault suites share: the real `propusk` binary as a child process
//! (configured by `PROPUSK_*` variables, killed or stopped on purpose, always reaped),
//! its command line, a PostgreSQL cluster of the test's own (initdb in a temporary
//! directory on a free loopback port, never the shared server), and a fresh database
//! on the shared server (`TEST_POSTGRES_URL`) for the backends' matrix.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_propusk");

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The configuration of one installation, as environment variables.
#[derive(Debug, Clone)]
pub struct Install {
    pub port: u16,
    pub dir: PathBuf,
    pub db_url: String,
    pub master_key: String,
    pub extra: Vec<(String, String)>,
}

impl Install {
    pub fn new(dir: &Path, db_url: &str) -> Self {
        Self {
            port: free_port(),
            dir: dir.to_owned(),
            db_url: db_url.to_owned(),
            master_key: propusk::crypto::random_token(),
            extra: Vec::new(),
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("PROPUSK_ISSUER".to_owned(), self.base()),
            ("PROPUSK_SERVER__LISTEN".to_owned(), format!("127.0.0.1:{}", self.port)),
            ("PROPUSK_DATABASE__URL".to_owned(), self.db_url.clone()),
            ("PROPUSK_DATABASE__MAX_CONNECTIONS".to_owned(), "8".to_owned()),
            ("PROPUSK_KEYS__MASTER_KEY".to_owned(), self.master_key.clone()),
            ("PROPUSK_KEYS__MASTER_KEY_FILE".to_owned(), self.dir.join("master.key").display().to_string()),
            ("PROPUSK_MAIL__DIR".to_owned(), self.dir.join("mail").display().to_string()),
            ("PROPUSK_LOG__LEVEL".to_owned(), "warn".to_owned()),
        ];
        env.extend(self.extra.iter().cloned());
        env
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PROPUSK_")) {
            cmd.env_remove(k);
        }
        cmd.envs(self.env());
        cmd
    }

    /// Runs a subcommand of the CLI against this installation.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// `clients add …` that must succeed; returns the printed JSON.
    pub fn add_client(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["clients", "add"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        assert!(out.status.success(), "clients add: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Starts `propusk serve` (with `--demo` when asked) and waits until `/readyz` says ready.
    pub async fn serve(&self, demo: bool) -> Server {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("server.log")).unwrap();
        let mut cmd = self.command();
        cmd.arg("serve");
        if demo {
            cmd.arg("--demo");
        }
        let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::from(log)).spawn().unwrap();
        let mut server = Server { child: Some(child), log: self.dir.join("server.log") };
        server.wait_ready(&self.base(), Duration::from_secs(40)).await;
        server
    }
}

/// A running `propusk serve`; killed (SIGKILL) and reaped when dropped.
pub struct Server {
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    async fn wait_ready(&mut self, base: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let url = format!("{base}/readyz");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("propusk exited at start ({status}): {}", self.log_tail());
            }
            if http.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(Instant::now() < deadline, "propusk not ready within {within:?}: {}", self.log_tail());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: no shutdown, no flush, no goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM (graceful shutdown), then waits for the exit.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        text.get(start..).unwrap_or_default().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A fresh database on the shared server named by `TEST_POSTGRES_URL`, dropped when
/// the test ends; `None` (the PostgreSQL half is skipped) when the variable is unset.
pub struct SharedPgDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl SharedPgDb {
    pub fn create(prefix: &str) -> Option<Self> {
        let admin_url = std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
        let name = format!("{prefix}_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let out =
            Command::new("psql").arg(&admin_url).arg("-qc").arg(format!("CREATE DATABASE {name}")).output().unwrap();
        assert!(out.status.success(), "create database: {}", String::from_utf8_lossy(&out.stderr));
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
        Some(Self { url: format!("{base}/{name}"), admin_url, name })
    }
}

impl Drop for SharedPgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.admin_url)
            .arg("-qc")
            .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .output();
    }
}

/// A PostgreSQL cluster of the test's own: `initdb` into a temporary directory,
/// listening on a free loopback port only. As root it runs as the `postgres` OS
/// user (initdb refuses root) in a directory handed to that user. Dropping it
/// stops the cluster (immediate) and removes the directory.
pub struct OwnPg {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    as_postgres: bool,
}

impl OwnPg {
    /// `None` when no PostgreSQL server binaries are installed (the test is skipped).
    pub fn init() -> Option<Self> {
        let bin = pg_bindir()?;
        let as_postgres = output_of("id", &["-u"]).as_deref() == Some("0");
        let dir = tempfile::Builder::new().prefix("propusk-fault-pg").tempdir().unwrap();
        if as_postgres {
            let uid = output_of("id", &["-u", "postgres"])?.parse().ok()?;
            let gid = output_of("id", &["-g", "postgres"])?.parse().ok()?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let pg = Self { bin, dir, port: free_port(), as_postgres };
        let data = pg.data().display().to_string();
        let out = pg.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        Some(pg)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40",
            self.port,
            self.dir.path().display()
        );
        let (data, log) = (self.data().display().to_string(), self.dir.path().join("pg.log").display().to_string());
        let out = self.run("pg_ctl", &["-D", &data, "-o", &opts, "-l", &log, "-w", "-t", "20", "start"]);
        assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `pg_ctl stop -m immediate`: every backend quits at once, like a crash.
    pub fn stop_immediate(&self) {
        let data = self.data().display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "-t", "20", "stop"]);
    }
}

impl OwnPg {
    /// Ends every session of `application_name` from the server's side
    /// (`pg_terminate_backend`: the client sees 57P01 admin_shutdown).
    pub fn terminate_backends(&self, application_name: &str) -> usize {
        let sql = format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{application_name}'"
        );
        let out = Command::new("psql").arg(self.url()).arg("-Atc").arg(sql).output().unwrap();
        assert!(out.status.success(), "terminate: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
    }
}

impl Drop for OwnPg {
    fn drop(&mut self) {
        self.stop_immediate();
    }
}

fn output_of(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `PG_BINDIR`, else `pg_config --bindir`, else Debian's PostgreSQL 15 directory.
fn pg_bindir() -> Option<PathBuf> {
    let candidates = [
        std::env::var("PG_BINDIR").ok(),
        output_of("pg_config", &["--bindir"]),
        Some("/usr/lib/postgresql/15/bin".to_owned()),
    ];
    candidates.into_iter().flatten().map(PathBuf::from).find(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
}
