//! The hash chain of the audit table: each row carries an HMAC, keyed with a key
//! derived from the master key (outside the database), over the previous row's hash
//! and its own content. Whoever can write the database but has not the key can
//! neither edit a row nor rebuild the chain after it.
//!
//! Rows written before the chain was keyed carry a plain SHA-256 (64 hex digits);
//! keyed rows carry `k1:` and the HMAC. The verifier accepts unkeyed rows only as
//! the log's beginning and counts them, so a rewrite without the key shows as a
//! log that is unkeyed from some row on — refused.

use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// One stored row of the audit table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: UnixTime,
    pub kind: String,
    /// The event JSON exactly as hashed.
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash that precedes the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The prefix of keyed hashes.
const KEYED: &str = "k1:";

/// The chain's key (`MasterKey::derive("audit-chain")`).
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl ChainKey {
    pub fn from_master(master: &crate::crypto::MasterKey) -> Self {
        Self(master.derive("audit-chain"))
    }

    /// An HMAC of `data` with this key, hex-encoded (checkpoints sign with it too).
    pub fn mac(&self, purpose: &str, data: &str) -> String {
        let material = format!("{purpose}\n{data}");
        hex::encode(crate::crypto::hmac_sha256(&self.0, material.as_bytes()))
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey([redacted])")
    }
}

/// The hash of a row linked to `prev_hash`: keyed when `key` is given (every
/// installation's store is), plain SHA-256 otherwise (stores opened without a key:
/// unit tests, and rows written before the chain was keyed).
pub fn chain_hash(key: Option<&ChainKey>, prev_hash: &str, seq: i64, at: UnixTime, kind: &str, data: &str) -> String {
    let material = format!("{prev_hash}\n{seq}\n{at}\n{kind}\n{data}");
    match key {
        Some(k) => format!("{KEYED}{}", k.mac("audit-row", &material)),
        None => hex::encode(crate::crypto::sha256(material.as_bytes())),
    }
}

/// Where a chain check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit row {seq}: content does not match its hash (edited, or written without the key)")]
    Edited { seq: i64 },
    #[error("audit row {seq}: previous-hash link broken (a row was deleted, inserted or reordered)")]
    Broken { seq: i64 },
    #[error("audit row {seq}: sequence gap after {prev}")]
    Gap { prev: i64, seq: i64 },
    #[error("audit row {seq}: unkeyed after keyed rows (rewritten without the key)")]
    Downgraded { seq: i64 },
}

impl ChainError {
    /// The first row that does not hold.
    pub fn seq(&self) -> i64 {
        match self {
            Self::Edited { seq } | Self::Broken { seq } | Self::Gap { seq, .. } | Self::Downgraded { seq } => *seq,
        }
    }
}

/// Checks rows one at a time, in `seq` order, so a long log can be verified page by page.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    key: Option<ChainKey>,
    prev_hash: String,
    prev_seq: Option<i64>,
    keyed_seen: bool,
    /// Rows checked.
    pub checked: usize,
    /// Of them, rows written before the chain was keyed (the log's beginning).
    pub unkeyed: usize,
}

impl Default for ChainVerifier {
    /// A verifier without the key: accepts unkeyed rows only.
    fn default() -> Self {
        Self::new(None)
    }
}

impl ChainVerifier {
    pub fn new(key: Option<ChainKey>) -> Self {
        Self { key, prev_hash: GENESIS_HASH.to_owned(), prev_seq: None, keyed_seen: false, checked: 0, unkeyed: 0 }
    }

    pub fn push(&mut self, row: &AuditRecord) -> Result<(), ChainError> {
        if let Some(p) = self.prev_seq
            && row.seq != p + 1
        {
            return Err(ChainError::Gap { prev: p, seq: row.seq });
        }
        if row.prev_hash != self.prev_hash {
            return Err(ChainError::Broken { seq: row.seq });
        }
        let keyed = row.hash.starts_with(KEYED);
        if !keyed && self.keyed_seen {
            return Err(ChainError::Downgraded { seq: row.seq });
        }
        let key = if keyed { Some(self.key.as_ref().ok_or(ChainError::Edited { seq: row.seq })?) } else { None };
        let expected = chain_hash(key, &row.prev_hash, row.seq, row.at, &row.kind, &row.data);
        if !crate::crypto::ct_eq(expected.as_bytes(), row.hash.as_bytes()) {
            return Err(ChainError::Edited { seq: row.seq });
        }
        self.keyed_seen |= keyed;
        self.unkeyed += usize::from(!keyed);
        self.prev_hash.clone_from(&row.hash);
        self.prev_seq = Some(row.seq);
        self.checked += 1;
        Ok(())
    }

    /// A verifier for a log that begins after `anchor_seq` (rows pruned by `audit
    /// prune`): the first row must be `anchor_seq + 1` and link to `anchor_hash`.
    pub fn after(key: Option<ChainKey>, anchor_seq: i64, anchor_hash: &str) -> Self {
        Self {
            prev_hash: anchor_hash.to_owned(),
            prev_seq: Some(anchor_seq),
            keyed_seen: anchor_hash.starts_with(KEYED),
            ..Self::new(key)
        }
    }

