//! Table tests of the DPoP proof checks, the thumbprint and the nonces.

use super::*;
use josekit::jwk::KeyPair as _;
use josekit::jws::JwsSigner;
use serde_json::json;

const NOW: i64 = 1_800_000_000;
const URL: &str = "https://id.example/token";

struct Key {
    alg: &'static str,
    public: Map<String, Value>,
    signer: Box<dyn JwsSigner>,
}

fn es256() -> Key {
    let pair = ES256.generate_key_pair().unwrap();
    let signer = Box::new(ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap());
    Key { alg: "ES256", public: pair.to_jwk_public_key().into(), signer }
}

fn rs256() -> Key {
    let pair = RS256.generate_key_pair(2048).unwrap();
    let signer = Box::new(RS256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap());
    Key { alg: "RS256", public: pair.to_jwk_public_key().into(), signer }
}

fn sign(key: &Key, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let sig = key.signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}

fn header(key: &Key) -> Value {
    json!({ "typ": "dpop+jwt", "alg": key.alg, "jwk": key.public })
}

fn claims() -> Value {
    json!({ "jti": "j-1", "htm": "POST", "htu": URL, "iat": NOW })
}

fn expected() -> Expected<'static> {
    Expected { method: "POST", url: URL, now: NOW, nonces: None, access_token: None }
}

fn with(mut v: Value, name: &str, value: Value) -> Value {
    if value.is_null() {
        v.as_object_mut().unwrap().remove(name);
    } else {
        v[name] = value;
    }
    v
}

#[test]
fn a_good_proof_gives_its_thumbprint() {
    for key in [es256(), rs256()] {
        let proof = check(&sign(&key, &header(&key), &claims()), &expected()).unwrap();
        assert_eq!(proof.jkt, thumbprint(&key.public).unwrap(), "{}", key.alg);
        assert_eq!((proof.jti.as_str(), proof.iat), ("j-1", NOW));
        assert_eq!(proof.replay_until(), NOW + IAT_WINDOW_SECS + 1);
    }
}

#[test]
fn refused_headers() {
    let key = es256();
    let mut private = key.public.clone();
    private.insert("d".into(), json!("AAAA"));
    let other = es256();
    let cases = [
        ("typ", with(header(&key), "typ", json!("JWT"))),
        ("no typ", with(header(&key), "typ", Value::Null)),
        ("alg none", with(header(&key), "alg", json!("none"))),
        ("alg HS256", with(header(&key), "alg", json!("HS256"))),
        ("alg of another key type", with(header(&key), "alg", json!("RS256"))),
        ("no jwk", with(header(&key), "jwk", Value::Null)),
        ("private jwk", with(header(&key), "jwk", json!(private))),
        ("another key's jwk", with(header(&key), "jwk", json!(other.public))),
        ("crit", with(header(&key), "crit", json!(["exp"]))),
    ];
    for (name, h) in cases {
        let got = check(&sign(&key, &h, &claims()), &expected());
        assert!(matches!(got, Err(ProofError::Invalid(_))), "{name}: {got:?}");
    }
    assert!(check("a.b", &expected()).is_err(), "not a JWS");
    assert!(check(&"a".repeat(9000), &expected()).is_err(), "too long");
    let good = sign(&key, &header(&key), &claims());
    let (signed, _) = good.rsplit_once('.').unwrap();
    let tampered = format!("{signed}.{}", b64(&[0u8; 64]));
    assert_eq!(check(&tampered, &expected()), Err(ProofError::Invalid("bad signature")));
}

#[test]
fn refused_claims() {
    let key = es256();
    let cases = [
        ("no jti", with(claims(), "jti", Value::Null)),
        ("empty jti", with(claims(), "jti", json!(""))),
        ("htm", with(claims(), "htm", json!("GET"))),
        ("htu of another endpoint", with(claims(), "htu", json!("https://id.example/userinfo"))),
        ("htu of another host", with(claims(), "htu", json!("https://evil.example/token"))),
        ("htu not a URL", with(claims(), "htu", json!("/token"))),
        ("no htu", with(claims(), "htu", Value::Null)),
        ("stale iat", with(claims(), "iat", json!(NOW - IAT_WINDOW_SECS - 1))),
        ("future iat", with(claims(), "iat", json!(NOW + IAT_WINDOW_SECS + 1))),
        ("iat a string", with(claims(), "iat", json!("1800000000"))),
    ];
    for (name, c) in cases {
        let got = check(&sign(&key, &header(&key), &c), &expected());
        assert!(matches!(got, Err(ProofError::Invalid(_))), "{name}: {got:?}");
    }
    for iat in [NOW - IAT_WINDOW_SECS, NOW + IAT_WINDOW_SECS] {
        assert!(check(&sign(&key, &header(&key), &with(claims(), "iat", json!(iat))), &expected()).is_ok());
    }
}

