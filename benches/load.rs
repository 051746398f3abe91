//! The load generator and performance report (`cargo bench --bench load`): the
//! release server pinned to CPU 0 with one worker, this generator pinned to CPU 1,
//! scenarios S1–S8 and the overload scenario OV on SQLite (and PostgreSQL when `BENCH_POSTGRES_URL` is set),
//! server CPU per operation, RSS, the in-process RSA-2048 signing and argon2id
//! verification rates, the reference provider side by side (`BENCH_REFERENCE=1`),
//! and a PASS/MISS table against the goals of the performance document.
//!
//! Options (environment): `BENCH_SECS` (10), `BENCH_WARMUP_SECS` (2),
//! `BENCH_CONNS` (32), `BENCH_FAMILIES` (32, at least `BENCH_CONNS`),
//! `BENCH_SCENARIOS` (e.g. `S1,S3a`; default all), `BENCH_POSTGRES_URL`,
//! `BENCH_PG_QUIET_SECS` (11), `BENCH_SERVER_LOG` (`warn`), `BENCH_NO_PIN=1`,
//! `BENCH_OVERLOAD_SECS` (60), `BENCH_REFERENCE=1`, `BENCH_S8_FLOWS` (1500),
//! `BENCH_S8_LATENCY_MS` (200), `BENCH_S8_SANDBOX_CPUS` (`1`).
//! Without the `--bench` argument (as under `cargo test --benches`) it does nothing.

#[path = "load/baseline.rs"]
mod baseline;
#[path = "load/browser.rs"]
mod browser;
#[path = "load/esia.rs"]
mod esia;
#[path = "load/flows.rs"]
mod flows;
#[path = "load/http.rs"]
mod http;
#[path = "load/measure.rs"]
mod measure;
#[path = "load/overload.rs"]
mod overload;
#[path = "load/pass.rs"]
mod pass;
#[path = "load/reference.rs"]
mod reference;
#[path = "load/report.rs"]
mod report;
#[path = "load/report_flows.rs"]
mod report_flows;
#[path = "load/run.rs"]
mod run;
#[path = "load/seed.rs"]
mod seed;
#[path = "load/server.rs"]
mod server;

use anyhow::{Context as _, Result};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

/// The run's settings, from the environment.
pub struct Options {
    pub exe: PathBuf,
    pub duration: Duration,
    pub warmup: Duration,
    pub conns: usize,
    pub families: usize,
    pub scenarios: Option<Vec<String>>,
    pub postgres: Option<String>,
    pub pg_quiet: Duration,
    pub log_level: String,
    pub pin: bool,
    /// Seconds of the overload scenario at three times the capacity.
    pub overload_secs: u64,
    /// Run node-oidc-provider side by side (SQLite pass).
    pub reference: bool,
    /// S8: ESIA flows in flight at once, and the sandbox's latency per token/REST answer.
    pub s8_flows: usize,
    pub s8_latency_ms: u64,
    /// The CPUs the S8 sandbox is pinned to (`taskset -c` syntax).
    pub s8_sandbox_cpus: String,
}

fn env_num(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse().with_context(|| format!("{name}: expected a number, got `{v}`"))
        }
        _ => Ok(default),
    }
}

