//! Tests of the key ring and the issuer together: round trips, token confusion (AT-01),
//! forged tokens (AT-02), key rotation (DS-03) and the `openidconnect` crate as verifier.

use super::*;
use crate::clock::{Clock, FixedClock};
use crate::crypto::{MasterKey, b64, hmac_sha256};
use crate::store::StoredKey;
use serde_json::{Value, json};
use std::sync::Arc;

const ISS: &str = "https://id.example.ru";
const T0: i64 = 1_900_000_000;
const TTL: i64 = 7200;

fn master() -> MasterKey {
    MasterKey::from_bytes([5; 32])
}

fn policy() -> KeyPolicy {
    KeyPolicy { rotation_grace_secs: 3600, max_token_ttl_secs: TTL }
}

async fn all_keys(at: i64) -> Vec<StoredKey> {
    let mut keys = Vec::new();
    for alg in SUPPORTED_ALGS {
        keys.push(generate_key(alg, &master(), at, at).await.unwrap());
    }
    keys
}

async fn setup(at: i64) -> (Issuer, Arc<FixedClock>, Vec<StoredKey>) {
    let clock = Arc::new(FixedClock::new(at));
    let keys = all_keys(at).await;
    let ring = KeyRing::from_keys(keys.clone(), &master(), clock.clone(), policy()).unwrap();
    (Issuer::new(ISS.into(), ring, clock.clone()), clock, keys)
}

fn access(now: i64) -> AccessClaims {
    AccessClaims {
        iss: ISS.into(),
        sub: "acc-1".into(),
        aud: ISS.into(),
        client_id: "diary".into(),
        iat: now,
        exp: now + 600,
        jti: "jti-1".into(),
        scope: "openid profile".into(),
        auth_time: Some(now - 5),
        gid: Some("grant-1".into()),
        cnf: None,
    }
}

fn id_input(access_token: Option<String>) -> IdTokenInput {
    let mut extra = serde_json::Map::new();
    extra.insert("name".into(), json!("Иванов Иван Сергеевич"));
    extra.insert("iss".into(), json!("https://evil.example"));
    extra.insert("nonce".into(), json!("forged"));
    IdTokenInput {
        sub: "acc-1".into(),
        client_id: "diary".into(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        auth_time: Some(T0 - 10),
        amr: vec!["pwd".into()],
        acr: None,
        access_token,
        sid: Some("sid-1".into()),
        ttl_secs: 3600,
        extra,
    }
}

fn part(token: &str, i: usize) -> Value {
    let seg = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&crate::crypto::b64_decode(seg).unwrap()).unwrap()
}

/// A token with any header and payload, signed by `sign`.
fn forge(header: Value, payload: Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()));
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64(&sig))
}

#[tokio::test]
async fn a_dpop_bound_access_token_carries_cnf_jkt() {
    let (issuer, _, _) = setup(T0).await;
    let bound = AccessClaims { cnf: Some(super::Confirmation { jkt: "thumb".into() }), ..access(T0) };
    let at = issuer.access_token("ES256", &bound).await.unwrap();
    assert_eq!(part(&at, 1)["cnf"], json!({ "jkt": "thumb" }));
    assert_eq!(issuer.verify_access_token(&at).unwrap(), bound);
    let plain = issuer.access_token("ES256", &access(T0)).await.unwrap();
    assert!(part(&plain, 1).get("cnf").is_none(), "a bearer token has no cnf");
}

