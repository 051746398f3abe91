//! The bench's output: one line per scenario as it finishes, then a Markdown
//! results table per pass and a targets table (figure, goal, PASS/MISS) that can be
//! pasted into docs/performance.md as is.

use super::baseline::Baseline;
use super::run::Phase;

/// One measured scenario.
pub struct ScenarioResult {
    pub id: &'static str,
    pub name: &'static str,
    pub phase: Phase,
    /// Server CPU (utime+stime) per successful request, microseconds.
    pub cpu_us_per_op: Option<f64>,
    /// Server CPU time over wall time of the run (100 % = the server core is saturated).
    pub server_cpu_pct: f64,
    /// The generator's own CPU time over wall time (100 % = the generator core is saturated).
    pub generator_cpu_pct: f64,
}

/// PostgreSQL counters per operation (a refresh in S4, a flow in S7), from
/// `pg_stat_database` deltas.
pub struct PgPerOp {
    pub commits: f64,
    pub rollbacks: f64,
    pub rows_written: f64,
    /// Cluster-wide WAL bytes (other databases on the server add to it).
    pub wal_bytes: f64,
    /// Rows written per operation by table (filled for S7), most first.
    pub tables: Vec<(String, f64)>,
}

/// One pass (one storage backend).
pub struct PassResult {
    pub backend: &'static str,
    pub scenarios: Vec<ScenarioResult>,
    pub idle_rss_kb: u64,
    /// RSS of the `--demo` start right after seeding (Argon2 hashing of the demo passwords).
    pub demo_idle_rss_kb: u64,
    pub peak_rss_kb: u64,
    /// Load averages at the end of the pass.
    pub loadavg: String,
    pub pg: Option<PgPerOp>,
    /// The same per SSO-cookie flow (S7).
    pub pg_sso: Option<PgPerOp>,
    /// S8, with its own server.
    pub s8: Option<super::esia::S8>,
    /// The reference provider side by side (SQLite pass, `BENCH_REFERENCE=1`).
    pub reference: Option<super::reference::Comparison>,
    /// The overload scenario (OV), when it ran.
    pub overload: Option<super::overload::Overload>,
}

impl PassResult {
    pub fn get(&self, id: &str) -> Option<&ScenarioResult> {
        self.scenarios
            .iter()
            .find(|s| s.id == id)
            .or_else(|| self.s8.as_ref().map(|s| &s.result).filter(|r| r.id == id))
    }
}

fn ms(us: Option<u32>) -> String {
    us.map(|u| format!("{:.2}", f64::from(u) / 1000.0)).unwrap_or_else(|| "–".to_owned())
}

