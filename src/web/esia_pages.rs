//! Page view structs of the «Через Госуслуги» journey (templates in
//! `templates/esia/`): role choice, personal-data consent, refusal, «Запись не
//! найдена», linking, the account chooser, and the notices around them.

use super::pages::OrgChoice;
use askama::Template;

/// «Выберите роль для входа».
#[derive(Debug, Clone, Template)]
#[template(path = "esia/role.html")]
pub struct RolePage {
    /// The flow's signed id; empty for a sign-in started on the login page itself.
    pub flow: String,
    pub csrf: String,
    pub error: Option<String>,
    /// Without a flow: the local path to land on after the sign-in.
    pub next: String,
}

/// «Согласие на передачу персональных данных».
#[derive(Debug, Clone, Template)]
#[template(path = "esia/pd_consent.html")]
pub struct PdConsentPage {
    pub flow: String,
    pub csrf: String,
    pub items: Vec<String>,
}

/// The account must be confirmed («подтвержденная»), or a child account was used for another role.
#[derive(Debug, Clone, Template)]
#[template(path = "esia/refusal.html")]
pub struct RefusalPage {
    pub exit_url: String,
    pub child: bool,
}

/// «Запись не найдена».
#[derive(Debug, Clone, Template)]
#[template(path = "esia/not_found.html")]
pub struct NotFoundPage {
    pub flow: String,
    pub csrf: String,
}

/// «Привязать учетную запись»: organisation, «Логин», «Пароль», «Привязать».
#[derive(Debug, Clone, Template)]
#[template(path = "esia/link.html")]
pub struct LinkPage {
    pub flow: String,
    pub csrf: String,
    pub schools: OrgChoice,
    pub authorities: OrgChoice,
    /// «Орган управления» was the open tab.
    pub authority_open: bool,
    pub selected_org: Option<String>,
    /// The login typed before a «Показать» or a failure (never the password).
    pub login: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChooserEntry {
    pub account_id: String,
    pub organisation: String,
    pub role: String,
    pub class: Option<String>,
}

/// «Выберите учетную запись».
#[derive(Debug, Clone, Template)]
#[template(path = "esia/chooser.html")]
pub struct ChooserPage {
    pub flow: String,
    pub csrf: String,
    pub entries: Vec<ChooserEntry>,
}

/// The notice before `/account` sends the person to Госуслуги.
#[derive(Debug, Clone, Template)]
#[template(path = "esia/notice.html")]
pub struct EsiaNoticePage {
    pub csrf: String,
}

/// ESIA answered with an error, or its answer failed verification.
#[derive(Debug, Clone, Template)]
#[template(path = "esia/error.html")]
pub struct EsiaErrorPage {
    pub flow: String,
    pub message: String,
    /// «Номер запроса», as on every error page ([`super::headers::request_id`]).
    pub request_id: Option<String>,
}

impl LinkPage {
    /// The organisation chosen before a «Показать» or a failure (used by `org_tabs.html`).
    pub fn is_selected(&self, id: &str) -> bool {
        self.selected_org.as_deref() == Some(id)
    }

    /// The «Орган управления» tab starts open when it was open or its organisation is chosen.
    pub fn authority_selected(&self) -> bool {
        self.authority_open || self.selected_org.as_deref().is_some_and(|sel| self.authorities.shows(sel))
    }
}
