//! S8: the ESIA login against a slow upstream. `propusk esia-sandbox` runs as its
//! own process on the generator's CPU (`BENCH_S8_SANDBOX_CPUS`, default `1`) with `esia.sandbox.latency_ms` (200 ms before
//! every token and REST answer); a fresh `propusk serve` on the pass's database,
//! pinned to CPU 0, has `[esia]` pointed at it and its edge caps raised so that
//! `BENCH_S8_FLOWS` (1,500) flows can be in flight at once. They start spread over
//! 5 s; the run lasts `BENCH_SECS`, at least 10 s, ramp included.
//!
//! Each flow, with a fresh cookie jar: `/authorize` (PKCE S256) → `/login/esia`
//! (the role page) → the role posted (the signed ESIA request, the redirect to the
//! sandbox) → the sandbox's `/ac`, login and consent → `/login/esia/callback`, where
//! the server exchanges the code and reads the person's data from the sandbox, each
//! call answered after the latency. A flow succeeds when the callback redirects to
//! the journey's next page (the account decision after ESIA). What follows
//! (personal-data consent, the account chooser, the code for the client) is not driven.

use super::Options;
use super::browser::{Browser, hidden, query_param};
use super::flows::{FlowTarget, run_flows};
use super::measure::{scenario, with_cpu};
use super::report::ScenarioResult;
use super::server::{Setup, clock_ticks_per_sec, cpu_ticks, free_addr};
use anyhow::{Context as _, Result, anyhow, bail};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A demo persona of `config/esia-personas.json` (Иванова Мария Петровна, a parent).
const PERSONA_LOGIN: &str = "ivanova%40example.ru";
const PERSONA_PASSWORD: &str = "esia-demo";
/// One step of the flow may wait this long (the callback makes several slow calls).
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// The shortest measured run: one flow takes seconds (about ten sequential upstream
/// calls at 200 ms), so a 2-s quick-mode run would hold about one flow per loop.
const MIN_RUN: Duration = Duration::from_secs(10);
/// The flows start spread over this time rather than all in the same millisecond.
const RAMP: Duration = Duration::from_secs(5);

/// The S8 figures: the scenario row and the server's memory.
pub struct S8 {
    pub result: ScenarioResult,
    pub flows_in_flight: usize,
    pub latency_ms: u64,
    pub idle_rss_kb: u64,
    /// `VmHWM` of the S8 server after the run.
    pub peak_rss_kb: u64,
    /// Where the first successful callback sent the browser (path only).
    pub next_step: String,
    /// The sandbox's CPU time over wall time (100 %: its core, shared with the generator, was saturated).
    pub sandbox_busy_pct: f64,
}

fn sandbox_toml(sandbox: SocketAddr, issuer: &str, latency_ms: u64) -> String {
    format!(
        "[esia.sandbox]\nbase_url = \"http://{sandbox}\"\nlatency_ms = {latency_ms}\n\n\
         [[esia.sandbox.clients]]\nclient_id = \"PROPUSK\"\n\
         certificates = [\"keys/test-rp-rsa.crt\"]\nredirect_uris = [\"{issuer}/login/esia/callback\"]\n"
    )
}

fn server_toml(sandbox: SocketAddr, issuer: &str, flows: usize) -> String {
    let cap = (flows * 2 + 256).max(1024);
    format!(
        "[server]\nmax_in_flight = {cap}\nmax_connections = {cap}\n\n\
         [esia]\nenabled = true\nbase_url = \"http://{sandbox}\"\nclient_id = \"PROPUSK\"\n\
         redirect_uri = \"{issuer}/login/esia/callback\"\nissuer = \"http://esia-portal1.test.gosuslugi.ru/\"\n\
         certificates = [\"keys/test-esia-sandbox-rsa.crt\"]\nallow_http = true\n\n\
         [esia.signer]\nkind = \"openssl\"\nkey_file = \"keys/test-rp-rsa.key\"\ncert_file = \"keys/test-rp-rsa.crt\"\n"
    )
}

