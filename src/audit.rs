//! Typed audit events and the hash chain that makes the audit table tamper-evident.
//!
//! Events carry ids only: never tokens, passwords, SNILS or names. The store writes
//! an event in the same transaction as the change it describes; each stored row
//! carries the hash of the row before it, so [`verify_chain`] finds any edited,
//! deleted or reordered row.

use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// How a person proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    Password,
    Esia,
    Session,
}

impl LoginMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Esia => "esia",
            Self::Session => "session",
        }
    }
}

/// Everything that grants, links, revokes or reveals. Serialized as
/// `{"kind": "...", ...fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditEvent {
    LoginSucceeded {
        method: LoginMethod,
        account_id: String,
        session_id: String,
    },
    LoginFailed {
        method: LoginMethod,
        /// `bad_credentials`, `locked`, `disabled`, ...
        reason: String,
        organisation_id: Option<String>,
    },
    PasswordRehashed {
        account_id: String,
    },
    Logout {
        account_id: String,
        session_id: String,
    },
    TokenIssued {
        grant_type: String,
        client_id: String,
        subject: Option<String>,
        scope: String,
        /// `jti` of the access token and, when issued, the id of the grant
        /// (refresh-token family). Never the token itself.
        token_id: String,
        grant_id: Option<String>,
    },
    RefreshRotated {
        client_id: String,
        grant_id: String,
    },
    RefreshReuseDetected {
        client_id: String,
        grant_id: String,
    },
    CodeReuseDetected {
        client_id: String,
        grant_id: String,
    },
    CodeRejected {
        client_id: String,
        /// `pkce_mismatch`, `redirect_uri_mismatch`, `wrong_client`, `expired`
        reason: String,
    },
    TokenRevoked {
        client_id: String,
        grant_id: Option<String>,
        token_id: Option<String>,
    },
    ConsentGiven {
        account_id: String,
        client_id: String,
        scope: String,
    },
    ConsentRevoked {
        account_id: String,
        client_id: String,
    },
    ClientAdded {
        client_id: String,
    },
    ClientChanged {
        client_id: String,
    },
    ClientRemoved {
        client_id: String,
    },
    KeyAdded {
        kid: String,
        alg: String,
        activates_at: UnixTime,
    },
    DirectoryImported {
        organisations: u64,
        accounts: u64,
        relations: u64,
    },
    DemoSeeded,
    /// An ESIA person linked to a school account.
    AccountLinked {
        account_id: String,
        upstream_subject: String,
        /// `auto`, `credentials`, `account` or `staff`.
        method: String,
        /// What matched or proved the link (field names, never values).
        evidence: Vec<String>,
    },
    AccountUnlinked {
        account_id: String,
        links: u64,
    },
    /// A link was refused by the link policy (`account::link_policy`).
    LinkRefused {
        account_id: String,
        upstream_subject: String,
        /// `credentials` or `staff`.
        method: String,
        reason: String,
    },
    /// The stored ESIA data of a person was deleted (a deletion record is kept).
    PdDataDeleted {
        upstream_subject: String,
        /// `unlinked` or `consent_revoked`.
        reason: String,
    },
    /// «Отказаться» on the personal-data consent: the flow's copy was deleted.
    PdConsentRefused {
        upstream_subject: String,
    },
    /// «Согласие на передачу персональных данных» given.
    PdConsentGiven {
        upstream_subject: String,
        text_version: String,
    },
    PdConsentRevoked {
        upstream_subject: String,
    },
    /// An ESIA login refused by policy (unconfirmed account, child account for another role…).
    UpstreamRefused {
        upstream_subject: String,
        reason: String,
    },
    /// ESIA data of a linked person changed since the last login (field names only).
    UpstreamProfileChanged {
        upstream_subject: String,
        fields: Vec<String>,
    },
    /// A parent–child relation confirmed by the parent's ESIA profile.
    RelationConfirmed {
        parent_id: String,
        child_id: String,
    },
    /// An access request filed by an ESIA person (issue 5).
    RequestFiled {
        number: String,
        organisation_id: String,
        upstream_subject: String,
    },
    /// A verification code for a typed-in request email was sent (never the code).
    RequestEmailCodeSent {
        upstream_subject: String,
    },
    /// A staff member opened a request.
    RequestViewed {
        number: String,
        staff_id: String,
    },
    /// A staff member ended a request: `linked`, `created` or `rejected`.
    RequestDecided {
        number: String,
        staff_id: String,
        decision: String,
        /// The account linked or created.
        account_id: Option<String>,
    },
    /// Staff corrected a directory account's personal data (field names only).
    AccountCorrected {
        account_id: String,
        staff_id: String,
        fields: Vec<String>,
    },
    /// Staff created a school account from an access request.
    AccountCreated {
        account_id: String,
        staff_id: String,
    },
    /// An ESIA token or callback that failed verification (connector).
    UpstreamRejected {
        connector: String,
        /// ESIA error code or verification failure, e.g. `ESIA-007053`, `bad_signature`.
        code: String,
    },
    /// A password changed at `/account`; every other session of the account ended.
    PasswordChanged {
        account_id: String,
        /// Who changed it: `owner` (signed in, with the current password).
        by: String,
    },
    /// «Сменить пароль» refused: `bad_current` (wrong current password) or `locked`.
    PasswordChangeRefused {
        account_id: String,
        reason: String,
    },
    /// A «Забыли пароль?» link was mailed to the account's address (never the token).
    PasswordResetRequested {
        account_id: String,
    },
    /// A password set through a «Забыли пароль?» link; every session of the account ended.
    PasswordReset {
        account_id: String,
    },
}

