//! Page view structs of the person's access request («Обратиться в организацию»,
//! templates in `templates/request/`): the check «Действительно ли у Вас есть
//! проблема входа…», the form, the email-code page and the success page.

use askama::Template;

/// An organisation where this ESIA person already has a school account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccount {
    pub organisation: String,
    pub locality: String,
    pub role: String,
    /// Already linked to this ESIA person (else: matching by name and birth date).
    pub linked: bool,
}

/// A request of this person that is still open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequestLine {
    pub number: String,
    pub organisation: String,
}

/// «Действительно ли у Вас есть проблема входа в систему через Госуслуги?»
#[derive(Debug, Clone, Template)]
#[template(path = "request/check.html")]
pub struct RequestCheckPage {
    pub flow: String,
    pub accounts: Vec<KnownAccount>,
    pub open: Vec<OpenRequestLine>,
}

/// One option of a plain select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One option of a dependent select: rendered always (with `data-type` /
/// `data-org` = `parent`), hidden and disabled unless its parent is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentChoice {
    pub value: String,
    pub label: String,
    /// The organisation type (of an organisation) or the organisation id (of a class).
    pub parent: String,
    pub selected: bool,
    pub shown: bool,
}

/// A message per form field (and one for the whole form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub form: Option<String>,
    pub email: Option<String>,
    pub child: Option<String>,
    pub org_type: Option<String>,
    pub organisation: Option<String>,
    pub class: Option<String>,
    pub comment: Option<String>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// «Форма подачи обращения».
#[derive(Debug, Clone, Template)]
#[template(path = "request/form.html")]
pub struct RequestFormPage {
    pub flow: String,
    pub csrf: String,
    pub full_name: String,
    /// ДД.ММ.ГГГГ (empty when ESIA gave none).
    pub birth_date: String,
    /// The chosen role's label.
    pub role: String,
    pub email: String,
    /// The ESIA profile has an email (else the note about adding one or a code).
    pub esia_email: bool,
    /// «Ребенок» is asked (parents only).
    pub parent: bool,
    /// The ESIA children («Фамилия Имя Отчество, ДД.ММ.ГГГГ»); empty → a text input.
    pub children: Vec<Choice>,
    pub child_name: String,
    pub org_types: Vec<Choice>,
    pub org_type_chosen: bool,
    pub organisations: Vec<DependentChoice>,
    /// «Класс» is asked (pupils and parents).
    pub show_class: bool,
    pub org_chosen: bool,
    pub classes: Vec<DependentChoice>,
    pub comment: String,
    pub comment_max: usize,
    pub errors: FieldErrors,
}

/// «Введите код из письма».
#[derive(Debug, Clone, Template)]
#[template(path = "request/code.html")]
pub struct RequestCodePage {
    pub flow: String,
    pub csrf: String,
    pub email: String,
    pub error: Option<String>,
}

/// «Успешно создано обращение №…».
#[derive(Debug, Clone, Template)]
#[template(path = "request/done.html")]
pub struct RequestDonePage {
    pub flow: String,
    pub number: String,
    pub email: String,
    /// The person already had this request open: no new one was filed.
    pub duplicate: bool,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn form() -> RequestFormPage {
        RequestFormPage {
            flow: "f".into(),
            csrf: "c".into(),
            full_name: "Иванова Мария Петровна".into(),
            birth_date: "11.08.1985".into(),
            role: "Родитель".into(),
            email: String::new(),
            esia_email: false,
            parent: true,
            children: vec![Choice {
                value: "0".into(),
                label: "Иванов Иван Сергеевич, 15.03.2012".into(),
                selected: true,
            }],
            child_name: String::new(),
            org_types: vec![Choice {
                value: "Общеобразовательная".into(),
                label: "Общеобразовательная".into(),
                selected: false,
            }],
            org_type_chosen: false,
            organisations: vec![DependentChoice {
                value: "o1".into(),
                label: "МБОУ СОШ №1 (Южно-Сахалинск)".into(),
                parent: "Общеобразовательная".into(),
                selected: false,
                shown: false,
            }],
            show_class: true,
            org_chosen: false,
            classes: Vec::new(),
            comment: "<b>".into(),
            comment_max: 1000,
            errors: FieldErrors::default(),
        }
    }

    #[test]
    fn esia_children_are_a_select_with_the_note() {
        let html = form().render().unwrap();
        assert!(html.contains("Информация о детях была получена из Вашего профиля Госуслуг."));
        assert!(html.contains("name=\"child\""));
        assert!(!html.contains("name=\"child_name\""));
        assert!(html.contains("Иванов Иван Сергеевич, 15.03.2012"));
        assert!(html.contains("Сначала выберите тип организации"));
        assert!(html.contains("Сначала выберите организацию"));
        assert!(html.contains("&#60;b&#62;") || html.contains("&lt;b&gt;"), "the comment is escaped");
        assert!(html.contains("Госуслуг"), "the note about a missing ESIA email");
    }

    #[test]
    fn the_gosuslugi_profile_line_of_seed_000() {
        let link = "<a href=\"https://www.gosuslugi.ru/profile\" target=\"_blank\" rel=\"noopener noreferrer\">заполнить сведения по учетной записи</a>";
        let line = format!(
            "Для возможности подачи обращения в организацию необходимо {link} в личном кабинете родителя на портале Госуслуги."
        );
        let html = form().render().unwrap();
        assert!(html.contains(&line), "the parent's line");
        // It comes before the fields.
        assert!(html.find("Для возможности подачи обращения") < html.find("name=\"email\""));
        let pupil = RequestFormPage { parent: false, role: "Ученик".into(), ..form() };
        let line = format!(
            "Для возможности подачи обращения в организацию необходимо {link} в личном кабинете на портале Госуслуги."
        );
        assert!(pupil.render().unwrap().contains(&line), "a pupil's line names no role");
    }

    #[test]
    fn without_esia_children_a_text_input_and_no_note() {
        let mut page = form();
        page.children.clear();
        let html = page.render().unwrap();
        assert!(html.contains("name=\"child_name\""));
        assert!(!html.contains("Информация о детях была получена"));
    }
}
