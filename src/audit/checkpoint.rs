//! Checkpoints of the audit chain: the head's `seq` and hash at a time, signed with
//! the chain key, one JSON line each. An operator ships them out of the database's
//! reach (a file on another host, syslog); `audit verify --checkpoint FILE` then finds
//! a log truncated after a checkpoint or rewritten before one, even by someone who
//! could rewrite every row.

use super::chain::{AuditRecord, ChainKey};
use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One checkpoint line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The last row's `seq` (the number of rows since the start of the log).
    pub seq: i64,
    /// Its hash.
    pub hash: String,
    /// When the checkpoint was taken.
    pub at: UnixTime,
    /// HMAC of the three above with the chain key.
    pub mac: String,
}

impl Checkpoint {
    pub fn new(key: &ChainKey, seq: i64, hash: &str, at: UnixTime) -> Self {
        Self { seq, hash: hash.to_owned(), at, mac: mac(key, seq, hash, at) }
    }

    /// The line written to the checkpoint file (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn signed_by(&self, key: &ChainKey) -> bool {
        crate::crypto::ct_eq(mac(key, self.seq, &self.hash, self.at).as_bytes(), self.mac.as_bytes())
    }
}

fn mac(key: &ChainKey, seq: i64, hash: &str, at: UnixTime) -> String {
    key.mac("audit-checkpoint", &format!("{seq}\n{hash}\n{at}"))
}

/// Why the log does not agree with its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint file line {line}: {reason}")]
    Unreadable { line: usize, reason: String },
    #[error("checkpoint file line {line}: not signed with this installation's key")]
    Forged { line: usize },
    #[error("audit row {seq} differs from the checkpoint taken at {at} (the log was rewritten)")]
    Rewritten { seq: i64, at: UnixTime },
    #[error("the audit log ends at row {head}, but a checkpoint taken at {at} saw row {seq} (the log was truncated)")]
    Truncated { head: i64, seq: i64, at: UnixTime },
}

/// Parses a checkpoint file (blank lines skipped) and checks every line's signature.
pub fn parse_file(text: &str, key: &ChainKey) -> Result<Vec<Checkpoint>, CheckpointError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line = i + 1;
        let cp: Checkpoint = serde_json::from_str(raw.trim())
            .map_err(|e| CheckpointError::Unreadable { line, reason: e.to_string() })?;
        if !cp.signed_by(key) {
            return Err(CheckpointError::Forged { line });
        }
        out.push(cp);
    }
    Ok(out)
}

/// Compares the rows of a chain walk, as they pass, with the checkpoints.
#[derive(Debug, Default)]
pub struct CheckpointMatcher {
    /// seq → (hash, at) of every checkpoint still to be met.
    wanted: BTreeMap<i64, (String, UnixTime)>,
    /// Checkpoints met.
    pub matched: usize,
}

impl CheckpointMatcher {
    pub fn new(checkpoints: &[Checkpoint]) -> Self {
        let wanted = checkpoints.iter().map(|c| (c.seq, (c.hash.clone(), c.at))).collect();
        Self { wanted, matched: 0 }
    }

    /// The log begins after `anchor` (rows pruned): checkpoints of removed rows can no
    /// longer be met and are dropped, but one of the anchor's own row must agree with it.
    pub fn after_anchor(&mut self, anchor: &super::retention::Anchor) -> Result<(), CheckpointError> {
        let kept = self.wanted.split_off(&(anchor.seq + 1));
        let removed = std::mem::replace(&mut self.wanted, kept);
        if let Some((hash, at)) = removed.get(&anchor.seq) {
            if *hash != anchor.hash {
                return Err(CheckpointError::Rewritten { seq: anchor.seq, at: *at });
            }
            self.matched += 1;
        }
        Ok(())
    }

    /// Called with each row in order (after the chain verifier accepted it).
    pub fn push(&mut self, row: &AuditRecord) -> Result<(), CheckpointError> {
        if let Some((hash, at)) = self.wanted.remove(&row.seq) {
            if hash != row.hash {
                return Err(CheckpointError::Rewritten { seq: row.seq, at });
            }
            self.matched += 1;
        }
        Ok(())
    }

    /// At the end of the walk: a checkpoint past the last row means rows were cut off.
    pub fn finish(self, head: i64) -> Result<usize, CheckpointError> {
        match self.wanted.iter().next_back() {
            Some((&seq, &(_, at))) => Err(CheckpointError::Truncated { head, seq, at }),
            None => Ok(self.matched),
        }
    }
}

/// A checkpoint of the log's head now.
pub async fn take(
    store: &dyn crate::store::AuditStore,
    key: &ChainKey,
    at: UnixTime,
) -> crate::store::StoreResult<Checkpoint> {
    let (seq, hash) = store.audit_head().await?;
    Ok(Checkpoint::new(key, seq, &hash, at))
}

