//! Pure parts of «Создать учетную запись»: the login proposed for a new school
//! account (transliterated surname and initials, like `smirnova.ov`) and the
//! account built from an access request.

use crate::clock::UnixTime;
use crate::store::requests::{AccessRequest, Correction};
use crate::store::{Account, Role};

/// Latin letters for one Cyrillic letter (lower case), in the simple passport style.
fn latin(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' | 'ы' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// Lower-case Latin transliteration; ASCII letters and digits kept, everything else dropped.
pub fn transliterate(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if let Some(l) = latin(c) {
            out.push_str(l);
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}

/// The login a new account would get: `surname.ip` (initials of given name and
/// patronymic), e.g. «Смирнова Ольга Викторовна» → `smirnova.ov`.
pub fn login_base(surname: &str, given: &str, patronymic: Option<&str>) -> String {
    let mut base = transliterate(surname);
    if base.is_empty() {
        base = "user".into();
    }
    let initials: String =
        [Some(given), patronymic].into_iter().flatten().filter_map(|n| transliterate(n).chars().next()).collect();
    if initials.is_empty() { base } else { format!("{base}.{initials}") }
}

/// The `n`-th login to try (0: the base, then `base2`, `base3`, …).
pub fn login_candidate(base: &str, n: u32) -> String {
    if n == 0 { base.to_owned() } else { format!("{base}{}", n + 1) }
}

/// What the new account is made of besides the request.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: String,
    /// The keyed local subject ([`crate::account::directory::keyed_subject`]).
    pub subject: String,
    pub login: String,
    pub password_hash: String,
    pub now: UnixTime,
}

impl NewAccount {
    /// The account `login` of `organisation_id`: its derived id and its keyed subject.
    pub fn for_login(
        organisation_id: &str,
        login: String,
        password_hash: String,
        now: UnixTime,
        subject_key: &[u8; 32],
    ) -> Self {
        let id = crate::account::directory::account_id(organisation_id, &login);
        let subject = crate::account::directory::keyed_subject(subject_key, &id);
        Self { id, subject, login, password_hash, now }
    }
}

/// The personal data of `req` as ESIA vouched for it (trimmed, an empty patronymic
/// dropped), with the matching key recomputed: what a correction writes into an
/// account and what a new account is made of.
pub fn esia_data(req: &AccessRequest, birth: &str, matching_key: &[u8; 32]) -> Correction {
    let patronymic = req.patronymic.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    let birth_date = birth.trim().to_owned();
    let match_key = crate::account::names::match_key(
        matching_key,
        &req.surname,
        &req.given_name,
        patronymic.as_deref(),
        &birth_date,
    );
    Correction {
        surname: req.surname.trim().to_owned(),
        given_name: req.given_name.trim().to_owned(),
        patronymic,
        birth_date,
        match_key,
    }
}

/// The account created from `req` with its ESIA `data`: organisation, role, names
/// and email; the class for pupils only; no review permission.
pub fn account_from_request(req: &AccessRequest, new: NewAccount, data: Correction) -> Account {
    Account {
        id: new.id,
        subject: new.subject,
        organisation_id: req.organisation_id.clone(),
        login: new.login,
        password_hash: new.password_hash,
        role: req.role,
        can_review_requests: false,
        surname: data.surname,
        given_name: data.given_name,
        patronymic: data.patronymic,
        birth_date: data.birth_date,
        snils_hash: None,
        match_key: data.match_key,
        class_id: if req.role == Role::Pupil { req.class_id.clone() } else { None },
        email: Some(req.email.trim().to_owned()).filter(|e| !e.is_empty()),
        phone: None,
        disabled: false,
        created_at: new.now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_from_names() {
        let cases = [
            (("Смирнова", "Ольга", Some("Викторовна")), "smirnova.ov"),
            (("Соколов", "Дмитрий", Some("Игоревич")), "sokolov.di"),
            (("Щукина-Ёлкина", "Юлия", None), "shchukinaelkina.y"),
            (("Хьюз", "Эдуард", Some("")), "khyuz.e"),
            (("O'Brien", "John", None), "obrien.j"),
            (("", "", None), "user"),
        ];
        for ((s, g, p), want) in cases {
            assert_eq!(login_base(s, g, p), want, "{s} {g}");
        }
    }

    #[test]
    fn login_candidates_append_digits() {
        assert_eq!(login_candidate("sokolov.di", 0), "sokolov.di");
        assert_eq!(login_candidate("sokolov.di", 1), "sokolov.di2");
        assert_eq!(login_candidate("sokolov.di", 2), "sokolov.di3");
    }
}