impl Options {
    fn from_env(pin: bool) -> Result<Self> {
        let conns = env_num("BENCH_CONNS", 32)?.clamp(1, 4096) as usize;
        let scenarios = std::env::var("BENCH_SCENARIOS")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.split(',').map(|x| x.trim().to_ascii_uppercase()).collect());
        Ok(Self {
            exe: PathBuf::from(env!("CARGO_BIN_EXE_propusk")),
            duration: Duration::from_secs(env_num("BENCH_SECS", 10)?.clamp(1, 3600)),
            warmup: Duration::from_secs(env_num("BENCH_WARMUP_SECS", 2)?.min(600)),
            conns,
            families: env_num("BENCH_FAMILIES", 32)?.clamp(1, 4096) as usize,
            scenarios,
            postgres: std::env::var("BENCH_POSTGRES_URL").ok().filter(|s| !s.trim().is_empty()),
            pg_quiet: Duration::from_secs(env_num("BENCH_PG_QUIET_SECS", 11)?.min(120)),
            log_level: std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
            pin,
            overload_secs: env_num("BENCH_OVERLOAD_SECS", 60)?.clamp(1, 600),
            reference: std::env::var("BENCH_REFERENCE").is_ok_and(|v| !v.trim().is_empty() && v.trim() != "0"),
            s8_flows: env_num("BENCH_S8_FLOWS", 1500)?.clamp(1, 8000) as usize,
            s8_latency_ms: env_num("BENCH_S8_LATENCY_MS", 200)?.min(60_000),
            s8_sandbox_cpus: std::env::var("BENCH_S8_SANDBOX_CPUS")
                .ok()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "1".to_owned()),
        })
    }

    /// Whether scenario `id` runs (`S3` selects both `S3a` and `S3b`).
    pub fn wants(&self, id: &str) -> bool {
        match &self.scenarios {
            None => true,
            Some(list) => {
                list.iter().any(|s| id.eq_ignore_ascii_case(s) || id.to_ascii_uppercase().starts_with(s.as_str()))
            }
        }
    }
}

/// Re-executes this bench under `taskset -c 1` unless it already runs on CPU 1 only.
/// Returns the child's exit code when it re-executed, `None` to go on in this process.
fn pin_self() -> Option<ExitCode> {
    if std::env::var_os("BENCH_NO_PIN").is_some() || server::allowed_cpus() == "1" {
        return None;
    }
    if std::env::var_os("BENCH_PINNED").is_some() {
        eprintln!("load: taskset did not pin the generator to CPU 1; running unpinned");
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let status = Command::new("taskset")
        .arg("-c")
        .arg("1")
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env("BENCH_PINNED", "1")
        .status();
    match status {
        Ok(s) => Some(ExitCode::from(s.code().unwrap_or(1).clamp(0, 255) as u8)),
        Err(e) => {
            eprintln!("load: cannot run taskset ({e}); running unpinned");
            None
        }
    }
}

fn machine_line() -> String {
    let cmd = |c: &str, args: &[&str]| {
        Command::new(c)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']))
        .unwrap_or("?");
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    format!(
        "machine: {} CPUs ({model}), {:.1} GiB RAM; date {}; commit {}; generator CPUs {}; load average {}",
        cmd("nproc", &["--all"]),
        mem_kb as f64 / 1024.0 / 1024.0,
        cmd("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        cmd("git", &["rev-parse", "--short", "HEAD"]),
        server::allowed_cpus(),
        server::loadavg()
    )
}

async fn run(opts: Options, crypto: baseline::Baseline) -> Result<()> {
    let mut passes = vec![pass::run_pass(&opts, server::Backend::Sqlite).await?];
    if let Some(admin_url) = &opts.postgres {
        passes.push(pass::run_pass(&opts, server::Backend::Postgres { admin_url: admin_url.clone() }).await?);
    }
    report::final_report(&passes, &crypto);
    Ok(())
}

/// Resolves on the first SIGINT or SIGTERM.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

fn main() -> ExitCode {
    if !std::env::args().any(|a| a == "--bench") {
        println!("load: skipped (run it with `cargo bench --bench load`)");
        return ExitCode::SUCCESS;
    }
    if let Some(code) = pin_self() {
        return code;
    }
    let result = Options::from_env(std::env::var_os("BENCH_NO_PIN").is_none()).and_then(|opts| {
        println!("{}", machine_line());
        println!(
            "settings: {} s per scenario after {} s warm-up, {} connections, server pinned: {}",
            opts.duration.as_secs(),
            opts.warmup.as_secs(),
            opts.conns,
            opts.pin
        );
        let crypto = baseline::measure(Duration::from_secs(2))?;
        println!(
            "in-process: RSA-2048 {:.0}/s, ES256 {:.0}/s, argon2id verifications {:.1}/s",
            crypto.rsa2048, crypto.es256, crypto.argon2id
        );
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        // On SIGINT/SIGTERM the run is dropped, so its guards stop the server and drop the database.
        rt.block_on(async {
            tokio::select! {
                r = run(opts, crypto) => r,
                sig = interrupted() => Err(anyhow::anyhow!("stopped by {sig}")),
            }
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e:#}");
            ExitCode::FAILURE
        }
    }
}
