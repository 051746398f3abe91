//! Retention of the audit log (`audit prune`): rows older than the period are
//! exported, then removed in one transaction that leaves an *anchor* behind — the
//! last removed row's `seq` and hash, signed with the chain key — and appends an
//! `audit_pruned` event. The verifier then starts from the anchor, so the rows kept
//! still verify. An anchor written without the key (or a checkpoint line passed off
//! as one: another signing purpose) is refused, and rows removed behind the
//! anchor's back break the link to it.

use super::AuditEvent;
use super::chain::{AuditRecord, ChainKey};
use super::checkpoint::CheckpointMatcher;
use super::verify::{VerifyError, walk};
use crate::clock::UnixTime;
use crate::store::{AuditStore, StoreError};
use serde::{Deserialize, Serialize};

/// The `settings` key the anchor line is stored under.
pub const ANCHOR_SETTING: &str = "audit_anchor";

/// Rows read at a time.
const PAGE: i64 = 1000;

/// Where the log begins once rows were pruned: the last removed row, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// The last removed row's `seq`: the first row kept is `seq + 1`.
    pub seq: i64,
    /// Its hash: the first row kept links to it.
    pub hash: String,
    /// When the rows were removed.
    pub at: UnixTime,
    /// HMAC of the three above with the chain key.
    pub mac: String,
}

/// An anchor that cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("the audit log's anchor is unreadable: {0}")]
    Unreadable(String),
    #[error("the audit log's anchor is not signed with this installation's key (rows removed without `audit prune`)")]
    Forged,
}

impl Anchor {
    pub fn new(key: &ChainKey, seq: i64, hash: &str, at: UnixTime) -> Self {
        Self { seq, hash: hash.to_owned(), at, mac: mac(key, seq, hash, at) }
    }

    /// The stored form: one JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored anchor and checks its signature.
    pub fn parse(line: &str, key: &ChainKey) -> Result<Self, AnchorError> {
        let anchor: Self = serde_json::from_str(line).map_err(|e| AnchorError::Unreadable(e.to_string()))?;
        let expected = mac(key, anchor.seq, &anchor.hash, anchor.at);
        if crate::crypto::ct_eq(expected.as_bytes(), anchor.mac.as_bytes()) {
            Ok(anchor)
        } else {
            Err(AnchorError::Forged)
        }
    }
}

fn mac(key: &ChainKey, seq: i64, hash: &str, at: UnixTime) -> String {
    key.mac("audit-anchor", &format!("{seq}\n{hash}\n{at}"))
}

/// The anchor of `store`'s log, checked; `None` when nothing was ever pruned.
pub async fn stored_anchor(store: &dyn AuditStore, key: &ChainKey) -> Result<Option<Anchor>, VerifyError> {
    match store.audit_anchor().await? {
        Some(line) => Ok(Some(Anchor::parse(&line, key)?)),
        None => Ok(None),
    }
}

/// What the store does in one transaction: if the anchor is still `expected` and row
/// `upto_seq` still has `upto_hash`, remove every row up to it, store `anchor` and
/// append `event`; otherwise nothing.
#[derive(Debug)]
pub struct Prune<'a> {
    pub expected: Option<&'a str>,
    pub upto_seq: i64,
    pub upto_hash: &'a str,
    pub anchor: &'a str,
    pub event: &'a AuditEvent,
}

/// What `audit prune` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Rows exported and removed.
    pub rows: i64,
    /// The first and last removed `seq` (when any).
    pub range: Option<(i64, i64)>,
    /// The new anchor's line (when any row was removed).
    pub anchor: Option<String>,
}

/// Why `audit prune` removed nothing.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    /// The chain does not verify: nothing is removed from a log that fails.
    #[error("{0}; nothing removed")]
    Verify(#[from] VerifyError),
    #[error("the export could not be written: {0}; nothing removed")]
    Export(#[from] std::io::Error),
    #[error("the audit log was pruned by someone else meanwhile; nothing removed")]
    Raced,
}

impl From<StoreError> for PruneError {
    fn from(e: StoreError) -> Self {
        Self::Verify(VerifyError::Store(e))
    }
}

/// Exports the rows older than `cutoff` to `out` as JSON lines (the format of `audit
/// export`), syncs it, and only then removes them, leaving an anchor signed at `now`.
/// The whole chain is verified first. `by`: who prunes (`cli`).
pub async fn prune(
    store: &dyn AuditStore,
    key: &ChainKey,
    (now, cutoff): (UnixTime, UnixTime),
    out: &mut std::fs::File,
    by: &str,
) -> Result<Pruned, PruneError> {
    use std::io::Write as _;
    walk(store, key, CheckpointMatcher::default()).await?;
    let expected = store.audit_anchor().await?;
    let mut after = stored_anchor(store, key).await?.map_or(0, |a| a.seq);
    let (mut first, mut last): (Option<i64>, Option<AuditRecord>) = (None, None);
    let mut rows = 0;
    let mut buf = std::io::BufWriter::new(&mut *out);
    'pages: loop {
        let page = store.audit_records(after, PAGE).await?;
        let Some(end) = page.last() else { break };
        after = end.seq;
        for row in page {
            if row.at >= cutoff {
                break 'pages;
            }
            writeln!(buf, "{}", super::search::json_line(&row))?;
            first.get_or_insert(row.seq);
            rows += 1;
            last = Some(row);
        }
    }
    buf.flush()?;
    drop(buf);
    let (Some(first), Some(last)) = (first, last) else { return Ok(Pruned { rows: 0, range: None, anchor: None }) };
    out.sync_all()?;
    let anchor = Anchor::new(key, last.seq, &last.hash, now).to_line();
    let event = AuditEvent::AuditPruned { upto_seq: last.seq, rows, by: by.to_owned() };
    let prune = Prune {
        expected: expected.as_deref(),
        upto_seq: last.seq,
        upto_hash: &last.hash,
        anchor: &anchor,
        event: &event,
    };
    if !store.prune_audit(&prune).await? {
        return Err(PruneError::Raced);
    }
    Ok(Pruned { rows, range: Some((first, last.seq)), anchor: Some(anchor) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> ChainKey {
        ChainKey::from_master(&crate::crypto::MasterKey::from_bytes([b; 32]))
    }

    #[test]
    fn an_anchor_reads_back_only_with_the_key_that_signed_it() {
        let line = Anchor::new(&key(1), 7, "k1:abc", 100).to_line();
        assert_eq!(Anchor::parse(&line, &key(1)).unwrap().seq, 7);
        assert_eq!(Anchor::parse(&line, &key(2)), Err(AnchorError::Forged));
        let moved = line.replace("\"seq\":7", "\"seq\":9");
        assert_eq!(Anchor::parse(&moved, &key(1)), Err(AnchorError::Forged));
        assert!(matches!(Anchor::parse("{}", &key(1)), Err(AnchorError::Unreadable(_))));
    }

    #[test]
    fn a_checkpoint_line_is_no_anchor() {
        let cp = super::super::checkpoint::Checkpoint::new(&key(1), 7, "k1:abc", 100).to_line();
        assert_eq!(Anchor::parse(&cp, &key(1)), Err(AnchorError::Forged));
    }
}
