//! `propusk audit …`: verify the keyed chain (against checkpoints), take a
//! checkpoint, export or search the log.

use super::{CliError, clock, keyed_store, store};
use crate::audit::ChainVerifier;
use crate::audit::checkpoint::{self, CheckpointMatcher};
use crate::audit::search::Filter;
use crate::config::Config;
use std::path::Path;

/// What `audit verify` found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Rows checked.
    pub rows: usize,
    /// Of them, rows written before the chain was keyed (the log's beginning).
    pub unkeyed: usize,
    /// Checkpoints the log agreed with.
    pub checkpoints: usize,
}

/// Walks the whole chain page by page. Returns the number of rows checked.
pub async fn audit_verify(config: &Config) -> Result<usize, CliError> {
    audit_verify_report(config, None).await.map(|r| r.rows)
}

/// Walks the whole chain page by page with the installation's key and, when given,
/// compares it with every checkpoint in `checkpoints`: the first break is named.
pub async fn audit_verify_report(config: &Config, checkpoints: Option<&Path>) -> Result<AuditReport, CliError> {
    let (store, key) = keyed_store(config).await?;
    let mut matcher = match checkpoints {
        None => CheckpointMatcher::default(),
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError::Usage(format!("--checkpoint {}: {e}", file.display())))?;
            let parsed = checkpoint::parse_file(&text, &key).map_err(|e| CliError::Failure(e.to_string()))?;
            CheckpointMatcher::new(&parsed)
        }
    };
    let mut verifier = ChainVerifier::new(Some(key));
    let mut after = 0;
    loop {
        let page = store.audit_records(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in &page {
            verifier.push(row).map_err(|e| CliError::Failure(format!("audit chain broken: {e}")))?;
            matcher.push(row).map_err(|e| CliError::Failure(format!("audit checkpoint: {e}")))?;
        }
    }
    let checkpoints =
        matcher.finish(verifier.head().0).map_err(|e| CliError::Failure(format!("audit checkpoint: {e}")))?;
    Ok(AuditReport { rows: verifier.checked, unkeyed: verifier.unkeyed, checkpoints })
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

/// `--since`: unix seconds or an RFC 3339 time.
pub fn parse_since(s: &str) -> Result<i64, CliError> {
    parse_time("--since", s)
}

/// A time argument `arg`: unix seconds or an RFC 3339 time.
pub fn parse_time(arg: &str, s: &str) -> Result<i64, CliError> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| CliError::Usage(format!("{arg}: expected unix seconds or an RFC 3339 time")))
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
            let event: serde_json::Value = serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null);
            let line = serde_json::json!({"seq": row.seq, "at": row.at, "kind": row.kind, "event": event, "prev_hash": row.prev_hash, "hash": row.hash});
            writeln!(out, "{line}").map_err(|e| CliError::Failure(e.to_string()))?;
            written += 1;
        }
    }
    Ok(written)
}
