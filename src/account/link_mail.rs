//! BR-06: the notices to a school account's owner when a Госуслуги account is
//! linked to it or unlinked from it (sent to the account's email, when it has one).

use super::link_policy::Difference;
use super::mail_text::{MailText, SIGNATURE};
use super::names::full_name;
use crate::store::Account;
use crate::store::links::LinkMethod;

pub(super) fn greeting(a: &Account) -> String {
    format!("Здравствуйте, {}!", full_name(&a.surname, &a.given_name, a.patronymic.as_deref()))
}

pub(super) const NOT_YOU: &str = "Если это сделали не Вы, сразу обратитесь к администратору Вашей организации.";

/// A Госуслуги account was linked to the school account `a`; `differences` between
/// the Госуслуги data and the account's are named (a link by hand allows them).
pub fn linked(a: &Account, method: LinkMethod, differences: &[Difference]) -> MailText {
    let how = match method {
        LinkMethod::Auto => "по совпадению персональных данных при входе через Госуслуги",
        LinkMethod::Credentials => "по логину и паролю учетной записи при входе через Госуслуги",
        LinkMethod::Account => "в персональных настройках",
        LinkMethod::Staff => "сотрудником организации по Вашему обращению",
    };
    let mut paragraphs = vec![
        greeting(a),
        format!("К Вашей учетной записи «{}» привязана учетная запись портала Госуслуг ({how}).", a.login),
        "Теперь Вы можете входить в систему через Госуслуги.".into(),
    ];
    if !differences.is_empty() {
        let named: Vec<&str> = differences.iter().map(|d| d.warning()).collect();
        paragraphs.push(format!("Обратите внимание: {}", named.join(" ")));
    }
    paragraphs.extend([NOT_YOU.to_owned(), SIGNATURE.to_owned()]);
    MailText::from_paragraphs("К учетной записи привязана учетная запись портала Госуслуг".into(), &paragraphs)
}

/// Every Госуслуги link of the school account `a` was removed.
pub fn unlinked(a: &Account) -> MailText {
    MailText::from_paragraphs(
        "Учетная запись портала Госуслуг отвязана".into(),
        &[
            greeting(a),
            format!("От Вашей учетной записи «{}» отвязана учетная запись портала Госуслуг.", a.login),
            "Вход через Госуслуги в эту учетную запись больше не выполняется; входы, выполненные через \
             Госуслуги, завершены."
                .into(),
            NOT_YOU.into(),
            SIGNATURE.into(),
        ],
    )
}
