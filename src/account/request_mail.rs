//! The emails of an access request, in Russian, as plain text and HTML: the
//! confirmation («Успешно создан запрос получения доступа в систему»), the email
//! verification code, and the outcome («проблема решена» / «обращение отклонено»).
//! They are built here and handed to the store, which enqueues them in the same
//! transaction as the change they announce (see docs/mail.md).

use crate::clock::UnixTime;
use crate::store::outbox::OutboxMessage;
use crate::store::requests::AccessRequest;

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
    /// HTML body escapes each into a `<p>`.
    fn from_paragraphs(subject: String, paragraphs: &[String]) -> Self {
        let mut html = String::from("<!DOCTYPE html><html lang=\"ru\"><meta charset=\"utf-8\"><body>");
        for p in paragraphs {
            html.push_str("<p>");
            html.push_str(&escape(p).replace('\n', "<br>"));
            html.push_str("</p>");
        }
        html.push_str("</body></html>");
        Self { subject, text: paragraphs.join("\n\n") + "\n", html }
    }
}

const SIGNATURE: &str = "Это письмо отправлено автоматически, отвечать на него не нужно.";

fn full_name(r: &AccessRequest) -> String {
    [Some(r.surname.as_str()), Some(r.given_name.as_str()), r.patronymic.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The confirmation of a filed request.
pub fn filed(r: &AccessRequest, org_name: &str) -> MailText {
    MailText::from_paragraphs(
        format!("Обращение №{} создано", r.number),
        &[
            format!("Здравствуйте, {}!", full_name(r)),
            "Успешно создан запрос получения доступа в систему.".into(),
            format!("Вашему обращению присвоен номер {}.", r.number),
            format!("Организация: {org_name}."),
            "Ожидайте рассмотрения запроса сотрудниками образовательной организации. \
             О результате мы сообщим на этот адрес."
                .into(),
            SIGNATURE.into(),
        ],
    )
}

/// The code that proves a typed-in address belongs to the person.
pub fn email_code(code: &str) -> MailText {
    MailText::from_paragraphs(
        "Код подтверждения адреса электронной почты".into(),
        &[
            format!("Код подтверждения: {code}"),
            "Введите его на странице обращения в организацию. Код действует 10 минут.".into(),
            "Если Вы не подавали обращение, просто удалите это письмо.".into(),
            SIGNATURE.into(),
        ],
    )
}

/// «проблема решена»: the ESIA login now works.
pub fn resolved(r: &AccessRequest, org_name: &str, login_url: &str) -> MailText {
    MailText::from_paragraphs(
        format!("Обращение №{}: проблема решена", r.number),
        &[
            format!("Здравствуйте, {}!", full_name(r)),
            format!("Ваше обращение №{} рассмотрено: проблема решена.", r.number),
            format!("Организация: {org_name}."),
            format!(
                "Теперь Вы можете входить в систему через Госуслуги: откройте {login_url}, нажмите \
                 «Через Госуслуги» и выберите роль «{}».",
                r.role.label()
            ),
            SIGNATURE.into(),
        ],
    )
}

/// «обращение отклонено», with the reason staff gave.
pub fn rejected(r: &AccessRequest, org_name: &str) -> MailText {
    let reason = r.reason.as_deref().unwrap_or_default();
    MailText::from_paragraphs(
        format!("Обращение №{}: обращение отклонено", r.number),
        &[
            format!("Здравствуйте, {}!", full_name(r)),
            format!("Ваше обращение №{} отклонено.", r.number),
            format!("Организация: {org_name}."),
            format!("Причина: {reason}"),
            "Если Вы считаете, что это ошибка, обратитесь в организацию напрямую.".into(),
            SIGNATURE.into(),
        ],
    )
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
    use super::*;
    use crate::store::Role;
    use crate::store::requests::RequestStatus;

    fn request() -> AccessRequest {
        AccessRequest {
            id: "r".into(),
            number: "А-107119599-94-07".into(),
            issuer: "i".into(),
            subject: "s".into(),
            role: Role::Parent,
            surname: "Соколов".into(),
            given_name: "Дмитрий".into(),
            patronymic: Some("Игоревич".into()),
            birth_date: None,
            email: "sokolov@example.ru".into(),
            email_from_esia: true,
            child: None,
            organisation_id: "o".into(),
            class_id: None,
            comment: None,
            status: RequestStatus::Rejected,
            created_at: 0,
            decided_at: None,
            decided_by: None,
            reason: Some("<b>нет</b> в списках".into()),
            account_id: None,
        }
    }

    #[test]
    fn texts_carry_number_and_outcome() {
        let r = request();
        let m = filed(&r, "СОШ №1");
        assert!(m.text.contains("Успешно создан запрос получения доступа в систему"));
        assert!(m.text.contains("Вашему обращению присвоен номер А-107119599-94-07"));
        assert!(resolved(&r, "СОШ №1", "https://id.example/login").subject.contains("проблема решена"));
        let rej = rejected(&r, "СОШ №1");
        assert!(rej.subject.contains("обращение отклонено"));
        assert!(rej.text.contains("Причина: <b>нет</b> в списках"), "plain text is not escaped");
        assert!(rej.html.contains("Причина: &lt;b&gt;нет&lt;/b&gt; в списках"), "HTML is escaped");
        assert!(email_code("123456").text.contains("123456"));
    }
}
