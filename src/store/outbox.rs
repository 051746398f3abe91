//! Storage of the mail outbox (issue 5): the [`OutboxMessage`] record and the
//! [`MailOutbox`] trait, implemented once for both backends in `store/sql/outbox.rs`.
//!
//! A message is enqueued in the same transaction as the change it announces (and
//! its audit event); the mail worker (`crate::mail`) claims due messages with a
//! lease, sends them and marks them sent or failed. Delivery is at least once.

use super::StoreResult;
use crate::audit::AuditEvent;
use crate::clock::UnixTime;
use serde::{Deserialize, Serialize};

/// How long a claim by [`MailOutbox::due_mail`] keeps other workers (other nodes)
/// off a message. Longer than any SMTP timeout; a crashed worker's claim runs out.
pub const CLAIM_LEASE_SECS: i64 = 300;

/// One email waiting in (or delivered from) the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// A UUID v7 (time-ordered), as text.
    pub id: String,
    /// The recipient address (`user@example.ru`).
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: UnixTime,
    /// Failed delivery attempts so far.
    pub attempts: i64,
    /// When the worker may try next; `None` once it gave up (`mail.max_attempts`).
    pub next_attempt_at: Option<UnixTime>,
    pub sent_at: Option<UnixTime>,
    /// The error of the last failed attempt (transport message, no body).
    pub last_error: Option<String>,
}

impl OutboxMessage {
    /// A new message, due at once, with a UUID v7 of `now` (and random bits from
    /// [`crate::crypto::random_bytes`]).
    pub fn new(
        now: UnixTime,
        to: impl Into<String>,
        subject: impl Into<String>,
        text_body: impl Into<String>,
        html_body: impl Into<String>,
    ) -> Self {
        let random = crate::crypto::random_bytes();
        let mut counter = [0u8; 10];
        counter.copy_from_slice(&random[..10]);
        let millis = u64::try_from(now).unwrap_or(0).saturating_mul(1000);
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &counter).into_uuid().to_string();
        Self {
            id,
            to: to.into(),
            subject: subject.into(),
            text_body: text_body.into(),
            html_body: html_body.into(),
            created_at: now,
            attempts: 0,
            next_attempt_at: Some(now),
            sent_at: None,
            last_error: None,
        }
    }
}

/// The transactional outbox.
#[async_trait::async_trait]
pub trait MailOutbox: Send + Sync {
    /// Stores `msg` (and `audit`, when given) in one transaction.
    async fn enqueue_mail(&self, msg: &OutboxMessage, audit: Option<&AuditEvent>) -> StoreResult<()>;
    /// Claims up to `limit` unsent messages with `next_attempt_at <= now` that no
    /// other worker holds, oldest first, for [`CLAIM_LEASE_SECS`]. On PostgreSQL
    /// the candidate rows are locked `FOR UPDATE SKIP LOCKED`; on SQLite the claim
    /// runs in a write (`BEGIN IMMEDIATE`) transaction. Either way two concurrent
    /// callers never get the same message.
    async fn due_mail(&self, limit: i64) -> StoreResult<Vec<OutboxMessage>>;
    /// Marks a message delivered (releases the claim).
    async fn mark_mail_sent(&self, id: &str) -> StoreResult<()>;
    /// Counts a failed attempt, keeps `error` and schedules the next attempt;
    /// `None` gives up (the message stays, unsent, with its error). Releases the claim.
    async fn mark_mail_failed(&self, id: &str, error: &str, next_attempt_at: Option<UnixTime>) -> StoreResult<()>;
    /// One message, whatever its state (tests, operations).
    async fn mail(&self, id: &str) -> StoreResult<Option<OutboxMessage>>;
}
