//! The access-request form («Форма подачи обращения»): the posted values, their
//! validation (pure, into a [`Draft`] or a message per field), and the page with the
//! dependent selects «Тип организации» → «Организация» → «Класс» filtered on the
//! server (the «Показать» button) and, when JavaScript runs, by `static/request.js`.

use super::esia::EsiaPerson;
use crate::app::App;
use crate::oidc::params::Params;
use crate::store::requests::RequestChild;
use crate::store::{Class, Organisation, Role};
use crate::web::error_page::PageError;
use crate::web::pages::russian_date;
use crate::web::request_pages::{Choice, DependentChoice, FieldErrors, RequestFormPage};
use serde::{Deserialize, Serialize};

/// «Дополнительный комментарий»: at most this many characters.
pub const COMMENT_MAX: usize = 1000;
/// An email address: at most this many bytes (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// A typed-in child's ФИО: at most this many characters.
const CHILD_NAME_MAX: usize = 200;

/// The form as posted (field names: `email`, `child`, `child_name`, `org_type`,
/// `organisation`, `class`, `comment`), kept as typed to re-render it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormValues {
    pub email: String,
    /// Index into the ESIA children.
    pub child: String,
    /// A child's ФИО typed in when the ESIA profile lists none.
    pub child_name: String,
    pub org_type: String,
    pub organisation: String,
    pub class: String,
    pub comment: String,
}

impl FormValues {
    pub fn from_params(p: &Params) -> Self {
        let field = |name: &str| p.get(name).unwrap_or_default().to_owned();
        Self {
            email: field("email").trim().to_owned(),
            child: field("child"),
            child_name: field("child_name"),
            org_type: field("org_type"),
            organisation: field("organisation"),
            class: field("class"),
            comment: field("comment"),
        }
    }

    /// The first rendering: the email from ESIA, nothing chosen.
    pub fn initial(person: &EsiaPerson) -> Self {
        Self { email: person.email.clone().unwrap_or_default(), ..Self::default() }
    }
}

/// A request ready to be filed (or to wait for the email code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub email: String,
    pub child: Option<RequestChild>,
    pub organisation_id: String,
    pub class_id: Option<String>,
    pub comment: Option<String>,
}

/// The organisations and classes the form offers.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub organisations: Vec<Organisation>,
    pub classes: Vec<Class>,
}

impl Catalogue {
    pub async fn load(app: &App) -> Result<Self, PageError> {
        Ok(Self { organisations: app.store.organisations().await?, classes: app.store.all_classes().await? })
    }

    pub fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }

    /// The distinct organisation types, sorted.
    pub fn types(&self) -> Vec<String> {
        let mut types: Vec<String> =
            self.organisations.iter().map(|o| o.org_type.clone()).filter(|t| !t.is_empty()).collect();
        types.sort();
        types.dedup();
        types
    }

    fn has_classes(&self, org_id: &str) -> bool {
        self.classes.iter().any(|c| c.organisation_id == org_id)
    }
}

