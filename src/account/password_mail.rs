//! The emails about a school account's password, in Russian, plain text and HTML:
//! the «Забыли пароль?» link and the notice that the password was changed (sent to
//! the account's email; enqueued by the store with the change, see docs/mail.md).

use super::link_mail::{NOT_YOU, greeting};
use super::mail_text::{MailText, SIGNATURE};
use crate::store::Account;

/// The reset link for `a`, valid for `minutes` and once.
pub fn reset_link(a: &Account, url: &str, minutes: i64) -> MailText {
    MailText::from_paragraphs(
        "Восстановление пароля".into(),
        &[
            greeting(a),
            format!(
                "Для Вашей учетной записи «{}» запрошена смена пароля («Забыли пароль?»). \
                 Чтобы задать новый пароль, откройте ссылку:",
                a.login
            ),
            url.to_owned(),
            format!("Ссылка действует {minutes} минут и только один раз."),
            "Если Вы не запрашивали смену пароля, просто удалите это письмо: пароль останется прежним.".into(),
            SIGNATURE.into(),
        ],
    )
}

/// The password of `a` was changed (at `/account` or through a reset link).
pub fn changed(a: &Account) -> MailText {
    MailText::from_paragraphs(
        "Пароль изменён".into(),
        &[
            greeting(a),
            format!("Пароль Вашей учетной записи «{}» изменён. Другие входы в эту учетную запись завершены.", a.login),
            NOT_YOU.into(),
            SIGNATURE.into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;

    fn account() -> Account {
        Account {
            id: "a".into(),
            subject: "a".into(),
            organisation_id: "o".into(),
            login: "ivanova.mp".into(),
            password_hash: String::new(),
            role: Role::Parent,
            can_review_requests: false,
            surname: "Иванова".into(),
            given_name: "Мария".into(),
            patronymic: Some("Петровна".into()),
            birth_date: "1985-08-11".into(),
            snils_hash: None,
            match_key: String::new(),
            class_id: None,
            email: Some("ivanova@example.ru".into()),
            phone: None,
            disabled: false,
            created_at: 0,
        }
    }

    #[test]
    fn reset_link_mail_carries_the_link_and_its_limits() {
        let url = "https://id.example/reset-password?token=abc";
        let m = reset_link(&account(), url, 30);
        assert_eq!(m.subject, "Восстановление пароля");
        assert!(m.text.contains("Здравствуйте, Иванова Мария Петровна!"));
        assert!(m.text.contains("«ivanova.mp»"));
        assert!(m.text.contains(&format!("\n\n{url}\n\n")));
        assert!(m.text.contains("Ссылка действует 30 минут и только один раз."));
        assert!(m.html.contains(&format!("<a href=\"{url}\">")));
    }

    #[test]
    fn changed_mail_says_other_logins_ended() {
        let m = changed(&account());
        assert_eq!(m.subject, "Пароль изменён");
        assert!(m.text.contains("Другие входы в эту учетную запись завершены."));
        assert!(m.text.contains("Если это сделали не Вы"));
    }
}