impl AuditEvent {
    /// The `kind` tag as stored in its own column.
    pub fn kind(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }

    /// The event as JSON text (with its `kind`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

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

/// SHA-256 over the previous hash and this row's content, hex-encoded.
pub fn chain_hash(prev_hash: &str, seq: i64, at: UnixTime, kind: &str, data: &str) -> String {
    let material = format!("{prev_hash}\n{seq}\n{at}\n{kind}\n{data}");
    hex::encode(crate::crypto::sha256(material.as_bytes()))
}

/// Where a chain check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit row {seq}: content does not match its hash (edited)")]
    Edited { seq: i64 },
    #[error("audit row {seq}: previous-hash link broken (a row was deleted, inserted or reordered)")]
    Broken { seq: i64 },
    #[error("audit row {seq}: sequence gap after {prev}")]
    Gap { prev: i64, seq: i64 },
}

/// Checks rows one at a time, in `seq` order, so a long log can be verified page by page.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: String,
    prev_seq: Option<i64>,
    pub checked: usize,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { prev_hash: GENESIS_HASH.to_owned(), prev_seq: None, checked: 0 }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, row: &AuditRecord) -> Result<(), ChainError> {
        if let Some(p) = self.prev_seq
            && row.seq != p + 1
        {
            return Err(ChainError::Gap { prev: p, seq: row.seq });
        }
        if row.prev_hash != self.prev_hash {
            return Err(ChainError::Broken { seq: row.seq });
        }
        if chain_hash(&row.prev_hash, row.seq, row.at, &row.kind, &row.data) != row.hash {
            return Err(ChainError::Edited { seq: row.seq });
        }
        self.prev_hash.clone_from(&row.hash);
        self.prev_seq = Some(row.seq);
        self.checked += 1;
        Ok(())
    }
}

/// Checks rows in `seq` order. Returns the number of rows checked.
pub fn verify_chain(rows: &[AuditRecord]) -> Result<usize, ChainError> {
    let mut v = ChainVerifier::default();
    for row in rows {
        v.push(row)?;
    }
    Ok(v.checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let ev = AuditEvent::ClientAdded { client_id: format!("c{seq}") };
                let (kind, data) = (ev.kind(), ev.to_json());
                let hash = chain_hash(&prev, seq, 100 + seq, &kind, &data);
                let row = AuditRecord { seq, at: 100 + seq, kind, data, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                row
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(5));
    }

    #[test]
    fn edited_row_is_found() {
        let mut rows = chain(5);
        rows[2].data = rows[2].data.replace("c3", "c9");
        assert_eq!(verify_chain(&rows), Err(ChainError::Edited { seq: 3 }));
    }

    #[test]
    fn deleted_row_is_found() {
        let mut rows = chain(5);
        rows.remove(2);
        assert!(matches!(verify_chain(&rows), Err(ChainError::Gap { .. })));
    }

    #[test]
    fn reordered_rows_are_found() {
        let mut rows = chain(5);
        rows.swap(1, 2);
        assert!(verify_chain(&rows).is_err());
    }

    #[test]
    fn kind_is_snake_case_tag() {
        let ev = AuditEvent::DemoSeeded;
        assert_eq!(ev.kind(), "demo_seeded");
    }
}
