//! Properties of the directory import over arbitrary files: CSV and JSON text parse
//! or give an [`ImportError`], never a panic; records written by a CSV or JSON encoder
//! parse back to their trimmed, non-empty fields on their own lines (and parsing is
//! idempotent: re-encoded records parse to themselves); any records validate or give
//! an error with the line of the bad record.

use super::*;
use crate::account::directory_build::build;
use crate::account::{directory_csv, directory_json};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Values: arbitrary text, text with the characters the formats escape, and values
/// the validation accepts (so that records reach the later checks).
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ ,;\"'#\\r\\n\\t\u{feff}a-zа-я0-9.-]{0,20}",
        prop::sample::select(vec![
            "school",
            "authority",
            "parent",
            "pupil",
            "staff",
            "s1",
            "s2",
            "5А",
            "true",
            "нет",
            "maybe",
            "01.02.2014",
            "2014-02-01",
            "31.02.2014",
            "123-456-789 64",
            "112-233-445 95",
            "p1;p2",
            "a@example.ru",
            "+79001234567",
        ])
        .prop_map(str::to_owned),
        // A well-formed hash, so that the import never runs argon2 here.
        "[./A-Za-z0-9]{53}".prop_map(|tail| format!("$2b$12${tail}")),
    ]
}

fn field() -> impl Strategy<Value = String> {
    prop::sample::select(&FIELDS[1..]).prop_map(str::to_owned)
}

/// A record's fields: `record` and up to eight more.
fn fields() -> impl Strategy<Value = BTreeMap<String, String>> {
    let kind = prop::sample::select(vec!["organisation", "class", "account"]);
    (kind, prop::collection::btree_map(field(), value(), 0..8)).prop_map(|(kind, mut map)| {
        map.insert("record".into(), kind.to_owned());
        map
    })
}

/// What the parser keeps of a value: trimmed, absent when empty.
fn kept(map: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| (k.clone(), v.trim().to_owned())).collect()
}

fn to_json(records: &[BTreeMap<String, String>], pretty: bool) -> String {
    if pretty { serde_json::to_string_pretty(records).unwrap() } else { serde_json::to_string(records).unwrap() }
}

fn to_csv(records: &[BTreeMap<String, String>], delimiter: u8) -> String {
    let names: Vec<&str> = FIELDS.iter().copied().filter(|f| records.iter().any(|r| r.contains_key(*f))).collect();
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
    w.write_record(&names).unwrap();
    for r in records {
        w.write_record(names.iter().map(|n| r.get(*n).map(String::as_str).unwrap_or_default())).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn proptest_directory_files_of_any_text_parse_or_fail_with_a_line(text in any::<String>(), json in any::<bool>()) {
        let name = if json { "x.json" } else { "x.csv" };
        let lines = text.matches(['\n', '\r']).count() + 1;
        match parse_file(Path::new(name), &text) {
            Ok(records) => {
                for r in &records {
                    prop_assert!(r.fields.keys().all(|k| FIELDS.contains(&k.as_str())));
                    prop_assert!(r.fields.values().all(|v| !v.is_empty() && v.trim() == v));
                }
            }
            Err(e) => prop_assert!(e.line <= lines, "line {} of {}", e.line, lines),
        }
    }

    #[test]
    fn proptest_directory_json_round_trips(records in prop::collection::vec(fields(), 1..6), pretty in any::<bool>()) {
        let text = to_json(&records, pretty);
        let parsed = directory_json::parse(&text).unwrap();
        prop_assert_eq!(parsed.len(), records.len());
        for (i, (p, r)) in parsed.iter().zip(&records).enumerate() {
            prop_assert_eq!(&p.fields, &kept(r));
            prop_assert!(p.line >= 1);
            if !pretty {
                prop_assert_eq!(p.line, 1);
            } else if i > 0 {
                prop_assert!(p.line > parsed[i - 1].line, "records on their own lines");
            }
        }
        // Idempotent: what was parsed, written again, parses to itself.
        let again: Vec<BTreeMap<String, String>> = parsed.iter().map(|p| p.fields.clone()).collect();
        let reparsed = directory_json::parse(&to_json(&again, pretty)).unwrap();
        prop_assert_eq!(reparsed.iter().map(|p| &p.fields).collect::<Vec<_>>(), again.iter().collect::<Vec<_>>());
    }

    #[test]
    fn proptest_directory_json_parents_may_be_an_array(logins in prop::collection::vec("[a-z0-9.]{1,12}", 1..4)) {
        let text = serde_json::json!([{ "record": "account", "parents": logins }]).to_string();
        let parsed = directory_json::parse(&text).unwrap();
        let joined = logins.join(";");
        prop_assert_eq!(parsed[0].get("parents"), Some(joined.as_str()));
    }

    #[test]
    fn proptest_directory_csv_round_trips(records in prop::collection::vec(fields(), 1..6), semicolon in any::<bool>()) {
        let text = to_csv(&records, if semicolon { b';' } else { b',' });
        let parsed = directory_csv::parse(&text).unwrap();
        prop_assert_eq!(parsed.len(), records.len());
        for (i, (p, r)) in parsed.iter().zip(&records).enumerate() {
            prop_assert_eq!(&p.fields, &kept(r));
            prop_assert!(p.line >= 2 && (i == 0 || p.line > parsed[i - 1].line), "line {}", p.line);
        }
    }

    #[test]
    fn proptest_directory_records_validate_or_name_their_line(records in prop::collection::vec(fields(), 1..8)) {
        let raw: Vec<RawRecord> = records
            .iter()
            .enumerate()
            .map(|(i, f)| f.iter().fold(RawRecord::new(i + 2), |r, (k, v)| r.with(k, v)))
            .collect();
        let keys = DirectoryKeys { snils: [1; 32], matching: [2; 32], subject: [3; 32] };
        match block_on(build(None, &raw, &keys, 1_790_000_000)) {
            Ok((batch, hashed)) => {
                prop_assert_eq!(hashed, 0);
                prop_assert!(batch.organisations.len() + batch.classes.len() + batch.accounts.len() <= raw.len());
            }
            Err(e) => prop_assert!((2..raw.len() + 2).contains(&e.line), "line {}: {}", e.line, e.message),
        }
    }
}
