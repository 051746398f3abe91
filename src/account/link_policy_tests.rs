//! Table tests of the link policy: one row per case of docs/link-policy.md.

use super::*;
use time::macros::date;

const TODAY: Date = date!(2026 - 12 - 02);

fn acc(id: &str, role: Role, key: &str, snils: Option<&str>) -> Account {
    Account {
        id: id.into(),
        subject: id.into(),
        organisation_id: "o".into(),
        login: id.into(),
        password_hash: String::new(),
        role,
        can_review_requests: false,
        surname: "Петров".into(),
        given_name: "Пётр".into(),
        patronymic: Some("Петрович".into()),
        birth_date: "1979-01-30".into(),
        snils_hash: snils.map(str::to_owned),
        match_key: key.into(),
        class_id: None,
        email: None,
        phone: None,
        disabled: false,
        created_at: 0,
    }
}

fn person(kind: EsiaKind, key: Option<&str>, snils: Option<&str>) -> Person {
    Person {
        kind: Some(kind),
        surname: "Петров".into(),
        given_name: "Петр".into(),
        patronymic: Some("Петрович".into()),
        birth_date: Some("1979-01-30".into()),
        match_key: key.map(str::to_owned),
        snils_hash: snils.map(str::to_owned),
        children_keys: Vec::new(),
    }
}

fn cand(a: &Account) -> Candidate<'_> {
    Candidate { account: a, children_keys: Vec::new(), tombstoned: false }
}

/// (case, role, person, already linked, candidates, expected)
type AutoRow<'a> = (&'static str, Role, Person, Vec<Account>, Vec<Candidate<'a>>, Automatic);
/// (case, role chosen, person, account, expected)
type CredentialsRow<'a> = (&'static str, Role, Person, &'a Account, Result<Vec<Difference>, Refusal>);