async fn wait_http(addr: SocketAddr, path: &str, limit: Duration) -> Result<()> {
    let start = Instant::now();
    let req = super::http::get(&addr.to_string(), path);
    while start.elapsed() < limit {
        if let Ok(mut conn) = super::http::Conn::connect(addr).await
            && let Ok(Ok(res)) = tokio::time::timeout(Duration::from_secs(2), conn.send(&req)).await
            && res.status == 200
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{addr}{path} did not answer 200 within {limit:?}")
}

/// One ESIA flow up to the callback's answer; `Ok` carries the callback's redirect path.
async fn esia_flow(b: &mut Browser, t: &FlowTarget) -> Result<String, String> {
    b.jar.clear();
    let (at, login_path) = b.redirected(t.addr, &t.authorize_path, None).await?;
    let flow = query_param(&login_path, "flow").ok_or_else(|| format!("no flow in {login_path}"))?;
    let role_path = format!("/login/esia?flow={}", super::http::form_value(&flow));
    let html = b.page(at, &role_path, None).await?;
    let csrf = hidden(&html, "csrf").ok_or("no csrf on the role page")?;
    let form = format!("flow={}&csrf={}&role=parent", super::http::form_value(&flow), super::http::form_value(&csrf));
    let (sandbox, ac_path) = b.redirected(at, "/login/esia", Some(&form)).await?;
    let html = b.page(sandbox, &ac_path, None).await?;
    let req = hidden(&html, "req").ok_or("no req on the sandbox login page")?;
    let req = super::http::form_value(&req);
    let form = format!("req={req}&login={PERSONA_LOGIN}&password={PERSONA_PASSWORD}");
    let html = b.page(sandbox, "/aas/oauth2/login", Some(&form)).await?;
    if !html.contains("name=\"action\" value=\"allow\"") {
        return Err("the sandbox showed no consent page".to_owned());
    }
    let (back, cb_path) =
        b.redirected(sandbox, "/aas/oauth2/consent", Some(&format!("req={req}&action=allow"))).await?;
    if !cb_path.starts_with("/login/esia/callback") {
        return Err(format!("the sandbox sent the browser to {cb_path}"));
    }
    let (_, next) = b.redirected(back, &cb_path, None).await?;
    if next.starts_with("/login/esia/refused") || next.contains("error=") {
        return Err(format!("the callback refused: {next}"));
    }
    Ok(next.split('?').next().unwrap_or_default().to_owned())
}

async fn esia_op(mut b: Browser, t: Arc<FlowTarget>) -> (Browser, Result<(), String>) {
    let r = esia_flow(&mut b, &t).await.map(|_| ());
    (b, r)
}

/// Runs S8 on `setup`'s database (the main server of the pass is stopped).
pub async fn run(opts: &Options, setup: &Setup, target: &FlowTarget) -> Result<S8> {
    let sandbox_addr = free_addr()?;
    let sandbox_cfg = setup.dir.join("s8-sandbox.toml");
    std::fs::write(&sandbox_cfg, sandbox_toml(sandbox_addr, &setup.issuer, opts.s8_latency_ms))?;
    let server_cfg = setup.dir.join("s8-server.toml");
    std::fs::write(&server_cfg, server_toml(sandbox_addr, &setup.issuer, opts.s8_flows))?;

    let sandbox_setup = Setup { config: Some(sandbox_cfg), ..setup.clone() };
    let listen = sandbox_addr.to_string();
    let sandbox_cpus = opts.pin.then_some(opts.s8_sandbox_cpus.as_str());
    let sandbox = sandbox_setup.spawn(sandbox_cpus, &["esia-sandbox", "--listen", &listen], "s8-sandbox.log")?;
    wait_http(sandbox_addr, "/public/esia.pem", Duration::from_secs(30)).await.context("the ESIA sandbox")?;

    let server_setup = Setup { config: Some(server_cfg), ..setup.clone() };
    let mut server = server_setup.spawn(opts.pin.then_some("0"), &["serve"], "s8-server.log")?;
    server.wait_ready(setup.addr, Duration::from_secs(120)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss_kb = server.status_kb("VmRSS")?;

    let target = Arc::new(target.clone());
    let mut probe = Browser::new(STEP_TIMEOUT);
    let next_step = esia_flow(&mut probe, &target).await.map_err(|e| anyhow!("S8 probe flow: {e}"))?;
    println!(
        "  S8: {} ESIA flows at once against the sandbox with {} ms per token/REST answer (the callback goes on to {next_step})…",
        opts.s8_flows, opts.s8_latency_ms
    );
    let browsers = (0..opts.s8_flows).map(|_| Browser::new(STEP_TIMEOUT)).collect();
    let sandbox0 = cpu_ticks(sandbox.pid)?;
    let ((measured, _), server_secs, gen_secs) =
        with_cpu(server.pid, run_flows(browsers, target, opts.duration.max(MIN_RUN), RAMP, esia_op)).await?;
    let sandbox_secs = cpu_ticks(sandbox.pid)?.saturating_sub(sandbox0) as f64 / clock_ticks_per_sec()? as f64;
    let sandbox_busy_pct = sandbox_secs / measured.elapsed.as_secs_f64().max(1e-9) * 100.0;
    let peak_rss_kb = server.status_kb("VmHWM")?;
    if measured.errors > 0 {
        let tail = server.log_tail();
        let lines: Vec<&str> = tail.lines().collect();
        println!("         S8 server log, last lines:\n{}", lines[lines.len().saturating_sub(3)..].join("\n"));
    }
    server.stop().await;
    let result = scenario("S8", "ESIA login, slow upstream (to the callback)", measured, server_secs, gen_secs);
    Ok(S8 {
        result,
        flows_in_flight: opts.s8_flows,
        latency_ms: opts.s8_latency_ms,
        idle_rss_kb,
        peak_rss_kb,
        next_step,
        sandbox_busy_pct,
    })
}
