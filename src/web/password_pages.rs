//! Page view structs of «Забыли пароль?» (templates in `templates/password/`):
//! the request form, the answer that is the same for every login, the form of the
//! emailed link, its success page and the page of a link that no longer works.

use super::pages::OrgChoice;
use askama::Template;

/// `GET /forgot-password`: organisation and «Логин».
#[derive(Debug, Clone, Template)]
#[template(path = "password/forgot.html")]
pub struct ForgotPage {
    pub csrf: String,
    pub schools: OrgChoice,
    pub authorities: OrgChoice,
    pub selected_org: Option<String>,
    pub login: String,
    pub error: Option<String>,
}

impl ForgotPage {
    /// The «Орган управления» tab starts open when the selected organisation is one.
    pub fn authority_selected(&self) -> bool {
        self.selected_org.as_deref().is_some_and(|sel| self.authorities.shows(sel))
    }

    pub fn is_selected(&self, id: &str) -> bool {
        self.selected_org.as_deref() == Some(id)
    }
}

/// `GET /forgot-password/sent`: the one answer, whether or not the login exists.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "password/forgot_sent.html")]
pub struct ForgotSentPage {
    /// Minutes a link works.
    pub minutes: i64,
}

/// `GET /reset-password?token=…`: the new password for the account of the link.
#[derive(Debug, Clone, Template)]
#[template(path = "password/reset.html")]
pub struct ResetPage {
    pub csrf: String,
    pub token: String,
    pub login: String,
    pub organisation: String,
    pub error: Option<String>,
}

/// The password was set through the link.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "password/reset_done.html")]
pub struct ResetDonePage {}

/// The link is unknown, used or expired (400).
#[derive(Debug, Clone, Default, Template)]
#[template(path = "password/reset_invalid.html")]
pub struct ResetInvalidPage {
    pub minutes: i64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::{OrgKind, Organisation};

    fn groups(id: &str) -> OrgChoice {
        let kind = if id.starts_with("uo") { OrgKind::Authority } else { OrgKind::School };
        let org = Organisation {
            id: id.into(),
            kind,
            region: "Регион".into(),
            municipality: "Округ".into(),
            locality: "Город".into(),
            org_type: "Общеобразовательная".into(),
            name: "Школа".into(),
        };
        crate::web::org_cascade::cascade(&[org], kind, &Default::default(), false)
    }

    #[test]
    fn forgot_form_has_organisation_login_and_csrf() {
        let page = ForgotPage {
            csrf: "c-1".into(),
            schools: groups("org-1"),
            authorities: groups("uo-1"),
            selected_org: Some("org-1".into()),
            login: "<b>x</b>".into(),
            error: None,
        };
        let html = page.render().unwrap();
        assert!(html.contains("method=\"post\" action=\"/forgot-password\""));
        assert!(html.contains("name=\"csrf\" value=\"c-1\""));
        assert!(html.contains("value=\"org-1\" selected>"));
        assert!(html.contains("for=\"login\">Логин</label>"));
        assert!(!html.contains("<b>x</b>"), "escaped");
        assert!(html.contains("Через Госуслуги") && html.contains("классному руководителю"));
    }

    #[test]
    fn answer_says_the_same_for_everyone() {
        let html = ForgotSentPage { minutes: 30 }.render().unwrap();
        assert!(html.contains(
            "Если учетная запись существует и в ней указан адрес электронной почты, мы отправили на него ссылку"
        ));
        assert!(html.contains("30 минут"));
        assert!(html.contains("классному руководителю") && html.contains("Через Госуслуги"));
        assert!(html.contains("href=\"/login\""));
    }

    #[test]
    fn reset_form_carries_the_token() {
        let page = ResetPage {
            csrf: "c".into(),
            token: "tok".into(),
            login: "ivanova.mp".into(),
            organisation: "МБОУ СОШ №1".into(),
            error: Some("Пароли не совпадают.".into()),
        };
        let html = page.render().unwrap();
        assert!(html.contains("method=\"post\" action=\"/reset-password\""));
        assert!(html.contains("name=\"token\" value=\"tok\""));
        assert!(html.contains("autocomplete=\"new-password\""));
        assert!(html.contains("role=\"alert\""));
        assert!(ResetDonePage {}.render().unwrap().contains("href=\"/login\""));
        assert!(ResetInvalidPage { minutes: 30 }.render().unwrap().contains("href=\"/forgot-password\""));
    }
}