pub fn num(x: f64) -> String {
    let whole = x.round() as u64;
    let s = whole.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One line as soon as a scenario finishes.
pub fn progress(backend: &str, s: &ScenarioResult) {
    let p = &s.phase;
    println!(
        "  [{backend}] {:<4} {:<34} {:>9} req/s  p50 {:>6} ms  p99 {:>6} ms  errors {:>5}  server CPU {:>7} µs/op  \
         busy: server {:>3.0} %, generator {:>3.0} %",
        s.id,
        s.name,
        num(p.rate()),
        ms(p.percentile(50)),
        ms(p.percentile(99)),
        p.errors,
        s.cpu_us_per_op.map(|c| format!("{c:.1}")).unwrap_or_else(|| "–".to_owned()),
        s.server_cpu_pct,
        s.generator_cpu_pct,
    );
    if let Some(e) = &p.first_error {
        println!("         first error: {e}");
    }
    if p.broken_chains > 0 {
        println!("         broken refresh chains: {}", p.broken_chains);
    }
}

pub fn results_table(pass: &PassResult) {
    println!("\n### Results: {} storage\n", pass.backend);
    println!("| Scenario | Requests/s | p50 ms | p99 ms | Errors | Server CPU µs/op | Server busy | Generator busy |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for s in pass.scenarios.iter().chain(pass.s8.as_ref().map(|s| &s.result)) {
        let p = &s.phase;
        println!(
            "| {} {} | {} | {} | {} | {} | {} | {:.0} % | {:.0} % |",
            s.id,
            s.name,
            num(p.rate()),
            ms(p.percentile(50)),
            ms(p.percentile(99)),
            p.errors,
            s.cpu_us_per_op.map(|c| format!("{c:.1}")).unwrap_or_else(|| "–".to_owned()),
            s.server_cpu_pct,
            s.generator_cpu_pct,
        );
    }
    println!(
        "\nServer RSS: idle after start {:.1} MB (the `--demo` start right after seeding: {:.1} MB), \
         peak after the runs {:.1} MB. Load average at the end: {}.",
        pass.idle_rss_kb as f64 / 1024.0,
        pass.demo_idle_rss_kb as f64 / 1024.0,
        pass.peak_rss_kb as f64 / 1024.0,
        pass.loadavg
    );
    if let Some(pg) = &pass.pg {
        println!(
            "PostgreSQL per refresh (S4): {:.3} commits, {:.3} rollbacks, {:.2} rows written, {:.0} WAL bytes (cluster-wide).",
            pg.commits, pg.rollbacks, pg.rows_written, pg.wal_bytes
        );
    }
    if let Some(pg) = &pass.pg_sso {
        println!(
            "PostgreSQL per SSO-cookie flow (S7): {:.3} commits (read-only autocommits included), {:.3} rollbacks, \
             {:.2} rows written, {:.0} WAL bytes (cluster-wide).",
            pg.commits, pg.rollbacks, pg.rows_written, pg.wal_bytes
        );
        let by_table: Vec<String> = pg.tables.iter().map(|(t, n)| format!("{t} {n:.2}")).collect();
        println!("Rows written per S7 flow by table: {}.", by_table.join(", "));
    }
    if let Some(s8) = &pass.s8 {
        println!(
            "S8: {} flows in flight, sandbox latency {} ms per token/REST answer, the callback goes on to {}; \
             sandbox busy {:.0} %; S8 server RSS idle {:.1} MB, peak (VmHWM) {:.1} MB.",
            s8.flows_in_flight,
            s8.latency_ms,
            s8.next_step,
            s8.sandbox_busy_pct,
            s8.idle_rss_kb as f64 / 1024.0,
            s8.peak_rss_kb as f64 / 1024.0
        );
    }
    if let Some(c) = &pass.reference {
        reference_table(c);
    }
}

fn reference_table(c: &super::reference::Comparison) {
    println!("\n### propusk and node-oidc-provider {} side by side (medians of 3 interleaved rounds)\n", c.version);
    println!(
        "| Scenario | propusk req/s | reference req/s | ratio | propusk CPU µs/req | reference CPU µs/req | CPU ratio | errors (p / r) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &c.rows {
        let ratio = if r.reference.0 > 0.0 { r.propusk.0 / r.reference.0 } else { 0.0 };
        let cpu_ratio = if r.propusk.1 > 0.0 { r.reference.1 / r.propusk.1 } else { 0.0 };
        println!(
            "| {} {} | {} | {} | {ratio:.2}× | {:.1} | {:.1} | {cpu_ratio:.2}× | {} / {} |",
            r.id,
            r.name,
            num(r.propusk.0),
            num(r.reference.0),
            r.propusk.1,
            r.reference.1,
            r.propusk.2,
            r.reference.2
        );
    }
    println!(
        "\nThe reference's S5 introspects an opaque access token (it refuses to introspect its JWT access tokens); \
         propusk's introspects its JWT access token. CPU ratio = reference µs ÷ propusk µs."
    );
}

pub struct Target {
    pub what: String,
    pub backend: &'static str,
    pub figure: String,
    pub goal: String,
    pub met: Option<bool>,
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "PASS",
        Some(false) => "MISS",
        None => "n/a",
    }
}

fn rate_target(out: &mut Vec<Target>, pass: &PassResult, id: &str, what: &str, goal: f64) {
    if let Some(s) = pass.get(id) {
        let r = s.phase.rate();
        out.push(Target {
            what: format!("{id} {what}"),
            backend: pass.backend,
            figure: format!("{}/s", num(r)),
            goal: format!("≥ {}/s", num(goal)),
            met: Some(r >= goal && s.phase.errors == 0),
        });
    }
}