#[tokio::test]
async fn round_trip_all_algorithms() {
    let (issuer, _, _) = setup(T0).await;
    for alg in SUPPORTED_ALGS {
        let at = issuer.access_token(alg, &access(T0)).await.unwrap();
        let header = part(&at, 0);
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["alg"], alg);
        assert!(header["kid"].is_string());
        assert_eq!(issuer.verify_access_token(&at).unwrap(), access(T0), "{alg}");

        let id = issuer.id_token(alg, id_input(Some(at.clone()))).await.unwrap();
        assert_eq!(part(&id, 0)["typ"], "JWT");
        let claims = part(&id, 1);
        assert_eq!(claims["iss"], ISS, "extra cannot override iss");
        assert_eq!(claims["aud"], "diary");
        assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(claims["exp"], T0 + 3600);
        assert_eq!(claims["iat"], T0);
        assert_eq!(claims["amr"], json!(["pwd"]));
        assert_eq!(claims["name"], "Иванов Иван Сергеевич");
        assert!(claims.get("acr").is_none());
        assert!(claims["at_hash"].is_string());
        let hint = issuer.verify_id_token_hint(&id).unwrap();
        assert_eq!(hint, HintClaims { sub: "acc-1".into(), aud: vec!["diary".into()], sid: Some("sid-1".into()) });
    }
    assert!(matches!(issuer.access_token("HS256", &access(T0)).await, Err(TokenError::Key(_))));
}

#[tokio::test]
async fn it_03_at_hash_per_algorithm() {
    let (issuer, _, _) = setup(T0).await;
    let expect = |alg: &str, at: &str| -> String {
        use sha2::{Digest, Sha256, Sha512};
        match alg {
            "EdDSA" => b64(&Sha512::digest(at.as_bytes())[..32]),
            _ => b64(&Sha256::digest(at.as_bytes())[..16]),
        }
    };
    for alg in SUPPORTED_ALGS {
        let id = issuer.id_token(alg, id_input(Some("access-token-value".into()))).await.unwrap();
        assert_eq!(part(&id, 1)["at_hash"], expect(alg, "access-token-value"), "{alg}");
    }
    let id = issuer.id_token("RS256", id_input(None)).await.unwrap();
    assert!(part(&id, 1).get("at_hash").is_none());
}

#[tokio::test]
async fn at_01_id_token_and_access_token_not_interchangeable() {
    let (issuer, _, _) = setup(T0).await;
    for alg in SUPPORTED_ALGS {
        let id = issuer.id_token(alg, id_input(None)).await.unwrap();
        assert!(matches!(issuer.verify_access_token(&id), Err(TokenError::Invalid("wrong typ"))));
        let at = issuer.access_token(alg, &access(T0)).await.unwrap();
        assert!(matches!(issuer.verify_id_token_hint(&at), Err(TokenError::Invalid("wrong typ"))));
    }
}

