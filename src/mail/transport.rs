//! Mail transports behind one trait: [`FilesTransport`] writes one `.eml` file
//! per message (atomically: temp file + rename; mode 0600, directory 0700); [`SmtpTransport`] talks to an
//! SMTP relay through lettre (pooled connections, STARTTLS/TLS with rustls).

use super::{MailConfig, MailError, SmtpTls, TransportKind, build_message};
use crate::private_fs;
use crate::store::outbox::OutboxMessage;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

/// Delivers one message. Success means the message left our hands.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, msg: &OutboxMessage) -> Result<(), MailError>;
}

/// The transport `cfg.transport` names.
pub fn transport_from_config(cfg: &MailConfig) -> Result<Arc<dyn Transport>, MailError> {
    Ok(match cfg.transport {
        TransportKind::Files => Arc::new(FilesTransport::new(cfg)),
        TransportKind::Smtp => Arc::new(SmtpTransport::new(cfg)?),
    })
}

/// Writes `<dir>/<message id>.eml`.
#[derive(Debug, Clone)]
pub struct FilesTransport {
    dir: PathBuf,
    from: String,
}

impl FilesTransport {
    pub fn new(cfg: &MailConfig) -> Self {
        Self { dir: cfg.dir.clone(), from: cfg.from.clone() }
    }
}

#[async_trait::async_trait]
impl Transport for FilesTransport {
    async fn send(&self, msg: &OutboxMessage) -> Result<(), MailError> {
        let bytes = build_message(&self.from, msg)?.formatted();
        // The id is a UUID we generated, but never trust a file name blindly.
        if msg.id.is_empty() || !msg.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(MailError::Invalid("message id".into()));
        }
        let io = |e: std::io::Error| MailError::Transport(format!("mail.dir: {e}"));
        // Messages carry personal data: directory 0700 where we create it, files 0600.
        tokio::fs::DirBuilder::new().recursive(true).mode(private_fs::DIR_MODE).create(&self.dir).await.map_err(io)?;
        let tmp = self.dir.join(format!(".{}.eml.tmp", msg.id));
        let path = self.dir.join(format!("{}.eml", msg.id));
        // A temp file left by a crash may predate these modes: start afresh.
        let _ = tokio::fs::remove_file(&tmp).await;
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(private_fs::FILE_MODE)
            .open(&tmp)
            .await
            .map_err(io)?;
        file.write_all(&bytes).await.map_err(io)?;
        file.flush().await.map_err(io)?;
        drop(file);
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }
}

/// An SMTP relay through lettre.
#[derive(Clone)]
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
    timeout: Duration,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport").field("from", &self.from).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    pub fn new(cfg: &MailConfig) -> Result<Self, MailError> {
        let host = cfg.smtp_host.as_str();
        let tls_err = |e: lettre::transport::smtp::Error| MailError::Invalid(format!("mail.smtp_host: {e}"));
        let builder = match cfg.smtp_tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_err)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_err)?,
        };
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let mut builder = builder.port(cfg.smtp_port).timeout(Some(timeout));
        if !cfg.smtp_user.is_empty() {
            let password = cfg.smtp_password.expose().to_owned();
            builder = builder.credentials(Credentials::new(cfg.smtp_user.clone(), password));
        }
        Ok(Self { inner: builder.build(), from: cfg.from.clone(), timeout })
    }
}

impl SmtpTransport {
    /// Connects to the relay and says EHLO (`propusk check`); sends nothing.
    pub async fn probe(&self) -> Result<(), MailError> {
        match tokio::time::timeout(self.timeout * 2, self.inner.test_connection()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(MailError::Transport("smtp: the relay did not answer".into())),
            Ok(Err(e)) => Err(MailError::Transport(format!("smtp: {e}"))),
            Err(_) => Err(MailError::Transport("smtp: timed out".into())),
        }
    }
}

#[async_trait::async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, msg: &OutboxMessage) -> Result<(), MailError> {
        let message = build_message(&self.from, msg)?;
        // lettre's timeout is per command; bound the whole conversation too.
        match tokio::time::timeout(self.timeout * 4, self.inner.send(message)).await {
            Ok(Ok(_response)) => Ok(()),
            // Even a 5xx is retried: a misconfigured relay must not give up the whole queue.
            Ok(Err(e)) => Err(MailError::Transport(format!("smtp: {e}"))),
            Err(_) => Err(MailError::Transport("smtp: timed out".into())),
        }
    }
}