fn targets(passes: &[PassResult], crypto: &Baseline) -> Vec<Target> {
    let rsa_rate = crypto.rsa2048;
    let mut out = Vec::new();
    for pass in passes {
        rate_target(&mut out, pass, "S1", "discovery", 30_000.0);
        rate_target(&mut out, pass, "S2", "JWKS", 30_000.0);
        rate_target(&mut out, pass, "S3a", "client_credentials ES256", 10_000.0);
        if let Some(s) = pass.get("S3a") {
            out.push(Target {
                what: "S3a ES256 server CPU per token".to_owned(),
                backend: pass.backend,
                figure: s.cpu_us_per_op.map(|c| format!("{c:.1} µs")).unwrap_or_else(|| "–".to_owned()),
                goal: "≤ 100 µs".to_owned(),
                met: s.cpu_us_per_op.map(|c| c <= 100.0),
            });
        }
        if let Some(s) = pass.get("S3b") {
            let ratio = if rsa_rate > 0.0 { s.phase.rate() / rsa_rate } else { 0.0 };
            out.push(Target {
                what: "S3b RS256 client_credentials vs RSA-2048 signing rate".to_owned(),
                backend: pass.backend,
                figure: format!("{:.0} % ({}/s of {}/s)", ratio * 100.0, num(s.phase.rate()), num(rsa_rate)),
                goal: "≥ 90 %".to_owned(),
                met: Some(ratio >= 0.9 && s.phase.errors == 0),
            });
        }
        rate_target(&mut out, pass, "S5", "introspection (JWT)", 15_000.0);
        if pass.backend == "postgres" {
            rate_target(&mut out, pass, "S4", "refresh rotation", 2_000.0);
            out.push(Target {
                what: "S4 commits per refresh".to_owned(),
                backend: pass.backend,
                figure: pass.pg.as_ref().map(|p| format!("{:.3}", p.commits)).unwrap_or_else(|| "–".to_owned()),
                goal: "exactly 1".to_owned(),
                met: pass.pg.as_ref().map(|p| (p.commits - 1.0).abs() < 0.05),
            });
        } else {
            rate_target(&mut out, pass, "S4", "refresh rotation (SQLite stands in for in-memory)", 8_000.0);
        }
        super::report_flows::flow_targets(&mut out, pass, crypto);
        out.push(Target {
            what: "idle RSS after start".to_owned(),
            backend: pass.backend,
            figure: format!("{:.1} MB", pass.idle_rss_kb as f64 / 1024.0),
            goal: "< 64 MB".to_owned(),
            met: Some(pass.idle_rss_kb < 64 * 1024),
        });
        out.push(Target {
            what: "peak RSS after the runs".to_owned(),
            backend: pass.backend,
            figure: format!("{:.1} MB", pass.peak_rss_kb as f64 / 1024.0),
            goal: "< 256 MB".to_owned(),
            met: Some(pass.peak_rss_kb < 256 * 1024),
        });
    }
    if !passes.iter().any(|p| p.backend == "postgres") {
        out.push(Target {
            what: "S4 commits per refresh".to_owned(),
            backend: "postgres",
            figure: "not run (set BENCH_POSTGRES_URL)".to_owned(),
            goal: "exactly 1".to_owned(),
            met: None,
        });
    }
    out
}

/// The final tables.
pub fn final_report(passes: &[PassResult], crypto: &Baseline) {
    let rsa_rate = crypto.rsa2048;
    let per = |r: f64| if r > 0.0 { 1e6 / r } else { 0.0 };
    println!("\n## Final report\n");
    println!(
        "In-process, one thread on the generator core: RSA-2048 signing (josekit) {}/s ({:.0} µs per signature), \
         ES256 {}/s ({:.0} µs per signature), argon2id verification with the server's parameters {:.1}/s \
         ({:.1} ms each).",
        num(rsa_rate),
        per(rsa_rate),
        num(crypto.es256),
        per(crypto.es256),
        crypto.argon2id,
        per(crypto.argon2id) / 1000.0
    );
    for pass in passes {
        results_table(pass);
        if let Some(ov) = &pass.overload {
            ov.print(pass.backend);
        }
    }
    println!("\n### Targets\n");
    println!("| Target | Storage | Figure | Goal | Verdict |");
    println!("|---|---|---:|---|---|");
    for t in targets(passes, crypto) {
        println!("| {} | {} | {} | {} | {} |", t.what, t.backend, t.figure, t.goal, verdict(t.met));
    }
    println!(
        "\nRates are per one server core (server pinned to CPU 0, one tokio worker; generator on CPU 1). \
         A rate target counts as met only with 0 errors. Latencies are closed-loop (coordinated omission not corrected)."
    );
}
