//! Properties of what ESIA sends over arbitrary input: its JWTs (any text, any JSON
//! in the parts, any claim values under a valid signature) and its REST answers (any
//! JSON in the shapes of `/rs/prns`) are read or refused, never a panic; signed
//! tokens round-trip; dates and timestamps round-trip through ESIA's formats.

use super::api::{self, Collection, Person, RawContact, RawDocument, RawKid};
use super::protocol::{iso_date, parse_timestamp, timestamp};
use crate::connector::jwt::{self, Expect};
use crate::connector::signer::{OpensslSigner, load_certificates};
use crate::crypto::b64;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::path::Path;

const ISSUER: &str = "http://esia-portal1.test.gosuslugi.ru/";
const NOW: i64 = 1_790_000_000;

/// Field names of ESIA's answers, so that arbitrary JSON reaches the typed fields.
const KEYS: &[&str] = &[
    "firstName",
    "lastName",
    "middleName",
    "birthDate",
    "gender",
    "trusted",
    "snils",
    "kidAccCreatedByParent",
    "elements",
    "type",
    "vrfStu",
    "value",
    "series",
    "number",
    "issueDate",
    "issuedBy",
    "issueId",
    "actNo",
    "id",
    "documents",
    "iss",
    "exp",
    "nbf",
    "sub",
    "aud",
    "client_id",
    "sbt",
    "alg",
    "urn:esia:sbj_id",
    "scope",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec!["M", "F", "VERIFIED", "EML", "MBT", "01.02.2014", "http://esia/rs/prns/1"])
            .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        let key = prop_oneof![3 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => any::<String>()];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `v` as a JSON reader sees it (serde_json's parser may round a float's last digit).
fn reparsed(v: &Value) -> Value {
    serde_json::from_str(&v.to_string()).unwrap()
}

fn signer() -> OpensslSigner {
    OpensslSigner::from_files(Path::new("keys/test-esia-sandbox-rsa.key"), Path::new("keys/test-esia-sandbox-rsa.crt"))
        .unwrap()
}

fn expect(sbt: &str) -> Expect<'_> {
    Expect { sbt, issuer: ISSUER, client_id: "PROPUSK", now: NOW, leeway: 60 }
}

/// A claim value for the time claims: numbers anywhere in i64 (and beyond), floats, strings.
fn time_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (NOW - 100_000..NOW + 100_000).prop_map(Value::from),
        prop::sample::select(vec![i64::MAX, i64::MIN, i64::MAX - 30, i64::MIN + 30, 0]).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<i64>().prop_map(|n| Value::String(n.to_string())),
        json_value(),
    ]
}

