//! Outgoing email (issue 5): the `[mail]` configuration, building RFC 5322
//! messages (multipart/alternative, plain text + HTML, UTF-8), the transports
//! ([`transport`]) and the delivery worker ([`worker`]) that drains the
//! transactional outbox ([`crate::store::outbox`]). See docs/mail.md.

pub mod transport;
pub mod worker;

#[cfg(test)]
mod tests;

pub use transport::{FilesTransport, SmtpTransport, Transport, transport_from_config};
pub use worker::{deliver_due, spawn_worker};

use crate::crypto::SecretString;
use crate::store::outbox::OutboxMessage;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Which transport delivers the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// One `.eml` file per message in `mail.dir` (the embedded default and the demo).
    Files,
    /// An SMTP relay (production).
    Smtp,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a relay on localhost only).
    None,
    /// Plain connection upgraded with STARTTLS (required, not opportunistic). Port 587.
    Starttls,
    /// TLS from the first byte (SMTPS). Port 465.
    Tls,
}

/// The `[mail]` section of the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub transport: TransportKind,
    /// Directory of the `files` transport.
    pub dir: PathBuf,
    /// The `From:` mailbox, e.g. `propusk <noreply@school.example.ru>`.
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    /// Empty: no authentication.
    pub smtp_user: String,
    #[serde(skip_serializing)]
    pub smtp_password: SecretString,
    /// Timeout of one SMTP command (and of one whole delivery, ×4).
    pub timeout_secs: u64,
    /// Failed attempts after which a message is given up (kept, with its error).
    pub max_attempts: u32,
    /// The first retry comes after this; each next one after twice as long (capped at 6 hours).
    pub backoff_base_secs: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: TransportKind::Files,
            dir: PathBuf::from("data/mail"),
            from: "propusk <noreply@localhost>".into(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_user: String::new(),
            smtp_password: SecretString::default(),
            timeout_secs: 30,
            max_attempts: 10,
            backoff_base_secs: 60,
        }
    }
}

impl MailConfig {
    /// Checks the section; on error returns (key within `mail.`, reason).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, r: &str| Err((k.to_owned(), r.to_owned()));
        if self.from.parse::<Mailbox>().is_err() {
            return err("from", "must be a mailbox like `propusk <noreply@example.ru>`");
        }
        match self.transport {
            TransportKind::Files if self.dir.as_os_str().is_empty() => return err("dir", "required"),
            TransportKind::Smtp if self.smtp_host.trim().is_empty() => {
                return err("smtp_host", "required when mail.transport = \"smtp\"");
            }
            _ => {}
        }
        if self.smtp_port == 0 {
            return err("smtp_port", "must be 1–65535");
        }
        if !self.smtp_user.is_empty() && self.smtp_password.is_empty() {
            return err("smtp_password", "required when mail.smtp_user is set");
        }
        if self.timeout_secs == 0 {
            return err("timeout_secs", "must be at least 1");
        }
        if self.max_attempts == 0 {
            return err("max_attempts", "must be at least 1");
        }
        if self.backoff_base_secs == 0 {
            return err("backoff_base_secs", "must be at least 1");
        }
        Ok(())
    }
}

/// Why a message could not be built or delivered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message itself is wrong (bad address): retrying cannot help.
    #[error("invalid message: {0}")]
    Invalid(String),
    /// The transport failed (SMTP down, disk full…): retried with backoff.
    #[error("delivery failed: {0}")]
    Transport(String),
}

impl MailError {
    /// Whether a retry cannot succeed.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

/// Builds the RFC 5322 message of `msg`: multipart/alternative (plain text, then
/// HTML), UTF-8, `Date:` = the message's creation time (from the clock).
pub fn build_message(from: &str, msg: &OutboxMessage) -> Result<Message, MailError> {
    let from: Mailbox = from.parse().map_err(|_| MailError::Invalid("mail.from".into()))?;
    let to: Mailbox = msg.to.parse().map_err(|_| MailError::Invalid("recipient address".into()))?;
    let date = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(msg.created_at).unwrap_or(0));
    Message::builder()
        .from(from)
        .to(to)
        .subject(msg.subject.clone())
        .date(date)
        .message_id(Some(format!("<{}@propusk>", msg.id)))
        .multipart(MultiPart::alternative_plain_html(msg.text_body.clone(), msg.html_body.clone()))
        .map_err(|e| MailError::Invalid(e.to_string()))
}
