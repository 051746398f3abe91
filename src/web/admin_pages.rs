//! Page view structs of the staff review (templates in `templates/admin/`): the list
//! «Обращения» and one request beside its directory candidates.

use crate::admin::console::NavLink;
use crate::admin::review::FieldRow;
use askama::Template;

/// One status filter of the list (a link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// An organisation whose requests the staff member may list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// One row of «Обращения».
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub number: String,
    pub href: String,
    pub person: String,
    pub role: String,
    /// Organisation, and the class when there is one.
    pub place: String,
    pub status: &'static str,
    /// `open`, `resolved` or `rejected` (a CSS class).
    pub status_class: &'static str,
    /// «5 мин», «3 ч», «2 дн.».
    pub age: String,
}

/// `GET /admin/requests`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/requests.html")]
pub struct RequestsPage {
    pub nav: Vec<NavLink>,
    pub staff_name: String,
    pub organisation: String,
    /// The organisations the staff member reviews (a choice when more than one).
    pub organisations: Vec<OrgLink>,
    pub filters: Vec<FilterLink>,
    pub rows: Vec<RequestRow>,
}

/// A label and a value of the ESIA data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoLine {
    pub label: &'static str,
    pub value: String,
}

/// One directory candidate beside the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateView {
    pub account_id: String,
    pub login: String,
    pub score: u32,
    pub rows: Vec<FieldRow>,
    /// Some name or the birth date differs: offer «Исправить данные…».
    pub correctable: bool,
    /// The link policy's warnings (`account::link_policy::by_staff`): linking
    /// needs the explicit confirmation «Подтверждаю привязку несмотря на различия».
    pub warnings: Vec<&'static str>,
}

/// How a decided request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeView {
    pub text: String,
    pub by: String,
    pub at: String,
    pub reason: Option<String>,
}

/// `GET /admin/requests/{number}`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/request.html")]
pub struct RequestPage {
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub number: String,
    /// The request's path (the forms post below it).
    pub path: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub open: bool,
    pub esia: Vec<InfoLine>,
    /// «Указано заявителем»: typed by the person, not vouched for by ESIA.
    pub declared: Vec<InfoLine>,
    pub candidates: Vec<CandidateView>,
    /// No candidate is similar: the search of the organisation's accounts is offered,
    /// with the query typed (empty at first).
    pub search: Option<String>,
    /// The accounts that search found (linked through the same form).
    pub found: Vec<CandidateView>,
    pub outcome: Option<OutcomeView>,
}

/// How long ago, for the list: «5 мин», «3 ч», «2 дн.».
pub fn age_label(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 3600 {
        format!("{} мин", (secs / 60).max(1))
    } else if secs < 86_400 {
        format!("{} ч", secs / 3600)
    } else {
        format!("{} дн.", secs / 86_400)
    }
}

/// `ДД.ММ.ГГГГ ЧЧ:ММ` (UTC) of a Unix time.
pub fn date_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| {
            format!("{:02}.{:02}.{} {:02}:{:02} UTC", t.day(), u8::from(t.month()), t.year(), t.hour(), t.minute())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_in_russian() {
        assert_eq!(age_label(0), "1 мин");
        assert_eq!(age_label(5 * 60 + 10), "5 мин");
        assert_eq!(age_label(3 * 3600 + 59), "3 ч");
        assert_eq!(age_label(2 * 86_400 + 5), "2 дн.");
    }

    #[test]
    fn date_times_in_russian_order() {
        assert_eq!(date_time(0), "01.01.1970 00:00 UTC");
    }
}