fn link(ids: &[&str], extra: &[&'static str]) -> Automatic {
    let mut evidence = vec!["surname", "given_name", "patronymic", "birth_date"];
    evidence.extend_from_slice(extra);
    Automatic::Link { accounts: ids.iter().map(|s| s.to_string()).collect(), evidence }
}

#[test]
fn br_05_automatic_link_table() {
    use EsiaKind::*;
    use Role::*;
    let parent = acc("p", Parent, "K", None);
    let parent_snils = acc("ps", Parent, "K", Some("S"));
    let parent_snils2 = acc("ps2", Parent, "K", Some("S"));
    let pupil = acc("u", Pupil, "K", None);
    let teacher_snils = acc("ts", Staff, "K", Some("S"));
    let admin = acc("admin1", Staff, "K", None);
    let mut reviewer_parent = acc("rp", Parent, "K", None);
    reviewer_parent.can_review_requests = true;
    let mut disabled = acc("d", Parent, "K", Some("S"));
    disabled.disabled = true;
    let mut with_child = cand(&parent);
    with_child.children_keys = vec!["CHILD".into()];
    let mut tomb = cand(&parent_snils);
    tomb.tombstoned = true;
    let mut parent_person = person(Confirmed, Some("K"), None);
    parent_person.children_keys = vec!["CHILD".into()];
    let none = Automatic::NotFound;

    // (what, role, person, linked, candidates, expected)
    let rows: Vec<AutoRow> = vec![
        (
            "already linked",
            Parent,
            person(Confirmed, Some("K"), None),
            vec![parent.clone()],
            vec![],
            Automatic::Linked(vec!["p".into()]),
        ),
        (
            "linked of another role only",
            Staff,
            person(Confirmed, Some("K"), Some("S")),
            vec![parent.clone()],
            vec![cand(&teacher_snils)],
            link(&["ts"], &["snils"]),
        ),
        (
            "linked but disabled",
            Parent,
            person(Confirmed, Some("K"), None),
            vec![disabled.clone()],
            vec![],
            none.clone(),
        ),
        (
            "SNILS on file matches",
            Parent,
            person(Confirmed, Some("K"), Some("S")),
            vec![],
            vec![cand(&parent_snils)],
            link(&["ps"], &["snils"]),
        ),
        (
            "SNILS on file differs",
            Parent,
            person(Confirmed, Some("K"), Some("X")),
            vec![],
            vec![cand(&parent_snils)],
            none.clone(),
        ),
        (
            "SNILS on file, none from ESIA",
            Parent,
            person(Confirmed, Some("K"), None),
            vec![],
            vec![cand(&parent_snils)],
            none.clone(),
        ),
        (
            "two SNILS matches: chooser",
            Parent,
            person(Confirmed, Some("K"), Some("S")),
            vec![],
            vec![cand(&parent_snils), cand(&parent_snils2)],
            link(&["ps", "ps2"], &["snils"]),
        ),
        (
            "unconfirmed never links",
            Parent,
            person(Unconfirmed, Some("K"), Some("S")),
            vec![],
            vec![cand(&parent_snils)],
            none.clone(),
        ),
        (
            "child account as parent",
            Parent,
            person(Child, Some("K"), Some("S")),
            vec![],
            vec![cand(&parent_snils)],
            none.clone(),
        ),
        ("no match key", Parent, person(Confirmed, None, Some("S")), vec![], vec![cand(&parent_snils)], none.clone()),
        ("other key", Parent, person(Confirmed, Some("X"), Some("S")), vec![], vec![cand(&parent_snils)], none.clone()),
        (
            "other role",
            Parent,
            person(Confirmed, Some("K"), Some("S")),
            vec![],
            vec![cand(&teacher_snils)],
            none.clone(),
        ),
        (
            "disabled candidate",
            Parent,
            person(Confirmed, Some("K"), Some("S")),
            vec![],
            vec![cand(&disabled)],
            none.clone(),
        ),
        (
            "tombstone: owner unlinked this pair",
            Parent,
            person(Confirmed, Some("K"), Some("S")),
            vec![],
            vec![tomb.clone()],
            none.clone(),
        ),
        (
            "no SNILS, parent, ESIA child matches",
            Parent,
            parent_person.clone(),
            vec![],
            vec![with_child.clone()],
            link(&["p"], &["esia_child"]),
        ),
        (
            "no SNILS, parent, no ESIA child matches",
            Parent,
            person(Confirmed, Some("K"), None),
            vec![],
            vec![with_child.clone()],
            none.clone(),
        ),
        (
            "no SNILS, parent without related pupils",
            Parent,
            parent_person.clone(),
            vec![],
            vec![cand(&parent)],
            none.clone(),
        ),
        (
            "no SNILS, not the single candidate",
            Parent,
            parent_person.clone(),
            vec![],
            vec![with_child.clone(), cand(&parent_snils)],
            none.clone(),
        ),
        (
            "no SNILS, holds a permission",
            Parent,
            parent_person.clone(),
            vec![],
            vec![Candidate { children_keys: vec!["CHILD".into()], ..cand(&reviewer_parent) }],
            none.clone(),
        ),
        (
            "BR-05 namesake of admin1 (staff, no SNILS)",
            Staff,
            person(Confirmed, Some("K"), Some("OTHER")),
            vec![],
            vec![cand(&admin)],
            none.clone(),
        ),
        (
            "no SNILS, pupil, single",
            Pupil,
            person(Child, Some("K"), None),
            vec![],
            vec![cand(&pupil)],
            link(&["u"], &[]),
        ),
        (
            "no SNILS, pupil, adult unconfirmed",
            Pupil,
            person(Unconfirmed, Some("K"), None),
            vec![],
            vec![cand(&pupil)],
            none.clone(),
        ),
    ];
    for (what, role, p, linked, candidates, expected) in rows {
        assert_eq!(automatic(role, &p, &linked, &candidates), expected, "{what}");
    }
}

#[test]
fn br_05_link_with_credentials_table() {
    use EsiaKind::*;
    use Role::*;
    let parent = acc("p", Parent, "K", None);
    let mut young_pupil = acc("u", Pupil, "K", None);
    young_pupil.birth_date = "2016-09-02".into();
    let mut older_pupil = acc("o", Pupil, "K", None);
    older_pupil.birth_date = "2010-03-15".into();
    let mut disabled = parent.clone();
    disabled.disabled = true;
    let mut near = parent.clone();
    near.birth_date = "1979-06-30".into();
    let mut far = parent.clone();
    far.birth_date = "1981-01-30".into();
    let mut renamed = parent.clone();
    renamed.surname = "Сидоров".into();
    let mut adult_as_pupil = person(Confirmed, None, None);
    adult_as_pupil.birth_date = Some("2010-03-15".into());
    let mut child = person(Child, None, None);
    child.birth_date = Some("2016-09-02".into());
    let mut parent_of_young = person(Confirmed, None, None);
    parent_of_young.birth_date = Some("1985-08-11".into());

    let rows: Vec<CredentialsRow> = vec![
        ("same person", Parent, person(Confirmed, None, None), &parent, Ok(vec![])),
        ("е/ё and case are the same name", Parent, person(Confirmed, None, None), &parent, Ok(vec![])),
        ("unconfirmed", Parent, person(Unconfirmed, None, None), &parent, Err(Refusal::NotVouched)),
        ("child account as parent", Parent, child.clone(), &parent, Err(Refusal::NotVouched)),
        (
            "role differs",
            Pupil,
            adult_as_pupil.clone(),
            &parent,
            Err(Refusal::RoleDiffers { account: Parent, chosen: Pupil }),
        ),
        ("disabled", Parent, person(Confirmed, None, None), &disabled, Err(Refusal::Disabled)),
        (
            "a parent's ESIA to a pupil under 14",
            Pupil,
            parent_of_young.clone(),
            &young_pupil,
            Err(Refusal::AdultToYoungPupil),
        ),
        ("a 16-year-old's own ESIA to their pupil account", Pupil, adult_as_pupil.clone(), &older_pupil, Ok(vec![])),
        (
            "a parent's ESIA to a pupil of 16",
            Pupil,
            parent_of_young.clone(),
            &older_pupil,
            Err(Refusal::BirthDatesApart),
        ),
        ("a child's ESIA to its pupil account", Pupil, child.clone(), &young_pupil, Ok(vec![])),
        ("birth dates within a year", Parent, person(Confirmed, None, None), &near, Ok(vec![Difference::BirthDate])),
        ("birth dates two years apart", Parent, person(Confirmed, None, None), &far, Err(Refusal::BirthDatesApart)),
        ("surname changed", Parent, person(Confirmed, None, None), &renamed, Ok(vec![Difference::Name])),
    ];
    for (what, role, p, account, expected) in rows {
        assert_eq!(by_credentials(role, &p, account, TODAY), expected, "{what}");
    }
}

#[test]
fn staff_links_warn_on_mismatch() {
    let parent = acc("p", Role::Parent, "K", None);
    let mut young_pupil = acc("u", Role::Pupil, "K", None);
    young_pupil.birth_date = "2016-09-02".into();
    let p = person(EsiaKind::Confirmed, None, None);
    assert!(by_staff(Role::Parent, &p, &parent, TODAY).is_empty());
    let w = by_staff(Role::Parent, &p, &young_pupil, TODAY);
    assert_eq!(w, vec![Difference::Role, Difference::Kind, Difference::BirthDateFar]);
    let mut near = parent.clone();
    near.birth_date = "1979-01-31".into();
    assert_eq!(by_staff(Role::Parent, &p, &near, TODAY), vec![Difference::BirthDate]);
}

#[test]
fn ages_and_dates() {
    assert_eq!(age_on(date!(2012 - 12 - 03), TODAY), 13);
    assert_eq!(age_on(date!(2012 - 12 - 02), TODAY), 14);
    assert_eq!(iso_date("2012-13-01"), None);
    assert!(vouched(Some(EsiaKind::Child), Role::Pupil));
    assert!(!vouched(Some(EsiaKind::Child), Role::Staff));
    assert!(!vouched(None, Role::Parent));
}
