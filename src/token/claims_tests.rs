//! Table tests of claims by scope and subjects.

use super::*;
use crate::store::{AuthMethod, ConsentMode, OrgKind, Role};

fn account() -> Account {
    Account {
        id: "acc-1".into(),
        subject: "sub-1".into(),
        organisation_id: "org-1".into(),
        login: "ivanov.is".into(),
        password_hash: "$argon2id$x".into(),
        role: Role::Pupil,
        can_review_requests: false,
        surname: "Иванов".into(),
        given_name: "Иван".into(),
        patronymic: Some("Сергеевич".into()),
        birth_date: "2012-03-15".into(),
        snils_hash: Some("secret-hash".into()),
        match_key: "match".into(),
        class_id: Some("cls-8a".into()),
        email: Some("ivan@example.ru".into()),
        phone: None,
        disabled: false,
        created_at: 0,
    }
}

fn org() -> Organisation {
    Organisation {
        id: "org-1".into(),
        kind: OrgKind::School,
        region: "Сахалинская область".into(),
        municipality: "Южно-Сахалинск".into(),
        locality: "Южно-Сахалинск".into(),
        org_type: "Общеобразовательная".into(),
        name: "МБОУ СОШ №1".into(),
    }
}

fn class() -> Class {
    Class { id: "cls-8a".into(), organisation_id: "org-1".into(), name: "8А".into() }
}

fn client(subject_type: &str, redirect: &[&str]) -> Client {
    Client {
        id: "diary".into(),
        secret_hash: None,
        auth_method: AuthMethod::None,
        redirect_uris: redirect.iter().map(|s| s.to_string()).collect(),
        post_logout_redirect_uris: vec![],
        grant_types: vec![],
        scope: "openid".into(),
        consent: ConsentMode::Implicit,
        id_token_alg: "RS256".into(),
        access_token_ttl: 600,
        id_token_ttl: 3600,
        refresh_token_ttl: 86400,
        subject_type: subject_type.into(),
        sector_identifier_uri: None,
        display_name: None,
        previous_secret_hash: None,
        previous_secret_until: None,
        require_pushed_authorization_requests: false,
        dpop_bound_access_tokens: false,
        disabled: false,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        jwks: None,
        logo_uri: None,
        resources: vec![],
        created_at: 0,
        updated_at: 0,
    }
}

fn keys(m: &Map<String, Value>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

#[test]
fn it_05_claims_by_scope_table() {
    let (a, o, c) = (account(), org(), class());
    let cases: &[(&str, &[&str])] = &[
        ("openid", &[]),
        ("openid profile", &["birthdate", "family_name", "given_name", "middle_name", "name"]),
        ("openid email", &["email", "email_verified"]),
        ("openid phone", &[]),
        ("openid school", &["school"]),
        ("openid offline_access children", &[]),
    ];
    for (scope, want) in cases {
        let got = user_claims(&Scopes::parse(scope).unwrap(), &a, Some(&o), Some(&c));
        let mut got_keys = keys(&got);
        got_keys.sort_unstable();
        assert_eq!(&got_keys, want, "scope {scope}");
        let text = serde_json::to_string(&got).unwrap();
        assert!(!text.contains("secret-hash") && !text.contains("ivanov.is"), "scope {scope}");
    }
}

#[test]
fn profile_values() {
    let all = Scopes::parse("openid profile email phone school").unwrap();
    let got = user_claims(&all, &account(), Some(&org()), Some(&class()));
    assert_eq!(got["name"], "Иванов Иван Сергеевич");
    assert_eq!(got["family_name"], "Иванов");
    assert_eq!(got["given_name"], "Иван");
    assert_eq!(got["middle_name"], "Сергеевич");
    assert_eq!(got["birthdate"], "2012-03-15");
    assert_eq!(got["email_verified"], false);
    assert_eq!(
        got["school"],
        json!({"organisation_id": "org-1", "organisation_name": "МБОУ СОШ №1", "role": "pupil", "class": "8А"})
    );

    let mut no_patronymic = account();
    no_patronymic.patronymic = None;
    no_patronymic.phone = Some("+79990000000".into());
    no_patronymic.role = Role::Parent;
    no_patronymic.class_id = None;
    let got = user_claims(&all, &no_patronymic, Some(&org()), None);
    assert_eq!(got["name"], "Иванов Иван");
    assert!(!got.contains_key("middle_name"));
    assert_eq!(got["phone_number"], "+79990000000");
    assert_eq!(got["phone_number_verified"], false);
    assert_eq!(
        got["school"],
        json!({"organisation_id": "org-1", "organisation_name": "МБОУ СОШ №1", "role": "parent"})
    );
}

#[test]
fn it_04_subject_table() {
    let key = [9u8; 32];
    let public = client("public", &["https://diary.example.ru/cb"]);
    assert_eq!(subject("acc-1", &public, &key), "acc-1");

    let a = client("pairwise", &["https://diary.example.ru/cb"]);
    let same_host = client("pairwise", &["https://diary.example.ru/other", "https://x.example/cb"]);
    let other_host = client("pairwise", &["https://app.example.ru/cb"]);
    let no_uri = client("pairwise", &[]);
    let sa = subject("acc-1", &a, &key);
    assert_eq!(sa.len(), 43);
    assert_ne!(sa, "acc-1");
    assert_eq!(sa, subject("acc-1", &same_host, &key), "same sector, same sub");
    assert_ne!(sa, subject("acc-1", &other_host, &key), "other sector, other sub");
    assert_ne!(sa, subject("acc-2", &a, &key), "other account, other sub");
    assert_ne!(sa, subject("acc-1", &a, &[8u8; 32]), "other key, other sub");
    let expected = b64(&hmac_sha256(&key, b"diary.example.ru|acc-1"));
    assert_eq!(sa, expected);
    assert_eq!(subject("acc-1", &no_uri, &key), b64(&hmac_sha256(&key, b"diary|acc-1")));
}

#[test]
fn it_04_sector_identifier_names_the_sector() {
    let key = [9u8; 32];
    let mut web = client("pairwise", &["https://web.diary.example.ru/cb"]);
    web.sector_identifier_uri = Some("https://diary.example.ru/sector.json".into());
    let mut app = client("pairwise", &["ru.example.diary:/cb", "http://127.0.0.1/cb"]);
    app.id = "diary-app".into();
    app.sector_identifier_uri = Some("https://diary.example.ru/other.json".into());
    assert_eq!(sector(&web), "diary.example.ru");
    assert_eq!(sector(&app), "diary.example.ru");
    assert_eq!(subject("sub-1", &web, &key), subject("sub-1", &app, &key), "one sector, one sub");
    let plain = client("pairwise", &["https://diary.example.ru/cb"]);
    assert_eq!(subject("sub-1", &plain, &key), subject("sub-1", &web, &key), "the sector is a host");
    let elsewhere = client("pairwise", &["https://web.diary.example.ru/cb"]);
    assert_ne!(subject("sub-1", &elsewhere, &key), subject("sub-1", &web, &key));
    // The local subject, never the account id, goes in: a sub says nothing of the login.
    let a = account();
    assert_ne!(subject(&a.subject, &plain, &key), subject(&a.id, &plain, &key));
    assert_eq!(subject(&a.subject, &client("public", &[]), &key), "sub-1");
}

#[test]
fn supported_claims_cover_scope_claims() {
    for scope in ["profile", "email", "phone", "school"] {
        for claim in scope_claims(scope) {
            assert!(supported_claims().contains(claim), "{claim}");
        }
    }
}