#[tokio::test]
async fn at_02_forged_and_foreign_tokens_refused() {
    let (issuer, clock, keys) = setup(T0).await;
    let es = keys.iter().find(|k| k.alg == "ES256").unwrap();
    let rs = keys.iter().find(|k| k.alg == "RS256").unwrap();
    let payload = serde_json::to_value(access(T0)).unwrap();
    let refused = |t: &str| issuer.verify_access_token(t).is_err();

    // alg none, with and without a kid.
    assert!(refused(&forge(json!({"alg": "none", "typ": "at+jwt", "kid": es.kid}), payload.clone(), |_| vec![])));
    assert!(refused(&forge(json!({"alg": "none", "typ": "at+jwt"}), payload.clone(), |_| vec![])));
    // HS256 with the published public key as the HMAC secret.
    for secret in [rs.public_jwk.as_bytes(), es.public_jwk.as_bytes()] {
        let kid = if secret == rs.public_jwk.as_bytes() { &rs.kid } else { &es.kid };
        let t = forge(json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}), payload.clone(), |m| {
            hmac_sha256(secret, m).to_vec()
        });
        assert!(refused(&t));
    }
    // A good token whose header names another alg of ours.
    let good = issuer.access_token("ES256", &access(T0)).await.unwrap();
    let (_, rest) = good.split_once('.').unwrap();
    let swapped =
        format!("{}.{rest}", b64(json!({"alg": "RS256", "typ": "at+jwt", "kid": es.kid}).to_string().as_bytes()));
    assert!(matches!(issuer.verify_access_token(&swapped), Err(TokenError::Invalid("alg mismatch"))));
    // Unknown kid (a key of another installation).
    let foreign = generate_key("ES256", &master(), T0, T0).await.unwrap();
    let other_ring = KeyRing::from_keys(vec![foreign], &master(), clock.clone(), policy()).unwrap();
    let other = Issuer::new(ISS.into(), other_ring, clock.clone());
    let t = other.access_token("ES256", &access(T0)).await.unwrap();
    assert!(matches!(issuer.verify_access_token(&t), Err(TokenError::Invalid("unknown kid"))));
    assert!(issuer.verify_id_token_hint(&other.id_token("ES256", id_input(None)).await.unwrap()).is_err());
    // Wrong iss, wrong aud (signed by us through another issuer name).
    let ring = issuer.keys().clone();
    let evil = Issuer::new("https://evil.example".into(), ring, clock.clone());
    let mut c = access(T0);
    c.iss = "https://evil.example".into();
    let t = evil.access_token("ES256", &c).await.unwrap();
    assert!(matches!(issuer.verify_access_token(&t), Err(TokenError::Invalid("wrong iss"))));
    assert!(issuer.verify_id_token_hint(&evil.id_token("ES256", id_input(None)).await.unwrap()).is_err());
    let mut c = access(T0);
    c.aud = "https://rs.example".into();
    let t = issuer.access_token("ES256", &c).await.unwrap();
    assert!(matches!(issuer.verify_access_token(&t), Err(TokenError::Invalid("wrong aud"))));
    // Minting with a foreign iss is refused.
    assert!(issuer.access_token("ES256", &c).await.is_ok());
    c.iss = "https://evil.example".into();
    assert!(issuer.access_token("ES256", &c).await.is_err());
    // Tampered payload.
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut claims = access(T0);
    claims.scope = "openid profile admin".into();
    parts[1] = b64(serde_json::to_string(&claims).unwrap().as_bytes());
    assert!(matches!(issuer.verify_access_token(&parts.join(".")), Err(TokenError::Invalid("bad signature"))));
    // Garbage.
    for t in ["", "a.b", "a.b.c.d", "...", &format!("{good}.x")] {
        assert!(refused(t), "{t:?}");
    }
    // Expired: refused as an access token, still a valid logout hint.
    let id = issuer.id_token("ES256", id_input(None)).await.unwrap();
    clock.advance(600);
    assert!(matches!(issuer.verify_access_token(&good), Err(TokenError::Invalid("expired"))));
    clock.advance(3600);
    assert!(issuer.verify_id_token_hint(&id).is_ok());
}

