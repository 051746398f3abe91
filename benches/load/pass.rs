//! One pass of the load run against one storage backend: fresh database, clients
//! registered through the CLI, the pinned server started, families seeded, then
//! S1–S5 with warm-up and measurement, server CPU and RSS from procfs, and for
//! PostgreSQL the `pg_stat_database` deltas around the refresh run; then the overload
//! scenario (OV, `overload.rs`).

use super::Options;
use super::http::{basic_auth, form_value, get, post_form};
use super::report::{PassResult, PgPerRefresh, ScenarioResult, progress};
use super::run::{Load, phase};
use super::seed;
use super::server::{
    Backend, PgDb, Setup, clock_ticks_per_sec, cpu_ticks, free_addr, link_assets, loadavg, psql, temp_dir,
};
use anyhow::{Context as _, Result, anyhow};
use std::sync::Arc;
use std::time::Duration;

/// `pg_stat_database` counters of one database, and the cluster's WAL position.
struct PgSnapshot {
    commits: f64,
    rollbacks: f64,
    rows_written: f64,
    wal_lsn: String,
}

fn pg_snapshot(admin_url: &str, db: &str) -> Result<PgSnapshot> {
    let row = psql(
        admin_url,
        &format!(
            "SELECT xact_commit, xact_rollback, tup_inserted + tup_updated + tup_deleted, pg_current_wal_lsn() \
             FROM pg_stat_database WHERE datname = '{db}'"
        ),
    )?;
    let f: Vec<&str> = row.split('|').collect();
    let n = |i: usize| -> Result<f64> {
        f.get(i).and_then(|v| v.parse().ok()).ok_or_else(|| anyhow!("pg_stat_database: {row}"))
    };
    Ok(PgSnapshot {
        commits: n(0)?,
        rollbacks: n(1)?,
        rows_written: n(2)?,
        wal_lsn: f.get(3).unwrap_or(&"0/0").to_string(),
    })
}

