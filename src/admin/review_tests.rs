//! Tables for the pure review decisions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::store::Role;
use crate::store::requests::RequestStatus;

fn request(fio: [&str; 3], birth: &str) -> AccessRequest {
    AccessRequest {
        id: "r1".into(),
        number: "А-000000001-00-01".into(),
        issuer: "https://esia".into(),
        subject: "1000".into(),
        role: Role::Parent,
        surname: fio[0].into(),
        given_name: fio[1].into(),
        patronymic: Some(fio[2].into()).filter(|p: &String| !p.is_empty()),
        birth_date: Some(birth.into()),
        email: "olga@example.ru".into(),
        email_from_esia: true,
        child: None,
        organisation_id: "s1".into(),
        class_id: None,
        comment: None,
        status: RequestStatus::Open,
        created_at: 0,
        decided_at: None,
        decided_by: None,
        reason: None,
        account_id: None,
    }
}

fn account(login: &str, fio: [&str; 3], birth: &str) -> Account {
    Account {
        id: format!("id-{login}"),
        subject: format!("sub-{login}"),
        organisation_id: "s1".into(),
        login: login.into(),
        password_hash: String::new(),
        role: Role::Parent,
        can_review_requests: false,
        surname: fio[0].into(),
        given_name: fio[1].into(),
        patronymic: Some(fio[2].into()).filter(|p: &String| !p.is_empty()),
        birth_date: birth.into(),
        snils_hash: None,
        match_key: String::new(),
        class_id: None,
        email: None,
        phone: None,
        disabled: false,
        created_at: 0,
    }
}

const SMIRNOVA: [&str; 3] = ["Смирнова", "Ольга", "Викторовна"];

#[test]
fn date_closeness_table() {
    use DateCloseness::*;
    let cases = [
        ("1990-06-05", "1990-06-05", Same),
        ("1990-06-05", "1990-05-05", Near), // one digit
        ("1990-06-05", "1990-05-06", Near), // day and month swapped
        ("1990-06-15", "1990-06-51", Near), // neighbours swapped
        ("1990-06-05", "1991-07-05", Far),  // two digits
        ("1990-06-05", "1985-08-11", Far),
        ("1990-06-05", "", Far),
    ];
    for (a, b, want) in cases {
        assert_eq!(date_closeness(a, b), want, "{a} vs {b}");
    }
}

#[test]
fn birth_date_typo_still_ranks_first() {
    let req = request(SMIRNOVA, "1990-06-05");
    let candidates = vec![
        account("petrov.pp", ["Петров", "Пётр", "Петрович"], "1979-01-30"),
        account("smirnova.ov", SMIRNOVA, "1990-05-05"),
        account("smirnova.an", ["Смирнова", "Анна", "Николаевна"], "1970-01-01"),
        account("kuznetsova", ["Кузнецова", "Ольга", "Викторовна"], "1990-06-05"),
    ];
    let scored: Vec<_> = candidates
        .into_iter()
        .map(|a| {
            let s = person_score(&req, &a);
            (a, s)
        })
        .collect();
    let ranked = top(scored, 5);
    let logins: Vec<_> = ranked.iter().map(|(a, _)| a.login.as_str()).collect();
    assert_eq!(logins, ["smirnova.ov", "kuznetsova", "smirnova.an"], "zero scores dropped");
}

#[test]
fn names_compare_normalised() {
    let req = request(["Петров", "Петр", "Петрович"], "1979-01-30");
    let acc = account("petrov.pp", ["ПЕТРОВ", "Пётр", "Петрович"], "1979-01-30");
    assert_eq!(person_score(&req, &acc), SURNAME + GIVEN + PATRONYMIC + BIRTH_SAME);
    assert!(compare(&req, None, &acc, None).iter().all(|r| !r.differs));
}

#[test]
fn email_and_class_add_to_close_candidates_only() {
    let mut req = request(["Соколов", "Дмитрий", "Игоревич"], "1988-07-20");
    req.class_id = Some("c1".into());
    let mut far = account("x", ["Другой", "Человек", ""], "2000-01-01");
    far.class_id = Some("c1".into());
    assert_eq!(person_score(&req, &far), 0, "a shared class alone is no match");
    far.email = Some("OLGA@example.ru".into());
    assert_eq!(person_score(&req, &far), EMAIL + CLASS);
}

#[test]
fn children_count_for_parents() {
    let child = RequestChild {
        surname: "Смирнов".into(),
        given_name: "Илья".into(),
        patronymic: None,
        birth_date: Some("2015-04-01".into()),
        from_esia: true,
    };
    let kid = |given: &str, birth: &str| KnownChild {
        surname: "Смирнов".into(),
        given_name: given.into(),
        birth_date: birth.into(),
    };
    assert_eq!(child_score(&child, &[]), 0);
    assert_eq!(child_score(&child, &[kid("Илья", "2015-04-01")]), CHILD_SAME);
    assert_eq!(child_score(&child, &[kid("Анна", "2015-04-01"), kid("Илья", "2015-01-04")]), CHILD_NEAR);
    assert_eq!(child_score(&child, &[kid("Анна", "2015-04-01")]), 0);
}

#[test]
fn comparison_marks_the_differing_birth_date() {
    let req = request(SMIRNOVA, "1990-06-05");
    let acc = account("smirnova.ov", SMIRNOVA, "1990-05-05");
    let rows = compare(&req, None, &acc, None);
    let labels: Vec<_> = rows.iter().map(|r| r.label).collect();
    assert_eq!(labels, ["Фамилия", "Имя", "Отчество", "Дата рождения", "Email", "Класс"]);
    let date = &rows[3];
    assert_eq!((date.esia.as_str(), date.school.as_str(), date.differs), ("05.06.1990", "05.05.1990", true));
    assert!(rows.iter().filter(|r| r.label != "Дата рождения").all(|r| !r.differs));
    assert_eq!(rows[4].school, "—", "no email on file is not a difference");
}

#[test]
fn comparison_marks_missing_patronymic_and_other_class() {
    let mut req = request(["Иванов", "Иван", "Сергеевич"], "2012-03-15");
    req.email = "a@b.ru".into();
    let mut acc = account("ivanov.is", ["Иванов", "Иван", ""], "2012-03-15");
    acc.email = Some("c@d.ru".into());
    let rows = compare(&req, Some("8А"), &acc, Some("4Б"));
    let differs: Vec<_> = rows.iter().filter(|r| r.differs).map(|r| r.label).collect();
    assert_eq!(differs, ["Отчество", "Email", "Класс"]);
}

#[test]
fn changed_fields_names_only_what_changes() {
    let req = request(SMIRNOVA, "1990-06-05");
    assert_eq!(changed_fields(&req, &account("s", SMIRNOVA, "1990-05-05")), ["birth_date"]);
    assert!(changed_fields(&req, &account("s", SMIRNOVA, "1990-06-05")).is_empty());
    let acc = account("s", ["Смирнова", "Ольга", ""], "1990-06-05");
    assert_eq!(changed_fields(&req, &acc), ["patronymic"]);
    let acc = account("s", ["Смирнова-Ким", "Ольга", "Викторовна"], "1990-06-05");
    assert_eq!(changed_fields(&req, &acc), ["surname"]);
}