/// The class is asked of pupils and of parents (for their child).
pub fn asks_class(role: Role) -> bool {
    matches!(role, Role::Pupil | Role::Parent)
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, no spaces or control characters, at most [`EMAIL_MAX`].
pub fn plausible_email(s: &str) -> bool {
    if s.is_empty() || s.len() > EMAIL_MAX || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else { return false };
    if local.is_empty() || local.len() > 64 || domain.contains('@') || local.contains(['<', '>', '"', ',', ';']) {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

fn child_label(c: &super::esia::EsiaChild) -> String {
    let name = crate::account::names::full_name(&c.surname, &c.given_name, c.patronymic.as_deref());
    match &c.birth_date {
        Some(bd) => format!("{name}, {}", russian_date(bd)),
        None => name,
    }
}

/// «Фамилия Имя Отчество» typed in → a child (surname, given name, the rest as patronymic).
fn typed_child(s: &str) -> Option<RequestChild> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let (surname, rest) = words.split_first()?;
    let given_name = rest.first().copied().unwrap_or_default().to_owned();
    let patronymic = (rest.len() > 1).then(|| rest[1..].join(" "));
    Some(RequestChild { surname: (*surname).to_owned(), given_name, patronymic, birth_date: None, from_esia: false })
}

/// Checks the form; a [`Draft`] or a message per field.
pub fn validate(v: &FormValues, person: &EsiaPerson, role: Role, cat: &Catalogue) -> Result<Draft, Box<FieldErrors>> {
    let mut e = FieldErrors::default();
    if v.email.is_empty() {
        e.email = Some("Укажите адрес электронной почты.".into());
    } else if !plausible_email(&v.email) {
        e.email = Some("Проверьте адрес электронной почты: например, ivanov@example.ru.".into());
    }
    let mut child = None;
    if role == Role::Parent {
        if person.children.is_empty() {
            if v.child_name.chars().count() > CHILD_NAME_MAX {
                e.child = Some(format!("ФИО ребенка — не длиннее {CHILD_NAME_MAX} символов."));
            } else {
                child = typed_child(&v.child_name);
            }
        } else if !v.child.is_empty() {
            match v.child.parse::<usize>().ok().and_then(|i| person.children.get(i)) {
                Some(c) => {
                    child = Some(RequestChild {
                        surname: c.surname.clone(),
                        given_name: c.given_name.clone(),
                        patronymic: c.patronymic.clone(),
                        birth_date: c.birth_date.clone(),
                        from_esia: true,
                    });
                }
                None => e.child = Some("Выберите ребенка из списка.".into()),
            }
        }
    }
    let types = cat.types();
    if v.org_type.is_empty() {
        e.org_type = Some("Выберите тип организации.".into());
    } else if !types.contains(&v.org_type) {
        e.org_type = Some("Выберите тип организации из списка.".into());
    }
    let org = cat.organisation(&v.organisation);
    match org {
        _ if v.organisation.is_empty() => e.organisation = Some("Выберите организацию.".into()),
        None => e.organisation = Some("Такой организации нет. Выберите организацию из списка.".into()),
        Some(o) if e.org_type.is_none() && o.org_type != v.org_type => {
            e.organisation = Some("Эта организация не относится к выбранному типу.".into());
        }
        Some(_) => {}
    }
    let mut class_id = None;
    if asks_class(role)
        && let Some(o) = org
    {
        if !v.class.is_empty() {
            match cat.classes.iter().find(|c| c.id == v.class) {
                Some(c) if c.organisation_id == o.id => class_id = Some(c.id.clone()),
                _ => e.class = Some("Выберите класс выбранной организации.".into()),
            }
        } else if cat.has_classes(&o.id) {
            e.class = Some("Выберите класс.".into());
        }
    }
    let comment = v.comment.trim();
    if comment.chars().count() > COMMENT_MAX {
        e.comment = Some(format!("Комментарий — не длиннее {COMMENT_MAX} символов."));
    }
    match (e.is_empty(), org) {
        (true, Some(o)) => Ok(Draft {
            email: v.email.clone(),
            child,
            organisation_id: o.id.clone(),
            class_id,
            comment: (!comment.is_empty()).then(|| comment.to_owned()),
        }),
        _ => Err(Box::new(e)),
    }
}

/// «Фамилия Имя Отчество» of the ESIA person.
pub fn full_name(p: &EsiaPerson) -> String {
    crate::account::names::full_name(&p.surname, &p.given_name, p.patronymic.as_deref())
}

/// What the form page shows for `values`, the options filtered by what was chosen.
pub struct FormContext<'a> {
    pub flow: String,
    pub csrf: String,
    pub person: &'a EsiaPerson,
    pub role: Role,
    pub catalogue: &'a Catalogue,
}

impl FormContext<'_> {
    pub fn page(&self, v: &FormValues, errors: FieldErrors) -> RequestFormPage {
        let cat = self.catalogue;
        let type_ok = cat.types().contains(&v.org_type);
        let org = cat.organisation(&v.organisation).filter(|o| type_ok && o.org_type == v.org_type);
        let organisations = cat
            .organisations
            .iter()
            .map(|o| DependentChoice {
                value: o.id.clone(),
                label: if o.locality.is_empty() { o.name.clone() } else { format!("{} ({})", o.name, o.locality) },
                parent: o.org_type.clone(),
                selected: org.is_some_and(|c| c.id == o.id),
                shown: type_ok && o.org_type == v.org_type,
            })
            .collect();
        let classes = cat
            .classes
            .iter()
            .map(|c| DependentChoice {
                value: c.id.clone(),
                label: c.name.clone(),
                parent: c.organisation_id.clone(),
                selected: org.is_some_and(|o| o.id == c.organisation_id) && c.id == v.class,
                shown: org.is_some_and(|o| o.id == c.organisation_id),
            })
            .collect();
        let children = self
            .person
            .children
            .iter()
            .enumerate()
            .map(|(i, c)| Choice { value: i.to_string(), label: child_label(c), selected: v.child == i.to_string() })
            .collect();
        let org_types =
            cat.types().into_iter().map(|t| Choice { selected: t == v.org_type, label: t.clone(), value: t }).collect();
        RequestFormPage {
            flow: self.flow.clone(),
            csrf: self.csrf.clone(),
            full_name: full_name(self.person),
            birth_date: self.person.birth_date.as_deref().map(russian_date).unwrap_or_default(),
            role: self.role.label().to_owned(),
            email: v.email.clone(),
            esia_email: self.person.email.as_deref().is_some_and(|e| !e.is_empty()),
            parent: self.role == Role::Parent,
            children,
            child_name: v.child_name.clone(),
            org_types,
            org_type_chosen: type_ok,
            organisations,
            show_class: asks_class(self.role),
            org_chosen: org.is_some(),
            classes,
            comment: v.comment.clone(),
            comment_max: COMMENT_MAX,
            errors,
        }
    }
}

#[cfg(test)]
#[path = "access_form_tests.rs"]
mod tests;
