//! The cache of checked access tokens: a hit is never an unchecked token, a retired
//! key's or an expired one.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::clock::{Clock as _, FixedClock};
use crate::crypto::MasterKey;
use crate::token::{Audience, Issuer, KeyPolicy, generate_key};

const ISS: &str = "https://id.example.ru";
const T0: i64 = 1_900_000_000;

fn claims() -> AccessClaims {
    AccessClaims {
        iss: ISS.into(),
        sub: "s".into(),
        aud: Audience(vec![ISS.into()]),
        client_id: "rs".into(),
        iat: T0,
        exp: T0 + 600,
        jti: "jti-1".into(),
        scope: String::new(),
        auth_time: None,
        gid: None,
        cnf: None,
    }
}

#[tokio::test]
async fn at_02_a_checked_token_is_answered_from_memory_only_while_its_key_is_published_and_it_lives() {
    let master = MasterKey::from_bytes([5; 32]);
    let clock = Arc::new(FixedClock::new(T0));
    let policy = KeyPolicy { rotation_grace_secs: 3600, max_token_ttl_secs: 600 };
    let (es, rs) =
        (generate_key("ES256", &master, T0, T0).await.unwrap(), generate_key("RS256", &master, T0, T0).await.unwrap());
    let ring = KeyRing::from_keys(vec![es.clone(), rs.clone()], &master, clock.clone(), policy).unwrap();
    let issuer = Issuer::new(ISS.into(), ring.clone(), clock.clone());
    let token = issuer.access_token("ES256", &claims()).await.unwrap();
    assert_eq!(issuer.verify_access_token_any_audience(&token).unwrap(), claims());
    assert_eq!(issuer.verify_access_token_any_audience(&token).unwrap(), claims(), "the second time too");
    // Another token's bytes are no hit: a changed signature fails.
    let mut forged = token.clone();
    let last = if forged.ends_with('A') { 'B' } else { 'A' };
    forged.pop();
    forged.push(last);
    assert!(issuer.verify_access_token_any_audience(&forged).is_err());
    // Expired: refused although it was checked before.
    clock.set(T0 + 600);
    assert!(issuer.verify_access_token_any_audience(&token).is_err());
    clock.set(T0 + 10);
    assert_eq!(clock.now(), T0 + 10);
    // Its key retired: refused at once, no matter what was checked before.
    let retired = crate::store::StoredKey { retire_at: Some(T0 + 5), ..es };
    ring.replace_keys(vec![retired, rs]).unwrap();
    assert!(issuer.verify_access_token_any_audience(&token).is_err());
}

#[test]
fn the_cache_is_bounded_by_the_bytes_of_its_tokens() {
    let cache = VerifiedTokens::default();
    let big = "x".repeat(16 * 1024);
    for i in 0..2_000 {
        cache.insert(&format!("{big}{i}"), "kid".into(), &claims());
    }
    cache.cache.run_pending_tasks();
    assert!(cache.cache.weighted_size() <= MAX_BYTES, "{}", cache.cache.weighted_size());
}
