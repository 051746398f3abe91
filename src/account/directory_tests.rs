//! Directory import: parsing, validation with line numbers, and the example files.

use super::*;
use crate::account::directory_build::build;
use crate::account::{names, password, snils};
use crate::store::Role;

const NOW: i64 = 1_790_000_000; // 2026-09

fn keys() -> DirectoryKeys {
    DirectoryKeys { snils: [1; 32], matching: [2; 32], subject: [3; 32] }
}

const HEADER: &str = "record,id,kind,region,municipality,locality,org_type,name,organisation,login,password,role,can_review_requests,surname,given_name,patronymic,birth_date,snils,class,email,phone,parents,disabled";
const ORG: &str = "organisation,s1,school,Регион,Округ,Город,Общеобразовательная,Школа №1,,,,,,,,,,,,,,,";
const CLASS: &str = "class,,,,,,,5А,s1,,,,,,,,,,,,,,";

fn account_row(login: &str, extra: &str) -> String {
    // extra replaces the tail from `role` on: role,can_review,surname,given,patronymic,birth,snils,class,email,phone,parents,disabled
    format!("account,,,,,,,,s1,{login},Pass-1234,{extra}")
}

async fn build_csv(text: &str) -> Result<DirectoryBatch, ImportError> {
    let records = parse_file(Path::new("x.csv"), text)?;
    Ok(build(None, &records, &keys(), NOW).await?.0)
}

#[tokio::test]
async fn csv_rows_build_a_batch() {
    let pupil = account_row("p1", "pupil,,Иванов,Иван,Иванович,01.02.2014,123-456-789 64,5А,,,par1,");
    let parent = account_row("par1", "parent,,Иванова,Ольга,,1985-03-04,,,o@example.ru,+7 900 000-00-00,,");
    let text = [HEADER, ORG, CLASS, &pupil, &parent].join("\n");
    let batch = build_csv(&text).await.unwrap();
    assert_eq!(
        (batch.organisations.len(), batch.classes.len(), batch.accounts.len(), batch.relations.len()),
        (1, 1, 2, 1)
    );
    let p = batch.accounts.iter().find(|a| a.login == "p1").unwrap();
    assert_eq!(p.id, account_id("s1", "p1"));
    assert_eq!(p.birth_date, "2014-02-01");
    assert_eq!(p.class_id.as_deref(), Some(class_id("s1", "5А").as_str()));
    assert_eq!(p.snils_hash.as_deref(), Some(snils::keyed_hash(&[1; 32], "12345678964").as_str()));
    assert_eq!(p.match_key, names::match_key(&[2; 32], "Иванов", "Иван", Some("Иванович"), "2014-02-01"));
    assert!(p.password_hash.starts_with("$argon2id$"));
    assert!(password::verify(&p.password_hash, &crate::crypto::SecretString::new("Pass-1234")).await.unwrap().ok);
    let parent = batch.accounts.iter().find(|a| a.login == "par1").unwrap();
    assert_eq!(parent.role, Role::Parent);
    assert_eq!(parent.patronymic, None);
    assert_eq!(batch.relations[0].parent_id, parent.id);
    assert_eq!(batch.relations[0].child_id, p.id);
}

#[test]
fn ids_are_stable_and_distinct() {
    assert_eq!(account_id("s1", "a"), account_id("s1", "a"));
    assert_ne!(account_id("s1", "a"), account_id("s2", "a"));
    assert_ne!(account_id("s1", "a"), class_id("s1", "a"));
    let id = account_id("s1", "a");
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "8");
}

