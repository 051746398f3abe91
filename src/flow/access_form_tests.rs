//! Tables of the access-request form's validation and filtering.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::connector::AccountLevel;
use crate::flow::esia::EsiaChild;
use crate::store::OrgKind;

fn person(email: Option<&str>, children: usize) -> EsiaPerson {
    EsiaPerson {
        issuer: "esia".into(),
        subject: "1".into(),
        level: AccountLevel::Confirmed,
        trusted: true,
        surname: "Соколов".into(),
        given_name: "Дмитрий".into(),
        patronymic: Some("Игоревич".into()),
        birth_date: Some("1988-07-20".into()),
        email: email.map(str::to_owned),
        phone: None,
        snils_hash: None,
        match_key: None,
        children: (0..children)
            .map(|i| EsiaChild {
                surname: "Соколова".into(),
                given_name: format!("Дочь{i}"),
                patronymic: Some("Дмитриевна".into()),
                birth_date: Some("2015-01-02".into()),
            })
            .collect(),
    }
}

fn org(id: &str, org_type: &str) -> Organisation {
    Organisation {
        id: id.into(),
        kind: OrgKind::School,
        region: "Регион".into(),
        municipality: "МО".into(),
        locality: "Город".into(),
        org_type: org_type.into(),
        name: format!("Школа {id}"),
    }
}

fn catalogue() -> Catalogue {
    let class = |id: &str, org: &str| Class { id: id.into(), organisation_id: org.into(), name: id.to_uppercase() };
    Catalogue {
        organisations: vec![
            org("s1", "Общеобразовательная"),
            org("s2", "Общеобразовательная"),
            org("k1", "Дошкольная"),
        ],
        classes: vec![class("s1-4b", "s1"), class("s1-8a", "s1"), class("s2-5v", "s2")],
    }
}

fn values(org_type: &str, organisation: &str, class: &str) -> FormValues {
    FormValues {
        email: "sokolov@example.ru".into(),
        org_type: org_type.into(),
        organisation: organisation.into(),
        class: class.into(),
        ..FormValues::default()
    }
}

#[test]
fn emails() {
    for ok in ["a@b.ru", "sokolov@example.ru", "first.last+tag@sub.example.com", "иван@пример.рф"] {
        assert!(plausible_email(ok), "{ok}");
    }
    let long = format!("{}@example.ru", "a".repeat(250));
    for bad in ["", "a", "a@b", "@b.ru", "a@.ru", "a@b..ru", "a b@c.ru", "a@b@c.ru", "a@-b.ru", "<a>@b.ru", &long] {
        assert!(!plausible_email(bad), "{bad}");
    }
}

#[test]
fn a_parent_with_a_class_of_the_organisation_is_valid() {
    let d = validate(&values("Общеобразовательная", "s1", "s1-8a"), &person(None, 0), Role::Parent, &catalogue());
    let d = d.expect("valid");
    assert_eq!((d.organisation_id.as_str(), d.class_id.as_deref()), ("s1", Some("s1-8a")));
    assert_eq!(d.child, None);
    assert_eq!(d.comment, None);
}

#[test]
fn field_errors() {
    let cat = catalogue();
    let p = person(None, 0);
    let check = |v: FormValues, role: Role, field: fn(&FieldErrors) -> &Option<String>| {
        let e = validate(&v, &p, role, &cat).expect_err("invalid");
        assert!(field(&e).is_some(), "{v:?} → {e:?}");
    };
    check(values("", "s1", "s1-8a"), Role::Parent, |e| &e.org_type);
    check(values("Неизвестный", "s1", "s1-8a"), Role::Parent, |e| &e.org_type);
    check(values("Общеобразовательная", "", ""), Role::Parent, |e| &e.organisation);
    check(values("Общеобразовательная", "nope", ""), Role::Parent, |e| &e.organisation);
    check(values("Дошкольная", "s1", "s1-8a"), Role::Parent, |e| &e.organisation);
    check(values("Общеобразовательная", "s1", "s2-5v"), Role::Parent, |e| &e.class);
    check(values("Общеобразовательная", "s1", ""), Role::Pupil, |e| &e.class);
    check(values("Общеобразовательная", "s1", "x"), Role::Pupil, |e| &e.class);
    let mut v = values("Общеобразовательная", "s1", "s1-8a");
    v.email = "not-an-email".into();
    check(v, Role::Parent, |e| &e.email);
    let mut v = values("Общеобразовательная", "s1", "s1-8a");
    v.comment = "я".repeat(COMMENT_MAX + 1);
    check(v, Role::Parent, |e| &e.comment);
}

