//! Pure decisions of the staff review: how close a directory account is to the ESIA
//! data of an access request ([`person_score`], [`child_score`], [`top`]), the
//! field-by-field comparison shown beside each candidate ([`compare`]), and which
//! fields a correction would change ([`changed_fields`]).
//!
//! Names are compared normalised (case, spaces, hyphens, ё/е do not matter). A birth
//! date that differs by one digit, by two neighbouring digits swapped, or by day and
//! month swapped still ranks near: these are the typing errors of a school record.

use crate::account::names::normalise_name;
use crate::store::Account;
use crate::store::requests::{AccessRequest, RequestChild};
use crate::web::pages::russian_date;

const SURNAME: u32 = 3;
const GIVEN: u32 = 2;
const PATRONYMIC: u32 = 2;
const BIRTH_SAME: u32 = 4;
const BIRTH_NEAR: u32 = 2;
const EMAIL: u32 = 2;
const CLASS: u32 = 1;
const CHILD_SAME: u32 = 3;
const CHILD_NEAR: u32 = 1;

/// How close two ISO dates are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateCloseness {
    Same,
    /// One digit differs, two neighbouring digits are swapped, or day and month are swapped.
    Near,
    Far,
}

/// Compares two ISO `YYYY-MM-DD` dates (see [`DateCloseness`]).
pub fn date_closeness(a: &str, b: &str) -> DateCloseness {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return DateCloseness::Same;
    }
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if ca.len() == cb.len() && !ca.is_empty() {
        let diff: Vec<usize> = (0..ca.len()).filter(|&i| ca[i] != cb[i]).collect();
        let one_digit = diff.len() == 1;
        let neighbours_swapped =
            matches!(diff.as_slice(), [i, j] if *j == i + 1 && ca[*i] == cb[*j] && ca[*j] == cb[*i]);
        if one_digit || neighbours_swapped {
            return DateCloseness::Near;
        }
    }
    let parts = |s: &str| -> Option<(String, String, String)> {
        match s.split('-').collect::<Vec<_>>()[..] {
            [y, m, d] => Some((y.to_owned(), m.to_owned(), d.to_owned())),
            _ => None,
        }
    };
    match (parts(a), parts(b)) {
        (Some((ya, ma, da)), Some((yb, mb, db))) if ya == yb && ma == db && da == mb => DateCloseness::Near,
        _ => DateCloseness::Far,
    }
}

fn same_name(a: &str, b: &str) -> bool {
    let a = normalise_name(a);
    !a.is_empty() && a == normalise_name(b)
}

fn date_points(a: Option<&str>, b: &str) -> u32 {
    match a.map(|a| date_closeness(a, b)) {
        Some(DateCloseness::Same) => BIRTH_SAME,
        Some(DateCloseness::Near) => BIRTH_NEAR,
        _ => 0,
    }
}

/// How close `acc` is to the person of `req`: equal surname, given name, patronymic,
/// birth date (or near it) and email; for pupils the same class adds a little, but
/// only to an account that is close already.
pub fn person_score(req: &AccessRequest, acc: &Account) -> u32 {
    let mut score = 0;
    if same_name(&req.surname, &acc.surname) {
        score += SURNAME;
    }
    if same_name(&req.given_name, &acc.given_name) {
        score += GIVEN;
    }
    if let (Some(a), Some(b)) = (&req.patronymic, &acc.patronymic)
        && same_name(a, b)
    {
        score += PATRONYMIC;
    }
    score += date_points(req.birth_date.as_deref(), &acc.birth_date);
    if let Some(e) = &acc.email
        && !req.email.trim().is_empty()
        && e.trim().eq_ignore_ascii_case(req.email.trim())
    {
        score += EMAIL;
    }
    if score > 0 && req.class_id.is_some() && req.class_id == acc.class_id {
        score += CLASS;
    }
    score
}

/// A child of a candidate parent, as the directory has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownChild {
    pub surname: String,
    pub given_name: String,
    /// ISO `YYYY-MM-DD`.
    pub birth_date: String,
}

impl From<&Account> for KnownChild {
    fn from(a: &Account) -> Self {
        Self { surname: a.surname.clone(), given_name: a.given_name.clone(), birth_date: a.birth_date.clone() }
    }
}

