//! The reference provider side by side (`BENCH_REFERENCE=1`, SQLite pass):
//! node-oidc-provider 9 from `bench/reference/`, installed with `npm ci` under the
//! target directory, started under `taskset -c 0` like propusk, then S1, S2, S3a
//! and S5 in interleaved rounds (propusk round, reference round, three times) with
//! the same request bytes (the same client id and secret), medians of requests/s
//! and of server CPU µs per request.
//!
//! The reference cannot introspect its own JWT access tokens (its
//! `rejectStructuredTokens` answers `unsupported_token_type`), so its S5 introspects
//! an opaque access token of the same client, issued for a second resource.

use super::Options;
use super::http::{Conn, form_value, get, json_str, post_form};
use super::measure::with_cpu;
use super::run::{Load, Phase, phase};
use super::server::{cpu_ticks, free_addr};
use anyhow::{Context as _, Result, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rounds per side; the medians are reported.
const ROUNDS: usize = 3;
/// The resource of `server.mjs` whose access tokens are opaque (for S5).
const OPAQUE_RESOURCE: &str = "urn:propusk-bench:opaque";
const FILES: [&str; 3] = ["package.json", "package-lock.json", "server.mjs"];

/// Medians of one scenario on both servers.
pub struct Row {
    pub id: &'static str,
    pub name: &'static str,
    /// (requests/s, server CPU µs per request, errors) of propusk and of the reference.
    pub propusk: (f64, f64, u64),
    pub reference: (f64, f64, u64),
}

pub struct Comparison {
    pub rows: Vec<Row>,
    pub version: String,
}

impl Comparison {
    pub fn get(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.id == id)
    }
}

