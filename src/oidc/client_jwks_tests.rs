//! Tests of a client's registered JWK Set: public signing keys only, and the keys an assertion may use.
#![allow(clippy::unwrap_used)]

use super::*;
use josekit::jwk::KeyPair as _;
use serde_json::json;

/// Test bodies use `?`: a failed set-up step fails the test with its error.
type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn ec_public() -> TestResult<Value> {
    Ok(Value::Object(ES256.generate_key_pair()?.to_jwk_public_key().into()))
}

fn set(keys: Vec<Value>) -> String {
    json!({ "keys": keys }).to_string()
}

fn stored_n(stored: &str) -> TestResult<Value> {
    Ok(serde_json::from_str::<Value>(stored)?["keys"][0]["n"].clone())
}

#[test]
fn public_keys_of_each_type_are_accepted() -> TestResult {
    let mut rsa: Map<String, Value> = RS256.generate_key_pair(2048)?.to_jwk_public_key().into();
    rsa.remove("alg");
    let ed: Map<String, Value> =
        EdDSA.generate_key_pair(josekit::jwk::alg::ed::EdCurve::Ed25519)?.to_jwk_public_key().into();
    let text = set(vec![Value::Object(rsa), ec_public()?, Value::Object(ed)]);
    let stored = validate(&text)?;
    assert_eq!(candidates(&stored, "RS256", None).len(), 1);
    assert_eq!(candidates(&stored, "PS256", None).len(), 1);
    assert_eq!(candidates(&stored, "ES256", None).len(), 1);
    assert_eq!(candidates(&stored, "EdDSA", None).len(), 1);
    assert!(candidates(&stored, "HS256", None).is_empty(), "never a symmetric alg");
    assert!(candidates(&stored, "none", None).is_empty());
    let only_rs256 = json!({ "keys": [{ "alg": "RS256", "kty": "RSA", "n": stored_n(&stored)?, "e": "AQAB" }] });
    let only_rs256 = validate(&only_rs256.to_string())?;
    assert_eq!(candidates(&only_rs256, "RS256", None).len(), 1);
    assert!(candidates(&only_rs256, "PS256", None).is_empty(), "a key's own alg only");
    Ok(())
}

#[test]
fn private_members_and_symmetric_keys_are_refused() -> TestResult {
    let private: Map<String, Value> = ES256.generate_key_pair()?.to_jwk_private_key().into();
    let err = validate(&set(vec![Value::Object(private)])).unwrap_err();
    assert!(err.0.contains("`d`"), "{err}");
    let err = validate(&set(vec![json!({ "kty": "oct", "k": "c2VjcmV0" })])).unwrap_err();
    assert!(err.0.contains("oct"), "{err}");
    let mut with_p = ec_public()?;
    with_p["p"] = json!("AQAB");
    assert!(validate(&set(vec![with_p])).is_err());
    Ok(())
}

#[test]
fn malformed_sets_and_keys_are_refused() -> TestResult {
    let small = json!({ "kty": "RSA", "n": crate::crypto::b64(&[0xc3; 128]), "e": "AQAB" });
    let mut enc = ec_public()?;
    enc["use"] = json!("enc");
    let mut wrong_alg = ec_public()?;
    wrong_alg["alg"] = json!("RS256");
    let mut hs = ec_public()?;
    hs["alg"] = json!("HS256");
    let (mut a, mut b) = (ec_public()?, ec_public()?);
    a["kid"] = json!("k1");
    b["kid"] = json!("k1");
    let p384 = json!({ "kty": "EC", "crv": "P-384", "x": "AA", "y": "AA" });
    let bad_point = json!({ "kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA" });
    for bad in [
        "[]".to_owned(),
        "{}".to_owned(),
        set(vec![]),
        set(vec![json!("x")]),
        set(vec![small]),
        set(vec![enc]),
        set(vec![wrong_alg]),
        set(vec![hs]),
        set(vec![a, b]),
        set(vec![p384]),
        set(vec![bad_point]),
        set(vec![ec_public()?; MAX_KEYS + 1]),
        "x".repeat(MAX_JWKS_LEN + 1),
    ] {
        assert!(validate(&bad).is_err(), "{bad:.120}");
    }
    Ok(())
}

#[test]
fn a_kid_chooses_the_one_key() -> TestResult {
    let (mut a, mut b) = (ec_public()?, ec_public()?);
    a["kid"] = json!("k1");
    b["kid"] = json!("k2");
    let stored = validate(&set(vec![a.clone(), b]))?;
    let found = candidates(&stored, "ES256", Some("k1"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key_id(), Some("k1"));
    assert!(candidates(&stored, "ES256", Some("k3")).is_empty(), "an unknown kid: no key");
    assert_eq!(candidates(&stored, "ES256", None).len(), 2, "no kid: every key that fits");
    Ok(())
}
