//! The emails of an access request, in Russian, as plain text and HTML: the
//! confirmation («Успешно создан запрос получения доступа в систему»), the email
//! verification code, and the outcome («проблема решена» / «обращение отклонено»).
//! They are built here and handed to the store, which enqueues them in the same
//! transaction as the change they announce (see docs/mail.md).

pub use super::mail_text::MailText;
use super::mail_text::SIGNATURE;
use super::names::full_name;
use crate::store::requests::AccessRequest;

/// The confirmation of a filed request.
pub fn filed(r: &AccessRequest, org_name: &str) -> MailText {
    MailText::from_paragraphs(
        format!("Обращение №{} создано", r.number),
        &[
            format!("Здравствуйте, {}!", full_name(&r.surname, &r.given_name, r.patronymic.as_deref())),
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
            format!("Здравствуйте, {}!", full_name(&r.surname, &r.given_name, r.patronymic.as_deref())),
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
            format!("Здравствуйте, {}!", full_name(&r.surname, &r.given_name, r.patronymic.as_deref())),
            format!("Ваше обращение №{} отклонено.", r.number),
            format!("Организация: {org_name}."),
            format!("Причина: {reason}"),
            "Если Вы считаете, что это ошибка, обратитесь в организацию напрямую.".into(),
            SIGNATURE.into(),
        ],
    )
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
