//! Typed audit events; the keyed hash chain that makes the audit table tamper-evident
//! is in [`chain`], the checkpoints an operator ships elsewhere in [`checkpoint`].
//!
//! Events carry ids only: never tokens, passwords, SNILS or names. The store writes
//! an event in the same transaction as the change it describes, as a pending row
//! that [`pending`] links into the chain shortly after; each chained row carries the
//! keyed hash of the row before it, so [`verify_chain`] finds any edited, deleted or
//! reordered row, and a checkpoint finds a truncated or rewritten log.

pub mod chain;
pub mod checkpoint;
pub mod pending;
pub mod retention;
pub mod search;
pub mod verify;

pub use chain::{AuditRecord, ChainError, ChainKey, ChainVerifier, GENESIS_HASH, chain_hash, verify_chain};
pub use pending::pending_mac;

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
        /// How the person proved who they are (the `amr` of the grant); empty for
        /// `client_credentials`.
        #[serde(default)]
        amr: Vec<String>,
        /// The session (its id hash) the grant came from, when there is one.
        #[serde(default)]
        session_id: Option<String>,
        /// The `X-Request-Id` of the token request (as in the log).
        #[serde(default)]
        request_id: Option<String>,
    },
    /// Written by releases before every token issued on refresh had its own
    /// `token_issued` event; kept so old rows still read as events.
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
        /// `pkce_mismatch`, `redirect_uri_mismatch`, `wrong_client`, `expired`, `dpop_key_mismatch`
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
    /// `by`: the acting admin's account id when revoked from the console (absent when
    /// the owner revoked it at `/account`).
    ConsentRevoked {
        account_id: String,
        client_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// `by`: `cli`, `demo` or the acting admin's account id (absent in older rows).
    ClientAdded {
        client_id: String,
        #[serde(default)]
        by: String,
    },
    /// `by`: `cli` or the acting admin's account id (absent in older rows).
    ClientChanged {
        client_id: String,
        #[serde(default)]
        by: String,
    },
    /// A new client secret; the previous one is accepted until `old_valid_until`
    /// (`None`: not at all).
    ClientSecretRotated {
        client_id: String,
        old_valid_until: Option<UnixTime>,
        #[serde(default)]
        by: String,
    },
    ClientRemoved {
        client_id: String,
        #[serde(default)]
        by: String,
    },
    KeyAdded {
        kid: String,
        alg: String,
        activates_at: UnixTime,
    },
    /// `keys retire`: the key stops signing now and leaves the JWKS at `retire_at`.
    KeyRetired {
        kid: String,
        alg: String,
        retire_at: UnixTime,
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
    /// `by`: `owner` (at `/account`) or the acting admin's account id (absent in older rows).
    AccountUnlinked {
        account_id: String,
        links: u64,
        #[serde(default)]
        by: String,
    },
    /// An admin ended every session of the account (its grants stay).
    AccountSessionsEnded {
        account_id: String,
        by: String,
    },
    /// An admin revoked the account's grants: of one client, or (`None`) all.
    AccountGrantsRevoked {
        account_id: String,
        client_id: Option<String>,
        by: String,
    },
    /// An admin disabled the account: its sessions ended, its grants revoked.
    AccountDisabled {
        account_id: String,
        by: String,
    },
    /// An admin enabled the account again.
    AccountEnabled {
        account_id: String,
        by: String,
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
    /// ESIA answered a login with an error: its code (`ESIA-007053`, or the OAuth
    /// `error` when it sent none) and the class of `connector::esia::errors`.
    EsiaError {
        code: String,
        class: String,
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
    /// A logout token (Back-Channel Logout 1.0) accepted by the client's
    /// `backchannel_logout_uri` (200 or 204); `notice_id` is the token's `jti`.
    BackchannelLogoutDelivered {
        client_id: String,
        account_id: String,
        notice_id: String,
        attempts: i64,
    },
    /// A logout token given up: `backchannel.max_attempts` failed, or the client has no
    /// `backchannel_logout_uri` (any more), or is gone. `reason`: the last error.
    BackchannelLogoutFailed {
        client_id: String,
        account_id: String,
        notice_id: String,
        attempts: i64,
        reason: String,
    },
    /// A staff role granted (`reviewer`, `org-admin`, `system-admin`); `organisation_id`
    /// empty for the installation-wide role; `by`: `cli` or the acting admin's account id.
    RoleGranted {
        account_id: String,
        role: String,
        organisation_id: String,
        by: String,
    },
    /// A staff role revoked; fields as in `role_granted`.
    RoleRevoked {
        account_id: String,
        role: String,
        organisation_id: String,
        by: String,
    },
    /// An admin role granted to a client (the admin API's bearer callers):
    /// `organisation_id` empty for `system-admin`; `by` is `cli` or an admin's id.
    ClientRoleGranted {
        client_id: String,
        role: String,
        organisation_id: String,
        by: String,
    },
    /// A client's admin role revoked; fields as in `client_role_granted`.
    ClientRoleRevoked {
        client_id: String,
        role: String,
        organisation_id: String,
        by: String,
    },
    /// `audit prune`: the rows up to `upto_seq` (`rows` of them, exported first) removed;
    /// the log now begins after the signed anchor of that row (`audit::retention`).
    AuditPruned {
        upto_seq: i64,
        rows: i64,
        by: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_snake_case_tag() {
        let ev = AuditEvent::DemoSeeded;
        assert_eq!(ev.kind(), "demo_seeded");
    }
}
