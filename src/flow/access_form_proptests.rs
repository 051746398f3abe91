//! Properties of the access-request form over arbitrary posts: reading, checking and
//! re-showing it never panic; reading is idempotent (the values shown, posted again,
//! read the same); a draft is only ever made of what the catalogue and the ESIA
//! person offer, within the limits.

use super::*;
use proptest::prelude::*;

const NAMES: &[&str] = &["email", "child", "child_name", "org_type", "organisation", "class", "comment", "x"];

/// Values that pass (catalogue ids, types, children indexes) and arbitrary ones.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "s1",
            "s2",
            "k1",
            "s1-4b",
            "s1-8a",
            "s2-5v",
            "Общеобразовательная",
            "Дошкольная",
            "0",
            "1",
            "2",
            "+1",
            "-1",
            "sokolov@example.ru",
            " a@b.ru ",
            "Соколова Мария Дмитриевна",
            "   ",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
        "[ -~а-я]{0,40}",
        (0usize..1200).prop_map(|n| "я".repeat(n)),
    ]
}

fn post() -> impl Strategy<Value = Vec<u8>> {
    let pairs = prop::collection::vec((prop::sample::select(NAMES), value()), 0..10).prop_map(|pairs| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, &v);
        }
        s.finish().into_bytes()
    });
    prop_oneof![4 => pairs, 1 => prop::collection::vec(any::<u8>(), 0..200)]
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![Role::Parent, Role::Pupil, Role::Staff])
}

fn encode(v: &FormValues) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, val) in [
        ("email", &v.email),
        ("child", &v.child),
        ("child_name", &v.child_name),
        ("org_type", &v.org_type),
        ("organisation", &v.organisation),
        ("class", &v.class),
        ("comment", &v.comment),
    ] {
        s.append_pair(k, val);
    }
    s.finish()
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn proptest_access_form_of_any_post_is_a_draft_or_field_errors(
        body in post(),
        role in role(),
        children in 0usize..3,
    ) {
        let cat = catalogue();
        let p = person(Some("sokolov@example.ru"), children);
        let v = FormValues::from_params(&Params::parse(&body));
        // Idempotent: the form as shown, posted again, reads the same.
        prop_assert_eq!(FormValues::from_params(&Params::parse(encode(&v).as_bytes())), v.clone());
        let ctx = FormContext { flow: "f".into(), csrf: "c".into(), person: &p, role, catalogue: &cat };
        match validate(&v, &p, role, &cat) {
            Ok(d) => {
                prop_assert!(plausible_email(&d.email));
                let org = cat.organisation(&d.organisation_id).unwrap();
                prop_assert_eq!(&org.org_type, &v.org_type);
                if let Some(class) = &d.class_id {
                    prop_assert!(asks_class(role));
                    prop_assert!(cat.classes.iter().any(|c| &c.id == class && c.organisation_id == org.id));
                }
                if let Some(comment) = &d.comment {
                    prop_assert!(!comment.is_empty() && comment.trim() == comment);
                    prop_assert!(comment.chars().count() <= COMMENT_MAX);
                }
                match &d.child {
                    Some(c) => {
                        prop_assert_eq!(role, Role::Parent);
                        prop_assert_eq!(c.from_esia, children > 0);
                        prop_assert!(!c.surname.is_empty());
                    }
                    None => prop_assert!(role != Role::Parent || children == 0 || v.child.is_empty()),
                }
                let page = ctx.page(&v, FieldErrors::default());
                prop_assert!(page.organisations.iter().filter(|o| o.selected).count() == 1);
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                let page = ctx.page(&v, *errors);
                prop_assert!(page.organisations.iter().filter(|o| o.selected).count() <= 1);
                prop_assert!(page.classes.iter().filter(|c| c.selected).count() <= 1);
            }
        }
    }

    #[test]
    fn proptest_plausible_emails_have_one_at_and_fit_the_limit(s in any::<String>(), local in "[a-z0-9.+_-]{1,64}", domain in "[a-z0-9]{1,20}\\.[a-z]{2,6}") {
        if plausible_email(&s) {
            prop_assert_eq!(s.matches('@').count(), 1);
            prop_assert!(s.len() <= EMAIL_MAX && !s.chars().any(char::is_whitespace));
        }
        let built = format!("{local}@{domain}");
        prop_assert!(plausible_email(&built), "{}", built);
    }
}
