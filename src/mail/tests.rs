//! Unit tests of `mail`: configuration rules, backoff, message building.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::worker::{MAX_BACKOFF_SECS, next_attempt};
use super::*;

#[test]
fn defaults_are_valid() {
    MailConfig::default().validate().unwrap();
}

#[test]
fn bad_values_name_the_key() {
    let key = |f: &dyn Fn(&mut MailConfig)| {
        let mut c = MailConfig::default();
        f(&mut c);
        c.validate().unwrap_err().0
    };
    assert_eq!(key(&|c| c.from = "not an address".into()), "from");
    assert_eq!(key(&|c| c.transport = TransportKind::Smtp), "smtp_host");
    assert_eq!(key(&|c| c.max_attempts = 0), "max_attempts");
    assert_eq!(key(&|c| c.backoff_base_secs = 0), "backoff_base_secs");
    assert_eq!(key(&|c| c.timeout_secs = 0), "timeout_secs");
    assert_eq!(key(&|c| c.smtp_user = "u".into()), "smtp_password");
}

#[test]
fn backoff_doubles_and_gives_up() {
    let cfg = MailConfig { backoff_base_secs: 10, max_attempts: 5, ..MailConfig::default() };
    assert_eq!(next_attempt(&cfg, 1000, 1), Some(1010));
    assert_eq!(next_attempt(&cfg, 1000, 2), Some(1020));
    assert_eq!(next_attempt(&cfg, 1000, 4), Some(1080));
    assert_eq!(next_attempt(&cfg, 1000, 5), None);
    let cfg = MailConfig { backoff_base_secs: 3600, max_attempts: 100, ..MailConfig::default() };
    assert_eq!(next_attempt(&cfg, 0, 60), Some(i64::try_from(MAX_BACKOFF_SECS).unwrap()));
}

#[test]
fn message_is_multipart_alternative_utf8() {
    let msg = OutboxMessage::new(
        1_800_000_000,
        "ivanov@example.ru",
        "Обращение принято",
        "Здравствуйте!",
        "<p>Здравствуйте!</p>",
    );
    let raw = String::from_utf8(build_message("propusk <noreply@localhost>", &msg).unwrap().formatted()).unwrap();
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("text/plain; charset=utf-8"), "{raw}");
    assert!(raw.contains("text/html; charset=utf-8"), "{raw}");
    assert!(raw.contains(&format!("Message-ID: <{}@propusk>", msg.id)), "{raw}");
    assert!(build_message("propusk <noreply@localhost>", &OutboxMessage { to: "bad".into(), ..msg }).is_err());
}

#[test]
fn config_section_loads_and_names_mail_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("propusk.toml");
    std::fs::write(
        &path,
        "[mail]\ntransport = \"smtp\"\nsmtp_host = \"smtp.example.ru\"\nsmtp_tls = \"tls\"\nsmtp_port = 465\n",
    )
    .unwrap();
    let config = crate::config::Config::load(Some(&path)).unwrap();
    assert_eq!(
        (config.mail.transport, config.mail.smtp_tls, config.mail.smtp_port),
        (TransportKind::Smtp, SmtpTls::Tls, 465)
    );

    std::fs::write(&path, "[mail]\ntransport = \"smtp\"\n").unwrap();
    assert_eq!(crate::config::Config::load(Some(&path)).unwrap_err().key, "mail.smtp_host");
    std::fs::write(&path, "[mail]\ntransport = \"pigeon\"\n").unwrap();
    assert_eq!(crate::config::Config::load(Some(&path)).unwrap_err().key, "mail.transport");
    std::fs::write(&path, "[mail]\nsmtp_server = \"x\"\n").unwrap();
    assert!(crate::config::Config::load(Some(&path)).is_err(), "unknown keys are refused");
}
