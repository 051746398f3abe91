//! One pass of the load run against one storage backend: fresh database, clients
//! registered through the CLI, the pinned server started, families seeded, then
//! S1–S5 with warm-up and measurement, the login flows S6 and S7, server CPU and
//! RSS from procfs, and for PostgreSQL the `pg_stat_database` deltas around the
//! refresh run and S7; then the overload scenario (OV, `overload.rs`), the reference
//! rounds (`reference.rs`) and S8 with its own server (`esia.rs`).

use super::Options;
use super::flows::{self, FlowTarget};
use super::http::{basic_auth, form_value, get, post_form};
use super::measure::{per_op, pg_snapshot, scenario, table_writes, with_cpu};
use super::report::{PassResult, progress};
use super::run::{Load, phase};
use super::seed;
use super::server::{Backend, PgDb, Setup, free_addr, link_assets, loadavg, temp_dir};
use anyhow::{Context as _, Result, anyhow};
use std::sync::Arc;
use std::time::Duration;

/// The login throttle's limits lifted for the bench server (docs/performance.md):
/// S6 and S7 sign one demo account in from many connections at once, which the
/// default limits (5 attempts per login, 250 ms per attempt under way, 600 flows per
/// address in 10 min) would slow down or refuse.
pub const LOGIN_LIMITS: [(&str, &str); 3] = [
    ("PROPUSK_LOGIN__MAX_FAILURES_PER_LOGIN", "0"),
    ("PROPUSK_LOGIN__DELAY_STEP_MS", "0"),
    ("PROPUSK_LOGIN__MAX_FLOWS_PER_ADDRESS", "0"),
];

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
        config: None,
        env: LOGIN_LIMITS.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
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
    let ac_secret = setup.add_secret_client(&[
        "--id",
        "bench-ac",
        "--redirect-uri",
        seed::REDIRECT_URI,
        "--grant-type",
        "authorization_code",
        "--scope",
        flows::FLOW_SCOPE,
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
        let (measured, server_secs, gen_secs) =
            with_cpu(server.pid, phase(addr, &sc.load, conns, opts.duration, &mut chains)).await?;
        if let (Some(db), Some(before)) = (&pg, pg_before) {
            tokio::time::sleep(opts.pg_quiet).await;
            let after = pg_snapshot(&db.admin_url, &db.name)?;
            pg_per_refresh = Some(per_op(&db.admin_url, &before, &after, measured.ok + measured.errors));
        }
        let result = scenario(sc.id, sc.name, measured, server_secs, gen_secs);
        progress(backend.name(), &result);
        results.push(result);
    }

    let target = Arc::new(FlowTarget::new(addr, "bench-ac", basic_auth("bench-ac", &ac_secret)));
    if opts.wants("S6") {
        let browsers = flows::browsers(opts.conns);
        let (_, browsers) = flows::run_flows(browsers, target.clone(), opts.warmup, Duration::ZERO, flows::s6_op).await;
        let ((measured, _), server_secs, gen_secs) = with_cpu(
            server.pid,
            flows::run_flows(browsers, target.clone(), opts.duration, Duration::ZERO, flows::s6_op),
        )
        .await?;
        let result = scenario("S6", "password login (authorize → form → token)", measured, server_secs, gen_secs);
        progress(backend.name(), &result);
        results.push(result);
    }
    let mut pg_per_sso = None;
    if opts.wants("S7") {
        println!("  S7: signing {} browsers in with a password first…", opts.conns);
        let browsers = flows::signed_in_browsers(&target, opts.conns).await.map_err(|e| anyhow!(e))?;
        let (_, browsers) = flows::run_flows(browsers, target.clone(), opts.warmup, Duration::ZERO, flows::s7_op).await;
        let pg_before = match &pg {
            Some(db) => {
                tokio::time::sleep(opts.pg_quiet).await;
                let mut snap = pg_snapshot(&db.admin_url, &db.name)?;
                snap.tables = table_writes(&db.url)?;
                Some(snap)
            }
            None => None,
        };
        let ((measured, _), server_secs, gen_secs) = with_cpu(
            server.pid,
            flows::run_flows(browsers, target.clone(), opts.duration, Duration::ZERO, flows::s7_op),
        )
        .await?;
        if let (Some(db), Some(before)) = (&pg, pg_before) {
            tokio::time::sleep(opts.pg_quiet).await;
            let mut after = pg_snapshot(&db.admin_url, &db.name)?;
            after.tables = table_writes(&db.url)?;
            pg_per_sso = Some(per_op(&db.admin_url, &before, &after, measured.ok + measured.errors));
        }
        let result = scenario("S7", "SSO-cookie login (authorize → token)", measured, server_secs, gen_secs);
        progress(backend.name(), &result);
        results.push(result);
    }
    let reference = if opts.reference && matches!(backend, Backend::Sqlite) {
        Some(super::reference::run(opts, addr, server.pid, "bench-es", &es_secret, &at).await?)
    } else {
        None
    };
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
    let s8 = if opts.wants("S8") {
        let s8 = super::esia::run(opts, &setup, &target).await?;
        progress(backend.name(), &s8.result);
        println!(
            "         sandbox busy {:.0} %, S8 server peak RSS {:.1} MB",
            s8.sandbox_busy_pct,
            s8.peak_rss_kb as f64 / 1024.0
        );
        Some(s8)
    } else {
        None
    };
    drop(pg);
    drop(dir);
    Ok(PassResult {
        backend: backend.name(),
        scenarios: results,
        idle_rss_kb,
        demo_idle_rss_kb,
        peak_rss_kb,
        pg: pg_per_refresh,
        pg_sso: pg_per_sso,
        s8,
        reference,
        overload,
        loadavg: loadavg(),
    })
}
