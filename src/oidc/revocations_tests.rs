//! The in-memory revocation set's rules, without a store: when it answers, and
//! when the store must.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::token::Audience;

const NOW: UnixTime = 1_800_000_000;

fn claims(jti: &str, gid: Option<&str>, iat: UnixTime) -> AccessClaims {
    AccessClaims {
        iss: "https://op.example".into(),
        sub: "s".into(),
        aud: Audience(vec!["https://op.example".into()]),
        client_id: "rp".into(),
        iat,
        exp: iat + 300,
        jti: jti.into(),
        scope: String::new(),
        auth_time: None,
        gid: gid.map(Into::into),
        cnf: None,
    }
}

fn read(tokens: &[(&str, UnixTime)], grants: &[(&str, UnixTime)]) -> Revoked {
    Revoked {
        tokens: tokens.iter().map(|(j, e)| ((*j).to_owned(), *e)).collect(),
        grants: grants.iter().map(|(g, a)| ((*g).to_owned(), *a)).collect(),
    }
}

fn state_after(r: Revoked) -> State {
    let mut s = State::default();
    s.apply(r, 3, NOW, true);
    s
}

#[test]
fn in_02_revoked_tokens_and_grants_are_found_and_others_are_live() {
    let s = state_after(read(&[("t1", NOW + 60)], &[("g1", NOW - 5)]));
    assert_eq!(s.lookup(&claims("t1", None, NOW), NOW, 3), Some(true));
    assert_eq!(s.lookup(&claims("t2", Some("g1"), NOW - 10), NOW, 3), Some(true));
    assert_eq!(s.lookup(&claims("t2", Some("g2"), NOW - 10), NOW, 3), Some(false));
    assert_eq!(s.lookup(&claims("t3", None, NOW), NOW, 3), Some(false));
}

#[test]
fn in_02_the_store_answers_before_the_first_read_when_behind_or_stale() {
    assert_eq!(State::default().lookup(&claims("t", None, NOW), NOW, 0), None, "never read");
    let s = state_after(read(&[], &[]));
    assert_eq!(s.lookup(&claims("t", None, NOW), NOW, 4), None, "this node revoked since the read");
    assert_eq!(s.lookup(&claims("t", None, NOW), NOW + MAX_STALE_SECS + 1, 3), None, "no read for too long");
    assert_eq!(s.lookup(&claims("t", None, NOW), NOW + MAX_STALE_SECS, 3), Some(false));
}

#[test]
fn in_02_a_token_older_than_the_grant_horizon_is_checked_in_the_store() {
    let s = state_after(read(&[], &[]));
    let old = NOW - GRANT_HORIZON_SECS;
    assert_eq!(s.lookup(&claims("t", Some("g"), old), NOW, 3), None);
    // Without a grant only the jti matters, and those are kept until they expire.
    assert_eq!(s.lookup(&claims("t", None, old), NOW, 3), Some(false));
}

#[test]
fn in_02_expired_tokens_and_grants_past_the_horizon_are_forgotten() {
    let mut s = state_after(read(&[("gone", NOW), ("kept", NOW + 2)], &[("old", NOW - GRANT_HORIZON_SECS)]));
    assert_eq!(s.tokens.len(), 1);
    assert!(s.tokens.contains_key("kept"));
    assert!(s.grants.is_empty());
    // Later reads add to what is there and move the epoch and the moment.
    s.apply(read(&[("t2", NOW + 100)], &[("g2", NOW + 1)]), 5, NOW + 1, false);
    assert_eq!((s.tokens.len(), s.grants.len(), s.epoch, s.read_at), (2, 1, 5, Some(NOW + 1)));
}

#[test]
fn in_02_past_the_bound_the_store_answers_for_tokens_until_a_full_read_finds_fewer() {
    let many: Vec<(String, UnixTime)> = (0..=MAX_TOKENS).map(|i| (format!("t{i}"), NOW + 60)).collect();
    let mut s = state_after(Revoked { tokens: many, grants: vec![("g".into(), NOW)] });
    assert!(s.tokens.is_empty(), "nothing held past the bound");
    assert_eq!(s.overflow, Some(NOW));
    assert_eq!(s.lookup(&claims("t-any", None, NOW), NOW, 3), None);
    assert_eq!(s.lookup(&claims("t-any", Some("g"), NOW), NOW, 3), Some(true), "grants still answer");
    // Increments are not held while over; a full read is due after FULL_READ_SECS.
    s.apply(read(&[("x", NOW + 60)], &[]), 3, NOW + 1, false);
    assert!(s.tokens.is_empty());
    assert!(!s.full_read_due(NOW + FULL_READ_SECS - 1));
    assert!(s.full_read_due(NOW + FULL_READ_SECS));
    s.apply(read(&[("x", NOW + 60)], &[]), 3, NOW + FULL_READ_SECS, true);
    assert_eq!(s.overflow, None);
    assert_eq!(s.lookup(&claims("x", None, NOW), NOW + FULL_READ_SECS, 3), Some(true));
}