#[test]
fn htu_is_compared_normalised_without_query_and_fragment() {
    let key = es256();
    for htu in ["https://id.example/token", "HTTPS://ID.EXAMPLE:443/token", "https://id.example/a/../token?x=1#f"] {
        let got = check(&sign(&key, &header(&key), &with(claims(), "htu", json!(htu))), &expected());
        assert!(got.is_ok(), "{htu}: {got:?}");
    }
    for htu in ["http://id.example/token", "https://id.example:8443/token", "https://id.example/token/"] {
        let got = check(&sign(&key, &header(&key), &with(claims(), "htu", json!(htu))), &expected());
        assert!(got.is_err(), "{htu}");
    }
}

#[test]
fn ath_at_resource_endpoints() {
    let key = es256();
    let at = Expected { method: "GET", access_token: Some("the-token"), ..expected() };
    let c = with(claims(), "htm", json!("GET"));
    let good = with(c.clone(), "ath", json!(access_token_hash("the-token")));
    assert!(check(&sign(&key, &header(&key), &good), &at).is_ok());
    let wrong = with(c.clone(), "ath", json!(access_token_hash("another")));
    assert!(check(&sign(&key, &header(&key), &wrong), &at).is_err(), "another token's hash");
    assert!(check(&sign(&key, &header(&key), &c), &at).is_err(), "no ath");
}

#[test]
fn nonces_of_this_window_and_the_last() {
    let key = [7u8; 32];
    let signing = es256();
    let accepted = nonces(&key, NOW);
    let exp = Expected { nonces: Some(&accepted), ..expected() };
    let missing = check(&sign(&signing, &header(&signing), &claims()), &exp);
    assert_eq!(missing, Err(ProofError::UseNonce));
    let stale = nonce(&key, NOW - 2 * NONCE_WINDOW_SECS);
    let old = check(&sign(&signing, &header(&signing), &with(claims(), "nonce", json!(stale))), &exp);
    assert_eq!(old, Err(ProofError::UseNonce), "two windows ago");
    for given in [nonce(&key, NOW), nonce(&key, NOW - NONCE_WINDOW_SECS)] {
        let got = check(&sign(&signing, &header(&signing), &with(claims(), "nonce", json!(given))), &exp);
        assert!(got.is_ok(), "this window's and the previous one's");
    }
    assert_ne!(nonce(&key, NOW), nonce(&[8u8; 32], NOW), "keyed");
}

#[test]
fn thumbprint_of_rfc_7638_and_members_beyond_the_required_ignored() {
    // RFC 7638 §3.1.
    let rsa = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    let map = rsa.as_object().unwrap();
    assert_eq!(thumbprint(map).as_deref(), Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
    assert_eq!(thumbprint(&json!({ "kty": "oct", "k": "x" }).as_object().unwrap().clone()), None);
    assert_eq!(thumbprint(&json!({ "kty": "EC", "crv": "P-256", "x": "a" }).as_object().unwrap().clone()), None);
}

#[test]
fn the_challenges_name_the_accepted_algorithms() {
    use crate::oidc::error::{DPOP_INVALID_PROOF, DPOP_INVALID_TOKEN};
    for challenge in [DPOP_INVALID_TOKEN, DPOP_INVALID_PROOF] {
        assert!(challenge.starts_with(&format!("DPoP algs=\"{}\"", ALGS.join(" "))), "{challenge}");
    }
}

#[test]
fn a_replay_key_is_of_the_key_and_the_jti() {
    let proof = |jkt: &str, jti: &str| Proof { jkt: jkt.into(), jti: jti.into(), iat: NOW };
    assert_eq!(proof("k", "j").replay_key(), proof("k", "j").replay_key());
    assert_ne!(proof("k", "j").replay_key(), proof("k2", "j").replay_key());
    assert_ne!(proof("k", "j").replay_key(), proof("k", "j2").replay_key());
}