/// Points for a parent whose directory children include the request's child: the
/// same name and birth date count most; the same name with a near or unknown date less.
pub fn child_score(child: &RequestChild, known: &[KnownChild]) -> u32 {
    known
        .iter()
        .map(|k| {
            if !(same_name(&child.surname, &k.surname) && same_name(&child.given_name, &k.given_name)) {
                return 0;
            }
            match child.birth_date.as_deref().map(|d| date_closeness(d, &k.birth_date)) {
                Some(DateCloseness::Same) => CHILD_SAME,
                _ => CHILD_NEAR,
            }
        })
        .max()
        .unwrap_or(0)
}

/// The best `n` candidates with a score above zero: highest score first, then by
/// surname, given name and login (a stable order).
pub fn top(mut scored: Vec<(Account, u32)>, n: usize) -> Vec<(Account, u32)> {
    scored.retain(|(_, s)| *s > 0);
    scored.sort_by(|(a, sa), (b, sb)| {
        sb.cmp(sa)
            .then_with(|| a.surname.cmp(&b.surname))
            .then_with(|| a.given_name.cmp(&b.given_name))
            .then_with(|| a.login.cmp(&b.login))
    });
    scored.truncate(n);
    scored
}

/// One line of the comparison: the ESIA value beside the directory's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    pub label: &'static str,
    pub esia: String,
    pub school: String,
    /// The values differ (shown marked).
    pub differs: bool,
}

fn shown(v: Option<&str>) -> String {
    match v.map(str::trim) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => "—".to_owned(),
    }
}

fn name_row(label: &'static str, esia: Option<&str>, school: Option<&str>) -> FieldRow {
    let norm = |v: Option<&str>| normalise_name(v.unwrap_or_default());
    FieldRow { label, esia: shown(esia), school: shown(school), differs: norm(esia) != norm(school) }
}

/// Compares the request with one candidate field by field: Фамилия, Имя, Отчество,
/// Дата рождения (ДД.ММ.ГГГГ), Email, Класс. Names and birth dates differ when they
/// are not equal (a missing patronymic on one side differs); email and class only when
/// both sides have one (the directory often has none).
pub fn compare(req: &AccessRequest, req_class: Option<&str>, acc: &Account, acc_class: Option<&str>) -> Vec<FieldRow> {
    let esia_date = req.birth_date.as_deref().map(russian_date);
    let email_differs = match (&acc.email, req.email.trim()) {
        (Some(e), r) if !e.trim().is_empty() && !r.is_empty() => !e.trim().eq_ignore_ascii_case(r),
        _ => false,
    };
    let class_differs = match (req_class, acc_class) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    vec![
        name_row("Фамилия", Some(&req.surname), Some(&acc.surname)),
        name_row("Имя", Some(&req.given_name), Some(&acc.given_name)),
        name_row("Отчество", req.patronymic.as_deref(), acc.patronymic.as_deref()),
        FieldRow {
            label: "Дата рождения",
            esia: shown(esia_date.as_deref()),
            school: russian_date(&acc.birth_date),
            differs: req.birth_date.as_deref().map(str::trim) != Some(acc.birth_date.trim()),
        },
        FieldRow {
            label: "Email",
            esia: shown(Some(&req.email)),
            school: shown(acc.email.as_deref()),
            differs: email_differs,
        },
        FieldRow { label: "Класс", esia: shown(req_class), school: shown(acc_class), differs: class_differs },
    ]
}

/// The personal-data fields a correction from the request would change in `acc`
/// (`surname`, `given_name`, `patronymic`, `birth_date`), compared exactly: the stored
/// value changes even when only «ё» becomes «е».
pub fn changed_fields(req: &AccessRequest, acc: &Account) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if req.surname.trim() != acc.surname {
        fields.push("surname");
    }
    if req.given_name.trim() != acc.given_name {
        fields.push("given_name");
    }
    let patronymic = req.patronymic.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if patronymic != acc.patronymic.as_deref() {
        fields.push("patronymic");
    }
    if let Some(d) = &req.birth_date
        && d.trim() != acc.birth_date
    {
        fields.push("birth_date");
    }
    fields
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
