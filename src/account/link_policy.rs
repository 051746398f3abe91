//! The link policy: the one decision of which school accounts an ESIA person may be
//! linked to, and on what proof — automatically, by the account's own credentials,
//! or by school staff (DESIGN.md §4, Matching; docs/link-policy.md has the table for
//! operators). Pure: facts in, a decision out, tested as a table. Nothing else in
//! propusk decides to create a link.
//!
//! * **Automatic** only for a vouched ESIA person (confirmed, or a child account
//!   signing in as a pupil) on a full match of the chosen role — name parts and birth
//!   date (the match key) — and SNILS where the record has one. A record without
//!   SNILS links only when it is the single candidate of that role in the whole
//!   directory, is not staff and holds no permission, and — for parents — one of the
//!   ESIA children is a pupil related to it. A pair the owner unlinked (a tombstone)
//!   never links automatically again. Anything else is «Запись не найдена».
//! * **Credentials** (the person typed the account's own login and password): a
//!   vouched person of the chosen role, refused when clearly not the holder — a
//!   child's ESIA account to anything but a pupil, an adult's to a pupil under 14,
//!   birth dates more than a year apart. Smaller differences are allowed and named.
//! * **Staff** (an access request's review): the same mismatches become warnings
//!   that need an explicit confirmation.

use super::names::normalise_name;
use crate::store::{Account, Role};
use time::Date;

/// What ESIA says of the person's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EsiaKind {
    /// «Подтвержденная» (trusted).
    Confirmed,
    /// Standard or simplified: identity not confirmed.
    Unconfirmed,
    /// A child's account (under 14), created by a parent.
    Child,
}

/// The ESIA person as the policy sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub kind: Option<EsiaKind>,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ISO `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Keyed hash of the normalised name parts and birth date.
    pub match_key: Option<String>,
    /// Keyed hash of a SNILS with a valid checksum.
    pub snils_hash: Option<String>,
    /// Match keys of the children ESIA lists (parents).
    pub children_keys: Vec<String>,
}

/// A directory account found by the match key, with what the policy needs of it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub account: &'a Account,
    /// Match keys of the pupils related to this record (parents only).
    pub children_keys: Vec<String>,
    /// The owner unlinked this ESIA person from this account earlier.
    pub tombstoned: bool,
}

/// The outcome of an ESIA login with a chosen role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automatic {
    /// Accounts of that role already linked to the person.
    Linked(Vec<String>),
    /// Link these now (several: the chooser), with the evidence that matched.
    Link { accounts: Vec<String>, evidence: Vec<&'static str> },
    /// «Запись не найдена».
    NotFound,
}

/// Why a link with credentials is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The ESIA account is not confirmed (or a child account for another role).
    NotVouched,
    /// The account has another role than the one chosen for this login.
    RoleDiffers { account: Role, chosen: Role },
    /// A child's ESIA account may only be linked to a pupil's account.
    ChildToNonPupil,
    /// An adult's ESIA account may not be linked to a pupil under 14.
    AdultToYoungPupil,
    /// The birth dates are more than a year apart.
    BirthDatesApart,
    /// The account is disabled.
    Disabled,
}

impl Refusal {
    /// The reason as an audit code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotVouched => "not_vouched",
            Self::RoleDiffers { .. } => "role_differs",
            Self::ChildToNonPupil => "child_account_to_non_pupil",
            Self::AdultToYoungPupil => "adult_to_pupil_under_14",
            Self::BirthDatesApart => "birth_dates_apart",
            Self::Disabled => "account_disabled",
        }
    }

    /// What the person reads (Russian), without revealing the account's data.
    pub fn message(self) -> String {
        match self {
            Self::NotVouched => "Привязать можно только подтвержденную учетную запись портала Госуслуг.".into(),
            Self::RoleDiffers { account, chosen } => format!(
                "Эта учетная запись имеет роль «{}», а вход выполняется с ролью «{}».",
                account.label(),
                chosen.label()
            ),
            Self::ChildToNonPupil => {
                "Детскую учетную запись Госуслуг можно привязать только к учетной записи ученика.".into()
            }
            Self::AdultToYoungPupil | Self::BirthDatesApart => {
                "Эта учетная запись принадлежит другому человеку: данные не совпадают с данными Госуслуг. \
                 Привязать её нельзя; обратитесь в организацию."
                    .into()
            }
            Self::Disabled => "Эта учетная запись заблокирована.".into(),
        }
    }
}

/// A difference that does not stop a link but is recorded and named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difference {
    /// Surname, name or patronymic differ (after normalisation).
    Name,
    /// Birth dates differ by at most a year.
    BirthDate,
    /// Staff only: the role of the request is not the account's.
    Role,
    /// Staff only: the kind of ESIA account does not fit the account (see [`Refusal`]).
    Kind,
    /// Staff only: birth dates more than a year apart.
    BirthDateFar,
}

impl Difference {
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name_differs",
            Self::BirthDate => "birth_date_differs",
            Self::Role => "role_differs",
            Self::Kind => "kind_mismatch",
            Self::BirthDateFar => "birth_dates_apart",
        }
    }

    /// The warning staff see before confirming (Russian).
    pub fn warning(self) -> &'static str {
        match self {
            Self::Name => "ФИО в учетной записи отличается от данных Госуслуг.",
            Self::BirthDate => "Дата рождения в учетной записи отличается от данных Госуслуг.",
            Self::Role => "Роль учетной записи не совпадает с ролью обращения.",
            Self::Kind => "Тип учетной записи Госуслуг не подходит к учетной записи (взрослый и ребенок).",
            Self::BirthDateFar => "Даты рождения отличаются больше чем на год: похоже, это другой человек.",
        }
    }
}

