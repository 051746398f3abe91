//! Table tests of a client assertion's checks (RFC 7523 §3, OIDC Core §9).

use super::*;
use crate::crypto::b64;
use josekit::jwk::KeyPair as _;
use josekit::jws::JwsSigner;
use serde_json::json;

const NOW: i64 = 1_800_000_000;
const ISSUER: &str = "https://id.example";

struct Key {
    alg: &'static str,
    public: Value,
    signer: Box<dyn JwsSigner>,
}

fn es256() -> Key {
    let pair = ES256.generate_key_pair().unwrap();
    let signer = Box::new(ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap());
    Key { alg: "ES256", public: Value::Object(pair.to_jwk_public_key().into()), signer }
}

fn rs256() -> Key {
    let pair = RS256.generate_key_pair(2048).unwrap();
    let signer = Box::new(RS256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap());
    Key { alg: "RS256", public: Value::Object(pair.to_jwk_public_key().into()), signer }
}

fn jwks(keys: &[&Key]) -> String {
    json!({ "keys": keys.iter().map(|k| k.public.clone()).collect::<Vec<_>>() }).to_string()
}

fn sign(key: &Key, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let sig = key.signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}

fn claims() -> Value {
    json!({ "iss": "rp", "sub": "rp", "aud": format!("{ISSUER}/token"), "jti": "j-1", "exp": NOW + 60, "iat": NOW })
}

fn with(mut v: Value, name: &str, value: Value) -> Value {
    if value.is_null() {
        v.as_object_mut().unwrap().remove(name);
    } else {
        v[name] = value;
    }
    v
}

fn audiences() -> Vec<String> {
    vec![ISSUER.to_owned(), format!("{ISSUER}/token")]
}

fn checked(assertion: &str, jwks: &str) -> Result<Assertion, &'static str> {
    let audiences = audiences();
    check(assertion, jwks, &Expected { client_id: "rp", audiences: &audiences, now: NOW })
}

#[test]
fn a_good_assertion_gives_its_jti_and_exp() {
    for key in [es256(), rs256()] {
        let a = checked(&sign(&key, &json!({ "alg": key.alg }), &claims()), &jwks(&[&key])).unwrap();
        assert_eq!(a, Assertion { jti: "j-1".into(), exp: NOW + 60 }, "{}", key.alg);
    }
}

#[test]
fn rfc_7523_3_aud_may_be_the_issuer_or_the_token_endpoint_in_a_list() {
    let key = es256();
    for aud in [json!(ISSUER), json!(["https://other.example", ISSUER]), json!([format!("{ISSUER}/token")])] {
        let a = sign(&key, &json!({ "alg": "ES256" }), &with(claims(), "aud", aud.clone()));
        assert!(checked(&a, &jwks(&[&key])).is_ok(), "{aud}");
    }
}

#[test]
fn rfc_7523_3_each_claim_is_required_as_the_rfc_says() {
    let key = es256();
    let refused: [(&str, Value, &str); 14] = [
        ("iss", json!("other"), "iss is not the client"),
        ("sub", json!("other"), "sub is not the client"),
        ("iss", Value::Null, "iss is not the client"),
        ("aud", json!("https://evil.example/token"), "aud does not name this server"),
        ("aud", json!(["https://evil.example"]), "aud does not name this server"),
        ("aud", Value::Null, "aud does not name this server"),
        ("exp", Value::Null, "no exp"),
        ("exp", json!(NOW), "expired"),
        ("exp", json!(NOW + MAX_LIFETIME_SECS + 1), "exp is too far ahead"),
        ("nbf", json!(NOW + SKEW_SECS + 1), "not valid yet (nbf)"),
        ("iat", json!(NOW + SKEW_SECS + 1), "issued in the future"),
        ("iat", json!(NOW - MAX_LIFETIME_SECS), "lifetime too long"),
        ("jti", Value::Null, "no jti"),
        ("jti", json!(""), "no jti"),
    ];
    for (name, value, why) in refused {
        let a = sign(&key, &json!({ "alg": "ES256" }), &with(claims(), name, value.clone()));
        assert_eq!(checked(&a, &jwks(&[&key])), Err(why), "{name} = {value}");
    }
    let in_skew = with(with(claims(), "nbf", json!(NOW + SKEW_SECS)), "iat", Value::Null);
    assert!(checked(&sign(&key, &json!({ "alg": "ES256" }), &in_skew), &jwks(&[&key])).is_ok());
}

