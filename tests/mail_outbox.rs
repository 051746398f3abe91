//! The mail outbox end to end: messages enqueued in the store are delivered by
//! the worker over a real SMTP conversation (lettre → a tiny SMTP sink on
//! loopback), survive an SMTP outage (retried after the backoff), and the files
//! transport writes parseable `.eml` files. SQLite by default; PostgreSQL when
//! `TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod smtp_sink;

use propusk::clock::{Clock, FixedClock};
use propusk::mail::{FilesTransport, MailConfig, SmtpTls, SmtpTransport, Transport, TransportKind, deliver_due};
use propusk::store::outbox::OutboxMessage;
use propusk::store::{Store, StoreError};
use smtp_sink::{Inbox, smtp_sink, wait_for};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const T0: i64 = 1_800_000_000;

/// A store on a fresh database (dropped with the guard).
struct Db {
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
    _pg: Option<PgDb>,
}

struct PgDb {
    admin_url: String,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .arg(&self.admin_url)
            .arg("-qc")
            .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .output();
    }
}

async fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(T0));
    let (url, pg) = match std::env::var("TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("propusk_mail_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
            let out = std::process::Command::new("psql")
                .arg(&admin_url)
                .arg("-qc")
                .arg(format!("CREATE DATABASE {name}"))
                .output()
                .unwrap();
            assert!(out.status.success(), "create database: {}", String::from_utf8_lossy(&out.stderr));
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
            (format!("{base}/{name}"), Some(PgDb { admin_url, name }))
        }
        _ => (format!("sqlite://{}", dir.path().join("propusk.db").display()), None),
    };
    let store = propusk::store::open(&url, 4, clock.clone()).await.unwrap();
    store.migrate().await.unwrap();
    Db { store, clock, _dir: dir, _pg: pg }
}

fn message(clock: &FixedClock, to: &str) -> OutboxMessage {
    OutboxMessage::new(
        clock.now(),
        to,
        "Обращение №А-123456789-01-02 принято",
        "Здравствуйте, Иван Петрович!\nВаше обращение зарегистрировано.",
        "<p>Здравствуйте, Иван Петрович!</p><p>Ваше обращение зарегистрировано.</p>",
    )
}

fn smtp_config(port: u16) -> MailConfig {
    MailConfig {
        transport: TransportKind::Smtp,
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_tls: SmtpTls::None,
        timeout_secs: 2,
        max_attempts: 5,
        backoff_base_secs: 30,
        ..MailConfig::default()
    }
}