#[test]
fn staff_need_no_class_and_organisations_without_classes_neither() {
    let cat = catalogue();
    let p = person(None, 0);
    let d = validate(&values("Общеобразовательная", "s1", "s2-5v"), &p, Role::Staff, &cat).expect("staff");
    assert_eq!(d.class_id, None, "a staff request carries no class");
    assert!(validate(&values("Дошкольная", "k1", ""), &p, Role::Parent, &cat).is_ok(), "no classes there");
}

#[test]
fn the_child_from_esia_or_typed_in() {
    let cat = catalogue();
    let mut v = values("Общеобразовательная", "s1", "s1-4b");
    v.child = "1".into();
    let d = validate(&v, &person(None, 2), Role::Parent, &cat).unwrap();
    assert_eq!(d.child.map(|c| c.given_name), Some("Дочь1".into()));
    v.child = "7".into();
    assert!(validate(&v, &person(None, 2), Role::Parent, &cat).unwrap_err().child.is_some());
    let mut v = values("Общеобразовательная", "s1", "s1-4b");
    v.child_name = "  Соколова   Мария Дмитриевна ".into();
    let c = validate(&v, &person(None, 0), Role::Parent, &cat).unwrap().child.unwrap();
    assert_eq!(
        (c.surname.as_str(), c.given_name.as_str(), c.patronymic.as_deref()),
        ("Соколова", "Мария", Some("Дмитриевна"))
    );
    let d = validate(&v, &person(None, 0), Role::Pupil, &cat).unwrap();
    assert_eq!(d.child, None, "only parents name a child");
}

#[test]
fn the_page_filters_by_what_was_chosen() {
    let cat = catalogue();
    let p = person(Some("sokolov@example.ru"), 0);
    let ctx = FormContext { flow: "f".into(), csrf: "c".into(), person: &p, role: Role::Parent, catalogue: &cat };
    let page = ctx.page(&FormValues::initial(&p), FieldErrors::default());
    assert_eq!(page.email, "sokolov@example.ru");
    assert_eq!(page.birth_date, "20.07.1988");
    assert_eq!(page.full_name, "Соколов Дмитрий Игоревич");
    assert_eq!(page.role, "Родитель");
    assert!(page.organisations.iter().all(|o| !o.shown) && page.classes.iter().all(|c| !c.shown));
    assert_eq!(page.org_types.len(), 2, "distinct types");

    let page = ctx.page(&values("Общеобразовательная", "s1", "s1-8a"), FieldErrors::default());
    let shown = |list: &[crate::web::request_pages::DependentChoice]| {
        list.iter().filter(|c| c.shown).map(|c| c.value.clone()).collect::<Vec<_>>()
    };
    assert_eq!(shown(&page.organisations), ["s1", "s2"]);
    assert_eq!(shown(&page.classes), ["s1-4b", "s1-8a"]);
    assert!(page.classes.iter().any(|c| c.value == "s1-8a" && c.selected));

    // An organisation of another type than chosen is not kept.
    let page = ctx.page(&values("Дошкольная", "s1", "s1-8a"), FieldErrors::default());
    assert_eq!(shown(&page.organisations), ["k1"]);
    assert!(page.organisations.iter().all(|o| !o.selected) && shown(&page.classes).is_empty());
}

#[path = "access_form_proptests.rs"]
mod proptests;