/// Appends `cp` as one line to `file` (created readable by its owner only).
pub fn append(file: &std::path::Path, cp: &Checkpoint) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_fs::create_dir_all(dir)?;
    }
    crate::private_fs::ensure_file(file)?;
    let mut f = std::fs::OpenOptions::new().append(true).open(file)?;
    writeln!(f, "{}", cp.to_line())
}

/// Writes a checkpoint every `checkpoint_interval_secs` (none when 0): a log line
/// (target `propusk::audit_checkpoint`, for syslog or a log shipper) and, when set, a
/// line appended to `checkpoint_file`.
pub fn spawn_periodic(
    store: std::sync::Arc<dyn crate::store::Store>,
    key: ChainKey,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    cfg: crate::config::AuditConfig,
) -> Option<tokio::task::JoinHandle<()>> {
    if cfg.checkpoint_interval_secs == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(cfg.checkpoint_interval_secs));
        tick.tick().await;
        loop {
            tick.tick().await;
            match take(&*store, &key, clock.now()).await {
                Ok(cp) => {
                    tracing::info!(target: "propusk::audit_checkpoint", checkpoint = %cp.to_line(), "audit checkpoint");
                    let file = cfg.checkpoint_file.clone();
                    if !file.as_os_str().is_empty() {
                        let written = tokio::task::spawn_blocking(move || append(&file, &cp)).await;
                        if let Err(e) = written.map_err(std::io::Error::other).and_then(|r| r) {
                            tracing::warn!(error = %e, "audit checkpoint file not written");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "audit checkpoint not taken"),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{GENESIS_HASH, chain_hash};

    fn key(b: u8) -> ChainKey {
        ChainKey::from_master(&crate::crypto::MasterKey::from_bytes([b; 32]))
    }

    fn rows(n: i64, tag: &str) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let data = format!("{{\"kind\":\"demo_seeded\",\"n\":\"{tag}{seq}\"}}");
                let hash = chain_hash(Some(&key(1)), &prev, seq, seq, "demo_seeded", &data);
                let row = AuditRecord { seq, at: seq, kind: "demo_seeded".into(), data, prev_hash: prev.clone(), hash };
                prev.clone_from(&row.hash);
                row
            })
            .collect()
    }

    fn walk(rows: &[AuditRecord], cps: &[Checkpoint]) -> Result<usize, CheckpointError> {
        let mut m = CheckpointMatcher::new(cps);
        for r in rows {
            m.push(r)?;
        }
        m.finish(rows.last().map_or(0, |r| r.seq))
    }

    #[test]
    fn a_log_that_agrees_with_its_checkpoints() {
        let log = rows(10, "a");
        let cps = [Checkpoint::new(&key(1), 4, &log[3].hash, 50), Checkpoint::new(&key(1), 10, &log[9].hash, 60)];
        let text = cps.iter().map(Checkpoint::to_line).collect::<Vec<_>>().join("\n");
        let parsed = parse_file(&text, &key(1)).unwrap();
        assert_eq!(walk(&log, &parsed), Ok(2));
    }

    #[test]
    fn truncation_and_rewriting_are_named() {
        let log = rows(10, "a");
        let cp = [Checkpoint::new(&key(1), 8, &log[7].hash, 50)];
        assert_eq!(walk(&log[..6], &cp), Err(CheckpointError::Truncated { head: 6, seq: 8, at: 50 }));
        assert_eq!(walk(&rows(10, "b"), &cp), Err(CheckpointError::Rewritten { seq: 8, at: 50 }));
    }

    #[test]
    fn after_pruning_only_the_anchors_own_checkpoint_is_compared() {
        let log = rows(10, "a");
        let cps = [
            Checkpoint::new(&key(1), 2, &log[1].hash, 40),
            Checkpoint::new(&key(1), 4, &log[3].hash, 50),
            Checkpoint::new(&key(1), 8, &log[7].hash, 60),
        ];
        let anchor = crate::audit::retention::Anchor::new(&key(1), 4, &log[3].hash, 70);
        let mut m = CheckpointMatcher::new(&cps);
        m.after_anchor(&anchor).unwrap();
        log[4..].iter().try_for_each(|r| m.push(r)).unwrap();
        assert_eq!(m.finish(10), Ok(2));
        let other = crate::audit::retention::Anchor::new(&key(1), 4, &log[2].hash, 70);
        assert_eq!(
            CheckpointMatcher::new(&cps).after_anchor(&other),
            Err(CheckpointError::Rewritten { seq: 4, at: 50 })
        );
    }

    #[test]
    fn a_checkpoint_without_the_key_is_refused() {
        let forged = Checkpoint::new(&key(2), 3, "x", 1).to_line();
        assert_eq!(parse_file(&format!("\n{forged}\n"), &key(1)), Err(CheckpointError::Forged { line: 2 }));
        assert!(matches!(parse_file("not json", &key(1)), Err(CheckpointError::Unreadable { line: 1, .. })));
    }
}