fn wal_diff(admin_url: &str, after: &str, before: &str) -> f64 {
    psql(admin_url, &format!("SELECT pg_wal_lsn_diff('{after}', '{before}')"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

struct Scenario {
    id: &'static str,
    name: &'static str,
    load: Load,
}

pub async fn run_pass(opts: &Options, backend: Backend) -> Result<PassResult> {
    let dir = temp_dir("propusk-bench-")?;
    link_assets(dir.path())?;
    let addr = free_addr()?;
    let host = addr.to_string();
    let issuer = format!("http://{host}");
    let pg = match &backend {
        Backend::Sqlite => None,
        Backend::Postgres { admin_url } => {
            let name = format!("propusk_bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            Some(PgDb::create(admin_url, name)?)
        }
    };
    let db_url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", dir.path().join("propusk.db").display()),
    };
    let setup = Setup {
        exe: opts.exe.clone(),
        dir: dir.path().to_owned(),
        addr,
        issuer: issuer.clone(),
        db_url,
        log_level: opts.log_level.clone(),
    };
    println!("\n== pass: {} storage (server at {issuer}) ==", backend.name());
    let es_secret = setup.add_secret_client(&[
        "--id",
        "bench-es",
        "--grant-type",
        "client_credentials",
        "--id-token-alg",
        "ES256",
    ])?;
    let rs_secret = setup.add_secret_client(&[
        "--id",
        "bench-rs",
        "--grant-type",
        "client_credentials",
        "--id-token-alg",
        "RS256",
    ])?;
    let rt_secret = setup.add_secret_client(&[
        "--id",
        "bench-rt",
        "--redirect-uri",
        seed::REDIRECT_URI,
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--scope",
        seed::REFRESH_SCOPE,
        "--id-token-alg",
        "ES256",
    ])?;

    // First start with --demo only to seed the demo school accounts (its Argon2
    // hashing leaves the allocator large); the runs use a plain `serve` on that database.
    let mut demo = setup.start(opts.pin, true)?;
    demo.wait_ready(addr, Duration::from_secs(120)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let demo_idle_rss_kb = demo.status_kb("VmRSS")?;
    demo.stop().await;
    let mut server = setup.start(opts.pin, false)?;
    server.wait_ready(addr, Duration::from_secs(120)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss_kb = server.status_kb("VmRSS")?;
    println!(
        "  server pid {}, idle RSS {:.1} MB (with --demo right after seeding: {:.1} MB)",
        server.pid,
        idle_rss_kb as f64 / 1024.0,
        demo_idle_rss_kb as f64 / 1024.0
    );

    let es_auth = basic_auth("bench-es", &es_secret);
    let rs_auth = basic_auth("bench-rs", &rs_secret);
    let rt_auth = basic_auth("bench-rt", &rt_secret);
    let cc_body = "grant_type=client_credentials";
    let at = seed::client_credentials_token(addr, &es_auth).await.context("seed an access token for S5")?;
    let introspect_body = format!("token={}&token_type_hint=access_token", form_value(&at));
    let families = opts.conns.max(opts.families);
    let mut chains = if opts.wants("S4") {
        println!("  seeding {families} refresh-token families through real logins…");
        seed::refresh_families(&issuer, "bench-rt", &rt_secret, families).await?
    } else {
        Vec::new()
    };

    let fixed = |request: Vec<u8>, expect: &'static [u8]| Load::Fixed { request: Arc::new(request), expect };
    let scenarios = [
        Scenario {
            id: "S1",
            name: "discovery",
            load: fixed(get(&host, "/.well-known/openid-configuration"), b"\"issuer\""),
        },
        Scenario { id: "S2", name: "JWKS", load: fixed(get(&host, "/jwks"), b"\"keys\"") },
        Scenario {
            id: "S3a",
            name: "client_credentials ES256 (basic)",
            load: fixed(post_form(&host, "/token", Some(&es_auth), cc_body), b"\"access_token\""),
        },
        Scenario {
            id: "S3b",
            name: "client_credentials RS256 (basic)",
            load: fixed(post_form(&host, "/token", Some(&rs_auth), cc_body), b"\"access_token\""),
        },
        Scenario {
            id: "S5",
            name: "introspection of a JWT AT",
            load: fixed(post_form(&host, "/introspect", Some(&es_auth), &introspect_body), b"\"active\":true"),
        },
        Scenario {
            id: "S4",
            name: "refresh_token rotation (ES256)",
            load: Load::Refresh { host: host.clone(), authorization: rt_auth },
        },
    ];

    let ticks = clock_ticks_per_sec()? as f64;
    let mut results = Vec::new();
    let mut pg_per_refresh = None;
    for sc in scenarios.into_iter().filter(|s| opts.wants(s.id)) {
        let is_refresh = matches!(sc.load, Load::Refresh { .. });
        let conns = if is_refresh { opts.conns.min(chains.len()) } else { opts.conns };
        let _ = phase(addr, &sc.load, conns, opts.warmup, &mut chains).await;
        let pg_before = match (&pg, is_refresh) {
            (Some(db), true) => {
                // Idle backends publish their statistics within 10 s (PGSTAT_IDLE_INTERVAL).
                tokio::time::sleep(opts.pg_quiet).await;
                Some(pg_snapshot(&db.admin_url, &db.name)?)
            }
            _ => None,
        };
        let (cpu0, gen0) = (server.cpu_ticks()?, cpu_ticks(std::process::id())?);
        let measured = phase(addr, &sc.load, conns, opts.duration, &mut chains).await;
        let (cpu1, gen1) = (server.cpu_ticks()?, cpu_ticks(std::process::id())?);
        let server_secs = cpu1.saturating_sub(cpu0) as f64 / ticks;
        let gen_secs = gen1.saturating_sub(gen0) as f64 / ticks;
        let wall = measured.elapsed.as_secs_f64().max(1e-9);
        let cpu_us_per_op = (measured.ok > 0).then(|| server_secs * 1e6 / measured.ok as f64);
        if let (Some(db), Some(before)) = (&pg, pg_before) {
            tokio::time::sleep(opts.pg_quiet).await;
            let after = pg_snapshot(&db.admin_url, &db.name)?;
            let n = (measured.ok + measured.errors).max(1) as f64;
            pg_per_refresh = Some(PgPerRefresh {
                commits: (after.commits - before.commits) / n,
                rollbacks: (after.rollbacks - before.rollbacks) / n,
                rows_written: (after.rows_written - before.rows_written) / n,
                wal_bytes: wal_diff(&db.admin_url, &after.wal_lsn, &before.wal_lsn) / n,
            });
        }
        let result = ScenarioResult {
            id: sc.id,
            name: sc.name,
            phase: measured,
            cpu_us_per_op,
            server_cpu_pct: server_secs / wall * 100.0,
            generator_cpu_pct: gen_secs / wall * 100.0,
        };
        progress(backend.name(), &result);
        results.push(result);
    }
    let overload = if opts.wants("OV") {
        println!("  OV: capacity of client_credentials ES256, then {} s at three times it…", opts.overload_secs);
        let request = post_form(&host, "/token", Some(&es_auth), cc_body);
        let ov = super::overload::run(
            addr,
            server.pid,
            request,
            b"\"access_token\"",
            opts.conns,
            opts.duration,
            opts.overload_secs,
        )
        .await;
        ov.print(backend.name());
        Some(ov)
    } else {
        None
    };
    let peak_rss_kb = server.status_kb("VmHWM")?;
    server.stop().await;
    drop(pg);
    drop(dir);
    Ok(PassResult {
        backend: backend.name(),
        scenarios: results,
        idle_rss_kb,
        demo_idle_rss_kb,
        peak_rss_kb,
        pg: pg_per_refresh,
        overload,
        loadavg: loadavg(),
    })
}