#[tokio::test]
async fn ds_03_new_key_published_before_use() {
    let clock = Arc::new(FixedClock::new(T0));
    let mut keys = all_keys(T0).await;
    let ring = KeyRing::from_keys(keys.clone(), &master(), clock.clone(), policy()).unwrap();
    let issuer = Issuer::new(ISS.into(), ring.clone(), clock.clone());
    let old_kid = keys.iter().find(|k| k.alg == "ES256").unwrap().kid.clone();
    let old_token = issuer.access_token("ES256", &access(T0)).await.unwrap();

    // Rotation with one hour of grace.
    let new = generate_key("ES256", &master(), T0, T0 + 3600).await.unwrap();
    keys.push(new.clone());
    ring.replace_keys(keys.clone()).unwrap();
    let jwks = ring.jwks_json();
    assert!(jwks.contains(&new.kid), "new key published at once");
    assert!(jwks.find(&old_kid) < jwks.find(&new.kid), "active keys first");
    let t = issuer.access_token("ES256", &access(T0)).await.unwrap();
    assert_eq!(part(&t, 0)["kid"], old_kid.as_str(), "old key still signs during grace");
    let state = |kid: &str| ring.key_summaries().into_iter().find(|s| s.kid == kid).unwrap().state;
    assert_eq!(state(&new.kid), KeyState::Next);

    // Grace over: the new key signs, the old one is published until its tokens expired.
    clock.set(T0 + 3600);
    let t = issuer.access_token("ES256", &access(T0 + 3600)).await.unwrap();
    assert_eq!(part(&t, 0)["kid"], new.kid.as_str());
    assert_eq!(state(&old_kid), KeyState::Retiring);
    assert_eq!(state(&new.kid), KeyState::Active);
    assert!(ring.jwks_json().contains(&old_kid));
    let first = ring.jwks_json();
    assert!(first.find(&new.kid) < first.find(&old_kid), "active keys first");
    assert!(issuer.verify_id_token_hint(&issuer.id_token("RS256", id_input(None)).await.unwrap()).is_ok());
    let summary = ring.key_summaries().into_iter().find(|s| s.kid == old_kid).unwrap();
    assert_eq!(summary.published_until, Some(T0 + 3600 + TTL));

    // Still verifiable just before, dropped after (no reload needed).
    clock.set(T0 + 3600 + TTL - 1);
    assert!(ring.jwks_json().contains(&old_kid));
    assert!(ring.verifying_key(&old_kid).is_some());
    clock.set(T0 + 3600 + TTL);
    assert!(!ring.jwks_json().contains(&old_kid));
    assert_eq!(state(&old_kid), KeyState::Retired);
    assert!(matches!(issuer.verify_id_token_hint(&old_token), Err(TokenError::Invalid(_))));

    // A reload after expiry does not parse the expired key (and still works).
    ring.replace_keys(keys).unwrap();
    assert!(!ring.jwks_json().contains(&old_kid));
    assert_eq!(ring.signing_algs(), vec!["RS256", "ES256", "EdDSA"]);
}

/// `keys retire`: a superseded key retired by hand leaves the JWKS at its `retire_at`
/// (before its automatic end), a retired next key never signs; no reload needed.
#[tokio::test]
async fn retire_at_ends_publication_and_a_retired_next_key_never_signs() {
    let clock = Arc::new(FixedClock::new(T0));
    let mut keys = all_keys(T0).await;
    let old = keys.iter().position(|k| k.alg == "ES256").unwrap();
    let new = generate_key("ES256", &master(), T0, T0 + 10).await.unwrap();
    let mut spare = generate_key("ES256", &master(), T0, T0 + 20).await.unwrap();
    spare.retire_at = Some(T0 + 15);
    keys[old].retire_at = Some(T0 + 30);
    let old_kid = keys[old].kid.clone();
    keys.extend([new.clone(), spare.clone()]);
    let ring = KeyRing::from_keys(keys, &master(), clock.clone(), policy()).unwrap();
    let state = |kid: &str| ring.key_summaries().into_iter().find(|s| s.kid == kid).unwrap().state;
    // Retired by hand while it signed (a ring loaded from a tampered store): it stops signing.
    assert_eq!(state(&old_kid), KeyState::Retiring);
    assert!(ring.signing_key("ES256").is_err(), "no ES256 key signs until `new` starts");
    clock.set(T0 + 10);
    assert_eq!(ring.signing_key("ES256").unwrap().kid, new.kid);
    assert!(ring.jwks_json().contains(&spare.kid));
    clock.set(T0 + 25);
    assert_eq!(state(&spare.kid), KeyState::Retired);
    assert_eq!(ring.signing_key("ES256").unwrap().kid, new.kid, "the retired next key never signs");
    assert!(ring.verifying_key(&old_kid).is_some());
    clock.set(T0 + 30);
    assert!(!ring.jwks_json().contains(&old_kid));
    assert!(ring.verifying_key(&old_kid).is_none());
    assert_eq!(state(&old_kid), KeyState::Retired);
}

