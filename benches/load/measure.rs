//! Readings around one measured phase: the server's and the generator's CPU time
//! from procfs, turned into a [`ScenarioResult`], and the `pg_stat_database`
//! deltas of the bench database per operation (S4, S7).

use super::report::{PgPerOp, ScenarioResult};
use super::run::Phase;
use super::server::{clock_ticks_per_sec, cpu_ticks, psql};
use anyhow::{Result, anyhow};
use std::future::Future;

/// `pg_stat_database` counters of one database, and the cluster's WAL position.
pub struct PgSnapshot {
    commits: f64,
    rollbacks: f64,
    rows_written: f64,
    wal_lsn: String,
    /// Rows written per table (for S7's breakdown).
    pub tables: Vec<(String, f64)>,
}

pub fn pg_snapshot(admin_url: &str, db: &str) -> Result<PgSnapshot> {
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
        tables: Vec::new(),
    })
}

fn wal_diff(admin_url: &str, after: &str, before: &str) -> f64 {
    psql(admin_url, &format!("SELECT pg_wal_lsn_diff('{after}', '{before}')"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Rows written per table of the bench database (`pg_stat_user_tables`), by name.
pub fn table_writes(db_url: &str) -> Result<Vec<(String, f64)>> {
    let rows = psql(db_url, "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")?;
    Ok(rows
        .lines()
        .filter_map(|l| l.split_once('|'))
        .filter_map(|(t, n)| Some((t.to_owned(), n.parse().ok()?)))
        .collect())
}

/// The tables written between two [`table_writes`] readings, rows per operation, most first.
pub fn table_deltas(before: &[(String, f64)], after: &[(String, f64)], ops: u64) -> Vec<(String, f64)> {
    let n = ops.max(1) as f64;
    let mut out: Vec<(String, f64)> = after
        .iter()
        .map(|(t, a)| (t.clone(), (a - before.iter().find(|(b, _)| b == t).map_or(0.0, |(_, v)| *v)) / n))
        .filter(|(_, d)| *d > 0.0)
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The deltas between two snapshots, divided by `ops` operations.
pub fn per_op(admin_url: &str, before: &PgSnapshot, after: &PgSnapshot, ops: u64) -> PgPerOp {
    let n = ops.max(1) as f64;
    PgPerOp {
        commits: (after.commits - before.commits) / n,
        rollbacks: (after.rollbacks - before.rollbacks) / n,
        rows_written: (after.rows_written - before.rows_written) / n,
        wal_bytes: wal_diff(admin_url, &after.wal_lsn, &before.wal_lsn) / n,
        tables: table_deltas(&before.tables, &after.tables, ops),
    }
}

/// Runs `fut` (one measured phase) and reads the CPU time of `server_pid` and of
/// this process around it.
pub async fn with_cpu<T, Fut: Future<Output = T>>(server_pid: u32, fut: Fut) -> Result<(T, f64, f64)> {
    let ticks = clock_ticks_per_sec()? as f64;
    let (cpu0, gen0) = (cpu_ticks(server_pid)?, cpu_ticks(std::process::id())?);
    let out = fut.await;
    let (cpu1, gen1) = (cpu_ticks(server_pid)?, cpu_ticks(std::process::id())?);
    Ok((out, cpu1.saturating_sub(cpu0) as f64 / ticks, gen1.saturating_sub(gen0) as f64 / ticks))
}

/// A scenario's figures from its phase and the CPU seconds around it.
pub fn scenario(id: &'static str, name: &'static str, phase: Phase, server_secs: f64, gen_secs: f64) -> ScenarioResult {
    let wall = phase.elapsed.as_secs_f64().max(1e-9);
    let cpu_us_per_op = (phase.ok > 0).then(|| server_secs * 1e6 / phase.ok as f64);
    ScenarioResult {
        id,
        name,
        cpu_us_per_op,
        server_cpu_pct: server_secs / wall * 100.0,
        generator_cpu_pct: gen_secs / wall * 100.0,
        phase,
    }
}
