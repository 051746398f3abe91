//! Storage of access requests («Обратиться в организацию», issue 5): the
//! [`AccessRequest`] record, the staff [`Decision`] on it, and the
//! [`RequestStore`] trait, implemented once for both backends in `store/sql/requests.rs`.
//!
//! A request is filed by an ESIA person whom nothing matched; staff of the chosen
//! organisation end it by linking it to a school account (optionally correcting
//! that account's data), by creating a new account, or by rejecting it. Every
//! change is written with its audit events and its email (the outbox) in one
//! transaction.

use super::outbox::OutboxMessage;
use super::{Account, Role, StoreResult};
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Filed, waiting for staff («Новое»).
    Open,
    /// Linked to an account or an account created («Решено»).
    Resolved,
    /// Rejected with a reason («Отклонено»).
    Rejected,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "resolved" => Some(Self::Resolved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }

    /// The label staff see (CONTRACT.md §5).
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Новое",
            Self::Resolved => "Решено",
            Self::Rejected => "Отклонено",
        }
    }
}

/// The child a parent's request is about (from the ESIA profile, or typed in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestChild {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ISO `YYYY-MM-DD`, when known.
    pub birth_date: Option<String>,
    /// Chosen among the children ESIA lists; `false`: typed by the requester.
    #[serde(default)]
    pub from_esia: bool,
}

/// One access request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    /// Internal id (UUID v7); never shown.
    pub id: String,
    /// The number people and staff see: `А-NNNNNNNNN-NN-NN` ([`new_request_number`]).
    pub number: String,
    /// The ESIA person (BR-04: keyed by issuer and subject).
    pub issuer: String,
    pub subject: String,
    /// The role chosen before ESIA.
    pub role: Role,
    /// Personal data as ESIA vouched for it.
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Where the answer goes: from ESIA, or typed in and verified by a code.
    pub email: String,
    /// Whether `email` came from the ESIA profile (else it was verified by a code).
    pub email_from_esia: bool,
    pub child: Option<RequestChild>,
    pub organisation_id: String,
    /// The class (the pupil's, or the parent's child's).
    pub class_id: Option<String>,
    pub comment: Option<String>,
    pub status: RequestStatus,
    pub created_at: UnixTime,
    pub decided_at: Option<UnixTime>,
    /// The staff account that decided.
    pub decided_by: Option<String>,
    /// The reason of a rejection.
    pub reason: Option<String>,
    /// The account the request was linked to or created.
    pub account_id: Option<String>,
}

/// Corrected personal data of a directory account (staff link a request to an
/// account whose record differs from ESIA, e.g. a wrong birth date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub birth_date: String,
    /// The matching key recomputed from the corrected data.
    pub match_key: String,
}

/// What staff decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Link the ESIA person to this existing account (of the request's organisation),
    /// first correcting its personal data when given.
    Link { account_id: String, correction: Option<Correction> },
    /// Create this account (in the request's organisation) and link the ESIA person to
    /// it. A plain insert: a taken id or login fails the whole decision with
    /// `Conflict` (the caller retries with the next login).
    Create { account: Box<Account> },
    /// End the request without access.
    Reject { reason: String },
}

/// A staff decision on an open request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub request_id: String,
    /// The deciding staff account.
    pub staff_id: String,
    pub outcome: Outcome,
}

/// What [`RequestStore::file_request`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    Created,
    /// The person already has an open request to that organisation for that role
    /// (and child): nothing was stored; here it is.
    Duplicate(Box<AccessRequest>),
}

/// Access requests.
#[async_trait::async_trait]
pub trait RequestStore: Send + Sync {
    /// Stores an open request with its confirmation `mail` and `audit` event in one
    /// transaction — unless the same person has an open request for the same
    /// organisation, role and child ([`Filed::Duplicate`]). A number that exists
    /// already is a [`super::StoreError::Conflict`] (the caller draws a new one).
    async fn file_request(&self, req: &AccessRequest, mail: &OutboxMessage, audit: &AuditEvent) -> StoreResult<Filed>;
    async fn access_request(&self, id: &str) -> StoreResult<Option<AccessRequest>>;
    async fn access_request_by_number(&self, number: &str) -> StoreResult<Option<AccessRequest>>;
    /// Requests to one organisation, oldest open first then newest decided, at most
    /// `limit`; only `status` when given.
    async fn requests_of_organisation(
        &self,
        organisation_id: &str,
        status: Option<RequestStatus>,
        limit: i64,
    ) -> StoreResult<Vec<AccessRequest>>;
    /// Every request of one ESIA person, newest first.
    async fn requests_of_person(&self, issuer: &str, subject: &str) -> StoreResult<Vec<AccessRequest>>;
    /// Accounts of one organisation with one role, by surname (staff look for candidates).
    async fn accounts_of_organisation(
        &self,
        organisation_id: &str,
        role: Role,
        limit: i64,
    ) -> StoreResult<Vec<Account>>;
    /// Ends an open request as `decision` says, in one transaction: the status and
    /// decision fields, the account correction or creation, the request's ESIA person
    /// linked to that account (method `staff`), the `mail` to the person and every
    /// `audit` event. `false` (and nothing written) when
    /// the request is no longer open — someone else decided first.
    async fn decide_request(
        &self,
        decision: &Decision,
        mail: &OutboxMessage,
        audit: &[AuditEvent],
    ) -> StoreResult<bool>;
}

/// A fresh request number `А-NNNNNNNNN-NN-NN` (Cyrillic «А», 13 random decimal
/// digits, uniform, from the CSPRNG): not sequential, not guessable (≈43 bits).
pub fn new_request_number() -> String {
    const SPACE: u64 = 10_000_000_000_000;
    // Rejection sampling keeps the digits uniform.
    let limit = u64::MAX - u64::MAX % SPACE;
    let n = loop {
        let bytes = crate::crypto::random_bytes();
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[..8]);
        let candidate = u64::from_le_bytes(word);
        if candidate < limit {
            break candidate % SPACE;
        }
    };
    let digits = format!("{n:013}");
    format!("А-{}-{}-{}", &digits[..9], &digits[9..11], &digits[11..])
}

/// Whether `s` has the shape of a request number.
pub fn is_request_number(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("А-") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    matches!(parts.as_slice(), [a, b, c] if a.len() == 9 && b.len() == 2 && c.len() == 2
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_the_contract_shape_and_differ() {
        let a = new_request_number();
        let b = new_request_number();
        assert!(is_request_number(&a), "{a}");
        assert!(a.starts_with('А') && !a.starts_with('A'), "Cyrillic А");
        assert_eq!(a.chars().count(), 17);
        assert_ne!(a, b);
        assert!(!is_request_number("A-107119599-94-07"), "Latin A");
        assert!(is_request_number("А-107119599-94-07"));
        assert!(!is_request_number("А-10711959-94-07"));
    }

    #[test]
    fn status_round_trip() {
        for s in [RequestStatus::Open, RequestStatus::Resolved, RequestStatus::Rejected] {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
    }
}