/// Whether ESIA vouches for the person in this role: a confirmed account, or a
/// child account signing in as a pupil (the instructions' rule).
pub fn vouched(kind: Option<EsiaKind>, role: Role) -> bool {
    match kind {
        Some(EsiaKind::Confirmed) => true,
        Some(EsiaKind::Child) => role == Role::Pupil,
        Some(EsiaKind::Unconfirmed) | None => false,
    }
}

/// Staff, or an account holding a permission: never linked on a namesake's match.
pub fn privileged(a: &Account) -> bool {
    a.role == Role::Staff || a.can_review_requests
}

/// The automatic decision. `linked`: accounts already linked to the person;
/// `candidates`: accounts of the whole directory with the person's match key.
pub fn automatic(role: Role, person: &Person, linked: &[Account], candidates: &[Candidate]) -> Automatic {
    let usable = |a: &Account| a.role == role && !a.disabled;
    let linked: Vec<String> = linked.iter().filter(|a| usable(a)).map(|a| a.id.clone()).collect();
    if !linked.is_empty() {
        return Automatic::Linked(linked);
    }
    let Some(key) = person.match_key.as_deref() else { return Automatic::NotFound };
    if !vouched(person.kind, role) {
        return Automatic::NotFound;
    }
    let same: Vec<&Candidate> = candidates.iter().filter(|c| usable(c.account) && c.account.match_key == key).collect();
    let single = same.len() == 1;
    let mut evidence = vec!["surname", "given_name", "patronymic", "birth_date"];
    let mut accounts = Vec::new();
    for c in same.into_iter().filter(|c| !c.tombstoned) {
        let ok = match (c.account.snils_hash.as_deref(), person.snils_hash.as_deref()) {
            (Some(on_file), Some(given)) => on_file == given,
            (Some(_), None) => false,
            (None, _) => {
                let child = role != Role::Parent || c.children_keys.iter().any(|k| person.children_keys.contains(k));
                single && !privileged(c.account) && child
            }
        };
        if !ok {
            continue;
        }
        let proof = if c.account.snils_hash.is_some() {
            "snils"
        } else if role == Role::Parent {
            "esia_child"
        } else {
            ""
        };
        if !proof.is_empty() && !evidence.contains(&proof) {
            evidence.push(proof);
        }
        accounts.push(c.account.id.clone());
    }
    if accounts.is_empty() { Automatic::NotFound } else { Automatic::Link { accounts, evidence } }
}

/// A link by the account's own credentials, typed in this flow by the person ESIA
/// vouched for. `Ok` names the differences to record; `Err` refuses.
pub fn by_credentials(role: Role, person: &Person, account: &Account, today: Date) -> Result<Vec<Difference>, Refusal> {
    if !vouched(person.kind, role) {
        return Err(Refusal::NotVouched);
    }
    if account.disabled {
        return Err(Refusal::Disabled);
    }
    if account.role != role {
        return Err(Refusal::RoleDiffers { account: account.role, chosen: role });
    }
    if let Some(refusal) = kind_mismatch(person, account, today) {
        return Err(refusal);
    }
    let mut differences = Vec::new();
    match birth_distance(person, account) {
        Some(days) if days > 365 => return Err(Refusal::BirthDatesApart),
        Some(days) if days > 0 => differences.push(Difference::BirthDate),
        _ => {}
    }
    if !same_name(person, account) {
        differences.push(Difference::Name);
    }
    Ok(differences)
}

/// A link by staff reviewing an access request of `role`: every mismatch is a
/// warning that staff must confirm explicitly.
pub fn by_staff(role: Role, person: &Person, account: &Account, today: Date) -> Vec<Difference> {
    let mut warnings = Vec::new();
    if account.role != role {
        warnings.push(Difference::Role);
    }
    if kind_mismatch(person, account, today).is_some() {
        warnings.push(Difference::Kind);
    }
    match birth_distance(person, account) {
        Some(days) if days > 365 => warnings.push(Difference::BirthDateFar),
        Some(days) if days > 0 => warnings.push(Difference::BirthDate),
        _ => {}
    }
    if !same_name(person, account) {
        warnings.push(Difference::Name);
    }
    warnings
}

/// A child's ESIA account to a non-pupil, or an adult's to a pupil under 14.
fn kind_mismatch(person: &Person, account: &Account, today: Date) -> Option<Refusal> {
    match person.kind {
        Some(EsiaKind::Child) if account.role != Role::Pupil => Some(Refusal::ChildToNonPupil),
        Some(EsiaKind::Confirmed | EsiaKind::Unconfirmed) if account.role == Role::Pupil => {
            let young = iso_date(&account.birth_date).is_some_and(|b| age_on(b, today) < 14);
            young.then_some(Refusal::AdultToYoungPupil)
        }
        _ => None,
    }
}

/// Days between the two birth dates, when both are known.
fn birth_distance(person: &Person, account: &Account) -> Option<i64> {
    let a = iso_date(person.birth_date.as_deref()?)?;
    let b = iso_date(&account.birth_date)?;
    Some((a - b).whole_days().abs())
}

fn same_name(person: &Person, account: &Account) -> bool {
    let n = |s: &str| normalise_name(s);
    n(&person.surname) == n(&account.surname)
        && n(&person.given_name) == n(&account.given_name)
        && n(person.patronymic.as_deref().unwrap_or_default()) == n(account.patronymic.as_deref().unwrap_or_default())
}

/// `YYYY-MM-DD` → a date.
pub fn iso_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// Full years of age on `today`.
pub fn age_on(birth: Date, today: Date) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
#[path = "link_policy_tests.rs"]
mod tests;
