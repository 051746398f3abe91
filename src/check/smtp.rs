//! The check of outgoing mail: the SMTP relay answers (connect, TLS as configured, EHLO).

use super::Report;
use crate::config::Config;
use crate::mail::{SmtpTransport, TransportKind};

const AREA: &str = "smtp";

pub async fn check(config: &Config, report: &mut Report) {
    let mail = &config.mail;
    if mail.transport != TransportKind::Smtp {
        return report.note("mail", format!("files transport: messages are written to {}", mail.dir.display()));
    }
    let target = format!("{}:{}", mail.smtp_host, mail.smtp_port);
    let result = match SmtpTransport::new(mail) {
        Ok(t) => t.probe().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => report.ok(AREA, format!("{target} answers")),
        Err(e) => report.error(AREA, format!("unreachable: {target} ({e})")),
    }
}