proptest! {
    #![proptest_config(crate::proptest_config::config())]

    #[test]
    fn proptest_esia_jwt_of_any_text_or_parts_is_refused_not_a_panic(
        text in any::<String>(),
        header in json_value(),
        payload in json_value(),
        sig in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let certs = load_certificates(Path::new("keys/test-esia-sandbox-rsa.crt")).unwrap();
        prop_assert!(jwt::verify(&text, &certs, &expect("access")).is_err());
        let _ = jwt::claims_unverified(&text);
        let token = format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()), b64(&sig));
        prop_assert!(jwt::verify(&token, &certs, &expect("id")).is_err(), "an unsigned token is never accepted");
        match jwt::claims_unverified(&token) {
            Ok(claims) => prop_assert_eq!(Value::Object(claims), reparsed(&payload)),
            Err(_) => prop_assert!(!payload.is_object() || !header.is_object()),
        }
    }

    #[test]
    fn proptest_esia_jwt_claims_under_a_valid_signature_never_panic(
        sbt in prop::sample::select(vec!["access", "id"]),
        exp in time_value(),
        nbf in prop::option::of(time_value()),
        extra in prop::collection::btree_map(prop::sample::select(KEYS).prop_map(str::to_owned), json_value(), 0..4),
    ) {
        let certs = load_certificates(Path::new("keys/test-esia-sandbox-rsa.crt")).unwrap();
        let mut claims: Map<String, Value> = extra.into_iter().collect();
        claims.insert("iss".into(), json!(ISSUER));
        claims.insert("client_id".into(), json!("PROPUSK"));
        claims.insert("aud".into(), json!("PROPUSK"));
        claims.insert("exp".into(), exp);
        match nbf {
            Some(nbf) => claims.insert("nbf".into(), nbf),
            None => claims.remove("nbf"),
        };
        let token = jwt::sign(&signer(), 2, sbt, &Value::Object(claims.clone())).unwrap();
        if let Ok(verified) = jwt::verify(&token, &certs, &expect(sbt)) {
            // Accepted only while valid (with the leeway), never by an overflow.
            let exp = jwt::num(&verified, "exp").unwrap();
            prop_assert!(exp > NOW - 60, "exp {}", exp);
            prop_assert!(jwt::num(&verified, "nbf").is_none_or(|nbf| nbf <= NOW + 60));
            prop_assert_eq!(Value::Object(verified), reparsed(&Value::Object(claims.clone())));
        }
        // The same claims for the other kind of token are refused (sbt).
        let other = if sbt == "id" { "access" } else { "id" };
        prop_assert!(jwt::verify(&token, &certs, &expect(other)).is_err());
    }

    #[test]
    fn proptest_esia_rest_answers_of_any_json_never_panic(v in json_value()) {
        if let Ok(p) = serde_json::from_value::<Person>(v.clone()) {
            let _ = (api::gender(p.gender.as_deref()), p.birth_date.as_deref().and_then(iso_date));
        }
        if let Ok(c) = serde_json::from_value::<Collection>(v.clone()) {
            let contacts: Vec<RawContact> = api::embedded(&c);
            let documents: Vec<RawDocument> = api::embedded(&c);
            let kids: Vec<RawKid> = api::embedded(&c);
            let links = api::links(&c);
            prop_assert!(contacts.len() + links.len() <= c.elements.len());
            for raw in contacts {
                let complete = raw.kind.is_some() && raw.value.is_some();
                prop_assert_eq!(api::contact(raw).is_some(), complete);
            }
            for d in documents.into_iter().filter_map(api::document) {
                prop_assert!(d.issue_date.is_none_or(|s| s.len() == 10));
            }
            for mut k in kids {
                let docs = k.documents.take().map(|c| api::embedded::<RawDocument>(&c)).unwrap_or_default();
                let child = api::child(k, docs.into_iter().filter_map(api::document).collect());
                prop_assert!(child.birth_date.is_none_or(|s| s.len() == 10));
            }
        }
    }

    #[test]
    fn proptest_esia_dates_and_timestamps_round_trip(
        d in 1u32..=31, m in 1u32..=12, y in 1900u32..=2100,
        junk in any::<String>(),
        ts in -2_000_000_000i64..4_000_000_000,
    ) {
        prop_assert_eq!(iso_date(&format!("{d:02}.{m:02}.{y}")), Some(format!("{y}-{m:02}-{d:02}")));
        if let Some(iso) = iso_date(&junk) {
            prop_assert_eq!(iso.len(), 10);
        }
        prop_assert_eq!(parse_timestamp(&timestamp(ts)), Some(ts));
        let _ = parse_timestamp(&junk);
    }
}

/// Found by `proptest_esia_jwt_claims_under_a_valid_signature_never_panic`: a signed
/// `exp` (or `nbf`) near the ends of i64 overflowed the leeway arithmetic (a panic in
/// debug builds, a wrapped comparison in release).
#[test]
fn esia_jwt_with_extreme_exp_or_nbf_is_judged_not_overflowed() {
    let certs = load_certificates(Path::new("keys/test-esia-sandbox-rsa.crt")).unwrap();
    let token = |exp: Value, nbf: Value| {
        let claims = json!({"iss": ISSUER, "client_id": "PROPUSK", "exp": exp, "nbf": nbf});
        jwt::sign(&signer(), 2, "access", &claims).unwrap()
    };
    assert!(jwt::verify(&token(json!(i64::MAX), json!(NOW)), &certs, &expect("access")).is_ok());
    assert!(jwt::verify(&token(json!(1e300), json!(i64::MIN)), &certs, &expect("access")).is_ok());
    assert_eq!(jwt::verify(&token(json!(i64::MIN), json!(NOW)), &certs, &expect("access")), Err("expired".into()));
    assert_eq!(
        jwt::verify(&token(json!(NOW + 3600), json!(i64::MAX)), &certs, &expect("access")),
        Err("not yet valid".into())
    );
}