#[tokio::test]
async fn csv_errors_name_their_line() {
    let ok_pupil = account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,,,,,");
    let cases: Vec<(String, usize, &str)> = vec![
        (format!("{HEADER}\n{ORG}\n{}", account_row("p1", "pupil,,Иванов,Иван,,31.02.2014,,,,,,")), 3, "birth_date"),
        (format!("{HEADER}\n{ORG}\n{}", account_row("p1", "pupil,,Иванов,Иван,,2014/02/01,,,,,,")), 3, "birth_date"),
        (
            format!(
                "{HEADER}\n{ORG}\n{ok_pupil}\n{}",
                account_row("p2", "pupil,,Иванов,Иван,,01.02.2014,123-456-789 65,,,,,")
            ),
            4,
            "snils",
        ),
        (format!("{HEADER}\n{ORG}\n{}", account_row("p1", "teacher,,Иванов,Иван,,01.02.2014,,,,,,")), 3, "role"),
        (format!("{HEADER}\n{ORG}\n{}", account_row("p1", "pupil,,,Иван,,01.02.2014,,,,,,")), 3, "surname"),
        (
            format!("{HEADER}\n{ORG}\n{}", account_row("p1", "pupil,true,Иванов,Иван,,01.02.2014,,,,,,")),
            3,
            "staff only",
        ),
        (
            format!("{HEADER}\n{ORG}\n{}", account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,9Я,,,,")),
            3,
            "unknown class",
        ),
        (
            format!("{HEADER}\n{ORG}\n{}", account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,,,,nobody,")),
            3,
            "parent `nobody`",
        ),
        (
            format!("{HEADER}\n{ORG}\n{}", account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,,not-an-email,,,")),
            3,
            "email",
        ),
        (format!("{HEADER}\n{ORG}\n{ok_pupil}\n{ok_pupil}"), 4, "twice"),
        (format!("{HEADER}\n{ORG}\n{ORG}"), 3, "twice"),
        (format!("{HEADER}\n{ORG}\nschool,,,,,,,,,,,,,,,,,,,,,,"), 3, "unknown record type"),
        (format!("{HEADER}\n{ORG}\n{ok_pupil},extra"), 3, "cells"),
        (
            format!("{HEADER}\n\n# comment\n{ORG}\n{}", account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,,,,,maybe")),
            5,
            "disabled",
        ),
        (format!("{HEADER}\n{}", account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,,,,,")), 2, "unknown organisation"),
        (
            format!(
                "{HEADER}\n{ORG}\n{}",
                account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,,,,,").replace("Pass-1234", "$2b$04$tooShort")
            ),
            3,
            "password",
        ),
        (
            format!(
                "{HEADER}\n{ORG}\n{}",
                account_row("p1", "pupil,,Иванов,Иван,,01.02.2014,,,,,,").replace("Pass-1234", "$md5$x")
            ),
            3,
            "unsupported",
        ),
        (format!("{HEADER}\n{}", ORG.replace("school", "ministry")), 2, "kind"),
        (format!("{HEADER}\n{}", ORG.replace("s1", "S 1")), 2, "`id`"),
        (format!("{HEADER}\n{}", CLASS.replace("5А", "")), 2, "name"),
        (format!("{}\n{ORG}", HEADER.replace("disabled", "nickname")), 1, "unknown field `nickname`"),
        (format!("{}\n{ORG}", HEADER.replace("record,", "kind2,")), 1, "unknown field"),
        (format!("{HEADER}\n{}", ORG.replace("organisation,s1", "organisation,s1,")), 2, "cells"),
        (HEADER.to_owned(), 0, "no records"),
    ];
    for (text, line, needle) in cases {
        let err = build_csv(&text).await.unwrap_err();
        assert_eq!(err.line, line, "{err} for:\n{text}");
        assert!(err.message.contains(needle), "{err:?} should mention {needle}");
        if line > 0 {
            assert!(err.to_string().starts_with(&format!("line {line}: ")));
        }
    }
}

#[tokio::test]
async fn semicolon_csv_with_bom_and_quoted_cells() {
    let text = "\u{feff}record;id;kind;region;municipality;locality;org_type;name\n\
         organisation;s1;school;Регион;\"Округ; город\";Город;Общеобразовательная;\"Школа \"\"Ромашка\"\"\"\n";
    let batch = build_csv(text).await.unwrap();
    assert_eq!(batch.organisations[0].municipality, "Округ; город");
    assert_eq!(batch.organisations[0].name, "Школа \"Ромашка\"");
}

#[tokio::test]
async fn json_errors_name_their_line() {
    let org = r#"{"record": "organisation", "id": "s1", "kind": "school", "region": "Р", "municipality": "М", "locality": "Л", "org_type": "О", "name": "Школа"}"#;
    let cases: Vec<(String, usize, &str)> = vec![
        (format!("[\n  {org},\n  {{\"record\": \"account\",\n   \"organisation\": \"s1\"}}\n]"), 3, "login"),
        (
            format!("[\n  {org},\n\n  {{\"record\": \"class\", \"organisation\": \"s1\", \"name\": [1]}}\n]"),
            4,
            "must be a string",
        ),
        (
            format!(
                "[\n  {org},\n  {{\"record\": \"class\", \"organisation\": \"s1\", \"name\": \"1А\", \"colour\": \"red\"}}\n]"
            ),
            3,
            "unknown field",
        ),
        (format!("[\n  {org},\n  \"text\"\n]"), 3, "JSON object"),
        ("[\n  {\"record\": \"organisation\",\n  \"id\": }\n]".to_owned(), 3, "bad JSON"),
        ("{\"records\": []}".to_owned(), 1, "array"),
        (
            format!(
                "[\n  {org},\n  {{\"record\": \"class\", \"organisation\": \"s1\", \"name\": \"a\\\"{{[\"}},\n  {{\"record\": \"class\", \"organisation\": \"s2\", \"name\": \"b\"}}\n]"
            ),
            4,
            "unknown organisation",
        ),
    ];
    for (text, line, needle) in cases {
        let records = parse_file(Path::new("dir.JSON"), &text);
        let err = match records {
            Err(e) => e,
            Ok(records) => build(None, &records, &keys(), NOW).await.unwrap_err(),
        };
        assert_eq!(err.line, line, "{err} for:\n{text}");
        assert!(err.message.contains(needle), "{err:?} should mention {needle}");
    }
}

#[test]
fn unknown_extension_is_refused() {
    let err = parse_file(Path::new("dir.xlsx"), "").unwrap_err();
    assert!(err.message.contains(".csv or .json"));
}

fn example(name: &str) -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

#[tokio::test]
async fn example_files_are_valid_and_equal() {
    let (csv_path, csv_text) = example("directory.csv");
    let (json_path, json_text) = example("directory.json");
    let from_csv = build(None, &parse_file(&csv_path, &csv_text).unwrap(), &keys(), NOW).await.unwrap().0;
    let from_json = build(None, &parse_file(&json_path, &json_text).unwrap(), &keys(), NOW).await.unwrap().0;
    assert_eq!(from_csv.organisations, from_json.organisations);
    assert_eq!(from_csv.classes, from_json.classes);
    assert_eq!(from_csv.relations, from_json.relations);
    assert_eq!(from_csv.accounts.len(), 5);
    for (a, b) in from_csv.accounts.iter().zip(&from_json.accounts) {
        assert_eq!((&a.id, &a.match_key, &a.snils_hash, a.disabled), (&b.id, &b.match_key, &b.snils_hash, b.disabled));
    }
    // Every example account's password is Start-2026!, whatever its hash format.
    let pw = crate::crypto::SecretString::new("Start-2026!");
    for a in &from_csv.accounts {
        assert!(password::verify(&a.password_hash, &pw).await.unwrap().ok, "{}", a.login);
    }
}