#[tokio::test]
async fn jwks_has_public_keys_only() {
    let (issuer, _, keys) = setup(T0).await;
    let jwks: Value = serde_json::from_str(&issuer.keys().jwks_json()).unwrap();
    let list = jwks["keys"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for (k, alg) in list.iter().zip(SUPPORTED_ALGS) {
        assert_eq!(k["alg"], alg);
        assert_eq!(k["use"], "sig");
        assert!(k.get("d").is_none() && k.get("p").is_none());
        assert!(keys.iter().any(|s| s.kid == k["kid"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn tampered_store_fails_load() {
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(T0));
    let keys = all_keys(T0).await;
    assert!(KeyRing::from_keys(keys.clone(), &MasterKey::from_bytes([6; 32]), clock.clone(), policy()).is_err());
    let mut bad = keys.clone();
    bad[1].alg = "HS256".into();
    assert!(KeyRing::from_keys(bad, &master(), clock, policy()).is_err());
}

#[tokio::test]
async fn openidconnect_accepts_our_id_tokens() {
    use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm as A};
    use openidconnect::{AccessToken, AccessTokenHash, ClientId, IssuerUrl, Nonce};
    // openidconnect checks `exp` against the real clock: mint in the far future.
    let (issuer, _, _) = setup(4_000_000_000).await;
    let jwks: CoreJsonWebKeySet = serde_json::from_str(&issuer.keys().jwks_json()).unwrap();
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new("diary".into()),
        IssuerUrl::new(ISS.into()).unwrap(),
        jwks,
    )
    .set_allowed_algs(vec![A::RsaSsaPkcs1V15Sha256, A::EcdsaP256Sha256, A::EdDsa]);
    let mut c = access(4_000_000_000);
    c.exp += 600;
    for alg in SUPPORTED_ALGS {
        let at = issuer.access_token(alg, &c).await.unwrap();
        let id = issuer.id_token(alg, id_input(Some(at.clone()))).await.unwrap();
        let token: CoreIdToken = id.parse().unwrap();
        let claims = token.claims(&verifier, &Nonce::new("n-0S6_WzA2Mj".into())).unwrap();
        assert_eq!(claims.subject().as_str(), "acc-1");
        let hash = AccessTokenHash::from_token(
            &AccessToken::new(at.clone()),
            token.signing_alg().unwrap(),
            token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(Some(&hash), claims.access_token_hash(), "{alg}");
        // AT-01 against an RP library: an access token is not an ID token.
        let as_id: CoreIdToken = at.parse().unwrap();
        assert!(as_id.claims(&verifier, &Nonce::new("n-0S6_WzA2Mj".into())).is_err(), "{alg}");
    }
}

#[tokio::test]
async fn load_or_init_generates_once_and_rotate_goes_through_store() {
    let clock = Arc::new(FixedClock::new(T0));
    let store = crate::store::open("sqlite::memory:", 1, clock.clone()).await.unwrap();
    store.migrate().await.unwrap();
    let ring = KeyRing::load_or_init(store.clone(), &master(), clock.clone(), policy()).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap().len(), 3);
    assert_eq!(ring.signing_algs(), vec!["RS256", "ES256", "EdDSA"]);
    let again = KeyRing::load_or_init(store.clone(), &master(), clock.clone(), policy()).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap().len(), 3, "no second generation");
    assert_eq!(again.jwks_json(), ring.jwks_json());

    let new = rotate(store.as_ref(), &master(), clock.as_ref(), "ES256", 3600).await.unwrap();
    assert_eq!(new.activates_at, T0 + 3600);
    assert!(!ring.jwks_json().contains(&new.kid));
    ring.reload().await.unwrap();
    assert!(ring.jwks_json().contains(&new.kid));
    let audit = store.audit_records(0, 100).await.unwrap();
    assert_eq!(audit.iter().filter(|r| r.kind == "key_added").count(), 4);
    assert!(audit.iter().all(|r| !r.data.contains("\"d\"")));
}

/// ES256 access tokens per second on one core (run with `--release --ignored --nocapture`).
#[tokio::test(flavor = "current_thread")]
#[ignore]
async fn es256_access_token_throughput() {
    let (issuer, _, _) = setup(T0).await;
    let claims = access(T0);
    let n = 20_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(issuer.access_token("ES256", &claims).await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    println!("ES256: {:.0} tokens/s, {:.1} µs/token", n as f64 / secs, secs * 1e6 / n as f64);
}
