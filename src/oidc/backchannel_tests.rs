//! The pure part of back-channel logout, as tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn uri_rule() {
    for (uri, ok) in [
        ("https://rp.example/backchannel", true),
        ("https://rp.example:8443/bc?x=1", true),
        ("http://127.0.0.1:9000/bc", true),
        ("http://[::1]/bc", true),
        ("http://localhost/bc", false),
        ("http://rp.example/bc", false),
        ("https://rp.example/bc#frag", false),
        ("https://user:pw@rp.example/bc", false),
        ("ru.example.app:/bc", false),
        ("javascript:alert(1)", false),
        ("/relative", false),
        ("", false),
    ] {
        assert_eq!(validate_uri(uri).is_ok(), ok, "{uri}");
    }
}

#[test]
fn logout_claims_follow_section_2_4() {
    let input = LogoutTokenInput {
        issuer: "https://id.example",
        client_id: "diary",
        sub: "sub-1",
        sid: Some("sid-1"),
        jti: "0191f3a2-1111-7000-8000-000000000000",
        now: 1_000,
    };
    let c = logout_claims(&input);
    assert_eq!(c["iss"], "https://id.example");
    assert_eq!(c["aud"], "diary");
    assert_eq!(c["iat"], 1_000);
    assert_eq!(c["exp"], 1_000 + LOGOUT_TOKEN_TTL_SECS);
    assert_eq!(c["jti"], input.jti);
    assert_eq!(c["sub"], "sub-1");
    assert_eq!(c["sid"], "sid-1");
    assert_eq!(c["events"], json!({ LOGOUT_EVENT: {} }));
    assert!(c.get("nonce").is_none(), "a logout token never has a nonce");
    let without = logout_claims(&LogoutTokenInput { sid: None, ..input });
    assert!(without.get("sid").is_none());
    assert_eq!(without["sub"], "sub-1", "sub always: the RP can log the person out without sid");
}

#[test]
fn backoff_doubles_and_gives_up() {
    let cfg = BackchannelConfig { timeout_ms: 1000, max_attempts: 4, backoff_base_secs: 10 };
    assert_eq!(next_attempt(&cfg, 100, 1), Some(110));
    assert_eq!(next_attempt(&cfg, 100, 2), Some(120));
    assert_eq!(next_attempt(&cfg, 100, 3), Some(140));
    assert_eq!(next_attempt(&cfg, 100, 4), None);
    let long = BackchannelConfig { max_attempts: 50, ..cfg };
    assert_eq!(next_attempt(&long, 0, 40), Some(i64::try_from(MAX_BACKOFF_SECS).unwrap()));
}

#[test]
fn config_rules() {
    assert!(BackchannelConfig::default().validate().is_ok());
    for bad in [
        BackchannelConfig { timeout_ms: 0, ..Default::default() },
        BackchannelConfig { max_attempts: 0, ..Default::default() },
        BackchannelConfig { backoff_base_secs: 0, ..Default::default() },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
}

#[test]
fn sid_is_stable_and_reveals_nothing_of_the_hash() {
    let hash = crate::crypto::token_hash("cookie-value");
    let sid = crate::store::logout::public_sid(&hash);
    assert_eq!(sid, crate::store::logout::public_sid(&hash));
    assert_ne!(sid, hash);
    assert!(!sid.contains(&hash) && !hash.contains(&sid));
    assert_ne!(sid, crate::store::logout::public_sid(&crate::crypto::token_hash("other")));
    assert_eq!(sid.len(), 43, "base64url of 32 bytes");
}
