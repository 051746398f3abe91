//! The shape every email of propusk shares: a subject, a plain-text body and an
//! HTML body built from the same paragraphs (the HTML escaped), in Russian.

use crate::clock::UnixTime;
use crate::store::outbox::OutboxMessage;

/// The last paragraph of every email.
pub(crate) const SIGNATURE: &str = "Это письмо отправлено автоматически, отвечать на него не нужно.";

/// One email's subject and bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl MailText {
    /// The outbox message of this text to `to`, created at `now`.
    pub fn message(&self, now: UnixTime, to: &str) -> OutboxMessage {
        OutboxMessage::new(now, to, self.subject.clone(), self.text.clone(), self.html.clone())
    }

    /// A text from paragraphs: the plain body joins them with blank lines, the
    /// HTML body escapes each into a `<p>`; a paragraph that is one `https://` (or
    /// `http://`) address becomes a link to it.
    pub(crate) fn from_paragraphs(subject: String, paragraphs: &[String]) -> Self {
        let mut html = String::from("<!DOCTYPE html><html lang=\"ru\"><meta charset=\"utf-8\"><body>");
        for p in paragraphs {
            html.push_str("<p>");
            if is_address(p) {
                let url = escape(p);
                html.push_str(&format!("<a href=\"{url}\">{url}</a>"));
            } else {
                html.push_str(&escape(p).replace('\n', "<br>"));
            }
            html.push_str("</p>");
        }
        html.push_str("</body></html>");
        Self { subject, text: paragraphs.join("\n\n") + "\n", html }
    }
}

/// One web address and nothing else.
fn is_address(p: &str) -> bool {
    (p.starts_with("https://") || p.starts_with("http://")) && !p.chars().any(char::is_whitespace)
}

/// Escapes text for HTML element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::MailText;

    #[test]
    fn a_paragraph_that_is_an_address_becomes_a_link() {
        let m = MailText::from_paragraphs(
            "Тема".into(),
            &[
                "Откройте ссылку:".into(),
                "https://id.example/reset-password?token=a&b".into(),
                "См. https://x y".into(),
            ],
        );
        assert!(m.html.contains(
            "<p><a href=\"https://id.example/reset-password?token=a&amp;b\">https://id.example/reset-password?token=a&amp;b</a></p>"
        ));
        assert!(m.html.contains("<p>См. https://x y</p>"), "an address inside a sentence stays text");
        assert!(m.text.contains("\n\nhttps://id.example/reset-password?token=a&b\n\n"), "plain text as typed");
    }
}
