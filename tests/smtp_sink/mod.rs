//! A minimal SMTP server on loopback for tests (shared by `tests/mail_outbox.rs`
//! and `tests/it`): it speaks just enough SMTP for lettre and keeps every message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the sink received: one raw message (DATA, un-dot-stuffed) per delivery.
pub type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

/// A minimal SMTP server: 220 greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
pub async fn smtp_sink(listener: TcpListener, inbox: Inbox) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let inbox = inbox.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read);
            write.write_all(b"220 sink.test ESMTP ready\r\n").await.unwrap();
            let mut line = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                    "DATA" => {
                        write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.unwrap();
                        let mut data = Vec::new();
                        loop {
                            let mut l = Vec::new();
                            if lines.read_until(b'\n', &mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == b".\r\n" {
                                break;
                            }
                            data.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
                        }
                        inbox.lock().unwrap().push(data);
                        b"250 queued\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    // HELO, MAIL, RCPT, RSET, NOOP
                    _ => b"250 ok\r\n",
                };
                if write.write_all(reply).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Waits (at most 15 s) until the sink holds `n` messages.
pub async fn wait_for(inbox: &Inbox, n: usize) {
    tokio::time::timeout(Duration::from_secs(15), async {
        while inbox.lock().unwrap().len() < n {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the sink received the message in time");
}

/// The messages received so far, parsed.
pub fn parsed(inbox: &Inbox) -> Vec<mail_parser::Message<'static>> {
    inbox
        .lock()
        .unwrap()
        .iter()
        .map(|raw| mail_parser::MessageParser::default().parse(raw).expect("an RFC 5322 message").into_owned())
        .collect()
}
