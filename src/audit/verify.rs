//! The walk of `audit verify` and the console's «Проверить цепочку»: the whole chain,
//! page by page, with the installation's key, against the checkpoints given; a pruned
//! log from its signed anchor (`retention`).

use super::checkpoint::{CheckpointError, CheckpointMatcher};
use super::retention::{AnchorError, stored_anchor};
use super::{ChainError, ChainKey, ChainVerifier};
use crate::store::{AuditStore, StoreError};

/// Rows read at a time.
const PAGE: i64 = 1000;

/// What a walk found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Rows checked.
    pub rows: usize,
    /// Of them, rows written before the chain was keyed (the log's beginning).
    pub unkeyed: usize,
    /// Checkpoints the log agreed with.
    pub checkpoints: usize,
    /// Rows up to this `seq` were pruned (`audit prune`); the walk began at its anchor.
    pub pruned_upto: Option<i64>,
}

/// Why a walk stopped.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("audit chain broken: {0}")]
    Chain(#[from] ChainError),
    #[error("audit checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("audit chain broken: {0}")]
    Anchor(#[from] AnchorError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Walks the whole chain of `store` with `key`, every row also shown to `matcher`.
pub async fn walk(
    store: &dyn AuditStore,
    key: &ChainKey,
    mut matcher: CheckpointMatcher,
) -> Result<Report, VerifyError> {
    let anchor = stored_anchor(store, key).await?;
    let mut verifier = match &anchor {
        Some(a) => {
            matcher.after_anchor(a)?;
            ChainVerifier::after(Some(key.clone()), a.seq, &a.hash)
        }
        None => ChainVerifier::new(Some(key.clone())),
    };
    let mut after = anchor.as_ref().map_or(0, |a| a.seq);
    loop {
        let page = store.audit_records(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in &page {
            verifier.push(row)?;
            matcher.push(row)?;
        }
    }
    let checkpoints = matcher.finish(verifier.head().0)?;
    Ok(Report { rows: verifier.checked, unkeyed: verifier.unkeyed, checkpoints, pruned_upto: anchor.map(|a| a.seq) })
}
