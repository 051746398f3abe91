//! The server under test as a child process: a fresh database (temp SQLite file or
//! a PostgreSQL database created and dropped through `psql`), clients registered
//! with the real CLI, `taskset -c 0` pinning, readiness polling, procfs readings
//! (CPU ticks, RSS), and guards that kill the child by PID and drop the database.

use anyhow::{Context as _, Result, anyhow, bail};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the database of one pass lives.
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

/// A PostgreSQL database created for one pass and dropped (`WITH (FORCE)`) on drop.
pub struct PgDb {
    pub admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub fn create(admin_url: &str, name: String) -> Result<Self> {
        psql(admin_url, &format!("CREATE DATABASE {name}"))?;
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or_else(|| admin_url.to_owned());
        let url = format!("{base}/{name}");
        Ok(Self { admin_url: admin_url.to_owned(), name, url })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = psql(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// Runs one SQL command through `psql` (unaligned, tuples only) and returns its output.
pub fn psql(url: &str, sql: &str) -> Result<String> {
    let out = Command::new("psql")
        .args([url, "-X", "-qAtc", sql])
        .stdin(Stdio::null())
        .output()
        .context("cannot run psql (is the PostgreSQL client installed?)")?;
    if !out.status.success() {
        bail!("psql `{sql}`: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The environment and files shared by the CLI calls and the server of one pass.
#[derive(Clone)]
pub struct Setup {
    pub exe: PathBuf,
    pub dir: PathBuf,
    pub addr: SocketAddr,
    pub issuer: String,
    pub db_url: String,
    pub log_level: String,
    /// A configuration file passed as `--config` (S8's `[esia]` section).
    pub config: Option<PathBuf>,
    /// More `PROPUSK_…` settings (the login throttle's limits, the edge's caps).
    pub env: Vec<(String, String)>,
}

impl Setup {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.current_dir(&self.dir)
            .env_remove("RUST_LOG")
            .env("PROPUSK_ISSUER", &self.issuer)
            .env("PROPUSK_SERVER__LISTEN", self.addr.to_string())
            .env("PROPUSK_DATABASE__URL", &self.db_url)
            .env("PROPUSK_KEYS__MASTER_KEY_FILE", self.dir.join("master.key"))
            .env("PROPUSK_SERVER__WORKER_THREADS", "1")
            .env("PROPUSK_LOG__LEVEL", &self.log_level)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        cmd
    }

    /// `propusk clients add …` (through the real CLI); returns the printed JSON.
    pub fn add_client(&self, args: &[&str]) -> Result<serde_json::Value> {
        let out = self.command().args(["clients", "add"]).args(args).output().context("run propusk clients add")?;
        if !out.status.success() {
            bail!("clients add {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        serde_json::from_slice(&out.stdout).context("clients add printed no JSON")
    }

    /// The client secret printed by `clients add`.
    pub fn add_secret_client(&self, args: &[&str]) -> Result<String> {
        let v = self.add_client(args)?;
        v.get("client_secret").and_then(|s| s.as_str()).map(str::to_owned).ok_or_else(|| anyhow!("no client_secret"))
    }

    /// Starts `taskset -c 0 propusk serve [--demo]` (taskset execs, so the PID is the server's).
    pub fn start(&self, pin: bool, demo: bool) -> Result<Server> {
        let (name, args): (&str, &[&str]) =
            if demo { ("server-demo.log", &["serve", "--demo"]) } else { ("server.log", &["serve"]) };
        self.spawn(pin.then_some("0"), args, name)
    }

    /// Starts `[taskset -c <cpus>] propusk <args>` with this pass's environment, its
    /// output in `log_name` of the pass directory.
    pub fn spawn(&self, cpus: Option<&str>, args: &[&str], log_name: &str) -> Result<Server> {
        let log_path = self.dir.join(log_name);
        let log = std::fs::File::create(&log_path).context("server log file")?;
        let err = log.try_clone().context("server log file")?;
        let mut cmd = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpus).arg(&self.exe);
                c
            }
            None => Command::new(&self.exe),
        };
        let template = self.command();
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        cmd.current_dir(&self.dir).stdin(Stdio::null()).stdout(log).stderr(err).args(args);
        let child = cmd.spawn().context("cannot start the server")?;
        Ok(Server { pid: child.id(), child: Some(child), log: log_path })
    }
}

/// The running server; killed by PID on drop.
pub struct Server {
    pub pid: u32,
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    /// Waits until `GET /healthz` answers 200 (the listener is bound before the app is built).
    pub async fn wait_ready(&mut self, addr: SocketAddr, limit: Duration) -> Result<()> {
        let start = Instant::now();
        let req = super::http::get(&addr.to_string(), "/healthz");
        while start.elapsed() < limit {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("the server exited with {status} during start; log:\n{}", self.log_tail());
            }
            if let Ok(mut conn) = super::http::Conn::connect(addr).await
                && let Ok(Ok(res)) = tokio::time::timeout(Duration::from_secs(2), conn.send(&req)).await
                && res.status == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not become ready within {limit:?}; log:\n{}", self.log_tail())
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
    pub fn status_kb(&self, field: &str) -> Result<u64> {
        status_kb(self.pid, field)
    }

    /// SIGTERM, up to 5 s for a graceful stop, then SIGKILL.
    pub async fn stop(mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        for _ in 0..50 {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// utime+stime (fields 14 and 15 of `/proc/<pid>/stat`), in clock ticks.
pub fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).context("read /proc/<pid>/stat")?;
    // The command name may contain spaces: count fields after its closing parenthesis.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).ok_or_else(|| anyhow!("malformed stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
    let num = |i: usize| -> Result<u64> {
        fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(|| anyhow!("malformed stat field {i}"))
    };
    Ok(num(11)? + num(12)?)
}

pub fn status_kb(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("read /proc/<pid>/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))
}

/// Clock ticks per second (`getconf CLK_TCK`).
pub fn clock_ticks_per_sec() -> Result<u64> {
    let out = Command::new("getconf").arg("CLK_TCK").output().context("run getconf CLK_TCK")?;
    String::from_utf8_lossy(&out.stdout).trim().parse().context("parse CLK_TCK")
}

/// A free loopback port (bound, read and released; the server binds it right after).
pub fn free_addr() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The CPUs this process may run on (`Cpus_allowed_list` of `/proc/self/status`).
pub fn allowed_cpus() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:").map(|v| v.trim().to_owned())))
        .unwrap_or_default()
}

/// A fresh private directory for one pass (removed by the returned guard).
pub fn temp_dir(prefix: &str) -> Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix(prefix).tempdir().context("create a temp dir")
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`): how busy the shared machine was.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Links the crate's `keys/`, `config/` and `static/` into the server's working
/// directory: `--demo` reads the ESIA sandbox's keys and personas from there, while
/// anything the server writes (mail files, data) stays in the temp directory.
pub fn link_assets(dir: &std::path::Path) -> Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["keys", "config", "static"] {
        let src = root.join(name);
        if src.exists() {
            std::os::unix::fs::symlink(&src, dir.join(name)).with_context(|| format!("link {name}/"))?;
        }
    }
    Ok(())
}