/// The node process (it keeps nothing: killed outright on drop).
struct Node {
    pid: u32,
    child: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Copies `bench/reference/` to `<target>/bench-reference/` and runs `npm ci` there
/// unless the installed tree came from the same lock file.
fn install() -> Result<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/reference");
    let dir = target_dir().join("bench-reference");
    std::fs::create_dir_all(&dir)?;
    for f in FILES {
        std::fs::copy(src.join(f), dir.join(f)).with_context(|| format!("copy bench/reference/{f}"))?;
    }
    let lock = std::fs::read(dir.join("package-lock.json"))?;
    let stamp = dir.join("node_modules/.propusk-bench-lock");
    if std::fs::read(&stamp).ok().as_deref() != Some(lock.as_slice()) {
        println!("  reference: npm ci in {}…", dir.display());
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--omit=dev"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .context("cannot run npm (is Node.js installed?)")?;
        if !out.status.success() {
            bail!("npm ci failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        std::fs::write(&stamp, &lock)?;
    }
    Ok(dir)
}

fn version(dir: &Path) -> String {
    std::fs::read(dir.join("node_modules/oidc-provider/package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("version").and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn start(dir: &Path, addr: SocketAddr, pin: bool, client_id: &str, secret: &str) -> Result<Node> {
    let log = std::fs::File::create(dir.join("server.log"))?;
    let mut cmd = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", "node"]);
        c
    } else {
        Command::new("node")
    };
    cmd.arg("server.mjs")
        .current_dir(dir)
        .env("NODE_ENV", "production")
        .env("REF_PORT", addr.port().to_string())
        .env("REF_ISSUER", format!("http://{addr}"))
        .env("REF_CLIENT_ID", client_id)
        .env("REF_CLIENT_SECRET", secret)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    let child = cmd.spawn().context("cannot start node")?;
    Ok(Node { pid: child.id(), child })
}

async fn wait_ready(addr: SocketAddr, node: &mut Node) -> Result<()> {
    let start = Instant::now();
    let req = get(&addr.to_string(), "/.well-known/openid-configuration");
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(status) = node.child.try_wait()? {
            bail!("the reference exited with {status} during start");
        }
        if let Ok(mut conn) = Conn::connect(addr).await
            && let Ok(Ok(res)) = tokio::time::timeout(Duration::from_secs(2), conn.send(&req)).await
            && res.status == 200
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the reference did not become ready within 30 s")
}

async fn token(addr: SocketAddr, authorization: &str, body: &str) -> Result<String> {
    let mut conn = Conn::connect(addr).await?;
    let req = post_form(&addr.to_string(), "/token", Some(authorization), body);
    let res = tokio::time::timeout(Duration::from_secs(10), conn.send(&req)).await.context("token timed out")??;
    match json_str(&res.body, "access_token") {
        Some(t) if res.status == 200 => Ok(t.to_owned()),
        _ => bail!("token answered {}: {}", res.status, String::from_utf8_lossy(&res.body)),
    }
}

/// The four loads against one server.
fn loads(addr: SocketAddr, authorization: &str, introspected: &str) -> Vec<(&'static str, &'static str, Load)> {
    let host = addr.to_string();
    let fixed = |request: Vec<u8>, expect: &'static [u8]| Load::Fixed { request: Arc::new(request), expect };
    let introspect = format!("token={}&token_type_hint=access_token", form_value(introspected));
    vec![
        ("S1", "discovery", fixed(get(&host, "/.well-known/openid-configuration"), b"\"issuer\"")),
        ("S2", "JWKS", fixed(get(&host, "/jwks"), b"\"keys\"")),
        (
            "S3a",
            "client_credentials ES256 JWT (basic)",
            fixed(
                post_form(&host, "/token", Some(authorization), "grant_type=client_credentials"),
                b"\"access_token\"",
            ),
        ),
        (
            "S5",
            "introspection",
            fixed(post_form(&host, "/introspect", Some(authorization), &introspect), b"\"active\":true"),
        ),
    ]
}

async fn round(opts: &Options, addr: SocketAddr, pid: u32, loads: &[(&str, &str, Load)]) -> Result<Vec<(Phase, f64)>> {
    let mut out = Vec::new();
    for (_, _, load) in loads {
        let _ = phase(addr, load, opts.conns, opts.warmup, &mut []).await;
        let (p, server_secs, _) = with_cpu(pid, phase(addr, load, opts.conns, opts.duration, &mut [])).await?;
        out.push((p, server_secs));
    }
    Ok(out)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn medians(runs: &[Vec<(Phase, f64)>], i: usize) -> (f64, f64, u64) {
    let rate = median(runs.iter().map(|r| r[i].0.rate()).collect());
    let cpu = median(runs.iter().map(|r| r[i].1 * 1e6 / r[i].0.ok.max(1) as f64).collect());
    (rate, cpu, runs.iter().map(|r| r[i].0.errors).sum())
}

/// The side-by-side rounds against propusk at `propusk` (its PID `pid`), whose
/// client `client_id` has `secret`; `propusk_at` is a propusk JWT access token for S5.
pub async fn run(
    opts: &Options,
    propusk: SocketAddr,
    pid: u32,
    client_id: &str,
    secret: &str,
    propusk_at: &str,
) -> Result<Comparison> {
    let dir = install()?;
    let addr = free_addr()?;
    let mut node = start(&dir, addr, opts.pin, client_id, secret)?;
    wait_ready(addr, &mut node).await?;
    cpu_ticks(node.pid)?;
    let authorization = super::http::basic_auth(client_id, secret);
    let opaque = token(addr, &authorization, &format!("grant_type=client_credentials&resource={OPAQUE_RESOURCE}"))
        .await
        .context("an opaque access token from the reference")?;
    let ours = loads(propusk, &authorization, propusk_at);
    let theirs = loads(addr, &authorization, &opaque);
    let version = version(&dir);
    println!(
        "  reference: node-oidc-provider {version} at http://{addr}, {ROUNDS} interleaved rounds of S1, S2, S3a, S5…"
    );
    let (mut p_runs, mut r_runs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        p_runs.push(round(opts, propusk, pid, &ours).await?);
        r_runs.push(round(opts, addr, node.pid, &theirs).await?);
    }
    let rows = ours
        .iter()
        .enumerate()
        .map(|(i, (id, name, _))| Row { id, name, propusk: medians(&p_runs, i), reference: medians(&r_runs, i) })
        .collect();
    for (i, (id, _, _)) in ours.iter().enumerate() {
        if let Some(e) = p_runs.iter().chain(&r_runs).find_map(|r| r[i].0.first_error.clone()) {
            println!("         {id} first error: {e}");
        }
    }
    drop(node);
    Ok(Comparison { rows, version })
}
