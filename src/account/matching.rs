//! Matching an ESIA person to school accounts — a pure decision, tested as a table.
//!
//! The rule of the regional instructions: an account links automatically only on a
//! *full* match — surname, name and patronymic (normalised: case, spaces, hyphens,
//! ё/е), birth date, and SNILS where the school record has one — and only for a
//! confirmed ESIA person (or a child account, for the pupil role). The candidates
//! come from an indexed lookup by the keyed hash of the normalised name and birth
//! date; this module only decides.

use crate::store::{Account, Role};

/// What is known about the ESIA person, already reduced to comparable keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonKeys {
    /// Keyed hash of the normalised name parts and birth date (see `names::match_key`).
    pub match_key: Option<String>,
    /// Keyed hash of the SNILS, only if ESIA gave one with a valid checksum.
    pub snils_hash: Option<String>,
    /// ESIA says the account is confirmed (or it is a child account for the pupil role).
    pub vouched: bool,
}

/// The outcome for one login with a chosen role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Already linked accounts of that role.
    Linked(Vec<String>),
    /// Full matches to link now (with the evidence that matched).
    AutoLink { accounts: Vec<String>, evidence: Vec<&'static str> },
    /// Nothing: «Запись не найдена».
    NoMatch,
}

/// `linked`: accounts already linked to this ESIA person; `candidates`: accounts
/// found by the match key. Disabled accounts and other roles never count.
pub fn decide(role: Role, linked: &[Account], candidates: &[Account], person: &PersonKeys) -> Decision {
    let usable = |a: &&Account| a.role == role && !a.disabled;
    let linked: Vec<String> = linked.iter().filter(usable).map(|a| a.id.clone()).collect();
    if !linked.is_empty() {
        return Decision::Linked(linked);
    }
    let Some(key) = &person.match_key else { return Decision::NoMatch };
    if !person.vouched {
        return Decision::NoMatch;
    }
    let matches: Vec<&Account> = candidates
        .iter()
        .filter(usable)
        .filter(|a| &a.match_key == key)
        .filter(|a| match (&a.snils_hash, &person.snils_hash) {
            (None, _) => true,
            (Some(on_file), Some(given)) => on_file == given,
            (Some(_), None) => false,
        })
        .collect();
    if matches.is_empty() {
        return Decision::NoMatch;
    }
    let mut evidence = vec!["surname", "given_name", "patronymic", "birth_date"];
    if matches.iter().any(|a| a.snils_hash.is_some()) {
        evidence.push("snils");
    }
    Decision::AutoLink { accounts: matches.iter().map(|a| a.id.clone()).collect(), evidence }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(id: &str, role: Role, key: &str, snils: Option<&str>) -> Account {
        Account {
            id: id.into(),
            organisation_id: "o".into(),
            login: id.into(),
            password_hash: String::new(),
            role,
            can_review_requests: false,
            surname: String::new(),
            given_name: String::new(),
            patronymic: None,
            birth_date: "2000-01-01".into(),
            snils_hash: snils.map(str::to_owned),
            match_key: key.into(),
            class_id: None,
            email: None,
            phone: None,
            disabled: false,
            created_at: 0,
        }
    }

    fn person(key: Option<&str>, snils: Option<&str>, vouched: bool) -> PersonKeys {
        PersonKeys { match_key: key.map(str::to_owned), snils_hash: snils.map(str::to_owned), vouched }
    }

    /// (role, linked, candidates, person, expected)
    type Row = (Role, Vec<Account>, Vec<Account>, PersonKeys, Decision);

    #[test]
    fn table() {
        use Role::*;
        let parent = acc("p", Parent, "K", None);
        let parent_snils = acc("ps", Parent, "K", Some("S"));
        let teacher = acc("t", Staff, "K", None);
        let mut disabled = acc("d", Parent, "K", None);
        disabled.disabled = true;
        let link = |ids: &[&str]| Decision::AutoLink {
            accounts: ids.iter().map(|s| s.to_string()).collect(),
            evidence: vec!["surname", "given_name", "patronymic", "birth_date"],
        };
        let rows: Vec<Row> = vec![
            (Parent, vec![parent.clone()], vec![], person(Some("K"), None, true), Decision::Linked(vec!["p".into()])),
            (Staff, vec![parent.clone()], vec![teacher.clone()], person(Some("K"), None, true), link(&["t"])),
            (Parent, vec![], vec![parent.clone()], person(Some("K"), None, true), link(&["p"])),
            (Parent, vec![], vec![parent.clone()], person(Some("K"), None, false), Decision::NoMatch),
            (Parent, vec![], vec![parent.clone()], person(Some("X"), None, true), Decision::NoMatch),
            (Parent, vec![], vec![parent.clone()], person(None, None, true), Decision::NoMatch),
            (Parent, vec![], vec![teacher.clone()], person(Some("K"), None, true), Decision::NoMatch),
            (Parent, vec![], vec![disabled.clone()], person(Some("K"), None, true), Decision::NoMatch),
            (Parent, vec![disabled.clone()], vec![], person(Some("K"), None, true), Decision::NoMatch),
            (
                Parent,
                vec![],
                vec![parent_snils.clone()],
                person(Some("K"), Some("S"), true),
                Decision::AutoLink {
                    accounts: vec!["ps".into()],
                    evidence: vec!["surname", "given_name", "patronymic", "birth_date", "snils"],
                },
            ),
            (Parent, vec![], vec![parent_snils.clone()], person(Some("K"), Some("OTHER"), true), Decision::NoMatch),
            (Parent, vec![], vec![parent_snils.clone()], person(Some("K"), None, true), Decision::NoMatch),
            (
                Parent,
                vec![],
                vec![parent.clone(), acc("p2", Parent, "K", None)],
                person(Some("K"), None, true),
                link(&["p", "p2"]),
            ),
        ];
        for (i, (role, linked, candidates, p, expected)) in rows.into_iter().enumerate() {
            assert_eq!(decide(role, &linked, &candidates, &p), expected, "row {i}");
        }
    }
}