#[test]
fn only_asymmetric_algs_and_the_clients_own_keys() {
    let (key, other) = (es256(), es256());
    let mine = jwks(&[&key]);
    let signed_by_other = sign(&other, &json!({ "alg": "ES256" }), &claims());
    assert_eq!(checked(&signed_by_other, &mine), Err("bad signature"));
    // `alg: none`, empty signature.
    let input =
        format!("{}.{}", b64(json!({ "alg": "none" }).to_string().as_bytes()), b64(claims().to_string().as_bytes()));
    assert_eq!(checked(&format!("{input}."), &mine), Err("alg is not an accepted asymmetric algorithm"));
    // HS256 keyed with the public key's JSON (the classic confusion).
    let hs = josekit::jws::HS256.signer_from_bytes(key.public.to_string().as_bytes()).unwrap();
    let input =
        format!("{}.{}", b64(json!({ "alg": "HS256" }).to_string().as_bytes()), b64(claims().to_string().as_bytes()));
    let forged = format!("{input}.{}", b64(&hs.sign(input.as_bytes()).unwrap()));
    assert_eq!(checked(&forged, &mine), Err("alg is not an accepted asymmetric algorithm"));
    // An RS256 header over an EC-only key set: no key fits.
    let rsa = rs256();
    assert_eq!(
        checked(&sign(&rsa, &json!({ "alg": "RS256" }), &claims()), &mine),
        Err("no registered key fits alg and kid")
    );
    // `crit` is refused; a tampered payload breaks the signature.
    assert_eq!(
        checked(&sign(&key, &json!({ "alg": "ES256", "crit": ["x"], "x": 1 }), &claims()), &mine),
        Err("crit is not supported")
    );
    let good = sign(&key, &json!({ "alg": "ES256" }), &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let tampered =
        format!("{}.{}.{}", parts[0], b64(with(claims(), "jti", json!("j-2")).to_string().as_bytes()), parts[2]);
    assert_eq!(checked(&tampered, &mine), Err("bad signature"));
}

#[test]
fn a_kid_chooses_the_key_and_without_one_every_key_is_tried() {
    let (a, b) = (es256(), es256());
    let mut pa = a.public.clone();
    pa["kid"] = json!("k-a");
    let mut pb = b.public.clone();
    pb["kid"] = json!("k-b");
    let set = json!({ "keys": [pa, pb] }).to_string();
    assert!(checked(&sign(&b, &json!({ "alg": "ES256", "kid": "k-b" }), &claims()), &set).is_ok());
    assert_eq!(checked(&sign(&b, &json!({ "alg": "ES256", "kid": "k-a" }), &claims()), &set), Err("bad signature"));
    assert_eq!(
        checked(&sign(&b, &json!({ "alg": "ES256", "kid": "k-x" }), &claims()), &set),
        Err("no registered key fits alg and kid")
    );
    assert!(checked(&sign(&b, &json!({ "alg": "ES256" }), &claims()), &set).is_ok(), "no kid: both tried");
}

#[test]
fn malformed_input_is_refused_and_the_replay_key_is_the_clients() {
    let key = es256();
    for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!", &"x".repeat(9000)] {
        assert!(checked(bad, &jwks(&[&key])).is_err(), "{bad:.20}");
    }
    assert_eq!(claimed_client(&sign(&key, &json!({ "alg": "ES256" }), &claims())).as_deref(), Some("rp"));
    assert_eq!(claimed_client("a.b.c"), None);
    let a = Assertion { jti: "j".into(), exp: NOW + 60 };
    assert_ne!(a.replay_key("rp"), a.replay_key("other"), "one client's jti is not another's");
    assert_eq!(a.replay_until(), NOW + 61);
}