    /// The last row checked: its `seq` and hash.
    pub fn head(&self) -> (i64, &str) {
        (self.prev_seq.unwrap_or(0), &self.prev_hash)
    }
}

/// Checks unkeyed rows in `seq` order (stores opened without a key). Returns the number checked.
pub fn verify_chain(rows: &[AuditRecord]) -> Result<usize, ChainError> {
    verify_keyed(rows, None)
}

/// Checks rows in `seq` order with `key`. Returns the number of rows checked.
pub fn verify_keyed(rows: &[AuditRecord], key: Option<ChainKey>) -> Result<usize, ChainError> {
    let mut v = ChainVerifier::new(key);
    for row in rows {
        v.push(row)?;
    }
    Ok(v.checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditEvent;

    fn key(b: u8) -> ChainKey {
        ChainKey::from_master(&crate::crypto::MasterKey::from_bytes([b; 32]))
    }

    /// `n` rows; rows after `unkeyed` are hashed with `key`.
    fn chain(n: i64, unkeyed: i64, key: Option<&ChainKey>) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let ev = AuditEvent::ClientAdded { client_id: format!("c{seq}"), by: "cli".into() };
                let (kind, data) = (ev.kind(), ev.to_json());
                let k = if seq > unkeyed { key } else { None };
                let hash = chain_hash(k, &prev, seq, 100 + seq, &kind, &data);
                let row = AuditRecord { seq, at: 100 + seq, kind, data, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                row
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5, 5, None)), Ok(5));
        assert_eq!(verify_keyed(&chain(5, 0, Some(&key(1))), Some(key(1))), Ok(5));
    }

    #[test]
    fn edited_row_is_found() {
        let mut rows = chain(5, 0, Some(&key(1)));
        rows[2].data = rows[2].data.replace("c3", "c9");
        assert_eq!(verify_keyed(&rows, Some(key(1))), Err(ChainError::Edited { seq: 3 }));
    }

    #[test]
    fn deleted_row_is_found() {
        let mut rows = chain(5, 0, Some(&key(1)));
        rows.remove(2);
        assert!(matches!(verify_keyed(&rows, Some(key(1))), Err(ChainError::Gap { .. })));
    }

    #[test]
    fn reordered_rows_are_found() {
        let mut rows = chain(5, 0, Some(&key(1)));
        rows.swap(1, 2);
        assert!(verify_keyed(&rows, Some(key(1))).is_err());
    }

    #[test]
    fn a_chain_rebuilt_with_another_key_is_refused() {
        let forged = chain(5, 0, Some(&key(2)));
        assert_eq!(verify_keyed(&forged, Some(key(1))), Err(ChainError::Edited { seq: 1 }));
        assert_eq!(verify_chain(&forged), Err(ChainError::Edited { seq: 1 }), "keyed rows need the key");
    }

    #[test]
    fn a_pruned_log_verifies_from_its_anchor_and_nothing_else() {
        let rows = chain(6, 0, Some(&key(1)));
        let from = |seq: i64, hash: &str, kept: &[AuditRecord]| {
            let mut v = ChainVerifier::after(Some(key(1)), seq, hash);
            kept.iter().try_for_each(|r| v.push(r)).map(|()| v.checked)
        };
        assert_eq!(from(3, &rows[2].hash, &rows[3..]), Ok(3));
        assert_eq!(
            from(3, &rows[2].hash, &rows[4..]),
            Err(ChainError::Gap { prev: 3, seq: 5 }),
            "a row removed after the anchor"
        );
        assert_eq!(from(3, &rows[1].hash, &rows[3..]), Err(ChainError::Broken { seq: 4 }));
        assert_eq!(verify_keyed(&rows[3..], Some(key(1))), Err(ChainError::Broken { seq: 4 }), "the anchor removed");
    }

    #[test]
    fn unkeyed_rows_are_accepted_only_as_the_beginning() {
        let rows = chain(6, 2, Some(&key(1)));
        let mut v = ChainVerifier::new(Some(key(1)));
        rows.iter().try_for_each(|r| v.push(r)).unwrap();
        assert_eq!((v.checked, v.unkeyed), (6, 2));
        // Rows 4.. rewritten without the key: the plain hashes after keyed ones are refused.
        let mut forged = rows[..3].to_vec();
        let mut prev = forged[2].hash.clone();
        for seq in 4..=6 {
            let (kind, data) =
                ("client_added".to_owned(), format!("{{\"kind\":\"client_added\",\"client_id\":\"x{seq}\"}}"));
            let hash = chain_hash(None, &prev, seq, 100 + seq, &kind, &data);
            forged.push(AuditRecord { seq, at: 100 + seq, kind, data, prev_hash: prev.clone(), hash: hash.clone() });
            prev = hash;
        }
        assert_eq!(verify_keyed(&forged, Some(key(1))), Err(ChainError::Downgraded { seq: 4 }));
    }
}
