//! `propusk audit …`: verify the keyed chain (against checkpoints), take a
//! checkpoint, export or search the log, prune it past the retention period.

use super::{CliError, clock, keyed_store, store};
use crate::audit::checkpoint::{self, CheckpointMatcher};
use crate::audit::search::Filter;
use crate::config::Config;
use std::path::Path;

/// What `audit verify` found in an intact log.
pub use crate::audit::verify::Report as AuditReport;

/// Walks the whole chain page by page. Returns the number of rows checked.
pub async fn audit_verify(config: &Config) -> Result<usize, CliError> {
    audit_verify_report(config, None).await.map(|r| r.rows)
}

/// Walks the whole chain page by page with the installation's key and, when given,
/// compares it with every checkpoint in `checkpoints`: the first break is named.
pub async fn audit_verify_report(config: &Config, checkpoints: Option<&Path>) -> Result<AuditReport, CliError> {
    let (store, key) = keyed_store(config).await?;
    let matcher = match checkpoints {
        None => CheckpointMatcher::default(),
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError::Usage(format!("--checkpoint {}: {e}", file.display())))?;
            let parsed = checkpoint::parse_file(&text, &key).map_err(|e| CliError::Failure(e.to_string()))?;
            CheckpointMatcher::new(&parsed)
        }
    };
    crate::audit::verify::walk(&*store, &key, matcher).await.map_err(|e| match e {
        crate::audit::verify::VerifyError::Store(e) => e.into(),
        e => CliError::Failure(e.to_string()),
    })
}

/// Takes a checkpoint of the log's head; appends it to `out` when given. Returns its line.
pub async fn audit_checkpoint(config: &Config, out: Option<&Path>) -> Result<String, CliError> {
    let (store, key) = keyed_store(config).await?;
    let cp = checkpoint::take(&*store, &key, clock().now()).await?;
    if let Some(file) = out {
        checkpoint::append(file, &cp).map_err(|e| CliError::Failure(format!("{}: {e}", file.display())))?;
    }
    Ok(cp.to_line())
}

/// `audit prune --out FILE [--older-than-days N]`: exports the events older than N days
/// (default `audit.retention_days`) to FILE, a new file of its owner's only, then removes
/// them, leaving the signed anchor the chain verifies from (docs/audit.md).
pub async fn audit_prune(
    config: &Config,
    out: &Path,
    older_than_days: Option<u64>,
) -> Result<crate::audit::retention::Pruned, CliError> {
    use crate::audit::retention::{PruneError, prune};
    let days = older_than_days.unwrap_or(config.audit.retention_days);
    if days == 0 {
        return Err(CliError::Usage("audit prune: give --older-than-days N or set audit.retention_days".into()));
    }
    let (store, key) = keyed_store(config).await?;
    let mut file = crate::private_fs::create_new(out)
        .map_err(|e| CliError::Usage(format!("--out {}: {e} (the export is never overwritten)", out.display())))?;
    let now = clock().now();
    let cutoff = now.saturating_sub(i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX));
    let pruned = prune(&*store, &key, (now, cutoff), &mut file, "cli").await;
    if pruned.is_err() {
        // Nothing was removed: an export beside an intact log would only mislead.
        let _ = std::fs::remove_file(out);
    }
    pruned.map_err(|e| match e {
        PruneError::Verify(crate::audit::verify::VerifyError::Store(e)) => e.into(),
        e => CliError::Failure(e.to_string()),
    })
}

/// `--since`: unix seconds, a date or an RFC 3339 time.
pub fn parse_since(s: &str) -> Result<i64, CliError> {
    parse_time("--since", s)
}

/// A time argument `arg`: unix seconds, a date `YYYY-MM-DD` or an RFC 3339 time.
pub fn parse_time(arg: &str, s: &str) -> Result<i64, CliError> {
    crate::audit::search::parse_time(s)
        .ok_or_else(|| CliError::Usage(format!("{arg}: expected unix seconds, YYYY-MM-DD or an RFC 3339 time")))
}

/// The filter of `audit search`'s flags (the console reads its form the same way).
pub fn audit_filter(text: &crate::audit::search::FilterText) -> Result<Filter, CliError> {
    use crate::audit::search::BadTime;
    text.parse().map_err(|bad| {
        let arg = match bad {
            BadTime::Since => "--since",
            BadTime::Until => "--until",
        };
        CliError::Usage(format!("{arg}: expected unix seconds, YYYY-MM-DD or an RFC 3339 time"))
    })
}

/// Writes the audit log as JSON lines to `out`.
pub async fn audit_export(config: &Config, since: Option<i64>, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    audit_search(config, &Filter { since, ..Filter::default() }, None, out).await.map(|_| ())
}

/// Writes the rows `filter` matches as JSON lines to `out`, at most `limit` of them.
/// Returns how many were written.
pub async fn audit_search(
    config: &Config,
    filter: &Filter,
    limit: Option<usize>,
    out: &mut dyn std::io::Write,
) -> Result<usize, CliError> {
    let store = store(config).await?;
    let limit = limit.unwrap_or(usize::MAX);
    let mut after = 0;
    let mut written = 0;
    while written < limit {
        let page = store.audit_records(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in page.iter().filter(|r| filter.matches(r)).take(limit - written) {
            writeln!(out, "{}", crate::audit::search::json_line(row)).map_err(|e| CliError::Failure(e.to_string()))?;
            written += 1;
        }
    }
    Ok(written)
}