/// Checks a delivered message: multipart/alternative with the Russian text in both parts.
fn assert_parsed(raw: &[u8], to: &str) {
    let parsed = mail_parser::MessageParser::default().parse(raw).expect("an RFC 5322 message");
    assert_eq!(parsed.subject(), Some("Обращение №А-123456789-01-02 принято"));
    let rcpt = parsed.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap();
    assert_eq!(rcpt, to);
    assert!(parsed.body_text(0).unwrap().contains("Ваше обращение зарегистрировано."));
    assert!(parsed.body_html(0).unwrap().contains("<p>Здравствуйте, Иван Петрович!</p>"));
    let raw = String::from_utf8_lossy(raw);
    assert!(raw.contains("multipart/alternative"), "{raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_delivers_over_smtp() {
    let db = db().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cfg = smtp_config(listener.local_addr().unwrap().port());
    let inbox = Inbox::default();
    let sink = tokio::spawn(smtp_sink(listener, inbox.clone()));

    let msg = message(&db.clock, "ivanov@example.ru");
    db.store.enqueue_mail(&msg, None).await.unwrap();
    let transport: Arc<dyn Transport> = Arc::new(SmtpTransport::new(&cfg).unwrap());
    let worker = propusk::mail::spawn_worker(db.store.clone(), transport, db.clock.clone(), cfg);
    wait_for(&inbox, 1).await;
    // Marked sent right after the sink's 250.
    tokio::time::timeout(Duration::from_secs(10), async {
        while db.store.mail(&msg.id).await.unwrap().unwrap().sent_at.is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("marked sent");
    worker.abort();
    sink.abort();
    let raw = inbox.lock().unwrap()[0].clone();
    assert_parsed(&raw, "ivanov@example.ru");
    assert_eq!(inbox.lock().unwrap().len(), 1, "sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_survives_smtp_outage() {
    let db = db().await;
    // Reserve a port, then close it: the SMTP server is down.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let cfg = smtp_config(port);
    let transport = SmtpTransport::new(&cfg).unwrap();
    let msg = message(&db.clock, "petrova@example.ru");
    db.store.enqueue_mail(&msg, None).await.unwrap();

    for attempt in 1..=2 {
        assert_eq!(deliver_due(db.store.as_ref(), &transport, db.clock.as_ref(), &cfg).await.unwrap(), 1);
        let queued = db.store.mail(&msg.id).await.unwrap().unwrap();
        assert_eq!(queued.attempts, attempt);
        assert_eq!(queued.sent_at, None);
        assert!(queued.last_error.as_deref().unwrap().starts_with("delivery failed: smtp"));
        // base × 2^(attempts−1): 30 s, then 60 s.
        let wait = 30 * (1 << (attempt - 1));
        assert_eq!(queued.next_attempt_at, Some(db.clock.now() + wait));
        // Not due during the backoff.
        assert_eq!(deliver_due(db.store.as_ref(), &transport, db.clock.as_ref(), &cfg).await.unwrap(), 0);
        db.clock.advance(wait);
    }

    // The server comes back on the same port.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let inbox = Inbox::default();
    let sink = tokio::spawn(smtp_sink(listener, inbox.clone()));
    assert_eq!(deliver_due(db.store.as_ref(), &transport, db.clock.as_ref(), &cfg).await.unwrap(), 1);
    sink.abort();
    let sent = db.store.mail(&msg.id).await.unwrap().unwrap();
    assert_eq!((sent.attempts, sent.sent_at), (2, Some(db.clock.now())));
    let raw = inbox.lock().unwrap()[0].clone();
    assert_parsed(&raw, "petrova@example.ru");
    // Delivered: never due again.
    db.clock.advance(86_400);
    assert_eq!(deliver_due(db.store.as_ref(), &transport, db.clock.as_ref(), &cfg).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_max_attempts_keeping_the_error() {
    let db = db().await;
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let cfg = MailConfig { max_attempts: 2, ..smtp_config(port) };
    let transport = SmtpTransport::new(&cfg).unwrap();
    let msg = message(&db.clock, "ivanov@example.ru");
    db.store.enqueue_mail(&msg, None).await.unwrap();
    for _ in 0..2 {
        deliver_due(db.store.as_ref(), &transport, db.clock.as_ref(), &cfg).await.unwrap();
        db.clock.advance(3600);
    }
    let failed = db.store.mail(&msg.id).await.unwrap().unwrap();
    assert_eq!((failed.attempts, failed.next_attempt_at, failed.sent_at), (2, None, None));
    assert!(failed.last_error.is_some());
    assert_eq!(deliver_due(db.store.as_ref(), &transport, db.clock.as_ref(), &cfg).await.unwrap(), 0);
    assert!(matches!(db.store.mark_mail_sent("missing").await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn files_transport_writes_parseable_eml() {
    let db = db().await;
    let out = tempfile::tempdir().unwrap();
    let cfg = MailConfig { dir: out.path().join("mail"), ..MailConfig::default() };
    let transport = FilesTransport::new(&cfg);
    let msg = message(&db.clock, "sokolov@example.ru");
    db.store.enqueue_mail(&msg, None).await.unwrap();
    assert_eq!(deliver_due(db.store.as_ref(), &transport, db.clock.as_ref(), &cfg).await.unwrap(), 1);
    assert!(db.store.mail(&msg.id).await.unwrap().unwrap().sent_at.is_some());

    let names: Vec<String> =
        std::fs::read_dir(&cfg.dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, [format!("{}.eml", msg.id)], "one file, no temp file left");
    let raw = std::fs::read(cfg.dir.join(&names[0])).unwrap();
    assert_parsed(&raw, "sokolov@example.ru");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("From: propusk <noreply@localhost>"), "{text}");
}
