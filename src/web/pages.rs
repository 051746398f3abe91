//! Page view structs (askama templates in `templates/`) and the [`html`] helper that
//! turns a rendered page into an axum response; [`russian_date`] for the dates they show.
//!
//! The structs hold display-ready strings only; handlers fill them. Askama escapes every
//! value, so a client name or an error text can never inject markup.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The content type of every page.
pub const HTML_UTF8: &str = "text/html; charset=utf-8";

/// Shown when a template fails to render (should never happen: templates are checked
/// at compile time, only a formatting error of a value can fail).
const RENDER_FAILED: &str = "<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
<title>Внутренняя ошибка</title></head><body><h1>Внутренняя ошибка</h1>\
<p>Попробуйте повторить попытку позже.</p></body></html>";

/// Renders `t` as a `200 OK` HTML response (see [`html_with_status`]).
pub fn html<T: Template>(t: &T) -> Response {
    html_with_status(StatusCode::OK, t)
}

/// Renders `t` with `status`; a render failure becomes a plain 500 page and a log line.
pub fn html_with_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static(HTML_UTF8))], body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "page template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, HeaderValue::from_static(HTML_UTF8))],
                RENDER_FAILED,
            )
                .into_response()
        }
    }
}

/// `YYYY-MM-DD` → `ДД.ММ.ГГГГ` (dates as the pages show them).
pub fn russian_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] => format!("{d}.{m}.{y}"),
        _ => iso.to_owned(),
    }
}

/// The organisation choice of one tab of the login and linking forms: the cascade of
/// filter selects above the organisation select (decided by `web::org_cascade`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgChoice {
    /// «Регион», «Городской округ / Муниципальный район», … in order.
    pub filters: Vec<OrgFilter>,
    /// Every organisation of the tab, grouped; the filters' choice marks the shown ones.
    pub groups: Vec<OrgGroup>,
    /// The form offers the no-JavaScript «Показать»; without it the filters appear
    /// only when `static/login.js` runs.
    pub refresh: bool,
}

impl OrgChoice {
    /// Whether the organisation `id` is among the shown options.
    pub fn shows(&self, id: &str) -> bool {
        self.groups.iter().flat_map(|g| &g.orgs).any(|o| o.shown && o.id == id)
    }
}

/// One filter select of the cascade (`id="{select}-{key}"`, `name="{select}_{key}"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFilter {
    /// `region`, `municipality`, `locality` or `type`; also the options' `data-` attribute.
    pub key: &'static str,
    pub label: &'static str,
    /// The first option («Все регионы»…): no filter.
    pub placeholder: &'static str,
    pub options: Vec<FilterOption>,
}

/// One value of a filter select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterOption {
    pub value: String,
    pub selected: bool,
}

/// One `<optgroup>` of the organisation select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgGroup {
    /// «Регион — Городской округ / Муниципальный район».
    pub label: String,
    pub orgs: Vec<OrgOption>,
    /// Some of its organisations are shown.
    pub shown: bool,
}

/// One organisation in the select, with its place for the cascade (`data-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgOption {
    pub id: String,
    /// «Name (Locality)».
    pub label: String,
    pub region: String,
    pub municipality: String,
    pub locality: String,
    pub org_type: String,
    /// Left by the filters' choice (else rendered `hidden disabled`).
    pub shown: bool,
}

/// The login page (`GET /login`, and `POST /login` again after a failure or «Показать»).
#[derive(Debug, Clone, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub flow: String,
    pub csrf: String,
    pub client_name: String,
    pub schools: OrgChoice,
    pub authorities: OrgChoice,
    /// «Орган управления» is the open tab (kept by «Показать»).
    pub authority_open: bool,
    pub error: Option<String>,
    pub login: String,
    pub selected_org: Option<String>,
    /// Where «Через Госуслуги» leads; `None` hides the button and «или».
    pub esia_url: Option<String>,
    /// A login without a flow (e.g. for `/account`): the local path to return to.
    pub next: String,
}

impl LoginPage {
    /// The «Орган управления» tab starts open when it was open or the selected
    /// organisation is one.
    pub fn authority_selected(&self) -> bool {
        self.authority_open
            || self
                .selected_org
                .as_deref()
                .is_some_and(|sel| self.authorities.groups.iter().any(|g| g.orgs.iter().any(|o| o.id == sel)))
    }

    pub fn is_selected(&self, id: &str) -> bool {
        self.selected_org.as_deref() == Some(id)
    }
}

/// One requested scope on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeLine {
    pub scope: String,
    pub description: String,
}

/// The relying-party consent page (clients registered with explicit consent).
#[derive(Debug, Clone, Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub flow: String,
    pub csrf: String,
    pub client_name: String,
    /// The client's `logo_uri`, shown with `client_name` as its `alt`; its origin is
    /// this page's one extra `img-src` ([`super::headers::ImageOrigin`]).
    pub logo_uri: Option<String>,
    pub scopes: Vec<ScopeLine>,
}

/// «Выйти из системы?»: RP-initiated logout that needs the person's confirmation.
#[derive(Debug, Clone, Template)]
#[template(path = "logout.html")]
pub struct LogoutPage {
    pub csrf: String,
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// «Вы вышли из системы».
#[derive(Debug, Clone, Default, Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage {}

/// One relying party the person has consented to, on `/account`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentLine {
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    /// When it was granted, ready for display (ДД.ММ.ГГГГ).
    pub granted: String,
}

/// `/account`: «Персональные настройки» of the signed-in person.
#[derive(Debug, Clone, Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub csrf: String,
    pub full_name: String,
    /// «Фамилия», «Имя», «Отчество» as separate lines (seed 004).
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ДД.ММ.ГГГГ.
    pub birth_date: String,
    /// «2026/2027» ([`crate::account::school_year::school_year`]).
    pub school_year: String,
    pub organisation: String,
    pub role: String,
    pub class: Option<String>,
    pub login: String,
    pub esia_linked: bool,
    pub consents: Vec<ConsentLine>,
    /// Personal-data consents («Согласие на передачу персональных данных») of the linked ESIA person(s).
    pub pd_consents: Vec<PdConsentLine>,
    /// A one-line notice after an action («Согласие отозвано»…).
    pub message: Option<String>,
    /// Why «Сменить пароль» did not change it (shown in that section).
    pub password_error: Option<String>,
}

/// One personal-data consent, revocable from `/account`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdConsentLine {
    /// Position among the account's ESIA links (the form names it, not the ESIA id).
    pub index: usize,
    /// ДД.ММ.ГГГГ.
    pub granted: String,
}

/// An error for people. Never echoes request parameters; see `web::error_page`.
#[derive(Debug, Clone, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_in_russian_order() {
        assert_eq!(super::russian_date("1985-08-11"), "11.08.1985");
    }
}
